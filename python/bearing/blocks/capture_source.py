"""GNU Radio block: replay a multi-antenna SigMF capture as a stream of M-channel vectors."""

from __future__ import annotations

import dataclasses

import numpy as np
from gnuradio import gr

from ..captures.reader import as_capture
from ..captures.schema import Capture
from . import messages
from .base import Guarded


class capture_source(Guarded, gr.sync_block):
    """Replays a SigMF recording (see docs/capture-format.md) as complex64 vectors of M channels.

    One output item is one snapshot of all M channels. Tags (see :mod:`~gnuradio.bearing.blocks.messages`):
    ``segment_start`` on the first sample of each capture segment (with its ``sample_count``)
    and ``truth`` on the first sample of each ground-truth annotation, so that downstream
    windows do not straddle a gap in the recording and estimates can be compared with the truth.

    With ``annotations``, only the samples of the capture's annotations are replayed, one
    annotation after another (two with the same samples once), each tagged as a segment: a
    Covariance Accumulator of ``average`` 0 then makes one window of each annotated burst. The
    truths that overlap an annotation are tagged on its first sample, cut to it.

    Args:
        path: the recording (``.sigmf-meta``, ``.sigmf-data`` or their common base name), or
            a :class:`~gnuradio.bearing.captures.schema.Capture` already read.
        repeat: start again from the first sample at the end (for live demos).
        num_elements: the vector length the flowgraph expects (GRC needs it to draw the
            port); 0 takes it from the capture. A capture with another channel count is refused.
        segment_length: replay only the segments of exactly this many samples, back to back
            (a segmented SRS capture holds one SRS window per segment: a shorter segment was cut
            and is skipped with a log line); 0 replays every sample.
        annotations: replay the annotated samples only, each annotation as a segment (above).
    """

    def __init__(
        self,
        path: str | Capture,
        repeat: bool = False,
        num_elements: int = 0,
        segment_length: int = 0,
        annotations: bool = False,
    ) -> None:
        self.capture: Capture = as_capture(path)
        if num_elements and int(num_elements) != self.capture.num_channels:
            raise ValueError(
                f"{path if isinstance(path, str) else self.capture.meta_path}: the capture has "
                f"{self.capture.num_channels} channels but the block's num_elements is {num_elements}"
            )
        if segment_length < 0:
            raise ValueError(f"segment_length: must be 0 (every sample) or positive, got {segment_length}")
        if annotations and segment_length:
            raise ValueError("annotations and segment_length: replay one or the other, not both")

        gr.sync_block.__init__(
            self,
            name="Bearing Capture Source",
            in_sig=None,
            out_sig=[(np.complex64, self.capture.num_channels)],
        )
        self._repeat = bool(repeat)
        self.error = ""
        """Why the replay ended before the end of the capture (empty: it did not)."""
        self._annotations = bool(annotations)
        self._ranges = self._annotated_ranges() if annotations else self._replayed_ranges(int(segment_length))
        if annotations and not self._ranges:
            raise ValueError(
                f"{self.capture.meta_path}: the capture has no annotation of samples to replay "
                "(annotations=True)"
            )
        self._range = 0  # index into self._ranges
        self._range_starts = np.cumsum([0] + [stop - start for start, stop in self._ranges])
        self._next_sample = self._ranges[0][0] if self._ranges else 0
        # Segments and truths are sorted by their first sample (see capture.read_capture).
        self._segment_starts = np.array([s.sample_start for s in self.capture.segments], dtype=np.int64)
        self._truth_starts = np.array([t.sample_start for t in self.capture.truths], dtype=np.int64)

    @property
    def num_elements(self) -> int:
        return self.capture.num_channels

    @property
    def replayed_fraction(self) -> float:
        """Share of the samples to replay written so far in this pass, 0 .. 1, for progress
        reports; read from any thread (``work`` may move on between two reads: each field is
        read once, and the share is clipped to 0 .. 1)."""
        index, next_sample = self._range, self._next_sample
        total = int(self._range_starts[-1])
        if index >= len(self._ranges) or not total:
            return 1.0
        done = int(self._range_starts[index]) + next_sample - self._ranges[index][0]
        return min(max(done / total, 0.0), 1.0)

    def _annotated_ranges(self) -> list[tuple[int, int]]:
        """``[start, stop)`` of every annotation of samples, in order, each once."""
        spans = {(span.sample_start, span.sample_start + span.sample_count) for span in self.capture.spans}
        return sorted((start, stop) for start, stop in spans if stop > start)

    def _replayed_ranges(self, segment_length: int) -> list[tuple[int, int]]:
        """``[start, stop)`` sample ranges to replay, in order."""
        if not segment_length:
            return [(0, self.capture.num_samples)] if self.capture.num_samples else []
        ranges = []
        for index, segment in enumerate(self.capture.segments):
            if segment.sample_count == segment_length:
                ranges.append((segment.sample_start, segment.sample_start + segment.sample_count))
            else:
                self.logger.warn(
                    f"{self.capture.meta_path}: segment {index} holds {segment.sample_count} samples, not "
                    f"{segment_length}: skipped"
                )
        return ranges

    def work(self, input_items, output_items) -> int:
        out = output_items[0]
        if self._range >= len(self._ranges):
            if not self._repeat or not self._ranges:
                return -1  # WORK_DONE
            self._range, self._next_sample = 0, self._ranges[0][0]
        stop = self._ranges[self._range][1]
        count = min(len(out), stop - self._next_sample)
        try:
            out[:count] = self.capture.read(self._next_sample, count)
        except (OSError, ValueError) as error:  # the file was truncated or vanished since it was opened
            self.error = (
                f"{self.capture.data_path}: the data file changed under the replay; reading stopped at "
                f"sample {self._next_sample} ({error})"
            )
            self.logger.warn(self.error)  # the caller reports it (bearing: one line)
            return -1  # WORK_DONE
        if not self._annotations:
            self._tag_range(self._next_sample, count)
        elif self._next_sample == self._ranges[self._range][0]:
            self._tag_annotation(*self._ranges[self._range])
        self._next_sample += count
        if self._next_sample >= stop:
            self._range += 1
            if self._range < len(self._ranges):
                self._next_sample = self._ranges[self._range][0]
        return count

    def _tag_range(self, first: int, count: int) -> None:
        """Tags for the capture samples ``[first, first + count)`` just written."""
        offset = self.nitems_written(0) - first
        bounds = (first, first + count)
        for index in range(*np.searchsorted(self._segment_starts, bounds)):
            segment = self.capture.segments[index]
            value = {
                "segment": int(index),
                "sample_index": segment.sample_start,
                "sample_count": segment.sample_count,
                "global_index": -1 if segment.global_index is None else segment.global_index,
            }
            self._add_tag(offset + segment.sample_start, messages.SEGMENT_START, value)
        for index in range(*np.searchsorted(self._truth_starts, bounds)):
            truth = self.capture.truths[index]
            self._add_tag(offset + truth.sample_start, messages.TRUTH, messages.truth_value(truth))

    def _tag_annotation(self, start: int, stop: int) -> None:
        """Tags the first sample of the annotated samples ``[start, stop)``, about to be written:
        a ``segment_start`` of them and the truths that overlap them, cut to them."""
        offset = self.nitems_written(0)
        index = int(np.searchsorted(self._segment_starts, start, side="right")) - 1
        segment = self.capture.segments[max(index, 0)]
        value = {
            "segment": self._range,
            "sample_index": start,
            "sample_count": stop - start,
            "global_index": -1
            if segment.global_index is None
            else segment.global_index + start - segment.sample_start,
        }
        self._add_tag(offset, messages.SEGMENT_START, value)
        for truth in self.capture.truths_overlapping(start, stop):
            first, end = max(truth.sample_start, start), min(truth.sample_start + truth.sample_count, stop)
            cut = dataclasses.replace(truth, sample_start=first, sample_count=end - first)
            self._add_tag(offset + first - start, messages.TRUTH, messages.truth_value(cut))

    def _add_tag(self, offset: int, key: str, value: dict) -> None:
        self.add_item_tag(0, offset, messages.to_pmt(key), messages.to_pmt(value))
