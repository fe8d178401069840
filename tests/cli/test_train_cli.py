"""`bearing train`: a MoD-DNN model, its loss plot and the summary from a small calibration sweep."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing import cli
from gnuradio.bearing.captures.presets import calibration_ula4_scenario
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.scenario import Emitter
from gnuradio.bearing.captures.simulation import simulate, write
from gnuradio.bearing.captures.writer import write_capture
from gnuradio.bearing.learned import mod_dnn
from gnuradio.bearing.learned.calibration import CalibrationSet, model_config

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ANGLES_DEG = np.arange(-60.0, 60.1, 5.0)  # 25 segments, one angle each
SNAPSHOTS = 128  # per segment: two windows of 64 snapshots
STAGES = ["autoencoder", "subregion 0", "subregion 1", "subregion 2", "subregion 3"]
SUMMARY_KEYS = [
    "capture",
    "kind",
    "items",
    "windows",
    "dropped_windows",
    "dropped_without_truth",
    "windows_left_out",
    "outside_field_of_view",
    "stage",
    *STAGES,
    "read_seconds",
    "seconds",
    "model",
    "plot",
]


def sweep(path: Path, **changes) -> Path:
    """The calibration_ula4 array and emitter, swept over ANGLES_DEG in short segments."""
    fields = dict(
        emitters=(Emitter(azimuth_deg=-60.0, azimuth_end_deg=60.0, snr_db=10.0),),
        snapshots_per_segment=SNAPSHOTS,
        num_segments=ANGLES_DEG.size,
        gap_samples=100,
    )
    scenario = dataclasses.replace(calibration_ula4_scenario(), **(fields | changes))
    return write(simulate(scenario), path)


def train(capsys, *args: str) -> tuple[int, str, str]:
    """``bearing train`` with two epochs per stage and 64-snapshot windows: status, stdout, stderr."""
    status = cli.main(["train", "--epochs", "2", "--snapshots-per-window", "64", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    return sweep(tmp_path_factory.mktemp("sweep") / "sweep")


def test_train_writes_the_model_of_the_capture_array_the_plot_and_the_summary(capture, tmp_path, capsys):
    out = tmp_path / "models" / "ula4.pt"
    status, stdout, stderr = train(capsys, "--captures", capture, "--out", out, "--subregion-overlap", "5")
    assert status == 0, stderr
    model = mod_dnn.load(out)
    assert model.config.overlap_deg == 5.0
    assert [sub.grid_deg[0] for sub in model.subregions] == pytest.approx([-60.0, -35.0, -5.0, 25.0])
    recording = read_capture(capture)
    assert np.allclose(model.config.positions_m, recording.geometry.positions_m, rtol=0, atol=1e-12)
    assert model.config.frequency_hz == recording.frequency_hz == 4.85e9
    assert (model.config.kind, model.config.window_items, model.config.srs) == ("narrowband", 64, {})
    assert model.config.subcarrier_offsets_hz == (0.0,)
    model.check_array(recording.geometry.positions_m, recording.frequency_hz)
    plot = tmp_path / "models" / "ula4.loss.png"
    assert plot.read_bytes()[:8] == PNG_MAGIC

    lines = stdout.splitlines()
    assert [line[:22].strip() for line in lines] == SUMMARY_KEYS
    values = {line[:22].strip(): line[23:] for line in lines}
    assert values["capture"] == str(capture) and values["kind"] == "narrowband"
    assert (values["items"], values["windows"]) == (str(ANGLES_DEG.size * SNAPSHOTS), "50")
    assert (
        values["dropped_windows"]
        == values["dropped_without_truth"]
        == values["windows_left_out"]
        == values["outside_field_of_view"]
        == "0"
    )
    assert (values["model"], values["plot"]) == (str(out), str(plot))
    assert 0 < float(values["read_seconds"]) <= float(values["seconds"])
    assert lines[8].split() == ["stage", "epochs", "best_epoch", "best_val_loss"]
    rows = [line.rsplit(maxsplit=3) for line in lines[9:14]]
    assert [row[0] for row in rows] == STAGES
    history = model.history
    for stage, epochs, best_epoch, best_loss in rows:
        losses = {row["epoch"]: row["val_loss"] for row in history if row["stage"] == stage}
        assert int(epochs) == len(losses) == 2
        assert losses[int(best_epoch)] == pytest.approx(float(best_loss), rel=1e-4) == min(losses.values())

    progress = [line for line in stderr.splitlines() if "train_loss" in line]
    assert len(progress) == len(history) == 10
    assert progress[0].startswith("autoencoder   [##########----------]   1/2 ")
    assert progress[-1].startswith("subregion 3   [####################]   2/2 ")
    assert "val_loss" in progress[0] and progress[0].endswith(" s")
    assert "  stage 1/5  all left <= " in progress[0] and progress[-1].endswith("stage 5/5  all left <= 0 s")


def test_json_prints_one_object_per_epoch_then_the_summary(capture, tmp_path, capsys):
    out, plot = tmp_path / "m.pt", tmp_path / "plots" / "losses.png"
    status, stdout, stderr = train(capsys, "--captures", capture, "--out", out, "--plot", plot, "--json")
    assert status == 0, stderr
    assert "train_loss" not in stderr  # no text progress
    records = [json.loads(line) for line in stdout.splitlines()]
    epochs, summary = records[:-1], records[-1]
    assert [r["type"] for r in epochs] == ["epoch"] * 10 and summary["type"] == "summary"
    assert [(r["stage"], r["epoch"]) for r in epochs] == [(s, e) for s in STAGES for e in (1, 2)]
    for record in epochs:
        assert set(record) == {
            "type",
            "stage",
            "epoch",
            "max_epochs",
            "train_loss",
            "val_loss",
            "lr",
            "seconds",
            "stage_number",
            "stages",
            "all_left_s",
        }
        assert record["max_epochs"] == 2 and record["lr"] == 0.01 and record["val_loss"] > 0
        assert record["stages"] == 5 and record["stage_number"] == STAGES.index(record["stage"]) + 1
    left = [r["all_left_s"] for r in epochs]
    assert left[-1] == 0 and left[0] > 0 and min(left) >= 0
    assert [s["stage"] for s in summary["stages"]] == STAGES
    assert all(s["epochs"] == 2 and s["best_epoch"] in (1, 2) for s in summary["stages"])
    assert (
        summary["model"] == str(out)
        and summary["plot"] == str(plot)
        and summary["captures"] == [str(capture)]
    )
    assert plot.read_bytes()[:8] == PNG_MAGIC and not out.with_suffix(".loss.png").exists()
    assert mod_dnn.load(out).history == [
        {k: r[k] for k in r if k not in ("type", "max_epochs", "stage_number", "stages", "all_left_s")}
        for r in epochs
    ]


def test_max_windows_reads_that_many_windows_spread_over_the_sweep(capture, tmp_path, capsys):
    status, stdout, stderr = train(
        capsys, "--captures", capture, "--out", tmp_path / "m.pt", "--max-windows", "20", "--json"
    )
    assert status == 0, stderr
    summary = json.loads(stdout.splitlines()[-1])
    assert (summary["windows"], summary["windows_left_out"], summary["items"]) == (20, 30, 20 * 64)
    assert "50 windows of the captures hold a ground truth; 20 of them, spread evenly, are read" in stderr
    with pytest.raises(SystemExit):
        train(capsys, "--captures", capture, "--out", tmp_path / "m.pt", "--max-windows", "1")
    assert "--max-windows: expected an integer of at least 2, got '1'" in capsys.readouterr().err


def test_the_max_windows_default_is_the_readers():
    from gnuradio.bearing.cli.calibration_options import MAX_CALIBRATION_WINDOWS
    from gnuradio.bearing.flowgraphs.calibration_capture import MAX_WINDOWS

    assert MAX_CALIBRATION_WINDOWS == MAX_WINDOWS


def test_estimate_and_evaluate_use_the_trained_model(capture, tmp_path, capsys):
    """--model reaches the replay: mod-dnn estimates on 64-snapshot windows, the model's."""
    model = tmp_path / "m.pt"
    assert train(capsys, "--captures", capture, "--out", model)[0] == 0
    options = ["--method", "mod-dnn", "--average", "64", "--model", str(model), "--json"]
    assert cli.main(["estimate", str(capture), *options]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 50 and {(r["method"], r["sample_count"]) for r in records} == {("mod-dnn", 64)}
    assert cli.main(["evaluate", str(capture), *options]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 50
    missing = tmp_path / "missing.pt"
    assert cli.main(["estimate", str(capture), "--method", "mod-dnn", "--model", str(missing)]) == 2
    assert capsys.readouterr().err == f"bearing: error: {missing}: no such MoD-DNN model file\n"


def test_missing_capture_is_an_error_naming_it(tmp_path, capsys):
    missing = tmp_path / "nowhere.sigmf-meta"
    status, stdout, stderr = train(capsys, "--captures", missing, "--out", tmp_path / "m.pt")
    assert status == 2 and stdout == ""
    assert (
        stderr.startswith("bearing: error: ") and "nowhere.sigmf" in stderr and len(stderr.splitlines()) == 1
    )
    assert not (tmp_path / "m.pt").exists()


def test_capture_without_annotations_is_an_error_naming_it(capture, tmp_path, capsys):
    recording = read_capture(capture)
    bare = write_capture(
        tmp_path / "bare",
        recording.read(0, recording.num_samples),
        sample_rate_hz=recording.sample_rate_hz,
        frequency_hz=recording.frequency_hz,
        geometry=recording.geometry,
    )
    status, stdout, stderr = train(capsys, "--captures", capture, bare, "--out", tmp_path / "m.pt")
    assert status == 2 and stdout == ""
    assert stderr == (
        f"bearing: error: {bare}: no ground-truth annotation (spatial:signal_azimuth): "
        "a calibration capture must give the bearing of its samples\n"
    )


def test_captures_of_another_carrier_are_an_error_naming_both(capture, tmp_path, capsys):
    other = sweep(tmp_path / "other", frequency_hz=2.4e9)
    status, stdout, stderr = train(capsys, "--captures", capture, other, "--out", tmp_path / "m.pt")
    assert status == 2 and stdout == ""
    assert stderr.startswith(f"bearing: error: {other}: another carrier than {capture}")


def test_a_sweep_that_misses_a_subregion_is_refused_before_training(tmp_path, capsys):
    """-60 .. -35 deg covers subregion 0 only: the error comes before the first epoch."""
    half = sweep(
        tmp_path / "half", emitters=(Emitter(azimuth_deg=-60.0, azimuth_end_deg=-35.0, snr_db=10.0),)
    )
    status, stdout, stderr = train(capsys, "--captures", half, "--out", tmp_path / "m.pt")
    assert status == 2 and stdout == "" and "train_loss" not in stderr
    assert stderr.splitlines()[-1].startswith(
        "bearing: error: subregion 1 (-33 .. 2.9 deg): no calibration window in its training or its "
        "validation share (0 windows in all): the sweep must cover every subregion (or choose --edges)"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--validation", "1.5"], "validation_fraction: must be in (0, 1), got 1.5"),
        (["--edges", "30", "0"], "edges_deg: must be at least two increasing angles, got [30.0, 0.0]"),
        (["--subregion-overlap", "-1"], "--subregion-overlap: must be 0 .. 90 degrees, got -1"),
        (["--subregion-overlap", "nan"], "--subregion-overlap: must be 0 .. 90 degrees, got nan"),
    ],
)
def test_bad_option_is_an_error_before_reading(tmp_path, capsys, option, message):
    status, stdout, stderr = train(
        capsys, "--captures", tmp_path / "nowhere", "--out", tmp_path / "m.pt", *option
    )
    assert (status, stdout, stderr) == (2, "", f"bearing: error: {message}\n")


def test_model_config_of_srs_items_records_the_pilots():
    positions = calibration_ula4_scenario().array.geometry().positions_m
    offsets = np.linspace(-40e6, 40e6, 8)
    calibration = CalibrationSet(
        cfrs=np.ones((3, 8, 4), np.complex64),
        azimuth_deg=np.zeros(3),
        window=np.arange(3),
        subcarrier_offsets_hz=offsets,
        frequency_hz=3.5e9,
        positions_m=positions,
        sample_rate_hz=122.88e6,
        kind="srs",
    )
    config = model_config(calibration, 256, calibrator="cnn", edges_deg=(-40.0, 0.0, 40.0))
    assert (config.kind, config.window_items, config.srs) == ("srs", 1, {"num_subcarriers": 8})
    assert config.subcarrier_offsets_hz == tuple(offsets) and config.frequency_hz == 3.5e9
    assert config.calibrator == "cnn" and config.edges_deg == (-40.0, 0.0, 40.0)
    assert np.array_equal(config.positions_m, positions)
