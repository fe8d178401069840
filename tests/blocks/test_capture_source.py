"""Flowgraph tests of the capture source block."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.blocks import messages


def _replay(path, **kwargs):
    top = gr.top_block()
    source = bearing.capture_source(str(path), **kwargs)
    sink = blocks.vector_sink_c(source.num_elements)
    top.connect(source, sink)
    top.run()
    return source, sink


def test_replays_every_sample_with_segment_and_truth_tags(make_capture):
    path = make_capture(azimuths_deg=(-20.0, 35.0, [10.0, -40.0]), segment_length=300)
    source, sink = _replay(path)
    capture = source.capture
    data = np.asarray(sink.data(), dtype=np.complex64).reshape(-1, 4)
    np.testing.assert_array_equal(data, capture.read(0, capture.num_samples))

    tags = {}
    for tag in sink.tags():
        tags.setdefault(pmt.symbol_to_string(tag.key), []).append((tag.offset, messages.from_pmt(tag.value)))
    assert [offset for offset, _ in tags[messages.SEGMENT_START]] == [0, 300, 600]
    assert [value["global_index"] for _, value in tags[messages.SEGMENT_START]] == [0, 1_000_000, 2_000_000]
    truths = sorted((offset, value["azimuth_deg"]) for offset, value in tags[messages.TRUTH])
    assert truths == [(0, -20.0), (300, 35.0), (600, -40.0), (600, 10.0)]


def test_repeat_loops_over_the_recording(make_capture):
    path = make_capture(segment_length=100)
    top = gr.top_block()
    source = bearing.capture_source(str(path), repeat=True)
    head = blocks.head(gr.sizeof_gr_complex * 4, 250)
    sink = blocks.vector_sink_c(4)
    top.connect(source, head, sink)
    top.run()
    data = np.asarray(sink.data()).reshape(-1, 4)
    assert len(data) == 250
    np.testing.assert_array_equal(data[100:200], data[:100])
    assert [t.offset for t in sink.tags() if pmt.symbol_to_string(t.key) == messages.SEGMENT_START] == [
        0,
        100,
        200,
    ]


def test_wrong_channel_count_is_refused_with_both_numbers(make_capture):
    path = make_capture(num_elements=4)
    with pytest.raises(ValueError, match=r"4 channels.*num_elements is 8"):
        bearing.capture_source(str(path), num_elements=8)
