"""MoD-DNN: autoencoder routing, MoDL-SSR training steps, the model file and its errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.array.impairments import Impairments, array_response, draw_impairments
from gnuradio.bearing.learned import mod_dnn_training
from gnuradio.bearing.learned.autoencoder import MultiTaskAutoencoder, subregion_index
from gnuradio.bearing.learned.mod_dnn import ModDnn, ModDnnConfig, load, save
from gnuradio.bearing.learned.mod_dnn_training import train_mod_dnn, with_routing_noise
from gnuradio.bearing.learned.modl_ssr import ModlSsr
from gnuradio.bearing.learned.training import TrainingClock, TrainingOptions

CARRIER_HZ = 4.85e9
GEOMETRY = ula(4, wavelength_m(CARRIER_HZ) / 2.0)
OFFSETS_HZ = (-20e6, 20e6)


def cfrs(azimuth_deg, impairments, snr_db=None, seed=0):
    """CFRs ``(N, K, M)`` of one source per item with a random gain per subcarrier."""
    rng = np.random.default_rng(seed)
    response = np.transpose(
        array_response(GEOMETRY, azimuth_deg, CARRIER_HZ, impairments, OFFSETS_HZ), (2, 0, 1)
    )
    gains = np.exp(2j * np.pi * rng.random(response.shape[:2]))[:, :, None]
    values = response * gains
    if snr_db is not None:
        noise = rng.standard_normal(values.shape) + 1j * rng.standard_normal(values.shape)
        values = values * 10 ** (snr_db / 20) + noise / np.sqrt(2)
    return values


def config(**changes):
    return ModDnnConfig(GEOMETRY.positions_m, CARRIER_HZ, OFFSETS_HZ, kind="srs", window_items=1, **changes)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A model trained on an impaired array's 1-degree sweep at 20 dB (a few seconds)."""
    impairments = draw_impairments(4, 1.0, 3)
    angles = np.repeat(np.arange(-60.0, 60.5, 1.0), 6)
    model, history = train_mod_dnn(
        cfrs(angles, impairments, 20.0), angles, np.arange(angles.size), config(), TrainingOptions(epochs=8)
    )
    return model, history, impairments


def test_autoencoder_routes_clean_inputs_to_their_subregion():
    """Noise-free CFRs of an ideal array: the source's own branch carries nearly all the energy."""
    angles = np.repeat(np.arange(-60.0, 60.01, 0.5), 4)
    model, _ = train_mod_dnn(
        cfrs(angles, Impairments.ideal(4)),
        angles,
        np.arange(angles.size),
        config(),
        TrainingOptions(epochs=20),
    )
    test = np.array([-52.3, -44.1, -37.7, -22.2, -15.4, -6.9, 7.3, 14.6, 23.1, 36.2, 45.8, 53.9])
    branches = model.filter(cfrs(test, Impairments.ideal(4), seed=1))
    energy = (np.abs(branches) ** 2).sum(axis=(2, 3))
    share = energy[np.arange(test.size), subregion_index(test, model.config.edges_deg)] / energy.sum(axis=1)
    assert np.all(share > 0.85), share


def test_autoencoder_is_equivariant_to_the_cfr_gain():
    autoencoder = MultiTaskAutoencoder(4, 2, 4)
    h = torch.as_tensor(cfrs([10.0, -20.0], Impairments.ideal(4)), dtype=torch.complex64)
    gain = torch.tensor(0.3 * np.exp(1j * 1.1), dtype=torch.complex64)
    assert torch.allclose(autoencoder(gain * h), gain * autoencoder(h), atol=1e-6)


def subregion_batch(model):
    """Coarray DBF spectra of subregion 2 (0 .. 30 deg) for 32 azimuths of an impaired array."""
    angles = np.linspace(1.0, 29.0, 32)
    spectra = [
        model.subregions[2].spectrum(np.einsum("km,kl->ml", h, h.conj()))
        for h in cfrs(angles, draw_impairments(4, 1.0, 5))
    ]
    return torch.tensor(np.stack(spectra), dtype=torch.float32), angles


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_modl_ssr_training_step_lowers_the_loss(seed):
    model = ModDnn(config())
    inputs, angles = subregion_batch(model)
    torch.manual_seed(seed)
    ssr = ModlSsr(model.subregions[2], "range")
    optimiser = torch.optim.Adam(ssr.parameters(), lr=1e-3)
    ssr.train()
    before = ssr.loss(inputs, angles)
    optimiser.zero_grad()
    before.backward()
    optimiser.step()
    assert ssr.loss(inputs, angles).item() < before.item()


def test_the_papers_cnn_calibrator_gets_gradients_through_scg():
    """Eq. (32): the loss of eq. (31) reaches every CNN weight through the unrolled SCG.

    (A step along them does not reliably lower the loss: SCG's reweighting makes it
    piecewise in the CNN's output; docs/mod-dnn.md.)
    """
    model = ModDnn(config())
    inputs, angles = subregion_batch(model)
    torch.manual_seed(0)
    ssr = ModlSsr(model.subregions[2], "cnn", iterations=2)
    ssr.train()
    ssr.loss(inputs, angles).backward()
    for name, parameter in ssr.named_parameters():
        assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_training_learns_and_beats_the_untrained_model(small_model):
    model, history, impairments = small_model
    stages = {row["stage"] for row in history}
    assert stages == {"autoencoder", "subregion 0", "subregion 1", "subregion 2", "subregion 3"}
    for stage in stages:
        rows = [row for row in history if row["stage"] == stage]
        assert min(row["val_loss"] for row in rows) < rows[0]["val_loss"] or len(rows) == 1
    test = np.array([-50.3, -20.6, 10.2, 40.7])
    trained = np.array(
        [model.estimate(h[None]).bearings_deg[0] for h in cfrs(test, impairments, 30.0, seed=9)]
    )
    torch.manual_seed(1)
    untrained = ModDnn(model.config)
    fresh = np.array(
        [untrained.estimate(h[None]).bearings_deg[0] for h in cfrs(test, impairments, 30.0, seed=9)]
    )
    assert np.mean(np.abs(trained - test)) < np.mean(np.abs(fresh - test))


def test_saved_model_reloads_to_identical_outputs(small_model, tmp_path):
    model, history, impairments = small_model
    path = save(model, tmp_path / "model.pt", history)
    loaded = load(path)
    assert loaded.config == model.config
    assert loaded.history == history
    window = cfrs([12.3], impairments, 20.0, seed=4)
    first, second = model.estimate(window), loaded.estimate(window)
    np.testing.assert_array_equal(first.bearings_deg, second.bearings_deg)
    np.testing.assert_array_equal(first.spectrum, second.spectrum)


def test_missing_corrupt_and_foreign_model_files_are_refused(small_model, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such MoD-DNN model file"):
        load(tmp_path / "absent.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x80\x04 not a model")
    with pytest.raises(ValueError, match="not a readable MoD-DNN model file"):
        load(corrupt)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(ValueError, match="not a MoD-DNN model file"):
        load(foreign)
    newer = tmp_path / "newer.pt"
    save(small_model[0], newer)
    data = torch.load(newer, weights_only=True)
    torch.save({**data, "version": 99}, newer)
    with pytest.raises(ValueError, match="version 99"):
        load(newer)
    damaged = tmp_path / "damaged.pt"
    torch.save({**data, "state": {}}, damaged)
    with pytest.raises(ValueError, match="damaged MoD-DNN model file"):
        load(damaged)


def test_code_in_a_model_file_is_never_unpickled(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": "gr-bearing/mod-dnn", "payload": Impairments.ideal(2)}, path)
    with pytest.raises(ValueError, match="not a readable MoD-DNN model file"):
        load(path)


def test_another_array_or_carrier_is_refused(small_model):
    model = small_model[0]
    model.check_array(GEOMETRY.positions_m, CARRIER_HZ)
    with pytest.raises(ValueError, match="4-element array; the capture has 5"):
        model.check_array(ula(5, 0.03).positions_m, CARRIER_HZ)
    with pytest.raises(ValueError, match="another array geometry"):
        model.check_array(ula(4, 0.05).positions_m, CARRIER_HZ)
    with pytest.raises(ValueError, match=r"trained for 4\.82"):
        model.check_array(GEOMETRY.positions_m, 2.4e9)


def test_bad_training_input_names_the_problem():
    angles = np.array([0.0, 10.0])
    with pytest.raises(ValueError, match=r"cfrs must have shape \(N, 2, 4\)"):
        train_mod_dnn(np.zeros((2, 3, 4), complex), angles, [0, 1], config())
    with pytest.raises(ValueError, match="no item's azimuth lies in the model's field of view"):
        train_mod_dnn(cfrs([80.0, 85.0], Impairments.ideal(4)), [80.0, 85.0], [0, 1], config())
    values = cfrs(angles, Impairments.ideal(4))
    values[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train_mod_dnn(values, angles, [0, 1], config())


def test_routing_noise_copies_reach_their_snr_and_keep_the_labels():
    rng = np.random.default_rng(0)
    values = np.exp(2j * np.pi * rng.random((400, 16, 4))).astype(np.complex64)  # unit power, no noise
    azimuth, held_out = rng.uniform(-60, 60, 400), rng.random(400) < 0.2
    out, out_azimuth, out_held = with_routing_noise(values, azimuth, held_out, (10.0, 0.0), rng)
    assert out.shape == (1200, 16, 4) and out.dtype == np.complex64
    np.testing.assert_array_equal(out[:400], values)
    np.testing.assert_array_equal(out_azimuth, np.tile(azimuth, 3))
    np.testing.assert_array_equal(out_held, np.tile(held_out, 3))
    for copy, snr_db in enumerate((10.0, 0.0), start=1):
        noise_power = np.mean(np.abs(out[400 * copy : 400 * (copy + 1)] - values) ** 2)
        assert 10 * np.log10(1.0 / noise_power) == pytest.approx(snr_db, abs=0.1)
    with pytest.raises(ValueError, match="routing_snrs_db"):
        TrainingOptions(routing_snrs_db=(np.nan,))


def test_gated_decoders_copy_the_input_so_the_branch_spectrum_is_the_input_spectrum():
    """Decoder "gate": every branch is a scaled copy of its item, the gates sum to one."""
    autoencoder = MultiTaskAutoencoder(4, 2, 4, decoder="gate")
    h = torch.as_tensor(cfrs([10.0, -20.0, 44.0], draw_impairments(4, 1.0, 3), 10.0), dtype=torch.complex64)
    out = autoencoder(h)
    ratio = out / h[:, None]
    assert torch.allclose(ratio.imag, torch.zeros_like(ratio.imag), atol=1e-5)
    assert torch.allclose(ratio.real, ratio.real[:, :, :1, :1].expand_as(ratio.real), atol=1e-5)
    assert torch.allclose(ratio.real[:, :, 0, 0].sum(dim=1), torch.ones(3), atol=1e-5)


def test_linear_decoders_are_the_papers_eq_9():
    autoencoder = MultiTaskAutoencoder(4, 2, 4, decoder="linear")
    assert autoencoder.decoder_weight.shape == (2, 4, 16, 8)
    h = torch.as_tensor(cfrs([10.0], Impairments.ideal(4)), dtype=torch.complex64)
    assert not torch.allclose(autoencoder(h)[:, 0] / h, autoencoder(h)[:, 1] / h)
    with pytest.raises(ValueError, match="decoder: must be one of gate, linear"):
        MultiTaskAutoencoder(4, 2, 4, decoder="conv")


def test_window_spectra_do_not_depend_on_the_chunking(small_model, monkeypatch):
    """The subregion inputs are computed SPECTRA_CHUNK_WINDOWS windows at a time: chunks of 7
    (windows cut across chunks: 3 items each) give the spectra of one chunk of everything."""
    model = small_model[0]
    angles = np.repeat(np.arange(-50.0, 50.0, 5.0), 3)
    values = cfrs(angles, draw_impairments(4, 1.0, 3), 20.0).astype(np.complex64)
    window = np.repeat(np.arange(angles.size // 3), 3)
    validation = np.array([0, 5])
    whole = mod_dnn_training._window_spectra(model, values, angles, window, validation)
    monkeypatch.setattr(mod_dnn_training, "SPECTRA_CHUNK_WINDOWS", 7)
    monkeypatch.setattr(mod_dnn_training, "NOTE_INTERVAL_S", 0.0)
    notes = []
    chunked = mod_dnn_training._window_spectra(model, values, angles, window, validation, notes.append)
    assert len(notes) == angles.size // 3 and notes[-1].startswith("subregion inputs  20/20 windows  ")
    for p in range(len(model.subregions)):
        np.testing.assert_allclose(chunked[0][p], whole[0][p], rtol=1e-5, atol=1e-5)
        assert chunked[0][p].dtype == np.float32 and chunked[0][p].shape[0] == angles.size // 3
    np.testing.assert_array_equal(chunked[1], whole[1])
    assert np.flatnonzero(chunked[2]).tolist() == [0, 5]


def test_the_training_clock_bounds_the_time_left_in_all_stages():
    clock = TrainingClock(["autoencoder", "subregion 0", "subregion 1"], max_epochs=10)
    assert clock.update({"stage": "autoencoder", "epoch": 4, "seconds": 1.0}) == (1, 3, 6.0 + 2 * 10 * 1.0)
    # the later subregion runs at the pace of the finished subregion (its last epoch's 0.5 s)
    assert clock.update({"stage": "subregion 0", "epoch": 10, "seconds": 0.5}) == (2, 3, 0.0 + 10 * 0.5)
    assert clock.update({"stage": "subregion 1", "epoch": 3, "seconds": 0.25}) == (3, 3, 7 * 0.25)
