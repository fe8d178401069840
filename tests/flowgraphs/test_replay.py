"""The replay flowgraph behind `bearing estimate`: coarray methods, MoD-DNN (the CLI tests run the rest)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing import resources
from gnuradio.bearing.blocks.srs_extractor import srs_extractor
from gnuradio.bearing.captures import reader
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.counting import models as counter_models
from gnuradio.bearing.doa.calibrated_music import CalibrationTable, save_table
from gnuradio.bearing.flowgraphs.methods import METHODS
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from gnuradio.bearing.learned import mod_dnn
from gnuradio.bearing.learned.mod_dnn import load
from gnuradio.bearing.nr.channel_estimation import output_offsets_hz
from helpers.mod_dnn_models import train_tiny_model

SRS_CAPTURE = Path(__file__).resolve().parents[2] / "examples" / "data" / "srs_ula4.sigmf-meta"


@pytest.mark.parametrize("method", ["coarray-dbf", "scg"])
def test_coarray_methods_keep_records_counters_and_db_spectra(make_capture, method):
    path = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=400)
    flowgraph = ReplayFlowgraph(str(path), ReplaySettings(method=method, average=200), keep_spectra=True)
    flowgraph.run()
    assert [r["method"] for r in flowgraph.records] == [method] * 4
    assert [r["sample_start"] for r in flowgraph.records] == [0, 200, 400, 600]
    assert flowgraph.skipped_windows == 0 and flowgraph.failed_estimates == 0
    spectra = flowgraph.spectra
    assert spectra.shape == (4, flowgraph.grid_deg.size) == (4, 1801)
    # dB relative to each maximum, for --plot, although the blocks output linear spectra.
    np.testing.assert_allclose(spectra.max(axis=1), 0.0, atol=1e-6)
    assert spectra.min() >= -100.0 and spectra.min() < -10.0
    peaks = flowgraph.grid_deg[np.argmax(spectra, axis=1)]
    np.testing.assert_allclose(peaks, [-30.0, -30.0, 25.0, 25.0], atol=0.5)


def test_coarray_methods_with_spatial_smoothing_model_the_first_elements(make_capture):
    path = make_capture()
    flowgraph = ReplayFlowgraph(str(path), ReplaySettings(method="scg", average=256, subarray_length=3))
    flowgraph.run()
    assert len(flowgraph.records) == 2 and flowgraph.chains[0].dbf.model.num_elements == 3
    assert all(abs(r["azimuth_deg"][0] - 40.0) < 0.5 for r in flowgraph.records)


def test_unknown_methods_are_named(make_capture):
    with pytest.raises(ValueError, match=r"unknown method 'magic'.*coarray-dbf, scg"):
        ReplayFlowgraph(str(make_capture()), ReplaySettings(method="magic"))


def test_mod_dnn_replays_a_capture_of_the_models_array_window_by_window(make_capture, narrowband_model):
    path = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=18)
    settings = ReplaySettings(method="mod-dnn", average=4, model_path=str(narrowband_model))
    flowgraph = ReplayFlowgraph(str(path), settings, keep_spectra=True)
    flowgraph.run()
    model = load(narrowband_model)
    records = flowgraph.records
    # 4 windows of 4 snapshots per segment of 18; the second segment's windows restart at 18.
    assert [r["sample_start"] for r in records] == [0, 4, 8, 12, 18, 22, 26, 30]
    assert [r["method"] for r in records] == ["mod-dnn"] * 8
    assert [r["truth_azimuth_deg"] for r in records] == [[-30.0]] * 4 + [[25.0]] * 4
    assert flowgraph.skipped_windows == 0
    assert flowgraph.spectra.shape == (8, flowgraph.grid_deg.size) == (8, 1201)
    capture = read_capture(path)
    for record in records:
        window = capture.read(record["sample_start"], 4)[:, None, :]  # (N, K = 1, M)
        expected = model.estimate(window).bearings_deg
        np.testing.assert_allclose(record["azimuth_deg"], expected, atol=1e-3)


def test_mod_dnn_refuses_another_array_and_settings_it_cannot_follow(make_capture, narrowband_model):
    settings = ReplaySettings(method="mod-dnn", model_path=str(narrowband_model))
    with pytest.raises(ValueError, match=r"4-element array; the capture .* has 3 elements"):
        ReplayFlowgraph(str(make_capture(num_elements=3)), settings)
    with pytest.raises(ValueError, match="subarray_length"):
        ReplayFlowgraph(str(make_capture()), dataclasses.replace(settings, subarray_length=3))


def test_mod_dnn_without_a_model_names_the_model_option(make_capture, monkeypatch):
    monkeypatch.setattr(resources, "DEFAULT_MODEL", "no_such_model.pt")
    with pytest.raises(FileNotFoundError, match="--model"):
        ReplayFlowgraph(str(make_capture()), ReplaySettings(method="mod-dnn"))


@pytest.fixture(scope="module")
def srs_capture_model(tmp_path_factory):
    """A tiny model of the bundled SRS capture's array, carrier and UE 0's 16 pilots."""
    extractor = srs_extractor(str(SRS_CAPTURE), num_subcarriers=16)
    capture = read_capture(SRS_CAPTURE)
    offsets = tuple(pilot_offsets_hz(extractor, 0).tolist())
    path = tmp_path_factory.mktemp("models") / "srs_ula4.pt"
    return train_tiny_model(path, offsets, 1, capture.geometry, capture.frequency_hz)


def pilot_offsets_hz(extractor, ue: int) -> np.ndarray:
    config = extractor.configs[ue]
    return output_offsets_hz(
        extractor.carrier, config, 16, *extractor.carrier.frame_and_slot(config.t_offset)
    )


def test_mod_dnn_replays_an_srs_capture_one_chain_per_ue_with_its_pilots(srs_capture_model):
    flowgraph = ReplayFlowgraph(
        str(SRS_CAPTURE), ReplaySettings(method="mod-dnn", model_path=str(srs_capture_model))
    )
    flowgraph.run()
    assert flowgraph.settings.average == 1 and flowgraph.settings.num_subcarriers == 16
    assert flowgraph.skipped_windows == 0
    records = flowgraph.records
    assert len(records) == 16 and {r["ue"] for r in records} == {0, 1}
    assert all(r["method"] == "mod-dnn" for r in records)
    for ue, chain in enumerate(flowgraph.chains):
        # UE 1 sounds another comb: its items enter the model with their own frequencies.
        np.testing.assert_array_equal(
            chain.estimator.autoencoder.subcarrier_offsets_hz, pilot_offsets_hz(flowgraph.extractor, ue)
        )
    errors = [abs(r["azimuth_deg"][0] - r["truth_azimuth_deg"][0]) for r in records]
    assert max(errors) < 3.0


def test_mod_dnn_on_srs_refuses_another_pilot_count(srs_capture_model):
    settings = ReplaySettings(method="mod-dnn", model_path=str(srs_capture_model), num_subcarriers=8)
    with pytest.raises(ValueError, match=r"num_subcarriers: .* 16 SRS pilots per occasion, got 8"):
        ReplayFlowgraph(str(SRS_CAPTURE), settings)


def test_a_replay_reads_its_capture_once_and_each_model_once(srs_capture_model, monkeypatch):
    """Two UE chains, each a MoD-DNN estimator of three blocks and four branch counters: one
    reading of the capture, one of the MoD-DNN model and one of the counter model for them all
    (the blocks take what was read)."""
    reads = {"capture": 0, "model": 0, "counter": 0}

    def counted(what, read):
        def wrapper(path):
            reads[what] += 1
            return read(path)

        return wrapper

    monkeypatch.setattr(reader, "read_capture", counted("capture", reader.read_capture))
    monkeypatch.setattr(mod_dnn, "load", counted("model", mod_dnn.load))
    monkeypatch.setattr(counter_models, "load", counted("counter", counter_models.load))
    settings = ReplaySettings(
        method="mod-dnn", model_path=str(srs_capture_model), num_sources=0, counter="dnn"
    )
    flowgraph = ReplayFlowgraph(str(SRS_CAPTURE), settings)
    flowgraph.run()
    assert len(flowgraph.chains) == 2 and len(flowgraph.records) == 16
    assert reads == {"capture": 1, "model": 1, "counter": 1}
    blocks = [chain.estimator for chain in flowgraph.chains]
    assert len({id(b.autoencoder.model) for b in blocks} | {id(b.estimator.model) for b in blocks}) == 1
    assert len({id(counter.model) for b in blocks for counter in b.counters}) == 1


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_of_the_registry_builds_its_chain(make_capture, narrowband_model, method, tmp_path):
    """The registry is the one list of methods: each name builds a flowgraph that estimates."""
    path = make_capture(azimuths_deg=(-20.0,), segment_length=400)
    model = str(narrowband_model) if METHODS[method].needs_model else ""
    table = ""
    if method == "calibrated-music":  # the ideal array's manifold, measured every 5 deg
        capture = read_capture(path)
        sweep = np.arange(-90.0, 90.5, 5.0)
        a = capture.geometry.steering(sweep, capture.frequency_hz)
        covariances = np.einsum("mn,kn->nmk", a, a.conj())
        fitted = CalibrationTable.fit(covariances, sweep, np.arange(-90.0, 90.05, 0.1))
        positions, carrier = capture.geometry.positions_m, capture.frequency_hz
        table = str(save_table(fitted, tmp_path / "table.npz", positions, carrier))
    settings = ReplaySettings(method=method, average=200, model_path=model, calibration_path=table)
    flowgraph = ReplayFlowgraph(str(path), settings)
    flowgraph.run()
    assert [r["method"] for r in flowgraph.records] == [method] * 2
