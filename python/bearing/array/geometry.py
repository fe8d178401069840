"""Array geometry and the steering vector: the one array model every estimator uses.

Angle convention (SigMF ``spatial`` extension; see docs/conventions.md):

* Array frame: +x is boresight, +y is to the left, +z is up (right-handed).
* Azimuth is measured from +x, **clockwise seen from above** (towards -y),
  in degrees; elevation is measured up from the x-y plane, in degrees.
* The unit vector from the array towards the emitter is
  ``u = (cos az cos el, -sin az cos el, sin el)``.
* Physical sign: a plane wave from direction ``u`` reaches element ``m`` at
  position ``r_m`` earlier by ``u . r_m / c`` than the origin, so it *leads*
  in phase: ``a_m = exp(+j 2 pi u . r_m / lambda)``.

Positions are in metres, wavelengths in metres, frequencies in hertz.
Arithmetic is float64 / complex128: estimators build spectra and Cramer-Rao
bounds from these vectors and single precision costs accuracy there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..validation import check_count

SPEED_OF_LIGHT_M_S = 299_792_458.0


def wavelength_m(frequency_hz: float) -> float:
    """Free-space wavelength in metres of a carrier at ``frequency_hz``."""
    if not np.isfinite(frequency_hz) or frequency_hz <= 0:
        raise ValueError(f"frequency_hz must be a positive finite number, got {frequency_hz!r}")
    return SPEED_OF_LIGHT_M_S / float(frequency_hz)


def direction_vectors(azimuth_deg: ArrayLike, elevation_deg: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Unit vectors towards the emitters, shape ``(N, 3)``, in the SigMF spatial frame."""
    az, el = _angles_rad(azimuth_deg, elevation_deg)
    return np.stack([np.cos(az) * np.cos(el), -np.sin(az) * np.cos(el), np.sin(el)], axis=-1)


def direction_angles_deg(vectors: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The inverse of :func:`direction_vectors`: azimuths (clockwise from +x, in ``(-180, 180]``)
    and elevations, degrees, ``(N,)`` each, of unit vectors ``(N, 3)`` in the SigMF spatial frame
    (or any frame laid out as it is: x ahead, y left, z up, such as the local north, west, up)."""
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, 3)
    return np.rad2deg(np.arctan2(-v[:, 1], v[:, 0])), np.rad2deg(np.arcsin(np.clip(v[:, 2], -1.0, 1.0)))


def steering_matrix(
    positions_m: ArrayLike,
    azimuth_deg: ArrayLike,
    wavelength: float,
    elevation_deg: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """Steering vectors ``a(az, el)`` as the columns of an ``(M, N)`` matrix.

    ``a_m = exp(+j 2 pi u . r_m / lambda)`` with ``u`` from :func:`direction_vectors`.

    Args:
        positions_m: element positions, shape ``(M, 3)`` in metres.
        azimuth_deg: N azimuths in degrees (scalar or 1-D).
        wavelength: carrier wavelength in metres.
        elevation_deg: elevation(s) in degrees, broadcast against ``azimuth_deg``.
    """
    positions = as_positions(positions_m)
    phase = 2.0 * np.pi / wavelength * positions @ direction_vectors(azimuth_deg, elevation_deg).T
    return np.exp(1j * phase)


def steering_derivative(
    positions_m: ArrayLike,
    azimuth_deg: ArrayLike,
    wavelength: float,
    elevation_deg: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """Derivative of the steering vectors with respect to azimuth **in radians**, shape ``(M, N)``.

    ``d a_m / d az = j 2 pi (du/daz . r_m) / lambda * a_m`` with
    ``du/daz = (-sin az cos el, -cos az cos el, 0)``. Used by the Cramer-Rao bounds.
    """
    az, el = _angles_rad(azimuth_deg, elevation_deg)
    du = np.stack([-np.sin(az) * np.cos(el), -np.cos(az) * np.cos(el), np.zeros_like(az)], axis=-1)
    return _steering_times_phase_rate(positions_m, azimuth_deg, wavelength, elevation_deg, du)


def steering_derivative_elevation(
    positions_m: ArrayLike,
    azimuth_deg: ArrayLike,
    wavelength: float,
    elevation_deg: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """Derivative of the steering vectors with respect to elevation **in radians**, shape ``(M, N)``.

    ``d a_m / d el = j 2 pi (du/del . r_m) / lambda * a_m`` with
    ``du/del = (-cos az sin el, sin az sin el, cos el)``. Used by the Cramer-Rao bounds.
    """
    az, el = _angles_rad(azimuth_deg, elevation_deg)
    du = np.stack([-np.cos(az) * np.sin(el), np.sin(az) * np.sin(el), np.cos(el)], axis=-1)
    return _steering_times_phase_rate(positions_m, azimuth_deg, wavelength, elevation_deg, du)


def _steering_times_phase_rate(
    positions_m: ArrayLike,
    azimuth_deg: ArrayLike,
    wavelength: float,
    elevation_deg: ArrayLike,
    du: NDArray[np.float64],
) -> NDArray[np.complex128]:
    """``j 2 pi (du . r_m) / lambda * a_m``: the derivative of the steering vectors along the
    change ``du`` ``(N, 3)`` of their unit directions, shape ``(M, N)``."""
    positions = as_positions(positions_m)
    factor = 2j * np.pi / wavelength * positions @ du.T
    return factor * steering_matrix(positions, azimuth_deg, wavelength, elevation_deg)


FRAME_TOLERANCE = 1e-3
"""Element positions are taken as known to a thousandth of the array's size: a component of a unit
vector below this counts as zero (an axis or normal within 0.06 degree of the horizontal or the
vertical is taken as horizontal or vertical; :func:`front`), and an extent below this fraction
of the aperture counts as none (:mod:`.field_of_view`, which at a carrier also ignores extents
below a fiftieth of a wavelength, and :meth:`ArrayGeometry.centro_symmetric`)."""


ULA_TOLERANCE = 1e-2
"""An array is a ULA when its elements lie within 1 % of the spacing of equally spaced points
along a line in element order (:meth:`ArrayGeometry.ula_axis`): positions typed to the
millimetre at centimetre spacings qualify, and the phase error this allows is below 2 degrees
at half-wavelength spacing."""


def front(vector: ArrayLike) -> NDArray[np.float64]:
    """The unit vector along ``vector`` (a normal, SigMF frame) or its opposite: the one that
    points to the front. The front is the side of boresight +x; for a vector square to x, the
    side above the horizon (+z); for one along y, azimuth +90 (-y, the clockwise side).

    The frame, never the element order, decides what is in front: the broadside of a linear
    array and the facing side of a planar one come from here (docs/conventions.md).
    """
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    if v.shape != (3,) or not norm > 0 or not np.isfinite(norm):
        raise ValueError(f"vector must be a finite, non-zero 3-vector, got {vector!r}")
    v = v / norm
    for component, sign in ((0, 1.0), (2, 1.0), (1, -1.0)):
        if abs(v[component]) > FRAME_TOLERANCE:
            return v if v[component] * sign > 0 else -v
    raise AssertionError("unreachable: a unit vector has a component above the tolerance")


def azimuth_of(vector: ArrayLike) -> float:
    """The azimuth of a vector's horizontal part, degrees in ``[-180, 180)`` (clockwise from +x)."""
    return float(wrap_deg(direction_angles_deg(vector)[0][0]))


@dataclass(frozen=True)
class UlaAxis:
    """A horizontal uniform linear array: its spacing, its broadside and its element order.

    ``broadside_azimuth_deg`` is the broadside normal nearest boresight +x (the frame decides
    what is in front, :func:`front`), whatever the element order. ``sign`` is +1 when the
    element index grows towards azimuths clockwise of broadside, -1 when it grows the other way.
    For azimuths in the front half-plane ``broadside +- 90`` degrees,
    ``u . r_m = const + sign * m * spacing_m * sin(az - broadside)``: what root-MUSIC and ESPRIT
    estimate.
    """

    spacing_m: float
    broadside_azimuth_deg: float
    sign: int = 1


@dataclass(frozen=True)
class ArrayGeometry:
    """Element positions of an antenna array, shape ``(M, 3)`` in metres, SigMF spatial frame."""

    positions_m: NDArray[np.float64]

    def __post_init__(self) -> None:
        object.__setattr__(self, "positions_m", as_positions(self.positions_m))

    @property
    def num_elements(self) -> int:
        return int(self.positions_m.shape[0])

    def steering(
        self, azimuth_deg: ArrayLike, frequency_hz: float, elevation_deg: ArrayLike = 0.0
    ) -> NDArray[np.complex128]:
        """Steering matrix ``(M, N)`` at carrier ``frequency_hz``; see :func:`steering_matrix`."""
        return steering_matrix(self.positions_m, azimuth_deg, wavelength_m(frequency_hz), elevation_deg)

    def subarray(self, first: int, length: int) -> ArrayGeometry:
        """Elements ``first .. first + length - 1`` (the subarrays of spatial smoothing)."""
        if length < 1 or first < 0 or first + length > self.num_elements:
            raise ValueError(
                f"subarray [{first}, {first + length}) does not fit in an array of "
                f"{self.num_elements} elements"
            )
        return ArrayGeometry(self.positions_m[first : first + length])

    def smoothing_subarray(self, length: int) -> ArrayGeometry:
        """The first ``length`` elements: the array a covariance smoothed to ``length`` describes.

        Spatial smoothing relies on the shift invariance of a uniform linear array, so a
        ``length`` below M is refused (``ValueError``) for any other geometry.
        """
        if length < self.num_elements and self.ula_axis() is None:
            raise ValueError(
                f"a covariance of {length} < {self.num_elements} elements means spatial smoothing, "
                "which needs a uniform linear array; positions_m is not one"
            )
        return self.subarray(0, length)

    def centro_symmetric(self) -> bool:
        """True when element ``m`` mirrors element ``M - 1 - m`` about the centroid (to
        :data:`FRAME_TOLERANCE` of the aperture): forward-backward averaging
        (:func:`~gnuradio.bearing.array.covariance.forward_backward`) holds only for such arrays."""
        p = self.positions_m
        mirrored = p + p[::-1] - 2.0 * p.mean(axis=0)
        return bool(np.max(np.linalg.norm(mirrored, axis=1)) <= max(FRAME_TOLERANCE * self.aperture_m, 1e-9))

    @property
    def aperture_m(self) -> float:
        """The largest distance between two elements, metres (0 for one element)."""
        p = self.positions_m
        return float(np.max(np.linalg.norm(p[:, None, :] - p[None, :, :], axis=-1)))

    def ula_axis(self) -> UlaAxis | None:
        """Spacing, broadside and element order if the array is a horizontal ULA in element order
        (``r_m = r_0 + m d e`` to :data:`ULA_TOLERANCE` of the spacing), else None
        (:meth:`ula_mismatch` says why).

        The broadside is the normal of the axis nearest boresight +x, for either element
        order (:func:`front`: for an axis along x, the normal at azimuth +90); :attr:`UlaAxis.sign`
        says which way the index runs.
        """
        if self.ula_mismatch():
            return None
        step = _uniform_step(self.positions_m)
        spacing = float(np.linalg.norm(step))
        axis = step / spacing
        broadside_deg = azimuth_of(front(np.array([-axis[1], axis[0], 0.0])))
        # The index grows clockwise of broadside when the axis points to broadside + 90 deg.
        sign = 1 if float(axis @ direction_vectors(broadside_deg + 90.0)[0]) > 0 else -1
        return UlaAxis(spacing_m=spacing, broadside_azimuth_deg=broadside_deg, sign=sign)

    def ula_mismatch(self) -> str:
        """Why the array is not a horizontal ULA in element order (empty when it is one): for the
        messages of the methods that need one."""
        if self.num_elements < 2:
            return "it has a single element"
        singular = np.linalg.svd(self.positions_m - self.positions_m.mean(axis=0), compute_uv=False)
        if singular[1] > ULA_TOLERANCE * singular[0]:
            return "its elements do not lie on one line"
        step = _uniform_step(self.positions_m)
        spacing = float(np.linalg.norm(step))
        if spacing <= 1e-9:
            return "its elements do not advance along a line in element order"
        rise_m = abs(float(step[2])) * (self.num_elements - 1)
        if rise_m > ULA_TOLERANCE * spacing:
            return (
                f"its line is not level (it rises {rise_m * 1e3:.3g} mm from the first element to the last, "
                f"more than {ULA_TOLERANCE:.0%} of the {spacing * 1e3:.3g} mm spacing)"
            )
        deviation = float(np.max(np.linalg.norm(self.positions_m - _uniform_line(self.positions_m), axis=1)))
        if deviation > ULA_TOLERANCE * spacing:
            return (
                f"its elements lie up to {deviation * 1e3:.3g} mm from equally spaced points in element "
                f"order (more than {ULA_TOLERANCE * spacing * 1e3:.3g} mm, {ULA_TOLERANCE:.0%} of the "
                f"{spacing * 1e3:.3g} mm spacing): not equally spaced along one line in element order"
            )
        return ""


def _uniform_step(positions_m: NDArray[np.float64]) -> NDArray[np.float64]:
    """The least-squares step ``d e`` of ``r_m = c + (m - (M - 1) / 2) d e`` (metres, ``(3,)``)."""
    index = np.arange(positions_m.shape[0]) - (positions_m.shape[0] - 1) / 2.0
    return index @ (positions_m - positions_m.mean(axis=0)) / float(index @ index)


def _uniform_line(positions_m: NDArray[np.float64]) -> NDArray[np.float64]:
    """The equally spaced points in element order nearest ``positions_m`` (least squares), ``(M, 3)``."""
    index = np.arange(positions_m.shape[0]) - (positions_m.shape[0] - 1) / 2.0
    return positions_m.mean(axis=0) + np.outer(index, _uniform_step(positions_m))


def ula(num_elements: int, spacing_m: float) -> ArrayGeometry:
    """Uniform linear array along the y axis, broadside at azimuth 0 (boresight +x).

    Element 0 is the leftmost (+y); the index grows towards positive azimuth (clockwise),
    so ``a_m(az) = exp(+j 2 pi m spacing sin(az) / lambda)`` up to a common phase.
    The array is centred on the origin.
    """
    check_count(num_elements, "num_elements")
    y = -(np.arange(num_elements) - (num_elements - 1) / 2.0) * spacing_m
    return ArrayGeometry(np.column_stack([np.zeros(num_elements), y, np.zeros(num_elements)]))


def uca(num_elements: int, radius_m: float) -> ArrayGeometry:
    """Uniform circular array in the horizontal plane, element 0 on boresight (+x), clockwise order."""
    check_count(num_elements, "num_elements")
    az = 2.0 * np.pi * np.arange(num_elements) / num_elements
    return ArrayGeometry(radius_m * np.column_stack([np.cos(az), -np.sin(az), np.zeros(num_elements)]))


def ura(num_rows: int, num_columns: int, spacing_y_m: float, spacing_z_m: float) -> ArrayGeometry:
    """Uniform rectangular array in the y-z plane facing +x (resolves azimuth and elevation).

    Rows are stacked along z (row 0 on top), columns along -y as in :func:`ula`;
    elements are ordered row by row. Centred on the origin.
    """
    check_count(num_rows, "num_rows")
    check_count(num_columns, "num_columns")
    row_line = ula(num_columns, spacing_y_m).positions_m[:, 1]
    z = -(np.arange(num_rows) - (num_rows - 1) / 2.0) * spacing_z_m
    yy, zz = np.meshgrid(row_line, z)
    return ArrayGeometry(np.column_stack([np.zeros(yy.size), yy.ravel(), zz.ravel()]))


def _angles_rad(
    azimuth_deg: ArrayLike, elevation_deg: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Azimuths as a 1-D array and elevations broadcast against them, both in radians."""
    az = np.deg2rad(np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64)))
    el = np.deg2rad(np.broadcast_to(np.asarray(elevation_deg, dtype=np.float64), az.shape))
    return az, el


def as_positions(positions_m: ArrayLike) -> NDArray[np.float64]:
    """``positions_m`` as a float64 ``(M, 3)`` array of finite positions in metres, else a ValueError."""
    positions = np.asarray(positions_m, dtype=np.float64)
    if positions.ndim != 2 or positions.shape[1] != 3 or positions.shape[0] < 1:
        raise ValueError(f"positions_m must have shape (M, 3) in metres, got shape {positions.shape}")
    if not np.all(np.isfinite(positions)):
        raise ValueError("positions_m contains NaN or infinite values")
    return positions


def wrap_deg(angle_deg: ArrayLike) -> NDArray[np.float64] | float:
    """Angles wrapped to [-180, 180) degrees (a float for a scalar)."""
    wrapped = (np.asarray(angle_deg, dtype=np.float64) + 180.0) % 360.0 - 180.0
    return float(wrapped) if wrapped.ndim == 0 else wrapped
