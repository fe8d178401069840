"""Flowgraph tests of the covariance accumulator block."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import ula
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.captures.schema import Segment, Truth
from gnuradio.bearing.captures.writer import write_capture


def _run(items: np.ndarray, **kwargs) -> tuple[np.ndarray, list[dict], list[dict]]:
    """Feeds ``items`` (rows = input vectors); returns the covariances, window tags and messages."""
    accumulator = bearing.covariance_accumulator(**kwargs)
    size = accumulator.output_size
    top = gr.top_block()
    source = blocks.vector_source_c(items.astype(np.complex64).ravel().tolist(), False, items.shape[1])
    sink = blocks.vector_sink_c(size * size)
    debug = blocks.message_debug()
    top.connect(source, accumulator, sink)
    top.msg_connect((accumulator, "covariance"), (debug, "store"))
    top.run()
    matrices = np.asarray(sink.data()).reshape(-1, size, size)
    windows = [
        messages.from_pmt(t.value) for t in sink.tags() if pmt.symbol_to_string(t.key) == messages.WINDOW
    ]
    published = [messages.from_pmt(debug.get_message(i)) for i in range(debug.num_messages())]
    return matrices, windows, published


def _replay(path, small_buffers: bool, **kwargs) -> tuple[np.ndarray, list[dict]]:
    """Capture Source -> Covariance Accumulator (4 elements, ``kwargs``) -> sink, with room for one
    output item at a time with ``small_buffers``: the 4 x 4 covariances and their window tags."""
    top = gr.top_block()
    source = bearing.capture_source(str(path))
    accumulator = bearing.covariance_accumulator(num_elements=4, **kwargs)
    if small_buffers:
        source.set_max_output_buffer(1)
        accumulator.set_max_output_buffer(1)
    sink = blocks.vector_sink_c(16)
    top.connect(source, accumulator, sink)
    top.run()
    windows = [messages.from_pmt(t.value) for t in sink.tags()]
    return np.asarray(sink.data()).reshape(-1, 4, 4), windows


def _snapshots(count: int, num_elements: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((count, num_elements)) + 1j * rng.standard_normal((count, num_elements))
    ).astype(np.complex64)


def test_windows_back_to_back_match_the_sample_covariance():
    x = _snapshots(1000)
    matrices, windows, published = _run(x, num_elements=4, average=300)
    assert len(matrices) == 3  # the last 100 snapshots do not fill a window
    for index, matrix in enumerate(matrices):
        expected = covariance.sample_covariance(x[index * 300 : (index + 1) * 300].T)
        np.testing.assert_allclose(matrix, expected, rtol=1e-5, atol=1e-6)
    assert [(w["sample_start"], w["sample_count"]) for w in windows] == [(0, 300), (300, 300), (600, 300)]
    assert [m["sample_start"] for m in published] == [0, 300, 600]
    np.testing.assert_allclose(np.reshape(published[1]["matrix"], (4, 4)), matrices[1], rtol=1e-6)


def test_overlap_hops_by_average_minus_overlap():
    x = _snapshots(1000)
    _, windows, _ = _run(x, num_elements=4, average=400, overlap=300)
    assert [w["sample_start"] for w in windows] == [0, 100, 200, 300, 400, 500, 600]


def test_cfr_items_sum_over_subcarriers():
    """M x K items (channel-major) give 1/(T K) sum_t sum_k h h^H, the MoD-DNN R-hat."""
    num_elements, num_subcarriers = 4, 3
    h = _snapshots(50 * num_subcarriers, num_elements).reshape(50, num_subcarriers, num_elements)
    items = h.transpose(0, 2, 1).reshape(50, num_elements * num_subcarriers)  # item[m*K + k]
    matrices, _, _ = _run(items, num_elements=num_elements, num_subcarriers=num_subcarriers, average=50)
    expected = np.einsum("tkm,tkn->mn", h, h.conj()) / (50 * num_subcarriers)
    np.testing.assert_allclose(matrices[0], expected, rtol=1e-5, atol=1e-6)


def test_forward_backward_and_smoothing_shape_the_output():
    x = _snapshots(256, num_elements=6)
    matrices, _, _ = _run(x, num_elements=6, average=256, forward_backward=True, subarray_length=4)
    expected = covariance.spatial_smoothing(covariance.forward_backward(covariance.sample_covariance(x.T)), 4)
    assert matrices.shape == (1, 4, 4)
    np.testing.assert_allclose(matrices[0], expected, rtol=1e-5, atol=1e-6)


def test_exponential_forgetting_weights_recent_snapshots():
    x = _snapshots(300)
    factor = 0.99
    matrices, _, _ = _run(x, num_elements=4, average=100, forgetting_factor=factor)
    assert len(matrices) == 3
    weights = (1 - factor) * factor ** np.arange(299, -1, -1)
    expected = (x.T * weights) @ x.conj()
    np.testing.assert_allclose(matrices[-1], expected, rtol=1e-4, atol=1e-6)


def test_windows_restart_at_segment_starts(make_capture):
    """Segments of 300 samples with a window of 128: windows never straddle a segment."""
    path = make_capture(azimuths_deg=(-20.0, 35.0), segment_length=300)
    top = gr.top_block()
    source = bearing.capture_source(str(path))
    accumulator = bearing.covariance_accumulator(num_elements=4, average=128)
    sink = blocks.vector_sink_c(16)
    top.connect(source, accumulator, sink)
    top.run()
    windows = [messages.from_pmt(t.value) for t in sink.tags()]
    assert [w["sample_start"] for w in windows] == [0, 128, 300, 428]
    assert [w["truth_azimuth_deg"] for w in windows] == [[-20.0], [-20.0], [35.0], [35.0]]


def test_nan_window_is_dropped_and_the_flowgraph_goes_on():
    x = _snapshots(400)
    x[150] = np.nan
    matrices, windows, _ = _run(x, num_elements=4, average=100)
    assert [w["sample_start"] for w in windows] == [0, 200, 300]
    assert np.all(np.isfinite(matrices))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_elements": 1}, "num_elements"),
        ({"average": -1}, "average"),
        ({"average": 0, "overlap": 1}, "overlap and forgetting_factor must be 0 with average 0"),
        ({"average": 10, "overlap": 10}, "overlap"),
        ({"forgetting_factor": 1.0}, "forgetting_factor"),
        ({"num_elements": 4, "subarray_length": 5}, "subarray_length"),
    ],
)
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bearing.covariance_accumulator(**kwargs)


def test_wrong_vector_length_is_refused_at_connect():
    top = gr.top_block()
    source = blocks.vector_source_c([0j] * 8, False, 8)
    accumulator = bearing.covariance_accumulator(num_elements=4)
    with pytest.raises(ValueError, match="itemsize mismatch"):
        top.connect(source, accumulator)


@pytest.mark.parametrize("segment_lengths", [(300,), (5, 300, 7, 64), (1, 1, 50)], ids=str)
@pytest.mark.parametrize(("average", "overlap"), [(1, 0), (7, 0), (7, 6), (64, 0), (64, 63), (299, 0)])
@pytest.mark.parametrize("small_buffers", [False, True])
def test_windows_match_a_reference_for_any_segmentation(
    tmp_path, segment_lengths, average, overlap, small_buffers
):
    """Window starts, truths and matrices against a direct computation, with tiny buffers too."""
    x = _snapshots(sum(segment_lengths))
    segments, truths, start = [], [], 0
    for index, length in enumerate(segment_lengths):
        segments.append(Segment(start, length, global_index=index * 10**6))
        truths.append(Truth(start, length, float(index)))
        start += length
    path = write_capture(
        tmp_path / "c",
        x,
        sample_rate_hz=1e6,
        frequency_hz=2.4e9,
        geometry=ula(4, 0.06),
        segments=segments,
        truths=truths,
    )
    expected = [
        (segment.sample_start + k * (average - overlap), float(index))
        for index, segment in enumerate(segments)
        for k in range(max(0, (segment.sample_count - average) // (average - overlap) + 1))
    ]
    matrices, windows = _replay(path, small_buffers, average=average, overlap=overlap)
    assert [(w["sample_start"], w["truth_azimuth_deg"]) for w in windows] == [(s, [a]) for s, a in expected]
    for matrix, (first, _) in zip(matrices, expected, strict=True):
        np.testing.assert_allclose(
            matrix, covariance.sample_covariance(x[first : first + average].T), atol=1e-5
        )


@pytest.mark.parametrize("small_buffers", [False, True])
def test_average_zero_makes_one_window_of_each_whole_segment(tmp_path, small_buffers):
    """Average 0: one covariance per segment, as long as the segment (its segment_start tag's
    sample_count), even with room for one output item at a time."""
    lengths = [50, 300, 7, 129, 1000]
    x = _snapshots(sum(lengths))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).tolist()
    path = write_capture(
        tmp_path / "c",
        x,
        sample_rate_hz=1e6,
        frequency_hz=2.4e9,
        geometry=ula(4, 0.06),
        segments=[Segment(start, length) for start, length in zip(starts, lengths, strict=True)],
        truths=[
            Truth(start, length, float(i))
            for i, (start, length) in enumerate(zip(starts, lengths, strict=True))
        ],
    )
    matrices, windows = _replay(path, small_buffers, average=0)
    assert [(w["sample_start"], w["sample_count"]) for w in windows] == list(
        zip(starts, lengths, strict=True)
    )
    assert [w["truth_azimuth_deg"] for w in windows] == [[float(i)] for i in range(len(lengths))]
    for matrix, start, length in zip(matrices, starts, lengths, strict=True):
        np.testing.assert_allclose(
            matrix, covariance.sample_covariance(x[start : start + length].T), atol=1e-5
        )
