"""Azimuth and elevation: 2-D Bartlett, MVDR and MUSIC on a grid, and 2-D unitary ESPRIT for URAs.

Model and frame as in :mod:`.classical` (SigMF spatial frame: boresight +x, azimuth clockwise
seen from above, elevation above the horizon, degrees): a plane wave from
``u = (cos az cos el, -sin az cos el, sin el)`` has the steering vector
``a_m = exp(+j 2 pi u . r_m / lambda)`` (:func:`~gnuradio.bearing.array.geometry.steering_matrix`),
whose entries have unit modulus, so ``||a||^2 = M``.

Grid methods evaluate their spectrum on an azimuth x elevation grid (``(N_el, N_az)``, rows of
equal elevation; the steering matrix of the grid is computed once), pick its 2-D local maxima
(:func:`find_peaks_2d`) and refine each off the grid (a bounded SQP search within one grid
step, with the analytic gradient): a coarse grid (2 degrees for a 16 x 16 URA, whose beam
is about 7 degrees wide) finds the peaks and the refinement sets the accuracy. Each spectrum is
a function of one quadratic form ``q(a) = a^H B a``:

* Bartlett: ``a^H R a / a^H a`` (``B = R``), linear power;
* MVDR (Capon 1969): ``1 / (a^H R_l^-1 a)`` (``B = R_l^-1``, ``R_l`` diagonally loaded as in
  :data:`~.classical.DEFAULT_DIAGONAL_LOADING`), linear power;
* MUSIC (Schmidt 1986): ``||a||^2 / ||E_n^H a||^2``, evaluated for ``K <= M / 2`` as
  ``||a||^2 / (||a||^2 - ||E_s^H a||^2)`` with the ``K``-dimensional signal subspace ``E_s``
  (``B = E_s E_s^H``; only ``K`` eigenvectors are computed, far cheaper for ``M = 256``), for
  larger ``K`` from the ``M - K`` noise eigenvectors ``E_n``; dimensionless, ``>= 1``.

2-D unitary ESPRIT (:func:`unitary_esprit_2d`) needs a uniform rectangular array
(:func:`~gnuradio.bearing.array.lattice.ura_lattice`) and is grid-free.

Where the estimates may lie: a planar array cannot tell a direction from its mirror image
through its plane (:mod:`~gnuradio.bearing.array.field_of_view`), so every estimate lies on the
front side of the plane (:func:`~gnuradio.bearing.array.geometry.front` of its normal: azimuth
-90 .. 90 for a URA in the y-z plane, above the horizon for a horizontal one) and in the grid's
azimuth and elevation ranges. A grid reaching behind the plane shows the mirror images in the
spectrum, but no peak is taken there. With grating lobes (element spacings over half a
wavelength, :func:`~gnuradio.bearing.array.field_of_view.aliasing_vector`) a planar array
resolves only the cone about its front normal where no two directions look alike, and a 3-D
array is refused. A 3-D array otherwise resolves every direction.

References:
    J. Capon, "High-resolution frequency-wavenumber spectrum analysis", Proc. IEEE 57(8),
    1408-1418, 1969.
    R. O. Schmidt, "Multiple emitter location and signal parameter estimation", IEEE Trans.
    Antennas Propag. 34(3), 276-280, 1986.
    M. Haardt, J. A. Nossek, "Unitary ESPRIT: how to obtain increased estimation accuracy with
    a reduced computational burden", IEEE Trans. Signal Process. 43(5), 1232-1242, 1995.
    M. D. Zoltowski, M. Haardt, C. P. Mathews, "Closed-form 2-D angle estimation with
    rectangular arrays in element space or beamspace via unitary ESPRIT", IEEE Trans. Signal
    Process. 44(2), 316-328, 1996.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.linalg
import scipy.ndimage
import scipy.optimize
import scipy.sparse.linalg
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import check_covariance
from ..array.field_of_view import GeometryError, aliasing_vector, aperture_axes
from ..array.geometry import (
    ArrayGeometry,
    direction_angles_deg,
    direction_vectors,
    front,
    steering_matrix,
    wrap_deg,
)
from ..array.lattice import UraLattice, ura_lattice
from ..validation import check_num_sources, check_positive, check_subspace_sources
from .classical import DEFAULT_DIAGONAL_LOADING, check_diagonal_loading
from .grid import FULL_CIRCLE_DEG, check_grid, is_full_circle, within_a_step
from .peaks import check_min_separation

PLANAR_METHODS = ("bartlett", "mvdr", "music", "esprit")
PLANAR_GRID_METHODS = ("bartlett", "mvdr", "music")

MAX_STEERING_BYTES = 1 << 30
"""Largest cached grid steering matrix, bytes (1 GiB: ``M N_el N_az`` complex128 values). A
16 x 16 URA on a 2-degree grid over the front half-space takes 34 MB; refinement makes a finer
grid unnecessary."""

NULL_FLOOR = 1e-13
"""Smallest MUSIC null spectrum ``||E_n^H a||^2 / ||a||^2``: below it the difference
``||a||^2 - ||E_s^H a||^2`` is rounding noise; it caps the pseudo-spectrum at 1e13."""

POLE_TOLERANCE_DEG = 1e-9
"""An elevation grid ending within this of +-90 degrees ends at a pole."""

LANCZOS_MIN_ELEMENTS = 64
"""Arrays of at least this many elements find a few dominant eigenvectors by Lanczos iteration
(:func:`dominant_eigenvectors`)."""

LANCZOS_MAX_FRACTION = 8
"""... when the sources number at most ``M / LANCZOS_MAX_FRACTION``."""

REFINE_MOVES = 10
"""How many boxes of one grid step the off-grid refinement of a peak may search in turn: a peak
lies within the first box, except near the plane of a planar array, where the spectrum of a
small array is a long, curved ridge in azimuth and elevation (the grid's highest point may be
several steps from the top)."""

_REFINE_OPTIONS = {"ftol": 1e-15, "maxiter": 100}
"""SLSQP's stopping rule for the off-grid refinement: a change of 1e-15 in the normalised
quadratic form (about 1 at the peak) is about 1e-6 degrees from the peak of a 4 x 4 URA's
beam, less for a larger array."""


@dataclass(frozen=True)
class PlanarEstimate:
    """Result of :meth:`PlanarEstimator.estimate`.

    Attributes:
        azimuth_deg: estimated azimuths, shape ``(K',)`` with ``K' <= K``, degrees, SigMF frame,
            ordered by decreasing ``peak_values``. Grid methods return fewer than ``K`` when the
            spectrum has fewer separated peaks in the grid, ESPRIT when an estimate lies beyond
            the grid's region.
        elevation_deg: the matching elevations, shape ``(K',)``, degrees.
        peak_values: the continuous spectrum at the estimates, shape ``(K',)``, linear units
            (MUSIC's for ESPRIT).
        spectrum: shape ``(N_el, N_az)`` on the estimator's grid (row ``i`` at elevation
            ``elevation_grid_deg[i]``), float64, linear units; MUSIC's pseudo-spectrum (for
            display) when the method is ESPRIT.
    """

    azimuth_deg: NDArray[np.float64]
    elevation_deg: NDArray[np.float64]
    peak_values: NDArray[np.float64]
    spectrum: NDArray[np.float64]


class PlanarEstimator:
    """Azimuth-and-elevation estimation on a fixed array, carrier and azimuth x elevation grid.

    Mirrors :class:`~.classical.Estimator`: the steering matrix of the grid is computed once
    here; ``method`` (one of :data:`PLANAR_METHODS`) may be changed later, by assignment or
    :meth:`set_method`. Grid methods (Bartlett, MVDR, MUSIC) pick peaks with
    :func:`find_peaks_2d` and, if ``refine``, maximise the continuous spectrum within one grid
    step of each peak (module docstring), so that the grid step does not limit the accuracy.
    ESPRIT (2-D unitary ESPRIT, :func:`unitary_esprit_2d`) needs a uniform rectangular array
    with spacings of at most half a wavelength.

    Args:
        geometry: the array, whose aperture must span a plane or a volume (a linear array
            cannot tell azimuth from elevation: every direction on a cone about its axis looks
            alike).
        wavelength_m: carrier wavelength in metres.
        azimuth_grid_deg: shape ``(N_az,)``, degrees, strictly increasing, ``N_az >= 2``,
            spanning less than 360 degrees, or a uniform grid covering 360 (circular: peaks
            wrap around).
        elevation_grid_deg: shape ``(N_el,)``, degrees, strictly increasing in -90 .. 90,
            ``N_el >= 2``.
        method: one of :data:`PLANAR_METHODS`.
        min_separation_deg: minimum great-circle angle between two reported peaks (grid
            methods), degrees.
        refine: refine grid-method peaks off the grid.
        diagonal_loading: MVDR's relative diagonal loading, ``>= 0``.

    Raises:
        GeometryError: a linear array or elements at one point.
        ValueError: a bad argument, named; a grid whose steering matrix would exceed
            :data:`MAX_STEERING_BYTES`.
    """

    def __init__(
        self,
        geometry: ArrayGeometry,
        wavelength_m: float,
        azimuth_grid_deg: ArrayLike,
        elevation_grid_deg: ArrayLike,
        method: str = "music",
        min_separation_deg: float = 2.0,
        refine: bool = True,
        diagonal_loading: float = DEFAULT_DIAGONAL_LOADING,
    ) -> None:
        self.diagonal_loading = check_diagonal_loading(diagonal_loading)
        self._wavelength_m = check_positive(wavelength_m, "wavelength_m")
        self.min_separation_deg = check_min_separation(min_separation_deg)
        self._geometry = geometry
        _check_planar_aperture(geometry, self._wavelength_m)
        self._azimuth_grid_deg = check_azimuth_grid(azimuth_grid_deg)
        self._elevation_grid_deg = check_elevation_grid(elevation_grid_deg)
        self._circular = is_full_circle(self._azimuth_grid_deg)
        self._steering = grid_steering(
            geometry.positions_m, self._wavelength_m, self._azimuth_grid_deg, self._elevation_grid_deg
        )
        self._front = _front_region(geometry, self._wavelength_m)
        self._allowed = _in_front(self._front, *np.meshgrid(self._azimuth_grid_deg, self._elevation_grid_deg))
        self._lattice = ura_lattice(geometry)
        self.refine = bool(refine)
        self.method = method

    @property
    def geometry(self) -> ArrayGeometry:
        return self._geometry

    @property
    def wavelength_m(self) -> float:
        return self._wavelength_m

    @property
    def azimuth_grid_deg(self) -> NDArray[np.float64]:
        """The azimuth grid, shape ``(N_az,)``, degrees (read-only)."""
        return self._azimuth_grid_deg

    @property
    def elevation_grid_deg(self) -> NDArray[np.float64]:
        """The elevation grid, shape ``(N_el,)``, degrees (read-only)."""
        return self._elevation_grid_deg

    @property
    def lattice(self) -> UraLattice | None:
        """The geometry's rectangular lattice (:func:`~gnuradio.bearing.array.lattice.ura_lattice`),
        None when it is not a URA."""
        return self._lattice

    @property
    def method(self) -> str:
        return self._method

    @method.setter
    def method(self, method: str) -> None:
        if method not in PLANAR_METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {', '.join(PLANAR_METHODS)}")
        if method == "esprit":
            _check_esprit_geometry(self._geometry, self._lattice, self._wavelength_m)
        self._method = method

    def set_method(self, method: str) -> None:
        """Switch to another of :data:`PLANAR_METHODS` (``ValueError`` if unknown or not applicable)."""
        self.method = method

    def estimate(self, covariance: ArrayLike, num_sources: int) -> PlanarEstimate:
        """Estimate the azimuths and elevations of ``num_sources`` emitters from a spatial covariance.

        Args:
            covariance: ``R``, shape ``(M, M)`` with ``M`` the number of elements, in the
                geometry's element order.
            num_sources: ``K``, ``1 <= K <= M - 1`` (ESPRIT: also at most the rows of its
                smaller subarray, :func:`unitary_esprit_2d`).

        Returns:
            the :class:`PlanarEstimate`; angles in degrees in the SigMF frame, inside the grid.
        """
        r = check_covariance(covariance, self._geometry.num_elements)
        num_sources = check_subspace_sources(num_sources, r.shape[0])
        if self._method == "esprit":
            return self._estimate_esprit(r, num_sources)
        spectrum_model = _spectrum_model(self._method, r, num_sources, self.diagonal_loading)
        spectrum = self._grid_spectrum(spectrum_model)
        rows, columns = find_peaks_2d(
            spectrum,
            self._azimuth_grid_deg,
            self._elevation_grid_deg,
            num_sources,
            self.min_separation_deg,
            allowed=self._allowed,
        )
        if self.refine:
            refined = [
                self._refine_peak(spectrum_model, spectrum, i, j) for i, j in zip(rows, columns, strict=True)
            ]
            values = np.array(refined, dtype=np.float64).reshape(-1, 3)
            values = values[np.argsort(values[:, 2], kind="stable")[::-1]]
            # Two grid peaks of one ridge may climb to the same top: keep the peaks apart.
            values = values[_separated(values[:, 0], values[:, 1], num_sources, self.min_separation_deg)]
            azimuth_deg, elevation_deg, peak_values = values[:, 0], values[:, 1], values[:, 2]
        else:
            azimuth_deg = self._azimuth_grid_deg[columns]
            elevation_deg = self._elevation_grid_deg[rows]
            peak_values = spectrum[rows, columns]
        return PlanarEstimate(azimuth_deg, elevation_deg, peak_values, spectrum)

    def _grid_spectrum(self, spectrum_model: _SpectrumModel) -> NDArray[np.float64]:
        shape = (self._elevation_grid_deg.size, self._azimuth_grid_deg.size)
        return spectrum_model.spectrum(spectrum_model.form.values(self._steering)).reshape(shape)

    def _estimate_esprit(self, r: NDArray[np.complex128], num_sources: int) -> PlanarEstimate:
        assert self._lattice is not None  # guaranteed by the method setter
        azimuth_deg, elevation_deg = unitary_esprit_2d(r, num_sources, self._lattice, self._wavelength_m)
        azimuth_deg, elevation_deg = self._inside_grid(azimuth_deg, elevation_deg)
        music = _spectrum_model("music", r, num_sources)
        spectrum = self._grid_spectrum(music)
        steering = steering_matrix(self._geometry.positions_m, azimuth_deg, self._wavelength_m, elevation_deg)
        peak_values = music.spectrum(music.form.values(steering))
        order = np.argsort(peak_values, kind="stable")[::-1]
        return PlanarEstimate(azimuth_deg[order], elevation_deg[order], peak_values[order], spectrum)

    def _inside_grid(
        self, azimuth_deg: NDArray[np.float64], elevation_deg: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Grid-free estimates moved into the grid's region: those within one grid step of it
        clipped onto its edge (as far as a grid method's refinement reaches), the others dropped
        (a grid method finds no peak there either). Azimuths of a circular grid are wrapped into
        ``[start, start + 360)``."""
        az_grid, el_grid = self._azimuth_grid_deg, self._elevation_grid_deg
        if self._circular:
            azimuth = az_grid[0] + (azimuth_deg - az_grid[0]) % FULL_CIRCLE_DEG
            az_keep = np.ones(azimuth.shape, dtype=bool)
        else:
            centre = 0.5 * (az_grid[0] + az_grid[-1])
            azimuth = centre + np.asarray(wrap_deg(azimuth_deg - centre), dtype=np.float64)
            az_keep = within_a_step(azimuth, az_grid)
            azimuth = np.clip(azimuth, az_grid[0], az_grid[-1])
        elevation = np.clip(elevation_deg, el_grid[0], el_grid[-1])
        keep = az_keep & within_a_step(elevation_deg, el_grid) & _in_front(self._front, azimuth, elevation)
        return azimuth[keep], elevation[keep]

    def _refine_peak(
        self, spectrum_model: _SpectrumModel, spectrum: NDArray[np.float64], row: int, column: int
    ) -> tuple[float, float, float]:
        """Maximise the continuous spectrum near grid peak ``(row, column)``: SLSQP (bounded
        sequential quadratic programming) on ``q(a(az, el))`` with its analytic gradient, within
        the box of the neighbouring grid points (never past the grid's ends). A maximum on a side
        of the box inside the grid (a peak tilted across the grid) moves the box there, at most
        :data:`REFINE_MOVES` times. Returns azimuth, elevation (degrees) and the spectrum there;
        the grid point if nothing higher was found."""
        az_grid, el_grid = self._azimuth_grid_deg, self._elevation_grid_deg
        start = np.array([az_grid[column], el_grid[row]], dtype=np.float64)
        box = np.array([_neighbours(az_grid, column, self._circular), _neighbours(el_grid, row, False)])
        reach = np.abs(box - start[:, None])
        region = np.array([[-np.inf, np.inf] if self._circular else az_grid[[0, -1]], el_grid[[0, -1]]])
        objective = _RefineObjective(self._geometry.positions_m, self._wavelength_m, spectrum_model, start)
        point = start
        for _ in range(REFINE_MOVES):
            result = scipy.optimize.minimize(
                objective, point, jac=True, method="SLSQP", bounds=box, options=_REFINE_OPTIONS
            )
            point = np.clip(result.x, box[:, 0], box[:, 1])
            on_side = np.isclose(point[:, None], box, rtol=0.0, atol=1e-9) & (box != region)
            if not np.any(on_side):
                break
            box = np.clip(point[:, None] + reach * [-1.0, 1.0], region[:, :1], region[:, 1:])
        value = objective.spectrum_at(float(point[0]), float(point[1]))
        if not value > spectrum[row, column] or not _in_front(self._front, point[0], point[1]):
            return float(start[0]), float(start[1]), float(spectrum[row, column])
        azimuth_deg = float(point[0])
        if self._circular:
            azimuth_deg = float(az_grid[0] + (azimuth_deg - az_grid[0]) % FULL_CIRCLE_DEG)
        return azimuth_deg, float(point[1]), value


def find_peaks_2d(
    spectrum: ArrayLike,
    azimuth_grid_deg: ArrayLike,
    elevation_grid_deg: ArrayLike,
    num_sources: int,
    min_separation_deg: float,
    allowed: ArrayLike | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Up to ``num_sources`` local maxima of an azimuth x elevation spectrum, strongest first.

    A grid point is a local maximum when no one of its (up to 8) neighbours is higher and one is
    lower (a flat region has no maximum; a flat ridge of equal maxima keeps them all). As in
    :func:`~.peaks.find_peaks`, the ends of an axis are not maxima (a spectrum still rising at
    the edge of its grid has its peak beyond it) except where the grid does not end on the
    sphere: an azimuth grid covering 360 degrees wraps around, and an elevation row at +-90
    degrees is a pole (one direction). The maxima are then taken greedily, strongest first,
    skipping any closer than ``min_separation_deg`` (great-circle angle) to one already taken,
    or in the same direction (the points of a pole row). Fewer than ``num_sources`` are
    returned when there are fewer such peaks.

    Args:
        spectrum: shape ``(N_el, N_az)``, real (only the order matters).
        azimuth_grid_deg: shape ``(N_az,)``, degrees, increasing.
        elevation_grid_deg: shape ``(N_el,)``, degrees, increasing.
        num_sources: maximum number of peaks, ``>= 1``.
        min_separation_deg: minimum great-circle angle between returned peaks, ``>= 0``.
        allowed: optional boolean mask, shape ``(N_el, N_az)``: maxima only where it is True
            (the directions the array resolves, as in :func:`~.peaks.find_peaks`).

    Returns:
        ``(rows, columns)``: elevation and azimuth indices, each shape ``(<= num_sources,)``,
        by decreasing value.
    """
    values, azimuth, elevation = _check_spectrum_2d(spectrum, azimuth_grid_deg, elevation_grid_deg)
    num_sources = check_num_sources(num_sources)
    min_separation_deg = check_min_separation(min_separation_deg)
    circular = is_full_circle(azimuth)
    maxima = _local_maxima_2d(values, elevation, circular)
    if allowed is not None:
        mask = np.asarray(allowed, dtype=bool)
        if mask.shape != values.shape:
            raise ValueError(f"allowed must have the spectrum's shape {values.shape}, got {mask.shape}")
        maxima &= mask
    rows, columns = np.nonzero(maxima)
    order = np.argsort(values[rows, columns], kind="stable")[::-1]
    rows, columns = rows[order], columns[order]
    selected = _separated(azimuth[columns], elevation[rows], num_sources, min_separation_deg)
    return rows[selected].astype(np.intp), columns[selected].astype(np.intp)


def _separated(
    azimuth_deg: NDArray[np.float64],
    elevation_deg: NDArray[np.float64],
    limit: int,
    min_separation_deg: float,
) -> list[int]:
    """Indices of up to ``limit`` of the directions (strongest first), taken in order, skipping
    any closer than ``min_separation_deg`` (great-circle angle) to one already taken or in the
    same direction."""
    directions = direction_vectors(azimuth_deg, elevation_deg)
    # The chord between unit vectors at the great-circle angle theta is 2 sin(theta / 2).
    min_chord = 2.0 * np.sin(np.deg2rad(min(min_separation_deg, 180.0)) / 2.0)
    min_chord = max(min_chord, 1e-12)
    selected: list[int] = []
    for candidate in range(len(directions)):
        if len(selected) == limit:
            break
        chords = np.linalg.norm(directions[selected] - directions[candidate], axis=1)
        if np.all(chords >= min_chord):
            selected.append(candidate)
    return selected


def unitary_esprit_2d(
    covariance: ArrayLike, num_sources: int, lattice: UraLattice, wavelength_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """2-D unitary ESPRIT (Haardt & Nossek 1995; Zoltowski, Haardt & Mathews 1996) on a URA.

    In lattice order (``i`` slowest, :meth:`UraLattice.lattice_order`) the steering vector is,
    up to a common phase, the centro-Hermitian ``kron(a_1(mu_1), a_2(mu_2))`` with
    ``a_k(mu)_i = exp(j (i - (n_k - 1) / 2) mu)`` and spatial frequencies
    ``mu_k = 2 pi d_k c_k / lambda``, ``c_k = u . e_k`` the direction cosines along the lattice
    axes. The steps (Zoltowski et al. 1996, Sec. III):

    1. real-valued covariance ``Re(Q_M^H R Q_M)`` with the sparse unitary left-Pi-real ``Q_M``
       (the real part is the forward-backward average ``(R + Pi R* Pi) / 2`` transformed);
       its ``K`` dominant eigenvectors ``E_s`` (real, ``(M, K)``);
    2. per lattice axis, with ``J_2`` selecting the subarray shifted by one step and
       ``Q_m^H J_2 Q_M = K_1 + j K_2``: ``tan(mu / 2) K_1 E_s = K_2 E_s``, solved for the real
       ``Upsilon_k = (K_1 E_s)^+ K_2 E_s`` (least squares);
    3. automatic pairing: the eigenvalues of ``Upsilon_1 + j Upsilon_2`` are
       ``tan(mu_1 / 2) + j tan(mu_2 / 2)``, one per source;
    4. ``c_k = mu_k lambda / (2 pi d_k)`` (clipped to +-1), then
       ``u = c_1 e_1 + c_2 e_2 + sqrt(max(0, 1 - c_1^2 - c_2^2)) n`` with ``n`` the lattice's
       front normal, normalised, and its azimuth and elevation.

    A direction behind the lattice plane is seen as its mirror image in front of it. With a
    spacing ``d_k`` above ``lambda / 2`` the spatial frequency is ambiguous (grating lobes) and
    ``|c_k|`` is limited to ``lambda / (2 d_k)``: use spacings of at most half a wavelength.

    Args:
        covariance: ``R``, shape ``(M, M)``, in the geometry's element order.
        num_sources: ``K``, ``1 <= K <= M - 1`` and at most ``min((n_1 - 1) n_2, n_1 (n_2 - 1))``
            (the rows of the smaller shifted subarray).
        lattice: the array's lattice (:func:`~gnuradio.bearing.array.lattice.ura_lattice`).
        wavelength_m: carrier wavelength in metres.

    Returns:
        ``(azimuth_deg, elevation_deg)``, each shape ``(K,)``, degrees, SigMF frame, paired,
        azimuths in ``[-180, 180)``, unordered.
    """
    check_positive(wavelength_m, "wavelength_m")
    r = check_covariance(covariance, lattice.num_elements)
    num_sources = check_subspace_sources(num_sources, r.shape[0])
    n1, n2 = lattice.shape
    rows = min((n1 - 1) * n2, n1 * (n2 - 1))
    if num_sources > rows:
        raise ValueError(
            f"num_sources must be at most {rows} for 2-D ESPRIT on a {n1} x {n2} URA (the rows of its "
            f"smaller shifted subarray), got {num_sources}"
        )
    order = lattice.lattice_order()
    signal = _real_signal_subspace(r[np.ix_(order, order)], num_sources)
    upsilon_1 = _invariance_equation(signal, lattice.shape, axis=0)
    upsilon_2 = _invariance_equation(signal, lattice.shape, axis=1)
    pairs = np.linalg.eigvals(upsilon_1 + 1j * upsilon_2)
    frequencies = 2.0 * np.arctan(np.stack([pairs.real, pairs.imag]))
    cosines = frequencies * wavelength_m / (2.0 * np.pi * lattice.spacings_m[:, None])
    return _directions_deg(cosines, lattice)


# --- the spectra: one quadratic form each -----------------------------------------------------------


class _QuadraticForm:
    """``q(a) = Re(a^H B a)`` per steering vector, with ``B`` given as ``F F^H`` by its factor
    ``F`` ``(M, r)`` (cheap for small ``r``) or as the Hermitian ``(M, M)`` matrix itself."""

    _CHUNK = 4096
    """Columns per block when applying a full matrix (bounds the temporary ``B A``)."""

    def __init__(
        self, factor: NDArray[np.complex128] | None = None, matrix: NDArray[np.complex128] | None = None
    ) -> None:
        self._factor_adjoint = None if factor is None else np.ascontiguousarray(factor.conj().T)
        self._matrix = matrix

    def values(self, a: NDArray[np.complex128]) -> NDArray[np.float64]:
        """``q`` of each column of ``a`` ``(M, N)``, shape ``(N,)``."""
        if self._factor_adjoint is not None:
            projected = self._factor_adjoint @ a
            return np.einsum("kn,kn->n", projected.real, projected.real) + np.einsum(
                "kn,kn->n", projected.imag, projected.imag
            )
        assert self._matrix is not None
        blocks = [
            np.einsum(
                "mn,mn->n", a[:, s : s + self._CHUNK].conj(), self._matrix @ a[:, s : s + self._CHUNK]
            ).real
            for s in range(0, a.shape[1], self._CHUNK)
        ]
        return np.concatenate(blocks)

    def value_and_gradient(
        self, a: NDArray[np.complex128], derivatives: NDArray[np.complex128]
    ) -> tuple[float, NDArray[np.float64]]:
        """``q`` of one steering vector ``a`` ``(M, 1)`` and its derivatives ``dq = 2 Re(a^H B da)``
        along the columns ``da`` of ``derivatives`` ``(M, P)``, shape ``(P,)``."""
        if self._factor_adjoint is not None:
            projected = self._factor_adjoint @ a
            value = float(np.vdot(projected, projected).real)
            gradient = 2.0 * (projected.conj().T @ (self._factor_adjoint @ derivatives)).real
        else:
            assert self._matrix is not None
            applied = self._matrix @ a
            value = float(np.vdot(a, applied).real)
            gradient = 2.0 * (applied.conj().T @ derivatives).real
        return value, gradient.ravel()


@dataclass(frozen=True)
class _SpectrumModel:
    """A spectrum as a function of its quadratic form ``q`` and the array size ``M = ||a||^2``.

    ``kind``: ``"bartlett"`` ``q / M``; ``"mvdr"`` ``1 / q``; ``"signal"`` (MUSIC from ``E_s``)
    ``M / max(M - q, floor)``; ``"noise"`` (MUSIC from ``E_n``) ``M / max(q, floor)``.
    """

    form: _QuadraticForm
    kind: str
    num_elements: int

    @property
    def increasing(self) -> bool:
        """Whether the spectrum grows with ``q`` (else the peaks are minima of ``q``)."""
        return self.kind in ("bartlett", "signal")

    def spectrum(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        size = float(self.num_elements)
        floor = NULL_FLOOR * size
        if self.kind == "bartlett":
            return q / size
        if self.kind == "mvdr":
            return 1.0 / np.maximum(q, np.finfo(np.float64).tiny)
        if self.kind == "signal":
            return size / np.maximum(size - q, floor)
        return size / np.maximum(q, floor)


def _spectrum_model(
    method: str,
    r: NDArray[np.complex128],
    num_sources: int,
    diagonal_loading: float = DEFAULT_DIAGONAL_LOADING,
) -> _SpectrumModel:
    """The spectrum of ``method`` for the covariance ``r`` ``(M, M)``. ``Re(a^H R a)`` and ``eigh``
    (which reads one triangle) see only the Hermitian part of ``R``; MVDR inverts that part."""
    size = r.shape[0]
    if method == "bartlett":
        return _SpectrumModel(_QuadraticForm(matrix=r), "bartlett", size)
    if method == "mvdr":
        hermitian = 0.5 * (r + r.conj().T)
        return _SpectrumModel(
            _QuadraticForm(matrix=_loaded_inverse(hermitian, diagonal_loading)), "mvdr", size
        )
    if num_sources <= size - num_sources:
        subset, kind = [size - num_sources, size - 1], "signal"
    else:
        subset, kind = [0, size - num_sources - 1], "noise"
    if kind == "signal":
        vectors = dominant_eigenvectors(0.5 * (r + r.conj().T), num_sources)
    else:
        vectors = scipy.linalg.eigh(r, subset_by_index=subset, check_finite=False)[1]
    return _SpectrumModel(_QuadraticForm(factor=vectors), kind, size)


def dominant_eigenvectors(hermitian: NDArray, count: int) -> NDArray:
    """The ``count`` eigenvectors of the largest eigenvalues of a Hermitian (or real symmetric)
    ``(M, M)`` matrix, shape ``(M, count)``, up to their phases. For a large array and few
    sources Lanczos iteration (ARPACK, ``scipy.sparse.linalg.eigsh``, to machine precision) finds
    them several times faster than a full reduction (``eigh``: about 7 ms of a 16 x 16 URA's
    estimate); the reduction is used otherwise, or when Lanczos does not converge (eigenvalues
    too close together)."""
    size = hermitian.shape[0]
    subset = [size - count, size - 1]
    if size < LANCZOS_MIN_ELEMENTS or count > size // LANCZOS_MAX_FRACTION:
        return scipy.linalg.eigh(hermitian, subset_by_index=subset, check_finite=False)[1]
    start = hermitian[:, int(np.argmax(np.abs(np.diagonal(hermitian))))]  # deterministic
    try:
        return scipy.sparse.linalg.eigsh(hermitian, k=count, which="LA", v0=start, tol=0.0)[1]
    except (scipy.sparse.linalg.ArpackError, scipy.sparse.linalg.ArpackNoConvergence):
        return scipy.linalg.eigh(hermitian, subset_by_index=subset, check_finite=False)[1]


def _loaded_inverse(r: NDArray[np.complex128], diagonal_loading: float) -> NDArray[np.complex128]:
    """``(R + l trace(R) / M I)^-1`` with ``l`` the relative loading (by default
    :data:`~.classical.DEFAULT_DIAGONAL_LOADING`)."""
    size = r.shape[0]
    loading = diagonal_loading * np.trace(r).real / size
    try:
        inverse = np.linalg.inv(r + loading * np.eye(size))
    except np.linalg.LinAlgError as error:
        raise ValueError(
            f"MVDR cannot invert the covariance (trace {np.trace(r).real:.3g}) with relative "
            f"diagonal loading {diagonal_loading:g}"
        ) from error
    return 0.5 * (inverse + inverse.conj().T)


class _RefineObjective:
    """``-/+ q(a(az, el)) / s`` and its gradient per degree, for a minimiser: the spectrum's peak
    is a maximum of ``q`` (Bartlett, MUSIC from ``E_s``) or a minimum (MVDR, MUSIC from ``E_n``).
    The scale ``s`` is ``M`` for MUSIC (``0 <= q <= M``), else ``q`` at the grid peak, so the
    objective is about 1 there."""

    def __init__(
        self,
        positions_m: NDArray[np.float64],
        wavelength_m: float,
        spectrum_model: _SpectrumModel,
        start_deg: NDArray[np.float64],
    ) -> None:
        self._positions = positions_m
        self._wavelength_m = wavelength_m
        self._model = spectrum_model
        if spectrum_model.kind in ("signal", "noise"):
            scale = float(spectrum_model.num_elements)
        else:
            start = steering_matrix(positions_m, start_deg[0], wavelength_m, start_deg[1])
            scale = abs(float(spectrum_model.form.values(start)[0]))
        sign = -1.0 if spectrum_model.increasing else 1.0
        self._factor = sign / scale if scale > 0 else sign

    def __call__(self, angles_deg: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        a, derivatives = steering_with_derivatives(
            self._positions, float(angles_deg[0]), float(angles_deg[1]), self._wavelength_m
        )
        value, gradient = self._model.form.value_and_gradient(a, derivatives)
        return self._factor * value, self._factor * np.deg2rad(gradient)

    def spectrum_at(self, azimuth_deg: float, elevation_deg: float) -> float:
        a = steering_matrix(self._positions, azimuth_deg, self._wavelength_m, elevation_deg)
        return float(self._model.spectrum(self._model.form.values(a))[0])


def steering_with_derivatives(
    positions_m: NDArray[np.float64], azimuth_deg: float, elevation_deg: float, wavelength_m: float
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    """One steering vector ``a(az, el)`` ``(M, 1)`` and its derivatives per radian
    ``[d a / d az, d a / d el]`` ``(M, 2)``, in one pass (the refinement's inner loop).

    The same model as :func:`~gnuradio.bearing.array.geometry.steering_matrix`,
    :func:`~gnuradio.bearing.array.geometry.steering_derivative` and
    :func:`~gnuradio.bearing.array.geometry.steering_derivative_elevation`:
    ``d a_m = j 2 pi (du . r_m) / lambda a_m``, where the derivatives of ``u`` are themselves
    direction vectors: ``du/d az = cos(el) u(az + 90, 0)`` and ``du/d el = u(az, el + 90)``.
    """
    vectors = direction_vectors(
        [azimuth_deg, azimuth_deg + 90.0, azimuth_deg], [elevation_deg, 0.0, elevation_deg + 90.0]
    )
    vectors[1] *= np.cos(np.deg2rad(elevation_deg))
    projections = (2.0 * np.pi / wavelength_m) * (positions_m @ vectors.T)
    a = np.exp(1j * projections[:, :1])
    return a, 1j * projections[:, 1:] * a


# --- 2-D unitary ESPRIT -------------------------------------------------------------------------------


def _q_adjoint(x: NDArray[np.complexfloating]) -> NDArray[np.complex128]:
    """``Q_M^H x`` for ``x`` ``(M, N)``, with the sparse unitary left-Pi-real matrix
    ``Q_2n = [[I, j I], [Pi, -j Pi]] / sqrt(2)`` (and for ``M = 2n + 1`` the middle row and
    column ``sqrt(2)``; Haardt & Nossek 1995, eq. (6)). ``O(M N)``."""
    half = x.shape[0] // 2
    head, tail = x[:half], x[::-1][:half]
    parts = [(head + tail) / np.sqrt(2.0)]
    if x.shape[0] % 2:
        parts.append(x[half : half + 1])
    parts.append(-1j * (head - tail) / np.sqrt(2.0))
    return np.concatenate(parts).astype(np.complex128, copy=False)


def _q_apply(y: NDArray[np.floating]) -> NDArray[np.complex128]:
    """``Q_M y`` for ``y`` ``(M, N)`` (the inverse of :func:`_q_adjoint`)."""
    half = y.shape[0] // 2
    top, bottom = y[:half], y[y.shape[0] - half :]
    parts = [(top + 1j * bottom) / np.sqrt(2.0)]
    if y.shape[0] % 2:
        parts.append(y[half : half + 1].astype(np.complex128))
    parts.append(((top - 1j * bottom) / np.sqrt(2.0))[::-1])
    return np.concatenate(parts)


def _real_signal_subspace(r: NDArray[np.complex128], num_sources: int) -> NDArray[np.float64]:
    """The ``K`` dominant eigenvectors of the real ``Re(Q^H R Q)``, shape ``(M, K)``, float64."""
    hermitian = 0.5 * (r + r.conj().T)
    transformed = _q_adjoint(_q_adjoint(hermitian).conj().T).real
    transformed = 0.5 * (transformed + transformed.T)
    return dominant_eigenvectors(transformed, num_sources)


def _invariance_equation(
    signal: NDArray[np.float64], shape: tuple[int, int], axis: int
) -> NDArray[np.float64]:
    """``Upsilon`` ``(K, K)`` solving ``K_1 E_s Upsilon = K_2 E_s`` in least squares along one
    lattice axis, with ``K_1 + j K_2 = Q_m^H J_2 Q_M`` and ``J_2`` the subarray shifted by one
    step along ``axis`` (Haardt & Nossek 1995, eq. (20); Zoltowski et al. 1996, eq. (25))."""
    num_sources = signal.shape[1]
    lattice_vectors = _q_apply(signal).reshape(*shape, num_sources)
    shifted = lattice_vectors[1:] if axis == 0 else lattice_vectors[:, 1:]
    selected = _q_adjoint(shifted.reshape(-1, num_sources))
    return np.linalg.lstsq(selected.real, selected.imag, rcond=None)[0]


def _directions_deg(
    cosines: NDArray[np.float64], lattice: UraLattice
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Azimuths and elevations (degrees) of the directions with direction cosines
    ``cosines`` ``(2, K)`` along the lattice axes, in front of the lattice plane."""
    c1, c2 = np.clip(cosines, -1.0, 1.0)
    normal_part = np.sqrt(np.maximum(0.0, 1.0 - c1**2 - c2**2))
    u = np.outer(c1, lattice.axes[0]) + np.outer(c2, lattice.axes[1]) + np.outer(normal_part, lattice.normal)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    azimuth, elevation = direction_angles_deg(u)
    return np.asarray(wrap_deg(azimuth), dtype=np.float64), elevation


# --- checks and grid helpers --------------------------------------------------------------------------


def check_azimuth_grid(azimuth_grid_deg: ArrayLike) -> NDArray[np.float64]:
    """The azimuth grid as a read-only float64 ``(N_az,)`` array; ``ValueError`` unless it is 1-D,
    finite, strictly increasing, with ``N_az >= 2``, and spans less than 360 degrees or is a
    uniform grid covering 360 (circular)."""
    grid = _named_grid(azimuth_grid_deg, "azimuth_grid_deg")
    if grid[-1] - grid[0] >= FULL_CIRCLE_DEG and not is_full_circle(grid):
        raise ValueError(
            f"azimuth_grid_deg spans {grid[-1] - grid[0]:g} deg: it must span less than 360 deg (a full "
            "circle is start .. start + 360 - step, uniform), else it repeats directions"
        )
    return grid


def check_elevation_grid(elevation_grid_deg: ArrayLike) -> NDArray[np.float64]:
    """The elevation grid as a read-only float64 ``(N_el,)`` array; ``ValueError`` unless it is
    1-D, finite, strictly increasing, with ``N_el >= 2``, in -90 .. 90 degrees."""
    grid = _named_grid(elevation_grid_deg, "elevation_grid_deg")
    if grid[0] < -90.0 or grid[-1] > 90.0:
        raise ValueError(f"elevation_grid_deg must lie in -90 .. 90 deg, got {grid[0]:g} .. {grid[-1]:g}")
    return grid


def _named_grid(grid_deg: ArrayLike, name: str) -> NDArray[np.float64]:
    """:func:`~.grid.check_grid` with its messages naming ``name``."""
    try:
        return check_grid(grid_deg)
    except ValueError as error:
        message = str(error).replace("grid_deg", name, 1).replace("azimuths", "values")
        raise ValueError(message) from error


class _FrontRegion(NamedTuple):
    """The directions a planar or 3-D array resolves: ``u . normal >= min_cosine`` (all for
    ``normal`` None)."""

    normal: NDArray[np.float64] | None
    min_cosine: float


def _front_region(geometry: ArrayGeometry, wavelength_m: float) -> _FrontRegion:
    """A planar array resolves the front side of its plane
    (:func:`~gnuradio.bearing.array.geometry.front` of its normal), with grating lobes only the
    cone of half-angle ``asin(|w| / 2)`` about that normal
    (:func:`~gnuradio.bearing.array.field_of_view.aliasing_vector`); a 3-D array every direction,
    and none without ambiguity when it has grating lobes (:class:`GeometryError`)."""
    rank, axes = aperture_axes(geometry, wavelength_m)
    aliasing = aliasing_vector(geometry, wavelength_m)
    if rank == 3:
        if aliasing is not None:
            raise GeometryError(
                "this 3-D array's elements lie on a lattice too coarse for the wavelength: directions "
                f"whose unit vectors differ by {np.round(aliasing, 3).tolist()} look alike (grating lobes)"
            )
        return _FrontRegion(None, -1.0)
    if aliasing is None:
        return _FrontRegion(front(axes[2]), -1e-9)
    half_angle = np.arcsin(min(float(np.linalg.norm(aliasing)) / 2.0, 1.0))
    return _FrontRegion(front(axes[2]), float(np.cos(half_angle)))


def _in_front(region: _FrontRegion, azimuth_deg: ArrayLike, elevation_deg: ArrayLike) -> NDArray[np.bool_]:
    """Whether each direction lies in the array's :class:`_FrontRegion`, shape of the broadcast
    angles."""
    azimuth, elevation = np.broadcast_arrays(np.asarray(azimuth_deg, float), np.asarray(elevation_deg, float))
    if region.normal is None:
        return np.ones(azimuth.shape, dtype=bool)
    u = direction_vectors(azimuth.ravel(), elevation.ravel())
    return (u @ region.normal >= region.min_cosine).reshape(azimuth.shape)


def _check_planar_aperture(geometry: ArrayGeometry, wavelength_m: float) -> None:
    rank = aperture_axes(geometry, wavelength_m)[0]
    if rank < 2:
        raise GeometryError(
            f"azimuth and elevation need a planar or 3-D array, but the {geometry.num_elements} "
            f"element(s) {'all lie at one point' if rank == 0 else 'lie on a line'}: every direction on "
            "a cone about a line array's axis looks alike"
        )


def _check_esprit_geometry(geometry: ArrayGeometry, lattice: UraLattice | None, wavelength_m: float) -> None:
    if lattice is None:
        raise ValueError(
            f"method 'esprit' needs a uniform rectangular array (elements filling a full rectangular "
            f"lattice, in any order), but the {geometry.num_elements}-element geometry is not one; use a "
            "grid method (bartlett, mvdr, music)"
        )
    half = wavelength_m / 2.0
    if np.any(lattice.spacings_m > half * (1.0 + 1e-9)):
        raise ValueError(
            f"method 'esprit' needs lattice spacings of at most half a wavelength ({half:.6g} m), got "
            f"{np.round(lattice.spacings_m, 6).tolist()} m: the spatial frequencies would be ambiguous"
        )


def grid_steering(
    positions_m: NDArray[np.float64],
    wavelength_m: float,
    azimuth_grid_deg: NDArray[np.float64],
    elevation_grid_deg: NDArray[np.float64] | None = None,
) -> NDArray[np.complex128]:
    """Steering matrix of a grid of directions: ``(M, N_el N_az)``, column ``i N_az + j`` at
    ``(azimuth_grid_deg[j], elevation_grid_deg[i])``, or ``(M, N_az)`` at elevation 0 for an
    azimuth-only grid (None); ValueError when it would exceed :data:`MAX_STEERING_BYTES`."""
    count = azimuth_grid_deg.size * (1 if elevation_grid_deg is None else elevation_grid_deg.size)
    size = positions_m.shape[0] * count * 16
    if size > MAX_STEERING_BYTES:
        raise ValueError(
            f"the grid's steering matrix ({positions_m.shape[0]} elements x {count} directions) would take "
            f"{size / 2**20:.0f} MiB, at most {MAX_STEERING_BYTES / 2**20:.0f}: use a coarser or smaller grid"
        )
    if elevation_grid_deg is None:
        return steering_matrix(positions_m, azimuth_grid_deg, wavelength_m)
    azimuth, elevation = np.meshgrid(azimuth_grid_deg, elevation_grid_deg)
    return steering_matrix(positions_m, azimuth.ravel(), wavelength_m, elevation.ravel())


def _neighbours(grid: NDArray[np.float64], index: int, circular: bool) -> tuple[float, float]:
    """The grid points on either side of ``index``; past an end, the end itself, or for a
    circular grid one step beyond it."""
    if circular:
        lower = grid[index - 1] if index > 0 else 2.0 * grid[0] - grid[1]
        upper = grid[index + 1] if index < grid.size - 1 else 2.0 * grid[-1] - grid[-2]
    else:
        lower, upper = grid[max(index - 1, 0)], grid[min(index + 1, grid.size - 1)]
    return float(lower), float(upper)


def _local_maxima_2d(
    values: NDArray[np.float64], elevation_grid_deg: NDArray[np.float64], circular: bool
) -> NDArray[np.bool_]:
    """Mask ``(N_el, N_az)`` of the points no neighbour exceeds, ends excluded (see
    :func:`find_peaks_2d`)."""
    modes = ("nearest", "wrap" if circular else "nearest")
    highest = scipy.ndimage.maximum_filter(values, size=3, mode=modes)
    lowest = scipy.ndimage.minimum_filter(values, size=3, mode=modes)
    maxima = (values >= highest) & (values > lowest)  # not inside a flat region
    if not circular:
        maxima[:, 0] = maxima[:, -1] = False
    for row in (0, -1):
        if abs(abs(elevation_grid_deg[row]) - 90.0) > POLE_TOLERANCE_DEG:
            maxima[row, :] = False
    return maxima


def _check_spectrum_2d(
    spectrum: ArrayLike, azimuth_grid_deg: ArrayLike, elevation_grid_deg: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    values = np.asarray(spectrum, dtype=np.float64)
    azimuth = np.asarray(azimuth_grid_deg, dtype=np.float64)
    elevation = np.asarray(elevation_grid_deg, dtype=np.float64)
    if azimuth.ndim != 1 or elevation.ndim != 1 or values.shape != (elevation.size, azimuth.size):
        raise ValueError(
            "spectrum must have shape (N_el, N_az) for 1-D grids of N_el elevations and N_az azimuths, "
            f"got shapes {values.shape}, {azimuth.shape} (azimuths) and {elevation.shape} (elevations)"
        )
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(azimuth)) and np.all(np.isfinite(elevation))):
        raise ValueError("spectrum or a grid contains NaN or infinite values")
    return values, azimuth, elevation
