"""Window Selector: one window per period of a live stream, tagged with its stream sample, truth
and noise-source state, in a real flowgraph."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr
from gnuradio.bearing import window_selector
from gnuradio.bearing.blocks import messages

M = 3


def _tag(offset: int, key: str, value: dict) -> gr.tag_t:
    return gr.tag_utils.python_to_tag((offset, pmt.intern(key), messages.to_pmt(value), pmt.intern("test")))


def _run(samples: np.ndarray, window: int, period: int, tags=()) -> tuple[np.ndarray, list, window_selector]:
    source = blocks.vector_source_c(samples.ravel().tolist(), False, M, list(tags))
    selector = window_selector(M, window, period)
    sink = blocks.vector_sink_c(M)
    flowgraph = gr.top_block()
    flowgraph.connect(source, selector, sink)
    flowgraph.run()
    data = np.asarray(sink.data(), dtype=np.complex64).reshape(-1, M)
    found = [(tag.offset, pmt.symbol_to_string(tag.key), messages.from_pmt(tag.value)) for tag in sink.tags()]
    return data, found, selector


def _stream(count: int) -> np.ndarray:
    """Sample n of channel m holds n + 1j m: every output sample says where it came from."""
    return (np.arange(count)[:, None] + 1j * np.arange(M)[None, :]).astype(np.complex64)


def test_keeps_one_window_per_period_and_tags_its_stream_sample() -> None:
    data, tags, selector = _run(_stream(10_000), window=100, period=1_000)
    assert data.shape == (1_000, M)  # 10 windows of 100
    expected = np.concatenate([np.arange(k * 1_000, k * 1_000 + 100) for k in range(10)])
    np.testing.assert_array_equal(data[:, 0].real, expected)
    np.testing.assert_array_equal(data[:, 2].imag, 2)
    starts = [(offset, value["sample_index"]) for offset, key, value in tags if key == messages.SEGMENT_START]
    assert starts == [(k * 100, k * 1_000) for k in range(10)]
    assert selector.samples_seen == 10_000 and selector.windows_kept == 10
    assert selector.arrival_time(3_000) is not None and selector.arrival_time(3_001) is None


def test_a_truncated_last_window_is_not_output() -> None:
    data, _, _ = _run(_stream(2_100), window=100, period=1_000)
    assert data.shape == (300, M)  # windows at 0, 1000 and 2000
    data, _, _ = _run(_stream(2_099), window=100, period=1_000)
    assert data.shape == (200, M)  # the window at 2000 misses its last sample


def test_truth_tags_land_on_the_windows_they_cover() -> None:
    truths = [
        _tag(0, messages.TRUTH, {"azimuth_deg": -10.0, "sample_count": 2_000}),
        _tag(2_000, messages.TRUTH, {"azimuth_deg": 25.0, "sample_count": 2_000, "label": "b"}),
    ]
    _, tags, _ = _run(_stream(4_000), window=100, period=1_000, tags=truths)
    found = [
        (offset, value["azimuth_deg"], value["sample_count"]) for offset, key, value in tags if key == "truth"
    ]
    assert found == [(0, -10.0, 100), (100, -10.0, 100), (200, 25.0, 100), (300, 25.0, 100)]


def test_noise_source_windows_are_marked_and_a_switching_window_is_dropped() -> None:
    changes = [
        _tag(0, messages.NOISE_SOURCE, {"on": True}),
        _tag(2_050, messages.NOISE_SOURCE, {"on": False}),  # inside the window at 2000
    ]
    _, tags, selector = _run(_stream(5_000), window=100, period=1_000, tags=changes)
    starts = [value["sample_index"] for _, key, value in tags if key == messages.SEGMENT_START]
    assert starts == [0, 1_000, 3_000, 4_000]
    assert selector.windows_dropped == 1
    states = {offset: value["on"] for offset, key, value in tags if key == messages.NOISE_SOURCE}
    assert states == {0: True, 100: True, 200: False}  # on, on, then the first window after it went off


def test_truth_message_applies_from_the_next_window() -> None:
    selector = window_selector(M, 10, 100)
    selector.handle_truth(messages.to_pmt({"azimuth_deg": [12.5, -3.0], "label": "turntable"}))
    assert selector._window_truths(0, 10) == [
        {"azimuth_deg": 12.5, "sample_count": 10, "label": "turntable"},
        {"azimuth_deg": -3.0, "sample_count": 10, "label": "turntable"},
    ]


@pytest.mark.parametrize(("window", "period"), [(0, 10), (10, 5)])
def test_refuses_bad_windows(window: int, period: int) -> None:
    with pytest.raises(ValueError, match=r"window|period"):
        window_selector(M, window, period)


def test_each_truth_tag_is_read_once_when_the_output_is_short_of_room() -> None:
    truths = [
        _tag(k * 1_000, messages.TRUTH, {"azimuth_deg": float(k), "sample_count": 1_000}) for k in range(50)
    ]
    source = blocks.vector_source_c(_stream(50_000).ravel().tolist(), False, M, truths)
    selector = window_selector(M, 100, 1_000)
    selector.set_max_output_buffer(0, 200)  # room for two windows per call at the most
    sink = blocks.vector_sink_c(M)
    flowgraph = gr.top_block()
    flowgraph.connect(source, selector, sink)
    flowgraph.run()
    found = [
        messages.from_pmt(t.value)["azimuth_deg"]
        for t in sink.tags()
        if pmt.symbol_to_string(t.key) == "truth"
    ]
    assert found == [float(k) for k in range(50)]


def test_a_bearing_that_changes_inside_a_window_counts_once_by_the_larger_part() -> None:
    truths = [
        _tag(0, messages.TRUTH, {"azimuth_deg": 1.0, "sample_count": 1_030, "label": "ue"}),
        _tag(1_030, messages.TRUTH, {"azimuth_deg": 2.0, "sample_count": 1_000, "label": "ue"}),
        _tag(0, messages.TRUTH, {"azimuth_deg": -40.0, "sample_count": 3_000, "label": "other"}),
    ]
    _, tags, _ = _run(_stream(2_000), window=100, period=1_000, tags=truths)
    found = sorted((offset, value["azimuth_deg"]) for offset, key, value in tags if key == messages.TRUTH)
    assert found == [(0, -40.0), (0, 1.0), (100, -40.0), (100, 2.0)]
