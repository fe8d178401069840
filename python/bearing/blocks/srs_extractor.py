"""GNU Radio hierarchical block: M-channel IQ in, per SRS occasion the LS channel of each UE out.

Chain (C++ carries the sample rate, Python runs once per window of SRS symbols):

    M-channel IQ --keep_m_in_n (SRS windows; continuous input only) --keep_m_in_n (FFT windows)
        --vector_to_streams-- per antenna: stream_to_vector(n_fft) -- fft_vcc(n_fft)
        --> srs_channel_estimator --> one output per UE: M x K channel per occasion and port

Timing and configuration come from an SRS capture's metadata (``capture``, docs/srs.md) or,
for a live receiver, from the parameters: the carrier, the UEs' SRS configurations and the
frame/slot/symbol that starts at the first input sample.
"""

from __future__ import annotations

import json

import numpy as np
from gnuradio import blocks, fft, gr

from ..captures.reader import as_capture
from ..captures.schema import Capture
from ..nr import metadata as nr_metadata
from ..nr.carrier import Carrier
from ..nr.schedule import (
    PeriodicSchedule,
    WindowSchedule,
    check_window,
    fft_gate,
    gate_period_slots,
    window_samples,
)
from ..nr.srs import SrsConfig
from .srs_channel_estimator import srs_channel_estimator


class srs_extractor(gr.hier_block2):
    """SRS extractor: M-channel complex64 vectors in; per UE, ``M*K`` complex64 channels out.

    Args:
        capture: an SRS capture (``.sigmf-meta``, or a
            :class:`~gnuradio.bearing.captures.schema.Capture` already read) to take the
            carrier, the SRS configurations, the timing and the truth from; empty for a live
            stream.
        num_elements: M, the input vector length (0 takes it from the capture).
        num_subcarriers: K pilots per output, spread uniformly over the band; 0 outputs all.
        backoff_samples: how far before the end of the cyclic prefix each FFT window starts
            (-1: half the cyclic prefix); the residual timing is estimated and removed anyway.
        cfo_hz: a known CFO to remove; NaN estimates it from repeated SRS symbols.
        carrier: ``nr:carrier`` as a dict or JSON text (live streams only).
        srs: ``nr:srs``: a list of SRS configurations (dicts or JSON text; live streams only).
        start_frame, start_slot, start_symbol: where the first input sample lies (live only).
        num_ues: the number of outputs the flowgraph expects (GRC needs it to draw the ports);
            0 takes it from the ``nr:srs`` list. Another count is refused.

    Outputs: one per UE, in the order of the ``nr:srs`` list; see
    :class:`~gnuradio.bearing.blocks.srs_channel_estimator.srs_channel_estimator`
    for the items and tags. A segmented capture (one SRS window per segment) must be replayed
    with ``capture_source(..., segment_length=window_samples)``, which skips cut segments;
    :attr:`window_samples` (or :func:`srs_window_samples` before the block is made) gives the
    value and :attr:`schedule` the window times.

    Raises:
        ValueError: an invalid or unsupported SRS configuration (naming the parameter), a
            capture that is not an SRS capture, or ``num_ues`` other than the ``nr:srs`` length.
    """

    def __init__(
        self,
        capture: str | Capture = "",
        num_elements: int = 0,
        num_subcarriers: int = 16,
        backoff_samples: int = -1,
        cfo_hz: float = float("nan"),
        carrier: dict | str = "",
        srs: list | str = "",
        start_frame: int = 0,
        start_slot: int = 0,
        start_symbol: int = 0,
        num_ues: int = 0,
    ) -> None:
        recording = as_capture(capture) if capture else None
        if recording is not None:
            self.carrier = nr_metadata.read_carrier(recording)
            self.configs = nr_metadata.read_srs_configs(recording, self.carrier)
            truths = recording.truths
            num_elements = _checked_elements(num_elements, recording.num_channels)
        else:
            self.carrier = Carrier.from_dict(_parsed(carrier, "carrier"))
            self.configs = [SrsConfig.from_dict(c) for c in _listed(_parsed(srs, "srs"))]
            truths = []
        if num_ues and int(num_ues) != len(self.configs):
            where = "the srs parameter"
            if recording is not None:
                where = f"the capture {capture if isinstance(capture, str) else recording.meta_path}"
            raise ValueError(
                f"num_ues: {where} lists {len(self.configs)} UEs (nr:srs), the block expects {num_ues}"
            )
        window = check_window(self.carrier, self.configs)
        if recording is not None:
            self.schedule = capture_schedule(recording, self.carrier, self.configs)
        else:
            period, residue = gate_period_slots(self.configs)
            start = self.carrier.slot_number(int(start_frame), int(start_slot))
            self.schedule = PeriodicSchedule(self.carrier, window, period, residue, start, int(start_symbol))
        if num_elements < 1:
            raise ValueError(
                f"num_elements: must be at least 1 (or taken from a capture), got {num_elements}"
            )
        backoff = self.carrier.normal_cp_samples // 2 if backoff_samples < 0 else int(backoff_samples)
        self.estimator = srs_channel_estimator(
            self.carrier,
            self.configs,
            self.schedule,
            num_elements,
            num_subcarriers,
            backoff,
            None if np.isnan(cfo_hz) else float(cfo_hz),
            truths,
        )
        gr.hier_block2.__init__(
            self,
            "Bearing SRS Extractor",
            gr.io_signature(1, 1, gr.sizeof_gr_complex * num_elements),
            gr.io_signature.makev(
                len(self.configs),
                len(self.configs),
                [gr.sizeof_gr_complex * num_elements * k for k in self.estimator.output_sizes],
            ),
        )
        self._blocks = self._connect_chain(num_elements, backoff)
        for output in range(len(self.configs)):
            self.connect((self.estimator, output), (self, output))

    @property
    def window_samples(self) -> int:
        """Samples of one SRS window (a segment of a segmented capture)."""
        return window_samples(self.carrier, self.schedule.window)

    def source_segment_length(self, capture: Capture) -> int:
        """``capture_source``'s ``segment_length`` to replay ``capture`` into this extractor.

        A segmented capture (more than one segment) holds one SRS window per segment: replay
        only whole windows. A continuous one is replayed as it is (0).
        """
        return self.window_samples if len(capture.segments) > 1 else 0

    @property
    def output_sizes(self) -> list[int]:
        """K of each output."""
        return self.estimator.output_sizes

    def _connect_chain(self, num_elements: int, backoff: int) -> list[gr.basic_block]:
        """Builds the C++ part; returns its blocks (Python keeps references to them)."""
        itemsize = gr.sizeof_gr_complex * num_elements
        chain: list[gr.basic_block] = []
        if isinstance(self.schedule, PeriodicSchedule):
            gate, stub = self.schedule.gate()
            chain.append(blocks.keep_m_in_n(itemsize, gate.m, gate.n, gate.offset))
            if stub:
                chain.append(blocks.skiphead(itemsize, stub))
        symbol = fft_gate(self.carrier, backoff)
        chain.append(blocks.keep_m_in_n(itemsize, symbol.m, symbol.n, symbol.offset))
        split = blocks.vector_to_streams(gr.sizeof_gr_complex, num_elements)
        chain.append(split)
        self.connect(self, *chain)
        n_fft = self.carrier.n_fft
        for element in range(num_elements):
            to_vector = blocks.stream_to_vector(gr.sizeof_gr_complex, n_fft)
            transform = fft.fft_vcc(n_fft, True, [], False, 1)
            self.connect((split, element), to_vector, transform, (self.estimator, element))
            chain += [to_vector, transform]
        return chain


def srs_window_samples(capture: str | Capture) -> int:
    """Samples of one SRS window of an SRS capture (a path, or a capture already read): the
    ``segment_length`` to replay it with when it is segmented, without making an extractor."""
    recording = as_capture(capture)
    carrier = nr_metadata.read_carrier(recording)
    return window_samples(carrier, check_window(carrier, nr_metadata.read_srs_configs(recording, carrier)))


def capture_schedule(
    recording: Capture, carrier: Carrier, configs: list[SrsConfig]
) -> PeriodicSchedule | WindowSchedule:
    """The windows of an SRS capture: periodic for one segment, else one window per segment.

    A segmented capture's segments that do not hold exactly one window are left out, as
    ``capture_source(segment_length=...)`` skips them (with a log line); a window that starts
    at another symbol is replayed but its occasions are dropped (logged here).
    """
    window = check_window(carrier, configs)
    if len(recording.segments) == 1:
        start = nr_metadata.segment_time(recording, 0, carrier)
        period, residue = gate_period_slots(configs)
        slot = carrier.slot_number(start.frame, start.slot)
        return PeriodicSchedule(carrier, window, period, residue, slot, start.symbol)
    length = window_samples(carrier, window)
    slots, starts = [], []
    for index, segment in enumerate(recording.segments):
        if segment.sample_count != length:
            continue  # capture_source(segment_length=...) skips it, with a log line
        time = nr_metadata.segment_time(recording, index, carrier)
        if time.symbol != window[0]:
            gr.logger("bearing srs_extractor").warn(
                f"{recording.meta_path}: segment {index} (frame {time.frame}, slot {time.slot}) starts at "
                f"symbol {time.symbol}, not at the SRS window's first symbol {window[0]}: its occasions "
                "are dropped"
            )
        slots.append(carrier.slot_number(time.frame, time.slot) if time.symbol == window[0] else None)
        starts.append(segment.sample_start)
    return WindowSchedule(carrier, window, tuple(slots), tuple(starts))


def _checked_elements(num_elements: int, channels: int) -> int:
    if num_elements and int(num_elements) != channels:
        raise ValueError(
            f"num_elements: the capture has {channels} channels, the block expects {num_elements}"
        )
    return channels


def _parsed(value: object, name: str) -> object:
    """A dict/list parameter given as an object or as JSON text (GRC passes text)."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{name}: required without a capture")
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise ValueError(f"{name}: not valid JSON ({error})") from None
    return value


def _listed(value: object) -> list:
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list) or not value:
        raise ValueError(f"srs: must be a non-empty list of SRS configurations, got {value!r}")
    return value
