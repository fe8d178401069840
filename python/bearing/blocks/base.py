"""Base classes of the blocks: the guard that keeps every block's exceptions inside it
(:class:`Guarded`), and the estimator blocks' bearings messages and one output item per windowed
input item."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pmt
from gnuradio import gr
from numpy.typing import ArrayLike

from ..validation import AUTO_SOURCES
from . import messages

WORK_DONE = -1
"""What ``work`` returns to end the flowgraph (GNU Radio's ``WORK_DONE``)."""


class Guarded:
    """Mixin of every gr-bearing block: no exception leaves its ``work``, ``general_work`` or a
    ``handle_*`` message handler.

    In GNU Radio 3.10 a Python exception escaping one of them reaches C++ as an uncaught
    exception: the process aborts (SIGABRT) or the flowgraph hangs. A block that puts this
    class first among its bases has those methods wrapped (:meth:`__init_subclass__`, so every
    subclass is covered too): an exception is logged as one error line, counted in
    :attr:`guard_failures`, and what the call was handling is dropped, and the flowgraph goes on:

    * a message handler drops the message;
    * ``general_work`` consumes its input items and outputs none (the window is dropped);
    * ``work`` of a sink consumes its input items; of a block with outputs, it outputs NaN
      (downstream, the covariance accumulator drops windows with NaN samples, the estimators
      fail on them and count them); of a source (no input), it ends the stream (``WORK_DONE``),
      so that a file changed under a running replay ends the replay with a clear message.
    """

    guard_failures = 0
    """Calls whose exception the guard caught (class default 0; counted per block)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for name, function in list(vars(cls).items()):
            guarded = name in ("work", "general_work") or name.startswith("handle_")
            if guarded and callable(function) and not getattr(function, "_guarded", False):
                setattr(cls, name, _guarded(name, function))

    def contain(self, name: str, args: tuple, error: Exception) -> object:
        """What a guarded call returns after ``error``; logs and counts it (class docstring)."""
        self.guard_failures += 1
        what = "message" if name.startswith("handle_") else "items"
        self.logger.error(f"{name}: {type(error).__name__}: {error} ({what} dropped, the flowgraph goes on)")
        if name.startswith("handle_"):
            return None
        input_items, output_items = args[0], args[1]
        if name == "general_work":
            for port, items in enumerate(input_items):
                self.consume(port, len(items))
            return 0
        if not len(input_items):
            self.logger.error(f"{name}: the stream ends here")
            return WORK_DONE
        for out in output_items:
            out[:] = np.nan
        return len(input_items[0])


def _guarded(name: str, function: Callable) -> Callable:
    @functools.wraps(function)
    def guarded(self, *args):
        try:
            return function(self, *args)
        except Exception as error:  # the guard: nothing escapes into GNU Radio's C++
            return self.contain(name, args, error)

    guarded._guarded = True
    return guarded


class BearingsBlock(Guarded, gr.basic_block):
    """A block that publishes its estimates as ``bearings`` and ``azimuth`` messages (see
    :mod:`~gnuradio.bearing.blocks.messages`)."""

    def register_bearings_ports(self) -> None:
        """Adds the ``bearings`` and ``azimuth`` message outputs (see :meth:`publish_bearings`)."""
        self.message_port_register_out(pmt.intern(messages.BEARINGS_PORT))
        self.message_port_register_out(pmt.intern(messages.AZIMUTH_PORT))

    def publish_bearings(
        self,
        azimuth_deg: ArrayLike,
        peak_db: ArrayLike,
        method: str,
        window: dict | None,
        elevation_deg: ArrayLike | None = None,
    ) -> None:
        """Publishes the ``bearings`` message and, if there are bearings, the ``azimuth`` of the
        first (and its ``elevation``, for a block that registered that port and estimates it)."""
        message = messages.bearings_message(azimuth_deg, peak_db, method, window, elevation_deg=elevation_deg)
        self.message_port_pub(pmt.intern(messages.BEARINGS_PORT), message)
        if len(azimuth_deg):
            self.message_port_pub(pmt.intern(messages.AZIMUTH_PORT), messages.azimuth_pair(azimuth_deg[0]))
            if elevation_deg is not None:
                pair = messages.elevation_pair(elevation_deg[0])
                self.message_port_pub(pmt.intern(messages.ELEVATION_PORT), pair)


class WindowMapBlock(BearingsBlock):
    """One output item per input item (covariance -> spectrum, spectrum -> sparse spectrum).

    Subclasses implement :meth:`map_item`, which returns the output item and may publish
    messages. Each output item carries the ``window`` tag of its input item (see
    :mod:`~gnuradio.bearing.blocks.messages`), with the fields of :meth:`window_fields` added (the tag is
    created for them when the input item has none); other tags are not propagated. An item
    :meth:`map_item` cannot use (it raises any exception: ``ValueError``, numpy's
    ``LinAlgError``, the C++ kernel's errors) produces no output: it is logged and counted
    in :attr:`failed_estimates`, and the flowgraph goes on (an exception escaping
    ``general_work`` would hang it).
    """

    def __init__(self, name: str, in_sig: list, out_sig: list) -> None:
        gr.basic_block.__init__(self, name=name, in_sig=in_sig, out_sig=out_sig)
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.failed_estimates = 0

    def map_item(self, item: np.ndarray, window: dict | None) -> ArrayLike:
        """The output item for one input item; ``window`` is its ``window`` tag, if any."""
        raise NotImplementedError

    def window_fields(self, item: np.ndarray) -> dict:
        """Fields to add to the output item's ``window`` tag, from the input item (none by default)."""
        return {}

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        # Any input will do (general_work maps what there is room for). Asking for
        # noutput_items made the scheduler halve its request, one forecast call a step,
        # down to the one item a covariance accumulator delivers at a time.
        return [1] * ninputs

    def general_work(self, input_items, output_items) -> int:
        items, out = input_items[0], output_items[0]
        count = min(len(items), len(out))
        windows = messages.window_tags(self, count)
        produced = 0
        for index in range(count):
            window = windows.get(self.nitems_read(0) + index)
            try:
                out[produced] = self.map_item(items[index], window)
                fields = self.window_fields(items[index])
            except Exception as error:  # any exception escaping general_work hangs the flowgraph
                self.failed_estimates += 1
                first = (window or {}).get("sample_start", "?")
                self.logger.warn(
                    f"no estimate for the window starting at sample {first}: {type(error).__name__}: {error}"
                )
                continue
            if window is not None or fields:
                tag = {**(window or {}), **fields}
                self.add_item_tag(
                    0, self.nitems_written(0) + produced, pmt.intern(messages.WINDOW), messages.to_pmt(tag)
                )
            produced += 1
        self.consume(0, count)
        return produced


def window_num_sources(num_sources: int, window: dict | None) -> int:
    """The sources to estimate for one item: ``num_sources``, or with :data:`AUTO_SOURCES`
    the ``num_sources`` a source counter upstream wrote into the item's ``window`` tag
    (:mod:`~gnuradio.bearing.blocks.messages`); ``ValueError`` when there is none."""
    if num_sources != AUTO_SOURCES:
        return num_sources
    if window is None or messages.NUM_SOURCES not in window:
        raise ValueError(
            "sources: auto, but the item has no num_sources in its window tag: put a Source "
            "Counter upstream (between the covariance accumulator and the estimator)"
        )
    return int(window[messages.NUM_SOURCES])
