"""Flowgraph tests of the capture source block."""

from __future__ import annotations

import json

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


def _annotate(path, annotations: list[dict]) -> None:
    """Adds bearing-less annotations to the capture's metadata."""
    metadata = json.loads(path.read_text())
    metadata["annotations"] = sorted(
        metadata["annotations"] + annotations, key=lambda annotation: annotation["core:sample_start"]
    )
    path.write_text(json.dumps(metadata))


def test_annotations_mode_replays_each_annotated_span_once_as_a_segment(make_capture):
    """Two segments with a truth each, plus packets: one inside segment 0, one repeated with the
    same samples, one of no samples, one crossing into segment 1 (one window across the
    boundary: its samples are contiguous in the file). Each distinct non-empty span is replayed
    once, tagged segment_start with its sample_count, and with the truths over it, cut to it."""
    path = make_capture(azimuths_deg=(-20.0, 35.0), segment_length=300)
    _annotate(
        path,
        [
            {"core:sample_start": 50, "core:sample_count": 100, "core:label": "packet"},
            {"core:sample_start": 50, "core:sample_count": 100, "core:label": "again"},
            {"core:sample_start": 120, "core:sample_count": 0},
            {"core:sample_start": 250, "core:sample_count": 100},
        ],
    )
    source, sink = _replay(path, annotations=True)
    spans = [(0, 300), (50, 150), (250, 350), (300, 600)]
    data = np.asarray(sink.data(), dtype=np.complex64).reshape(-1, 4)
    capture = source.capture
    np.testing.assert_array_equal(data, np.concatenate([capture.read(a, b - a) for a, b in spans]))
    tags = {}
    for tag in sorted(sink.tags(), key=lambda t: t.offset):
        tags.setdefault(pmt.symbol_to_string(tag.key), []).append((tag.offset, messages.from_pmt(tag.value)))
    offsets = np.cumsum([0] + [b - a for a, b in spans[:-1]]).tolist()
    starts = tags[messages.SEGMENT_START]
    assert [(o, v["sample_index"], v["sample_count"]) for o, v in starts] == [
        (o, a, b - a) for o, (a, b) in zip(offsets, spans, strict=True)
    ]
    truths = [(o, v["azimuth_deg"], v["sample_count"]) for o, v in tags[messages.TRUTH]]
    assert truths == [(0, -20.0, 300), (300, -20.0, 100), (400, -20.0, 50), (450, 35.0, 50), (500, 35.0, 300)]
    assert source.replayed_fraction == 1.0


def test_annotations_mode_refuses_a_capture_without_annotated_samples(make_capture):
    path = make_capture(segment_length=100)
    metadata = json.loads(path.read_text())
    metadata["annotations"] = [{"core:sample_start": 10, "core:sample_count": 0}]
    path.write_text(json.dumps(metadata))
    with pytest.raises(ValueError, match="no annotation of samples to replay"):
        bearing.capture_source(str(path), annotations=True)
    with pytest.raises(ValueError, match="replay one or the other"):
        bearing.capture_source(str(path), annotations=True, segment_length=100)


def test_replayed_fraction_follows_the_replay(make_capture):
    path = make_capture(azimuths_deg=(1.0, 2.0, 3.0, 4.0), segment_length=1000)
    top = gr.top_block()
    source = bearing.capture_source(str(path))
    source.set_max_output_buffer(256)  # it runs at most a buffer or two ahead of the head
    head = blocks.head(gr.sizeof_gr_complex * 4, 500)
    top.connect(source, head, blocks.null_sink(gr.sizeof_gr_complex * 4))
    assert source.replayed_fraction == 0.0
    top.run()
    assert 0.125 <= source.replayed_fraction < 0.5
    assert _replay(path)[0].replayed_fraction == 1.0
