"""Per-occasion SRS channel estimation on synthetic spectra (no flowgraph)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.nr import srs as nr_srs
from gnuradio.bearing.nr.carrier import Carrier
from gnuradio.bearing.nr.channel_estimation import PilotSymbol, estimate_occasion, uniform_selection
from gnuradio.bearing.nr.srs import SrsConfig

CARRIER = Carrier(mu=1, n_rb=51, n_fft=1024)
RATE = CARRIER.sample_rate_hz


def pilots_of(config: SrsConfig, port: int = 0, starts_s=(0.0,)) -> list[PilotSymbol]:
    pilots = []
    for symbol, start in zip(nr_srs.symbols(config), starts_s, strict=True):
        k, x = nr_srs.srs_resource(config, CARRIER, 0, 0, symbol, port)
        pilots.append(PilotSymbol(CARRIER.fft_bins(k), CARRIER.subcarrier_offsets_hz(k), x, start))
    return pilots


def spectra_of(channels, pilot_sets, delay_s: float = 0.0) -> np.ndarray:
    """``(S, M, n_fft)`` spectra of the sum of several UEs' pilots through their channels."""
    symbols = len(pilot_sets[0])
    out = np.zeros((symbols, channels[0].shape[0], CARRIER.n_fft), dtype=np.complex128)
    for channel, pilots in zip(channels, pilot_sets, strict=True):
        for s, p in enumerate(pilots):
            ramp = np.exp(-2j * np.pi * p.offsets_hz * delay_s)
            out[s][:, p.bins] += channel * p.values * ramp
    return out


def test_uniform_selection_takes_the_middle_of_equal_parts():
    assert uniform_selection(32, 4).tolist() == [4, 12, 20, 28]
    assert uniform_selection(5, 0).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="num_subcarriers"):
        uniform_selection(8, 9)


def test_a_delay_is_found_and_removed_to_a_fraction_of_a_sample():
    config = SrsConfig(c_srs=12)
    pilots = pilots_of(config)
    rng = np.random.default_rng(0)
    channel = (rng.standard_normal((4, 1)) + 1j * rng.standard_normal((4, 1))) * np.ones((1, 288))
    delay_s = 23.4 / RATE
    estimate = estimate_occasion(spectra_of([channel], [pilots], delay_s), pilots, RATE, 0.0, 8, 0)
    assert estimate.timing_offset_s * RATE == pytest.approx(23.4, abs=1e-6)
    np.testing.assert_allclose(estimate.channel, channel, rtol=1e-9)
    assert estimate.cfo_hz is None  # one symbol: nothing to estimate a CFO from


@pytest.mark.parametrize(("delay_taps", "median_bound"), [(3.0, 1e-9), (2.8, 0.1)])
def test_the_cyclic_shift_window_separates_two_ues_on_one_comb(delay_taps, median_bound):
    """Two UEs on comb 0, cyclic shifts 0 and 3 (108 taps apart), a common delay: exact on a
    whole number of delay taps; between taps the other UE's spread leaks into the zone."""
    first, second = SrsConfig(n_cs=0, c_srs=12), SrsConfig(ue=1, n_cs=3, c_srs=12)
    rng = np.random.default_rng(1)
    channels = [rng.standard_normal((4, 1)) * np.ones((1, 288)) + 0j for _ in range(2)]
    tap_s = 1.0 / (288 * 2 * CARRIER.subcarrier_spacing_hz)
    spectra = spectra_of(channels, [pilots_of(first), pilots_of(second)], delay_taps * tap_s)
    for config, channel in zip((first, second), channels, strict=True):
        pilots = pilots_of(config)
        alone = estimate_occasion(spectra, pilots, RATE, 0.0, 8, 0)
        windowed = estimate_occasion(spectra, pilots, RATE, 0.0, 8, 0, shared_comb=True)
        assert np.max(np.abs(alone.channel - channel)) > 0.5  # the other UE is in the way
        assert np.median(np.abs(windowed.channel - channel) / np.abs(channel)) < median_bound
        assert windowed.timing_offset_s / tap_s == pytest.approx(delay_taps, abs=0.1)


def test_cfo_between_repetitions_is_estimated():
    config = SrsConfig(c_srs=12, l0=12, n_symb=2, repetition=2)
    period_s = CARRIER.symbol_samples(13) / RATE
    pilots = pilots_of(config, starts_s=(0.0, period_s))
    channel = np.ones((4, 288), dtype=np.complex128)
    spectra = spectra_of([channel], [pilots])
    spectra[1] *= np.exp(2j * np.pi * 700.0 * period_s)  # the common phase advance of a 700 Hz CFO
    estimate = estimate_occasion(spectra, pilots, RATE, 0.0, 8, 16)
    assert estimate.cfo_hz == pytest.approx(700.0, rel=1e-9)
    assert estimate.channel.shape == (4, 16)
