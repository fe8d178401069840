"""Captures written without gr-bearing's writer, read with ``read_capture`` and replayed by the real
flowgraph of `bearing estimate` (and the command itself for a few cases).

The recordings follow the SigMF spatial extension's own examples (tests/helpers/independent_captures.py):
a ULA listed along +y (increasing y, the reverse of gr-bearing's ``ula()``), a UCA numbered
counter-clockwise, URAs in the y-z plane listed column by column, the spec's square and 2 x 3
planar arrays, and ``spatial:aperture_azimuth`` / ``spatial:aperture_bearing`` mounts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing import read_capture
from gnuradio.bearing.array.field_of_view import GeometryError, field_of_view
from gnuradio.bearing.array.geometry import wrap_deg
from gnuradio.bearing.doa.crb import stochastic_crb
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from helpers.command import bearing
from helpers.independent_captures import (
    Emitter,
    uca_counter_clockwise,
    ula_along_plus_y,
    ura_column_by_column,
    write_recording,
)

SPEED_OF_LIGHT_M_S = 299_792_458.0


def wavelength(frequency_hz: float) -> float:
    return SPEED_OF_LIGHT_M_S / frequency_hz


def angle_error_deg(estimate_deg, truth_deg) -> np.ndarray:
    return np.abs(np.asarray(wrap_deg(np.asarray(estimate_deg, dtype=np.float64) - np.asarray(truth_deg))))


def replay(path: Path, **settings) -> list[dict]:
    flowgraph = ReplayFlowgraph(str(path), ReplaySettings(**settings))
    flowgraph.run()
    assert flowgraph.skipped_windows == 0
    return flowgraph.records


def run_bearing(*args: str) -> list[dict]:
    """``bearing estimate ... --json`` in a subprocess: its records."""
    result = bearing("estimate", *args, "--json", timeout_s=120)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def by_truth(records: list[dict]) -> dict[float, list[dict]]:
    groups: dict[float, list[dict]] = {}
    for record in records:
        (truth,) = record["truth_azimuth_deg"]
        groups.setdefault(truth, []).append(record)
    return groups


# --- the arrays, as others list them ---------------------------------------------------------------


# --- a ULA listed along +y: root-MUSIC and ESPRIT as good as MUSIC, in the front half-plane ----------

ULA_CARRIER_HZ = 2.4e9
ULA_TRUTHS_DEG = (-40.0, -10.0, 10.0, 40.0)
ULA_SNR_DB = 10.0
ULA_WINDOW = 64
ULA_WINDOWS = 100
ULA_METHODS = ("music", "root-music", "esprit")


@pytest.fixture(scope="module")
def ula_capture(tmp_path_factory) -> Path:
    positions = ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0)
    emitters = [Emitter(truth, ULA_WINDOW * ULA_WINDOWS, ULA_SNR_DB) for truth in ULA_TRUTHS_DEG]
    return write_recording(
        tmp_path_factory.mktemp("ula") / "ula_plus_y", positions, ULA_CARRIER_HZ, emitters, seed=1
    )


@pytest.fixture(scope="module")
def ula_records(ula_capture) -> dict[str, list[dict]]:
    return {method: replay(ula_capture, method=method, average=ULA_WINDOW) for method in ULA_METHODS}


def test_the_recordings_are_read_as_written(ula_capture) -> None:
    capture = read_capture(ula_capture)
    positions = ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0)
    np.testing.assert_allclose(capture.geometry.positions_m, positions, rtol=0, atol=1e-12)
    assert capture.num_channels == 8 and capture.frequency_hz == ULA_CARRIER_HZ
    assert [truth.azimuth_deg for truth in capture.truths] == list(ULA_TRUTHS_DEG)
    assert len(capture.segments) == len(ULA_TRUTHS_DEG)
    assert capture.num_samples == len(ULA_TRUTHS_DEG) * ULA_WINDOW * ULA_WINDOWS
    meta = json.loads(Path(ula_capture).read_text())
    assert any(extension["name"] == "spatial" for extension in meta["global"]["core:extensions"])
    # Listed along +y: the reverse of gr-bearing's own ula(); still a ULA in element order.
    axis = capture.geometry.ula_axis()
    assert axis is not None and axis.broadside_azimuth_deg == 0.0 and axis.sign == -1


@pytest.mark.parametrize("method", ULA_METHODS)
def test_a_ula_listed_along_plus_y_reports_its_front_half_plane(
    ula_capture, ula_records, method: str
) -> None:
    """-10 and +10 come out as -10 and +10, not 170 and -170 (nor +10 and -10)."""
    field = field_of_view(read_capture(ula_capture).geometry)
    assert field.azimuth_deg == (-90.0, 90.0)
    records = ula_records[method]
    assert len(records) == len(ULA_TRUTHS_DEG) * ULA_WINDOWS
    for truth, group in by_truth(records).items():
        estimates = np.array([record["azimuth_deg"][0] for record in group])
        assert field.contains_azimuth(estimates).all(), (method, truth)
        assert np.all(angle_error_deg(estimates, truth) < 1.0), (
            method,
            truth,
            estimates.min(),
            estimates.max(),
        )
        assert np.all(np.sign(estimates) == np.sign(truth)), (method, truth)


def test_root_music_and_esprit_are_within_1_5_crb_wherever_music_is(ula_capture, ula_records) -> None:
    capture = read_capture(ula_capture)
    noise_power = 10.0 ** (-ULA_SNR_DB / 10.0)
    rmse = {
        method: {
            truth: float(np.sqrt(np.mean([(r["azimuth_deg"][0] - truth) ** 2 for r in group])))
            for truth, group in by_truth(records).items()
        }
        for method, records in ula_records.items()
    }
    bound = {
        truth: float(
            np.sqrt(
                stochastic_crb(
                    capture.geometry, wavelength(ULA_CARRIER_HZ), truth, [1.0], noise_power, ULA_WINDOW
                )
            )[0, 0]
        )
        for truth in ULA_TRUTHS_DEG
    }
    where_music_is = [truth for truth in ULA_TRUTHS_DEG if rmse["music"][truth] <= 1.5 * bound[truth]]
    assert {-10.0, 10.0} <= set(where_music_is), (rmse["music"], bound)
    ratios = {
        (method, truth): rmse[method][truth] / bound[truth]
        for method in ("root-music", "esprit")
        for truth in where_music_is
    }
    assert all(ratio <= 1.5 for ratio in ratios.values()), ratios


def test_bearing_estimate_on_a_ula_listed_along_plus_y(ula_capture) -> None:
    records = run_bearing(str(ula_capture), "--method", "esprit", "--average", str(ULA_WINDOW * 10))
    assert len(records) == len(ULA_TRUTHS_DEG) * ULA_WINDOWS // 10
    for record in records:
        (truth,) = record["truth_azimuth_deg"]
        assert angle_error_deg(record["azimuth_deg"][0], truth) < 0.5, record


# --- a UCA numbered counter-clockwise: the full circle with the default settings ------------------

UCA_CARRIER_HZ = 2.4e9
UCA_TRUTHS_DEG = (-170.0, -100.0, -30.0, 45.0, 120.0, 175.0)


@pytest.fixture(scope="module")
def uca_capture(tmp_path_factory) -> Path:
    positions = uca_counter_clockwise(8, wavelength(UCA_CARRIER_HZ) / 2.0)
    emitters = [Emitter(truth, 1024, 20.0) for truth in UCA_TRUTHS_DEG]
    return write_recording(
        tmp_path_factory.mktemp("uca") / "uca_ccw", positions, UCA_CARRIER_HZ, emitters, seed=2
    )


def test_the_uca_is_numbered_counter_clockwise(uca_capture) -> None:
    positions = read_capture(uca_capture).geometry.positions_m
    # Seen from above with +y to the left, counter-clockwise is x -> y: the angle atan2(y, x) grows.
    angles = np.unwrap(np.arctan2(positions[:, 1], positions[:, 0]))
    assert np.all(np.diff(angles) > 0)


@pytest.mark.parametrize("method", ["bartlett", "mvdr", "music", "coarray-dbf", "scg"])
def test_a_counter_clockwise_uca_finds_an_emitter_anywhere_on_the_circle(uca_capture, method: str) -> None:
    records = replay(uca_capture, method=method)  # the default settings: no grid, 1024 snapshots
    assert len(records) == len(UCA_TRUTHS_DEG)
    for record in records:
        (truth,) = record["truth_azimuth_deg"]
        assert angle_error_deg(record["azimuth_deg"][0], truth) < 1.0, (method, record)


@pytest.mark.parametrize("method", ["root-music", "esprit"])
def test_root_music_and_esprit_refuse_a_uca(uca_capture, method: str) -> None:
    with pytest.raises(
        ValueError, match=r"needs a horizontal uniform linear array in element order.*do not lie on one line"
    ):
        ReplayFlowgraph(str(uca_capture), ReplaySettings(method=method))


def test_bearing_estimate_on_a_counter_clockwise_uca_with_no_options(uca_capture) -> None:
    records = run_bearing(str(uca_capture))
    assert [record["truth_azimuth_deg"] for record in records] == [[truth] for truth in UCA_TRUTHS_DEG]
    for record in records:
        assert angle_error_deg(record["azimuth_deg"][0], record["truth_azimuth_deg"][0]) < 1.0, record


# --- URAs in the y-z plane: azimuth and elevation -----------------------------------------------

URA_TRUTH_DEG = (20.0, 30.0)


@pytest.fixture(scope="module")
def ura_captures(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ura")
    captures = {}
    for name, size, carrier_hz in (("4x4", 4, 2.4e9), ("16x16-28GHz", 16, 28e9)):
        positions = ura_column_by_column(size, wavelength(carrier_hz) / 2.0)
        emitter = Emitter(URA_TRUTH_DEG[0], 256, 20.0, elevation_deg=URA_TRUTH_DEG[1])
        captures[name] = write_recording(folder / f"ura_{name}", positions, carrier_hz, [emitter], seed=3)
    return captures


@pytest.mark.parametrize("name", ["4x4", "16x16-28GHz"])
@pytest.mark.parametrize("method", ["music", "esprit", "bartlett", "mvdr"])
def test_a_ura_in_the_y_z_plane_estimates_azimuth_and_elevation(ura_captures, name: str, method: str) -> None:
    (record,) = replay(ura_captures[name], method=method, average=256)
    assert record["method"] == method
    assert record["truth_azimuth_deg"] == [URA_TRUTH_DEG[0]]
    assert record["truth_elevation_deg"] == [URA_TRUTH_DEG[1]]
    assert len(record["azimuth_deg"]) == len(record["elevation_deg"]) == 1
    assert abs(record["azimuth_deg"][0] - URA_TRUTH_DEG[0]) < 0.5, record
    assert abs(record["elevation_deg"][0] - URA_TRUTH_DEG[1]) < 0.5, record


def test_bearing_estimate_refuses_root_music_on_a_ura_with_a_clear_message(ura_captures) -> None:
    result = bearing("estimate", ura_captures["4x4"], "--method", "root-music", check=False, timeout_s=120)
    assert result.returncode == 2 and not result.stdout
    assert result.stderr.startswith("bearing: error:")
    assert "estimates azimuth only" in result.stderr and "resolves elevation" in result.stderr


@pytest.mark.parametrize("method", ["root-music", "coarray-dbf", "scg"])
def test_azimuth_only_methods_refuse_a_ura(ura_captures, method: str) -> None:
    with pytest.raises(GeometryError, match=r"estimates azimuth only.*resolves elevation"):
        ReplayFlowgraph(str(ura_captures["4x4"]), ReplaySettings(method=method))


# --- the spec's own examples: a square in the x-y plane, a 2 x 3 planar array, mounts -------------


def test_the_specs_square_array_in_the_x_y_plane(tmp_path) -> None:
    """The spec's four-element square (x-y plane, 160 MHz), an emitter at 202.812 deg."""
    positions = [[0.25, 0.25, 0.0], [0.25, -0.25, 0.0], [-0.25, -0.25, 0.0], [-0.25, 0.25, 0.0]]
    path = write_recording(tmp_path / "square", positions, 160e6, [Emitter(202.812, 4096, 20.0)], seed=4)
    assert field_of_view(read_capture(path).geometry).full_circle
    for method in ("music", "mvdr"):
        (record,) = replay(path, method=method, average=4096)
        assert record["truth_azimuth_deg"] == [202.812]
        assert angle_error_deg(record["azimuth_deg"][0], 202.812) < 1.0, record
        assert -180.0 <= record["azimuth_deg"][0] < 180.0


def test_the_specs_2x3_planar_array_with_its_aperture_bearing(tmp_path) -> None:
    """The spec's six-element planar array (y-z plane, 1.26 GHz, listed as the spec lists it), pointed
    at 1.13124 deg east of north, an emitter at (59.431, 13.681)."""
    positions = [
        [0, 0.1, 0.05],
        [0, 0, 0.05],
        [0, -0.1, 0.05],
        [0, 0.1, -0.05],
        [0, 0, -0.05],
        [0, -0.1, -0.05],
    ]
    mount = {"spatial:aperture_bearing": {"azimuth": 1.13124}}
    emitter = Emitter(59.431, 4096, 25.0, elevation_deg=13.681, segment_fields=mount)
    path = write_recording(tmp_path / "planar2x3", positions, 1.26e9, [emitter], seed=5)
    for method in ("music", "esprit"):
        (record,) = replay(path, method=method, average=4096)
        assert abs(record["azimuth_deg"][0] - 59.431) < 0.5, record
        assert abs(record["elevation_deg"][0] - 13.681) < 0.5, record
        np.testing.assert_allclose(
            record["true_azimuth_deg"], (1.13124 + np.array(record["azimuth_deg"])) % 360.0
        )
        np.testing.assert_allclose(record["true_elevation_deg"], record["elevation_deg"], atol=1e-9)


@pytest.mark.parametrize("method", ["music", "scg"])
def test_an_aperture_azimuth_gives_true_bearings(tmp_path, method: str) -> None:
    """The spec's example: aperture_azimuth 270 and a signal at 135 relative to it: (270 + 135) % 360 = 45."""
    mount = {"spatial:aperture_azimuth": 270.0}
    positions = uca_counter_clockwise(8, wavelength(UCA_CARRIER_HZ) / 2.0)
    emitters = [Emitter(truth, 1024, 20.0, segment_fields=mount) for truth in (135.0, -100.0)]
    path = write_recording(tmp_path / "mounted", positions, UCA_CARRIER_HZ, emitters, seed=6)
    records = replay(path, method=method)
    assert len(records) == 2
    for record, true_deg in zip(records, (45.0, 170.0), strict=True):
        expected = (270.0 + np.array(record["azimuth_deg"])) % 360.0
        np.testing.assert_allclose(record["true_azimuth_deg"], expected, atol=1e-9)
        assert angle_error_deg(record["true_azimuth_deg"][0], true_deg) < 1.0, record
        assert "true_elevation_deg" not in record  # azimuth only, mounted level


def test_an_aperture_azimuth_on_a_ula_listed_along_plus_y(tmp_path) -> None:
    mount = {"spatial:aperture_azimuth": 270.0}
    positions = ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0)
    emitters = [Emitter(truth, 1024, 20.0, segment_fields=mount) for truth in (-10.0, 10.0)]
    path = write_recording(tmp_path / "mounted_ula", positions, ULA_CARRIER_HZ, emitters, seed=7)
    records = run_bearing(str(path), "--method", "root-music")
    assert [record["true_azimuth_deg"][0] for record in records] == pytest.approx([260.0, 280.0], abs=0.5)


def test_a_tilted_and_rolled_ula_gives_the_horizon_azimuth_of_an_emitter_on_the_horizon(tmp_path) -> None:
    """A mast's ULA, boresight 200 deg east of north, tilted down 10 deg and rolled 3 deg
    (spatial:aperture_bearing and aperture_rotation), hears emitters on the horizon; their
    directions in the array frame come from scipy's rotations, not ours."""
    from scipy.spatial.transform import Rotation

    heading, tilt, roll = 200.0, -10.0, 3.0
    mount = {
        "spatial:aperture_bearing": {"azimuth": heading, "elevation": tilt},
        "spatial:aperture_rotation": roll,
    }
    to_local = Rotation.from_euler("ZYX", [-heading, -tilt, roll], degrees=True)  # array -> (N, W, U)
    truths = (160.0, 200.0)  # where the bearing read in the array's plane is 0.5 to 0.7 deg off
    emitters = []
    for true_deg in truths:
        north_west_up = [np.cos(np.deg2rad(true_deg)), -np.sin(np.deg2rad(true_deg)), 0.0]
        x, y, z = to_local.inv().apply(north_west_up)
        azimuth, elevation = np.rad2deg(np.arctan2(-y, x)), np.rad2deg(np.arcsin(z))
        emitters.append(Emitter(azimuth, 1024, 25.0, elevation_deg=elevation, segment_fields=mount))
    positions = ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0)
    path = write_recording(tmp_path / "mast_ula", positions, ULA_CARRIER_HZ, emitters, seed=8)
    records = run_bearing(str(path), "--method", "music")
    assert len(records) == 2
    for record, true_deg in zip(records, truths, strict=True):
        assert angle_error_deg(record["horizon_azimuth_deg"][0], true_deg) < 0.2, record
        assert angle_error_deg(record["true_azimuth_deg"][0], true_deg) > 0.3, record  # in the array's plane


# --- no bearing outside the field of view, whatever grid the user gives ----------------------------


@pytest.mark.parametrize("method", ["coarray-dbf", "scg"])
def test_coarray_methods_report_no_bearing_outside_the_field_of_view(ula_capture, method: str) -> None:
    flowgraph = ReplayFlowgraph(
        str(ula_capture),
        ReplaySettings(
            method=method,
            average=ULA_WINDOW * 10,
            grid_start_deg=-180.0,
            grid_stop_deg=180.0,
            grid_step_deg=0.5,
        ),
    )
    assert flowgraph.warnings and "reported there only" in flowgraph.warnings[0]
    flowgraph.run()
    outside = [r["azimuth_deg"] for r in flowgraph.records if not -90.0 <= r["azimuth_deg"][0] <= 90.0]
    assert not outside, f"{len(outside)} of {len(flowgraph.records)} records behind the array: {outside[:5]}"


def test_classical_methods_report_no_bearing_outside_the_field_of_view(ula_capture) -> None:
    grid = {"grid_start_deg": -180.0, "grid_stop_deg": 180.0, "grid_step_deg": 0.5}
    for method in ("bartlett", "mvdr", "music"):
        records = replay(ula_capture, method=method, average=ULA_WINDOW * 10, **grid)
        assert all(-90.0 <= r["azimuth_deg"][0] <= 90.0 for r in records), method


@pytest.mark.parametrize("method", ["bartlett", "music"])
def test_2d_methods_report_no_bearing_outside_the_field_of_view(ura_captures, method: str) -> None:
    settings = ReplaySettings(
        method=method, average=256, grid_start_deg=-180.0, grid_stop_deg=180.0, grid_step_deg=2.0
    )
    flowgraph = ReplayFlowgraph(str(ura_captures["4x4"]), settings)
    assert flowgraph.warnings and "reported there only" in flowgraph.warnings[0]
    flowgraph.run()
    (record,) = flowgraph.records
    assert -90.0 <= record["azimuth_deg"][0] <= 90.0, record


# --- positions as people write them: rounded, or measured with a small error ----------------------


def turned(positions: np.ndarray, angle_deg: float) -> np.ndarray:
    """Positions turned by ``angle_deg`` of azimuth (clockwise seen from above)."""
    c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))
    return positions @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]).T


def agrees_or_refuses(path: Path, method: str, tolerance_deg: float = 1.0) -> list:
    """The records whose bearing misses the truth by more than ``tolerance_deg`` (empty when the
    replay refuses the capture with a ValueError)."""
    try:
        records = replay(path, method=method)
    except ValueError:
        return []
    return [
        (record["truth_azimuth_deg"][0], record["azimuth_deg"], record.get("elevation_deg"))
        for record in records
        if angle_error_deg(record["azimuth_deg"][0], record["truth_azimuth_deg"][0]) > tolerance_deg
    ]


def test_a_turned_ula_written_to_a_tenth_of_a_millimetre(tmp_path) -> None:
    positions = turned(ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0), 30.0)
    emitters = [Emitter(truth, 1024, 20.0) for truth in (10.0, 40.0, 70.0, -20.0)]
    path = write_recording(
        tmp_path / "turned_ula",
        positions,
        ULA_CARRIER_HZ,
        emitters,
        seed=8,
        positions_written_m=np.round(positions, 4),
    )
    assert not agrees_or_refuses(path, "music")


def test_a_ula_with_a_20_micrometre_height_error(tmp_path) -> None:
    positions = ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0)
    written = positions.copy()
    written[3, 2] = 2e-5
    emitter = Emitter(30.0, 64 * 20, 10.0)
    path = write_recording(
        tmp_path / "ula_z", positions, ULA_CARRIER_HZ, [emitter], seed=3, positions_written_m=written
    )
    try:
        records = replay(path, method="music", average=64)
    except ValueError:
        return
    misses = [
        (r["azimuth_deg"], r.get("elevation_deg")) for r in records if abs(r["azimuth_deg"][0] - 30.0) > 1.0
    ]
    assert not misses, misses


@pytest.mark.parametrize("method", ["root-music", "esprit"])
def test_root_music_and_esprit_on_a_ula_written_to_a_tenth_of_a_millimetre(tmp_path, method: str) -> None:
    positions = ula_along_plus_y(8, wavelength(ULA_CARRIER_HZ) / 2.0)
    emitters = [Emitter(truth, 1024, 20.0) for truth in (-10.0, 10.0)]
    path = write_recording(
        tmp_path / "ula_mm",
        positions,
        ULA_CARRIER_HZ,
        emitters,
        seed=9,
        positions_written_m=np.round(positions, 4),
    )
    try:
        records = replay(path, method=method)
    except ValueError as error:
        assert re.search(r"step|spacing|equal", str(error)), str(error)
        return
    for record in records:
        assert angle_error_deg(record["azimuth_deg"][0], record["truth_azimuth_deg"][0]) < 0.5, record


def test_forward_backward_averaging_needs_a_centro_symmetric_array(uca_capture, ura_captures) -> None:
    """J R* J equals R only when element m mirrors element M-1-m: a UCA is refused, a URA listed
    column by column is symmetric and keeps its accuracy."""
    with pytest.raises(GeometryError, match="forward-backward averaging needs an array symmetric"):
        ReplayFlowgraph(str(uca_capture), ReplaySettings(forward_backward=True))
    (record,) = replay(ura_captures["4x4"], method="music", average=256, forward_backward=True)
    assert abs(record["azimuth_deg"][0] - URA_TRUTH_DEG[0]) < 0.5
    assert abs(record["elevation_deg"][0] - URA_TRUTH_DEG[1]) < 0.5
