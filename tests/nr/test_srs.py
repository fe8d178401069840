"""SRS configuration, sequences and resource mapping of 38.211 6.4.1.4 (nr_srs)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.nr.carrier import Carrier
from gnuradio.bearing.nr.sequences import low_papr_sequence, pseudo_random, zadoff_chu_length
from gnuradio.bearing.nr.srs import (
    SrsConfig,
    alpha,
    bandwidth_config,
    check_fits,
    first_subcarrier,
    group_and_sequence,
    is_occasion,
    n_cs_max,
    port_comb_offset,
    port_cyclic_shift,
    sequence_length,
    srs_resource,
    symbols,
)

CARRIER = Carrier(mu=1, n_rb=273, n_fft=4096)


def _hop_rbs(config: SrsConfig, slots: range, symbol: int = 13) -> list[int]:
    """First RB of the SRS in ``symbol`` of successive slots of frame 0."""
    return [first_subcarrier(config, CARRIER, 0, slot, symbol) // 12 for slot in slots]


@pytest.mark.parametrize(
    ("c_srs", "rows"),
    [
        (0, [(4, 1), (4, 1), (4, 1), (4, 1)]),
        (9, [(32, 1), (16, 2), (8, 2), (4, 2)]),
        (10, [(36, 1), (12, 3), (4, 3), (4, 1)]),
        (36, [(144, 1), (48, 3), (24, 2), (12, 2)]),
        (61, [(272, 1), (136, 2), (68, 2), (4, 17)]),
        (62, [(272, 1), (68, 4), (4, 17), (4, 1)]),
        (63, [(272, 1), (16, 17), (8, 2), (4, 2)]),
    ],
)
def test_bandwidth_config_rows_of_table_6_4_1_4_3_1(c_srs, rows):
    assert [bandwidth_config(c_srs, b_srs) for b_srs in range(4)] == rows


def test_bandwidth_table_is_a_tree_of_4_rb_multiples():
    for c_srs in range(64):
        rows = [bandwidth_config(c_srs, b_srs) for b_srs in range(4)]
        assert rows[0][1] == 1 and rows[0][0] <= 272
        assert all(m_srs % 4 == 0 for m_srs, _ in rows)
        assert all(rows[b - 1][0] == branches * m_srs for b, (m_srs, branches) in enumerate(rows) if b)


def test_full_band_comb_2_is_the_mod_dnn_setup():
    # C_SRS = 63 sounds 272 RB; on comb 2 that is 1632 pilots of a Zadoff-Chu sequence of length 1627.
    config = SrsConfig(c_srs=63, k_tc=2)
    assert sequence_length(config) == 1632
    assert zadoff_chu_length(sequence_length(config)) == 1627
    subcarriers, values = srs_resource(config, CARRIER, 0, 0, 13)
    np.testing.assert_array_equal(subcarriers, 2 * np.arange(1632))
    assert np.allclose(np.abs(values), 1.0)


def test_sequence_length_per_comb():
    assert [sequence_length(SrsConfig(c_srs=63, k_tc=k_tc)) for k_tc in (2, 4, 8)] == [1632, 816, 408]
    assert sequence_length(SrsConfig(c_srs=9, b_srs=3, k_tc=4)) == 12


def test_n_cs_max_per_comb():
    assert [n_cs_max(k_tc) for k_tc in (2, 4, 8)] == [8, 12, 6]
    with pytest.raises(ValueError, match=r"^k_tc:"):
        n_cs_max(3)


def test_port_cyclic_shifts_and_alpha():
    config = SrsConfig(n_cs=1, n_ports=4)
    assert [port_cyclic_shift(config, port) for port in range(4)] == [1, 3, 5, 7]
    config = SrsConfig(k_tc=4, n_cs=11, n_ports=2, comb_offset=3)
    assert [port_cyclic_shift(config, port) for port in range(2)] == [11, 5]
    assert alpha(config, 1) == pytest.approx(2 * np.pi * 5 / 12)
    with pytest.raises(ValueError, match=r"^port:"):
        alpha(config, 2)


def test_four_port_comb_offsets():
    # Ports 1001 and 1003 move half a comb when n_cs is in the upper half of 0 .. n_cs_max - 1.
    assert [port_comb_offset(SrsConfig(n_ports=4, n_cs=4, comb_offset=1), p) for p in range(4)] == [
        1,
        0,
        1,
        0,
    ]
    assert [port_comb_offset(SrsConfig(n_ports=4, n_cs=3, comb_offset=1), p) for p in range(4)] == [
        1,
        1,
        1,
        1,
    ]
    config = SrsConfig(n_ports=4, k_tc=4, n_cs=6, comb_offset=3)
    assert [port_comb_offset(config, p) for p in range(4)] == [3, 1, 3, 1]
    assert [port_comb_offset(SrsConfig(n_ports=2, n_cs=7), p) for p in range(2)] == [0, 0]
    assert srs_resource(config, CARRIER, 0, 0, 13, port=1)[0][0] == 1


def test_cyclic_shifts_on_one_comb_are_orthogonal():
    # Eight UEs on the same comb and base sequence, one per n_cs: their sequences are orthogonal.
    rows = [srs_resource(SrsConfig(c_srs=17, n_cs=n_cs, n_id=5), CARRIER, 0, 0, 13) for n_cs in range(8)]
    assert all(np.array_equal(rows[0][0], subcarriers) for subcarriers, _ in rows)
    values = np.array([row[1] for row in rows])
    np.testing.assert_allclose(np.abs(values @ values.conj().T), len(values[0]) * np.eye(8), atol=1e-9)


def test_resource_values_are_the_low_papr_sequence():
    config = SrsConfig(c_srs=20, b_srs=1, k_tc=4, comb_offset=2, n_cs=5, n_id=77, n_shift=3)
    subcarriers, values = srs_resource(config, CARRIER, 0, 0, 13)
    assert subcarriers[0] == 12 * 3 + 2 and np.all(np.diff(subcarriers) == 4) and len(values) == 12
    np.testing.assert_allclose(values, low_papr_sequence(77 % 30, 0, 2 * np.pi * 5 / 12, 12))


@pytest.mark.parametrize(("mu", "t_srs", "t_offset"), [(1, 5, 2), (1, 40, 33), (0, 1, 0), (0, 20, 7)])
def test_occasions_repeat_every_t_srs_slots(mu, t_srs, t_offset):
    config = SrsConfig(t_srs=t_srs, t_offset=t_offset)
    slots_per_frame = 10 * 2**mu
    occasions = [
        frame * slots_per_frame + slot
        for frame in range(6)
        for slot in range(slots_per_frame)
        if is_occasion(config, mu, frame, slot)
    ]
    assert occasions == list(range(t_offset, 6 * slots_per_frame, t_srs))
    # The system frame number wraps at 1024 frames.
    wrapped = [
        is_occasion(config, mu, 1024 + frame, slot) for frame in range(2) for slot in range(slots_per_frame)
    ]
    assert wrapped == [
        is_occasion(config, mu, frame, slot) for frame in range(2) for slot in range(slots_per_frame)
    ]


def test_neither_hopping_uses_the_sequence_identity():
    config = SrsConfig(n_id=1000, n_symb=2, l0=12)
    assert {group_and_sequence(config, slot, symbol) for slot in range(20) for symbol in (12, 13)} == {
        (10, 0)
    }


def test_group_hopping_follows_the_gold_sequence():
    config = SrsConfig(hopping="groupHopping", n_id=301, n_symb=4, l0=8, c_srs=63)
    groups = [group_and_sequence(config, slot, symbol) for slot in range(20) for symbol in symbols(config)]
    assert {v for _, v in groups} == {0}
    assert all(0 <= u <= 29 for u, _ in groups) and len({u for u, _ in groups}) > 15
    c = pseudo_random(301, 8 * (14 * 7 + 10 + 1))
    f_gh = int(c[8 * (14 * 7 + 10) :] @ (1 << np.arange(8))) % 30
    assert group_and_sequence(config, 7, 10) == ((f_gh + 301) % 30, 0)


def test_sequence_hopping_only_from_six_resource_blocks():
    # M_sc,b = 72 (12 RB on comb 2) hops v; M_sc,b = 48 (8 RB on comb 2) keeps v = 0.
    hopping = SrsConfig(hopping="sequenceHopping", c_srs=7, b_srs=1, n_id=45)
    still = SrsConfig(hopping="sequenceHopping", c_srs=4, b_srs=1, n_id=45)
    assert sequence_length(hopping) == 72 and sequence_length(still) == 48
    pairs = [group_and_sequence(hopping, slot, 13) for slot in range(20)]
    assert {u for u, _ in pairs} == {15} and {v for _, v in pairs} == {0, 1}
    c = pseudo_random(45, 14 * 20)
    assert [v for _, v in pairs] == [int(c[14 * slot + 13]) for slot in range(20)]
    assert {group_and_sequence(still, slot, 13) for slot in range(20)} == {(15, 0)}


def test_hopping_over_even_branches_is_bit_reversed():
    # C_SRS 9 (32, 16, 8, 4 RB; N_b 1, 2, 2, 2), b_hop 0, B_SRS 3: F_b visits the eight 4-RB
    # sub-bands in bit-reversed order, one per periodic transmission.
    config = SrsConfig(c_srs=9, b_srs=3, b_hop=0)
    assert _hop_rbs(config, range(9)) == [0, 16, 8, 24, 4, 20, 12, 28, 0]


def test_hopping_over_odd_branches_steps_through_them():
    # C_SRS 10 (36, 12, 4 RB; N_b 1, 3, 3), b_hop 0, B_SRS 2: F_1 = n_SRS, F_2 = floor(n_SRS / 3).
    config = SrsConfig(c_srs=10, b_srs=2, b_hop=0)
    assert _hop_rbs(config, range(9)) == [0, 12, 24, 4, 16, 28, 8, 20, 32]


def test_hopping_below_b_hop_stays_put():
    # b_hop 1: n_1 = floor(4 n_RRC / 16) mod 2 = 1 stays, levels 2 and 3 hop inside RB 16 .. 31.
    config = SrsConfig(c_srs=9, b_srs=3, b_hop=1, n_rrc=4)
    assert _hop_rbs(config, range(5)) == [16, 24, 20, 28, 16]


def test_hopping_counts_transmissions_with_repetition():
    # Four symbols repeated twice: n_SRS grows by one every two symbols, then by two per occasion.
    config = SrsConfig(c_srs=9, b_srs=3, b_hop=0, n_symb=4, l0=10, repetition=2, t_srs=2, t_offset=1)
    rbs = [
        first_subcarrier(config, CARRIER, 0, slot, symbol) // 12
        for slot in (1, 3)
        for symbol in symbols(config)
    ]
    assert rbs == [0, 0, 16, 16, 8, 8, 24, 24]
    with pytest.raises(ValueError, match=r"^slot:"):
        first_subcarrier(config, CARRIER, 0, 2, 10)


def test_no_hopping_places_the_band_by_n_rrc_and_n_shift():
    # b_hop >= B_SRS: n_b = floor(4 n_RRC / m_SRS,b) mod N_b at every level.
    config = SrsConfig(c_srs=9, b_srs=2, b_hop=3, n_rrc=6, n_shift=10, comb_offset=1)
    # n_1 = floor(24 / 16) mod 2 = 1, n_2 = floor(24 / 8) mod 2 = 1: RB 10 + 16 + 8.
    assert {first_subcarrier(config, CARRIER, frame, 5, 13) for frame in range(3)} == {12 * 34 + 1}


def test_check_fits_the_carrier():
    check_fits(SrsConfig(c_srs=63, n_shift=1), CARRIER)
    with pytest.raises(ValueError, match=r"^c_srs/n_shift/n_rrc: .* 3276 subcarriers"):
        check_fits(SrsConfig(c_srs=63, n_shift=2), CARRIER)
    narrow = Carrier(mu=1, n_rb=51, n_fft=1024)
    check_fits(SrsConfig(c_srs=9, b_srs=3, b_hop=0, n_shift=19), narrow)
    with pytest.raises(ValueError, match=r"^c_srs/n_shift/n_rrc:"):
        check_fits(SrsConfig(c_srs=9, b_srs=3, b_hop=0, n_shift=20), narrow)
    with pytest.raises(ValueError, match=r"^c_srs/n_shift/n_rrc:"):
        srs_resource(SrsConfig(c_srs=63), narrow, 0, 0, 13)


def test_resource_needs_an_srs_symbol():
    assert symbols(SrsConfig(l0=8, n_symb=4)) == range(8, 12)
    with pytest.raises(ValueError, match=r"^symbol:"):
        srs_resource(SrsConfig(l0=8, n_symb=4), CARRIER, 0, 0, 12)


def test_dict_round_trip():
    config = SrsConfig(ue=3, c_srs=40, b_srs=1, k_tc=4, comb_offset=3, n_cs=11, hopping="groupHopping")
    assert SrsConfig.from_dict(config.to_dict()) == config
    assert SrsConfig.from_dict({"c_srs": 5}) == SrsConfig(c_srs=5)
    with pytest.raises(ValueError, match="unknown fields bogus, n_rb"):
        SrsConfig.from_dict({"c_srs": 5, "n_rb": 3, "bogus": 1})
    with pytest.raises(ValueError, match="nr:srs"):
        SrsConfig.from_dict([1])


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"ue": -1}, "ue"),
        ({"c_srs": 64}, "c_srs"),
        ({"c_srs": 1.5}, "c_srs"),
        ({"b_srs": 4}, "b_srs"),
        ({"k_tc": 3}, "k_tc"),
        ({"comb_offset": 2}, "comb_offset"),
        ({"k_tc": 8, "comb_offset": 8}, "comb_offset"),
        ({"n_cs": 8}, "n_cs"),
        ({"k_tc": 4, "n_cs": 12}, "n_cs"),
        ({"k_tc": 8, "n_cs": 6}, "n_cs"),
        ({"n_id": 1024}, "n_id"),
        ({"n_shift": 269}, "n_shift"),
        ({"n_rrc": 68}, "n_rrc"),
        ({"l0": 14}, "l0"),
        ({"l0": 12, "n_symb": 4}, "l0"),
        ({"n_symb": 3}, "n_symb"),
        ({"t_srs": 3}, "t_srs"),
        ({"t_srs": 10, "t_offset": 10}, "t_offset"),
        ({"hopping": "both"}, "hopping"),
        ({"n_ports": 3}, "n_ports"),
        ({"k_tc": 8, "n_ports": 4}, "n_ports"),
        ({"b_hop": 4}, "b_hop"),
        ({"repetition": 3}, "repetition"),
        ({"repetition": 2}, "repetition"),
        ({"n_id": True}, "n_id"),
    ],
)
def test_bad_parameters_raise_naming_them(fields, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        SrsConfig(**fields)


def test_n_cs_message_names_the_range_and_comb():
    with pytest.raises(ValueError, match=r"^n_cs: must be in 0 \.\. 7 for k_tc = 2, got 9$"):
        SrsConfig(n_cs=9)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: bandwidth_config(64, 0), "c_srs"),
        (lambda: bandwidth_config(0, 4), "b_srs"),
        (lambda: is_occasion(SrsConfig(), 1, 0, 20), "slot"),
        (lambda: is_occasion(SrsConfig(), 5, 0, 0), "mu"),
        (lambda: is_occasion(SrsConfig(), 1, -1, 0), "frame"),
        (lambda: group_and_sequence(SrsConfig(), -1, 13), "slot_number_in_frame"),
        (lambda: group_and_sequence(SrsConfig(), 0, 14), "symbol"),
        (lambda: port_comb_offset(SrsConfig(n_ports=2), 2), "port"),
    ],
)
def test_bad_arguments_raise_naming_them(call, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        call()
