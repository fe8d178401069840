"""The search grid of an array: azimuths (and elevations) that its geometry resolves.

The geometry decides the search (:func:`~gnuradio.bearing.array.field_of_view.field_of_view`):
a linear array searches its front half-plane, a horizontal planar array the full circle of
azimuth, a vertical planar or 3-D array azimuth and elevation. A range left unset (None) is the
array's own; a range given that reaches beyond what the array resolves is kept (the spectrum
shows the mirror images there) and a warning says why no bearing is reported there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..array.field_of_view import (
    FieldOfView,
    GeometryError,
    default_azimuth_grid,
    field_of_view,
    resolvable_field,
)
from ..array.geometry import ArrayGeometry
from .grid import azimuth_grid

DEFAULT_AZIMUTH_STEP_DEG = 0.1
"""Azimuth step of a 1-D search, degrees (peaks are refined off the grid)."""

DEFAULT_PLANAR_STEP_DEG = 2.0
"""Azimuth and elevation step of a 2-D search, degrees: coarse, the peaks are refined off the
grid (a 16 x 16 URA's beam is about 7 degrees wide); 91 x 91 points on the front half-space."""

GridRange = tuple[float | None, float | None, float | None]
"""``(start, stop, step)`` in degrees; None takes the array's own."""


@dataclass(frozen=True)
class SearchGrid:
    """What a spectrum estimator searches.

    Attributes:
        azimuth_deg: ``(N_az,)`` azimuths, degrees, increasing (circular when spanning 360).
        elevation_deg: ``(N_el,)`` elevations, degrees, increasing; None for an azimuth-only
            search (emitters on the horizon).
        field: what the geometry resolves (at the carrier, when the wavelength is given).
        warnings: why a given range reaches beyond what the array resolves, or why grating
            lobes narrow what it resolves (empty otherwise).
        azimuth_range: ``(start, stop, step)`` the azimuths were made from, degrees.
        elevation_range: the same for the elevations; None for an azimuth-only search.
    """

    azimuth_deg: NDArray[np.float64]
    elevation_deg: NDArray[np.float64] | None
    field: FieldOfView
    warnings: tuple[str, ...]
    azimuth_range: tuple[float, float, float]
    elevation_range: tuple[float, float, float] | None

    def azimuth_range_in_field(self) -> tuple[float, float, float]:
        """:attr:`azimuth_range` cut to the azimuths the array resolves, degrees: the grid of a
        method whose peak search knows no geometry (the coarray methods), so that it reports no
        bearing outside the field of view."""
        start, stop, step = self.azimuth_range
        if not self.field.full_circle:
            low, high = self.field.azimuth_deg
            start, stop = max(start, low), min(stop, high)
        return start, stop, step

    @property
    def size(self) -> int:
        """Points of the spectrum: ``N_az``, or ``N_el * N_az`` (rows of equal elevation)."""
        rows = 1 if self.elevation_deg is None else self.elevation_deg.size
        return rows * self.azimuth_deg.size


def search_grid(
    geometry: ArrayGeometry,
    azimuth: GridRange = (None, None, None),
    elevation: GridRange = (None, None, None),
    wavelength_m: float | None = None,
) -> SearchGrid:
    """The search grid of ``geometry``: each of ``azimuth`` and ``elevation`` is ``(start, stop,
    step)`` in degrees with None for the array's own (its field of view; steps
    :data:`DEFAULT_AZIMUTH_STEP_DEG` for 1-D, :data:`DEFAULT_PLANAR_STEP_DEG` for 2-D).

    With ``wavelength_m`` extents below a fiftieth of a wavelength are no aperture, and an array
    with grating lobes resolves less (:func:`~gnuradio.bearing.array.field_of_view.resolvable_field`:
    a line narrower than its half-plane, a vertical planar array a cone about its normal; a
    horizontal planar or 3-D one is refused): its own grid is then the part it resolves, and a
    range reaching beyond gets the warning.

    Raises:
        GeometryError: the geometry resolves no azimuth, an azimuth range lies wholly outside
            what it resolves, or an elevation range is given for an array that estimates
            azimuth only.
        ValueError: a bad range (see :func:`~gnuradio.bearing.doa.grid.azimuth_grid`).
    """
    field = field_of_view(geometry, wavelength_m)
    planar = field.resolves_elevation
    if not planar and any(value is not None for value in elevation):
        raise GeometryError(
            f"an elevation range was given, but this {field.kind} array estimates azimuth only: "
            f"{field.reason}"
        )
    step = DEFAULT_PLANAR_STEP_DEG if planar else DEFAULT_AZIMUTH_STEP_DEG
    resolved = field if wavelength_m is None else resolvable_field(geometry, wavelength_m)
    own_start, own_stop, _ = default_azimuth_grid(resolved)
    start, stop, az_step = (
        own if value is None else float(value)
        for value, own in zip(azimuth, (own_start, own_stop, step), strict=True)
    )
    azimuths = azimuth_grid(start, stop, az_step)
    if not resolved.contains_azimuth(azimuths).any():
        raise GeometryError(
            f"the azimuth search {start:g} .. {stop:g} deg lies outside what the array resolves: "
            f"{resolved.reason}"
        )
    warning = resolved.azimuth_warning(start, stop)
    elevations, elevation_range = None, None
    if planar:
        assert resolved.elevation_deg is not None
        own = (*resolved.elevation_deg, step)
        el_start, el_stop, el_step = (
            o if v is None else float(v) for v, o in zip(elevation, own, strict=True)
        )
        if not -90.0 <= el_start < el_stop <= 90.0:
            raise ValueError(f"elevation range must lie in -90 .. 90 deg, got {el_start:g} .. {el_stop:g}")
        elevations = azimuth_grid(el_start, el_stop, el_step)
        elevation_range = (el_start, el_stop, el_step)
    if not warning and resolved != field:  # grating lobes narrow even the array's own grid
        warning = f"{resolved.reason}: an emitter beyond is reported at its alias inside"
    warnings = (warning,) if warning else ()
    return SearchGrid(azimuths, elevations, resolved, warnings, (start, stop, az_step), elevation_range)
