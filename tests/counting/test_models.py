"""The learned source counters: shapes, training, the model file, array size refusal, the bundled models."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from gnuradio.bearing.counting import models as counter_models
from gnuradio.bearing.counting import training as counter_training
from gnuradio.bearing.counting.counters import count_sources
from gnuradio.bearing.counting.eigen import LEARNED_METHODS, eigenvalues
from gnuradio.bearing.counting.models import CounterConfig, SourceCounter
from gnuradio.bearing.counting.training import (
    COUNTER_TRAINING,
    SceneSettings,
    simulate_covariances,
    simulate_training_set,
    train_counter,
)
from gnuradio.bearing.learned.training import split_indices

T = 200
DATA = Path(__file__).resolve().parents[2] / "python" / "bearing" / "data"
"""The bundled models in the source tree."""
QUICK = dataclasses.replace(COUNTER_TRAINING, epochs=4, batch_size=64)
"""A few epochs: enough for the loss to fall, a second or so per model."""


@pytest.fixture(scope="module")
def small_data():
    """600 covariances of a 4-element array, 0 .. 2 sources, 0 .. 20 dB."""
    return simulate_training_set(4, 2, 600, seed=0, snr_range_db=(0.0, 20.0))


@pytest.fixture(scope="module")
def trained(small_data) -> dict[str, SourceCounter]:
    return {
        method: train_counter(CounterConfig(method, 4, 2), small_data, QUICK) for method in LEARNED_METHODS
    }


@pytest.mark.parametrize("method", LEARNED_METHODS)
def test_shapes(method):
    counter = SourceCounter(CounterConfig(method, 8, 4))
    covariances = simulate_covariances(8, [0, 1, 2], 10.0, T, np.random.default_rng(0))
    inputs = counter.inputs(covariances)
    assert inputs.shape == (3, counter.config.input_size) and inputs.dtype == torch.float32
    assert counter(inputs).shape == (3, 5)
    probabilities = counter.probabilities(covariances)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert counter.predict(covariances).shape == (3,)
    assert counter.count(covariances[0]) in range(5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "mdl"}, "learned counter"),
        ({"max_sources": 8}, "at most M - 1 = 7"),
        ({"num_elements": 1}, "num_elements"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_config_refuses(changes, message):
    with pytest.raises(ValueError, match=message):
        CounterConfig(**{"method": "dnn", "num_elements": 8, "max_sources": 4, **changes})


@pytest.mark.parametrize("method", LEARNED_METHODS)
def test_short_training_lowers_the_loss(trained, method):
    """Below chance (log 3 for three classes) and below the first epoch's validation loss."""
    history = trained[method].history
    best = min(row["val_loss"] for row in history)
    assert best < history[0]["val_loss"] and best < 0.8 * math.log(3)
    assert trained[method].config.trained_on["examples"] == 600


@pytest.mark.parametrize("method", LEARNED_METHODS)
def test_save_load_round_trip(trained, method, tmp_path):
    counter = trained[method]
    loaded = counter_models.load(counter_models.save(counter, tmp_path / f"{method}.pt"))
    assert loaded.config == counter.config and loaded.history == counter.history
    covariances = simulate_covariances(4, [0, 1, 2, 2], 5.0, T, np.random.default_rng(1))
    np.testing.assert_array_equal(loaded.probabilities(covariances), counter.probabilities(covariances))
    assert count_sources(covariances[1], T, method, tmp_path / f"{method}.pt") == counter.count(
        covariances[1]
    )


@pytest.mark.parametrize("method", LEARNED_METHODS)
def test_eigenvalue_predictions_are_the_covariances(trained, method):
    counter = trained[method]
    covariances = simulate_covariances(4, [0, 1, 2, 2, 1], 3.0, T, np.random.default_rng(2))
    np.testing.assert_array_equal(
        counter.eigenvalue_inputs(eigenvalues(covariances)), counter.inputs(covariances)
    )
    np.testing.assert_array_equal(
        counter.predict_eigenvalues(eigenvalues(covariances)), counter.predict(covariances)
    )
    with pytest.raises(ValueError, match="trained for 4 eigenvalues"):
        counter.predict_eigenvalues(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"shape \(N, M\)"):
        counter.eigenvalue_inputs(np.ones(4))


def test_training_set_holds_the_eigenvalues_of_one_simulation(monkeypatch):
    """Simulated a few at a time (here 7), the draws are those of one simulate_covariances call."""
    monkeypatch.setattr(counter_training, "SIMULATION_CHUNK", 7)
    data = simulate_training_set(5, 3, 30, seed=4, snr_range_db=(-5.0, 15.0))
    rng = np.random.default_rng(4)
    counts, snrs = rng.integers(0, 4, 30), rng.uniform(-5.0, 15.0, 30)
    np.testing.assert_array_equal(data.num_sources, counts)
    np.testing.assert_array_equal(data.snr_db, snrs)
    expected = eigenvalues(simulate_covariances(5, counts, snrs, T, rng))
    np.testing.assert_array_equal(data.eigenvalues, expected)


def test_refuses_another_array_size(trained):
    with pytest.raises(ValueError, match=r"trained for 4 eigenvalues .* the covariance is 6 x 6"):
        trained["dnn"].count(np.eye(6))
    with pytest.raises(ValueError, match="trained for 4"):
        count_sources(np.eye(8), T, "cnn1d", trained["cnn1d"])


@pytest.mark.parametrize("method", LEARNED_METHODS)
def test_defaults_per_method(small_data, method, monkeypatch):
    """The DNN is 128 wide, the FCNN 64; without options a method trains with its own."""
    assert CounterConfig(method, 4, 2).hidden == {"dnn": 128, "fcnn": 64, "cnn1d": 64}[method]
    assert CounterConfig(method, 4, 2, hidden=16).hidden == 16
    assert counter_training.TRAINING_OPTIONS["dnn"].epochs == 200
    two_epochs = dataclasses.replace(QUICK, epochs=2, patience=2)
    monkeypatch.setitem(counter_training.TRAINING_OPTIONS, method, two_epochs)
    assert len(train_counter(CounterConfig(method, 4, 2), small_data).history) == 2


def test_training_refuses_data_of_another_array(small_data):
    with pytest.raises(ValueError, match="the counter is for 5 x 5"):
        train_counter(CounterConfig("dnn", 5, 2), small_data, QUICK)
    with pytest.raises(ValueError, match=r"outside 0 \.\. max_sources = 1"):
        train_counter(CounterConfig("dnn", 4, 1), small_data, QUICK)


def test_file_errors(trained, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such source counter model file"):
        counter_models.load(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a readable source counter model file"):
        counter_models.load(corrupt)
    with pytest.raises(ValueError, match="not a source counter model file"):
        counter_models.load(DATA / "mod_dnn_ula4.pt")
    path = counter_models.save(trained["fcnn"], tmp_path / "fcnn.pt")
    data = torch.load(path, weights_only=True)
    for changes, message in (
        (
            {"version": counter_models.MODEL_VERSION + 1},
            "file version 4; this gr-bearing reads versions 1 .. 3",
        ),
        ({"state": {}}, "damaged source counter model file"),
        ({"config": '{"method": "fcnn", "num_elements": 4, "max_sources": 9}'}, "damaged .* at most M - 1"),
    ):
        torch.save({**data, **changes}, tmp_path / "changed.pt")
        with pytest.raises(ValueError, match=message):
            counter_models.load(tmp_path / "changed.pt")


def test_dnn_standardises_with_the_training_split(small_data, trained):
    """The DNN's first module holds the training split's feature mean and std, in the state dict."""
    counter = trained["dnn"]
    inputs = counter.eigenvalue_inputs(small_data.eigenvalues)
    train, _ = split_indices(len(inputs), QUICK.validation_fraction, QUICK.seed)
    state = counter.state_dict()
    torch.testing.assert_close(state["network.0.mean"], inputs[train].mean(dim=0))
    torch.testing.assert_close(state["network.0.std"], inputs[train].std(dim=0))
    standardised = counter.network[0](inputs[train])
    torch.testing.assert_close(standardised.mean(dim=0), torch.zeros(5), atol=1e-5, rtol=0)
    fresh = SourceCounter(CounterConfig("dnn", 4, 2)).network[0]
    torch.testing.assert_close(fresh(inputs), inputs)  # the identity until trained
    assert not any(name.endswith(("mean", "std")) for name in trained["fcnn"].state_dict())


@pytest.mark.parametrize("version", [1, 2])
def test_refuses_a_dnn_file_older_than_version_3(trained, tmp_path, version):
    """Version 1 DNNs took their features raw, version 2 the former sphericity and entropy:
    refused with a hint to retrain; the other methods' files of that version load."""
    for method in ("dnn", "fcnn"):
        data = torch.load(counter_models.save(trained[method], tmp_path / "new.pt"), weights_only=True)
        torch.save({**data, "version": version}, tmp_path / f"{method}_old.pt")
    with pytest.raises(ValueError, match=rf"dnn_old\.pt: a version-{version} dnn source counter.*retrain it"):
        counter_models.load(tmp_path / "dnn_old.pt")
    assert counter_models.load(tmp_path / "fcnn_old.pt").config.method == "fcnn"


@pytest.mark.parametrize("num_elements", counter_models.SHIPPED_ELEMENTS)
@pytest.mark.parametrize("method", LEARNED_METHODS)
def test_shipped_models_count_at_10_db(method, num_elements, monkeypatch):
    """Two fresh covariances per count 0 .. K_max at 10 dB, 200 snapshots, the power spread trained
    on (+-3 dB for 4 and 8 elements; equal powers for the study's 192)."""
    monkeypatch.setattr(counter_models, "model_path", lambda name: DATA / name)  # the source tree's
    counter = counter_models.load(counter_models.shipped_model_path(method, num_elements))
    assert counter.config.method == method and counter.config.num_elements == num_elements
    spread = counter.config.trained_on["scene"]["power_spread_db"]
    assert spread == (0.0 if num_elements == 192 else 6.0)
    counts = np.repeat(np.arange(counter.config.max_sources + 1), 2)
    scene = SceneSettings(power_spread_db=spread)
    covariances = simulate_covariances(num_elements, counts, 10.0, T, np.random.default_rng(7), scene)
    np.testing.assert_array_equal(counter.predict(covariances), counts)


def test_no_shipped_model_for_other_sizes():
    with pytest.raises(ValueError, match="no bundled 'dnn' counter for 5 elements"):
        counter_models.shipped_model_path("dnn", 5)
