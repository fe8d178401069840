"""Bearings and array perturbations together: the IDL-TLBO estimator (Aquino and Vairavel, IJAP 2025).

The model of the paper's Sec. 3: snapshots ``Y = G A(theta) S + W`` (``(M, N)``), with ``A`` the
nominal steering matrix (``(M, K)``, :func:`~gnuradio.bearing.array.geometry.steering_matrix`),
``S`` the source amplitudes (``(K, N)``), ``W`` white Gaussian noise of power ``sigma^2`` and
``G = diag(g)``, ``g = 1 + delta`` the per-element complex gains of the perturbed array: its gain
and phase errors and the phase its element-position errors give in the source's direction.

The objective. The paper's eq. (20) is missing from its text; NOTES.md reads it as
``||Y - B A(theta; p + dp) S||^2 + lambda ||S||_1`` over a sparse angle vector and the
perturbations. What is built, each choice visible here:

1. **The sparse angle vector** is K non-zero entries at continuous directions ``theta`` (the
   discipline-1 learners; K the source count, given or counted upstream), their amplitudes by
   least squares, ``S = (G A)^+ Y``. The l1 term is dropped (``lambda = 0``): with the support
   fixed at K entries it only shrinks the amplitudes, which biases the fit, and K is the sparsity.
2. **The perturbations** are the complex gains ``g`` (the discipline-2 learners, ``[Re delta,
   Im delta]``, ``2M`` variables) with a Gaussian prior ``delta ~ CN(0, sigma_delta^2 I)``
   (:func:`gain_variance` from the perturbation's standard deviations), which makes the problem
   well posed: without it every bearing fits one snapshot of one source exactly. The objective is
   the negative log posterior (MAP, Viberg and Swindlehurst 1994),
   ``J(theta, delta) = ||Y - G A S||^2 / sigma^2 + ||delta||^2 / sigma_delta^2``, computed from the
   covariance ``R = Y Y^H / N`` alone (``||Y - G A S||^2 = N (tr R - tr(P_{GA} R))``, point 5).
3. **Element positions** are not estimated apart from the gains: their error enters the phase
   ``2 pi u . dr / lambda``, which for one source the gain ``g_m`` holds exactly; for several
   sources the differing phases stay a model error. Their variance is part of ``sigma_delta^2``.
4. **The closed form.** Given ``theta`` the MAP gains are a per-element ridge regression,
   ``g_m = (sum_t conj(x_mt) y_mt + kappa) / (sum_t |x_mt|^2 + kappa)``, ``x = A S``,
   ``kappa = sigma^2 / sigma_delta^2``, alternated with ``S`` a few times
   (:data:`CLOSED_FORM_ROUNDS`). With ``closed_form=True`` (default) it is one learner of
   discipline 2 every iteration (:func:`~.tlbo.idl_tlbo`'s ``closed_form_v``): 2M variables are
   too many for 100 TLBO iterations to search alone (``closed_form=False``, the paper-literal
   search, shows it: docs/idl-tlbo.md).
5. **The noise power** ``sigma^2`` is estimated once: when ``N > M``, the mean of the ``M - K``
   smallest eigenvalues of ``R``, and ``R`` is then taken as its K-dimensional signal subspace
   above that floor, ``F F^H + sigma^2 I`` with ``F = E_s (Lambda_s - sigma^2)^(1/2)`` (the
   stochastic model's structure): the floor adds a constant to the objective, and an estimate
   costs as little as for K snapshots (the closed form then neglects the noise's own share of
   each element's correlation, of relative order ``sigma^2 K / (M P_s)``). When ``N <= M``, the
   residual of the nominal array's fit at the coarse scan's best directions per degree of
   freedom, ``(tr R - tr(P_A R)) / (M - K)`` (perturbation and noise together: what the nominal
   model cannot explain), and ``R = F F^H`` exactly (rank ``N`` at most).
6. **The start.** Both optimisers start from a Bartlett scan on the search grid
   (:meth:`IdlTlboEstimator.bartlett`; :data:`~.search.DEFAULT_PLANAR_STEP_DEG` for a 2-D
   search): the first learner holds its K strongest peaks, half the population its other
   peaks, the rest uniform draws in the search box; the perturbation learners start at the
   prior's draws, the first at zero.

What the perturbation estimate can and cannot do: with one source, a ``g_m`` per element fits
any direction, so only the prior decides, and the MAP bearing is the nominal maximum-likelihood
one (for one snapshot, Bartlett's and MUSIC's peak): IDL-TLBO cannot beat MUSIC there, it can
only match it. With two or more sources and enough snapshots the gains are identifiable up to a
common complex factor and a linear phase trend (docs/idl-tlbo.md, "what the data can and cannot
tell"); the prior pins those to their smallest norm.

Optimisers (``optimiser``): ``"idl-tlbo"``, the two disciplines of :func:`~.tlbo.idl_tlbo`;
``"tlbo"``, Rao's TLBO (:func:`~.tlbo.tlbo`) on the joint vector ``[theta, delta]`` (the paper's
plain-TLBO baseline), with the same start and objective.

Shapes: covariance ``(M, M)`` complex; angles in degrees in the SigMF spatial frame (boresight
+x, azimuth clockwise seen from above, elevation above the horizon); estimation in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import check_covariance
from ..array.geometry import ArrayGeometry, direction_vectors, steering_matrix
from ..array.impairments import ImpairmentSpec
from ..validation import check_integer, check_num_sources
from .peaks import find_peaks
from .planar import find_peaks_2d
from .search import SearchGrid, search_grid
from .self_calibration import linear_phase_trend, shifted_directions
from .tlbo import Result, idl_tlbo, tlbo

OPTIMISERS = ("idl-tlbo", "tlbo")
DEFAULT_POPULATION = 30
"""Learners per discipline (the paper gives none); 100 iterations on a 16 x 16 URA take 0.8 s
(median) on one core (`tests/bench/idl_tlbo_speed.py`, docs/idl-tlbo.md)."""
DEFAULT_ITERATIONS = 100
"""The paper's iterations (Sec. 6)."""
CLOSED_FORM_ROUNDS = 3
"""Alternations of the least-squares amplitudes and the MAP gains in the closed form."""
PRIOR_SPREAD = 4.0
"""The perturbation learners' box: +-4 prior standard deviations per real variable."""
GRAM_LOADING = 1e-10
"""Relative diagonal loading of the sources' Gram matrix ``B^H B``: learners with two sources in
one direction (a singular Gram matrix) get the projection onto that direction."""
RANK_TOLERANCE = 1e-12
"""Eigenvalues of the covariance below this fraction of the largest are dropped from its factor
(the default ``rank_tolerance``: float64 input; complex64 items want float32's epsilon, or a
window of fewer snapshots than elements keeps a full rank of rounding, and costs as much)."""


def gain_variance(spec: ImpairmentSpec, wavelength_m: float) -> float:
    """``sigma_delta^2 = E |g - 1|^2`` of ``g = 10^(x / 20) exp(j phi)`` for zero-mean Gaussian
    ``x`` (``spec.gain_std_db``, dB) and ``phi`` (``spec.phase_std_deg`` and, per axis,
    ``2 pi spec.position_std_m / wavelength_m`` for the position errors along a unit direction):
    ``E|g|^2 - 2 E[g] + 1`` with the log-normal and wrapped-normal moments, exactly."""
    log_gain_std = np.log(10.0) / 20.0 * spec.gain_std_db
    phase_var = np.deg2rad(spec.phase_std_deg) ** 2 + (2.0 * np.pi * spec.position_std_m / wavelength_m) ** 2
    mean_square = np.exp(2.0 * log_gain_std**2)
    mean = np.exp(log_gain_std**2 / 2.0 - phase_var / 2.0)
    return float(mean_square - 2.0 * mean + 1.0)


@dataclass(frozen=True)
class JointEstimate:
    """One IDL-TLBO estimate.

    Attributes:
        azimuth_deg: ``(K,)`` degrees, in the order of the best learner.
        elevation_deg: ``(K,)`` degrees; None for an azimuth-only array.
        gains: ``(M,)`` complex gains of the array as estimated, ``g_0 = 1`` (element 0 the
            reference: a common factor is not identifiable); the correction that makes the array
            nominal is ``1 / gains``.
        value: the objective at the estimate.
        history: ``(iterations + 1,)`` the best objective after each iteration.
        evaluations: learners evaluated.
        noise_power: the ``sigma^2`` used, in the covariance's units.
    """

    azimuth_deg: NDArray[np.float64]
    elevation_deg: NDArray[np.float64] | None
    gains: NDArray[np.complex128]
    value: float
    history: NDArray[np.float64] = field(repr=False)
    evaluations: int
    noise_power: float


class IdlTlboEstimator:
    """Azimuth (and elevation, for arrays that resolve it) with the array's gains, from a covariance.

    Args:
        geometry: nominal element positions.
        wavelength_m: carrier wavelength, metres.
        prior: the perturbation's standard deviations (gain, phase, position; the other fields
            of :class:`~gnuradio.bearing.array.impairments.ImpairmentSpec` are not modelled).
        population: learners per discipline.
        iterations: of the optimiser.
        seed: seeds every draw; an estimate is deterministic for a given seed.
        optimiser: one of :data:`OPTIMISERS`.
        closed_form: the closed-form gains as a learner of discipline 2 (IDL-TLBO only).
        search: the search box and coarse grid (None: the array's own, :func:`~.search.search_grid`).
        min_separation_deg: between the start's peaks.
        rank_tolerance: :data:`RANK_TOLERANCE`.
    """

    def __init__(
        self,
        geometry: ArrayGeometry,
        wavelength_m: float,
        prior: ImpairmentSpec,
        population: int = DEFAULT_POPULATION,
        iterations: int = DEFAULT_ITERATIONS,
        seed: int = 0,
        optimiser: str = "idl-tlbo",
        closed_form: bool = True,
        search: SearchGrid | None = None,
        min_separation_deg: float = 2.0,
        rank_tolerance: float = RANK_TOLERANCE,
    ) -> None:
        if optimiser not in OPTIMISERS:
            raise ValueError(f"optimiser: one of {', '.join(OPTIMISERS)}, got {optimiser!r}")
        self.geometry = geometry
        self.wavelength_m = float(wavelength_m)
        self.gain_variance = gain_variance(prior, self.wavelength_m)
        if not self.gain_variance > 0:
            raise ValueError("prior: the perturbation's standard deviations must not all be zero")
        self.population = check_integer(population, "population", 2)
        self.iterations = check_integer(iterations, "iterations", 0)
        self.seed = int(seed)
        self.optimiser = optimiser
        self.closed_form = bool(closed_form)
        self.min_separation_deg = float(min_separation_deg)
        self.rank_tolerance = float(rank_tolerance)
        self.search = search_grid(geometry, wavelength_m=self.wavelength_m) if search is None else search
        self.planar = self.search.elevation_deg is not None
        az_low, az_high, _ = self.search.azimuth_range_in_field()
        self._azimuth_box = (az_low, az_high)
        self._elevation_box = (
            (self.search.elevation_range[0], self.search.elevation_range[1]) if self.planar else None
        )
        self._scan = self._scan_steering()

    @property
    def num_elements(self) -> int:
        return self.geometry.num_elements

    def estimate(
        self,
        covariance: ArrayLike,
        num_snapshots: int,
        num_sources: int = 1,
        reference_deg: tuple[float, float] | None = None,
    ) -> JointEstimate:
        """The bearings and gains of ``covariance`` (``(M, M)``, the sample covariance of
        ``num_snapshots`` snapshots; one snapshot ``y`` gives ``y y^H``) for ``num_sources`` K.

        ``reference_deg``: ``(azimuth, elevation)`` of one of the sources, if known (a beacon),
        for K >= 2: it fixes the common shift that the data leave open (``_without_trend``).

        Raises:
            ValueError: a covariance of another size, not finite or not Hermitian, or K >= M.
        """
        r = check_covariance(covariance, self.num_elements)
        snapshots = check_integer(num_snapshots, "num_snapshots", 1)
        k = check_num_sources(num_sources)
        if k >= self.num_elements:
            raise ValueError(f"num_sources: fewer than the {self.num_elements} elements, got {k}")
        if reference_deg is not None and k < 2:
            raise ValueError(
                "reference_deg: a known bearing fixes the gains' phase trend for 2 or more sources"
            )
        problem = _Problem(self, r, snapshots, k, reference_deg)
        initial_u = problem.initial_angles(self.population)
        initial_v = problem.initial_perturbations(np.random.default_rng([self.seed, 1]), self.population)
        if self.optimiser == "idl-tlbo":
            result = idl_tlbo(
                problem.objective,
                problem.angle_box,
                problem.perturbation_box,
                self.population,
                self.iterations,
                self.seed,
                initial_u,
                initial_v,
            )
        else:
            low = np.concatenate([problem.angle_box[0], problem.perturbation_box[0]])
            high = np.concatenate([problem.angle_box[1], problem.perturbation_box[1]])
            result = tlbo(
                problem.joint_objective,
                low,
                high,
                self.population,
                self.iterations,
                self.seed,
                np.hstack([initial_u, initial_v[: initial_u.shape[0]]]),
            )
        return problem.result(result)

    def bartlett(self, covariance: ArrayLike) -> NDArray[np.float64]:
        """The Bartlett (delay-and-sum) power ``a^H R a`` of ``covariance`` on the search grid, the
        scan the optimiser starts from: ``(N_el, N_az)``, or ``(N_az,)`` for an azimuth-only array."""
        factor = covariance_factor(check_covariance(covariance, self.num_elements), self.rank_tolerance)
        power = np.sum(np.abs(self._scan @ factor) ** 2, axis=1)
        return power if not self.planar else power.reshape(self.search.elevation_deg.size, -1)

    def _scan_steering(self) -> NDArray[np.complex128]:
        """The conjugated steering vectors of the search grid as rows, ``(N_el N_az, M)`` (once)."""
        if self.planar:
            az_mesh, el_mesh = np.meshgrid(self.search.azimuth_deg, self.search.elevation_deg)
        else:
            az_mesh, el_mesh = self.search.azimuth_deg, np.zeros_like(self.search.azimuth_deg)
        a = steering_matrix(self.geometry.positions_m, az_mesh.ravel(), self.wavelength_m, el_mesh.ravel())
        return np.ascontiguousarray(a.conj().T)


def covariance_factor(r: NDArray[np.complex128], tolerance: float) -> NDArray[np.complex128]:
    """``F`` ``(M, rank)`` with ``R = F F^H`` from the eigenvalues above ``tolerance`` times the
    largest: a scan or a fit then costs the rank, not M."""
    values, vectors = np.linalg.eigh(r)
    keep = values > tolerance * max(values[-1], np.finfo(float).tiny)
    return vectors[:, keep] * np.sqrt(values[keep])


class _Problem:
    """One estimate's objective: the covariance's factor, the noise power and the boxes."""

    def __init__(
        self,
        estimator: IdlTlboEstimator,
        r: NDArray[np.complex128],
        snapshots: int,
        k: int,
        reference_deg: tuple[float, float] | None,
    ):
        self.estimator, self.k, self.snapshots = estimator, k, snapshots
        self.reference_deg = None if reference_deg is None else tuple(float(v) for v in reference_deg)
        m = estimator.num_elements
        if snapshots > m:  # the signal subspace above the noise floor (module docstring, point 5)
            values, vectors = np.linalg.eigh(r)
            self.noise_power = float(np.mean(np.clip(values[: m - k], 0.0, None)))
            signal = np.clip(values[m - k :] - self.noise_power, 0.0, None)
            self.factor = vectors[:, m - k :] * np.sqrt(signal)
        else:
            self.factor = covariance_factor(r, estimator.rank_tolerance)  # (M, rank)
        self.trace = float(np.sum(np.abs(self.factor) ** 2))
        self.peaks = self._coarse_peaks()
        if snapshots <= m:
            az, el = self.split(self.peaks[0][None, :])
            fit = self.trace - self._projected_power(self.steering(az, el), None)[0]
            self.noise_power = float(fit / (m - k))
        self.noise_power = max(self.noise_power, RANK_TOLERANCE * self.trace / m)
        self.kappa = self.noise_power / estimator.gain_variance
        spread = PRIOR_SPREAD * np.sqrt(estimator.gain_variance / 2.0)
        self.perturbation_box = (np.full(2 * m, -spread), np.full(2 * m, spread))
        az_low, az_high = estimator._azimuth_box
        low, high = [az_low] * k, [az_high] * k
        if estimator.planar:
            el_low, el_high = estimator._elevation_box
            low, high = low + [el_low] * k, high + [el_high] * k
        self.angle_box = (np.asarray(low, dtype=float), np.asarray(high, dtype=float))

    # -- model ------------------------------------------------------------------------------
    def split(self, u: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Angle learners ``(P, K or 2K)`` -> azimuths and elevations ``(P, K)``, degrees."""
        az = u[:, : self.k]
        el = u[:, self.k :] if self.estimator.planar else np.zeros_like(az)
        return az, el

    def steering(self, az: NDArray[np.float64], el: NDArray[np.float64]) -> NDArray[np.complex128]:
        """Nominal steering matrices ``(P, M, K)`` of ``(P, K)`` directions."""
        e = self.estimator
        a = steering_matrix(e.geometry.positions_m, az.reshape(-1), e.wavelength_m, el.reshape(-1))
        return a.reshape(e.num_elements, *az.shape).transpose(1, 0, 2)

    def gains(self, v: NDArray[np.float64]) -> NDArray[np.complex128]:
        """Perturbation learners ``(P, 2M)`` -> gains ``(P, M)``."""
        m = self.estimator.num_elements
        return 1.0 + v[:, :m] + 1j * v[:, m:]

    def _projected_power(self, a: NDArray[np.complex128], g: NDArray[np.complex128] | None) -> NDArray:
        """``tr(P_B R)`` for ``B = G A``: ``(P,)``."""
        b = a if g is None else g[:, :, None] * a
        b_h = np.conj(b.transpose(0, 2, 1))
        projected = b_h @ self.factor  # (P, K, r)
        solved = _solve(b_h @ b, projected)
        return np.real(np.einsum("pkr,pkr->p", np.conj(projected), solved))

    def objective(self, u: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
        """``J(theta, delta)`` of learners paired row by row, ``(P,)`` (module docstring); with the
        closed form ``delta = delta*(theta) + v``, else ``delta = v``."""
        shared = u.shape[0] > 1 and bool(np.all(u == u[:1]))  # discipline 2: one direction for all
        az, el = self.split(u[:1] if shared else u)
        a = self.steering(az, el)
        g = self.gains(v)
        if self.estimator.closed_form:
            g = g + self.closed_form_gains(a) - 1.0
        if shared:
            a = np.broadcast_to(a, (u.shape[0], *a.shape[1:]))
        residual = self.trace - self._projected_power(a, g)
        prior = np.sum(np.abs(g - 1.0) ** 2, axis=1) / self.estimator.gain_variance
        return self.snapshots * np.maximum(residual, 0.0) / self.noise_power + prior

    def joint_objective(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        width = self.angle_box[0].size
        return self.objective(x[:, :width], x[:, width:])

    def closed_form_gains(self, a: NDArray[np.complex128]) -> NDArray[np.complex128]:
        """The MAP gains ``(P, M)`` for steering matrices ``a`` ``(P, M, K)`` (module docstring,
        point 4): least-squares amplitudes and per-element ridge gains, alternated."""
        g = np.ones(a.shape[:2], dtype=np.complex128)
        for _ in range(CLOSED_FORM_ROUNDS):
            b = g[:, :, None] * a
            b_h = np.conj(b.transpose(0, 2, 1))
            amplitudes = _solve(b_h @ b, b_h @ self.factor)  # (P, K, r)
            fitted = a @ amplitudes  # x = A S, (P, M, r)
            correlation = np.sum(np.conj(fitted) * self.factor, axis=2)
            power = np.sum(np.abs(fitted) ** 2, axis=2)
            g = (self.snapshots * correlation + self.kappa) / (self.snapshots * power + self.kappa)
        return g

    def _without_trend(
        self, g: NDArray[np.complex128], az: NDArray[np.float64], el: NDArray[np.float64]
    ) -> tuple[NDArray[np.complex128], NDArray[np.float64], NDArray[np.float64]]:
        """The gains without their linear phase trend and the directions that go with them.

        ``g_m exp(j k s . p_m)`` with the directions ``u`` fit the data as ``g_m`` with ``u + s``
        do (``k = 2 pi / lambda``, ``s`` a shift in direction cosines): the data leave ``s`` open,
        and the optimiser stops anywhere along it. As the eigenstructure self-calibration does
        (:func:`~.self_calibration.without_linear_phase`), the gains are taken without a trend and
        the directions moved with them (:func:`~.self_calibration.shifted_directions`). With a
        reference direction (one source's bearing known: a beacon), the shift is instead the one
        that puts the nearest estimate on it, which fixes what the data leave open."""
        e = self.estimator
        positions = e.geometry.positions_m
        shift = linear_phase_trend(g, positions) * e.wavelength_m / (2.0 * np.pi)
        moved = shifted_directions(az, el, shift, positions)
        if self.reference_deg is not None:
            reference = direction_vectors(*self.reference_deg)[0]
            found = direction_vectors(*moved)
            nearest = int(np.argmax(found @ reference))
            shift = shift + reference - found[nearest]
            moved = shifted_directions(az, el, shift, positions)
        k = 2.0 * np.pi / e.wavelength_m
        return g * np.exp(-1j * k * ((positions - positions[0]) @ shift)), *moved

    # -- start ------------------------------------------------------------------------------
    def _coarse_peaks(self) -> NDArray[np.float64]:
        """Angle learners of the Bartlett scan's peaks ``(L, D_u)``: the first row the K strongest
        separated peaks, then the others, one per row in the first source's place."""
        e = self.estimator
        az_grid, el_grid = e.search.azimuth_deg, e.search.elevation_deg
        power = np.sum(np.abs(e._scan @ self.factor) ** 2, axis=1)
        if el_grid is not None:
            power = power.reshape(el_grid.size, az_grid.size)
            rows, cols = find_peaks_2d(power, az_grid, el_grid, power.size, e.min_separation_deg)
            az, el = az_grid[cols], el_grid[rows]
        else:
            order = find_peaks(power, az_grid, az_grid.size, e.min_separation_deg)
            az, el = az_grid[order], np.zeros(order.size)
        if az.size == 0:  # a flat spectrum: start at the middle of the box
            az, el = np.array([np.mean(e._azimuth_box)]), np.zeros(1)
        first_az = np.resize(az, self.k)
        first_el = np.resize(el, self.k)
        rows = [np.concatenate([first_az, first_el]) if e.planar else first_az]
        for extra_az, extra_el in zip(az[self.k :], el[self.k :], strict=True):
            row_az, row_el = first_az.copy(), first_el.copy()
            row_az[-1], row_el[-1] = extra_az, extra_el
            rows.append(np.concatenate([row_az, row_el]) if e.planar else row_az)
        return np.asarray(rows)

    def initial_angles(self, population: int) -> NDArray[np.float64]:
        """The start's angle learners: the coarse peaks for up to half the population."""
        return self.peaks[: max(1, population // 2)]

    def initial_perturbations(self, rng: np.random.Generator, population: int) -> NDArray[np.float64]:
        """Zero for the first learner, prior draws for the others, ``(population, 2M)``."""
        scale = np.sqrt(self.estimator.gain_variance / 2.0)
        draws = scale * rng.standard_normal((population, self.perturbation_box[0].size))
        draws[0] = 0.0
        return np.clip(draws, *self.perturbation_box)

    def result(self, optimum: Result) -> JointEstimate:
        """The estimate of the optimiser's best learner."""
        x, width = optimum.x, self.angle_box[0].size
        az, el = self.split(x[None, :width])
        g = self.gains(x[None, width:])
        if self.estimator.closed_form:
            g = g + self.closed_form_gains(self.steering(az, el)) - 1.0
        g, az, el = g[0] / g[0][0], az[0], el[0]
        if self.k >= 2:
            g, az, el = self._without_trend(g, az, el)
        return JointEstimate(
            azimuth_deg=az,
            elevation_deg=el if self.estimator.planar else None,
            gains=g,
            value=optimum.value,
            history=optimum.history,
            evaluations=optimum.evaluations,
            noise_power=self.noise_power,
        )


def _solve(gram: NDArray[np.complex128], right: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """``gram^-1 right`` for ``(P, K, K)`` Gram matrices loaded by :data:`GRAM_LOADING` times their
    mean diagonal (a division for one source: a batched solve of 1 x 1 systems costs more)."""
    k = gram.shape[-1]
    scale = np.real(np.trace(gram, axis1=1, axis2=2)) / k
    loaded = gram + GRAM_LOADING * scale[:, None, None] * np.eye(k)
    return right / loaded if k == 1 else np.linalg.solve(loaded, right)
