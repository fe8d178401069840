"""GNU Radio block: record a stream of M-channel vectors as a SigMF capture (our capture format)."""

from __future__ import annotations

import math

import numpy as np
import pmt
from gnuradio import gr
from numpy.typing import ArrayLike

from ..array.geometry import ArrayGeometry
from ..captures.schema import CALIBRATION_KEY
from ..captures.writer import CaptureWriter
from . import messages
from .base import Guarded

"""The global field holding the latest ``calibration`` message (its ``state`` says whether the
channels were calibrated when they were recorded)."""


class sigmf_array_sink(Guarded, gr.sync_block):
    """Writes every complex64 vector of M channels to a SigMF recording (docs/capture-format.md)
    that ``read_capture``, ``bearing estimate`` and ``bearing train`` read back.

    Tags and messages (:mod:`~gnuradio.bearing.blocks.messages`):

    * a ``segment_start`` tag starts a new segment (``captures`` entry) at its sample, whose
      ``core:global_index`` is the tag's ``global_index``, or its ``sample_index`` when that is
      -1 (a Capture Source replaying a recording without one), so that gaps show;
    * a ``truth`` tag becomes an annotation from its sample on, over its ``sample_count``;
    * a ``truth`` message (port ``truth``) gives the known bearings from the next sample on
      (a turntable, a beacon): the annotations of the previous message end at that sample
      (and at the last sample when the flowgraph stops); an empty ``azimuth_deg`` says no
      emitter is known;
    * a ``calibration`` message (port ``calibration``) is kept as the global field
      ``bearing:calibration`` (the latest one, with its ``state``).

    Samples are written to the ``.sigmf-data`` file as they come (nothing is kept in memory);
    the ``.sigmf-meta`` is written when the block is made and again when the flowgraph stops,
    also when it is stopped early. A flowgraph started again goes on with the same recording, from
    a new segment. Malformed tags and messages are skipped with a log line naming them.

    Args:
        path: the recording (``.sigmf-meta``, ``.sigmf-data`` or their common base name).
        positions_m: the element positions, ``(M, 3)`` in metres (SigMF spatial frame).
        frequency_hz: the carrier, Hz.
        sample_rate_hz: samples per second of each channel, Hz.
        num_elements: the vector length (GRC draws the port with it); 0 takes M from
            ``positions_m``; another M is refused.
        description: ``core:description``, when not empty.
        extra_global: further global fields, e.g. the source's settings under a ``bearing:`` key
            (other namespaces are declared in its ``core:extensions``).

    Raises:
        ValueError: bad positions, rates or ``extra_global``, ``num_elements`` not M, or a path
            that cannot be written (its folder missing).
    """

    def __init__(
        self,
        path: str,
        positions_m: ArrayLike,
        frequency_hz: float,
        sample_rate_hz: float,
        num_elements: int = 0,
        description: str = "",
        extra_global: dict | None = None,
    ) -> None:
        geometry = ArrayGeometry(positions_m)
        if num_elements and int(num_elements) != geometry.num_elements:
            raise ValueError(
                f"sigmf_array_sink: positions_m holds {geometry.num_elements} elements but num_elements "
                f"is {num_elements}"
            )
        self._writer = CaptureWriter(
            path,
            sample_rate_hz=sample_rate_hz,
            frequency_hz=frequency_hz,
            geometry=geometry,
            description=description,
            extra_global=extra_global,
        )
        gr.sync_block.__init__(
            self,
            name="Bearing SigMF Array Sink",
            in_sig=[(np.complex64, geometry.num_elements)],
            out_sig=None,
        )
        self._known_truths: list[tuple[int, dict]] = []  # (first sample, bearing) of the last truth message
        for port, handler in (
            (messages.TRUTH_PORT, self.handle_truth),
            (messages.CALIBRATION_PORT, self.handle_calibration),
        ):
            self.message_port_register_in(pmt.intern(port))
            self.set_msg_handler(pmt.intern(port), handler)

    @property
    def samples_written(self) -> int:
        """M-channel samples written to the recording so far."""
        return self._writer.samples_written

    @property
    def meta_path(self) -> str:
        """The ``.sigmf-meta`` file of the recording."""
        return str(self._writer.meta_path)

    def start(self) -> bool:
        """Started again after a stop, the recording goes on in a new segment."""
        if self._writer.closed:
            try:
                self._writer.reopen()
            except ValueError as error:
                self.logger.error(f"recording not resumed: {error}")
                return False
            self._writer.start_segment()
        return True

    def stop(self) -> bool:
        """Annotates the bearings of the last ``truth`` message so far and writes the metadata."""
        if self._writer.closed:
            return True
        self._annotate_known_truths()
        try:
            self._writer.close()
        except (OSError, ValueError) as error:
            self.logger.error(f"{self._writer.meta_path}: metadata not written: {error}")
        return True

    def handle_truth(self, message: pmt.pmt_t) -> None:
        """``truth`` message: the known bearings from the next sample on (empty: none)."""
        try:
            bearings = messages.truth_bearings(messages.from_pmt(message))
        except (TypeError, ValueError) as error:
            self.logger.error(f"truth message ignored: {error}")
            return
        self._annotate_known_truths()
        self._known_truths = [(self._writer.samples_written, bearing) for bearing in bearings]

    def handle_calibration(self, message: pmt.pmt_t) -> None:
        """``calibration`` message: kept as ``bearing:calibration`` (the latest replaces the last)."""
        value = messages.from_pmt(message)
        if not isinstance(value, dict) or "state" not in value:
            self.logger.error(f"calibration message ignored: a dict with a 'state' expected, got {value!r}")
            return
        try:
            self._writer.set_global_field(CALIBRATION_KEY, _json_ready(value))
        except ValueError as error:
            self.logger.error(f"calibration message ignored: {error}")

    def work(self, input_items, output_items) -> int:
        items = input_items[0]
        first = self.nitems_read(0)
        to_sample = self._writer.samples_written - first  # stream offset -> sample of the recording
        written = 0
        try:
            for tag in self._tags(messages.TRUTH, first, len(items)):
                self._add_truth(tag.offset + to_sample, messages.from_pmt(tag.value))
            for tag in self._tags(messages.SEGMENT_START, first, len(items)):
                self._writer.append(items[written : tag.offset - first])
                written = tag.offset - first
                self._start_segment(tag.offset + to_sample, messages.from_pmt(tag.value))
            self._writer.append(items[written:])
        except OSError as error:  # the disk is full, the file vanished: keep what was written
            stopped_at = self._writer.samples_written
            self.logger.error(f"{self._writer.data_path}: recording stopped at sample {stopped_at}: {error}")
            return -1  # WORK_DONE
        return len(items)

    def _tags(self, key: str, first: int, count: int) -> list[gr.tag_t]:
        tags = self.get_tags_in_range(0, first, first + count, pmt.intern(key))
        return sorted(tags, key=lambda tag: tag.offset)

    def _start_segment(self, sample: int, value: object) -> None:
        """A ``segment_start`` tag: a new segment at its global index, else its sample index."""
        try:
            global_index = value.get("global_index")
            if global_index is None or global_index == -1:
                global_index = value.get("sample_index")
            self._writer.start_segment(global_index)
        except (AttributeError, ValueError) as error:
            self.logger.error(f"segment_start tag at sample {sample} ignored: {error}")

    def _add_truth(self, sample: int, value: object) -> None:
        """A ``truth`` tag: an annotation from its sample on."""
        try:
            self._writer.add_truth(
                sample,
                value["sample_count"],
                value["azimuth_deg"],
                value.get("elevation_deg"),
                value.get("label"),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            self.logger.error(f"truth tag at sample {sample} ignored: {type(error).__name__}: {error}")

    def _annotate_known_truths(self) -> None:
        """Annotations of the last ``truth`` message's bearings up to the last sample written;
        they go on from the next one (after a restart, say)."""
        end = self._writer.samples_written
        for start, bearing in self._known_truths:
            if end > start:
                self._writer.add_truth(start, end - start, **bearing)
        self._known_truths = [(end, bearing) for _, bearing in self._known_truths]


def _json_ready(value: object) -> object:
    """``value`` with its non-finite floats as None: the metadata is JSON, which has no NaN."""
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
