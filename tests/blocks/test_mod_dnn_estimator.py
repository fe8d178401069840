"""Flowgraph tests of the MoD-DNN estimator hier block: the model's estimate, window by window."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.learned.mod_dnn import load
from helpers.flowgraphs import received_windows, run_within
from helpers.mod_dnn_models import cfrs

TRUTHS_DEG = (-47.0, -21.5, 8.0, 33.0, 52.5)


def windows_of(truths_deg, offsets_hz, window_items: int, seed: int = 11) -> np.ndarray:
    """``(W, N, K, M)`` complex64: ``window_items`` noisy CFRs of one source per window."""
    rng = np.random.default_rng(seed)
    return np.stack([cfrs([t] * window_items, offsets_hz, 15.0, rng) for t in truths_deg]).astype(
        np.complex64
    )


def run_estimator(model_path, windows: np.ndarray, **kwargs):
    """vector source of the windows' items (channel-major) -> mod_dnn_estimator -> sinks."""
    block = bearing.mod_dnn_estimator(str(model_path), **kwargs)
    items = (
        windows.reshape(-1, *windows.shape[2:]).transpose(0, 2, 1).reshape(-1, block.autoencoder.item_size)
    )
    source = blocks.vector_source_c(items.ravel().tolist(), False, items.shape[1])
    spectra = blocks.vector_sink_f(len(block.grid_deg))
    sink = bearing.json_sink("")
    compass = blocks.message_debug()
    top = gr.top_block()
    top.connect(source, block, spectra)
    top.msg_connect((block, "bearings"), (sink, "bearings"))
    top.msg_connect((block, "azimuth"), (compass, "store"))
    run_within(top)
    return block, np.asarray(spectra.data()).reshape(-1, len(block.grid_deg)), sink.records, compass, spectra


@pytest.mark.parametrize("fixture", ["narrowband_model", "srs_model"])
def test_bearings_are_the_models_estimate_of_each_window(fixture, request):
    path = request.getfixturevalue(fixture)
    model = load(path)
    config = model.config
    windows = windows_of(TRUTHS_DEG, config.subcarrier_offsets_hz, config.window_items)
    block, spectra, records, compass, sink = run_estimator(path, windows, num_sources=2)
    assert block.average == config.window_items and len(block.covariances) == len(block.dbfs) == 4
    assert block.failed_estimates == 0 and block.dropped_windows == 0
    starts = [config.window_items * w for w in range(len(TRUTHS_DEG))]
    assert [r["sample_start"] for r in records] == starts
    assert received_windows(sink) == list(enumerate(starts))
    for window, record, spectrum in zip(windows, records, spectra, strict=True):
        expected = model.estimate(window, num_sources=2)
        assert record["method"] == "mod-dnn"
        np.testing.assert_allclose(record["azimuth_deg"], expected.bearings_deg, atol=1e-3)
        np.testing.assert_allclose(spectrum, expected.spectrum, atol=1e-3 * expected.spectrum.max())
    azimuths = [pmt.to_double(pmt.cdr(compass.get_message(i))) for i in range(compass.num_messages())]
    np.testing.assert_allclose(azimuths, [r["azimuth_deg"][0] for r in records])


def test_average_sets_the_window_and_the_model_still_matches(narrowband_model):
    model = load(narrowband_model)
    windows = windows_of(TRUTHS_DEG[:2], (0.0,), 8)
    block, _, records, _, _ = run_estimator(narrowband_model, windows, average=8)
    assert block.average == 8
    assert [r["sample_start"] for r in records] == [0, 8]
    for window, record in zip(windows, records, strict=True):
        np.testing.assert_allclose(record["azimuth_deg"], model.estimate(window).bearings_deg, atol=1e-3)


def test_a_window_with_nan_samples_is_dropped_and_the_flowgraph_finishes(narrowband_model):
    windows = windows_of(TRUTHS_DEG, (0.0,), 4)
    windows[1, 2, 0, 3] = np.nan
    block, spectra, records, _, _ = run_estimator(narrowband_model, windows)
    assert [r["sample_start"] for r in records] == [0, 8, 12, 16]
    assert block.dropped_windows == 1 and block.autoencoder.nonfinite_items == 1
    assert block.failed_estimates == 0 and len(spectra) == 4


def test_a_window_without_power_is_logged_counted_once_and_the_flowgraph_finishes(narrowband_model):
    """An all-zero window: with the gated decoders (the default) every branch's covariance is zero,
    and coarray DBF drops it in each branch."""
    windows = windows_of(TRUTHS_DEG[:3], (0.0,), 4)
    windows[1] = 0.0
    block, spectra, records, _, _ = run_estimator(narrowband_model, windows)
    assert [r["sample_start"] for r in records] == [0, 8] and len(spectra) == 2
    assert [dbf.failed_estimates for dbf in block.dbfs] == [1, 1, 1, 1]
    assert block.failed_estimates == 1 and block.dropped_windows == 0


def test_auto_sources_count_each_branch_and_use_the_chosen_ones(narrowband_model):
    """One source per window: the chosen branch's counter says 1, so auto gives the model's
    single bearing; the other branches' counts do not matter."""
    model = load(narrowband_model)
    windows = windows_of(TRUTHS_DEG, model.config.subcarrier_offsets_hz, 64)
    block, _, records, _, _ = run_estimator(narrowband_model, windows, average=64, num_sources=0)
    assert len(block.counters) == len(block.covariances) == 4
    assert [r["num_sources"] for r in records] == [1] * len(TRUTHS_DEG)
    for window, record in zip(windows, records, strict=True):
        expected = model.estimate(window, num_sources=1)
        np.testing.assert_allclose(record["azimuth_deg"], expected.bearings_deg, atol=1e-3)
