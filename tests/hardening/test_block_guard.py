"""The guard of every block (blocks.base.Guarded): an exception in work, general_work or a message
handler is logged, counted and dropped, and the flowgraph goes on (issue 20)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pmt
from gnuradio import blocks, gr
from gnuradio.bearing import capture_source, demo_capture_path, json_sink
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.blocks.base import Guarded
from gnuradio.bearing.captures.reader import read_capture


class _failing_every_other(Guarded, gr.basic_block):
    """Passes items on, and raises on every other call."""

    def __init__(self) -> None:
        gr.basic_block.__init__(self, name="failing", in_sig=[np.float32], out_sig=[np.float32])
        self.calls = 0

    def general_work(self, input_items, output_items) -> int:
        self.calls += 1
        if self.calls % 2:
            raise RuntimeError("a bad window")
        count = min(len(input_items[0]), len(output_items[0]))
        output_items[0][:count] = input_items[0][:count]
        self.consume(0, count)
        return count


def test_an_exception_in_general_work_drops_its_items_and_the_flowgraph_goes_on():
    source = blocks.vector_source_f(np.arange(100_000, dtype=np.float32).tolist())
    block = _failing_every_other()
    sink = blocks.vector_sink_f()
    flowgraph = gr.top_block()
    flowgraph.connect(source, block, sink)
    flowgraph.run()
    assert block.guard_failures >= 1 and block.calls >= 2
    assert 0 < len(sink.data()) < 100_000


def test_a_malformed_message_is_dropped_and_the_next_one_is_written(tmp_path):
    sink = json_sink(str(tmp_path / "out.json"))
    sink.start()
    sink.handle_bearings(pmt.intern("not a bearings message"))
    good = messages.bearings_message([12.5], [0.0], "music", {"sample_start": 0, "sample_count": 8})
    sink.handle_bearings(good)
    sink.stop()
    assert sink.guard_failures == 1
    assert [json.loads(line)["azimuth_deg"] for line in (tmp_path / "out.json").read_text().splitlines()] == [
        [12.5]
    ]


def test_a_data_file_truncated_under_a_replay_ends_it_with_a_clear_message(tmp_path):
    demo = demo_capture_path()
    for suffix in (".sigmf-meta", ".sigmf-data"):
        shutil.copy(demo.replace(".sigmf-meta", suffix), tmp_path / f"capture{suffix}")
    capture = read_capture(tmp_path / "capture.sigmf-meta")
    with open(capture.data_path, "r+b") as data:
        data.truncate(1_000_000)
    source = capture_source(capture)
    sink = blocks.null_sink(gr.sizeof_gr_complex * 4)
    flowgraph = gr.top_block()
    flowgraph.connect(source, sink)
    flowgraph.run()
    assert "the data file changed under the replay" in source.error
