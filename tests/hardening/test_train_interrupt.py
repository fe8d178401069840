"""Ctrl-C during `bearing train` (issue 20): one line, no traceback, and a checkpoint that
`--resume` continues to a model."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import time

import numpy as np
from gnuradio.bearing.captures.presets import calibration_ula4_scenario
from gnuradio.bearing.captures.scenario import Emitter
from gnuradio.bearing.captures.simulation import simulate, write
from gnuradio.bearing.learned import mod_dnn
from helpers.command import BEARING, bearing


def test_ctrl_c_saves_a_checkpoint_that_resume_continues(tmp_path):
    scenario = dataclasses.replace(
        calibration_ula4_scenario(),
        emitters=(Emitter(azimuth_deg=-60.0, azimuth_end_deg=60.0, snr_db=10.0),),
        snapshots_per_segment=128,
        num_segments=25,
        gap_samples=100,
    )
    capture = write(simulate(scenario), tmp_path / "sweep")
    model, checkpoint = tmp_path / "model.pt", tmp_path / "model.checkpoint.pt"
    command = [
        BEARING,
        "train",
        "--captures",
        str(capture),
        "--out",
        str(model),
        "--snapshots-per-window",
        "64",
    ]
    training = subprocess.Popen(
        [*command, "--epochs", "150", "--patience", "150"], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline and training.poll() is None:
        time.sleep(0.05)
    assert checkpoint.exists(), "no checkpoint after the first stage"
    training.send_signal(signal.SIGINT)
    _, stderr = training.communicate(timeout=60)
    assert training.returncode == 130 and "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("bearing: interrupted: 1 of 5 training stages are saved in") and "--resume" in last
    assert not model.exists()
    resumed = bearing(
        *command[1:], "--epochs", "150", "--patience", "150", "--resume", "--json", timeout_s=600
    )
    summary = json.loads(resumed.stdout.splitlines()[-1])
    assert [stage["stage"] for stage in summary["stages"]][:2] == ["autoencoder", "subregion 0"]
    assert not checkpoint.exists() and mod_dnn.load(model).config.num_elements == 4
    other = bearing(*command[1:], "--epochs", "3", "--resume", check=False)  # no checkpoint left
    assert other.returncode == 2 and "--resume: no checkpoint at" in other.stderr
    assert np.isfinite(summary["seconds"])
