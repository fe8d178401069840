"""End-to-end tests of the installed `bearing` command."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing.blocks import messages
from helpers.command import bearing


def test_estimate_json_follows_the_sigmf_angle_convention(make_capture):
    """An annotation of +40 deg (clockwise from boresight) is estimated at +40, not -40."""
    path = make_capture(azimuths_deg=(40.0, 40.0), segment_length=600)
    records = [
        json.loads(line)
        for line in bearing(
            "estimate", path, "--method", "music", "--average", "300", "--json"
        ).stdout.splitlines()
    ]
    assert [r["sample_start"] for r in records] == [0, 300, 600, 900]
    for record in records:
        assert {"sample_start", "sample_count", "azimuth_deg", "num_sources", "method"} <= set(record)
        assert record["sample_count"] == 300 and record["num_sources"] == 1 and record["method"] == "music"
        assert record["azimuth_deg"][0] == pytest.approx(40.0, abs=0.5)
        assert record["truth_azimuth_deg"] == [40.0]


@pytest.mark.parametrize("method", ["mvdr", "scg"])
def test_estimate_text_table_and_plot(make_capture, tmp_path, method):
    path = make_capture(azimuths_deg=(-30.0, 10.0))
    plot = tmp_path / "spectrum.png"
    result = bearing("estimate", path, "--method", method, "--average", "256", "--plot", plot)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["sample_start", "samples", "azimuth_deg", "truth_deg", "error_deg"]
    assert len(lines) == 1 + 4 and all(float(line.split()[-1]) < 0.5 for line in lines[1:])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_prints_statistics_per_method(make_capture):
    path = make_capture(azimuths_deg=(-50.0, -10.0, 25.0, 55.0), snr_db=30.0)
    rows = [
        json.loads(line)
        for line in bearing(
            "evaluate", path, "--method", "music,bartlett", "--average", "512", "--json"
        ).stdout.splitlines()
    ]
    assert [row["method"] for row in rows] == ["music", "bartlett"]
    for row in rows:
        assert row["count"] == 4 and row["missed"] == 0 and row["skipped"] == 0
        assert row["p80_deg"] < 0.5
        assert row["rmse_deg"] <= row["max_deg"]
    table = bearing("evaluate", path, "--method", "esprit", "--average", "512").stdout.splitlines()
    assert table[0].split() == [
        "capture",
        "method",
        "count",
        "missed",
        "skipped",
        "rmse_deg",
        "median_deg",
        "p80_deg",
        "p95_deg",
        "max_deg",
    ]
    assert table[1].split()[1] == "esprit"


@pytest.mark.parametrize("method", ["coarray-dbf", "scg"])
def test_estimate_with_the_coarray_methods_reports_the_annotated_bearing(make_capture, method):
    path = make_capture(azimuths_deg=(40.0, -25.0), segment_length=600)
    lines = bearing("estimate", path, "--method", method, "--average", "300", "--json").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["sample_start"] for r in records] == [0, 300, 600, 900]
    for record in records:
        assert list(record) == [key for key in messages.RECORD_KEYS if key != "ue"]  # ue: SRS only
        assert record["method"] == method and record["num_sources"] == 1 and record["peak_db"] == [0.0]
        assert record["azimuth_deg"][0] == pytest.approx(record["truth_azimuth_deg"][0], abs=0.5)


def test_evaluate_compares_classical_and_coarray_methods(make_capture):
    """At 10 dB SCG stays as accurate as MUSIC: the replay removes the noise floor before it."""
    path = make_capture(azimuths_deg=(-50.0, -10.0, 25.0, 55.0), snr_db=10.0)
    methods = "music,coarray-dbf,scg"
    result = bearing("evaluate", path, "--method", methods, "--average", "512", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["method"] for row in rows] == methods.split(",")
    for row in rows:
        assert row["count"] == 4 and row["missed"] == 0 and row["skipped"] == 0
        assert row["p80_deg"] < 0.5, row
    table = bearing("evaluate", path, "--method", methods, "--average", "512").stdout.splitlines()
    assert [line.split()[1] for line in table] == ["method", *methods.split(",")]


def test_a_window_without_power_is_skipped_by_the_coarray_methods(make_capture):
    path = make_capture(azimuths_deg=(40.0,), segment_length=1024)
    data = np.memmap(path.with_suffix(".sigmf-data"), dtype=np.complex64, mode="r+").reshape(-1, 4)
    data[256:512] = 0.0
    data.flush()
    for method in ("coarray-dbf", "scg"):
        result = bearing("evaluate", path, "--method", method, "--average", "256", "--json")
        (row,) = [json.loads(line) for line in result.stdout.splitlines()]
        assert row["count"] == 3 and row["skipped"] == 1
        assert "1 windows dropped: NaN, infinite or all-zero samples" in result.stderr  # no signal


def test_info_describes_the_capture(make_capture):
    path = make_capture(azimuths_deg=(-20.0, 20.0), num_elements=6)
    info = json.loads(bearing("info", path, "--json").stdout)
    assert info["num_channels"] == 6 and info["num_segments"] == 2 and info["num_annotations"] == 2
    assert info["annotated_azimuth_deg"] == [-20.0, 20.0]


def _truncate(path: Path) -> None:
    data = path.with_suffix(".sigmf-data")
    data.write_bytes(data.read_bytes()[:-3])


def _drop_geometry(path: Path) -> None:
    meta = json.loads(path.read_text())
    for entry in meta["captures"]:
        entry.pop("spatial:element_geometry", None)
    path.write_text(json.dumps(meta))


def _unknown_datatype(path: Path) -> None:
    meta = json.loads(path.read_text())
    meta["global"]["core:datatype"] = "cf64_be"
    path.write_text(json.dumps(meta))


def _wrong_channel_count(path: Path) -> None:
    meta = json.loads(path.read_text())
    meta["global"]["core:num_channels"] = 3
    path.write_text(json.dumps(meta))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncate, "truncated|multiple"),
        (_drop_geometry, "spatial:element_geometry"),
        (_unknown_datatype, "core:datatype"),
        (_wrong_channel_count, "core:num_channels"),
    ],
)
def test_bad_captures_give_one_clear_line(make_capture, damage, message):
    path = make_capture()
    damage(path)
    for command in (["estimate", path, "--json"], ["info", path], ["evaluate", path]):
        result = bearing(*command, check=False)
        assert result.returncode == 2
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("bearing: error: ")
        assert re.search(message, lines[0])


def test_bad_arguments_are_reported_without_traceback(make_capture, tmp_path):
    path = make_capture()
    for args, message in (
        (["estimate", tmp_path / "missing.sigmf-meta"], "missing"),
        (["estimate", path, "--sources", "4"], "num_sources"),
        (["estimate", path, "--average", "0"], "average"),
        (["evaluate", path, "--method", "music,magic"], "magic"),
        (["estimate", path, "--method", "scg", "--sources", "0"], "--sources"),
        (["estimate", path, "--method", "coarray-dbf", "--sources", "-1"], "--sources"),
        (["estimate", path, "--sources", "two"], "--sources"),
    ):
        result = bearing(*args, check=False)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert message in result.stderr


def _evaluate(path: Path, methods: str = "music") -> list[dict]:
    result = bearing("evaluate", path, "--method", methods, "--average", "1024", "--json")
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_ideal_demo_array_is_accurate_and_the_bundled_impaired_one_shows_the_error_floor(tmp_path):
    """rho = 0: MUSIC p80 below 0.2 deg; the bundled rho = 1 capture: classical p80 above 1 deg."""
    ideal = bearing("simulate", "--preset", "demo_ula4", "--rho", "0", "--out", tmp_path / "sub" / "ideal")
    ideal_path = Path(ideal.stdout.strip())
    assert ideal_path == tmp_path / "sub" / "ideal.sigmf-meta" and ideal_path.exists()
    (ideal_row,) = _evaluate(ideal_path)
    assert ideal_row["count"] == 121 and ideal_row["p80_deg"] < 0.2

    bundled = Path(__file__).resolve().parents[2] / "examples" / "data" / "demo_ula4.sigmf-meta"
    for row in _evaluate(bundled, "bartlett,mvdr,music,root-music,esprit"):
        assert row["count"] == 121 and row["p80_deg"] > 1.0, row


def test_simulate_is_reproducible_and_stores_the_scenario(tmp_path):
    first = Path(
        bearing(
            "simulate", "--preset", "demo_ula4", "--seed", "7", "--snr-db", "3", "--out", tmp_path / "a"
        ).stdout.strip()
    )
    second = Path(
        bearing(
            "simulate", "--preset", "demo_ula4", "--seed", "7", "--snr-db", "3", "--out", tmp_path / "b"
        ).stdout.strip()
    )
    assert first.with_suffix(".sigmf-data").read_bytes() == second.with_suffix(".sigmf-data").read_bytes()
    scenario = json.loads(first.read_text())["global"]["bearing:scenario"]
    assert scenario["seed"] == 7 and scenario["emitters"][0]["snr_db"] == 3.0

    scenario_file = tmp_path / "scenario.json"
    scenario_file.write_text(json.dumps(scenario))
    third = Path(bearing("simulate", "--scenario", scenario_file, "--out", tmp_path / "c").stdout.strip())
    assert third.with_suffix(".sigmf-data").read_bytes() == first.with_suffix(".sigmf-data").read_bytes()


def test_bad_scenarios_are_named(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = bearing("simulate", "--scenario", broken, "--out", tmp_path / "x", check=False)
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    result = bearing("simulate", "--preset", "demo_ula4", "--rho", "2", "--out", tmp_path / "x", check=False)
    assert result.returncode == 2 and "rho" in result.stderr and "Traceback" not in result.stderr


def _spoil_sample(path: Path, sample: int, channel: int, value: complex) -> None:
    """Overwrites one sample of a cf32 capture of 4 channels in place."""
    data = np.memmap(path.with_suffix(".sigmf-data"), dtype=np.complex64, mode="r+").reshape(-1, 4)
    data[sample, channel] = value
    data.flush()


def test_nan_samples_skip_their_window_with_a_warning(make_capture):
    path = make_capture(azimuths_deg=(40.0,), segment_length=1024)
    _spoil_sample(path, 300, 2, np.nan)
    result = bearing("estimate", path, "--average", "256", "--json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["sample_start"] for r in records] == [0, 512, 768]
    assert "1 windows dropped: NaN, infinite or all-zero samples" in result.stderr


def _one_error_line(result: subprocess.CompletedProcess, pattern: str) -> None:
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bearing: error: "), result.stderr
    assert re.search(pattern, lines[0]), lines[0]


def test_argument_errors_are_one_line(make_capture):
    path = make_capture()
    _one_error_line(bearing("estimate", path, "--grid", "a", "b", "c", check=False), "invalid float value")
    _one_error_line(bearing("estimate", path, "--method", "magic", check=False), "invalid choice")
    _one_error_line(bearing("estimate", path, "--grid", "-90", "90", "1e-9", check=False), "at most 100000")
    _one_error_line(bearing("frobnicate", check=False), "invalid choice")


def test_evaluate_without_any_estimate_warns_and_fails(make_capture):
    """Issue 20: a run that estimated nothing is an error (it used to print a row of nulls, status 0)."""
    path = make_capture(azimuths_deg=(10.0, 20.0), segment_length=300)
    result = bearing("evaluate", path, "--average", "1000", "--json", check=False)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert "no window of 1000 samples fits in a capture segment (the longest holds 300)" in lines[0]
    assert lines[-1].startswith("bearing: error: no window was estimated in any capture")


def test_evaluate_counts_skipped_windows(make_capture):
    path = make_capture(azimuths_deg=(40.0,), segment_length=1024)
    _spoil_sample(path, 600, 0, np.inf)
    (row,) = [
        json.loads(line)
        for line in bearing("evaluate", path, "--average", "256", "--json").stdout.splitlines()
    ]
    assert row["count"] == 3 and row["skipped"] == 1


def test_convention_against_a_physical_wave_from_the_right(tmp_path):
    """Independent of array_model: a point emitter 1 km away, 40 deg to the right of boresight.

    In the SigMF frame (x boresight, y left) "to the right" is -y, and the phase of each
    element follows the exact path length: exp(-j 2 pi |emitter - r_m| / lambda).
    """
    from gnuradio.bearing.array.geometry import ArrayGeometry
    from gnuradio.bearing.captures.schema import Truth
    from gnuradio.bearing.captures.writer import write_capture

    carrier_hz, speed = 2.4e9, 299_792_458.0
    wavelength = speed / carrier_hz
    y = np.array([1.5, 0.5, -0.5, -1.5]) * wavelength / 2  # a ULA across boresight
    positions = np.column_stack([np.zeros(4), y, np.zeros(4)])
    emitter = 1000.0 * np.array([np.cos(np.deg2rad(40.0)), -np.sin(np.deg2rad(40.0)), 0.0])
    path_m = np.linalg.norm(emitter - positions, axis=1)
    rng = np.random.default_rng(5)
    symbols = rng.standard_normal(2048) + 1j * rng.standard_normal(2048)
    noise = 0.05 * (rng.standard_normal((2048, 4)) + 1j * rng.standard_normal((2048, 4)))
    samples = symbols[:, None] * np.exp(-2j * np.pi * path_m / wavelength)[None, :] + noise
    capture = write_capture(
        tmp_path / "right",
        samples.astype(np.complex64),
        sample_rate_hz=1e6,
        frequency_hz=carrier_hz,
        geometry=ArrayGeometry(positions),
        truths=[Truth(0, 2048, 40.0)],
    )
    for method in ("music", "esprit"):
        (record,) = [
            json.loads(line)
            for line in bearing(
                "estimate", capture, "--method", method, "--average", "2048", "--json"
            ).stdout.splitlines()
        ]
        assert record["azimuth_deg"][0] == pytest.approx(40.0, abs=0.2), method
