"""Pseudo-random and low-PAPR sequences of 3GPP TS 38.211 (Rel-15/16) sections 5.2.1 and 5.2.2.

* :func:`pseudo_random` is the length-31 Gold sequence ``c(n)`` of 5.2.1 (``N_c = 1600``).
* :func:`base_sequence` is the type-1 low-PAPR base sequence ``r̄_{u,v}(n)`` of 5.2.2.1 (lengths 36
  and more: a cyclically extended Zadoff-Chu sequence) and 5.2.2.2 (lengths 6, 12, 18, 24 from tables
  5.2.2.2-1 .. 5.2.2.2-4, length 30 from its own formula).
* :func:`low_papr_sequence` is ``r^(alpha)_{u,v}(n) = exp(j alpha n) r̄_{u,v}(n)`` (eq. in 5.2.2). The
  ``delta`` of 5.2.2 only sets the length ``M_ZC = m N_sc^RB / 2^delta``, so it is given as ``length``.

Supported lengths: 6, 12, 18, 24, 30 and every multiple of 6 from 36 on (SRS uses
``m_SRS,b * 12 / K_TC`` with ``m_SRS,b`` a multiple of 4 and ``K_TC`` in 2, 4, 8).

The phi(n) tables were copied from srsRAN Project
(``lib/phy/upper/sequence_generators/low_papr_sequence_generator_impl.cpp``, ``phi_M_sc_6`` ..
``phi_M_sc_24``) and checked entry by entry against a MATLAB ``getPhiType1`` copy of the 5G Toolbox
tables: all 1800 entries agree. OpenAirInterface (``openair1/PHY/NR_REFSIG/ul_ref_seq_nr.h``) agrees
too but for two entries (table 5.2.2.2-1 row u = 15 starts with -1 and table 5.2.2.2-4 row u = 18
starts with 3 there), where the two other sources and further copies agree with the values below.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..validation import check_integer_in

NC = 1600
"""Offset ``N_c`` of the Gold sequence (38.211 5.2.1)."""

GROUPS = 30
"""Sequence groups ``u = 0 .. 29`` (38.211 5.2.2)."""

# Tables 5.2.2.2-1 .. 5.2.2.2-4: phi(n) for M_ZC = 6, 12, 18, 24, one row per group u = 0 .. 29
# (srsRAN Project phi_M_sc_6 .. phi_M_sc_24, see the module docstring).
_PHI_TEXT = {
    6: """
        -3 -1  3  3 -1 -3
        -3  3 -1 -1  3 -3
        -3 -3 -3  3  1 -3
         1  1  1  3 -1 -3
         1  1  1 -3 -1  3
        -3  1 -1 -3 -3 -3
        -3  1  3 -3 -3 -3
        -3 -1  1 -3  1 -1
        -3 -1 -3  1 -3 -3
        -3 -3  1 -3  3 -3
        -3  1  3  1 -3 -3
        -3 -1 -3  1  1 -3
         1  1  3 -1 -3  3
         1  1  3  3 -1  3
         1  1  1 -3  3 -1
         1  1  1 -1  3 -3
        -3 -1 -1 -1  3 -1
        -3 -3 -1  1 -1 -3
        -3 -3 -3  1 -3 -1
        -3  1  1 -3 -1 -3
        -3  3 -3  1  1 -3
        -3  1 -3 -3 -3 -1
         1  1 -3  3  1  3
         1  1 -3 -3  1 -3
         1  1  3 -1  3  3
         1  1 -3  1  3  3
         1  1 -1 -1  3 -1
         1  1 -1  3 -1 -1
         1  1 -1  3 -3 -1
         1  1 -3  1 -1 -1
        """,
    12: """
        -3  1 -3 -3 -3  3 -3 -1  1  1  1 -3
        -3  3  1 -3  1  3 -1 -1  1  3  3  3
        -3  3  3  1 -3  3 -1  1  3 -3  3 -3
        -3 -3 -1  3  3  3 -3  3 -3  1 -1 -3
        -3 -1 -1  1  3  1  1 -1  1 -1 -3  1
        -3 -3  3  1 -3 -3 -3 -1  3 -1  1  3
         1 -1  3 -1 -1 -1 -3 -1  1  1  1 -3
        -1 -3  3 -1 -3 -3 -3 -1  1 -1  1 -3
        -3 -1  3  1 -3 -1 -3  3  1  3  3  1
        -3 -1 -1 -3 -3 -1 -3  3  1  3 -1 -3
        -3  3 -3  3  3 -3 -1 -1  3  3  1 -3
        -3 -1 -3 -1 -1 -3  3  3 -1 -1  1 -3
        -3 -1  3 -3 -3 -1 -3  1 -1 -3  3  3
        -3  1 -1 -1  3  3 -3 -1 -1 -3 -1 -3
         1  3 -3  1  3  3  3  1 -1  1 -1  3
        -3  1  3 -1 -1 -3 -3 -1 -1  3  1 -3
        -1 -1 -1 -1  1 -3 -1  3  3 -1 -3  1
        -1  1  1 -1  1  3  3 -1 -1 -3  1 -3
        -3  1  3  3 -1 -1 -3  3  3 -3  3 -3
        -3 -3  3 -3 -1  3  3  3 -1 -3  1 -3
         3  1  3  1  3 -3 -1  1  3  1 -1 -3
        -3  3  1  3 -3  1  1  1  1  3 -3  3
        -3  3  3  3 -1 -3 -3 -1 -3  1  3 -3
         3 -1 -3  3 -3 -1  3  3  3 -3 -1 -3
        -3 -1  1 -3  1  3  3  3 -1 -3  3  3
        -3  3  1 -1  3  3 -3  1 -1  1 -1  1
        -1  1  3 -3  1 -1  1 -1 -1 -3  1 -1
        -3 -3  3  3  3 -3 -1  1 -3  3  1 -3
         1 -1  3  1  1 -1 -1 -1  1  3 -3  1
        -3  3 -3  3 -3 -3  3 -1 -1  1  3 -3
        """,
    18: """
        -1  3 -1 -3  3  1 -3 -1  3 -3 -1 -1  1  1  1 -1 -1 -1
         3 -3  3 -1  1  3 -3 -1 -3 -3 -1 -3  3  1 -1  3 -3  3
        -3  3  1 -1 -1  3 -3 -1  1  1  1  1  1 -1  3 -1 -3 -1
        -3 -3  3  3  3  1 -3  1  3  3  1 -3 -3  3 -1 -3 -1  1
         1  1 -1 -1 -3 -1  1 -3 -3 -3  1 -3 -1 -1  1 -1  3  1
         3 -3  1  1  3 -1  1 -1 -1 -3  1  1 -1  3  3 -3  3 -1
        -3  3 -1  1  3  1 -3 -1  1  1 -3  1  3  3 -1 -3 -3 -3
         1  1 -3  3  3  1  3 -3  3 -1  1  1 -1  1 -3 -3 -1  3
        -3  1 -3 -3  1 -3 -3  3  1 -3 -1 -3 -3 -3 -1  1  1  3
         3 -1  3  1 -3 -3 -1  1 -3 -3  3  3  3  1  3 -3  3 -3
        -3 -3 -3  1 -3  3  1  1  3 -3 -3  1  3 -1  3 -3 -3  3
        -3 -3  3  3  3 -1 -1 -3 -1 -1 -1  3  1 -3 -3 -1  3 -1
        -3 -1 -3 -3  1  1 -1 -3 -1 -3 -1 -1  3  3 -1  3  1  3
         1  1 -3 -3 -3 -3  1  3 -3  3  3  1 -3 -1  3 -1 -3  1
        -3  3 -1 -3 -1 -3  1  1 -3 -3 -1 -1  3 -3  1  3  1  1
         3  1 -3  1 -3  3  3 -1 -3 -3 -1 -3 -3  3 -3 -1  1  3
        -3 -1 -3 -1 -3  1  3 -3 -1  3  3  3  1 -1 -3  3 -1 -3
        -3 -1  3  3 -1  3 -1 -3 -1  1 -1 -3 -1 -1 -1  3  3  1
        -3  1 -3 -1 -1  3  1 -3 -3 -3 -1 -3 -3  1  1  1 -1 -1
         3  3  3 -3 -1 -3 -1  3 -1  1 -1 -3  1 -3 -3 -1  3  3
        -3  1  1 -3  1  1  3 -3 -1 -3 -1  3 -3  3 -1 -1 -1 -3
         1 -3 -1 -3  3  3 -1 -3  1 -3 -3 -1 -3 -1  1  3  3  3
        -3 -3  1 -1 -1  1  1 -3 -1  3  3  3  3 -1  3  1  3  1
         3 -1 -3  1 -3 -3 -3  3  3 -1  1 -3 -1  3  1  1  3  3
         3 -1 -1  1 -3 -1 -3 -1 -3 -3 -1 -3  1  1  1 -3 -3  3
        -3 -3  1 -3  3  3  3 -1  3  1  1 -3 -3 -3  3 -3 -1 -1
        -3 -1 -1 -3  1 -3  3 -1 -1 -3  3  3 -3 -1  3 -1 -1 -1
        -3 -3  3  3 -3  1  3 -1 -3  1 -1 -3  3 -3 -1 -1 -1  3
        -1 -3  1 -3 -3 -3  1  1  3  3 -3  3  3 -3 -1  3 -3  1
        -3  3  1 -1 -1 -1 -1  1 -1  3  3 -3 -1  1  3 -1  3 -1
        """,
    24: """
        -1 -3  3 -1  3  1  3 -1  1 -3 -1 -3 -1  1  3 -3 -1 -3  3  3  3 -3 -3 -3
        -1 -3  3  1  1 -3  1 -3 -3  1 -3 -1 -1  3 -3  3  3  3 -3  1  3  3 -3 -3
        -1 -3 -3  1 -1 -1 -3  1  3 -1 -3 -1 -1 -3  1  1  3  1 -3 -1 -1  3 -3 -3
         1 -3  3 -1 -3 -1  3  3  1 -1  1  1  3 -3 -1 -3 -3 -3 -1  3 -3 -1 -3 -3
        -1  3 -3 -3 -1  3 -1 -1  1  3  1  3 -1 -1 -3  1  3  1 -1 -3  1 -1 -3 -3
        -3 -1  1 -3 -3  1  1 -3  3 -1 -1 -3  1  3  1 -1 -3 -1 -3  1 -3 -3 -3 -3
        -3  3  1  3 -1  1 -3  1 -3  1 -1 -3 -1 -3 -3 -3 -3 -1 -1 -1  1  1 -3 -3
        -3  1  3 -1  1 -1  3 -3  3 -1 -3 -1 -3  3 -1 -1 -1 -3 -1 -1 -3  3  3 -3
        -3  1 -3  3 -1 -1 -1 -3  3  1 -1 -3 -1  1  3 -1  1 -1  1 -3 -3 -3 -3 -3
         1  1 -1 -3 -1  1  1 -3  1 -1  1 -3  3 -3 -3  3 -1 -3  1  3 -3  1 -3 -3
        -3 -3 -3 -1  3 -3  3  1  3  1 -3 -1 -1 -3  1  1  3  1 -1 -3  3  1  3 -3
        -3  3 -1  3  1 -1 -1 -1  3  3  1  1  1  3  3  1 -3 -3 -1  1 -3  1  3 -3
         3 -3  3 -1 -3  1  3  1 -1 -1 -3 -1  3 -3  3 -1 -1  3  3 -3 -3  3 -3 -3
        -3  3 -1  3 -1  3  3  1  1 -3  1  3 -3  3 -3 -3 -1  1  3 -3 -1 -1 -3 -3
        -3  1 -3 -1 -1  3  1  3 -3  1 -1  3  3 -1 -3  3 -3 -1 -1 -3 -3 -3  3 -3
        -3 -1 -1 -3  1 -3 -3 -1 -1  3 -1  1 -1  3  1 -3 -1  3  1  1 -1 -1 -3 -3
        -3 -3  1 -1  3  3 -3 -1  1 -1 -1  1  1 -1 -1  3 -3  1 -3  1 -1 -1 -1 -3
         3 -1  3 -1  1 -3  1  1 -3 -3  3 -3 -1 -1 -1 -1 -1 -3 -3 -1  1  1 -3 -3
        -3  1 -3  1 -3 -3  1 -3  1 -3 -3 -3 -3 -3  1 -3 -3  1  1 -3  1  1 -3 -3
        -3 -3  3  3  1 -1 -1 -1  1 -3 -1  1 -1  3 -3 -1 -3 -1 -1  1 -3  3 -1 -3
        -3 -3 -1 -1 -1 -3  1 -1 -3 -1  3 -3  1 -3  3 -3  3  3  1 -1 -1  1 -3 -3
         3 -1  1 -1  3 -3  1  1  3 -1 -3  3  1 -3  3 -1 -1 -1 -1  1 -3 -3 -3 -3
        -3  1 -3  3 -3  1 -3  3  1 -1 -3 -1 -3 -3 -3 -3  1  3 -1  1  3  3  3 -3
        -3 -1  1 -3 -1 -1  1  1  1  3  3 -1  1 -1  1 -1 -1 -3 -3 -3  3  1 -1 -3
        -3  3 -1 -3 -1 -1 -1  3 -1 -1  3 -3 -1  3 -3  3 -3 -1  3  1  1 -1 -3 -3
        -3  1 -1 -3 -3 -1  1 -3 -1 -3  1  1 -1  1  1  3  3  3 -1  1 -1  1 -1 -3
        -1  3 -1 -1  3  3 -1 -1 -1  3 -1 -3  1  3  1  1 -3 -3 -3 -1 -3 -1 -3 -3
         3 -3 -3 -1  3  3 -3 -1  3  1  1  1  3 -1  3 -3 -1  3 -1  3  1 -1 -3 -3
        -3  1 -3  1 -3  1  1  3  1 -3 -3 -1  1  3 -1 -3  3  1 -1 -3 -3 -3 -3 -3
         3 -3 -1  1  3 -1 -1 -3 -1  3 -1 -3 -1 -3  3 -1  3  1  1 -3  3 -3 -3 -3
        """,
}
_PHI = {
    length: np.array([[int(value) for value in row.split()] for row in text.strip().splitlines()])
    for length, text in _PHI_TEXT.items()
}


def pseudo_random(c_init: int, length: int) -> NDArray[np.uint8]:
    """The Gold sequence ``c(n)``, ``n = 0 .. length - 1``, of 38.211 5.2.1.

    ``c(n) = (x1(n + N_c) + x2(n + N_c)) mod 2`` with ``x1(0) = 1``, ``x1(n) = 0`` for
    ``n = 1 .. 30``, ``x1(n + 31) = (x1(n + 3) + x1(n)) mod 2``,
    ``x2(n + 31) = (x2(n + 3) + x2(n + 2) + x2(n + 1) + x2(n)) mod 2`` and
    ``c_init = sum_i x2(i) 2^i``.

    Args:
        c_init: initialisation, ``0 .. 2^31 - 1``.
        length: number of bits, ``>= 0``.

    Returns:
        ``(length,)`` array of 0/1 values.

    Raises:
        ValueError: naming ``c_init`` or ``length`` when out of range.
    """
    c_init = check_integer_in("c_init", c_init, 0, 2**31 - 1)
    length = check_integer_in("length", length, 0, None)
    # Each block of 28 new bits depends only on the 31 bits before it, so it is one vector step.
    size = NC + length + 31 + 28
    x1 = np.zeros(size, dtype=np.uint8)
    x2 = np.zeros(size, dtype=np.uint8)
    x1[0] = 1
    x2[:31] = (c_init >> np.arange(31)) & 1
    for n in range(0, NC + length, 28):
        x1[n + 31 : n + 59] = x1[n + 3 : n + 31] ^ x1[n : n + 28]
        x2[n + 31 : n + 59] = x2[n + 3 : n + 31] ^ x2[n + 2 : n + 30] ^ x2[n + 1 : n + 29] ^ x2[n : n + 28]
    return x1[NC : NC + length] ^ x2[NC : NC + length]


def zadoff_chu_length(length: int) -> int:
    """``N_ZC``, the largest prime smaller than ``length`` (38.211 5.2.2.1), for ``length >= 36``."""
    _check_length(length)
    if length < 36:
        raise ValueError(f"length: N_ZC is defined for lengths of 36 or more (5.2.2.1), got {length}")
    candidate = length - 1
    while any(candidate % divisor == 0 for divisor in range(2, int(candidate**0.5) + 1)):
        candidate -= 1
    return candidate


def base_sequence(u: int, v: int, length: int) -> NDArray[np.complex128]:
    """The base sequence ``r̄_{u,v}(n)``, ``n = 0 .. length - 1`` (38.211 5.2.2.1, 5.2.2.2).

    * ``length >= 36``: ``x_q(n mod N_ZC)`` with ``x_q(m) = exp(-j pi q m (m + 1) / N_ZC)``,
      ``q = floor(q̄ + 1/2) + v (-1)^floor(2 q̄)`` and ``q̄ = N_ZC (u + 1) / 31`` (5.2.2.1).
    * ``length == 30``: ``exp(-j pi (u + 1) (n + 1) (n + 2) / 31)`` (5.2.2.2).
    * ``length`` 6, 12, 18, 24: ``exp(j phi(n) pi / 4)`` from tables 5.2.2.2-1 .. 5.2.2.2-4.

    Args:
        u: sequence group, ``0 .. 29``.
        v: base sequence number in the group: 0, or 1 only for lengths of 72 (6 RB) or more.
        length: ``M_ZC``, a supported length (see the module docstring).

    Returns:
        ``(length,)`` complex array of unit-modulus values.

    Raises:
        ValueError: naming ``u``, ``v`` or ``length`` when out of range.
    """
    u = check_integer_in("u", u, 0, GROUPS - 1)
    v = check_integer_in("v", v, 0, 1)
    _check_length(length)
    if v == 1 and length < 72:
        raise ValueError(
            f"v: must be 0 for lengths below 72 (one base sequence per group), got v = 1, length {length}"
        )
    n = np.arange(length)
    if length in _PHI:
        return np.exp(1j * np.pi / 4 * _PHI[length][u])
    if length == 30:
        return np.exp(-1j * np.pi * ((u + 1) * (n + 1) * (n + 2) % 62) / 31)
    n_zc = zadoff_chu_length(length)
    # q̄ = N_ZC (u + 1) / 31 in exact integer arithmetic: floor(q̄ + 1/2) and floor(2 q̄).
    twice_q_bar = 2 * n_zc * (u + 1)
    q = (twice_q_bar + 31) // 62 + v * (-1) ** (twice_q_bar // 31)
    m = n % n_zc
    # The phase pi q m (m + 1) / N_ZC modulo 2 pi, reduced in integers to keep it exact.
    return np.exp(-1j * np.pi * ((q * m * (m + 1)) % (2 * n_zc)) / n_zc)


def low_papr_sequence(u: int, v: int, alpha: float, length: int) -> NDArray[np.complex128]:
    """``r^(alpha)_{u,v}(n) = exp(j alpha n) r̄_{u,v}(n)``, ``n = 0 .. length - 1`` (38.211 5.2.2).

    Args:
        u, v, length: as for :func:`base_sequence`.
        alpha: cyclic shift, radians.

    Returns:
        ``(length,)`` complex array of unit-modulus values.
    """
    return np.exp(1j * alpha * np.arange(length)) * base_sequence(u, v, length)


def _check_length(length: int) -> None:
    length = check_integer_in("length", length, 1, None)
    if length not in _PHI and length != 30 and (length < 36 or length % 6):
        raise ValueError(
            f"length: low-PAPR sequences are defined for 6, 12, 18, 24, 30 and multiples of 6 from 36 on, "
            f"got {length}"
        )
