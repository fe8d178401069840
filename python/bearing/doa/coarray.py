"""The coarray model of MoD-DNN (Liu et al. 2025, Sec. 2-3, eqs. 3-4 and 13-14).

For a grid ``theta_1 .. theta_L`` the coarray manifold is
``A~ = [vec(a(theta_1) a(theta_1)^H), ..., vec(a(theta_L) a(theta_L)^H)]`` (shape ``(M^2, L)``)
with the unit-modulus steering vectors of :func:`~gnuradio.bearing.array.geometry.steering_matrix`. A
covariance ``R`` gives the
coarray vector ``y = vec(R)``, the coarray DBF spectrum ``eta_hat = Re(A~^H y)`` and, with
``P = Re(A~^H A~)`` (entries ``|a_i^H a_j|^2``), the SCG system ``(P + lambda I) eta = b``.

Scale (a choice, see docs/scg.md): ``y = vec(R / (trace(R) / M))``, the covariance
normalised to unit mean element power. Then a lone noise-free source gives exactly
``eta = e_s`` (the one-hot vector of its grid angle) and ``eta_hat = P e_s`` peaks at
``M^2``, and lambda = 0.1 means what it means in the paper.

``P`` has rank ``r <= M^2`` (``2M - 1`` for a ULA: ``vec(a a^H)`` holds only the
``2M - 1`` lags), so it is kept in factored form ``P = G^T G`` with ``G`` of shape
``(r, L)``: from the SVD ``[Re A~; Im A~] = U S V^T``, ``G = S_r V_r^T``. The rows of ``A~``
that belong to one difference of element positions (one lag of the coarray) are equal, so
they are merged first, one row per lag scaled by the square root of its multiplicity: the
same ``P``, and for a ULA ``2 (2M - 1)`` rows instead of ``2 M^2`` (a 512-element ULA's
stacked manifold on the paper's grid would take 5 GB; merged, 20 MB). Only when even the
merged rows would take more than :data:`SVD_MAX_VALUES` values (an array of many distinct
differences, such as a large UCA) does ``G`` come from the eigendecomposition ``P = V Lambda
V^T``, ``G = Lambda_r^(1/2) V_r^T``, in ``O(L^2)`` memory whatever ``M``, with its own rank
tolerance (:data:`GRAM_RANK_TOLERANCE`). A product with ``P`` costs ``O(r L)``; the dense
``L x L`` matrix is only built on request (:meth:`CoarrayModel.projection`). The spectrum
``eta_hat`` is computed from the steering vectors, ``Re(a_l^H Y a_l)`` with ``Y`` the
normalised covariance, in ``O(M^2 L)``.

Models are cached per geometry, carrier and grid (:func:`coarray_model`); sub-grids for
angular subregions share the factor's columns (:meth:`CoarrayModel.subregion`).
"""

from __future__ import annotations

import itertools
from functools import cached_property, lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import check_covariance
from ..array.field_of_view import GeometryError, resolvable_field
from ..array.geometry import ArrayGeometry, wavelength_m
from .grid import azimuth_grid
from .scg import DEFAULT_OPTIONS, ScgOptions, solve

RANK_TOLERANCE = 1e-10
"""Singular values of the coarray manifold below this fraction of the largest are dropped."""

SVD_MAX_VALUES = 20_000_000
"""The largest merged, stacked coarray manifold (values, 160 MB) factored by an SVD; beyond it,
the eigendecomposition of ``P``."""

GRAM_RANK_TOLERANCE = 1e-12
"""Eigenvalues of ``P`` (the squared singular values) below this fraction of the largest are
dropped: an eigendecomposition resolves them to about 1e-16 of the largest, so a singular
value below 1e-6 of the largest is rounding there."""

DEFAULT_FIELD_OF_VIEW_DEG = (-60.0, 60.0, 0.1)
"""The paper's grid: -60 .. 60 degrees at 0.1 degree (L = 1201), about the broadside of a ULA
facing boresight."""


def default_coarray_grid(geometry: ArrayGeometry, frequency_hz: float) -> tuple[float, float, float]:
    """``(start, stop, step)`` of the coarray grid of ``geometry`` at the carrier
    ``frequency_hz`` when none is given, degrees: the paper's :data:`DEFAULT_FIELD_OF_VIEW_DEG`
    about the array's front (a linear array's broadside nearest boresight,
    :func:`~gnuradio.bearing.array.field_of_view.field_of_view`: -60 .. 60 for a ULA along y,
    0 .. 120 for one turned by 60 degrees), cut to what it resolves (grating lobes of a line
    spaced over half a wavelength: :func:`~gnuradio.bearing.array.field_of_view.resolvable_field`);
    the full circle (circular) for an array that resolves every azimuth (a UCA).

    Raises:
        GeometryError: the geometry resolves no azimuth.
    """
    field = resolvable_field(geometry, wavelength_m(frequency_hz))
    low, high, step = DEFAULT_FIELD_OF_VIEW_DEG
    if field.full_circle or field.front_deg is None:
        return -180.0, 180.0, step
    start, stop = field.azimuth_deg
    return max(field.front_deg + low, start), min(field.front_deg + high, stop), step


class CoarrayModel:
    """Coarray manifold of one array on one azimuth grid, in factored form.

    Args:
        geometry: element positions (SigMF spatial frame): an array that resolves azimuth
            (:func:`~gnuradio.bearing.array.field_of_view.field_of_view`); one that resolves
            elevation too is refused (the coarray model is azimuth-only).
        frequency_hz: carrier frequency.
        grid_deg: azimuths ``theta_1 .. theta_L`` in degrees.
    """

    def __init__(self, geometry: ArrayGeometry, frequency_hz: float, grid_deg: ArrayLike) -> None:
        field = resolvable_field(geometry, wavelength_m(frequency_hz))
        if field.resolves_elevation:
            raise GeometryError(
                "coarray DBF and SCG estimate azimuth only, on emitters in the array's horizontal plane; "
                f"this {field.kind} array resolves elevation too"
            )
        self.field = field
        """What the geometry resolves at the carrier (bearings outside it are mirror images or
        grating lobes)."""
        grid = np.asarray(grid_deg, dtype=np.float64)
        if grid.ndim != 1 or grid.size < 1 or not np.all(np.isfinite(grid)):
            raise ValueError(
                f"grid_deg must be a non-empty 1-D array of finite angles, got shape {grid.shape}"
            )
        self.geometry = geometry
        self.frequency_hz = float(frequency_hz)
        self.grid_deg = grid
        self.steering = geometry.steering(grid, self.frequency_hz)
        """``a(theta_l)``, shape ``(M, L)``, complex128."""
        self.factor = _factor(self.steering, geometry.positions_m)
        """``G``, shape ``(r, L)``, float64: ``P = G^T G``."""

    @property
    def num_elements(self) -> int:
        return self.geometry.num_elements

    @property
    def rank(self) -> int:
        """``r``, the rank of ``P``."""
        return self.factor.shape[0]

    def manifold(self) -> NDArray[np.complex128]:
        """``A~``, shape ``(M^2, L)``: column ``l`` is ``vec(a a^H)`` at ``grid_deg[l]`` (row-major vec)."""
        return _manifold(self.steering)

    def projection(self) -> NDArray[np.float64]:
        """Dense ``P = Re(A~^H A~)``, shape ``(L, L)``. For tests and small grids only."""
        return self.factor.T @ self.factor

    def apply_projection(self, eta: ArrayLike) -> NDArray[np.float64]:
        """``P eta`` in factored form; ``eta`` has shape ``(..., L)``."""
        values = np.asarray(eta, dtype=np.float64)
        return (values @ self.factor.T) @ self.factor

    def coarray_vector(
        self, covariance: ArrayLike, remove_noise_floor: bool = False
    ) -> NDArray[np.complex128]:
        """``y = vec(R / (trace(R) / M))``, shape ``(M^2,)`` (row-major vec, like :meth:`manifold`).

        With ``remove_noise_floor``, ``R - lambda_min(R) I`` replaces ``R``: the smallest
        eigenvalue estimates the white-noise power. The coarray model
        ``R = sum_l eta_l a_l a_l^H`` has no noise term, and SCG otherwise explains the noise
        floor with extra spikes that split and bias the peaks (measured in docs/scg.md).
        """
        r = check_covariance(covariance, self.num_elements)
        if remove_noise_floor:
            r = r - np.linalg.eigvalsh(r)[0] * np.eye(self.num_elements)
        power = np.real(np.trace(r)) / self.num_elements
        if not power > 0:
            raise ValueError(f"covariance has no power (trace {np.real(np.trace(r))!r})")
        return (r / power).reshape(-1)

    def spectrum(self, covariance: ArrayLike, remove_noise_floor: bool = False) -> NDArray[np.float64]:
        """Coarray DBF spectrum ``eta_hat = Re(A~^H y)``, shape ``(L,)``, float64 (eq. 14).

        It equals the Bartlett power ``a^H R a`` of the normalised covariance: at most ``M^2``.
        ``remove_noise_floor``: see :meth:`coarray_vector`.
        """
        y = self.coarray_vector(covariance, remove_noise_floor).reshape(self.num_elements, -1)
        return np.real(np.sum(self.steering.conj() * (y @ self.steering), axis=0))

    @cached_property
    def range_basis(self) -> NDArray[np.float64]:
        """Orthonormal basis ``Q``, shape ``(L, r)``, of the range of ``P`` (the row space of ``G``)."""
        basis, _ = np.linalg.qr(self.factor.T)
        return basis

    def project_onto_range(self, spectrum: ArrayLike) -> NDArray[np.float64]:
        """``Q Q^T eta_hat`` in float64: a spectrum with its part outside the range of ``P`` removed.

        A coarray DBF spectrum ``eta_hat = Re(A~^H y)`` lies in the range of ``P`` (dimension
        ``r``, 7 for 4 elements), and projecting leaves it unchanged. Rounding it to float32
        on a stream adds a component outside that range: invisible in the spectrum, but SCG
        amplifies it, and on a 0.1 degree grid it moves a noise-free bearing by 0.1 to 0.5
        degrees. Shape ``(..., L)``.
        """
        values = np.asarray(spectrum, dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise ValueError("the coarray spectrum contains NaN or infinite values")
        return (values @ self.range_basis) @ self.range_basis.T

    def sparse_spectrum(self, right_hand_side: ArrayLike, options: ScgOptions = DEFAULT_OPTIONS) -> NDArray:
        """SCG on this grid: ``eta`` solving ``(P + lambda I) eta = b`` with the sparsity step.

        Args:
            right_hand_side: ``b``, shape ``(L,)`` or ``(batch, L)``, float32 or float64
                (``eta_hat`` alone, or ``eta_hat + lambda z`` inside MoDL-SSR).
            options: SCG parameters.

        Returns:
            ``eta`` with the shape and float type of ``b``.
        """
        return solve(right_hand_side, factor=self.factor, options=options)[0]

    def subregion(self, start_deg: float, stop_deg: float) -> CoarrayModel:
        """The model restricted to ``start_deg <= theta < stop_deg`` (``<=`` at the grid's last angle).

        The sub-model takes the factor's and the steering vectors' columns, so ``P`` of the
        subregion is the corresponding block of ``P``.
        """
        last = self.grid_deg[-1]
        inside = (self.grid_deg >= start_deg) & ((self.grid_deg < stop_deg) | (self.grid_deg == last))
        inside &= self.grid_deg <= stop_deg
        if not np.any(inside):
            raise ValueError(f"no grid angle in [{start_deg}, {stop_deg}) degrees")
        sub = object.__new__(CoarrayModel)
        sub.geometry, sub.frequency_hz = self.geometry, self.frequency_hz
        sub.grid_deg = self.grid_deg[inside]
        sub.factor = np.ascontiguousarray(self.factor[:, inside])
        sub.steering = np.ascontiguousarray(self.steering[:, inside])
        return sub

    def subregions(self, edges_deg: ArrayLike) -> list[CoarrayModel]:
        """One sub-model per interval ``[edges[p], edges[p + 1])``, the last one closed."""
        edges = np.asarray(edges_deg, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"edges_deg must be increasing with at least two values, got {edges_deg!r}")
        return [self.subregion(lo, hi) for lo, hi in itertools.pairwise(edges)]


def coarray_model(
    positions_m: ArrayLike,
    frequency_hz: float,
    grid_start_deg: float | None = None,
    grid_stop_deg: float | None = None,
    grid_step_deg: float | None = None,
) -> CoarrayModel:
    """The cached :class:`CoarrayModel` of an array on an
    :func:`~gnuradio.bearing.doa.grid.azimuth_grid`; a bound left None is the array's own
    (:func:`default_coarray_grid`).

    Computed once per (positions, carrier, grid): every block and estimate with the same
    array shares it. Treat the returned model as read-only.
    """
    positions = np.asarray(positions_m, dtype=np.float64)
    grid = coarray_grid_range(positions, frequency_hz, grid_start_deg, grid_stop_deg, grid_step_deg)
    key = (positions.shape, tuple(positions.ravel().tolist()))
    return _cached_model(key, float(frequency_hz), *grid)


def coarray_grid_range(
    positions_m: ArrayLike,
    frequency_hz: float,
    grid_start_deg: float | None = None,
    grid_stop_deg: float | None = None,
    grid_step_deg: float | None = None,
) -> tuple[float, float, float]:
    """``(start, stop, step)`` in degrees with each bound left None taken from
    :func:`default_coarray_grid` of the array ``positions_m`` (``(M, 3)`` metres) at the carrier
    ``frequency_hz``."""
    given = (grid_start_deg, grid_stop_deg, grid_step_deg)
    if any(value is None for value in given):
        own = default_coarray_grid(ArrayGeometry(np.asarray(positions_m, dtype=np.float64)), frequency_hz)
        given = tuple(o if v is None else v for v, o in zip(given, own, strict=True))
    start, stop, step = (float(value) for value in given)  # type: ignore[arg-type]
    return start, stop, step


@lru_cache(maxsize=32)
def _cached_model(
    positions_key: tuple, frequency_hz: float, start_deg: float, stop_deg: float, step_deg: float
) -> CoarrayModel:
    shape, values = positions_key
    geometry = ArrayGeometry(np.asarray(values, dtype=np.float64).reshape(shape))
    return CoarrayModel(geometry, frequency_hz, azimuth_grid(start_deg, stop_deg, step_deg))


def _manifold(steering: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """``A~``, shape ``(M^2, L)``, of the steering vectors ``(M, L)`` (row-major vec)."""
    m = steering.shape[0]
    return (steering[:, None, :] * steering.conj()[None, :, :]).reshape(m * m, -1)


def _factor(steering: NDArray[np.complex128], positions_m: NDArray[np.float64]) -> NDArray[np.float64]:
    """``G`` with ``P = G^T G``, shape ``(r, L)``, of the steering vectors ``(M, L)`` of elements
    at ``positions_m`` ``(M, 3)`` (module docstring): from the SVD of the stacked coarray
    manifold with one row per lag, or, when that is too large, from the eigendecomposition of
    ``P = |A^H A|^2`` (elementwise)."""
    lag_rows = _lag_rows(steering, positions_m)
    if 2 * lag_rows.size <= SVD_MAX_VALUES:
        _, s, vt = np.linalg.svd(_real_stack(lag_rows), full_matrices=False)
        rank = int(np.sum(s > RANK_TOLERANCE * s[0]))
        return np.ascontiguousarray(s[:rank, None] * vt[:rank])
    eigenvalues, vectors = np.linalg.eigh(np.abs(steering.conj().T @ steering) ** 2)
    keep = eigenvalues > GRAM_RANK_TOLERANCE * eigenvalues[-1]
    return np.ascontiguousarray((np.sqrt(eigenvalues[keep])[:, None] * vectors[:, keep].T)[::-1])


LAG_DECIMALS = 9
"""Position differences equal to the nanometre are one lag."""


def _lag_rows(steering: NDArray[np.complex128], positions_m: NDArray[np.float64]) -> NDArray[np.complex128]:
    """The coarray manifold's rows merged by lag: ``sqrt(c_d) a_m conj(a_n)`` for one pair
    ``(m, n)`` of each distinct difference ``d = p_m - p_n`` met ``c_d`` times, ``(D, L)``:
    ``Re(R^H R)`` is ``P``, as for the ``M^2`` rows of ``A~``."""
    m = positions_m.shape[0]
    differences = np.round(positions_m[:, None, :] - positions_m[None, :, :], LAG_DECIMALS).reshape(-1, 3)
    _, first, counts = np.unique(differences, axis=0, return_index=True, return_counts=True)
    rows, columns = np.divmod(first, m)
    return np.sqrt(counts)[:, None] * steering[rows] * steering[columns].conj()


def _real_stack(values: NDArray[np.complex128]) -> NDArray[np.float64]:
    """``[Re v; Im v]`` along the first axis."""
    return np.concatenate([values.real, values.imag], axis=0)
