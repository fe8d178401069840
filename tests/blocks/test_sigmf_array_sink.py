"""Flowgraph tests of the SigMF Array Sink: a recording of a stream reads back as the capture it
came from, truth and calibration messages land in its metadata, and `bearing estimate` gives the
same bearings on it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.schema import Capture, Segment
from gnuradio.bearing.captures.writer import write_capture
from helpers.command import bearing as run_bearing
from helpers.flowgraphs import run_within


def _sink(path: Path, capture: Capture, **kwargs) -> bearing.sigmf_array_sink:
    return bearing.sigmf_array_sink(
        str(path),
        capture.geometry.positions_m.tolist(),
        capture.frequency_hz,
        capture.sample_rate_hz,
        capture.num_channels,
        **kwargs,
    )


def _record(source: bearing.capture_source, path: Path, *middle: gr.basic_block, **kwargs):
    """Runs ``source -> middle... -> SigMF Array Sink`` to the end; returns the sink."""
    top = gr.top_block()
    sink = _sink(path, source.capture, **kwargs)
    top.connect(source, *middle, sink)
    run_within(top)
    return sink


def _truth_rows(capture: Capture) -> list[tuple]:
    return [(t.sample_start, t.sample_count, t.azimuth_deg, t.elevation_deg, t.label) for t in capture.truths]


def test_a_replayed_capture_is_recorded_with_its_samples_segments_and_truths(tmp_path):
    source = bearing.capture_source(bearing.demo_capture_path())
    sink = _record(source, tmp_path / "copy")
    original = source.capture
    copy = read_capture(tmp_path / "copy")

    assert sink.samples_written == copy.num_samples == original.num_samples
    np.testing.assert_array_equal(copy.read(0, copy.num_samples), original.read(0, original.num_samples))
    assert copy.segments == [
        Segment(s.sample_start, s.sample_count, s.global_index) for s in original.segments
    ]
    assert _truth_rows(copy) == _truth_rows(original)
    assert (copy.frequency_hz, copy.sample_rate_hz) == (original.frequency_hz, original.sample_rate_hz)
    np.testing.assert_array_equal(copy.geometry.positions_m, original.geometry.positions_m)


def test_bearing_estimate_gives_the_same_bearings_on_the_recording(tmp_path):
    source = bearing.capture_source(bearing.demo_capture_path())
    _record(source, tmp_path / "copy")
    on_original = run_bearing("estimate", source.capture.meta_path, "--method", "music", "--json").stdout
    on_copy = run_bearing("estimate", tmp_path / "copy.sigmf-meta", "--method", "music", "--json").stdout
    assert len(on_original.splitlines()) == len(source.capture.segments)
    assert on_copy == on_original


def test_segments_replayed_apart_keep_their_place_on_the_original_clock(tmp_path):
    """A capture without core:global_index: the tags' global_index is -1, so each segment's
    sample_index in the original becomes its global index, and the skipped segment shows as a gap."""
    rng = np.random.default_rng(3)
    samples = (rng.standard_normal((250, 4)) + 1j * rng.standard_normal((250, 4))).astype(np.complex64)
    path = write_capture(
        tmp_path / "original",
        samples,
        sample_rate_hz=1e6,
        frequency_hz=2.4e9,
        geometry=bearing.ula(4, 0.0625),
        segments=[Segment(0, 100), Segment(100, 50), Segment(150, 100)],
    )
    source = bearing.capture_source(str(path), segment_length=100)  # skips the 50-sample segment
    _record(source, tmp_path / "copy")
    copy = read_capture(tmp_path / "copy")
    assert [(s.sample_start, s.sample_count, s.global_index) for s in copy.segments] == [
        (0, 100, 0),
        (100, 100, 150),
    ]
    np.testing.assert_array_equal(copy.read(100, 100), samples[150:])


class _cue(gr.sync_block):
    """Passes the vectors on and publishes ``cues[n]`` on its ``truth`` port right before sample n,
    once the sink has written every sample before n and taken the message in: the sink's sample
    at which a message arrives is then known."""

    def __init__(self, num_elements: int, cues: dict[int, dict], sink: bearing.sigmf_array_sink) -> None:
        gr.sync_block.__init__(
            self, name="cue", in_sig=[(np.complex64, num_elements)], out_sig=[(np.complex64, num_elements)]
        )
        self.message_port_register_out(pmt.intern(messages.TRUTH_PORT))
        self._cues = dict(sorted(cues.items()))
        self._sink = sink

    def work(self, input_items, output_items) -> int:
        first = self.nitems_written(0)
        if self._cues and next(iter(self._cues)) == first:
            self._wait(lambda: self._sink.samples_written == first)
            self.message_port_pub(pmt.intern(messages.TRUTH_PORT), messages.to_pmt(self._cues.pop(first)))
            port = pmt.intern(messages.TRUTH_PORT)
            self._wait(lambda: self._sink.to_basic_block().nmsgs(port) == 0)
        stop = next(iter(self._cues), first + len(output_items[0]))
        count = min(len(output_items[0]), stop - first)
        output_items[0][:count] = input_items[0][:count]
        return count

    @staticmethod
    def _wait(condition, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the sink did not catch up")
            time.sleep(0.001)


def test_truth_and_calibration_messages_while_running_land_in_the_metadata(tmp_path):
    source = bearing.capture_source(bearing.demo_capture_path())
    top = gr.top_block()
    sink = _sink(tmp_path / "turntable", source.capture)
    cues = {
        0: {"azimuth_deg": [30.0], "label": "turntable"},
        50_000: {"azimuth_deg": [10.0, -20.0], "elevation_deg": [1.0, 2.0], "label": "turntable"},
        90_000: {"azimuth_deg": []},  # nothing known from here
        100_000: {"azimuth_deg": 5.0, "label": "turntable"},  # open until the end
    }
    cue = _cue(4, cues, sink)
    calibrations = [
        {"state": "calibrated", "method": "noise", "coherence": 0.99, "gains_real": [1.0, 0.5], "time": "t0"},
        {
            "state": "drift",
            "method": "noise",
            "coherence": float("nan"),
            "gains_real": [1.0, 0.5],
            "time": "t1",
        },
    ]
    for calibration in calibrations:  # before the start: the sink takes them before its first sample
        sink.to_basic_block()._post(pmt.intern(messages.CALIBRATION_PORT), messages.to_pmt(calibration))
    sink.to_basic_block()._post(pmt.intern(messages.CALIBRATION_PORT), pmt.intern("garbage"))  # skipped
    top.connect(source, cue, sink)
    top.msg_connect((cue, messages.TRUTH_PORT), (sink, messages.TRUTH_PORT))
    run_within(top)

    capture = read_capture(tmp_path / "turntable")
    turntable = [row for row in _truth_rows(capture) if row[4] == "turntable"]
    end = capture.num_samples
    assert sorted(turntable) == [
        (0, 50_000, 30.0, None, "turntable"),
        (50_000, 40_000, -20.0, 2.0, "turntable"),
        (50_000, 40_000, 10.0, 1.0, "turntable"),
        (100_000, end - 100_000, 5.0, None, "turntable"),
    ]
    assert len(capture.truths) == len(turntable) + len(source.capture.truths)  # the tags' truths too

    text = Path(sink.meta_path).read_text()
    global_info = json.loads(text, parse_constant=_refuse)["global"]  # strict JSON: no NaN
    assert global_info["bearing:calibration"] == {**calibrations[1], "coherence": None}  # the latest
    assert {"name": "bearing", "version": "1.0.0", "optional": True} in global_info["core:extensions"]


def _refuse(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def test_a_flowgraph_stopped_early_leaves_a_valid_recording(tmp_path):
    source = bearing.capture_source(bearing.demo_capture_path(), repeat=True)  # never ends
    top = gr.top_block()
    sink = _sink(tmp_path / "early", source.capture)
    throttle = blocks.throttle(gr.sizeof_gr_complex * 4, 2e6)
    top.connect(source, throttle, sink)
    top.start()
    try:
        deadline = time.monotonic() + 10
        while sink.samples_written < 3000 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        top.stop()
        top.wait()

    capture = read_capture(tmp_path / "early")
    assert capture.num_samples == sink.samples_written >= 3000
    last = capture.segments[-1]
    assert last.sample_start + last.sample_count == capture.num_samples
    assert all(t.sample_start + t.sample_count <= capture.num_samples for t in capture.truths)
    np.testing.assert_array_equal(capture.read(0, 1024), source.capture.read(0, 1024))


def test_bad_settings_are_refused_when_the_block_is_made(tmp_path):
    capture = read_capture(bearing.demo_capture_path())
    with pytest.raises(ValueError, match=r"the folder .*missing does not exist"):
        _sink(tmp_path / "missing" / "rec", capture)
    with pytest.raises(ValueError, match=r"4 elements but num_elements is 8"):
        bearing.sigmf_array_sink(str(tmp_path / "rec"), capture.geometry.positions_m.tolist(), 4.85e9, 1e6, 8)
    with pytest.raises(ValueError, match="positions_m"):
        bearing.sigmf_array_sink(str(tmp_path / "rec"), [0.0, 0.1], 4.85e9, 1e6)


def test_a_flowgraph_started_again_goes_on_with_the_recording_in_a_new_segment(tmp_path):
    samples = np.arange(400 * 4).reshape(400, 4).astype(np.complex64)
    top = gr.top_block()
    source = blocks.vector_source_c(samples.ravel().tolist(), False, 4)
    sink = bearing.sigmf_array_sink(str(tmp_path / "paused"), bearing.ula(4, 0.0625).positions_m, 2.4e9, 1e6)
    top.connect(source, sink)
    sink.to_basic_block()._post(pmt.intern(messages.TRUTH_PORT), messages.to_pmt({"azimuth_deg": [12.0]}))
    run_within(top)
    source.rewind()
    run_within(top)

    capture = read_capture(tmp_path / "paused")
    np.testing.assert_array_equal(capture.read(0, capture.num_samples), np.concatenate([samples, samples]))
    assert [(s.sample_start, s.sample_count) for s in capture.segments] == [(0, 400), (400, 400)]
    assert _truth_rows(capture) == [(0, 400, 12.0, None, None), (400, 400, 12.0, None, None)]
