"""Where the SRS windows lie in an input stream, and how GNU Radio's gates cut them out.

A *window* is the symbols ``first .. last`` of one slot, where ``first`` and ``last`` bound the
SRS symbols of every UE (:func:`window_symbols`); they must all have the normal cyclic prefix,
so a window is a whole number of equal symbols. The extractor cuts windows out of the stream
with ``blocks.keep_m_in_n`` and then each symbol's FFT window (``n_fft`` samples starting
``backoff`` samples before the end of its cyclic prefix) with a second ``keep_m_in_n``.

Two layouts of the input stream:

* **continuous** (:class:`PeriodicSchedule`): a live receiver or a continuous recording,
  whose first sample is the start of a known frame, slot and symbol. One window per
  ``period_slots`` slots (the gate's period: the largest period common to all UEs' occasions).
* **windows** (:class:`WindowSchedule`): a recording that stores only the windows (SigMF
  segments of exactly one window each, docs/srs.md), replayed back to back; the slot of each
  window comes from its segment's ``nr:frame`` / ``nr:slot``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .carrier import Carrier
from .srs import SrsConfig, symbols


def window_symbols(configs: list[SrsConfig]) -> range:
    """The symbols of a window: from the first to the last SRS symbol of any UE."""
    used = [symbol for config in configs for symbol in symbols(config)]
    return range(min(used), max(used) + 1)


def check_window(carrier: Carrier, configs: list[SrsConfig]) -> range:
    """:func:`window_symbols`, refused when a window symbol has the longer cyclic prefix.

    Raises:
        ValueError: naming ``l0``: the extractor's gate needs equal symbols (SRS in symbols
            1 .. 13 for mu = 1, 8 .. 13 for mu = 0: Rel-15 SRS lies in the last six).
    """
    window = window_symbols(configs)
    long = [symbol for symbol in window if carrier.cp_samples(symbol) != carrier.normal_cp_samples]
    if long:
        raise ValueError(
            f"l0: the SRS windows span symbol {long[0]}, which has the longer cyclic prefix; the extractor "
            "needs SRS symbols with the normal cyclic prefix (Rel-15 SRS uses the last six symbols)"
        )
    return window


MAX_GATE_SLOTS = 10
"""Longest gate period, slots: keep_m_in_n holds a whole period in one buffer (GNU Radio
allocates two), 4.9 MB per slot at 4 x 122.88 Msps; windows without an occasion are skipped."""


def gate_period_slots(configs: list[SrsConfig]) -> tuple[int, int]:
    """``(G, r)``: every occasion of every UE falls in a slot ``n`` with ``n mod G == r``.

    G is the largest divisor of the UEs' common periodicity, at most :data:`MAX_GATE_SLOTS`,
    on which all their offsets agree (1 when they share nothing: a window per slot).
    """
    common = math.gcd(*(config.t_srs for config in configs))
    divisors = (d for d in range(1, min(common, MAX_GATE_SLOTS) + 1) if common % d == 0)
    for period in sorted(divisors, reverse=True):
        residues = {config.t_offset % period for config in configs}
        if len(residues) == 1:
            return period, residues.pop()
    return 1, 0  # pragma: no cover - period 1 always agrees


@dataclass(frozen=True)
class KeepMInN:
    """Parameters of one ``blocks.keep_m_in_n(itemsize, m, n, offset)``."""

    m: int
    n: int
    offset: int


@dataclass(frozen=True)
class PeriodicSchedule:
    """Windows of a continuous stream whose sample 0 starts slot ``start_slot``, symbol ``start_symbol``.

    Attributes:
        carrier: the NR carrier.
        window: the window's symbols.
        period_slots, residue: one window in every slot ``n`` with ``n mod period_slots == residue``.
        start_slot: absolute slot number (frame * slots per frame + slot) of stream sample 0.
        start_symbol: the symbol that starts at stream sample 0.
    """

    carrier: Carrier
    window: range
    period_slots: int
    residue: int
    start_slot: int
    start_symbol: int = 0

    @property
    def first_window_slot(self) -> int:
        """The first slot whose window lies wholly inside the stream."""
        slot = self.start_slot + (self.start_symbol > self.window[0])
        return slot + (self.residue - slot) % self.period_slots

    def stream_sample(self, slot_number: int) -> int:
        """Stream sample of the start of slot ``slot_number`` (negative before the stream)."""
        carrier = self.carrier
        return (slot_number - self.start_slot) * carrier.slot_samples - carrier.symbol_start(
            self.start_symbol
        )

    def window_start(self, index: int) -> int:
        """Stream sample of the first sample of window ``index``."""
        slot = self.window_slot(index)
        return self.stream_sample(slot) + self.carrier.symbol_start(self.window[0])

    def window_slot(self, index: int) -> int:
        """Absolute slot number of window ``index`` (counting the windows the gate outputs)."""
        return self.first_window_slot + index * self.period_slots

    def gate(self) -> tuple[KeepMInN, int]:
        """The window gate and the number of leading items to discard after it.

        ``keep_m_in_n`` keeps ``[offset, offset + m)`` of every block of ``n`` items counted
        from stream sample 0, wrapping inside the block: a window that straddles two blocks
        comes out whole, after a stub of ``offset + m - n`` items from the stream's start.
        """
        n = self.period_slots * self.carrier.slot_samples
        m = window_samples(self.carrier, self.window)
        offset = self.window_start(0)
        stub = max(offset % n + m - n, 0)
        return KeepMInN(m, n, offset % n), stub


@dataclass(frozen=True)
class WindowSchedule:
    """Windows stored back to back: window ``i`` lies in slot ``slots[i]`` at capture sample ``starts[i]``.

    A slot of None marks a window that is replayed but must not be used. Indices past the
    last window start again from the first (a capture source that repeats the recording).
    """

    carrier: Carrier
    window: range
    slots: tuple[int | None, ...]
    starts: tuple[int, ...]

    def window_slot(self, index: int) -> int | None:
        return self.slots[index % len(self.slots)] if self.slots else None

    def window_start(self, index: int) -> int:
        return self.starts[index % len(self.starts)]


def window_samples(carrier: Carrier, window: range) -> int:
    """Samples in one window (cyclic prefixes included)."""
    return carrier.span_samples(window)


def fft_gate(carrier: Carrier, backoff_samples: int) -> KeepMInN:
    """The gate that keeps each symbol's FFT window: ``n_fft`` samples, ``backoff`` before the CP's end.

    Raises:
        ValueError: ``backoff_samples`` outside ``0 .. n_cp``.
    """
    cp = carrier.normal_cp_samples
    if not 0 <= backoff_samples <= cp:
        raise ValueError(f"backoff_samples: must be in 0 .. {cp} (the cyclic prefix), got {backoff_samples}")
    return KeepMInN(carrier.n_fft, carrier.n_fft + cp, cp - backoff_samples)
