"""Flowgraph tests of the MoD-DNN autoencoder filter block: the model's filter, tags on every branch."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.learned.mod_dnn import load
from helpers.flowgraphs import run_within
from helpers.mod_dnn_models import cfrs


def tag(offset: int, key: str, value: dict) -> gr.tag_t:
    item = gr.tag_t()
    item.offset, item.key, item.value = offset, pmt.intern(key), messages.to_pmt(value)
    return item


def channel_major(values: np.ndarray) -> np.ndarray:
    """``(N, K, M)`` CFRs as ``(N, M*K)`` stream items, ``item[m*K + k]``."""
    return values.transpose(0, 2, 1).reshape(len(values), -1)


def run_filter(model_path, items: np.ndarray, tags=(), **kwargs):
    """vector source -> autoencoder_filter -> one vector sink per branch; returns (block, sinks)."""
    block = bearing.autoencoder_filter(str(model_path), **kwargs)
    source = blocks.vector_source_c(
        items.astype(np.complex64).ravel().tolist(), False, block.item_size, list(tags)
    )
    sinks = [blocks.vector_sink_c(block.item_size) for _ in range(block.num_subregions)]
    top = gr.top_block()
    top.connect(source, block)
    for branch, sink in enumerate(sinks):
        top.connect((block, branch), sink)
    run_within(top)
    return block, sinks


def branch_items(sink, item_size: int) -> np.ndarray:
    return np.asarray(sink.data(), dtype=np.complex64).reshape(-1, item_size)


@pytest.mark.parametrize("fixture", ["narrowband_model", "srs_model"])
def test_each_branch_is_the_models_filter_output_and_carries_every_tag(fixture, request):
    """K = 2 checks the channel-major layout: a transposed item would filter other numbers."""
    path = request.getfixturevalue(fixture)
    model = load(path)
    offsets = model.config.subcarrier_offsets_hz
    values = cfrs(np.linspace(-55.0, 55.0, 37), offsets, 10.0, np.random.default_rng(3)).astype(np.complex64)
    tags = [
        tag(0, messages.SEGMENT_START, {"segment": 0, "sample_index": 0}),
        tag(5, messages.TRUTH, {"azimuth_deg": 12.0, "sample_count": 20}),
        tag(30, messages.SRS_OCCASION, {"sample_index": 3000, "sample_count": 10, "ue": 0}),
    ]
    block, sinks = run_filter(path, channel_major(values), tags)
    expected = model.filter(values)  # (N, P, K, M)
    assert len(sinks) == len(model.subregions) == 4
    for branch, sink in enumerate(sinks):
        np.testing.assert_allclose(
            branch_items(sink, block.item_size), channel_major(expected[:, branch]), rtol=1e-5, atol=1e-6
        )
        received = sorted((t.offset, pmt.symbol_to_string(t.key)) for t in sink.tags())
        assert received == [(0, "segment_start"), (5, "truth"), (30, "srs_occasion")]
    # The branches are a real split, not copies of the input.
    energies = [np.sum(np.abs(branch_items(sink, block.item_size)) ** 2) for sink in sinks]
    assert max(energies) < 0.9 * np.sum(np.abs(values) ** 2)


def test_given_subcarrier_offsets_choose_the_nearest_trained_encoders(srs_model):
    model = load(srs_model)
    offsets = (-14e6, 16e6, 14e6)  # K' = 3 items' subcarriers: encoders 0, 1, 1
    values = cfrs([20.0, -35.0], offsets, 20.0, np.random.default_rng(4)).astype(np.complex64)
    block, sinks = run_filter(srs_model, channel_major(values), subcarrier_offsets_hz=list(offsets))
    assert block.item_size == 4 * 3
    expected = model.filter(values, offsets)
    np.testing.assert_allclose(
        branch_items(sinks[2], 12), channel_major(expected[:, 2]), rtol=1e-5, atol=1e-6
    )
    assert model.banks(offsets).tolist() == [0, 1, 1]


def test_nonfinite_items_pass_through_unfiltered_and_are_counted(narrowband_model):
    model = load(narrowband_model)
    values = cfrs([10.0] * 6, (0.0,), 20.0, np.random.default_rng(5)).astype(np.complex64)
    values[2, 0, 1] = np.nan
    values[4, 0, 3] = np.inf
    block, sinks = run_filter(narrowband_model, channel_major(values))
    assert block.nonfinite_items == 2
    finite = [0, 1, 3, 5]
    expected = model.filter(values[finite])
    for branch, sink in enumerate(sinks):
        out = branch_items(sink, 4)
        np.testing.assert_array_equal(out[[2, 4]], channel_major(values[[2, 4]]))
        np.testing.assert_allclose(out[finite], channel_major(expected[:, branch]), rtol=1e-5, atol=1e-6)


def test_bad_parameters_are_named(narrowband_model, tmp_path):
    with pytest.raises(ValueError, match="subcarrier_offsets_hz"):
        bearing.autoencoder_filter(str(narrowband_model), [[0.0, 1.0]])
    with pytest.raises(FileNotFoundError, match="no such MoD-DNN model file"):
        bearing.autoencoder_filter(str(tmp_path / "missing.pt"))


def test_the_model_is_a_path_none_or_a_loaded_model():
    """Empty or None: the bundled model; a loaded model is taken as it is (the MoD-DNN Estimator
    shares its one model with its inner blocks); anything else is refused by name."""
    bundled = bearing.autoencoder_filter(None)
    assert bundled.item_size == 4 and bearing.autoencoder_filter("").model.config == bundled.model.config
    assert bearing.autoencoder_filter(bundled.model).model is bundled.model
    with pytest.raises(TypeError, match=r"model_path: a MoD-DNN model file .* got float"):
        bearing.autoencoder_filter(3.0)
