"""Sounding reference signal (SRS) of 3GPP TS 38.211 (Rel-15/16) section 6.4.1.4 on an nr_carrier grid.

An :class:`SrsConfig` is the ``nr:srs`` object of a capture: the SRS-Resource parameters of 38.331
(names shortened: ``c_srs`` is c-SRS, ``n_rrc`` freqDomainPosition, ``n_shift`` freqDomainShift,
``n_id`` sequenceId, ``l0 = 13 - startPosition``, ...) plus ``ue``, our label of the transmitter.

Conventions and limits:

* Periodic (or semi-persistent) SRS only: occasions follow ``t_srs`` and ``t_offset`` (6.4.1.4.4)
  and the hopping counter ``n_SRS`` counts them (6.4.1.4.3).
* ``frame`` is the system frame number ``n_f``; it is taken modulo 1024 (10-bit SFN, 38.331 MIB).
  Every ``T_SRS`` divides the 1024 frames, so occasions do not jump at the wrap.
* Frequency: ``k_0`` is counted from subcarrier 0 of common resource block 0, which is taken to be
  subcarrier 0 of the :class:`~gnuradio.bearing.nr.carrier.Carrier` (the carrier and its bandwidth part
  start at CRB 0: ``N_BWP^start = 0 <= n_shift``).
* The comb offset ``k_offset^(l')`` of SRS for positioning (table 6.4.1.4.3-2, resources of an
  SRS-PosResourceSet) is not applied: it is 0 for an SRS-Resource.
* Amplitude: every SRS resource element carries the sequence value with unit modulus
  (``beta_SRS / sqrt(N_ap)`` of 6.4.1.4.3 taken as 1); callers scale as they need.

Table 6.4.1.4.3-1 was copied from srsRAN Project (``lib/ran/srs/srs_bandwidth_configuration.cpp``) and
checked entry by entry against OpenAirInterface (``openair1/PHY/NR_UE_TRANSPORT/srs_modulation_nr.h``,
``srs_bandwidth_config``): all 512 entries agree, and every row has ``m_SRS,b-1 = N_b m_SRS,b``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
from numpy.typing import NDArray

from ..validation import check_integer_in
from .carrier import SUBCARRIERS_PER_RB, SYMBOLS_PER_SLOT, Carrier
from .sequences import low_papr_sequence, pseudo_random

PERIODICITIES = (1, 2, 4, 5, 8, 10, 16, 20, 32, 40, 64, 80, 160, 320, 640, 1280, 2560)
"""SRS periodicities ``T_SRS`` in slots (38.331 SRS-PeriodicityAndOffset)."""

HOPPING = ("neither", "groupHopping", "sequenceHopping")
"""Values of groupOrSequenceHopping (38.331 SRS-Resource)."""

_N_CS_MAX = {2: 8, 4: 12, 8: 6}
"""``n_SRS^cs,max`` per transmission comb ``K_TC`` (38.211 6.4.1.4.2)."""

_SFN_PERIOD = 1024
"""System frame numbers run over 0 .. 1023."""

# Table 6.4.1.4.3-1 (srsRAN Project, see the module docstring), one row per C_SRS = 0 .. 63:
# C_SRS, then (m_SRS,b, N_b) for B_SRS = 0 .. 3.
_BANDWIDTH_TEXT = """
     0    4  1    4  1    4  1    4  1
     1    8  1    4  2    4  1    4  1
     2   12  1    4  3    4  1    4  1
     3   16  1    4  4    4  1    4  1
     4   16  1    8  2    4  2    4  1
     5   20  1    4  5    4  1    4  1
     6   24  1    4  6    4  1    4  1
     7   24  1   12  2    4  3    4  1
     8   28  1    4  7    4  1    4  1
     9   32  1   16  2    8  2    4  2
    10   36  1   12  3    4  3    4  1
    11   40  1   20  2    4  5    4  1
    12   48  1   16  3    8  2    4  2
    13   48  1   24  2   12  2    4  3
    14   52  1    4 13    4  1    4  1
    15   56  1   28  2    4  7    4  1
    16   60  1   20  3    4  5    4  1
    17   64  1   32  2   16  2    4  4
    18   72  1   24  3   12  2    4  3
    19   72  1   36  2   12  3    4  3
    20   76  1    4 19    4  1    4  1
    21   80  1   40  2   20  2    4  5
    22   88  1   44  2    4 11    4  1
    23   96  1   32  3   16  2    4  4
    24   96  1   48  2   24  2    4  6
    25  104  1   52  2    4 13    4  1
    26  112  1   56  2   28  2    4  7
    27  120  1   60  2   20  3    4  5
    28  120  1   40  3    8  5    4  2
    29  120  1   24  5   12  2    4  3
    30  128  1   64  2   32  2    4  8
    31  128  1   64  2   16  4    4  4
    32  128  1   16  8    8  2    4  2
    33  132  1   44  3    4 11    4  1
    34  136  1   68  2    4 17    4  1
    35  144  1   72  2   36  2    4  9
    36  144  1   48  3   24  2   12  2
    37  144  1   48  3   16  3    4  4
    38  144  1   16  9    8  2    4  2
    39  152  1   76  2    4 19    4  1
    40  160  1   80  2   40  2    4 10
    41  160  1   80  2   20  4    4  5
    42  160  1   32  5   16  2    4  4
    43  168  1   84  2   28  3    4  7
    44  176  1   88  2   44  2    4 11
    45  184  1   92  2    4 23    4  1
    46  192  1   96  2   48  2    4 12
    47  192  1   96  2   24  4    4  6
    48  192  1   64  3   16  4    4  4
    49  192  1   24  8    8  3    4  2
    50  208  1  104  2   52  2    4 13
    51  216  1  108  2   36  3    4  9
    52  224  1  112  2   56  2    4 14
    53  240  1  120  2   60  2    4 15
    54  240  1   80  3   20  4    4  5
    55  240  1   48  5   16  3    8  2
    56  240  1   24 10   12  2    4  3
    57  256  1  128  2   64  2    4 16
    58  256  1  128  2   32  4    4  8
    59  256  1   16 16    8  2    4  2
    60  264  1  132  2   44  3    4 11
    61  272  1  136  2   68  2    4 17
    62  272  1   68  4    4 17    4  1
    63  272  1   16 17    8  2    4  2
"""
_BANDWIDTH = np.array(_BANDWIDTH_TEXT.split(), dtype=int).reshape(64, 9)[:, 1:].reshape(64, 4, 2)

_RANGES = {
    "ue": (0, None),
    "c_srs": (0, 63),
    "b_srs": (0, 3),
    "b_hop": (0, 3),
    "n_id": (0, 1023),
    "n_shift": (0, 268),
    "n_rrc": (0, 67),
}
"""Independent integer ranges of SrsConfig fields (38.331 SRS-Resource; ``ue`` is ours)."""

_CHOICES = {
    "k_tc": (2, 4, 8),
    "n_symb": (1, 2, 4),
    "repetition": (1, 2, 4),
    "t_srs": PERIODICITIES,
    "n_ports": (1, 2, 4),
}
"""Enumerated SrsConfig fields (38.331 transmissionComb, nrofSymbols, repetitionFactor, ...)."""


@dataclass(frozen=True)
class SrsConfig:
    """One SRS resource of one UE: the ``nr:srs`` object of a capture.

    Attributes:
        ue: our label of the transmitting UE, ``>= 0``.
        c_srs: ``C_SRS``, row of table 6.4.1.4.3-1, ``0 .. 63``.
        b_srs: ``B_SRS``, column of table 6.4.1.4.3-1, ``0 .. 3``.
        k_tc: transmission comb ``K_TC``: 2, 4 or 8.
        comb_offset: ``k̄_TC``, ``0 .. k_tc - 1``.
        n_cs: cyclic shift ``n_SRS^cs``, ``0 .. n_cs_max - 1`` (8, 12, 6 for ``k_tc`` 2, 4, 8).
        n_id: sequence identity ``n_ID^SRS``, ``0 .. 1023``.
        n_shift: freqDomainShift ``n_shift``, RBs, ``0 .. 268``.
        n_rrc: freqDomainPosition ``n_RRC``, ``0 .. 67``.
        l0: first SRS symbol of the slot ``l_0 = 13 - l_offset``, with ``l0 + n_symb <= 14``.
        n_symb: consecutive SRS symbols ``N_symb^SRS``: 1, 2 or 4.
        t_srs: periodicity ``T_SRS`` in slots, one of :data:`PERIODICITIES`.
        t_offset: slot offset ``T_offset``, ``0 .. t_srs - 1``.
        hopping: groupOrSequenceHopping, one of :data:`HOPPING`.
        n_ports: SRS antenna ports ``N_ap^SRS``: 1, 2 or 4 (1 or 2 with ``k_tc = 8``).
        b_hop: ``b_hop``, ``0 .. 3``; frequency hopping is disabled when ``b_hop >= b_srs``.
        repetition: repetition factor ``R``: 1, 2 or 4, at most ``n_symb``.

    Raises:
        ValueError: whose message starts with the name of the parameter out of range.
    """

    ue: int = 0
    c_srs: int = 0
    b_srs: int = 0
    k_tc: int = 2
    comb_offset: int = 0
    n_cs: int = 0
    n_id: int = 0
    n_shift: int = 0
    n_rrc: int = 0
    l0: int = 13
    n_symb: int = 1
    t_srs: int = 1
    t_offset: int = 0
    hopping: str = "neither"
    n_ports: int = 1
    b_hop: int = 0
    repetition: int = 1

    def __post_init__(self) -> None:
        for name, (low, high) in _RANGES.items():
            check_integer_in(name, getattr(self, name), low, high)
        for name, choices in _CHOICES.items():
            _one_of(name, getattr(self, name), choices)
        k_tc = f" for k_tc = {self.k_tc}"
        check_integer_in("comb_offset", self.comb_offset, 0, self.k_tc - 1, k_tc)
        check_integer_in("n_cs", self.n_cs, 0, _N_CS_MAX[self.k_tc] - 1, k_tc)
        check_integer_in("l0", self.l0, 0, SYMBOLS_PER_SLOT - self.n_symb, f" for n_symb = {self.n_symb}")
        check_integer_in("t_offset", self.t_offset, 0, self.t_srs - 1, f" for t_srs = {self.t_srs}")
        if self.repetition > self.n_symb:
            raise ValueError(f"repetition: must be at most n_symb = {self.n_symb}, got {self.repetition}")
        if self.hopping not in HOPPING:
            raise ValueError(f"hopping: must be one of {', '.join(HOPPING)}, got {self.hopping!r}")
        if _N_CS_MAX[self.k_tc] % self.n_ports:
            # n_cs,i = n_cs + n_cs_max p_i / N_ap must be an integer (6.4.1.4.2).
            raise ValueError(f"n_ports: {self.n_ports} ports need n_cs_max divisible by them; k_tc = 8 has 6")

    @classmethod
    def from_dict(cls, data: dict) -> SrsConfig:
        """The configuration of an ``nr:srs`` object; missing keys take defaults, unknown keys raise."""
        if not isinstance(data, dict):
            raise ValueError(f"nr:srs must be an object, got {data!r}")
        unknown = sorted(set(data) - {field.name for field in fields(cls)})
        if unknown:
            raise ValueError(f"nr:srs: unknown fields {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict:
        """The ``nr:srs`` object."""
        return asdict(self)


def bandwidth_config(c_srs: int, b_srs: int) -> tuple[int, int]:
    """``(m_SRS,b, N_b)`` of table 6.4.1.4.3-1 for ``C_SRS = c_srs`` and ``b = b_srs``: RBs and branches."""
    c_srs = check_integer_in("c_srs", c_srs, 0, 63)
    b_srs = check_integer_in("b_srs", b_srs, 0, 3)
    m_srs, branches = _BANDWIDTH[c_srs, b_srs]
    return int(m_srs), int(branches)


def n_cs_max(k_tc: int) -> int:
    """``n_SRS^cs,max``: 8, 12, 6 cyclic shifts for ``K_TC`` 2, 4, 8 (38.211 6.4.1.4.2)."""
    return _N_CS_MAX[_one_of("k_tc", k_tc, tuple(_N_CS_MAX))]


def sequence_length(config: SrsConfig) -> int:
    """``M_sc,b^SRS = m_SRS,b N_sc^RB / K_TC`` with ``b = B_SRS`` (38.211 6.4.1.4.3): subcarriers."""
    return bandwidth_config(config.c_srs, config.b_srs)[0] * SUBCARRIERS_PER_RB // config.k_tc


def symbols(config: SrsConfig) -> range:
    """Slot symbols ``l_0 + l'``, ``l' = 0 .. N_symb^SRS - 1``, of the SRS (38.211 6.4.1.4.1)."""
    return range(config.l0, config.l0 + config.n_symb)


def port_cyclic_shift(config: SrsConfig, port: int) -> int:
    """``n_SRS^cs,i = (n_SRS^cs + n_cs_max p_i / N_ap) mod n_cs_max`` (38.211 6.4.1.4.2).

    ``port`` is ``p_i - 1000``, ``0 .. n_ports - 1``.
    """
    port = _port(config, port)
    shifts = _N_CS_MAX[config.k_tc]
    return (config.n_cs + shifts * port // config.n_ports) % shifts


def alpha(config: SrsConfig, port: int) -> float:
    """Cyclic shift ``alpha_i = 2 pi n_SRS^cs,i / n_cs_max`` of port ``p_i = 1000 + port``, radians.

    38.211 6.4.1.4.2.
    """
    return 2 * np.pi * port_cyclic_shift(config, port) / _N_CS_MAX[config.k_tc]


def port_comb_offset(config: SrsConfig, port: int) -> int:
    """``k_TC^(p_i)`` (38.211 6.4.1.4.3) of port ``p_i = 1000 + port``.

    ``(k̄_TC + K_TC / 2) mod K_TC`` for ports 1001 and 1003 of a 4-port resource whose ``n_SRS^cs``
    is in ``n_cs_max / 2 .. n_cs_max - 1``; ``k̄_TC`` (``comb_offset``) otherwise.
    """
    port = _port(config, port)
    if config.n_ports == 4 and config.n_cs >= _N_CS_MAX[config.k_tc] // 2 and port in (1, 3):
        return (config.comb_offset + config.k_tc // 2) % config.k_tc
    return config.comb_offset


def is_occasion(config: SrsConfig, mu: int, frame: int, slot: int) -> bool:
    """Whether slot ``slot`` of frame ``frame`` carries the SRS (38.211 6.4.1.4.4).

    ``(N_slot^frame,mu n_f + n_s,f - T_offset) mod T_SRS = 0`` with ``n_f = frame mod 1024``.
    """
    return _slots_since_offset(config, mu, frame, slot) % config.t_srs == 0


def group_and_sequence(config: SrsConfig, slot_number_in_frame: int, symbol: int) -> tuple[int, int]:
    """Sequence group ``u`` and number ``v`` of SRS symbol ``symbol`` (38.211 6.4.1.4.2).

    With ``l = l_0 + l'`` the slot symbol and ``c(n)`` initialised with ``c_init = n_ID^SRS``:

    * ``"neither"``: ``u = n_ID mod 30``, ``v = 0``;
    * ``"groupHopping"``: ``u = (f_gh + n_ID) mod 30`` with
      ``f_gh = sum_{m=0}^{7} c(8 (n_s,f N_symb^slot + l) + m) 2^m mod 30``, ``v = 0``;
    * ``"sequenceHopping"``: ``u = n_ID mod 30``, ``v = c(n_s,f N_symb^slot + l)`` when
      ``M_sc,b^SRS >= 6 N_sc^RB``, else 0.

    Args:
        slot_number_in_frame: ``n_s,f``, the slot in its frame.
        symbol: ``l``, an SRS symbol of the slot (see :func:`symbols`).
    """
    symbol = _srs_symbol(config, symbol)
    index = (
        check_integer_in("slot_number_in_frame", slot_number_in_frame, 0, None) * SYMBOLS_PER_SLOT + symbol
    )
    if config.hopping == "groupHopping":
        bits = pseudo_random(config.n_id, 8 * index + 8)[8 * index :]
        f_gh = int(bits @ (1 << np.arange(8))) % 30
        return (f_gh + config.n_id) % 30, 0
    if config.hopping == "sequenceHopping" and sequence_length(config) >= 6 * SUBCARRIERS_PER_RB:
        return config.n_id % 30, int(pseudo_random(config.n_id, index + 1)[index])
    return config.n_id % 30, 0


def first_subcarrier(
    config: SrsConfig, carrier: Carrier, frame: int, slot: int, symbol: int, port: int = 0
) -> int:
    """Carrier subcarrier ``k_0^(p_i)`` of the first SRS resource element (38.211 6.4.1.4.3).

    ``k_0 = n_shift N_sc^RB + k_TC^(p_i) + sum_{b=0}^{B_SRS} K_TC M_sc,b^SRS n_b``, where
    ``n_b = floor(4 n_RRC / m_SRS,b) mod N_b``, plus ``F_b(n_SRS)`` for ``b > b_hop`` when hopping
    (``b_hop < B_SRS``); ``n_SRS = (N_slot^frame n_f + n_s,f - T_offset) / T_SRS (N_symb^SRS / R)
    + floor(l' / R)`` counts the SRS transmissions of a periodic resource.

    Args:
        frame, slot: system frame ``n_f`` and slot ``n_s,f`` in it, an SRS occasion (:func:`is_occasion`).
        symbol: an SRS symbol of the slot.
        port: ``p_i - 1000``.

    Raises:
        ValueError: naming ``slot`` when it is not an occasion, or the parameter out of range.
    """
    l_prime = _srs_symbol(config, symbol) - config.l0
    elapsed = _slots_since_offset(config, carrier.mu, frame, slot)
    if elapsed % config.t_srs:
        raise ValueError(
            f"slot: slot {slot} of frame {frame} is not an SRS occasion (t_srs = {config.t_srs}, "
            f"t_offset = {config.t_offset})"
        )
    n_srs = elapsed // config.t_srs * (config.n_symb // config.repetition) + l_prime // config.repetition
    start_rb = config.n_shift
    for b in range(config.b_srs + 1):
        start_rb += int(_BANDWIDTH[config.c_srs, b, 0]) * _position_index(config, b, n_srs)
    return SUBCARRIERS_PER_RB * start_rb + port_comb_offset(config, port)


def check_fits(config: SrsConfig, carrier: Carrier) -> None:
    """Raises ValueError (naming ``c_srs/n_shift/n_rrc``) unless every hop of the SRS lies in the carrier.

    The band swept by hopping is the ``m_SRS,b`` RBs of level ``b = min(b_hop, B_SRS)``, placed by the
    ``n_b`` that do not hop (38.211 6.4.1.4.3).
    """
    level = min(config.b_hop, config.b_srs)
    # Levels 0 .. level do not hop, so n_b there does not depend on n_SRS (0 here).
    start_rb = config.n_shift + sum(
        int(_BANDWIDTH[config.c_srs, b, 0]) * _position_index(config, b, 0) for b in range(level + 1)
    )
    start = SUBCARRIERS_PER_RB * start_rb
    stop = start + SUBCARRIERS_PER_RB * int(_BANDWIDTH[config.c_srs, level, 0])
    if stop > carrier.num_subcarriers:
        raise ValueError(
            f"c_srs/n_shift/n_rrc: the SRS spans subcarriers {start} .. {stop - 1}, beyond the carrier's "
            f"12 n_rb = {carrier.num_subcarriers} subcarriers"
        )


def srs_resource(
    config: SrsConfig, carrier: Carrier, frame: int, slot: int, symbol: int, port: int = 0
) -> tuple[NDArray[np.int64], NDArray[np.complex128]]:
    """Subcarriers and values of the SRS of port ``p_i = 1000 + port`` in one symbol (38.211 6.4.1.4).

    Values are ``r^(p_i)(k', l') = r^(alpha_i, delta)_{u,v}(k')`` at subcarriers
    ``k_0^(p_i) + K_TC k'``, ``k' = 0 .. M_sc,b^SRS - 1``, with unit amplitude
    (``beta_SRS / sqrt(N_ap)`` taken as 1).

    Args:
        frame, slot: system frame and slot in it, an SRS occasion.
        symbol: an SRS symbol of the slot.
        port: ``p_i - 1000``, ``0 .. n_ports - 1``.

    Returns:
        ``(M_sc,b^SRS,)`` carrier subcarriers (int64) and ``(M_sc,b^SRS,)`` complex values.

    Raises:
        ValueError: when the symbol or slot carries no SRS, the SRS does not fit in the carrier
            (:func:`check_fits`), or a parameter is out of range.
    """
    check_fits(config, carrier)
    first = first_subcarrier(config, carrier, frame, slot, symbol, port)
    length = sequence_length(config)
    u, v = group_and_sequence(config, slot, symbol)
    subcarriers = first + config.k_tc * np.arange(length, dtype=np.int64)
    return subcarriers, low_papr_sequence(u, v, alpha(config, port), length)


def _position_index(config: SrsConfig, b: int, n_srs: int) -> int:
    """Frequency position index ``n_b`` after ``n_srs`` SRS transmissions (38.211 6.4.1.4.3)."""
    m_srs, branches = (int(value) for value in _BANDWIDTH[config.c_srs, b])
    fixed = 4 * config.n_rrc // m_srs
    if config.b_hop >= config.b_srs or b <= config.b_hop:
        return fixed % branches
    return (_hopping_offset(config, b, n_srs) + fixed) % branches


def _hopping_offset(config: SrsConfig, b: int, n_srs: int) -> int:
    """``F_b(n_SRS)`` (38.211 6.4.1.4.3), with ``N_{b_hop} = 1`` whatever table 6.4.1.4.3-1 says."""
    counts = [int(count) for count in _BANDWIDTH[config.c_srs, :, 1]]
    counts[config.b_hop] = 1
    below = int(np.prod(counts[config.b_hop : b]))  # prod_{b' = b_hop}^{b - 1} N_b'
    branches = counts[b]
    if branches % 2:
        return branches // 2 * (n_srs // below)
    within = n_srs % (below * branches)
    return branches // 2 * (within // below) + within // (2 * below)


def _slots_since_offset(config: SrsConfig, mu: int, frame: int, slot: int) -> int:
    """``N_slot^frame,mu n_f + n_s,f - T_offset`` with ``n_f = frame mod 1024``."""
    slots_per_frame = 10 * 2 ** check_integer_in("mu", mu, 0, 4)
    frame = check_integer_in("frame", frame, 0, None) % _SFN_PERIOD
    slot = check_integer_in("slot", slot, 0, slots_per_frame - 1, f" for mu = {mu}")
    return slots_per_frame * frame + slot - config.t_offset


def _srs_symbol(config: SrsConfig, symbol: int) -> int:
    symbol = check_integer_in("symbol", symbol, 0, SYMBOLS_PER_SLOT - 1)
    if symbol not in symbols(config):
        raise ValueError(
            f"symbol: {symbol} is not an SRS symbol of this config (symbols {config.l0} .. "
            f"{config.l0 + config.n_symb - 1})"
        )
    return symbol


def _port(config: SrsConfig, port: int) -> int:
    return check_integer_in("port", port, 0, config.n_ports - 1, f" for n_ports = {config.n_ports}")


def _one_of(name: str, value: int, choices: tuple[int, ...]) -> int:
    value = check_integer_in(name, value, 0, None)
    if value not in choices:
        raise ValueError(f"{name}: must be one of {', '.join(map(str, choices))}, got {value}")
    return value
