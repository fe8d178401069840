"""GNU Radio block: keep one window of snapshots in every period of a live stream, and say where
each comes from."""

from __future__ import annotations

import collections
import time

import numpy as np
import pmt
from gnuradio import gr

from ..validation import check_integer
from . import messages
from .base import Guarded

ARRIVAL_PORT = "arrival"
ARRIVALS_KEPT = 4096
"""Windows whose arrival time :meth:`window_selector.arrival_time` still knows."""


class window_selector(Guarded, gr.basic_block):
    """Keeps samples ``[k P, k P + W)`` of every period of ``P = period`` samples (``W = window``)
    of a live M-channel stream and drops the rest, so that the Python blocks behind it see a few
    windows a second instead of the full sample rate.

    Each kept window is output back to back, ``W`` items, and its first item is tagged:

    * ``segment_start`` ``{segment: k, sample_index: k P, global_index: k P}``: the covariance
      accumulator restarts there (no estimate straddles two windows) and every estimate names
      the stream's sample it starts at, as a replay names the recording's;
    * ``truth`` (one per emitter): the input's ``truth`` tags that overlap the window (the
      Simulated Array Source's), else the bearings of the last ``truth`` message (a turntable
      or a beacon at a known bearing), each with ``sample_count`` ``W``;
    * ``noise_source`` ``{on: bool}`` while the input's shared noise source is on, and on the
      first window after it went off (see :mod:`~gnuradio.bearing.blocks.messages`). A window
      during which the noise source switched is dropped: it is neither signal nor calibration.

    The wall-clock time at which each window's last sample arrived is kept for the last
    :data:`ARRIVALS_KEPT` windows (:meth:`arrival_time`): the live flowgraph's latency runs from
    there to the printed estimate. It is also published, when anything listens, on the
    ``arrival`` port as ``{sample_start: int, arrival_time: float}`` (seconds since 1970) for a
    GUI's readout (the Live Readout block).

    Args:
        num_elements: M, channels per item.
        window: W, samples per kept window (the estimate's snapshots).
        period: P, samples from one window's start to the next; ``P >= W``.
    """

    def __init__(self, num_elements: int = 4, window: int = 1024, period: int = 50_000) -> None:
        num_elements = check_integer(num_elements, "num_elements", 2)
        window = check_integer(window, "window", 1)
        period = check_integer(
            period, "period (samples from one window to the next, at least the window)", window
        )
        gr.basic_block.__init__(
            self,
            name="Bearing Window Selector",
            in_sig=[(np.complex64, num_elements)],
            out_sig=[(np.complex64, num_elements)],
        )
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.window, self.period = window, period
        self.set_output_multiple(window)  # room for whole windows, whatever the block behind
        self._partial: list[np.ndarray] = []  # the current window's samples so far
        self._tags_read_until = 0  # input tags before this offset were read
        self._truths: list[tuple[int, int, dict]] = []  # (first sample, end sample, tag value)
        self._message_truth: list[dict] = []
        self._noise_on = False
        self._noise_changes: list[tuple[int, bool]] = []  # (sample, on) not yet behind a window
        self._noise_was_on = False  # the last window kept was a noise-source window
        self._arrivals: collections.OrderedDict[int, float] = collections.OrderedDict()
        self.samples_seen = 0
        """Input samples consumed so far (the live flowgraph's watchdog reads it)."""
        self.windows_kept = 0
        self.windows_dropped = 0
        """Windows dropped because the noise source switched during them."""
        self.message_port_register_out(pmt.intern(ARRIVAL_PORT))
        self.message_port_register_in(pmt.intern(messages.TRUTH_PORT))
        self.set_msg_handler(pmt.intern(messages.TRUTH_PORT), self.handle_truth)

    def handle_truth(self, message: pmt.pmt_t) -> None:
        """``truth`` message: the known bearings from the next window on (empty: none)."""
        try:
            bearings = messages.truth_bearings(messages.from_pmt(message))
        except (TypeError, ValueError) as error:
            self.logger.error(f"truth message ignored: {error}")
            return
        self._message_truth = [
            {key: value for key, value in bearing.items() if value is not None}
            | {"sample_count": self.window}
            for bearing in bearings
        ]

    def arrival_time(self, sample_start: int) -> float | None:
        """Wall-clock time (``time.time()``) at which the last sample of the window starting at
        stream sample ``sample_start`` arrived; None when it is not known (any more)."""
        return self._arrivals.get(int(sample_start))

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        return [1] * ninputs

    def general_work(self, input_items, output_items) -> int:
        items, out = input_items[0], output_items[0]
        first = self.nitems_read(0)
        self._read_tags(max(first, self._tags_read_until), first + len(items))  # each tag once
        self._tags_read_until = first + len(items)
        position, end, produced = first, first + len(items), 0
        while position < end:
            start = position // self.period * self.period
            stop = start + self.window
            if position >= stop:  # between windows: skip to the next one
                position = min(end, start + self.period)
                continue
            if produced + self.window > len(out) and end >= stop:
                end = stop - 1  # no room for this window: leave its last sample for the next call
                if position >= end:
                    break
            take = min(end, stop) - position
            self._partial.append(items[position - first : position - first + take].copy())  # not a view
            position += take
            if position == stop:
                produced += self._finish_window(start, out, produced)
        self.consume(0, position - first)
        self.samples_seen = position
        return produced

    def _read_tags(self, first: int, end: int) -> None:
        for tag in self.get_tags_in_range(0, first, end):
            key = pmt.symbol_to_string(tag.key)
            if key == messages.TRUTH:
                value = messages.from_pmt(tag.value)
                self._truths.append((tag.offset, tag.offset + int(value["sample_count"]), value))
            elif key == messages.NOISE_SOURCE:
                self._noise_changes.append((tag.offset, bool(messages.from_pmt(tag.value)["on"])))
        self._noise_changes.sort()

    def _finish_window(self, start: int, out: np.ndarray, produced: int) -> int:
        """Outputs the window of samples ``[start, start + W)`` just completed; returns the items
        written (0 when the noise source switched during it)."""
        samples = np.concatenate(self._partial) if len(self._partial) > 1 else self._partial[0]
        self._partial = []
        stop = start + self.window
        switched = self._advance_noise_state(start, stop)
        truths = self._window_truths(start, stop)
        if switched:
            self.windows_dropped += 1
            return 0
        out[produced : produced + self.window] = samples
        offset = self.nitems_written(0) + produced
        self._tag(
            offset,
            messages.SEGMENT_START,
            {
                "segment": start // self.period,
                "sample_index": start,
                "sample_count": self.window,
                "global_index": start,
            },
        )
        for truth in truths:
            self._tag(offset, messages.TRUTH, truth)
        if self._noise_on or self._noise_was_on:
            self._tag(offset, messages.NOISE_SOURCE, {"on": self._noise_on})
        self._noise_was_on = self._noise_on
        self._arrivals[start] = time.time()
        port = pmt.intern(ARRIVAL_PORT)
        if not pmt.is_null(self.message_subscribers(port)):
            arrival = {"sample_start": start, "arrival_time": self._arrivals[start]}
            self.message_port_pub(port, messages.to_pmt(arrival))
        while len(self._arrivals) > ARRIVALS_KEPT:
            self._arrivals.popitem(last=False)
        self.windows_kept += 1
        return self.window

    def _advance_noise_state(self, start: int, stop: int) -> bool:
        """Applies the noise-source changes up to ``stop``; True when one falls inside ``(start, stop)``."""
        switched = False
        while self._noise_changes and self._noise_changes[0][0] < stop:
            sample, on = self._noise_changes.pop(0)
            switched |= sample > start and on != self._noise_on
            self._noise_on = on
        return switched

    def _window_truths(self, start: int, stop: int) -> list[dict]:
        """The truth tags of the window ``[start, stop)``: the input's that overlap it (of an emitter
        whose bearing changes inside the window, by its ``label``, the one that covers most of
        it), else the last message's; each covering the whole window."""
        chosen: dict[object, tuple[int, dict]] = {}
        for number, (first, end, value) in enumerate(self._truths):
            overlap = min(end, stop) - max(first, start)
            key = value.get("label", number)
            if overlap > 0 and overlap > chosen.get(key, (0, {}))[0]:
                chosen[key] = (overlap, value)
        self._truths = [truth for truth in self._truths if truth[1] > stop]
        overlapping = [value for _, value in chosen.values()]
        return [dict(value, sample_count=self.window) for value in overlapping or self._message_truth]

    def _tag(self, offset: int, key: str, value: dict) -> None:
        self.add_item_tag(0, offset, pmt.intern(key), messages.to_pmt(value))
