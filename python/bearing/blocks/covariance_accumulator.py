"""GNU Radio block: sample covariance of M-channel snapshots (or M x K CFR vectors), window by window."""

from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr

from ..array import covariance
from . import messages
from .base import Guarded


class covariance_accumulator(Guarded, gr.basic_block):
    """Sample covariance ``R = 1/(T K) sum_t sum_k h_{t,k} h_{t,k}^H`` over windows of T items.

    Input items are vectors of ``num_elements * num_subcarriers`` complex64 values laid out
    channel-major (``item[m * K + k]`` is channel m at subcarrier k); with K = 1 an item is one
    M-channel snapshot. Summing over subcarriers is the MoD-DNN paper's R-hat (eq. 11).

    Every ``average - overlap`` items a window of the last ``average`` items gives one
    covariance (``forgetting_factor`` = 0), or, with ``0 < forgetting_factor < 1``, an
    exponentially weighted covariance ``R <- f^T R + (1 - f) sum_i f^(T-1-i) x_i x_i^H`` is
    output every ``average`` items (``overlap`` must then be 0, and the ``window`` tag names the
    ``average`` items added since the previous output, though older items still weigh in).
    Optional forward-backward averaging and spatial smoothing
    (subarrays of ``subarray_length`` elements; 0 disables it) follow. With ``average`` 0 a
    window is a whole segment, as long as its ``segment_start`` tag's ``sample_count`` says: one
    covariance per segment (the Capture Source's ``annotations`` replay makes each annotated
    burst a segment); items outside a tagged segment are dropped.

    Output: the L x L covariance (L = subarray length or M) as an ``L*L`` complex64 vector in
    row-major order, tagged ``window``; the same matrix as a ``covariance`` message
    ``{matrix: c32 vector, size: L, sample_start, sample_count}``.

    With SRS channel items (``srs_occasion`` tags, from the SRS extractor) the ``window`` tag
    counts samples of the recording from the first occasion to the end of the last and names
    the ``ue``. Windows restart at every ``segment_start`` tag, so that no estimate straddles a gap in a
    recording. A window holding NaN or infinite samples is dropped with a log line and
    counted in :attr:`dropped_windows`, and so is a window whose samples are all zero (no signal:
    a dead receiver or a gap filled with zeros, which every estimator would answer with a bearing)
    unless ``drop_silent`` is False (MoD-DNN's branches, which must stay in step: there coarray
    DBF refuses the window).
    """

    def __init__(
        self,
        num_elements: int = 4,
        num_subcarriers: int = 1,
        average: int = 1024,
        overlap: int = 0,
        forgetting_factor: float = 0.0,
        forward_backward: bool = False,
        subarray_length: int = 0,
        drop_silent: bool = True,
    ) -> None:
        self._drop_silent = bool(drop_silent)
        _check_parameters(num_elements, num_subcarriers, average, overlap, forgetting_factor, subarray_length)
        self._num_elements = int(num_elements)
        self._num_subcarriers = int(num_subcarriers)
        self._per_segment = int(average) == 0
        self._average = int(average)  # per segment: the current segment's length (0: none yet)
        self._forgetting = float(forgetting_factor)
        self._hop = self._average - int(overlap)
        self._forward_backward = bool(forward_backward)
        self._output_size = int(subarray_length) or self._num_elements
        gr.basic_block.__init__(
            self,
            name="Bearing Covariance Accumulator",
            in_sig=[(np.complex64, self._num_elements * self._num_subcarriers)],
            out_sig=[(np.complex64, self._output_size**2)],
        )
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.message_port_register_out(pmt.intern(messages.COVARIANCE_PORT))
        self._buffer = np.empty((0, self._num_elements * self._num_subcarriers), np.complex64)
        self._buffer_start = 0  # sample index of self._buffer[0]
        self._index_origin = 0  # sample index minus absolute input offset (moves at segment starts)
        self._recursive: np.ndarray | None = None
        self._segment = _SegmentSum(self._num_elements)  # average 0: the current segment's window
        # (first sample, end sample, azimuth_deg, elevation_deg or None)
        self._truths: list[tuple[int, int, float, float | None]] = []
        self._occasions: dict[int, dict] = {}  # input offset -> srs_occasion tag value
        self.dropped_windows = 0

    @property
    def output_size(self) -> int:
        """L: the side of the output covariance."""
        return self._output_size

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        return [1] * ninputs

    def general_work(self, input_items, output_items) -> int:
        items, out = input_items[0], output_items[0]
        first = self.nitems_read(0)
        # Take no more input than the free output space can hold the windows of (per segment:
        # the rest of this segment at most, so that one window ends in this call at most).
        if self._per_segment:
            take = self._per_segment_take(first, len(items), len(out))
        else:
            take = min(len(items), len(out) * self._hop + self._average - len(self._buffer) - 1)
        produced, cursor = 0, first
        for tag in sorted(self.get_tags_in_range(0, first, first + take), key=lambda t: t.offset):
            key, value = pmt.symbol_to_string(tag.key), messages.from_pmt(tag.value)
            if key == messages.TRUTH:
                end = tag.offset + int(value["sample_count"])
                elevation = value.get("elevation_deg")
                self._truths.append(
                    (
                        tag.offset,
                        end,
                        float(value["azimuth_deg"]),
                        None if elevation is None else float(elevation),
                    )
                )
            elif key == messages.SRS_OCCASION:
                self._occasions[tag.offset] = value
            elif key == messages.SEGMENT_START:
                produced = self._append(items[cursor - first : tag.offset - first], out, produced)
                self._restart(tag.offset, int(value["sample_index"]))
                if self._per_segment:
                    if "sample_count" not in value:
                        raise ValueError(
                            "average 0 (one window per segment) needs segment_start tags that give the "
                            "segment's sample_count, as the Capture Source's do"
                        )
                    self._average = self._hop = int(value["sample_count"])
                cursor = tag.offset
        produced = self._append(items[cursor - first : take], out, produced)
        self.consume(0, take)
        return produced

    def _restart(self, offset: int, sample_index: int) -> None:
        """A new capture segment starts at absolute input ``offset``: drop the partial window."""
        self._buffer = self._buffer[:0]
        self._buffer_start = offset
        self._index_origin = sample_index - offset
        self._recursive = None
        self._segment = _SegmentSum(self._num_elements)

    def _append(self, chunk: np.ndarray, out: np.ndarray, produced: int) -> int:
        """Adds contiguous items to the window buffer and writes every complete window's covariance."""
        if self._per_segment:
            return self._add_to_segment(chunk, out, produced)
        self._buffer = np.concatenate([self._buffer, chunk]) if len(self._buffer) else chunk.copy()
        while len(self._buffer) >= self._average:
            matrix = self._window_covariance(self._buffer[: self._average])
            if matrix is not None:
                self._emit(matrix, out, produced)
                produced += 1
            self._buffer = self._buffer[self._hop :]
            self._buffer_start += self._hop
        return produced

    def _add_to_segment(self, chunk: np.ndarray, out: np.ndarray, produced: int) -> int:
        """Average 0: adds items to the running sum of the segment's window (memory: one M x M
        matrix, whatever the segment's length); at its end, writes its covariance. Items after it
        (or before the first segment) are in no window."""
        segment = self._segment
        chunk = chunk[: max(self._average - segment.items, 0)]
        if len(chunk):
            segment.add(
                covariance.item_snapshots(chunk, self._num_elements, self._num_subcarriers), len(chunk)
            )
        if self._average and segment.items == self._average:
            if self._usable(segment.finite, segment.nonzero, self._average):
                matrix = segment.total / (self._average * self._num_subcarriers)
                self._emit(self._shaped(matrix), out, produced)
                produced += 1
            self._average = self._hop = 0  # one window per segment: none until the next one starts
        return produced

    def _per_segment_take(self, first: int, available: int, room: int) -> int:
        """Items to take with ``average`` 0: at most ``room`` windows may end among them, and a
        window ends only in its own segment, so the items stop before the ``room``-th segment
        start after ``first``."""
        key = pmt.intern(messages.SEGMENT_START)
        starts = sorted(t.offset for t in self.get_tags_in_range(0, first + 1, first + available, key))
        return starts[room - 1] - first if len(starts) >= room else available

    def _window_covariance(self, window: np.ndarray) -> np.ndarray | None:
        """Covariance of one window of items (shape ``(T, M*K)``), or None when it must be dropped."""
        if not self._usable(bool(np.all(np.isfinite(window))), bool(np.any(window)), len(window)):
            return None
        snapshots = covariance.item_snapshots(window, self._num_elements, self._num_subcarriers)
        if self._forgetting > 0:
            self._recursive = covariance.exponential_update(
                self._recursive, snapshots, self._forgetting, self._num_subcarriers
            )
            matrix = self._recursive
        else:
            matrix = covariance.sample_covariance(snapshots)
        return self._shaped(matrix)

    def _usable(self, finite: bool, nonzero: bool, length: int) -> bool:
        """Whether a window of ``length`` items with these properties gives a covariance; if not,
        it is counted and logged (class docstring)."""
        if finite and (nonzero or not self._drop_silent):
            return True
        self.dropped_windows += 1
        first = self._buffer_start + self._index_origin
        why = "NaN or infinite values" if not finite else "no signal (every sample is zero)"
        self.logger.warn(f"dropped the window of samples [{first}, {first + length}): {why}")
        return False

    def _shaped(self, matrix: np.ndarray) -> np.ndarray:
        """The window's covariance with forward-backward averaging and spatial smoothing, if set."""
        if self._forward_backward:
            matrix = covariance.forward_backward(matrix)
        if self._output_size < self._num_elements:
            matrix = covariance.spatial_smoothing(matrix, self._output_size)
        return matrix

    def _emit(self, matrix: np.ndarray, out: np.ndarray, produced: int) -> None:
        first = self._buffer_start
        stop = first + self._average
        self._truths = [t for t in self._truths if t[1] > first]
        overlapping = [t for t in self._truths if t[0] < stop and t[1] > first]
        truths = [t[2] for t in overlapping]
        info = self._occasion_window(first, stop, truths)
        if info is None:
            elevations = [t[3] for t in overlapping]
            known = elevations if elevations and None not in elevations else None
            info = messages.window_info(
                first + self._index_origin, self._average, truths, truth_elevation_deg=known
            )
        out[produced] = matrix.ravel()
        self.add_item_tag(
            0, self.nitems_written(0) + produced, pmt.intern(messages.WINDOW), messages.to_pmt(info)
        )
        port = pmt.intern(messages.COVARIANCE_PORT)
        if pmt.is_null(self.message_subscribers(port)):
            return  # nobody listens (MoD-DNN's accumulators): the message costs more than the covariance
        message = dict(info, matrix=matrix.astype(np.complex64).ravel(), size=self._output_size)
        self.message_port_pub(port, messages.to_pmt(message))

    def _occasion_window(self, first: int, stop: int, truths: list[float]) -> dict | None:
        """The window info of items ``[first, stop)`` in recording samples, if they are SRS occasions."""
        self._occasions = {offset: v for offset, v in self._occasions.items() if offset >= first}
        head, tail = self._occasions.get(first), self._occasions.get(stop - 1)
        if head is None or tail is None:
            return None
        end = tail["sample_index"] + tail["sample_count"]
        return messages.window_info(head["sample_index"], end - head["sample_index"], truths, head["ue"])


class _SegmentSum:
    """The running sum ``sum x x^H`` of one segment's snapshots ``(M, n)`` and whether they were
    all finite and any non-zero (the window of ``average`` 0)."""

    def __init__(self, num_elements: int) -> None:
        self.total = np.zeros((num_elements, num_elements), dtype=np.complex128)
        self.items, self.finite, self.nonzero = 0, True, False

    def add(self, snapshots: np.ndarray, items: int) -> None:
        finite = bool(np.all(np.isfinite(snapshots)))
        self.finite &= finite
        self.nonzero |= bool(np.any(snapshots))
        if finite:
            self.total += snapshots @ snapshots.conj().T
        self.items += items


def _check_parameters(
    num_elements: int,
    num_subcarriers: int,
    average: int,
    overlap: int,
    forgetting_factor: float,
    subarray_length: int,
) -> None:
    if num_elements < 2:
        raise ValueError(f"num_elements must be at least 2, got {num_elements}")
    if num_subcarriers < 1:
        raise ValueError(f"num_subcarriers must be at least 1, got {num_subcarriers}")
    if average < 0:
        raise ValueError(f"average must be at least 1 item, or 0 (one window per segment), got {average}")
    if average == 0 and (overlap or forgetting_factor):
        raise ValueError("overlap and forgetting_factor must be 0 with average 0 (one window per segment)")
    if average and not 0 <= overlap < average:
        raise ValueError(f"overlap must be in [0, average) = [0, {average}), got {overlap}")
    if not 0.0 <= forgetting_factor < 1.0:
        raise ValueError(f"forgetting_factor must be in [0, 1), got {forgetting_factor}")
    if forgetting_factor > 0 and overlap:
        raise ValueError(
            "overlap must be 0 with a forgetting_factor: the estimate is output every average items"
        )
    if subarray_length and not 2 <= subarray_length <= num_elements:
        raise ValueError(
            f"subarray_length must be 0 (no smoothing) or in [2, num_elements={num_elements}], "
            f"got {subarray_length}"
        )
