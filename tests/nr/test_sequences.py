"""Gold and low-PAPR sequences of 38.211 5.2.1 and 5.2.2 (nr_sequences)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.nr.sequences import base_sequence, low_papr_sequence, pseudo_random, zadoff_chu_length

TABLE_LENGTHS = (6, 12, 18, 24)


def _bits_to_int(bits: np.ndarray) -> int:
    return int(bits.astype(np.int64) @ (1 << np.arange(len(bits))))


def _phi(u: int, length: int) -> list[int]:
    """phi(n) of a table sequence, read back from its phase."""
    return np.rint(np.angle(base_sequence(u, 0, length)) * 4 / np.pi).astype(int).tolist()


def _gold_by_definition(c_init: int, length: int) -> np.ndarray:
    """c(n) of 38.211 5.2.1, one bit at a time."""
    x1 = [1] + [0] * 30
    x2 = [(c_init >> i) & 1 for i in range(31)]
    for n in range(1600 + length - 31):
        x1.append((x1[n + 3] + x1[n]) % 2)
        x2.append((x2[n + 3] + x2[n + 2] + x2[n + 1] + x2[n]) % 2)
    return np.array([(x1[n + 1600] + x2[n + 1600]) % 2 for n in range(length)])


def test_pseudo_random_reproduces_the_published_pucch_hopping_example():
    # MATLAB nrPUCCHHoppingInfo('normal', 3, 512, 'enable', 5, 0) (uk.mathworks.com/help/5g/ref/
    # nrpucchhoppinginfo.html): NCS = sum_m 2^m c(8 (14 n_s + l) + m) with c_init = 512 and
    # FGH = sum_m 2^m c(8 (2 n_s + n_hop) + m) mod 30 with c_init = floor(512 / 30), slot n_s = 3.
    c = pseudo_random(512, 8 * 14 * 4)
    ncs = [_bits_to_int(c[8 * (14 * 3 + symbol) :][:8]) for symbol in range(14)]
    assert ncs == [239, 107, 223, 6, 24, 2, 3, 66, 238, 125, 209, 145, 44, 233]
    c = pseudo_random(512 // 30, 8 * 8)
    assert [_bits_to_int(c[8 * (2 * 3 + hop) :][:8]) % 30 for hop in (0, 1)] == [11, 20]


@pytest.mark.parametrize("c_init", [0, 1, 0x5A5A5A5, 2**31 - 1])
def test_pseudo_random_matches_the_bitwise_definition(c_init):
    np.testing.assert_array_equal(pseudo_random(c_init, 173), _gold_by_definition(c_init, 173))
    assert pseudo_random(c_init, 0).shape == (0,)


@pytest.mark.parametrize(
    ("c_init", "length", "name"), [(-1, 4, "c_init"), (2**31, 4, "c_init"), (0, -1, "length")]
)
def test_pseudo_random_rejects_bad_arguments(c_init, length, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        pseudo_random(c_init, length)


@pytest.mark.parametrize(
    ("length", "n_zc"), [(36, 31), (48, 47), (72, 71), (96, 89), (816, 811), (1632, 1627), (3276, 3271)]
)
def test_zadoff_chu_length_is_the_largest_smaller_prime(length, n_zc):
    assert zadoff_chu_length(length) == n_zc


@pytest.mark.parametrize("length", [6, 12, 18, 24, 30, 36, 42, 48, 96, 1632])
def test_sequences_have_constant_amplitude(length):
    for u in (0, 7, 29):
        assert np.allclose(np.abs(base_sequence(u, 0, length)), 1.0)
        assert np.allclose(np.abs(low_papr_sequence(u, 0, 1.3, length)), 1.0)


@pytest.mark.parametrize("length", [36, 48, 96, 816, 1632])
def test_zadoff_chu_part_has_zero_cyclic_autocorrelation(length):
    n_zc = zadoff_chu_length(length)
    for u, v in [(0, 0), (13, 0), (29, 0)] + ([(5, 1), (29, 1)] if length >= 72 else []):
        x = base_sequence(u, v, length)[:n_zc]
        # |sum_m x(m) x*(m + s)| for every cyclic lag s; only s = 0 may be non-zero.
        correlation = np.abs(np.fft.ifft(np.abs(np.fft.fft(x)) ** 2))
        assert correlation[0] == pytest.approx(n_zc)
        assert correlation[1:].max() < 1e-6 * n_zc


def test_zadoff_chu_is_cyclically_extended():
    r = base_sequence(3, 1, 96)
    np.testing.assert_array_equal(r[89:], r[: 96 - 89])


def test_zadoff_chu_root_follows_the_sign_convention_of_5_2_2_1():
    # q = floor(q̄ + 1/2) + v (-1)^floor(2 q̄) with q̄ = N_ZC (u + 1) / 31, here for u = 0:
    # length 72 (N_ZC 71): q̄ = 2.29, floor(2 q̄) = 4 is even, so v = 0, 1 give q = 2, 3;
    # length 96 (N_ZC 89): q̄ = 2.87, floor(2 q̄) = 5 is odd, so v = 0, 1 give q = 3, 2.
    for length, n_zc, roots in [(72, 71, (2, 3)), (96, 89, (3, 2))]:
        m = np.arange(length) % n_zc
        for v, q in enumerate(roots):
            expected = np.exp(-1j * np.pi * q * m * (m + 1) / n_zc)
            np.testing.assert_allclose(base_sequence(0, v, length), expected, atol=1e-9)


def test_length_30_follows_its_formula():
    n = np.arange(30)
    for u in (0, 17):
        expected = np.exp(-1j * np.pi * (u + 1) * (n + 1) * (n + 2) / 31)
        np.testing.assert_allclose(base_sequence(u, 0, 30), expected, atol=1e-9)


def test_table_rows_match_the_sources():
    # Rows as printed in srsRAN Project and the MATLAB getPhiType1 copy of tables 5.2.2.2-1 .. -4
    # (for 6 / u 15 and 24 / u 18 OpenAirInterface has one differing entry each).
    assert _phi(0, 6) == [-3, -1, 3, 3, -1, -3]
    assert _phi(15, 6) == [1, 1, 1, -1, 3, -3]
    assert _phi(29, 12) == [-3, 3, -3, 3, -3, -3, 3, -1, -1, 1, 3, -3]
    assert _phi(0, 18) == [-1, 3, -1, -3, 3, 1, -3, -1, 3, -3, -1, -1, 1, 1, 1, -1, -1, -1]
    assert _phi(18, 24)[:12] == [-3, 1, -3, 1, -3, -3, 1, -3, 1, -3, -3, -3]
    assert _phi(18, 24)[12:] == [-3, -3, 1, -3, -3, 1, 1, -3, 1, 1, -3, -3]


@pytest.mark.parametrize("length", TABLE_LENGTHS)
def test_table_sequences_have_low_papr(length):
    # The tables were chosen for a low peak-to-average power ratio of the SC-FDMA symbol: below
    # 4 dB for every group (OpenAirInterface's 24 / u 18 row would be 4.1 dB).
    for u in range(30):
        waveform = np.abs(np.fft.ifft(base_sequence(u, 0, length), 16 * length)) ** 2
        assert 10 * np.log10(waveform.max() / waveform.mean()) < 4.0


@pytest.mark.parametrize("length", [*TABLE_LENGTHS, 30, 36, 48])
def test_groups_have_low_cross_correlation(length):
    # No two groups share a sequence up to a cyclic shift, and on average they correlate weakly.
    r = np.array([base_sequence(u, 0, length) for u in range(30)])
    lags = np.abs(np.fft.fft(r[:, None, :] * r[None, :, :].conj(), axis=2)) / length
    others = ~np.eye(30, dtype=bool)
    assert lags[others].max() < 0.95
    assert np.abs(r @ r.conj().T)[others].mean() / length < 2 / np.sqrt(length)


def test_cyclic_shifts_of_a_base_sequence_are_orthogonal():
    r = [low_papr_sequence(4, 0, 2 * np.pi * shift / 8, 96) for shift in range(8)]
    gram = np.abs(np.array(r) @ np.array(r).conj().T)
    np.testing.assert_allclose(gram, 96 * np.eye(8), atol=1e-9)
    np.testing.assert_allclose(low_papr_sequence(4, 0, 0.7, 96), np.exp(0.7j * np.arange(96)) * r[0])


@pytest.mark.parametrize(
    ("u", "v", "length", "name"),
    [
        (30, 0, 12, "u"),
        (-1, 0, 12, "u"),
        (1.0, 0, 12, "u"),
        (0, 2, 96, "v"),
        (0, 1, 60, "v"),
        (0, 0, 35, "length"),
        (0, 0, 40, "length"),
        (0, 0, 0, "length"),
        (0, 0, 7, "length"),
    ],
)
def test_bad_arguments_raise_naming_them(u, v, length, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        base_sequence(u, v, length)


def test_zadoff_chu_length_needs_36_or_more():
    with pytest.raises(ValueError, match=r"^length:"):
        zadoff_chu_length(30)
