"""Channel estimation from one SRS occasion: LS, timing and CFO, cyclic-shift window.

The receiver (:mod:`~gnuradio.bearing.blocks.srs_extractor`) hands over, per occasion, the DFT of each
SRS symbol's FFT window on every antenna. The window starts ``backoff`` samples before the end of the
cyclic prefix, so a UE that arrives on time shows a delay of ``backoff`` samples. Per UE port:

1. CFO (two or more SRS symbols on the same subcarriers): the phase advance of the LS
   estimate from one symbol to the next, ``2 pi cfo (t_s - t_0)``; then removed exactly, by
   derotating each FFT window in the time domain (which also removes the inter-carrier
   interference) and aligning the symbols' phases. Unambiguous for
   ``|cfo| < fs / (2 (n_fft + n_cp))`` (14 kHz at 30 kHz spacing). One SRS symbol carries no
   CFO information: a known ``cfo_hz`` may be given instead.
2. Least squares ``H = Y / x`` at the UE's pilots (38.211 sequence ``x``, unit modulus).
3. Coarse timing: the peak of the delay profile (the correlation with the known sequence,
   the inverse DFT of ``H`` over the comb) inside the UE's cyclic-shift zone; removed.
4. Cyclic-shift window, when other cyclic shifts share the comb (other UEs or ports): taps
   outside ``[-W/2, W/2)``, ``W = M_sc / n_cs_max``, are zeroed; they belong to the others.
   This also lowers the noise by ``n_cs_max`` (9 dB for comb-2) but cuts the channel's delay
   taps beyond ``W/2``, so it is not applied to a UE alone on its comb.
5. Fine timing: the phase slope across the pilots ``angle(sum H[k+1] H[k]^*)``; removed, so
   that ``H`` is the channel with the delay's linear phase taken out (its phase at the
   carrier stays). With the window, which flattens a slope a little, steps 4 and 5 repeat
   ``FINE_PASSES`` times: each pass leaves about a tenth of the previous residual delay.
6. The repetitions of the occasion are averaged and ``K`` pilots picked uniformly across the
   band (the MoD-DNN paper's K = 16 subcarriers), or all of them.

Arithmetic is float64 (phase slopes over thousands of subcarriers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .carrier import Carrier
from .srs import SrsConfig, srs_resource, symbols

FINE_PASSES = 6
"""Rounds of window and phase slope when the cyclic-shift window is on (step 5)."""


@dataclass(frozen=True)
class PilotSymbol:
    """The known SRS of one UE port in one symbol of an occasion.

    Attributes:
        bins: FFT bin of each pilot, ``(M_sc,)``.
        offsets_hz: frequency of each pilot relative to the carrier, ``(M_sc,)``, hertz.
        values: the transmitted sequence ``x``, ``(M_sc,)``, unit modulus.
        start_s: the time of the symbol's FFT window start on the receiver clock, seconds.
    """

    bins: NDArray[np.int64]
    offsets_hz: NDArray[np.float64]
    values: NDArray[np.complex128]
    start_s: float


@dataclass(frozen=True)
class OccasionEstimate:
    """The channel of one UE port in one occasion.

    Attributes:
        channel: ``(M, K)`` complex, the LS channel at the selected pilots with the delay's
            linear phase and the CFO removed.
        offsets_hz: ``(K,)`` frequency of the selected pilots relative to the carrier, hertz.
        timing_offset_s: the UE's delay against the nominal symbol start, seconds.
        cfo_hz: the estimated CFO, hertz; None with one symbol (nothing to estimate it from).
    """

    channel: NDArray[np.complex128]
    offsets_hz: NDArray[np.float64]
    timing_offset_s: float
    cfo_hz: float | None


def estimate_occasion(
    spectra: NDArray[np.complexfloating],
    pilots: list[PilotSymbol],
    sample_rate_hz: float,
    backoff_s: float,
    n_cs_max: int,
    num_subcarriers: int = 16,
    cfo_hz: float | None = None,
    shared_comb: bool = False,
) -> OccasionEstimate:
    """One occasion's channel estimate (steps 1-6 of the module docstring).

    Args:
        spectra: ``(S, M, n_fft)`` orthonormal DFT of the S symbols' FFT windows per antenna.
        pilots: the UE port's pilots in each of the S symbols.
        sample_rate_hz: the receiver's sample rate.
        backoff_s: how early the FFT window starts before the end of the cyclic prefix, s.
        n_cs_max: cyclic shifts of the comb (8, 12 or 6 for K_TC 2, 4, 8): sets the window.
        num_subcarriers: K pilots to output, chosen uniformly; 0 outputs all of them.
        cfo_hz: a known CFO to remove; None estimates it (needs two symbols on the same pilots).
        shared_comb: other cyclic shifts share the pilots (other UEs or ports): apply the
            cyclic-shift window (step 4). Without it the estimate keeps every delay tap.

    Raises:
        ValueError: shapes that disagree, or more output subcarriers than pilots.
    """
    spectra = np.asarray(spectra, dtype=np.complex128)
    if spectra.ndim != 3 or spectra.shape[0] != len(pilots):
        raise ValueError(f"spectra: expected shape (S={len(pilots)}, M, n_fft), got {spectra.shape}")
    estimates = [least_squares(s, p) for s, p in zip(spectra, pilots, strict=True)]
    if cfo_hz is None:
        cfo_hz = estimate_cfo(estimates, pilots)
    if cfo_hz:
        spectra = remove_cfo(spectra, pilots, cfo_hz, sample_rate_hz)
        estimates = [least_squares(s, p) for s, p in zip(spectra, pilots, strict=True)]
    estimates = [remove_delay(h, p.offsets_hz, backoff_s) for h, p in zip(estimates, pilots, strict=True)]
    delay_s = coarse_delay(estimates, pilots, n_cs_max)
    for _ in range(FINE_PASSES if shared_comb else 1):
        aligned = [remove_delay(h, p.offsets_hz, delay_s) for h, p in zip(estimates, pilots, strict=True)]
        if shared_comb:
            aligned = [cyclic_shift_window(h, n_cs_max) for h in aligned]
        delay_s += fine_delay(aligned, pilots)
    aligned = [remove_delay(h, p.offsets_hz, delay_s) for h, p in zip(estimates, pilots, strict=True)]
    if shared_comb:
        aligned = [cyclic_shift_window(h, n_cs_max) for h in aligned]
    channel, offsets = _combine(aligned, pilots)
    chosen = uniform_selection(offsets.size, num_subcarriers)
    return OccasionEstimate(channel[:, chosen], offsets[chosen], delay_s, cfo_hz)


def least_squares(spectrum: NDArray[np.complex128], pilot: PilotSymbol) -> NDArray[np.complex128]:
    """``H = Y / x`` at the pilots: ``(M, M_sc)`` from the ``(M, n_fft)`` spectrum of one symbol."""
    return spectrum[:, pilot.bins] / pilot.values


def estimate_cfo(estimates: list[NDArray[np.complex128]], pilots: list[PilotSymbol]) -> float | None:
    """CFO from the phase advance between symbols on the same pilots, hertz; None if there are none.

    Each later symbol is compared with the first symbol on the same bins (a repetition); the
    phase ``angle(sum conj(H_0) H_s)`` over antennas and pilots is ``2 pi cfo (t_s - t_0)``.
    The estimate is the phase-weighted least-squares fit over the pairs.
    """
    numerator = denominator = 0.0
    for later in range(1, len(pilots)):
        first = next((i for i in range(later) if np.array_equal(pilots[i].bins, pilots[later].bins)), None)
        if first is None:
            continue
        gap_s = pilots[later].start_s - pilots[first].start_s
        phase = np.angle(np.vdot(estimates[first], estimates[later]))
        numerator += phase * gap_s
        denominator += gap_s**2
    if not denominator:
        return None
    return float(numerator / denominator / (2.0 * np.pi))


def remove_cfo(
    spectra: NDArray[np.complex128], pilots: list[PilotSymbol], cfo_hz: float, sample_rate_hz: float
) -> NDArray[np.complex128]:
    """The spectra with ``cfo_hz`` removed: each window derotated in time, phases aligned to the first."""
    n_fft = spectra.shape[-1]
    ramp = np.exp(-2j * np.pi * cfo_hz * np.arange(n_fft) / sample_rate_hz)
    windows = np.fft.ifft(spectra, axis=-1, norm="ortho") * ramp
    starts = np.array([p.start_s - pilots[0].start_s for p in pilots])
    common = np.exp(-2j * np.pi * cfo_hz * starts)[:, None, None]
    return np.fft.fft(windows, axis=-1, norm="ortho") * common


def remove_delay(
    channel: NDArray[np.complex128], offsets_hz: NDArray[np.float64], delay_s: float
) -> NDArray[np.complex128]:
    """``channel * exp(+j 2 pi f delay)``: the linear phase of a delay removed, ``(M, M_sc)``."""
    return channel * np.exp(2j * np.pi * offsets_hz * delay_s)


def coarse_delay(estimates: list[NDArray[np.complex128]], pilots: list[PilotSymbol], n_cs_max: int) -> float:
    """The delay of the delay-profile peak in the UE's cyclic-shift zone, seconds.

    The delay profile is the inverse DFT across the pilots (spacing ``df``: one tap is
    ``1 / (M_sc df)``), the correlation with the known sequence, summed in power over
    antennas and symbols; the zone is ``[-W/2, W/2)`` taps, ``W = M_sc / n_cs_max``.
    """
    num_pilots = pilots[0].bins.size
    profile = sum(np.sum(np.abs(np.fft.ifft(h, axis=-1)) ** 2, axis=0) for h in estimates)
    zone = _zone_taps(num_pilots, n_cs_max)
    peak = zone[np.argmax(profile[zone])]
    signed = peak - num_pilots if peak >= num_pilots // 2 else peak
    return signed / (num_pilots * _pilot_spacing_hz(pilots[0]))


def fine_delay(estimates: list[NDArray[np.complex128]], pilots: list[PilotSymbol]) -> float:
    """The delay left after :func:`coarse_delay`, seconds, from the phase slope across the pilots.

    ``angle(sum H[k+1] conj(H[k]))`` over antennas, pilots and symbols is ``-2 pi df delay``;
    unambiguous within half a tap of the coarse delay's spacing ``1 / df``.
    """
    slope = sum(np.vdot(h[:, :-1], h[:, 1:]) for h in estimates)
    return -float(np.angle(slope)) / (2.0 * np.pi * _pilot_spacing_hz(pilots[0]))


def cyclic_shift_window(channel: NDArray[np.complex128], n_cs_max: int) -> NDArray[np.complex128]:
    """The channel with the delay taps outside the cyclic-shift zone ``[-W/2, W/2)`` zeroed.

    Exact for a channel whose delay has been removed (its taps sit at 0); a delay between
    taps, or a delay spread beyond ``W/2``, spreads over the zone's edges and is cut.
    """
    num_pilots = channel.shape[-1]
    keep = np.zeros(num_pilots, dtype=bool)
    keep[_zone_taps(num_pilots, n_cs_max)] = True
    return np.fft.fft(np.where(keep, np.fft.ifft(channel, axis=-1), 0.0), axis=-1)


def selected_offsets_hz(pilots: list[PilotSymbol], num_subcarriers: int = 16) -> NDArray[np.float64]:
    """``(K,)`` frequencies of the pilots :func:`estimate_occasion` outputs, relative to the carrier, Hz.

    The columns of :attr:`OccasionEstimate.channel` for an occasion with these ``pilots``, known
    before any estimate: the distinct pilots sorted by frequency, ``num_subcarriers`` of them
    chosen by :func:`uniform_selection` (0: all).
    """
    offsets_hz = _repetitions(pilots)[1]
    return offsets_hz[uniform_selection(offsets_hz.size, num_subcarriers)]


def uniform_selection(num_pilots: int, count: int) -> NDArray[np.int64]:
    """``count`` pilot indices spread uniformly over ``num_pilots`` (the middle of K equal parts); 0: all.

    Raises:
        ValueError: ``count`` negative or above ``num_pilots``.
    """
    if count == 0:
        return np.arange(num_pilots)
    if not 0 < count <= num_pilots:
        raise ValueError(f"num_subcarriers: must be in 0 .. {num_pilots} (the UE's pilots), got {count}")
    return (2 * np.arange(count) + 1) * num_pilots // (2 * count)


def _zone_taps(num_pilots: int, n_cs_max: int) -> NDArray[np.int64]:
    """Tap indices (mod ``num_pilots``) of the zone ``[-W/2, W/2)``, ``W = num_pilots / n_cs_max``."""
    half = max(num_pilots // n_cs_max // 2, 1)
    return np.arange(-half, half) % num_pilots


def _pilot_spacing_hz(pilot: PilotSymbol) -> float:
    return float(pilot.offsets_hz[1] - pilot.offsets_hz[0]) if pilot.offsets_hz.size > 1 else 1.0


def _combine(
    estimates: list[NDArray[np.complex128]], pilots: list[PilotSymbol]
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """Average of the repetitions on each set of pilots; all pilots sorted by frequency."""
    groups, offsets_hz, order = _repetitions(pilots)
    channels = [np.mean([estimates[i] for i in members], axis=0) for members in groups]
    return np.concatenate(channels, axis=-1)[:, order], offsets_hz


def _repetitions(
    pilots: list[PilotSymbol],
) -> tuple[list[list[int]], NDArray[np.float64], NDArray[np.int64]]:
    """The symbols grouped by their pilots (repetitions); the groups' pilot frequencies, sorted
    (hertz); and the order that sorts the groups' pilots, concatenated, by frequency."""
    groups: dict[bytes, list[int]] = {}
    for index, pilot in enumerate(pilots):
        groups.setdefault(pilot.bins.tobytes(), []).append(index)
    members = list(groups.values())
    offsets_hz = np.concatenate([pilots[group[0]].offsets_hz for group in members])
    order = np.argsort(offsets_hz, kind="stable")
    return members, offsets_hz[order], order


def pilot_symbols(
    carrier: Carrier, config: SrsConfig, frame: int, slot: int, port: int = 0, backoff_s: float = 0.0
) -> list[PilotSymbol]:
    """The known SRS of UE port ``port`` in each SRS symbol of its occasion in ``(frame, slot)``.

    ``backoff_s``: how early each FFT window starts before the end of the cyclic prefix, seconds.
    """
    pilots = []
    for symbol in symbols(config):
        subcarriers, values = srs_resource(config, carrier, frame, slot, symbol, port)
        start = carrier.symbol_start(symbol) + carrier.cp_samples(symbol)
        pilots.append(
            PilotSymbol(
                carrier.fft_bins(subcarriers),
                carrier.subcarrier_offsets_hz(subcarriers),
                values,
                start / carrier.sample_rate_hz - backoff_s,
            )
        )
    return pilots


def output_offsets_hz(
    carrier: Carrier, config: SrsConfig, num_subcarriers: int, frame: int, slot: int, port: int = 0
) -> NDArray[np.float64]:
    """``(K,)`` frequencies of the subcarriers of a UE port's output item for its occasion in
    ``(frame, slot)``, relative to the carrier, hertz: the ``k`` of ``item[m*K + k]``.

    They stay the same from occasion to occasion unless the SRS hops in frequency
    (``b_hop < b_srs``), and between ports unless a port moves to another comb offset.
    """
    pilots = pilot_symbols(carrier, config, frame, slot, port)
    return selected_offsets_hz(pilots, num_subcarriers)
