"""DeepMUSIC: targets, subregion choice, training on an impaired array, and the state dict."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gnuradio.bearing.array.geometry import ula
from gnuradio.bearing.array.impairments import Impairments
from gnuradio.bearing.learned.autoencoder import subregion_index
from gnuradio.bearing.learned.deep_music import DeepMusic, train_deep_music
from gnuradio.bearing.learned.training import TrainingOptions
from gnuradio.bearing.learned.training_data import source_covariances
from helpers.baseline_data import (
    CARRIER_HZ,
    GEOMETRY,
    GRID_DEG,
    assert_beats_trivial_and_ideal_music,
    labelled,
    reloaded,
)


@pytest.fixture(scope="module")
def trained() -> tuple[DeepMusic, list[dict], list[dict]]:
    """The trained model, its history, and the records its progress callback received."""
    model = DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG, seed=0)
    reported: list[dict] = []
    options = TrainingOptions(epochs=40, lr=3e-3, lr_halving_epochs=40, patience=5)
    history = train_deep_music(model, *labelled(3000, 1), options, progress=reported.append)
    return model, history, reported


def test_training_lowers_every_subregion_validation_loss(trained):
    model, history, reported = trained
    assert reported == history
    assert [row["stage"] for row in history] == sorted(row["stage"] for row in history)
    for p in range(model.num_subregions):
        losses = [row["val_loss"] for row in history if row["stage"] == f"subregion {p}"]
        # Measured: 0.04 to 0.07 after the first epoch, 5e-4 to 1.6e-3 at the best.
        assert min(losses) < 0.1 * losses[0]
        assert min(losses) < 0.005


def test_trained_deep_music_beats_the_trivial_predictor_and_ideal_music(trained):
    model, _, _ = trained
    covariances, truth = labelled(300, 2)
    # Measured: median 0.21 deg, p80 0.43 deg (trivial: median 30 deg; ideal-manifold MUSIC
    # on the impaired array: median 3.4 deg). Wrong subregion choices near the edges cost a
    # few degrees each (max 4.7 deg).
    assert_beats_trivial_and_ideal_music(model.estimate(covariances), covariances, truth)


def test_state_dict_round_trip_gives_identical_outputs(trained):
    model, _, _ = trained
    loaded = reloaded(model, DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG, seed=1))
    covariances, _ = labelled(20, 3)
    features = torch.randn(5, 3, 4, 4)
    with torch.no_grad():
        np.testing.assert_array_equal(loaded(features).numpy(), model(features).numpy())
    np.testing.assert_array_equal(loaded.estimate(covariances), model.estimate(covariances))


def test_targets_peak_at_the_label_on_the_ideal_music_spectrum():
    model = DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG)
    labels = np.array([-12.34, -0.07, -29.97])
    targets = model.target_spectra(labels, 1)  # subregion [-30, 0)
    grid = GRID_DEG[model.grid_subregion == 1]
    assert targets.shape == (3, 300)
    np.testing.assert_allclose(grid[np.argmax(targets, axis=1)], np.round(labels, 1))
    assert targets.max() <= 1.0 and targets.min() > -1e-3
    np.testing.assert_allclose(model.target_spectra([grid[40]], 1)[0, 40], 1.0)
    # D = 30 dB below the peak the target reaches 0: far from the label it is near 0.
    assert model.target_spectra([-25.0], 1)[0, grid > -5.0].max() < 0.2


def test_subregion_is_where_the_ideal_bartlett_spectrum_peaks():
    model = DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG)
    truth = np.array([-50.0, -20.0, 10.0, 45.0, -0.5, 0.5])
    exact = source_covariances(GEOMETRY, truth, CARRIER_HZ, Impairments.ideal(4), None, 1, 0)
    np.testing.assert_array_equal(model.select_subregions(exact), subregion_index(truth, model.edges_deg))
    np.testing.assert_array_equal(model.select_subregions(exact), [0, 1, 2, 3, 1, 2])


def test_forward_puts_the_subregions_side_by_side_on_the_grid():
    model = DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG, edges_deg=(-60.0, 0.0, 60.0), hidden=8)
    with torch.no_grad():
        spectra = model(torch.randn(2, 3, 4, 4))
    assert spectra.shape == (2, GRID_DEG.size)
    assert [subnet[-1].out_features for subnet in model.subnets] == [600, 601]


def test_bad_arguments_are_refused():
    covariances, azimuths = labelled(8, 4)
    model = DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG)
    with pytest.raises(ValueError, match="outside the subregions"):
        train_deep_music(model, covariances, azimuths + 100.0)
    with pytest.raises(ValueError, match=r"shape \(N,\) = \(8,\)"):
        train_deep_music(model, covariances, azimuths[:3])
    with pytest.raises(ValueError, match=r"subregion 3 \[30.0, 60.0\] deg has 1 training covariances"):
        train_deep_music(model, covariances[:7], [-50.0, -45.0, -10.0, -5.0, 10.0, 15.0, 50.0])
    with pytest.raises(ValueError, match="covariances are 4 x 4 but the model has 5 elements"):
        DeepMusic(ula(5, 0.03), CARRIER_HZ, GRID_DEG).estimate(covariances)
    with pytest.raises(ValueError, match=r"grid points per subregion: \[0, 300, 300, 301\]"):
        DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG[GRID_DEG >= -30.0])
    with pytest.raises(ValueError, match="outside the subregions"):
        DeepMusic(GEOMETRY, CARRIER_HZ, np.linspace(-70.0, 60.0, 131))
    with pytest.raises(ValueError, match="edges_deg"):
        DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG, edges_deg=(60.0, -60.0))
    with pytest.raises(ValueError, match=r"subregion must be an index in \[0, 4\)"):
        model.target_spectra([0.0], 4)
    with pytest.raises(ValueError, match="dynamic_range_db must be a positive number"):
        DeepMusic(GEOMETRY, CARRIER_HZ, GRID_DEG, dynamic_range_db=0.0)
