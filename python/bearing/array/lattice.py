"""Uniform rectangular arrays found in any element order and any orientation.

A uniform rectangular array (URA) has its elements on a full rectangular lattice

    r_m = origin + i_m d_1 e_1 + j_m d_2 e_2,    i_m = 0 .. n_1 - 1,  j_m = 0 .. n_2 - 1,

with ``e_1``, ``e_2`` orthogonal unit vectors and every one of the ``n_1 n_2`` lattice points
occupied by exactly one element. The steering vector then factors into one phase ramp per
lattice direction, ``a_m = c exp(j i_m mu_1) exp(j j_m mu_2)`` with ``mu_k = 2 pi d_k (u . e_k) /
lambda``: the shift invariance 2-D unitary ESPRIT needs (:mod:`~gnuradio.bearing.doa.planar`).
:func:`ura_lattice` recovers ``origin``, ``e_k``, ``d_k`` and each element's ``(i_m, j_m)`` from
the positions alone, whatever order the elements come in and however the lattice is turned.

Positions in metres, SigMF spatial frame (:mod:`.geometry`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .geometry import ArrayGeometry, front

_MIN_ELEMENTS = 4
"""The smallest URA, 2 x 2."""


@dataclass(frozen=True)
class UraLattice:
    """A full rectangular lattice of array elements (module docstring).

    Attributes:
        origin_m: position of lattice point ``(0, 0)``, shape ``(3,)``, metres.
        axes: the two lattice directions ``e_1``, ``e_2`` as rows, shape ``(2, 3)``, orthonormal;
            each points to the front (:func:`~.geometry.front`), so the lattice coordinates grow
            towards boresight, else upwards, else towards -y.
        spacings_m: ``(d_1, d_2)``, shape ``(2,)``, metres; ``d_1 <= d_2`` (up to the tolerance).
        shape: ``(n_1, n_2)``, the number of lattice points along each axis, both ``>= 2``.
        index: shape ``(M, 2)``, int: element ``m`` sits at lattice point ``(i_m, j_m)``, in the
            element order of the geometry.
        normal: the unit normal ``front(e_1 x e_2)`` of the lattice plane, shape ``(3,)``: the side
            the array faces (directions behind the plane are seen as their mirror image).
    """

    origin_m: NDArray[np.float64]
    axes: NDArray[np.float64]
    spacings_m: NDArray[np.float64]
    shape: tuple[int, int]
    index: NDArray[np.intp]
    normal: NDArray[np.float64]

    @property
    def num_elements(self) -> int:
        """``M = n_1 n_2``."""
        return int(self.index.shape[0])

    def lattice_order(self) -> NDArray[np.intp]:
        """Element numbers in lattice order, shape ``(M,)``: entry ``i n_2 + j`` is the element at
        lattice point ``(i, j)`` (row-major, ``i`` slowest), so that ``x[lattice_order()]`` turns
        element-ordered data into the order of ``kron(a_1(mu_1), a_2(mu_2))``."""
        order = np.empty(self.num_elements, dtype=np.intp)
        order[self.index[:, 0] * self.shape[1] + self.index[:, 1]] = np.arange(self.num_elements)
        return order


def ura_lattice(geometry: ArrayGeometry, tolerance_m: float = 1e-9) -> UraLattice | None:
    """The rectangular lattice the elements of ``geometry`` fill, or None if they fill none.

    Steps: the shortest step between two elements is the first lattice direction, the shortest
    step not parallel to it (off its line by more than ``tolerance_m``) the second, so a line of
    elements has none; the two must be orthogonal; every element must lie within
    ``tolerance_m`` of an integer combination of them from a common origin (least-squares fit
    of origin and steps), so the aperture is a plane (rank 2), not a volume; and the
    ``n_1 x n_2`` points of the bounding rectangle must each hold exactly one element. The
    element order and the lattice's rotation (in its plane and in space) do not matter.

    Args:
        geometry: the array, positions ``(M, 3)`` in metres.
        tolerance_m: largest deviation of an element from its lattice point, metres, ``>= 0``.

    Returns:
        the :class:`UraLattice`, or None for a linear, volume, non-rectangular, sheared,
        incomplete or duplicated layout (a UCA, a ULA, a random planar array, ...).
    """
    if not (np.isfinite(tolerance_m) and tolerance_m >= 0):
        raise ValueError(f"tolerance_m must be a finite number >= 0, got {tolerance_m!r}")
    positions = geometry.positions_m
    if positions.shape[0] < _MIN_ELEMENTS:
        return None
    steps = _lattice_steps(positions, tolerance_m)
    if steps is None:
        return None
    coordinates = np.rint((positions - positions[0]) @ np.linalg.pinv(steps)).astype(np.intp)
    coordinates -= coordinates.min(axis=0)
    return _fitted_lattice(positions, coordinates, tolerance_m)


def _lattice_steps(positions: NDArray[np.float64], tolerance_m: float) -> NDArray[np.float64] | None:
    """The two shortest non-parallel, orthogonal steps between elements, as rows ``(2, 3)``, or None."""
    first_of_pair, second_of_pair = np.triu_indices(positions.shape[0], 1)
    differences = positions[second_of_pair] - positions[first_of_pair]
    lengths = np.linalg.norm(differences, axis=1)
    moving = lengths > tolerance_m
    differences, lengths = differences[moving], lengths[moving]
    if lengths.size == 0:
        return None
    first = _canonical_shortest(differences, lengths, tolerance_m)
    direction = first / np.linalg.norm(first)
    off_line = np.linalg.norm(differences - np.outer(differences @ direction, direction), axis=1)
    across = off_line > tolerance_m
    if not np.any(across):
        return None
    second = _canonical_shortest(differences[across], lengths[across], tolerance_m)
    if abs(float(second @ direction)) > tolerance_m:
        return None  # a sheared (oblique) lattice, or a layout that is no lattice at all
    return np.stack([first, second])


def _canonical_shortest(
    differences: NDArray[np.float64], lengths: NDArray[np.float64], tolerance_m: float
) -> NDArray[np.float64]:
    """The shortest of ``differences`` turned to the front; among equally short ones (within the
    tolerance) the most horizontal, then the one nearest boresight, so that the choice depends
    on the set of positions only, not on their order."""
    near = lengths <= lengths.min() + tolerance_m
    # A lattice repeats each step many times: turn each distinct direction to the front once.
    directions = np.unique(np.round(differences[near] / lengths[near, None], 9), axis=0)
    units = np.array([front(direction) for direction in directions])
    key = np.lexsort((units[:, 1], -units[:, 0], np.round(np.abs(units[:, 2]), 9)))
    chosen = units[key[0]]
    # The step's own length, from the differences along the chosen direction.
    along = np.abs(differences[near] @ chosen) >= lengths[near] - tolerance_m
    return chosen * float(np.mean(lengths[near][along]))


def _fitted_lattice(
    positions: NDArray[np.float64], coordinates: NDArray[np.intp], tolerance_m: float
) -> UraLattice | None:
    """Least-squares origin and steps for integer ``coordinates`` ``(M, 2)``; None unless every
    element lies within ``tolerance_m`` of its point and the rectangle is full and unique."""
    shape = (int(coordinates[:, 0].max()) + 1, int(coordinates[:, 1].max()) + 1)
    flat = coordinates[:, 0] * shape[1] + coordinates[:, 1]
    if shape[0] < 2 or shape[1] < 2 or shape[0] * shape[1] != positions.shape[0]:
        return None
    if np.unique(flat).size != positions.shape[0]:
        return None
    design = np.column_stack([np.ones(positions.shape[0]), coordinates.astype(np.float64)])
    solution = np.linalg.lstsq(design, positions, rcond=None)[0]
    if np.max(np.linalg.norm(design @ solution - positions, axis=1)) > tolerance_m:
        return None
    origin, steps = solution[0], solution[1:]
    spacings = np.linalg.norm(steps, axis=1)
    axes = steps / spacings[:, None]
    return UraLattice(
        origin_m=origin,
        axes=axes,
        spacings_m=spacings,
        shape=shape,
        index=coordinates,
        normal=front(np.cross(axes[0], axes[1])),
    )
