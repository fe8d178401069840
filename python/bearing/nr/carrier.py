"""5G NR carrier numerology and OFDM symbol timing (3GPP TS 38.211 sections 4.2, 4.3, 5.3.1).

A :class:`Carrier` is the ``nr:carrier`` object of a capture (docs/srs.md): numerology ``mu``
(subcarrier spacing ``15 * 2^mu`` kHz), ``n_rb`` resource blocks of 12 subcarriers, FFT
size ``n_fft`` and cyclic prefix ``cp``. The sample rate is ``n_fft`` times the subcarrier
spacing (4096 at 30 kHz: 122.88 Msps; 1024 at 30 kHz: 30.72 Msps).

Grid and frequency conventions used by every SRS module:

* Subcarrier ``k`` of the carrier runs over ``0 .. 12 n_rb - 1``; it lies
  ``(k - 6 n_rb) * subcarrier_spacing_hz`` from the carrier frequency (38.211 5.4, with
  ``k_0 = 0``: one numerology), so it is FFT bin ``(k - 6 n_rb) mod n_fft``.
* A slot has 14 symbols (normal CP). Symbol ``l`` of a slot has a cyclic prefix of
  ``144 n_fft / 2048`` samples, plus ``16 * 2^mu * n_fft / 2048`` when it starts a half
  subframe (symbol ``0`` or ``7 * 2^mu`` of a subframe, eq. 5.3.1): 288 and 352 samples at
  4096, mu = 1. Every slot has the same length in samples (half a subframe holds whole slots).
* Baseband only: the upconversion phase term of 38.211 5.4 is not applied (it is a known
  phase per symbol that a receiver removes; our receiver never sees it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

SYMBOLS_PER_SLOT = 14
"""OFDM symbols per slot with normal cyclic prefix (38.211 table 4.3.2-1)."""

SUBCARRIERS_PER_RB = 12
"""Subcarriers per resource block."""

SUBFRAMES_PER_FRAME = 10
"""A frame is 10 ms of 10 subframes of 1 ms."""

MAX_RB = {0: 275, 1: 275}
"""Largest ``n_rb`` per numerology (38.211 table 4.4.2-1 bounds N_grid at 275)."""


@dataclass(frozen=True)
class Carrier:
    """An NR carrier as received: numerology, bandwidth, FFT size and cyclic prefix.

    Attributes:
        mu: numerology, 0 (15 kHz) or 1 (30 kHz).
        n_rb: carrier bandwidth in resource blocks (1 .. 275): 273 for 100 MHz at 30 kHz,
            51 for 20 MHz at 30 kHz, 106 for 20 MHz at 15 kHz.
        n_fft: FFT size, a power of two of at least 128 that holds the ``12 n_rb`` subcarriers.
        cp: ``"normal"`` (the only cyclic prefix supported; extended CP exists only for mu = 2).

    Raises:
        ValueError: naming the parameter out of range.
    """

    mu: int = 1
    n_rb: int = 273
    n_fft: int = 4096
    cp: str = "normal"

    def __post_init__(self) -> None:
        if self.mu not in (0, 1) or isinstance(self.mu, bool):
            raise ValueError(f"mu: numerology must be 0 (15 kHz) or 1 (30 kHz), got {self.mu!r}")
        if (
            not isinstance(self.n_rb, int)
            or isinstance(self.n_rb, bool)
            or not 1 <= self.n_rb <= MAX_RB[self.mu]
        ):
            raise ValueError(f"n_rb: must be an integer in 1 .. {MAX_RB[self.mu]}, got {self.n_rb!r}")
        n_fft = self.n_fft
        if not isinstance(n_fft, int) or n_fft < 128 or n_fft & (n_fft - 1):
            raise ValueError(f"n_fft: must be a power of two of at least 128, got {n_fft!r}")
        if SUBCARRIERS_PER_RB * self.n_rb > n_fft:
            raise ValueError(
                f"n_fft: {n_fft} bins cannot hold the {SUBCARRIERS_PER_RB * self.n_rb} subcarriers of "
                f"n_rb = {self.n_rb}"
            )
        if self.cp != "normal":
            raise ValueError(f"cp: only 'normal' is supported (extended CP is for mu = 2), got {self.cp!r}")

    @classmethod
    def from_dict(cls, data: dict) -> Carrier:
        """The carrier of an ``nr:carrier`` object; unknown keys raise ValueError."""
        if not isinstance(data, dict):
            raise ValueError(f"nr:carrier must be an object, got {data!r}")
        unknown = sorted(set(data) - {"mu", "n_rb", "n_fft", "cp"})
        if unknown:
            raise ValueError(f"nr:carrier: unknown fields {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict:
        """The ``nr:carrier`` object."""
        return asdict(self)

    @property
    def subcarrier_spacing_hz(self) -> float:
        return 15e3 * 2**self.mu

    @property
    def sample_rate_hz(self) -> float:
        """``n_fft`` times the subcarrier spacing."""
        return self.n_fft * self.subcarrier_spacing_hz

    @property
    def num_subcarriers(self) -> int:
        """``12 n_rb``."""
        return SUBCARRIERS_PER_RB * self.n_rb

    @property
    def slots_per_frame(self) -> int:
        return SUBFRAMES_PER_FRAME * 2**self.mu

    @property
    def normal_cp_samples(self) -> int:
        """Cyclic prefix of a symbol that does not start a half subframe: ``144 n_fft / 2048``."""
        return 144 * self.n_fft // 2048

    @property
    def long_cp_samples(self) -> int:
        """Cyclic prefix of the first symbol of a half subframe: ``(144 + 16 * 2^mu) n_fft / 2048``."""
        return (144 + 16 * 2**self.mu) * self.n_fft // 2048

    def cp_samples(self, symbol: int) -> int:
        """Cyclic prefix of symbol ``symbol`` (0 .. 13) of any slot, samples."""
        _check_symbol(symbol)
        # A half subframe is 7 * 2^mu symbols: with mu = 0 a slot holds two (symbols 0 and 7
        # start one), with mu = 1 a slot is one (symbol 0 starts it).
        starts_half_subframe = symbol % (7 * 2**self.mu) == 0
        return self.long_cp_samples if starts_half_subframe else self.normal_cp_samples

    def symbol_samples(self, symbol: int) -> int:
        """Length of symbol ``symbol`` including its cyclic prefix, samples."""
        return self.n_fft + self.cp_samples(symbol)

    @property
    def slot_samples(self) -> int:
        """Samples per slot: 61440 at 122.88 Msps and mu = 1 (0.5 ms)."""
        return self.span_samples(range(SYMBOLS_PER_SLOT))

    def symbol_start(self, symbol: int) -> int:
        """Sample of the start (cyclic prefix included) of symbol ``symbol`` within its slot."""
        _check_symbol(symbol)
        return self.span_samples(range(symbol))

    def span_samples(self, symbols: range) -> int:
        """Samples of consecutive symbols of one slot, cyclic prefixes included."""
        return sum(self.symbol_samples(symbol) for symbol in symbols)

    def slot_number(self, frame: int, slot: int) -> int:
        """Slots since frame 0 slot 0: ``frame * slots_per_frame + slot``."""
        if not 0 <= slot < self.slots_per_frame:
            raise ValueError(
                f"slot: must be in 0 .. {self.slots_per_frame - 1} for mu = {self.mu}, got {slot}"
            )
        return frame * self.slots_per_frame + slot

    def frame_and_slot(self, slot_number: int) -> tuple[int, int]:
        """Inverse of :meth:`slot_number`: ``(frame, slot in frame)``."""
        return divmod(int(slot_number), self.slots_per_frame)

    def subcarrier_offsets_hz(self, subcarriers: NDArray[np.integer]) -> NDArray[np.float64]:
        """Frequency of carrier subcarriers ``k`` relative to the carrier, hertz."""
        return (np.asarray(subcarriers) - SUBCARRIERS_PER_RB * self.n_rb // 2) * self.subcarrier_spacing_hz

    def fft_bins(self, subcarriers: NDArray[np.integer]) -> NDArray[np.int64]:
        """FFT bin (0 .. n_fft - 1) of carrier subcarriers ``k``."""
        return (np.asarray(subcarriers, dtype=np.int64) - SUBCARRIERS_PER_RB * self.n_rb // 2) % self.n_fft


def _check_symbol(symbol: int) -> None:
    if not 0 <= symbol < SYMBOLS_PER_SLOT:
        raise ValueError(f"symbol: must be in 0 .. {SYMBOLS_PER_SLOT - 1}, got {symbol}")
