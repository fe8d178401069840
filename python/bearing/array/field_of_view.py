"""What an array's geometry can resolve, and which side of it is the front.

The SigMF spatial frame decides what is in front (boresight +x, azimuth clockwise seen from
above, elevation above the horizon; :mod:`.geometry`); the element positions decide what the
array can tell apart. A plane wave from unit direction ``u`` reaches element ``m`` with phase
``2 pi u . r_m / lambda``, so only the component of ``u`` in the span of the element positions
(relative to their centroid) is observed:

* **linear** aperture (axis ``e``): only ``u . e`` is observed. Directions on a cone about
  the axis look alike; in the horizontal plane a direction and its mirror image across the
  axis do. A horizontal linear array therefore reports azimuths in its *front half-plane*:
  the half-plane about the broadside normal nearest boresight +x
  (:func:`~.geometry.front`), ``+-90``
  degrees about it, whatever the element order or the array's rotation in the plane. For an
  array along x (an endfire boresight) both normals are 90 degrees from +x: the front is the
  one at azimuth +90 (towards -y, the clockwise side). A linear array that is not
  horizontal cannot tell azimuths apart on its own: refused.
* **planar** aperture (normal ``n``): the component of ``u`` along ``n`` is seen only through
  ``sqrt(1 - |u_in-plane|^2)``, so a direction and its mirror image through the plane look
  alike. Horizontal plane (a UCA, a horizontal planar array): the full circle of azimuth,
  elevation assumed 0 (its sign is the ambiguity). Vertical plane (a URA in the y-z plane):
  azimuth and elevation, in the front half-space about :func:`~.geometry.front` of ``n`` (for the y-z
  plane: azimuth -90 .. 90). A plane tilted out of both is refused.
* **volume** (3-D) aperture: every direction, azimuth and elevation.
* a single element, or elements all at one point: no direction at all (refused).

At a carrier (:func:`resolvable_field`) two more things count. An extent below
:data:`EXTENT_WAVELENGTHS` of a wavelength is no aperture (a line typed to the millimetre is
still a line; the phase between mirror directions across it is a few degrees). And **grating
lobes**: when the element positions lie on a lattice too coarse for the carrier, distinct
directions ``u1, u2`` give the same phases, ``(u1 - u2) . (r_m - r_0) / lambda`` an integer for
every element (:func:`aliasing_vector`). A linear array then resolves only
``broadside +- asin(|w| / 2)`` (``|w| = lambda / d`` for a ULA of spacing ``d``), a vertical
planar array the cone of that half-angle about its front normal; a horizontal planar or 3-D
array with grating lobes is refused.

Positions in metres, angles in degrees, SigMF spatial frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .geometry import FRAME_TOLERANCE, ArrayGeometry, azimuth_of, front

EXTENT_WAVELENGTHS = 0.02
"""At a carrier, an extent of the element positions below 1/50 of a wavelength is no aperture
(:func:`resolvable_field`): mirror directions across it differ in phase by at most about 14
degrees, too little to tell them apart; heights within it count as level."""

ALIASING_CYCLES = 0.02
"""Two directions look alike when every element's phase difference between them is within this
many cycles (7 degrees) of a whole number: exact grating lobes, and those of positions rounded
to a fraction of :data:`EXTENT_WAVELENGTHS` of a wavelength."""

MAX_ALIASING_CANDIDATES = 200_000
"""At most this many lattice vectors are tried for grating lobes (:func:`aliasing_vector`)."""

RANK_TOLERANCE = FRAME_TOLERANCE
"""Singular values of the centred positions below this fraction of the largest (or below a
nanometre) are taken as zero: the aperture does not extend in that direction (positions are
known to a thousandth of the array's size, :data:`~.geometry.FRAME_TOLERANCE`)."""


class GeometryError(ValueError):
    """The array's geometry cannot resolve what is asked of it; the message says why."""


@dataclass(frozen=True)
class FieldOfView:
    """The directions an array can resolve without ambiguity, and what it estimates.

    Attributes:
        kind: ``"linear"``, ``"planar"`` or ``"volume"``: the shape of the aperture.
        azimuth_deg: ``(start, stop)`` of the azimuths it can tell apart, degrees; a span of
            360 degrees is the full circle.
        elevation_deg: ``(start, stop)`` of the elevations it estimates, degrees; None when it
            estimates azimuth only (the emitters are taken to be on the horizon).
        front_deg: azimuth of the front direction (the broadside of a linear array, the
            front normal of a vertical planar one), degrees; None when every azimuth is
            resolved.
        reason: why the range is limited, for warnings (empty for the full sphere).
    """

    kind: str
    azimuth_deg: tuple[float, float]
    elevation_deg: tuple[float, float] | None
    front_deg: float | None
    reason: str
    max_off_axis_deg: float | None = None
    """For a vertical planar array with grating lobes: the half-angle of the cone about its
    front normal that it resolves (the azimuth and elevation ranges bound that cone), degrees;
    None otherwise."""

    @property
    def full_circle(self) -> bool:
        """Whether every azimuth is resolved."""
        return self.azimuth_deg[1] - self.azimuth_deg[0] >= 360.0

    @property
    def resolves_elevation(self) -> bool:
        """Whether elevation is estimated (2-D search)."""
        return self.elevation_deg is not None

    def azimuth_warning(self, start_deg: float, stop_deg: float) -> str | None:
        """Why an azimuth search ``start_deg .. stop_deg`` reaches beyond what the array
        resolves (bearings are then reported only inside :attr:`azimuth_deg`), or None."""
        if self.full_circle:
            return None
        inside = self.contains_azimuth(np.array([start_deg, stop_deg]))
        if stop_deg - start_deg <= self.azimuth_deg[1] - self.azimuth_deg[0] + 1e-9 and inside.all():
            return None
        return (
            f"the azimuth search {start_deg:g} .. {stop_deg:g} deg reaches beyond what the array resolves: "
            f"{self.reason}; bearings are reported there only"
        )

    def contains_azimuth(self, azimuth_deg: ArrayLike) -> NDArray[np.bool_]:
        """Whether each azimuth lies in :attr:`azimuth_deg` (within 1e-9 degrees), modulo 360."""
        if self.full_circle:
            return np.ones(np.shape(azimuth_deg), dtype=bool)
        start, stop = self.azimuth_deg
        offset = (np.asarray(azimuth_deg, dtype=np.float64) - start) % 360.0
        return offset <= stop - start + 1e-9


def aperture_axes(
    geometry: ArrayGeometry, wavelength_m: float | None = None
) -> tuple[int, NDArray[np.float64]]:
    """The rank of the aperture (0 .. 3: the directions along which the element positions
    extend about their centroid) and the orthonormal principal axes, ``(3, 3)``, one per row,
    by decreasing extent. An extent counts when it exceeds :data:`RANK_TOLERANCE` of the largest,
    a nanometre, and with ``wavelength_m`` :data:`EXTENT_WAVELENGTHS` of a wavelength."""
    rank, axes, _ = _principal_axes(geometry, wavelength_m)
    return rank, axes


def _principal_axes(
    geometry: ArrayGeometry, wavelength_m: float | None
) -> tuple[int, NDArray[np.float64], float]:
    """:func:`aperture_axes` and the extent below which nothing counts, metres."""
    centred = geometry.positions_m - geometry.positions_m.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=True)
    extents = np.ptp(centred @ vt.T, axis=0)
    order = np.argsort(extents, kind="stable")[::-1]
    vt, extents = vt[order], extents[order]
    threshold = max(RANK_TOLERANCE * float(extents[0]), 1e-9)
    if wavelength_m is not None:
        threshold = max(threshold, EXTENT_WAVELENGTHS * wavelength_m)
    return int(np.count_nonzero(extents > threshold)), vt, threshold


def field_of_view(geometry: ArrayGeometry, wavelength_m: float | None = None) -> FieldOfView:
    """What ``geometry`` resolves (module docstring); :class:`GeometryError` naming the reason
    for a geometry that resolves no azimuth without ambiguity. With ``wavelength_m``, extents
    below :data:`EXTENT_WAVELENGTHS` of it are no aperture (grating lobes are
    :func:`resolvable_field`'s)."""
    rank, axes, threshold = _principal_axes(geometry, wavelength_m)
    centred = geometry.positions_m - geometry.positions_m.mean(axis=0)
    if rank == 0:
        raise GeometryError(
            f"the {geometry.num_elements} element(s) all lie at one point: an array needs elements "
            "at different positions to resolve a direction"
        )
    if rank == 1:
        axis = axes[0]
        if np.ptp(centred[:, 2]) > threshold:
            raise GeometryError(
                "a linear array that is not horizontal (its axis rises "
                f"{np.rad2deg(np.arcsin(min(abs(axis[2]), 1.0))):.1f} deg) cannot tell azimuths apart: "
                "every direction on a cone about its axis looks alike"
            )
        broadside = front(np.array([-axis[1], axis[0], 0.0]))
        front_deg = azimuth_of(broadside)
        return FieldOfView(
            "linear",
            (front_deg - 90.0, front_deg + 90.0),
            None,
            front_deg,
            f"a linear array cannot tell a direction from its mirror image across the array axis: "
            f"it resolves its front half-plane {front_deg - 90.0:g} .. {front_deg + 90.0:g} deg "
            f"(about the broadside at {front_deg:g} deg)",
        )
    if rank == 2:
        normal = axes[2]
        if np.ptp(centred[:, 2]) <= threshold:
            return FieldOfView(
                "planar",
                (-180.0, 180.0),
                None,
                None,
                "a horizontal planar array cannot tell a direction above the horizon from its mirror "
                "below: it estimates azimuth only, on the full circle",
            )
        if abs(normal[2]) * np.max(np.linalg.norm(centred, axis=1)) > threshold:
            raise GeometryError(
                "a planar array tilted out of the horizontal and the vertical "
                f"(normal {np.round(normal, 3).tolist()}) is not supported: only horizontal planar "
                "arrays (azimuth) and vertical ones (azimuth and elevation) are"
            )
        facing = front(np.array([normal[0], normal[1], 0.0]))
        front_deg = azimuth_of(facing)
        return FieldOfView(
            "planar",
            (front_deg - 90.0, front_deg + 90.0),
            (-90.0, 90.0),
            front_deg,
            "a vertical planar array cannot tell a direction from its mirror image through the array "
            f"plane: it resolves the half-space in front of it, azimuth {front_deg - 90.0:g} .. "
            f"{front_deg + 90.0:g} deg",
        )
    return FieldOfView("volume", (-180.0, 180.0), (-90.0, 90.0), None, "")


def default_azimuth_grid(field: FieldOfView, step_deg: float = 0.1) -> tuple[float, float, float]:
    """``(start, stop, step)`` of the azimuth search over the field of view, degrees: the front
    half-plane (ends included) of a linear or vertical planar array, ``-180 .. 180`` (a circular
    grid) otherwise. The front lies within 90 degrees of boresight, so the range lies in
    ``-180 .. 180``."""
    start, stop = (-180.0, 180.0) if field.full_circle else field.azimuth_deg
    return float(start), float(stop), float(step_deg)


def resolvable_field(geometry: ArrayGeometry, wavelength_m: float) -> FieldOfView:
    """:func:`field_of_view` at a carrier: extents below :data:`EXTENT_WAVELENGTHS` of a
    wavelength are no aperture, and grating lobes (:func:`aliasing_vector`, module docstring)
    narrow a linear array to ``broadside +- asin(|w| / 2)`` and a vertical planar one to the cone
    of that half-angle about its front normal; :class:`GeometryError` for a horizontal planar or
    3-D array with grating lobes."""
    field = field_of_view(geometry, wavelength_m)
    aliasing = aliasing_vector(geometry, wavelength_m)
    if aliasing is None:
        return field
    length = float(np.linalg.norm(aliasing))
    half_deg = float(np.rad2deg(np.arcsin(min(length / 2.0, 1.0))))
    lattice = (
        f"its elements lie on a lattice too coarse for the wavelength ({wavelength_m * 1e3:.4g} mm): "
        f"directions whose unit vectors differ by {np.round(aliasing, 3).tolist()} look alike (grating "
        "lobes; a spacing of at most half a wavelength has none)"
    )
    if field.kind == "linear" or (field.kind == "planar" and field.resolves_elevation):
        front_deg = field.front_deg or 0.0
        start, stop = front_deg - half_deg, front_deg + half_deg
        reason = f"{lattice}; it resolves {start:.4g} .. {stop:.4g} deg about its broadside"
        if field.kind == "linear":
            return replace(field, azimuth_deg=(start, stop), reason=reason)
        reason = f"{lattice}; it resolves the directions within {half_deg:.4g} deg of its broadside"
        return replace(
            field,
            azimuth_deg=(start, stop),
            elevation_deg=(-half_deg, half_deg),
            reason=reason,
            max_off_axis_deg=half_deg,
        )
    raise GeometryError(f"this {field.kind} array cannot tell directions apart: {lattice}")


def aliasing_vector(geometry: ArrayGeometry, wavelength_m: float) -> NDArray[np.float64] | None:
    """The shortest difference ``w = u1 - u2`` of two distinct directions that the array cannot
    tell apart at ``wavelength_m`` (grating lobes), ``(3,)`` in the aperture's span; None when
    there is none.

    ``u1`` and ``u2`` look alike when ``w . (r_m - r_0) / lambda`` is a whole number for every
    element (to :data:`ALIASING_CYCLES`); as unit vectors they differ by less than 2 (in the
    aperture's span). ``w`` is searched on the lattice the shortest independent element
    differences ``B`` span: ``w = lambda B^-1 k`` for integer ``k`` with ``|k_i| <= 2 |b_i| /
    lambda``, then checked against every element (positions off any lattice, as a UCA's, have
    none). Arrays whose search would try more than :data:`MAX_ALIASING_CANDIDATES` vectors (an
    aperture of many tens of wavelengths) are taken as free of grating lobes.
    """
    rank, axes, _ = _principal_axes(geometry, wavelength_m)
    if rank == 0:
        return None
    span = axes[:rank]
    positions = (geometry.positions_m - geometry.positions_m[0]) @ span.T  # (M, rank)
    differences = (positions[:, None, :] - positions[None, :, :]).reshape(-1, rank)
    norms = np.linalg.norm(differences, axis=1)
    basis: list[NDArray[np.float64]] = []
    for index in np.argsort(norms, kind="stable"):
        if norms[index] <= 1e-9:
            continue
        candidate = np.array([*basis, differences[index]])
        if np.linalg.matrix_rank(candidate, tol=1e-6 * norms[index]) == len(candidate):
            basis.append(differences[index])
        if len(basis) == rank:
            break
    b = np.array(basis)
    bounds = np.floor(2.0 * np.linalg.norm(b, axis=1) / wavelength_m + ALIASING_CYCLES).astype(int)
    if np.prod(2 * bounds + 1) > MAX_ALIASING_CANDIDATES:
        return None
    grids = np.meshgrid(*(np.arange(-n, n + 1) for n in bounds), indexing="ij")
    k = np.stack([g.ravel() for g in grids], axis=1).astype(np.float64)
    k = k[np.any(k != 0, axis=1)]
    if k.size == 0:
        return None
    w = wavelength_m * np.linalg.solve(b, k.T).T  # (N, rank): b @ w = lambda k
    w = w[np.linalg.norm(w, axis=1) < 2.0 * (1.0 - 1e-6)]  # two unit vectors differ by less than 2
    if w.size == 0:
        return None
    cycles = positions @ w.T / wavelength_m  # (M, N)
    alike = np.all(np.abs(cycles - np.round(cycles)) <= ALIASING_CYCLES, axis=0)
    if not np.any(alike):
        return None
    shortest = w[alike][np.argmin(np.linalg.norm(w[alike], axis=1))]
    return shortest @ span
