"""NR numerology against 38.211 values: sample rates, cyclic prefixes, slot lengths."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.nr.carrier import Carrier


@pytest.mark.parametrize(
    ("carrier", "rate_hz", "cp", "long_cp", "slot"),
    [
        (Carrier(mu=1, n_rb=273, n_fft=4096), 122.88e6, 288, 352, 61440),  # 100 MHz at 30 kHz
        (Carrier(mu=1, n_rb=51, n_fft=1024), 30.72e6, 72, 88, 15360),  # 20 MHz at 30 kHz
        (Carrier(mu=0, n_rb=106, n_fft=2048), 30.72e6, 144, 160, 30720),  # 20 MHz at 15 kHz (LTE-like)
    ],
)
def test_sample_rate_cyclic_prefix_and_slot_length(carrier, rate_hz, cp, long_cp, slot):
    assert carrier.sample_rate_hz == rate_hz
    assert carrier.normal_cp_samples == cp and carrier.long_cp_samples == long_cp
    assert carrier.slot_samples == slot
    # A slot lasts 1 ms / 2^mu.
    assert carrier.slot_samples / carrier.sample_rate_hz == pytest.approx(1e-3 / 2**carrier.mu)


def test_the_longer_cyclic_prefix_starts_each_half_subframe():
    mu0 = Carrier(mu=0, n_rb=106, n_fft=2048)
    assert [s for s in range(14) if mu0.cp_samples(s) == mu0.long_cp_samples] == [0, 7]
    mu1 = Carrier(mu=1, n_rb=273, n_fft=4096)
    assert [s for s in range(14) if mu1.cp_samples(s) == mu1.long_cp_samples] == [0]
    assert mu1.symbol_start(1) == 352 + 4096
    assert mu1.symbol_start(13) == 352 + 12 * 288 + 13 * 4096


def test_grid_frequencies_and_bins():
    carrier = Carrier(mu=1, n_rb=273, n_fft=4096)
    assert carrier.subcarrier_offsets_hz(np.array([0, 1638, 3275])).tolist() == [
        -1638 * 30e3,
        0.0,
        1637 * 30e3,
    ]
    assert carrier.fft_bins(np.array([0, 1638, 3275])).tolist() == [4096 - 1638, 0, 1637]
    assert carrier.frame_and_slot(carrier.slot_number(3, 17)) == (3, 17)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mu": 2}, "mu:"),
        ({"n_rb": 0}, "n_rb:"),
        ({"n_fft": 3000}, "n_fft:"),
        ({"n_rb": 273, "n_fft": 2048}, "n_fft:"),
        ({"cp": "extended"}, "cp:"),
    ],
)
def test_invalid_carriers_name_the_parameter(fields, message):
    with pytest.raises(ValueError, match=message):
        Carrier(**fields)


def test_from_dict_refuses_unknown_fields():
    with pytest.raises(ValueError, match="unknown fields scs"):
        Carrier.from_dict({"mu": 1, "n_rb": 51, "n_fft": 1024, "scs": 30})
    assert Carrier.from_dict(Carrier().to_dict()) == Carrier()
