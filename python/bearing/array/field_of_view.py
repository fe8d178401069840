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

Positions in metres, angles in degrees, SigMF spatial frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .geometry import FRAME_TOLERANCE, ArrayGeometry, azimuth_of, front

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


def aperture_axes(geometry: ArrayGeometry) -> tuple[int, NDArray[np.float64]]:
    """The rank of the aperture (0 .. 3: the dimensions the element positions span about their
    centroid) and the orthonormal right singular vectors, ``(3, 3)``, one per row, the spanned
    directions first."""
    centred = geometry.positions_m - geometry.positions_m.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=True)
    threshold = max(RANK_TOLERANCE * (singular[0] if singular.size else 0.0), 1e-9)
    return int(np.count_nonzero(singular > threshold)), vt


def field_of_view(geometry: ArrayGeometry) -> FieldOfView:
    """What ``geometry`` resolves (module docstring); :class:`GeometryError` naming the reason
    for a geometry that resolves no azimuth without ambiguity."""
    rank, axes = aperture_axes(geometry)
    if rank == 0:
        raise GeometryError(
            f"the {geometry.num_elements} element(s) all lie at one point: an array needs elements "
            "at different positions to resolve a direction"
        )
    if rank == 1:
        axis = axes[0]
        if abs(axis[2]) > FRAME_TOLERANCE:
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
        if abs(normal[0]) <= FRAME_TOLERANCE and abs(normal[1]) <= FRAME_TOLERANCE:
            return FieldOfView(
                "planar",
                (-180.0, 180.0),
                None,
                None,
                "a horizontal planar array cannot tell a direction above the horizon from its mirror "
                "below: it estimates azimuth only, on the full circle",
            )
        if abs(normal[2]) > FRAME_TOLERANCE:
            raise GeometryError(
                "a planar array tilted out of the horizontal and the vertical "
                f"(normal {np.round(normal, 3).tolist()}) is not supported: only horizontal planar "
                "arrays (azimuth) and vertical ones (azimuth and elevation) are"
            )
        facing = front(normal)
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
    """:func:`field_of_view` at a carrier: a uniform linear array spaced more than half a
    wavelength apart has grating lobes (directions whose sines, about broadside, differ by a
    multiple of ``lambda / d`` look alike), so it resolves only ``broadside +- asin(lambda / 2d)``.
    (Other geometries have no exact grating lobes in azimuth and keep their field of view.)"""
    field = field_of_view(geometry)
    axis = geometry.ula_axis()
    if (
        field.kind != "linear"
        or axis is None
        or axis.spacing_m <= wavelength_m / 2.0 * (1.0 + FRAME_TOLERANCE)
    ):
        return field
    half_deg = float(np.rad2deg(np.arcsin(wavelength_m / (2.0 * axis.spacing_m))))
    front_deg = field.front_deg or 0.0
    start, stop = front_deg - half_deg, front_deg + half_deg
    reason = (
        f"a uniform linear array spaced {axis.spacing_m / wavelength_m:.3g} wavelengths apart (more than "
        "half a wavelength) has grating lobes: directions whose sines differ by a multiple of "
        f"wavelength / spacing look alike; it resolves {start:.4g} .. {stop:.4g} deg about its broadside"
    )
    return replace(field, azimuth_deg=(start, stop), reason=reason)
