"""Model files as an attacker or a bad disk hands them over (issue 20): a pickle that would run
a command is refused in one line that never suggests the unsafe way round, and nothing runs;
weights whose bits flipped are refused by their checksum."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch
from gnuradio.bearing import default_model_path, demo_capture_path
from helpers.command import bearing


class _Payload:
    """Unpickling this runs a shell command: what a malicious model file would carry."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_runs_a_command_is_refused_and_nothing_runs(tmp_path):
    marker, model = tmp_path / "pwned", tmp_path / "evil.pt"
    torch.save({"format": "gr-bearing/mod-dnn", "version": 1, "state": _Payload(marker)}, model)
    result = bearing("estimate", demo_capture_path(), "--method", "mod-dnn", "--model", model, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert "holds code or objects that a model file never does" in lines[0]
    assert "weights_only" not in result.stderr and "\x1b" not in result.stderr
    assert not marker.exists()


def test_weights_that_do_not_match_their_checksum_are_refused(tmp_path):
    model = tmp_path / "flipped.pt"
    shutil.copy(default_model_path(), model)
    data = torch.load(model, weights_only=True)
    name = sorted(data["state"])[0]
    data["state"][name].view(-1)[0] += 1e-3  # a flipped bit, as far as the bearings care
    torch.save(data, model)
    result = bearing("estimate", demo_capture_path(), "--method", "mod-dnn", "--model", model, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1
    assert lines[0].startswith(f"bearing: error: {model}: ") and "do not match their checksum" in lines[0]


def test_the_bundled_models_carry_their_checksums():
    data = torch.load(default_model_path(), weights_only=True)
    assert len(data["checksum"]) == 64


def test_an_odd_pickle_protocol_is_refused_without_torch_warnings(tmp_path):
    model = tmp_path / "protocol4.pt"
    torch.save(["not", "a", "model"], model, pickle_protocol=4)  # torch warns of protocols other than 2
    result = bearing("estimate", demo_capture_path(), "--method", "mod-dnn", "--model", model, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "MoD-DNN model file" in lines[0]
