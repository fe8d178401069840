"""`bearing train-counter`: a small source counter trained, written, summarised and loaded back."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing import cli
from gnuradio.bearing.counting import models as counter_models
from gnuradio.bearing.counting.training import simulate_covariances

SUMMARY_KEYS = [
    "method",
    "elements",
    "max_sources",
    "snapshots",
    "snr_db",
    "power_spread_db",
    "examples",
    "epochs",
    "best_epoch",
    "best_val_loss",
    "test_examples",
    "test_accuracy",
    "simulate_seconds",
    "seconds",
    "model",
]


def train_counter(capsys, *args: str) -> tuple[int, str, str]:
    """``bearing train-counter`` on 300 covariances of a 4-element array, 3 epochs: status, stdout, stderr."""
    status = cli.main(
        [
            "train-counter",
            "--elements",
            "4",
            "--max-sources",
            "2",
            "--examples",
            "300",
            "--epochs",
            "3",
            *args,
        ]
    )
    out, err = capsys.readouterr()
    return status, out, err


def test_round_trip(capsys, tmp_path):
    model = tmp_path / "sub" / "fcnn.pt"
    status, out, err = train_counter(
        capsys,
        "--method",
        "fcnn",
        "--out",
        str(model),
        "--snapshots",
        "50",
        "--snr-min-db",
        "0",
        "--seed",
        "3",
        "--power-spread-db",
        "0",
    )
    assert status == 0
    summary = dict(line.split(maxsplit=1) for line in out.splitlines())
    assert list(summary) == SUMMARY_KEYS
    assert (
        summary["snr_db"] == "0 .. 30" and summary["examples"] == "300" and summary["test_examples"] == "30"
    )
    assert summary["epochs"] == "3" and summary["model"] == str(model) and summary["power_spread_db"] == "0"
    assert 0 <= float(summary["test_accuracy"]) <= 1
    lines = err.splitlines()
    assert lines[0].startswith(
        "simulated 300 + 30 covariances (4 elements, 0 .. 2 sources, 50 snapshots, SNR 0 .. 30 dB, "
        "power spread 0 dB)"
    )
    assert len(lines) == 4 and all(line.startswith("fcnn ") for line in lines[1:])
    counter = counter_models.load(model)
    assert (counter.config.method, counter.config.num_elements, counter.config.max_sources) == ("fcnn", 4, 2)
    trained_on = counter.config.trained_on
    assert trained_on["num_snapshots"] == 50 and trained_on["seed"] == 3
    assert trained_on["scene"]["power_spread_db"] == 0
    assert len(counter.history) == 3
    counts = counter.predict(simulate_covariances(4, [0, 1, 2], 10.0, 50, np.random.default_rng(0)))
    assert counts.shape == (3,) and set(counts) <= {0, 1, 2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "dnn", "--max-sources", "4"], "at most M - 1 = 3 sources"),
        (["--method", "dnn", "--epochs", "0"], "epochs: must be a positive integer"),
        (["--method", "dnn", "--snr-min-db", "5", "--snr-max-db", "0"], "need min <= max"),
        (["--method", "dnn", "--power-spread-db", "-1"], "power_spread_db: must be >= 0"),
    ],
)
def test_errors_are_one_line(capsys, tmp_path, args, message):
    status, out, err = train_counter(capsys, "--out", str(tmp_path / "x.pt"), *args)
    assert status == 2 and out == ""
    assert err.startswith("bearing: error:") and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x.pt").exists()


def test_refuses_an_unknown_method(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_status:
        train_counter(capsys, "--method", "mdl", "--out", str(tmp_path / "x.pt"))
    assert exit_status.value.code == 2
    assert "invalid choice: 'mdl'" in capsys.readouterr().err


def test_refuses_a_directory(capsys, tmp_path):
    status, _, err = train_counter(capsys, "--method", "dnn", "--out", str(tmp_path))
    assert status == 2 and "is a directory" in err


def test_json_prints_one_object_per_epoch_then_the_summary(capsys, tmp_path):
    import json

    status, out, _ = train_counter(capsys, "--method", "dnn", "--out", str(tmp_path / "dnn.pt"), "--json")
    objects = [json.loads(line) for line in out.splitlines()]
    assert status == 0 and [o["type"] for o in objects] == ["epoch"] * (len(objects) - 1) + ["summary"]
    summary = objects[-1]
    assert summary["method"] == "dnn" and summary["model"] == str(tmp_path / "dnn.pt")
    assert isinstance(summary["test_accuracy"], float) and 0.0 <= summary["test_accuracy"] <= 1.0
    assert all(o["max_epochs"] == 3 for o in objects[:-1])
