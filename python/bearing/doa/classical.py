"""Classical angle-of-arrival estimators and the one dispatcher every block and the CLI use.

Spectra are evaluated on the columns of a steering matrix ``A``, shape ``(M, N)``, from
:func:`~gnuradio.bearing.array.geometry.steering_matrix` (SigMF spatial frame: boresight +x,
azimuth clockwise in degrees). They are returned as float64 in **linear** units (not dB):
power for Bartlett and MVDR, a dimensionless pseudo-spectrum for MUSIC.

Root-MUSIC and ESPRIT need a uniform linear array (:class:`~gnuradio.bearing.array.geometry.UlaAxis`):
there ``u . r_m = const + m d sin(az - broadside)``, so ``a_m = c z^m`` with
``z = exp(j 2 pi d sin(az - broadside) / lambda)``; they return azimuths in the front
half-plane ``broadside +- 90`` degrees, wrapped to ``[-180, 180)``.

References:
    M. S. Bartlett, "Smoothing periodograms from time series with continuous spectra",
    Nature 161, 686-687, 1948.
    J. Capon, "High-resolution frequency-wavenumber spectrum analysis", Proc. IEEE 57(8),
    1408-1418, 1969.
    R. O. Schmidt, "Multiple emitter location and signal parameter estimation", IEEE Trans.
    Antennas Propag. 34(3), 276-280, 1986.
    A. J. Barabell, "Improving the resolution performance of eigenstructure-based
    direction-finding algorithms", Proc. ICASSP 1983, 336-339 (root-MUSIC).
    R. Roy, T. Kailath, "ESPRIT - estimation of signal parameters via rotational invariance
    techniques", IEEE Trans. ASSP 37(7), 984-995, 1989 (total-least-squares ESPRIT).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import check_covariance
from ..array.field_of_view import GeometryError, resolvable_field
from ..array.geometry import ArrayGeometry, UlaAxis, steering_matrix, wrap_deg
from ..validation import check_positive, check_subspace_sources
from .grid import FULL_CIRCLE_DEG, check_grid, is_full_circle, within_a_step
from .peaks import find_peaks

METHODS = ("bartlett", "mvdr", "music", "root-music", "esprit")
GRID_METHODS = ("bartlett", "mvdr", "music")
ULA_METHODS = ("root-music", "esprit")
CALIBRATED_MUSIC = "calibrated-music"
"""MUSIC on a measured manifold (:class:`Manifold`, from a calibration table), besides :data:`METHODS`."""

DEFAULT_DIAGONAL_LOADING = 1e-6
"""MVDR diagonal loading, relative to the mean eigenvalue ``trace(R) / M``.

Small enough not to bias the spectrum while the noise floor is above ``1e-6`` of the
total power (SNR below ~60 dB), large enough to invert a rank-deficient ``R``
(fewer snapshots than elements, or noise-free data)."""

REFINE_TOLERANCE_DEG = 1e-6
"""Azimuth tolerance of the off-grid refinement of grid-method peaks."""

SpectrumFunction = Callable[[NDArray[np.complex128]], NDArray[np.float64]]
"""Maps a steering matrix ``(M, N)`` to a spectrum ``(N,)`` for one fixed covariance."""


def bartlett_spectrum(covariance: ArrayLike, steering: ArrayLike) -> NDArray[np.float64]:
    """Bartlett (conventional beamformer) spectrum ``a^H R a / a^H a``.

    Args:
        covariance: ``R``, shape ``(M, M)``.
        steering: ``A``, shape ``(M, N)``, one steering vector per column.

    Returns:
        shape ``(N,)``, float64, linear power units.
    """
    r, a = _check_inputs(covariance, steering)
    return _bartlett(r)(a)


def mvdr_spectrum(
    covariance: ArrayLike, steering: ArrayLike, diagonal_loading: float = DEFAULT_DIAGONAL_LOADING
) -> NDArray[np.float64]:
    """MVDR (Capon 1969) spectrum ``1 / (a^H R_l^-1 a)``.

    ``R_l = R + diagonal_loading * trace(R) / M * I``: the loading is relative to the mean
    eigenvalue, see :data:`DEFAULT_DIAGONAL_LOADING`. Steering vectors are used as given
    (unit-modulus entries from ``steering_matrix``), so a lone source of power ``p`` over
    noise ``sigma^2`` peaks at about ``p + sigma^2 / M``.

    Args:
        covariance: ``R``, shape ``(M, M)``.
        steering: ``A``, shape ``(M, N)``.
        diagonal_loading: relative loading, ``>= 0``.

    Returns:
        shape ``(N,)``, float64, linear power units.
    """
    r, a = _check_inputs(covariance, steering)
    return _mvdr(r, diagonal_loading)(a)


def music_spectrum(covariance: ArrayLike, steering: ArrayLike, num_sources: int) -> NDArray[np.float64]:
    """MUSIC (Schmidt 1986) pseudo-spectrum ``1 / ||E_n^H a||^2`` with ``a`` normalised to unit norm.

    ``E_n`` holds the ``M - K`` eigenvectors of ``R`` with the smallest eigenvalues (noise
    subspace).

    Args:
        covariance: ``R``, shape ``(M, M)``.
        steering: ``A``, shape ``(M, N)``.
        num_sources: ``K``, ``1 <= K <= M - 1``.

    Returns:
        shape ``(N,)``, float64, linear (dimensionless, ``>= 1``).
    """
    r, a = _check_inputs(covariance, steering)
    check_subspace_sources(num_sources, r.shape[0])
    return music_function(r, num_sources)(a)


def root_music(
    covariance: ArrayLike, num_sources: int, ula: UlaAxis, wavelength_m: float
) -> NDArray[np.float64]:
    """Root-MUSIC (Barabell 1983) azimuths for a uniform linear array.

    With ``C = E_n E_n^H`` the null spectrum ``a^H C a`` is, on the unit circle, the
    polynomial ``sum_l c_l z^l`` with ``c_l`` the sum of the ``l``-th diagonal of ``C``.
    Its roots come in pairs ``(z, 1/conj(z))``; the ``K`` roots inside the unit circle
    closest to it give ``sin(az - broadside) = angle(z) lambda / (2 pi d)``.
    Values of the sine beyond +-1 (possible only for spacing below ``lambda/2``) are
    clipped to endfire.

    Args:
        covariance: ``R``, shape ``(M, M)``, elements in the order of ``ula``.
        num_sources: ``K``, ``1 <= K <= M - 1``.
        ula: spacing and broadside of the array (``ArrayGeometry.ula_axis()``).
        wavelength_m: carrier wavelength in metres.

    Returns:
        azimuths in degrees, shape ``(K,)``, ascending, SigMF frame.
    """
    r = check_covariance(covariance)
    check_subspace_sources(num_sources, r.shape[0])
    noise = _noise_subspace(r, num_sources)
    projector = noise @ noise.conj().T
    size = r.shape[0]
    # np.roots wants the highest power first: z^(M-1) ... z^-(M-1).
    coefficients = np.array([np.trace(projector, offset=lag) for lag in range(size - 1, -size, -1)])
    roots = np.roots(coefficients)
    inside = roots[np.abs(roots) < 1.0]
    closest = inside[np.argsort(1.0 - np.abs(inside))[:num_sources]]
    return np.sort(ula_azimuth_deg(np.angle(closest), ula, wavelength_m))


def esprit(covariance: ArrayLike, num_sources: int, ula: UlaAxis, wavelength_m: float) -> NDArray[np.float64]:
    """Total-least-squares ESPRIT (Roy & Kailath 1989) azimuths for a uniform linear array.

    The signal subspace ``E_s`` (``K`` dominant eigenvectors) of the two overlapping
    subarrays (elements ``0..M-2`` and ``1..M-1``) satisfies ``E_s2 = E_s1 Psi`` whose
    eigenvalues are ``z_k = exp(j 2 pi d sin(az_k - broadside) / lambda)``. ``Psi`` is the TLS
    solution ``-V_12 V_22^-1`` from the right singular vectors ``V`` of ``[E_s1 E_s2]``.
    Values of the sine beyond +-1 are clipped to endfire. Arguments and result as in
    :func:`root_music`.
    """
    return np.sort(ula_azimuth_deg(esprit_phases_rad(covariance, num_sources), ula, wavelength_m))


def esprit_phases_rad(covariance: ArrayLike, num_sources: int) -> NDArray[np.float64]:
    """The ``K`` phases ``angle(z_k)`` of the TLS-ESPRIT rotation ``Psi`` (see :func:`esprit`).

    ``z_k = exp(j 2 pi d sin(az_k - broadside) / lambda)`` for a ULA of spacing ``d``; the
    phases are what a caller needs when ``d`` exceeds ``lambda / 2`` and the sine is
    ambiguous (the sparse virtual arrays of :mod:`~gnuradio.bearing.h2ad.candidates`).

    Args:
        covariance: ``R``, shape ``(M, M)``, elements in ULA order.
        num_sources: ``K``, ``1 <= K <= M - 1``.

    Returns:
        phases in radians, shape ``(K,)``, in ``(-pi, pi]``, unordered.
    """
    r = check_covariance(covariance)
    check_subspace_sources(num_sources, r.shape[0])
    signal = np.linalg.eigh(r)[1][:, -num_sources:]
    _, _, vh = np.linalg.svd(np.hstack([signal[:-1], signal[1:]]))
    v = vh.conj().T
    psi = -v[:num_sources, num_sources:] @ np.linalg.inv(v[num_sources:, num_sources:])
    return np.angle(np.linalg.eigvals(psi))


@dataclass(frozen=True)
class Manifold:
    """Measured steering vectors on an estimator's grid, for :data:`CALIBRATED_MUSIC`.

    Attributes:
        steering: ``(M, N)`` complex, one measured steering vector per grid azimuth
            (:meth:`~gnuradio.bearing.doa.calibrated_music.CalibrationTable.on_grid`).
        covered: ``(N,)`` bool, the grid azimuths the calibration covers (peaks only there).
    """

    steering: NDArray[np.complex128]
    covered: NDArray[np.bool_]


@dataclass(frozen=True)
class Estimate:
    """Result of :meth:`Estimator.estimate`.

    Attributes:
        azimuth_deg: estimated azimuths, shape ``(K',)`` with ``K' <= K``, degrees, SigMF
            frame, ordered by decreasing ``peak_values``. Grid methods return fewer than
            ``K`` when the spectrum has fewer separated peaks.
        peak_values: the spectrum at those azimuths, shape ``(K',)``, linear units: the
            continuous spectrum at the (refined) peak for grid methods, the grid spectrum
            linearly interpolated at the estimates for root-MUSIC and ESPRIT.
        spectrum: shape ``(N,)`` on the estimator's grid, float64, linear units; the MUSIC
            pseudo-spectrum (for display) when the method is root-MUSIC or ESPRIT.
    """

    azimuth_deg: NDArray[np.float64]
    peak_values: NDArray[np.float64]
    spectrum: NDArray[np.float64]


class Estimator:
    """Angle-of-arrival estimation on a fixed array, carrier and azimuth grid.

    The steering matrix on the grid is computed once here. ``method`` (one of
    :data:`METHODS`) may be changed later, by assignment or :meth:`set_method`.

    Grid methods (Bartlett, MVDR, MUSIC) pick peaks with :func:`~gnuradio.bearing.doa.peaks.find_peaks`
    and, if ``refine``, maximise the continuous spectrum within one grid step of each
    peak (bounded Brent search), so that the grid step does not limit accuracy at high SNR.
    Root-MUSIC and ESPRIT need a ULA geometry and are grid-free; their bearings are reported
    within the grid's range (one step's slack), like the grid methods' peaks.

    The geometry decides what is searched (:func:`~gnuradio.bearing.array.field_of_view.resolvable_field`):
    bearings are only reported in the azimuths the array resolves (the front half-plane of a
    linear array, narrower with grating lobes (a lattice spaced over half a wavelength); a grid reaching
    beyond it still shows the mirror images or grating lobes in the spectrum, and
    :attr:`warnings` says why they are not reported). An array that resolves elevation as well
    (a vertical planar or a 3-D array) is refused: an azimuth-only search would misplace an
    emitter off the horizon; :class:`~gnuradio.bearing.doa.planar.PlanarEstimator` estimates
    both. So is a geometry that resolves no azimuth (one point, a vertical line).

    Args:
        geometry: the array (element positions in the SigMF frame).
        wavelength_m: carrier wavelength in metres.
        grid_deg: azimuth grid in degrees, shape ``(N,)``, strictly increasing, ``N >= 2``.
            A uniform grid spanning 360 degrees is treated as circular.
        method: one of :data:`METHODS`.
        min_separation_deg: minimum angle between two reported peaks (grid methods).
        refine: refine grid-method peaks off the grid.
        diagonal_loading: MVDR's relative diagonal loading (:func:`mvdr_spectrum`), ``>= 0``.
    """

    def __init__(
        self,
        geometry: ArrayGeometry,
        wavelength_m: float,
        grid_deg: ArrayLike,
        method: str = "music",
        min_separation_deg: float = 2.0,
        refine: bool = True,
        manifold: Manifold | None = None,
        diagonal_loading: float = DEFAULT_DIAGONAL_LOADING,
    ) -> None:
        check_positive(wavelength_m, "wavelength_m")
        if not min_separation_deg >= 0:
            raise ValueError(f"min_separation_deg must be >= 0, got {min_separation_deg!r}")
        self._geometry = geometry
        self._wavelength_m = float(wavelength_m)
        self._grid_deg = check_grid(grid_deg)
        self._circular = is_full_circle(self._grid_deg)
        self.field = resolvable_field(geometry, wavelength_m)
        """What the geometry resolves (:class:`~gnuradio.bearing.array.field_of_view.FieldOfView`)."""
        if self.field.resolves_elevation:
            raise GeometryError(
                f"the {geometry.num_elements}-element array resolves elevation as well as azimuth (a "
                f"{self.field.kind} aperture that is not horizontal): an azimuth-only search would "
                "misplace an emitter off the horizon; estimate both angles (doa.planar.PlanarEstimator, "
                "or the DoA Estimator block, which chooses it for such arrays)"
            )
        self._allowed = self.field.contains_azimuth(self._grid_deg)
        warning = self.field.azimuth_warning(float(self._grid_deg[0]), float(self._grid_deg[-1]))
        self.warnings: tuple[str, ...] = (warning,) if warning else ()
        """Why the grid reaches beyond what the array resolves (empty when it does not)."""
        self._steering = steering_matrix(geometry.positions_m, self._grid_deg, self._wavelength_m)
        self._ula = geometry.ula_axis()
        self._manifold = _check_manifold(manifold, geometry.num_elements, self._grid_deg.size)
        self.min_separation_deg = float(min_separation_deg)
        self.refine = bool(refine)
        self.diagonal_loading = check_diagonal_loading(diagonal_loading)
        self.method = method

    @property
    def geometry(self) -> ArrayGeometry:
        return self._geometry

    @property
    def wavelength_m(self) -> float:
        return self._wavelength_m

    @property
    def grid_deg(self) -> NDArray[np.float64]:
        """The azimuth grid, shape ``(N,)``, degrees (read-only)."""
        return self._grid_deg

    @property
    def method(self) -> str:
        return self._method

    @method.setter
    def method(self, method: str) -> None:
        if method == CALIBRATED_MUSIC and self._manifold is None:
            raise ValueError(
                f"method {method!r} needs a calibration table of the array (bearing calibrate; "
                "the block's calibration file, --calibration)"
            )
        if method not in METHODS and method != CALIBRATED_MUSIC:
            raise ValueError(
                f"unknown method {method!r}; choose one of {', '.join((*METHODS, CALIBRATED_MUSIC))}"
            )
        if method in ULA_METHODS and self._ula is None:
            raise ValueError(
                f"method {method!r} needs a horizontal uniform linear array in element order, but in the "
                f"{self._geometry.num_elements}-element geometry {self._geometry.ula_mismatch()}"
            )
        self._method = method

    def set_method(self, method: str) -> None:
        """Switch to another of :data:`METHODS` (``ValueError`` if unknown or not applicable)."""
        self.method = method

    def estimate(self, covariance: ArrayLike, num_sources: int) -> Estimate:
        """Estimate ``num_sources`` azimuths from a spatial covariance.

        Args:
            covariance: ``R``, shape ``(M, M)`` with ``M`` the number of elements.
            num_sources: ``K``, ``1 <= K <= M - 1``.

        Returns:
            the :class:`Estimate`; azimuths in degrees in the SigMF frame.
        """
        r = check_covariance(covariance, self._geometry.num_elements)
        check_subspace_sources(num_sources, r.shape[0])
        if self._method in ULA_METHODS:
            return self._estimate_ula(r, num_sources)
        if self._method == CALIBRATED_MUSIC:
            return self._estimate_calibrated(r, num_sources)
        spectrum_function = _spectrum_function(self._method, r, num_sources, self.diagonal_loading)
        spectrum = spectrum_function(self._steering)
        indices = find_peaks(
            spectrum, self._grid_deg, num_sources, self.min_separation_deg, allowed=self._allowed
        )
        if self.refine:
            refined = [self._refine_peak(spectrum_function, spectrum, i) for i in indices]
            azimuth_deg = np.array([a for a, _ in refined], dtype=np.float64)
            peak_values = np.array([v for _, v in refined], dtype=np.float64)
        else:
            azimuth_deg, peak_values = self._grid_deg[indices], spectrum[indices]
        return Estimate(azimuth_deg=azimuth_deg, peak_values=peak_values, spectrum=spectrum)

    def _estimate_ula(self, r: NDArray[np.complex128], num_sources: int) -> Estimate:
        assert self._ula is not None  # guaranteed by the method setter
        solver = root_music if self._method == "root-music" else esprit
        azimuth_deg = solver(r, num_sources, self._ula, self._wavelength_m)
        if not self._circular:  # grid-free, but reported only where the grid searches
            azimuth_deg = azimuth_deg[within_a_step(azimuth_deg, self._grid_deg)]
        spectrum = music_function(r, num_sources)(self._steering)
        period = FULL_CIRCLE_DEG if self._circular else None
        peak_values = np.interp(azimuth_deg, self._grid_deg, spectrum, period=period)
        order = np.argsort(peak_values, kind="stable")[::-1]
        return Estimate(azimuth_deg=azimuth_deg[order], peak_values=peak_values[order], spectrum=spectrum)

    def _estimate_calibrated(self, r: NDArray[np.complex128], num_sources: int) -> Estimate:
        """MUSIC on the measured manifold; peaks on the grid (the table's resolution), where the
        calibration covers and the array resolves."""
        assert self._manifold is not None  # guaranteed by the method setter
        spectrum = music_function(r, num_sources)(self._manifold.steering)
        allowed = self._allowed & self._manifold.covered
        indices = find_peaks(spectrum, self._grid_deg, num_sources, self.min_separation_deg, allowed=allowed)
        return Estimate(azimuth_deg=self._grid_deg[indices], peak_values=spectrum[indices], spectrum=spectrum)

    def _refine_peak(
        self, spectrum_function: SpectrumFunction, spectrum: NDArray[np.float64], index: int
    ) -> tuple[float, float]:
        """Maximise the continuous spectrum within one grid step of grid peak ``index``."""
        grid = self._grid_deg
        # Only a circular grid has peaks at its ends; there the step continues past the end.
        lower = grid[index - 1] if index > 0 else 2.0 * grid[0] - grid[1]
        upper = grid[index + 1] if index < grid.size - 1 else 2.0 * grid[-1] - grid[-2]

        def negative_spectrum(azimuth_deg: float) -> float:
            a = steering_matrix(self._geometry.positions_m, azimuth_deg, self._wavelength_m)
            return -float(spectrum_function(a)[0])

        result = scipy.optimize.minimize_scalar(
            negative_spectrum,
            bounds=(lower, upper),
            method="bounded",
            options={"xatol": REFINE_TOLERANCE_DEG},
        )
        if -result.fun <= spectrum[index]:
            return float(grid[index]), float(spectrum[index])
        azimuth_deg = float(result.x)
        if self._circular:
            azimuth_deg = grid[0] + (azimuth_deg - grid[0]) % FULL_CIRCLE_DEG
        return azimuth_deg, -float(result.fun)


def _check_manifold(manifold: Manifold | None, num_elements: int, grid_size: int) -> Manifold | None:
    """``manifold``, checked to hold one steering vector of the M elements per grid azimuth."""
    if manifold is not None and (
        manifold.steering.shape != (num_elements, grid_size) or manifold.covered.shape != (grid_size,)
    ):
        raise ValueError(
            f"the manifold holds {manifold.steering.shape[0]} elements x {manifold.steering.shape[1]} "
            f"azimuths; the estimator needs {num_elements} x {grid_size} (its array and grid)"
        )
    return manifold


def check_diagonal_loading(diagonal_loading: float) -> float:
    """MVDR's relative diagonal loading as a float if it is a finite number ``>= 0``, else a ValueError."""
    if not (np.isfinite(diagonal_loading) and diagonal_loading >= 0):
        raise ValueError(f"diagonal_loading must be a finite number >= 0, got {diagonal_loading!r}")
    return float(diagonal_loading)


def _spectrum_function(
    method: str,
    r: NDArray[np.complex128],
    num_sources: int,
    diagonal_loading: float = DEFAULT_DIAGONAL_LOADING,
) -> SpectrumFunction:
    if method == "bartlett":
        return _bartlett(r)
    if method == "mvdr":
        return _mvdr(r, diagonal_loading)
    return music_function(r, num_sources)


def _bartlett(r: NDArray[np.complex128]) -> SpectrumFunction:
    return lambda a: _quadratic_form(a, r @ a) / _squared_norm(a)


def _mvdr(r: NDArray[np.complex128], diagonal_loading: float) -> SpectrumFunction:
    check_diagonal_loading(diagonal_loading)
    size = r.shape[0]
    loading = diagonal_loading * np.trace(r).real / size
    try:
        inverse = np.linalg.inv(r + loading * np.eye(size))
    except np.linalg.LinAlgError as error:
        raise ValueError(
            f"MVDR cannot invert the covariance (trace {np.trace(r).real:.3g}) with relative "
            f"diagonal loading {diagonal_loading:g}"
        ) from error
    return lambda a: 1.0 / _quadratic_form(a, inverse @ a)


def music_function(r: NDArray[np.complex128], num_sources: int) -> SpectrumFunction:
    """MUSIC's pseudo-spectrum of a checked ``(M, M)`` covariance as a function of the steering
    matrix (:func:`music_spectrum` without the checks, for callers that evaluate many grids)."""
    noise_adjoint = _noise_subspace(r, num_sources).conj().T
    tiny = np.finfo(np.float64).tiny
    return lambda a: _squared_norm(a) / np.maximum(_squared_norm(noise_adjoint @ a), tiny)


def _noise_subspace(r: NDArray[np.complex128], num_sources: int) -> NDArray[np.complex128]:
    """The ``M - K`` eigenvectors of the smallest eigenvalues, shape ``(M, M - K)``."""
    return np.linalg.eigh(r)[1][:, : r.shape[0] - num_sources]


def _quadratic_form(a: NDArray[np.complex128], b: NDArray[np.complex128]) -> NDArray[np.float64]:
    """``Re(a_n^H b_n)`` for each column ``n``."""
    return np.einsum("mn,mn->n", a.conj(), b).real


def _squared_norm(a: NDArray[np.complex128]) -> NDArray[np.float64]:
    return _quadratic_form(a, a)


def ula_azimuth_deg(phase_rad: NDArray[np.float64], ula: UlaAxis, wavelength_m: float) -> NDArray[np.float64]:
    """Azimuths whose inter-element phase step is ``phase_rad = sign 2 pi d sin(az - broadside) / lambda``
    (:class:`~gnuradio.bearing.array.geometry.UlaAxis`), in the front half-plane ``broadside +- 90``."""
    check_positive(wavelength_m, "wavelength_m")
    sine = np.clip(ula.sign * phase_rad * wavelength_m / (2.0 * np.pi * ula.spacing_m), -1.0, 1.0)
    return wrap_deg(ula.broadside_azimuth_deg + np.rad2deg(np.arcsin(sine)))


def _check_inputs(
    covariance: ArrayLike, steering: ArrayLike
) -> tuple[NDArray[np.complex128], NDArray[np.complex128]]:
    r = check_covariance(covariance)
    a = np.asarray(steering)
    if a.ndim != 2 or a.shape[0] != r.shape[0]:
        raise ValueError(
            f"steering must have shape (M, N) with M = {r.shape[0]} (the covariance size), "
            f"got shape {a.shape}"
        )
    a = a.astype(np.complex128, copy=False)
    if not np.all(np.isfinite(a)):
        raise ValueError("steering contains NaN or infinite values")
    return r, a
