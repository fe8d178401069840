"""Heterogeneous hybrid analog-digital (H2AD) receive array: analog subarrays feeding RF chains.

Model (Shu et al., "A new heterogeneous hybrid massive MIMO receiver with an intrinsic ability
of removing phase ambiguity of DOA estimation via machine learning", IEEE TMLCN 3, 17-29, 2025;
Deng, Bai, ..., Shu 2025, the H2AD source-number / OMC-DOA paper, Sec. II, eqs. (12)-(16)).
An N-antenna uniform linear array of spacing ``d`` (:func:`~gnuradio.bearing.array.geometry.ula`, element
order)
is split into ``G`` groups, in element order; group ``g`` holds ``K_g`` subarrays of ``M_g``
adjacent antennas, ``sum_g K_g M_g = N``. The analog phase shifters of a subarray combine its
antennas into one RF chain, so the ``R = sum_g K_g`` RF chains receive

    y(t) = W^H x(t)                                       (N x R combiner W, paper eq. (12))

``W`` is block-structured: column ``r`` is non-zero only on the antennas of subarray ``r``
(RF chains numbered group by group, subarray by subarray, in element order), where

    w_m = exp(+j 2 pi u(theta_s) . (r_m - c_r) / lambda) / sqrt(M_g)   (eqs. (15), (16))

unit-modulus phase-shifter weights steering the subarray beam to ``theta_s``
(``steer_azimuth_deg``), ``c_r`` the phase centre (mean element position) of the subarray.
Because each subarray is phased about its own centre, RF chain ``r`` of group ``g`` sees a
plane wave from ``theta`` as ``b_g(theta) exp(+j 2 pi u(theta) . c_r / lambda)``, with the same
real beam gain ``b_g`` for every subarray of the group: the RF chains of a group form a
*virtual ULA* of spacing ``M_g d`` with elements at the phase centres. Its ESPRIT gives
``M_g`` ambiguous candidates per source; with pairwise coprime ``M_g`` only the true
directions coincide across groups. ``W^H W = I``: white element noise stays white, of the
same power, at the RF chains. ``M_g = 1`` for every group is the fully digital array, ``W = I``.

Angles follow the SigMF spatial frame of :mod:`~gnuradio.bearing.array.geometry` (boresight +x, azimuth
clockwise seen from above, degrees); positions and spacings in metres, frequencies in hertz.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..validation import check_integer, check_number
from .geometry import ArrayGeometry, steering_matrix, ula, wavelength_m


@dataclass(frozen=True)
class HybridLayout:
    """How the antennas of a ULA are grouped into analog subarrays (the H2AD structure).

    Attributes:
        num_subarrays: ``K_g``, the subarrays (RF chains) of each group ``g``, each >= 1.
        subarray_sizes: ``M_g``, the adjacent antennas of each subarray of group ``g``, each
            >= 1 and pairwise coprime across groups (the H2AD removal of the phase ambiguity).
        steer_azimuth_deg: azimuth every subarray beam is steered to, degrees in [-90, 90]
            (the front half-plane of the ULA); 0 is boresight.
    """

    num_subarrays: tuple[int, ...]
    subarray_sizes: tuple[int, ...]
    steer_azimuth_deg: float = 0.0

    def __post_init__(self) -> None:
        for name in ("num_subarrays", "subarray_sizes"):
            object.__setattr__(self, name, _positive_integers(getattr(self, name), name))
        if len(self.num_subarrays) != len(self.subarray_sizes):
            raise ValueError(
                f"subarray_sizes: one size per group, got {len(self.subarray_sizes)} sizes for "
                f"{len(self.num_subarrays)} groups in num_subarrays"
            )
        _check_pairwise_coprime(self.subarray_sizes)
        steer = check_number(self.steer_azimuth_deg, "steer_azimuth_deg", -90.0, 90.0)
        object.__setattr__(self, "steer_azimuth_deg", steer)

    @property
    def num_groups(self) -> int:
        """``G``."""
        return len(self.num_subarrays)

    @property
    def num_elements(self) -> int:
        """``N = sum_g K_g M_g``, the antennas."""
        return sum(k * m for k, m in zip(self.num_subarrays, self.subarray_sizes, strict=True))

    @property
    def num_rf_chains(self) -> int:
        """``R = sum_g K_g``, the RF chains (the channels of a capture)."""
        return sum(self.num_subarrays)

    def rf_chain_groups(self) -> NDArray[np.int64]:
        """Group ``g`` of every RF chain, shape ``(R,)``, in RF-chain order."""
        return np.repeat(np.arange(self.num_groups), self.num_subarrays)

    def subarrays(self) -> Iterator[tuple[int, int, int]]:
        """``(group, first_element, size)`` of every subarray, in RF-chain order."""
        first = 0
        for group, (count, size) in enumerate(zip(self.num_subarrays, self.subarray_sizes, strict=True)):
            for _ in range(count):
                yield group, first, size
                first += size

    def to_dict(self) -> dict:
        """JSON-compatible dictionary, the input of :meth:`from_dict`."""
        return {
            "num_subarrays": list(self.num_subarrays),
            "subarray_sizes": list(self.subarray_sizes),
            "steer_azimuth_deg": self.steer_azimuth_deg,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> HybridLayout:
        """Build and validate; unknown or missing fields raise ValueError naming the field."""
        return cls(**_known_fields(data, ("num_subarrays", "subarray_sizes"), ("steer_azimuth_deg",)))


@dataclass(frozen=True, eq=False)
class VirtualUla:
    """The RF chains of one group seen as a uniform linear array (spacing ``M_g d``).

    Attributes:
        group: ``g``.
        rf_chains: indices of the group's RF chains, ``(K_g,)``, in element order.
        subarray_size: ``M_g``.
        spacing_m: ``M_g d``, metres.
        phase_centres_m: ``(K_g, 3)`` phase centres of the subarrays, metres, SigMF frame.
    """

    group: int
    rf_chains: NDArray[np.int64]
    subarray_size: int
    spacing_m: float
    phase_centres_m: NDArray[np.float64]

    def geometry(self) -> ArrayGeometry:
        """The phase centres as an array: its steering matrix, times the common beam gain
        ``b_g(theta)``, is the group's response (module docstring)."""
        return ArrayGeometry(self.phase_centres_m)


@dataclass(frozen=True)
class HybridArray:
    """An H2AD receiver: a :class:`HybridLayout` on an N-antenna ULA at a carrier.

    Attributes:
        layout: groups, subarrays and steering.
        frequency_hz: carrier, hertz (the combiner's phases depend on ``d / lambda``).
        spacing_m: antenna spacing ``d``, metres; unset, half a wavelength.
    """

    layout: HybridLayout
    frequency_hz: float
    spacing_m: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.layout, HybridLayout):
            raise ValueError(f"layout: must be a HybridLayout, got {self.layout!r}")
        frequency_hz = check_number(self.frequency_hz, "frequency_hz", 0.0)
        if frequency_hz <= 0:
            raise ValueError(f"frequency_hz: must be positive, got {self.frequency_hz!r}")
        object.__setattr__(self, "frequency_hz", frequency_hz)
        spacing_m = wavelength_m(frequency_hz) / 2.0 if self.spacing_m is None else self.spacing_m
        if check_number(spacing_m, "spacing_m", 0.0) <= 0:
            raise ValueError(f"spacing_m: must be positive, got {self.spacing_m!r}")
        object.__setattr__(self, "spacing_m", float(spacing_m))

    @property
    def wavelength_m(self) -> float:
        return wavelength_m(self.frequency_hz)

    @property
    def num_elements(self) -> int:
        return self.layout.num_elements

    @property
    def num_rf_chains(self) -> int:
        return self.layout.num_rf_chains

    def geometry(self) -> ArrayGeometry:
        """The N antennas: :func:`~gnuradio.bearing.array.geometry.ula` of ``spacing_m``, centred,
        element 0 at +y."""
        return ula(self.num_elements, self.spacing_m)

    def combiner(self) -> NDArray[np.complex128]:
        """``W``, shape ``(N, R)``: unit-modulus weights over ``sqrt(M_g)`` (module docstring)."""
        geometry = self.geometry()
        w = np.zeros((self.num_elements, self.num_rf_chains), dtype=np.complex128)
        for chain, (_, first, size) in enumerate(self.layout.subarrays()):
            local = geometry.subarray(first, size).positions_m
            local = local - local.mean(axis=0)
            steering = steering_matrix(local, self.layout.steer_azimuth_deg, self.wavelength_m)[:, 0]
            w[first : first + size, chain] = steering / np.sqrt(size)
        return w

    def rf_chain_groups(self) -> NDArray[np.int64]:
        """Group of every RF chain, ``(R,)``; see :meth:`HybridLayout.rf_chain_groups`."""
        return self.layout.rf_chain_groups()

    def virtual_ulas(self) -> list[VirtualUla]:
        """One :class:`VirtualUla` per group, in group order."""
        positions = self.geometry().positions_m
        centres = np.array([positions[f : f + m].mean(axis=0) for _, f, m in self.layout.subarrays()])
        groups = self.rf_chain_groups()
        return [
            VirtualUla(
                group=g,
                rf_chains=np.flatnonzero(groups == g),
                subarray_size=size,
                spacing_m=size * self.spacing_m,
                phase_centres_m=centres[groups == g],
            )
            for g, size in enumerate(self.layout.subarray_sizes)
        ]

    def rf_outputs(self, element_snapshots: ArrayLike) -> NDArray[np.complex128]:
        """``W^H x`` for every snapshot: ``(..., N)`` element samples to ``(..., R)`` RF-chain samples.

        The last axis holds the antennas, as in a capture's ``(num_samples, channels)`` layout;
        ``x W^*`` is ``(W^H x^T)^T`` row by row.
        """
        x = np.asarray(element_snapshots)
        if x.ndim < 1 or x.shape[-1] != self.num_elements:
            raise ValueError(
                f"element_snapshots: the last axis must hold the {self.num_elements} antennas, "
                f"got shape {x.shape}"
            )
        return x @ self.combiner().conj()

    def to_dict(self) -> dict:
        """JSON-compatible dictionary: the layout's fields, ``spacing_m`` and ``frequency_hz``."""
        return {**self.layout.to_dict(), "spacing_m": self.spacing_m, "frequency_hz": self.frequency_hz}

    @classmethod
    def from_dict(cls, data: Mapping) -> HybridArray:
        """Inverse of :meth:`to_dict`; bad fields raise ValueError naming the field."""
        values = _known_fields(
            data, ("num_subarrays", "subarray_sizes", "frequency_hz"), ("steer_azimuth_deg", "spacing_m")
        )
        frequency_hz, spacing_m = values.pop("frequency_hz"), values.pop("spacing_m", None)
        return cls(HybridLayout(**values), frequency_hz, spacing_m)


def _positive_integers(values: object, name: str) -> tuple[int, ...]:
    """A non-empty list of integers >= 1 as a tuple, else a ValueError naming ``name``."""
    if not isinstance(values, list | tuple | np.ndarray) or len(values) == 0:
        raise ValueError(f"{name}: must be a non-empty list of integers (one per group), got {values!r}")
    return tuple(check_integer(value, f"{name}[{index}]", 1) for index, value in enumerate(values))


def _check_pairwise_coprime(sizes: tuple[int, ...]) -> None:
    """ValueError naming ``subarray_sizes`` when two groups share a factor."""
    for first in range(len(sizes)):
        for second in range(first + 1, len(sizes)):
            factor = math.gcd(sizes[first], sizes[second])
            if factor > 1:
                raise ValueError(
                    f"subarray_sizes: the M_g must be pairwise coprime, or ambiguous directions of two "
                    f"groups coincide; groups {first} and {second} have M = {sizes[first]} and "
                    f"{sizes[second]}, which share the factor {factor}"
                )


def _known_fields(data: Mapping, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    """``data`` as keyword arguments: no unknown and no missing fields (ValueError naming the field)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"must be a JSON object, got {data!r}")
    known = required + optional
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field; the fields are {', '.join(known)}")
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{missing[0]}: required field is missing")
    return dict(data)


def check_combiner(combiner: ArrayLike, num_elements: int) -> NDArray[np.complex128]:
    """``W`` as an ``(N, R)`` complex matrix of full column rank, else a ValueError naming it."""
    w = np.asarray(combiner, dtype=np.complex128)
    if w.ndim != 2 or w.shape[0] != num_elements or w.shape[1] < 1:
        raise ValueError(
            f"combiner must have shape ({num_elements}, R) for {num_elements} antennas, got shape {w.shape}"
        )
    if not np.all(np.isfinite(w)):
        raise ValueError("combiner contains NaN or infinite values")
    if np.linalg.matrix_rank(w) < w.shape[1]:
        raise ValueError(f"combiner must have full column rank {w.shape[1]}: W^H W is singular")
    return w
