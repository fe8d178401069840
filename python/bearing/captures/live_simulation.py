"""A simulated live array: a narrowband :class:`~.scenario.Scenario` streamed without end, sample
by sample on the receiver's clock, as a multi-channel receiver without hardware would deliver it.

Signal model: the simulator's (:mod:`.simulation`; MoD-DNN, Liu et al., ACM TOSN 2025, eqs. (6),
(7), (34)), seen through a live receiver's channels. Sample ``n`` (at ``n / sample_rate_hz``
seconds) of the ``M`` channels is

    x(n) = diag(g) (y(n) + w(n))                  antennas on
    x(n) = diag(g) (sqrt(P_ns) c(n) 1 + w(n))     shared noise source on (antennas switched off)

* ``y(n) = sum_e s_e(n) h_e``: the emitters through the impaired array of the scenario
  (:func:`~.simulation.segment_channels`: its impairment realisation, clusters and ray
  directions, the same as in the file ``bearing simulate`` writes). The emitters stand at
  their bearings of scenario segment ``k`` during samples ``[j T, (j + 1) T)``,
  ``T = samples_per_segment + gap_samples`` (the segment period on the receiver's clock) and
  ``k = j mod num_segments``: the scenario repeats. The cluster rays' phases are drawn again
  at every period (block fading), the symbols ``s_e`` at every sample.
* ``w(n)``: the receiver's thermal noise, white circular Gaussian of unit power per channel
  (none if the scenario's ``add_noise`` is false).
* ``g`` (:attr:`LiveSimulation.channel_gains`, ``(M,)``): the per-channel complex gains a real
  receiver has after each start (independent tuners): phase uniform in [-180, 180) deg, channel
  0 included, amplitude ``10^(N(0, gain_offset_db) / 20)``. They come on top of the scenario's
  static impairments. :mod:`~gnuradio.bearing.array.coherence` measures them (``g / g_0``).
* The shared noise source (a KrakenSDR's calibration source): the antennas are switched off
  and every channel receives the same white Gaussian noise ``c(n)`` (unit power) at
  ``P_ns = 10^(noise_source_snr_db / 10)`` above its thermal noise. The covariance is then
  ``P_ns g g^H + diag(|g|^2)``, whose principal eigenvector is ``g`` to within
  ``O(gain spread / P_ns)``.

:meth:`LiveSimulation.next_block` hands the stream out in blocks of any length. The samples are
drawn ahead in pieces that end at fixed samples (each period's end, the noise source's scheduled
switch-off, at most :data:`PIECE_SAMPLES` after the previous end), so that they depend only on
the seeds and on when :meth:`LiveSimulation.set_noise_source` is called, not on the block
lengths. Narrowband scenarios only, without a hybrid (H2AD) array. Plain numpy, the samples
drawn in float32 (:func:`_doubled_normals`): on one core, a second of 4 channels at 1 MS/s takes
about 0.15 s, of 5 channels at 2.4 MS/s (a KrakenSDR) about 0.4 s.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..array.geometry import ArrayGeometry
from ..array.impairments import Impairments
from ..validation import check_integer, check_number
from .scenario import Scenario
from .schema import Segment, Truth
from .simulation import (
    draw_ray_phases,
    emitter_waveform,
    scenario_ray_offsets_deg,
    segment_channels,
    segment_truths,
)

PIECE_SAMPLES = 8192
"""The longest piece of samples drawn at once (the pieces also end at every segment period)."""


@dataclass(frozen=True)
class LiveBlock:
    """A block of the live stream (:meth:`LiveSimulation.next_block`).

    Attributes:
        samples: ``(count, M)`` complex64, samples ``first_sample .. first_sample + count - 1``.
        first_sample: index of the first sample since the start (sample ``n`` is at
            ``n / sample_rate_hz`` seconds).
        truths: one per emitter active in each segment period that starts in the block, with
            its absolute ``sample_start`` and ``sample_count`` the period: the emitters'
            bearings until the next period starts (:func:`~.simulation.segment_truths`).
        noise_source: ``(sample, on)`` for every switch of the shared noise source in the block,
            in order; the first block starts with ``(0, state)``, the state at the start.
    """

    samples: NDArray[np.complex64]
    first_sample: int
    truths: list[Truth]
    noise_source: list[tuple[int, bool]]


class LiveSimulation:
    """A narrowband scenario streamed as a live array with a shared noise source (module docstring).

    Args:
        scenario: a narrowband scenario (``ofdm`` unset) of an array sampled per antenna
            (no ``array.hybrid``); anything else raises ValueError.
        channel_seed: seed of the channel gains, waveforms, ray phases and noise (an integer
            >= 0): the same seed and scenario give the same stream. None draws fresh entropy, so
            that the channel gains are new at every start, as a real receiver's.
        noise_source_s: the shared noise source is on for the first ``noise_source_s`` seconds
            (0: off from the start).
        noise_source_snr_db: power of the noise source over each channel's thermal noise, dB.
        phase_offsets: draw the channels' phase offsets (False: every phase 0).
        gain_offset_db: standard deviation of the channels' gain offsets, dB (0: unit gains).
    """

    def __init__(
        self,
        scenario: Scenario,
        channel_seed: int | None = None,
        noise_source_s: float = 0.0,
        noise_source_snr_db: float = 20.0,
        phase_offsets: bool = True,
        gain_offset_db: float = 1.0,
    ) -> None:
        _check_live(scenario)
        if channel_seed is not None:
            channel_seed = check_integer(channel_seed, "channel_seed", 0)
        noise_source_s = check_number(noise_source_s, "noise_source_s", 0.0)
        self._noise_source_amplitude = np.float32(
            10.0 ** (check_number(noise_source_snr_db, "noise_source_snr_db") / 20.0)
        )
        self.scenario = scenario
        self.geometry: ArrayGeometry = scenario.array.geometry()
        self.impairments: Impairments = scenario.impairment_realisation()
        self._ray_offsets_deg = scenario_ray_offsets_deg(scenario)
        offsets_seed, stream_seed = np.random.SeedSequence(channel_seed).spawn(2)
        self.channel_gains: NDArray[np.complex128] = _draw_channel_gains(
            self.geometry.num_elements,
            np.random.default_rng(offsets_seed),
            bool(phase_offsets),
            check_number(gain_offset_db, "gain_offset_db", 0.0),
        )
        """Per-channel complex gains ``g``, ``(M,)`` complex128 (module docstring)."""
        self._rng = np.random.default_rng(stream_seed)
        # The draws have power 2 (_doubled_normals): one scale by g / sqrt(2) at the end.
        self._output_gains = (self.channel_gains / np.sqrt(2.0)).astype(np.complex64)
        self._streams = [i for i, e in enumerate(scenario.emitters) if e.coherent_with is None]
        self._mixing_period = -1  # the period whose mixing matrix is cached
        self._mixing = np.zeros((len(self._streams), self.geometry.num_elements), dtype=np.complex64)
        switch_off = round(noise_source_s * scenario.sample_rate_hz)
        self._switch_off: int | None = switch_off if switch_off > 0 else None
        self._noise_source = [(0, self._switch_off is not None)]  # every switch so far
        self._requested: bool | None = None  # set_noise_source's, applied at the next block
        self._request_lock = threading.Lock()
        self._cursor = 0  # the next sample handed out
        self._buffer = np.empty((0, self.geometry.num_elements), dtype=np.complex64)  # from _cursor on

    @property
    def sample_rate_hz(self) -> float:
        return self.scenario.sample_rate_hz

    @property
    def frequency_hz(self) -> float:
        return self.scenario.frequency_hz

    @property
    def num_channels(self) -> int:
        """M, the channels of every sample."""
        return self.geometry.num_elements

    @property
    def period_samples(self) -> int:
        """Samples from one scenario segment's start to the next: ``samples_per_segment + gap_samples``."""
        return self.scenario.samples_per_segment + self.scenario.gap_samples

    @property
    def next_sample(self) -> int:
        """Index of the first sample of the next block."""
        return self._cursor

    def set_noise_source(self, on: bool) -> None:
        """Switches the shared noise source on or off from the next block's first sample on; this
        cancels the switch-off scheduled by ``noise_source_s``. Thread-safe against
        :meth:`next_block` (a GNU Radio message handler may call it)."""
        with self._request_lock:
            self._requested = bool(on)

    def next_block(self, count: int) -> LiveBlock:
        """The next ``count`` samples of the stream (``count >= 0``) with their truths and switches."""
        count = check_integer(count, "count", 0)
        first, stop = self._cursor, self._cursor + count
        with self._request_lock:
            request, self._requested = self._requested, None
        if request is not None:
            self._apply_request(request)
        self._draw_until(stop)
        samples, self._buffer = self._buffer[:count], self._buffer[count:]
        self._cursor = stop
        return LiveBlock(
            samples=samples,
            first_sample=first,
            truths=self._truths(first, stop),
            noise_source=[(n, on) for n, on in self._noise_source if first <= n < stop],
        )

    def _apply_request(self, on: bool) -> None:
        """Applies :meth:`set_noise_source` at :attr:`next_sample`: the samples drawn beyond it and
        the switches there and later are dropped, and drawn again with the new state."""
        self._buffer = self._buffer[:0]
        self._noise_source = [(n, state) for n, state in self._noise_source if n < self._cursor]
        self._switch_off = None
        if not self._noise_source or self._noise_source[-1][1] != on:
            self._noise_source.append((self._cursor, on))

    def _draw_until(self, stop: int) -> None:
        """Draws pieces until the buffer reaches sample ``stop``."""
        end = self._cursor + len(self._buffer)
        pieces = [self._buffer]
        while end < stop:
            period = end // self.period_samples
            piece_stop = min(end + PIECE_SAMPLES, (period + 1) * self.period_samples)
            on = self._noise_source[-1][1]
            if on and self._switch_off is not None:
                piece_stop = min(piece_stop, self._switch_off)
            pieces.append(self._piece(period, piece_stop - end, on))
            if on and piece_stop == self._switch_off:
                self._noise_source.append((piece_stop, False))
                self._switch_off = None
            end = piece_stop
        if len(pieces) > 1:
            self._buffer = np.concatenate(pieces)

    def _piece(self, period: int, count: int, noise_source: bool) -> NDArray[np.complex64]:
        """``count`` samples in segment period ``period``: ``diag(g) (y + w)``, or with the
        noise source on ``diag(g) (sqrt(P_ns) c 1 + w)`` (module docstring)."""
        if noise_source:
            signal = self._noise_source_amplitude * _doubled_normals(self._rng, (count, 1))
        else:
            mixing = self._period_mixing(period)
            signal = _doubled_normals(self._rng, (count, len(self._streams))) @ mixing
        if self.scenario.add_noise:
            x = _doubled_normals(self._rng, (count, self.num_channels))
        else:
            x = np.zeros((count, self.num_channels), dtype=np.complex64)
        x += signal
        x *= self._output_gains
        return x

    def _period_mixing(self, period: int) -> NDArray[np.complex64]:
        """``(J, M)``: row ``j`` is the array's channel of the ``j``-th independent symbol stream in
        segment period ``period`` (the emitter's own channel plus those of its coherent copies,
        :func:`~.simulation.emitter_waveform`), with the rays' phases drawn for this period."""
        if period != self._mixing_period:
            scenario = self.scenario
            index = period % scenario.num_segments
            ray_phases = draw_ray_phases(scenario, self._rng)
            # Each emitter's symbols as a unit vector: a waveform is a combination of the streams.
            streams = np.eye(len(scenario.emitters))
            mixing = np.zeros((len(scenario.emitters), self.num_channels), dtype=np.complex128)
            for number, channel in segment_channels(
                scenario, self.geometry, self.impairments, self._ray_offsets_deg, index, ray_phases
            ):
                mixing += np.outer(emitter_waveform(scenario, streams, number), channel[0])
            self._mixing = mixing[self._streams].astype(np.complex64)
            self._mixing_period = period
        return self._mixing

    def _truths(self, first: int, stop: int) -> list[Truth]:
        """The truths of the segment periods starting in samples ``[first, stop)``."""
        period = self.period_samples
        truths = []
        for number in range(-(-first // period), -(-stop // period)):
            segment = Segment(sample_start=number * period, sample_count=period)
            truths += segment_truths(self.scenario, segment, number % self.scenario.num_segments)
        return truths


def _draw_channel_gains(
    num_channels: int, rng: np.random.Generator, phase_offsets: bool, gain_offset_db: float
) -> NDArray[np.complex128]:
    """Complex gains of ``num_channels`` receiver channels after a start, ``(M,)`` complex128:
    phase uniform in [-180, 180) deg (0 without ``phase_offsets``, drawn all the same so that
    the amplitudes stay), amplitude ``10^(N(0, gain_offset_db) / 20)``."""
    phase_deg = rng.uniform(-180.0, 180.0, num_channels)
    gain_db = gain_offset_db * rng.standard_normal(num_channels)
    return 10.0 ** (gain_db / 20.0) * np.exp(1j * np.deg2rad(phase_deg if phase_offsets else 0.0))


def _doubled_normals(rng: np.random.Generator, shape: tuple[int, int]) -> NDArray[np.complex64]:
    """Circular complex Gaussian samples of power 2 (real and imaginary parts of unit variance),
    drawn in float32: :func:`~gnuradio.bearing.array.signals.complex_normal` without its
    ``1/sqrt(2)``, which the caller applies once to the sum; about twice as fast."""
    samples = np.empty(shape, dtype=np.complex64)
    rng.standard_normal(dtype=np.float32, out=samples.view(np.float32))
    return samples


def _check_live(scenario: Scenario) -> None:
    """ValueError unless ``scenario`` can be streamed live: narrowband, one channel per antenna."""
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario: must be a Scenario, got {scenario!r}")
    if scenario.ofdm is not None:
        raise ValueError(
            "ofdm: a wideband (OFDM) scenario is not streamed live; unset ofdm for a narrowband one, "
            "or write a capture with `bearing simulate` and replay it"
        )
    if scenario.array.hybrid is not None:
        raise ValueError(
            "array.hybrid: a hybrid (H2AD) array is not streamed live; write a capture with "
            "`bearing simulate` and replay it"
        )
