"""`bearing calibrate --method idl-tlbo`: the channel gains of an array from three sources at
unknown bearings (self-calibration), as a channel-calibration file that `bearing estimate
--calibration CAL.json` removes from the samples; and the refusals, one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing import cli
from gnuradio.bearing.array.channel_calibration import load_calibration
from gnuradio.bearing.array.geometry import wavelength_m
from gnuradio.bearing.array.impairments import perturbation_spec
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.scenario import ArraySpec, Emitter, ImpairmentConfig, Scenario
from gnuradio.bearing.doa.self_calibration import without_linear_phase
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from gnuradio.bearing.nr.metadata import NR_EXTENSION
from helpers.command import bearing

FREQUENCY_HZ = 2.4e9
TRUTH_DEG = (-30.0, 5.0, 40.0)
SNAPSHOTS = 1000


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    """An 8-element half-wavelength ULA at 2.4 GHz with channel gain and phase errors of 1 dB and
    10 deg (standard deviations, no position error), three sources at 20 dB, two segments of 1000
    snapshots; simulated by `bearing simulate --scenario`."""
    folder = tmp_path_factory.mktemp("idl_tlbo")
    scenario = Scenario(
        array=ArraySpec(kind="ula", num_elements=8, spacing_m=wavelength_m(FREQUENCY_HZ) / 2),
        frequency_hz=FREQUENCY_HZ,
        sample_rate_hz=1e6,
        emitters=tuple(Emitter(azimuth_deg=a, snr_db=20.0) for a in TRUTH_DEG),
        snapshots_per_segment=SNAPSHOTS,
        num_segments=2,
        impairments=ImpairmentConfig(rho=1.0, seed=3, spec=perturbation_spec(1.0, 10.0, 0.0)),
        seed=7,
    )
    (folder / "scenario.json").write_text(scenario.to_json())
    out = bearing("simulate", "--scenario", folder / "scenario.json", "--out", folder / "impaired")
    return Path(out.stdout.strip())


@pytest.fixture(scope="module")
def calibrated(capture) -> tuple[Path, dict]:
    """`bearing calibrate --method idl-tlbo CAP --sources 3`: the file and the JSON summary."""
    out = capture.parent / "cal.json"
    result = bearing("calibrate", "--method", "idl-tlbo", capture, "--sources", "3", "--out", out, "--json")
    assert f"channel calibration written to {out}" in result.stderr
    return out, json.loads(result.stdout)


def _true_gains(capture: Path) -> np.ndarray:
    """The simulated channel gains (element 0 the reference: 0 dB, 0 deg)."""
    realisation = read_capture(capture).global_info["bearing:impairments"]
    return 10 ** (np.asarray(realisation["gain_db"]) / 20) * np.exp(1j * np.deg2rad(realisation["phase_deg"]))


def _aligned_errors(
    correction: np.ndarray, truth: np.ndarray, positions_m: np.ndarray
) -> tuple[float, float]:
    """The largest amplitude (dB) and phase (deg) error of a channel correction against the true
    one, up to what no self-calibration can find: a common complex factor and a linear phase trend
    across the array (both removed from each, then the common factor fitted)."""
    a, b = without_linear_phase(correction, positions_m), without_linear_phase(truth, positions_m)
    a = a * (np.vdot(a, b) / np.vdot(a, a))
    ratio = a / b
    return float(np.max(np.abs(20 * np.log10(np.abs(ratio))))), float(
        np.max(np.abs(np.angle(ratio, deg=True)))
    )


def test_the_file_holds_the_channel_gains_up_to_a_common_factor_and_a_linear_phase_trend(capture, calibrated):
    path, summary = calibrated
    calibration = load_calibration(path)
    recording = read_capture(capture)
    assert calibration.method == "idl-tlbo" and calibration.frequency_hz == FREQUENCY_HZ
    np.testing.assert_allclose(calibration.positions_m, recording.geometry.positions_m)
    assert calibration.gains[0] == 1.0 and calibration.gains.shape == (8,)
    positions = recording.geometry.positions_m
    true_correction = 1.0 / _true_gains(capture)
    gain_db, phase_deg = _aligned_errors(1.0 / calibration.gains, true_correction, positions)
    # Measured (seed 0, the default prior, 60 learners): 0.025 dB and 0.08 deg; uncalibrated 1.96 dB
    # and 23.4 deg.
    assert gain_db < 0.15 and phase_deg < 1.0
    raw_db, raw_deg = _aligned_errors(np.ones(8), true_correction, positions)
    assert raw_db > 1.5 and raw_deg > 15.0
    assert (
        summary["method"] == "idl-tlbo" and summary["sources"] == 3 and summary["snapshots"] == 2 * SNAPSHOTS
    )
    assert summary["calibration"] == str(path) and summary["snapshots_dropped"] == 0
    assert summary["gain_db"] == pytest.approx(calibration.gain_db.tolist(), abs=1e-4)
    assert summary["phase_deg"] == pytest.approx(calibration.phase_deg.tolist(), abs=1e-4)
    # The bearings carry the common shift of the true phases' linear trend, not more.
    assert summary["azimuth_deg"] == sorted(summary["azimuth_deg"])
    assert summary["azimuth_deg"] == pytest.approx(TRUTH_DEG, abs=2.0)
    assert "elevation_deg" not in summary


def _separation_errors(capture: Path, *calibration: object) -> np.ndarray:
    """`bearing estimate --method music --sources 3`, per window: the errors of the two separations
    between neighbouring bearings in direction cosine ``sin(azimuth)``, where a linear phase trend
    across the array moves every bearing alike (so the separations are what a self-calibration
    can calibrate)."""
    result = bearing(
        "estimate",
        capture,
        "--method",
        "music",
        "--sources",
        "3",
        "--average",
        SNAPSHOTS,
        "--json",
        *calibration,
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 2 and all(
        r["truth_azimuth_deg"] == list(TRUTH_DEG) for r in records
    )  # tags passed
    truth = np.diff(np.sin(np.deg2rad(TRUTH_DEG)))
    return np.array([np.diff(np.sin(np.deg2rad(np.sort(r["azimuth_deg"])))) - truth for r in records])


def test_estimate_with_the_calibration_gives_separations_closer_to_the_truth(capture, calibrated):
    path, _ = calibrated
    raw = np.abs(_separation_errors(capture))
    corrected = np.abs(_separation_errors(capture, "--calibration", path))
    # Measured: up to 0.0031 in sin(azimuth) uncalibrated, 0.0002 calibrated.
    assert np.max(corrected) < np.max(raw) / 3
    assert np.max(raw) > 0.002 and np.max(corrected) < 0.001


def test_one_known_bearing_fixes_the_common_shift(capture, calibrated):
    """--reference: the bearing of one emitter (a beacon) puts the linear phase trend back into the
    gains, so the corrected bearings are right in absolute terms, not only in their separations."""
    unanchored, _ = calibrated
    path = capture.parent / "anchored.json"
    result = bearing(
        "calibrate", "--method", "idl-tlbo", capture, "--sources", "3", "--reference", "-30", "--out", path
    )
    assert "reference_deg          -30.00,0.00" in result.stdout.splitlines()

    def worst(*calibration: object) -> float:
        out = bearing("estimate", capture, "--sources", "3", "--average", SNAPSHOTS, "--json", *calibration)
        records = [json.loads(line) for line in out.stdout.splitlines()]
        return max(
            abs(a - t) for r in records for a, t in zip(sorted(r["azimuth_deg"]), TRUTH_DEG, strict=True)
        )

    raw, shifted, anchored = worst(), worst("--calibration", unanchored), worst("--calibration", path)
    # Measured: 1.13 deg uncalibrated, 1.35 deg calibrated without a known bearing, 0.014 with one.
    assert raw > 0.5 and shifted > 0.5
    assert anchored < 0.1


def test_the_replay_multiplies_the_samples_by_the_correction_right_after_the_capture_source(
    capture, calibrated
):
    """GNU Radio's own multiply_const_vcc, on the M-channel vectors, holds ``1 / g``; the tags pass
    through it (the truths reach the records)."""
    path, _ = calibrated
    settings = ReplaySettings(
        method="music", num_sources=3, average=SNAPSHOTS, channel_calibration_path=str(path)
    )
    flowgraph = ReplayFlowgraph(str(capture), settings)
    correction = np.asarray(flowgraph.correction.k(), dtype=np.complex64)
    np.testing.assert_allclose(correction, 1.0 / load_calibration(path).gains, rtol=1e-6)
    assert flowgraph.correction.input_signature().sizeof_stream_item(0) == 8 * 8  # 8 complex64 channels
    flowgraph.run()
    assert [r["truth_azimuth_deg"] for r in flowgraph.records] == [list(TRUTH_DEG)] * 2
    assert ReplayFlowgraph(str(capture), ReplaySettings(method="music")).correction is None


def _run(capsys, *args: object) -> tuple[int, str, str]:
    """`bearing ARGS` in this process (the refusals: no start-up of a new interpreter each)."""
    status = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _one_error_line(capsys, *args: object, parts: tuple[str, ...]) -> None:
    status, out, err = _run(capsys, *args)
    assert status == 2, err
    assert out == "" and err.count("\n") == 1 and err.startswith("bearing: error: "), err
    for part in parts:
        assert part in err, err


def _edited(path: Path, out: Path, **fields) -> Path:
    record = json.loads(path.read_text()) | fields
    out.write_text(json.dumps(record))
    return out


def test_a_calibration_of_another_array_or_carrier_is_refused(capture, calibrated, tmp_path, capsys):
    path, _ = calibrated
    record = json.loads(path.read_text())
    other_carrier = _edited(path, tmp_path / "carrier.json", frequency_hz=2.5e9)
    parts = (str(other_carrier), "measured at 2.5e+09 Hz", "2.4e+09 Hz")
    _one_error_line(capsys, "estimate", capture, "--calibration", other_carrier, parts=parts)
    four = {key: record[key][:4] for key in ("positions_m", "gains_real", "gains_imag")}
    other_array = _edited(path, tmp_path / "array.json", **four)
    parts = (str(other_array), "an array of 4 elements at other positions")
    _one_error_line(capsys, "evaluate", capture, "--calibration", other_array, parts=parts)
    missing = tmp_path / "missing.json"
    _one_error_line(
        capsys, "estimate", capture, "--calibration", missing, parts=("cannot read the calibration file",)
    )


@pytest.mark.parametrize(
    ("args", "parts"),
    [
        (
            ("estimate", "{capture}", "--method", "calibrated-music", "--calibration", "{cal}"),
            ("a channel calibration", "calibrated-music"),
        ),
        (
            ("evaluate", "{capture}", "--method", "music,calibrated-music", "--calibration", "{cal}"),
            ("a channel calibration",),
        ),
        (
            ("estimate", "{capture}", "--calibration", "{tmp}/table.npz"),
            ("--calibration: the table of --method calibrated-music",),
        ),
        (("estimate", "{capture}", "--method", "calibrated-music"), ("give the array's calibration table",)),
        (("live", "--source", "sim:demo_ula4", "--calibration", "{cal}"), ("--calibrate file:",)),
        (("calibrate", "{capture}", "--method", "idl-tlbo", "--out", "{tmp}/c.json"), ("--sources K",)),
        (
            (
                "calibrate",
                "{capture}",
                "--method",
                "idl-tlbo",
                "--sources",
                "2",
                "--max-windows",
                "9",
                "--out",
                "{tmp}/c.json",
            ),
            ("--max-windows: options of --method manifold",),
        ),
        (
            ("calibrate", "{capture}", "--sources", "2", "--seed", "1", "--out", "{tmp}/t.npz"),
            ("--sources, --seed: options of --method idl-tlbo",),
        ),
        (
            ("calibrate", "{capture}", "--method", "idl-tlbo", "--sources", "2", "--out", "{tmp}/c.npz"),
            ("a channel calibration is a .json file",),
        ),
        (
            ("calibrate", "{capture}", "--method", "idl-tlbo", "--sources", "8", "--out", "{tmp}/c.json"),
            ("must be fewer than the array's 8 elements",),
        ),
        (
            ("calibrate", "{srs}", "--method", "idl-tlbo", "--sources", "2", "--out", "{tmp}/c.json"),
            ("an SRS capture",),
        ),
        (
            (
                "calibrate",
                "{capture}",
                "--method",
                "idl-tlbo",
                "--sources",
                "1",
                "--reference",
                "10",
                "--out",
                "{tmp}/c.json",
            ),
            ("--reference: a known bearing fixes the common shift of 2 or more",),
        ),
    ],
    ids=[
        "json-with-calibrated-music",
        "json-with-calibrated-music-in-evaluate",
        "npz-with-music",
        "calibrated-music-without-table",
        "json-in-live",
        "idl-tlbo-without-sources",
        "manifold-option-with-idl-tlbo",
        "idl-tlbo-options-with-manifold",
        "idl-tlbo-npz-out",
        "too-many-sources",
        "srs-capture",
        "reference-with-one-source",
    ],
)
def test_wrong_file_and_method_combinations_give_one_clear_line(
    capture, calibrated, tmp_path, capsys, args, parts
):
    srs = _as_srs(capture, tmp_path / "srs")
    filled = [arg.format(capture=capture, cal=calibrated[0], tmp=tmp_path, srs=srs) for arg in args]
    _one_error_line(capsys, *filled, parts=parts)
    assert not (tmp_path / "c.json").exists() and not (tmp_path / "t.npz").exists()


def _as_srs(capture: Path, out: Path) -> Path:
    """A copy of the capture that says it is an SRS capture (``nr:carrier``): refused before its
    samples are looked at."""
    meta = json.loads(capture.read_text())
    meta["global"]["nr:carrier"] = {}
    meta["global"]["core:extensions"].append(NR_EXTENSION)
    shutil.copyfile(capture.with_suffix(".sigmf-data"), out.with_suffix(".sigmf-data"))
    out.with_suffix(".sigmf-meta").write_text(json.dumps(meta))
    return out.with_suffix(".sigmf-meta")


def test_one_source_is_warned_about(capture, tmp_path, capsys):
    status, out, err = _run(
        capsys,
        "calibrate",
        "--method",
        "idl-tlbo",
        capture,
        "--sources",
        "1",
        "--snapshots",
        "500",
        "--iterations",
        "5",
        "--out",
        tmp_path / "one",
    )
    assert status == 0, err
    assert "bearing: warning: --sources 1" in err and "set by the prior only" in err
    assert load_calibration(tmp_path / "one.json").method == "idl-tlbo"
    assert "snapshots              500" in out.splitlines()
