"""Running test flowgraphs with a time limit: a Python block that raises in work() hangs its flowgraph."""

from __future__ import annotations

import threading

import pmt
from gnuradio import gr
from gnuradio.bearing.blocks import messages


def run_within(top: gr.top_block, seconds: float = 30.0) -> None:
    """``top.run()``, failing the test instead of hanging when it does not finish in ``seconds``."""
    finished = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            top.run()
        except BaseException as error:  # reported in the test's thread below
            errors.append(error)
        finished.set()

    threading.Thread(target=run, daemon=True).start()
    if not finished.wait(seconds):
        top.stop()
        raise AssertionError(f"the flowgraph did not finish within {seconds} s (a block hangs)")
    if errors:
        raise errors[0]


def window_tags(count: int, sample_count: int = 200, truth_azimuth_deg=(12.0,)) -> list[gr.tag_t]:
    """``window`` tags for items 0 .. count - 1 of a vector source, item i starting at sample 1000 i."""
    tags = []
    for index in range(count):
        tag = gr.tag_t()
        tag.offset = index
        tag.key = pmt.intern(messages.WINDOW)
        tag.value = messages.to_pmt(messages.window_info(1000 * index, sample_count, truth_azimuth_deg))
        tags.append(tag)
    return tags


def received_windows(sink) -> list[tuple[int, int]]:
    """(item offset, sample_start) of every ``window`` tag a vector sink received."""
    return [
        (tag.offset, messages.from_pmt(tag.value)["sample_start"])
        for tag in sink.tags()
        if pmt.symbol_to_string(tag.key) == messages.WINDOW
    ]
