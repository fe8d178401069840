"""Cramer-Rao bounds on azimuth for an arbitrary array geometry, in the SigMF spatial frame.

Model: ``x(t) = A s(t) + n(t)``, ``t = 1..T``, with ``A = [a(az_1) .. a(az_K)]`` from
:func:`~gnuradio.bearing.array.geometry.steering_matrix` (emitters in the horizontal plane)
and spatially white complex Gaussian noise of power ``sigma^2`` per element. With

* ``D = [d a(az_1)/d az_1 .. d a(az_K)/d az_K]`` (per radian, from
  :func:`~gnuradio.bearing.array.geometry.steering_derivative`),
* ``P_perp = I - A (A^H A)^-1 A^H`` the projector onto the complement of the range of ``A``,
* ``H = D^H P_perp D``,

both bounds have the form ``sigma^2 / (2T) {Re[H .* Q^T]}^-1`` (``.*`` element-wise),
with ``Q`` given below. They are converted from rad^2 to deg^2.
:func:`stochastic_crb_az_el` bounds azimuth and elevation jointly (emitters anywhere, ``D``
holding the derivatives along both angles), with the array's gain, phase and position errors
known; :func:`perturbation_prior_crb_az_el` with them unknown, Gaussian of a given spread (a hybrid
Bayesian bound).

References:
    [SN89] P. Stoica, A. Nehorai, "MUSIC, maximum likelihood, and Cramer-Rao bound",
    IEEE Trans. ASSP 37(5), 720-741, May 1989 (deterministic / conditional CRB).
    [SN90] P. Stoica, A. Nehorai, "Performance study of conditional and unconditional
    direction-of-arrival estimation", IEEE Trans. ASSP 38(10), 1783-1795, Oct. 1990
    (stochastic / unconditional CRB).
    [SLG01] P. Stoica, E. G. Larsson, A. B. Gershman, "The stochastic CRB for array
    processing: a textbook derivation", IEEE Signal Process. Lett. 8(5), 148-150, May 2001.

When the data cannot determine the unknowns (the Fisher information is singular) the bounds
raise :class:`NotIdentifiableError`, a ``ValueError`` whose message gives the reason.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import (
    ArrayGeometry,
    direction_vectors,
    steering_derivative,
    steering_derivative_elevation,
    steering_matrix,
)
from ..array.hybrid import check_combiner
from ..array.impairments import Impairments, ImpairmentSpec, draw_impairments

_RAD2_TO_DEG2 = float(np.rad2deg(1.0) ** 2)


class NotIdentifiableError(ValueError):
    """The Fisher information is singular: the data cannot determine the azimuths (no finite bound).

    Raised for a source of zero power, azimuths the array cannot tell apart, or fewer RF chains
    than the stochastic model needs (:func:`hybrid_stochastic_crb`). The message says which.
    """


def stochastic_crb(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    source_covariance: ArrayLike,
    noise_power: float,
    num_snapshots: int,
) -> NDArray[np.float64]:
    """Stochastic (unconditional) CRB on azimuth: Gaussian sources of covariance ``P``.

    ``CRB = sigma^2 / (2T) {Re[(D^H P_perp D) .* (P A^H R^-1 A P)^T]}^-1`` with
    ``R = A P A^H + sigma^2 I`` ([SN90]; derived from the Slepian-Bangs formula in [SLG01]).
    Valid for any ``P`` including singular (coherent sources).

    For one source of SNR ``p / sigma^2`` on an ``M``-element ULA of spacing ``d`` this is
    ``6 (1 + 1/(M SNR)) / (T SNR M (M^2 - 1) (2 pi d cos(az - broadside) / lambda)^2)`` rad^2.

    Args:
        geometry: the array.
        wavelength_m: carrier wavelength in metres.
        azimuth_deg: the ``K`` true azimuths in degrees, distinct, ``K <= M``.
        source_covariance: ``P``: a ``(K,)`` vector of source powers (uncorrelated sources)
            or a ``(K, K)`` Hermitian matrix, in the units of ``noise_power``.
        noise_power: ``sigma^2`` per element, ``> 0``.
        num_snapshots: ``T >= 1``.

    Returns:
        the bound on the covariance of unbiased azimuth estimates, shape ``(K, K)``, deg^2.
    """
    a, d, p, sigma2, t = _model(
        geometry, wavelength_m, azimuth_deg, source_covariance, noise_power, num_snapshots
    )
    return _stochastic_crb(a, d, p, sigma2, t)


def hybrid_stochastic_crb(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    source_covariance: ArrayLike,
    noise_power: float,
    num_snapshots: int,
    combiner: ArrayLike,
) -> NDArray[np.float64]:
    """Stochastic CRB on azimuth seen through an analog combiner: ``y(t) = W^H x(t)``.

    The hybrid analog-digital (H2AD) receiver of :mod:`~gnuradio.bearing.array.hybrid` samples only the ``R``
    RF-chain outputs ``y = W^H (A s + n)``, complex Gaussian with covariance

        R_y = W^H A P A^H W + sigma^2 W^H W                       (H2AD paper, eq. (43))

    Unknowns: the ``K`` azimuths, the source covariance ``P`` (all its real parameters, as in
    :func:`stochastic_crb`; a power vector is a diagonal ``P``) and ``sigma^2``. Slepian-Bangs
    gives the Fisher information ``F_ij = T tr(R_y^-1 dR_y/di R_y^-1 dR_y/dj)`` ([SLG01]; H2AD
    paper eqs. (37), (38)). The invertible whitening ``L^-1 y`` with ``W^H W = L L^H`` leaves it
    unchanged and turns the model into ``B s + n'``, ``B = L^-1 W^H A``, white noise of power
    ``sigma^2``; the bound is then the closed form of :func:`stochastic_crb` ([SN90]) with
    ``A -> B`` and ``D -> L^-1 W^H D`` (``W`` does not depend on the azimuths). It is exact:
    neither the equal powers nor the asymptotically orthogonal steering vectors of the paper's
    closed form (eqs. (53)-(64)) are assumed. ``W = I`` gives :func:`stochastic_crb`; any ``W``
    gives a bound no lower than it (``y`` is a function of ``x``).

    Args:
        geometry: the N antennas (before the combiner).
        wavelength_m: carrier wavelength in metres.
        azimuth_deg: the ``K`` true azimuths in degrees, distinct.
        source_covariance: ``P``: ``(K,)`` powers or ``(K, K)`` Hermitian, in the units of
            ``noise_power``.
        noise_power: ``sigma^2`` per antenna, ``> 0`` (per RF chain too when ``W^H W = I``).
        num_snapshots: ``T >= 1``.
        combiner: ``W``, shape ``(N, R)``, full column rank (:meth:`HybridArray.combiner`).

    Returns:
        the bound on the covariance of unbiased azimuth estimates, shape ``(K, K)``, deg^2.

    Raises:
        NotIdentifiableError: ``R < K + 1``: with ``R <= K`` RF chains (``B`` square or wide)
            ``B P B^H`` can match any ``R_y - sigma^2 I`` at every azimuth, so the Fisher
            information is singular; also a singular Fisher information for the reasons of
            :func:`stochastic_crb`.
        ValueError: a bad argument, named.
    """
    a, d, p, sigma2, t = _model(
        geometry, wavelength_m, azimuth_deg, source_covariance, noise_power, num_snapshots
    )
    w = check_combiner(combiner, geometry.num_elements)
    num_sources, num_chains = a.shape[1], w.shape[1]
    if num_chains < num_sources + 1:
        raise NotIdentifiableError(
            f"{num_chains} RF chains cannot determine {num_sources} azimuths, the source covariance "
            f"and the noise power: the stochastic model needs at least K + 1 = {num_sources + 1}"
        )
    whitening = np.linalg.cholesky(w.conj().T @ w)
    b = np.linalg.solve(whitening, w.conj().T @ a)
    db = np.linalg.solve(whitening, w.conj().T @ d)
    return _stochastic_crb(b, db, p, sigma2, t)


def deterministic_crb(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    source_covariance: ArrayLike,
    noise_power: float,
    num_snapshots: int,
) -> NDArray[np.float64]:
    """Deterministic (conditional) CRB on azimuth: the waveforms are unknown constants.

    ``CRB = sigma^2 / (2T) {Re[(D^H P_perp D) .* P_hat^T]}^-1`` [SN89] where
    ``P_hat = (1/T) sum_t s(t) s(t)^H`` is the sample covariance of the actual waveforms,
    passed as ``source_covariance``. For the same ``P`` it never exceeds
    :func:`stochastic_crb` ([SN90]: ``P A^H R^-1 A P <= P``), and the two agree as the SNR
    grows. For one source on a ULA: ``6 / (T SNR M (M^2 - 1) (2 pi d cos(az - broadside) / lambda)^2)``.

    Arguments and result as in :func:`stochastic_crb`.
    """
    a, d, p, sigma2, t = _model(
        geometry, wavelength_m, azimuth_deg, source_covariance, noise_power, num_snapshots
    )
    return _crb(a, d, p, sigma2, t)


def stochastic_crb_az_el(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    elevation_deg: ArrayLike,
    source_covariance: ArrayLike,
    noise_power: float,
    num_snapshots: int,
    perturbations: Impairments | None = None,
) -> NDArray[np.float64]:
    """Stochastic (unconditional) CRB on azimuth and elevation: Gaussian sources of covariance ``P``.

    The multi-parameter form of :func:`stochastic_crb` ([SN90]; [SLG01], whose derivation holds
    for any number of parameters per source): with the parameters ordered
    ``[az_1 .. az_K, el_1 .. el_K]``, ``D_az = [d a_k / d az_k]`` and ``D_el = [d a_k / d el_k]``
    (per radian, :func:`~gnuradio.bearing.array.geometry.steering_derivative` and
    :func:`~gnuradio.bearing.array.geometry.steering_derivative_elevation`),
    ``A = [a(az_k, el_k)]``, ``R = A P A^H + sigma^2 I``, ``Q = P A^H R^-1 A P`` and
    ``P_perp = I - A (A^H A)^-1 A^H``, the Fisher information has the ``K x K`` blocks

        F_ij = (2T / sigma^2) Re[(D_i^H P_perp D_j) .* Q^T],    i, j in {az, el},

    and the bound is ``F^-1``, converted to deg^2.

    Check: for emitters on the horizon (``el = 0``) and an array symmetric about the horizontal
    plane (e.g. :func:`~gnuradio.bearing.array.geometry.ura`, centred) azimuth and elevation
    decouple (``D_el`` is orthogonal to ``A`` and ``D_az``), and the azimuth block equals
    :func:`stochastic_crb`. For a horizontal array ``D_el = 0`` at ``el = 0`` (a direction and
    its mirror below the horizon look alike): :class:`NotIdentifiableError`.

    Args:
        geometry: the array.
        wavelength_m: carrier wavelength in metres.
        azimuth_deg: the ``K`` true azimuths in degrees, ``K <= M``.
        elevation_deg: the ``K`` true elevations in degrees, in -90 .. 90 (a scalar applies to all).
        source_covariance: ``P``: a ``(K,)`` vector of source powers (uncorrelated sources)
            or a ``(K, K)`` Hermitian matrix, in the units of ``noise_power``.
        noise_power: ``sigma^2`` per element, ``> 0``.
        num_snapshots: ``T >= 1``.
        perturbations: the array's gain, phase and position errors, known to the estimator
            (IDL-TLBO's model, :func:`~gnuradio.bearing.array.impairments.perturbation_spec`):
            ``A`` and ``D`` are then ``Gamma a(theta; r + dr)`` and its derivatives. The bound
            with the perturbations known; impairments with coupling or angle-dependent phase
            errors are refused.

    Returns:
        the bound on the covariance of unbiased estimates of ``[az_1 .. az_K, el_1 .. el_K]``,
        shape ``(2K, 2K)``, deg^2.

    Raises:
        NotIdentifiableError: the Fisher information is singular (a source of zero power,
            directions the array cannot tell apart, an elevation it cannot see).
        ValueError: a bad argument, named.
    """
    _, _, p, sigma2, t = _model(
        geometry, wavelength_m, azimuth_deg, source_covariance, noise_power, num_snapshots
    )
    azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))
    elevation = _elevations(elevation_deg, azimuth.size)
    positions, gains = geometry.positions_m, np.ones(geometry.num_elements, dtype=np.complex128)
    if perturbations is not None:
        _check_perturbations(perturbations, geometry.num_elements)
        positions, gains = positions + perturbations.position_error_m, perturbations.channel_gains()
    args = (positions, azimuth, wavelength_m, elevation)
    a = gains[:, None] * steering_matrix(*args)
    d = gains[:, None] * np.hstack([steering_derivative(*args), steering_derivative_elevation(*args)])
    r = a @ p @ a.conj().T + sigma2 * np.eye(a.shape[0])
    q = p @ a.conj().T @ np.linalg.solve(r, a) @ p
    return _multi_parameter_crb(a, d, np.tile(q, (2, 2)), sigma2, t)


def _check_perturbations(perturbations: Impairments, num_elements: int) -> None:
    """``ValueError`` unless ``perturbations`` are gain, phase and position errors of the array only."""
    if perturbations.num_elements != num_elements:
        raise ValueError(
            f"perturbations: drawn for {perturbations.num_elements} elements, the array has {num_elements}"
        )
    angle_dependent = np.any(perturbations.smooth_weight_deg) or np.any(perturbations.ramp_slope_deg_per_deg)
    if np.any(perturbations.coupling) or angle_dependent or np.any(perturbations.delay_s):
        raise ValueError(
            "perturbations: only gain, phase and position errors have a bound here (no coupling, "
            "angle-dependent phase errors or delays: array.impairments.perturbation_spec)"
        )


def perturbation_prior_crb_az_el(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    elevation_deg: ArrayLike,
    source_covariance: ArrayLike,
    noise_power: float,
    num_snapshots: int,
    prior: ImpairmentSpec,
    num_draws: int = 0,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Hybrid (Bayesian / Van Trees) CRB on azimuth and elevation with the array perturbations unknown.

    The bound of :func:`stochastic_crb_az_el` when the gain, phase and position errors of IDL-TLBO's
    model ``x(t) = Gamma A(theta; r + dr) s(t) + n(t)``, ``Gamma = diag(10^(g_m / 20) exp(j phi_m))``
    (:func:`~gnuradio.bearing.array.impairments.perturbation_spec`) are *not* known to the estimator
    but random, independent and zero-mean Gaussian with the standard deviations of ``prior``.

    Parameters, in this order (``K`` sources, ``M`` elements):

    * ``theta = [az_1 .. az_K, el_1 .. el_K]`` (rad), deterministic;
    * ``xi``: the gains ``g_1 .. g_{M-1}`` (dB), the phases ``phi_1 .. phi_{M-1}`` (rad) and the
      position errors ``dr_0 .. dr_{M-1}`` (m, ``x, y, z`` each), random with the prior
      ``xi ~ N(0, Lambda)``, ``Lambda = diag(sigma_g^2, .., sigma_phi^2, .., sigma_r^2, ..)``.
      Element 0 is the reference channel: ``g_0 = phi_0 = 0`` are not parameters (a common gain
      and phase is absorbed by ``P``); its position error is. A group whose standard deviation is
      zero is known (not a parameter);
    * the ``K^2`` real parameters of the Hermitian source covariance ``P`` and the noise power
      ``sigma^2``, deterministic nuisances, as in :func:`stochastic_crb_az_el`.

    Hybrid information ([VT02] ch. 8; [RS87]; [VS94]):

        J = E_xi[J_D(theta, xi)] + J_P,         J_P = blockdiag(0, Lambda^-1, 0),

    with the Slepian-Bangs data information of ``T`` snapshots ([SLG01]), for
    ``R = A P A^H + sigma^2 I``, ``W = R^-1`` and ``G_i = dA/d i``,

        [J_D]_ij = T tr(W dR/di W dR/dj),   dR/di = G_i P A^H + A P G_i^H   (i in theta, xi),

    ``dR/dP_e = A E_e A^H`` (``E_e`` the Hermitian basis) and ``dR/dsigma^2 = I``. The bound on
    ``theta`` is the angle block of ``J^-1`` (the Schur complement of the rest), in deg^2. With
    ``E_xi`` exact it bounds the mean square error, averaged over the prior, of any estimator of
    ``theta`` unbiased for all ``theta`` (``xi`` estimated jointly or not). ``E_xi`` is taken as

    * ``num_draws = 0`` (default): ``J_D`` at the nominal array ``xi = 0``, the small-error
      linearisation of [RS87] and [VS94]. ``J_D`` barely changes across draws of
      ``IDL_TLBO_PERTURBATION`` (one draw in place of ``xi = 0`` moves the 16 x 16 bound by 1 %);
    * ``num_draws = N > 0``: the mean of ``J_D`` (the full matrix, nuisances included, before the
      Schur complement) over ``N`` draws ``draw_impairments(M, 1.0, rng, prior)``, one after the
      other from ``rng = numpy.random.default_rng(seed)``. This is the hybrid bound proper, but a
      weak one: where the directions of ``(theta, xi)`` that the data cannot see move from draw to
      draw (position errors: the angle derivatives depend on ``r + dr``), their mean information
      is not singular, and the bound keeps falling with ``T`` instead of levelling off (16 x 16,
      IDL-TLBO prior: 0.25 deg in azimuth at T = 80 with 20 draws, 0.42 at ``xi = 0``).

    Computation: for ``i, j`` in ``theta, xi``, with ``B = W A P`` and ``Q = P A^H W A P``,
    ``[J_D]_ij = 2T Re[tr(X_i X_j) + tr(G_i^H W G_j Q)]``, ``X_i = B^H G_i``. An angle has
    ``G_i = d_i e_k^T`` (one column), a perturbation ``G_i = e_m g_i^T`` (one row: ``g_i`` is the
    derivative of row ``m`` of ``A``), so every entry is a product of a few scalars gathered from
    ``W``, ``B``, ``Q`` and ``g``: ``O(M^3 + M^2 K + n^2 K^2 + n^3)`` for ``n ~ 5M`` perturbation
    parameters (the last term the Cholesky factor of the Schur complement), no ``M x M`` product
    per parameter: about 0.25 s per evaluation of ``J_D`` for a 16 x 16 URA (``n = 1278``).

    With all three standard deviations zero the bound is :func:`stochastic_crb_az_el` on the
    nominal array; it grows with each of them (``J_P`` falls) and tends to that bound as they
    vanish. Unlike the known-perturbation bound it needs no identifiability of ``xi`` from the
    data: the prior bounds what the data cannot see. A phase ramp across the aperture, or a
    rotation of the element positions, mimics the same change of direction of every source, so
    even many snapshots or several sources leave a floor set by the prior; since the prior makes
    the errors independent *relative to element 0* (a ramp must start at element 0's phase),
    that floor depends on which element is the reference. At the nominal array a gain error is
    orthogonal to a change of direction of a single source and does not raise its bound.

    References:
        [VT02] H. L. Van Trees, "Optimum Array Processing", Wiley 2002, ch. 8 (hybrid and
        Bayesian bounds, arrays with perturbations).
        [RS87] Y. Rockah, P. M. Schultheiss, "Array shape calibration using sources in unknown
        locations, Part I: far-field sources", IEEE Trans. ASSP 35(3), 286-299, Mar. 1987.
        [VS94] M. Viberg, A. L. Swindlehurst, "A Bayesian approach to auto-calibration for
        parametric array signal processing", IEEE Trans. SP 42(12), 3495-3507, Dec. 1994.

    Args:
        geometry: the nominal array (positions ``r``).
        wavelength_m: carrier wavelength in metres.
        azimuth_deg: the ``K`` true azimuths in degrees, ``K <= M``.
        elevation_deg: the ``K`` true elevations in degrees, in -90 .. 90 (a scalar applies to all).
        source_covariance: ``P``: a ``(K,)`` vector of source powers (uncorrelated sources)
            or a ``(K, K)`` Hermitian matrix, in the units of ``noise_power``.
        noise_power: ``sigma^2`` per element, ``> 0``.
        num_snapshots: ``T >= 1``.
        prior: the standard deviations ``gain_std_db`` (dB), ``phase_std_deg`` (degrees; the
            parameter is in radians) and ``position_std_m`` (m, per axis), e.g.
            :data:`~gnuradio.bearing.array.impairments.IDL_TLBO_PERTURBATION`; coupling,
            angle-dependent phase errors and delays are refused (use ``perturbation_spec``).
        num_draws: ``0`` for the nominal evaluation, else the number of prior draws ``J_D`` is
            averaged over.
        seed: seed of those draws.

    Returns:
        the bound on the covariance of ``[az_1 .. az_K, el_1 .. el_K]``, shape ``(2K, 2K)``, deg^2.

    Raises:
        NotIdentifiableError: the hybrid information is singular (a source of zero power,
            directions the array cannot tell apart, an elevation it cannot see).
        ValueError: a bad argument, named.
    """
    _, _, p, sigma2, t = _model(
        geometry, wavelength_m, azimuth_deg, source_covariance, noise_power, num_snapshots
    )
    azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))
    elevation = _elevations(elevation_deg, azimuth.size)
    groups = _prior_groups(prior)
    if isinstance(num_draws, bool) or int(num_draws) != num_draws or num_draws < 0:
        raise ValueError(f"num_draws must be an integer >= 0, got {num_draws!r}")
    num_elements, num_angles = geometry.num_elements, 2 * azimuth.size
    if int(num_draws) == 0:
        points = [Impairments.ideal(num_elements)]
    else:
        rng = np.random.default_rng(seed)
        points = [draw_impairments(num_elements, 1.0, rng, prior) for _ in range(int(num_draws))]
    source_of = np.tile(np.arange(azimuth.size), 2)
    fisher = np.zeros((0, 0))
    for point in points:
        gains = point.channel_gains()
        args = (geometry.positions_m + point.position_error_m, azimuth, wavelength_m, elevation)
        a = gains[:, None] * steering_matrix(*args)
        d = gains[:, None] * np.hstack([steering_derivative(*args), steering_derivative_elevation(*args)])
        rows, derivatives, stds = _perturbation_derivatives(a, azimuth, elevation, wavelength_m, groups)
        data = _slepian_bangs_fisher(a, d, source_of, rows, derivatives, p, sigma2, t) / len(points)
        fisher = data if fisher.size == 0 else fisher + data
    perturbation = np.arange(num_angles, num_angles + stds.size)
    fisher[perturbation, perturbation] += 1.0 / stds**2
    return _angle_block_bound(fisher, num_angles)


def _prior_groups(prior: ImpairmentSpec) -> list[tuple[str, float]]:
    """The perturbation groups with a non-zero standard deviation, ``(name, std)`` in the order of
    the parameters: ``gain`` (dB), ``phase`` (rad), ``position`` (m); ``ValueError`` for a prior
    that is not a perturbation spec."""
    if not isinstance(prior, ImpairmentSpec):
        raise ValueError(f"prior must be an ImpairmentSpec (perturbation_spec), got {type(prior).__name__}")
    angle_dependent = prior.smooth_phase_amplitude_deg or prior.ramp_slope_max_deg_per_deg
    if any(prior.coupling_magnitudes) or angle_dependent or prior.delay_std_s:
        raise ValueError(
            "prior: only gain, phase and position errors have a bound here (no coupling, "
            "angle-dependent phase errors or delays: array.impairments.perturbation_spec)"
        )
    groups = [
        ("gain", prior.gain_std_db),
        ("phase", float(np.deg2rad(prior.phase_std_deg))),
        ("position", prior.position_std_m),
    ]
    return [(name, std) for name, std in groups if std > 0]


def _perturbation_derivatives(
    a: NDArray[np.complex128],
    azimuth_deg: NDArray[np.float64],
    elevation_deg: NDArray[np.float64],
    wavelength_m: float,
    groups: list[tuple[str, float]],
) -> tuple[NDArray[np.intp], NDArray[np.complex128], NDArray[np.float64]]:
    """The perturbation parameters of ``A = Gamma A(theta; r + dr)`` (``a``, ``(M, K)``): for each,
    the element ``m`` it acts on, the derivative ``g`` of row ``m`` of ``A`` (``dA/d xi = e_m g^T``)
    and its prior standard deviation; shapes ``(n,)``, ``(n, K)``, ``(n,)``.

    Gain in dB of element ``m >= 1``: ``g = ln(10) / 20 A[m]``; phase in rad: ``g = j A[m]``;
    position of element ``m`` along axis ``c`` in m: ``g_k = j 2 pi u_k[c] / lambda A[m, k]``
    (``u_k`` the unit vector towards source ``k``)."""
    num_elements = a.shape[0]
    rows, derivatives, stds = [np.zeros(0, dtype=np.intp)], [np.zeros((0, a.shape[1]))], [np.zeros(0)]
    for name, std in groups:
        if name == "position":
            directions = direction_vectors(azimuth_deg, elevation_deg)
            rows.append(np.repeat(np.arange(num_elements), 3))
            derivatives.append(
                (2j * np.pi / wavelength_m * a[:, None, :] * directions.T[None, :, :]).reshape(-1, a.shape[1])
            )
        else:
            rows.append(np.arange(1, num_elements))
            derivatives.append((np.log(10.0) / 20.0 if name == "gain" else 1j) * a[1:])
        stds.append(np.full(rows[-1].size, std))
    return np.concatenate(rows), np.concatenate(derivatives), np.concatenate(stds)


def _hermitian_basis(num_sources: int) -> NDArray[np.complex128]:
    """A basis of the ``K x K`` Hermitian matrices over the reals, shape ``(K^2, K, K)``: ``e_a e_a^T``,
    ``e_a e_b^T + e_b e_a^T`` and ``j (e_a e_b^T - e_b e_a^T)`` for ``a < b``."""
    basis = []
    for first in range(num_sources):
        for second in range(first, num_sources):
            unit = np.zeros((num_sources, num_sources), dtype=np.complex128)
            unit[first, second] = 1.0
            if first == second:
                basis.append(unit)
            else:
                basis.extend([unit + unit.T, 1j * (unit - unit.T)])
    return np.array(basis)


def _slepian_bangs_fisher(
    a: NDArray[np.complex128],
    d: NDArray[np.complex128],
    source_of: NDArray[np.intp],
    rows: NDArray[np.intp],
    g: NDArray[np.complex128],
    p: NDArray[np.complex128],
    sigma2: float,
    t: int,
) -> NDArray[np.float64]:
    """The Slepian-Bangs information ``T tr(W dR/di W dR/dj)`` of ``R = A P A^H + sigma^2 I`` over
    ``[angles, perturbations, P, sigma^2]`` (square, ``c + n + K^2 + 1``).

    Angle ``i``: ``dA/di = d_i e_{s_i}^T`` (``d`` ``(M, c)``, ``s = source_of``); perturbation ``j``:
    ``dA/dj = e_{m_j} g_j^T`` (``m = rows``, ``g`` ``(n, K)``); ``P = sum_e P_e E_e`` over
    :func:`_hermitian_basis`. With ``W = R^-1``, ``B = W A P``, ``C = A^H W A``, ``Q = P C P``:

    * ``dA`` pairs: ``2T Re[tr(X_i X_j) + tr(G_i^H W G_j Q)]``, ``X_i = B^H G_i``;
    * ``dA`` and ``P_e``: ``2T Re tr(A^H W G_i P C E_e)``;
    * ``dA`` and ``sigma^2``: ``2T Re tr(P A^H W^2 G_i)``;
    * ``T tr(C E_e C E_f)``, ``T tr(A^H W^2 A E_e)`` and ``T tr(W^2)``.

    One column or one row per ``G_i`` turns each trace into a product of gathered scalars.
    """
    num_elements, num_sources = a.shape
    basis = _hermitian_basis(num_sources)
    w = np.linalg.inv(a @ p @ a.conj().T + sigma2 * np.eye(num_elements))
    w = 0.5 * (w + w.conj().T)
    wa = w @ a
    wd = w @ d
    c = a.conj().T @ wa
    b = wa @ p
    q = p @ c @ p
    pc = p @ c
    b_rows = b[rows]
    # dA x dA: tr(X_i X_j) + tr(G_i^H W G_j Q)
    z = b.conj().T @ d  # X_i = z[:, i] e_{s_i}^T for an angle; X_j = conj(B[m_j])^T g_j^T otherwise
    zs = z[source_of]
    angle_angle = zs.T * zs + (d.conj().T @ wd) * q[np.ix_(source_of, source_of)].T
    angle_pert = b_rows[:, source_of].conj().T * (g @ z).T + wd[rows].conj().T * (g @ q)[:, source_of].T
    u = g @ b_rows.conj().T
    pert_pert = u * u.T + w[np.ix_(rows, rows)] * (g.conj() @ q.T @ g.T)
    # the (j, i) entry is the conjugate of the (i, j) one (cyclic trace, Hermitian W and Q): same real part
    angle_pert = np.real(angle_pert)
    a_a = 2.0 * t * np.block([[np.real(angle_angle), angle_pert], [angle_pert.T, np.real(pert_pert)]])
    # dA x P and dA x sigma^2
    v = wa.conj().T @ d
    l_angle = v.T[:, :, None] * pc[source_of][:, None, :]
    l_pert = wa[rows].conj()[:, :, None] * (g @ pc)[:, None, :]
    l_all = np.concatenate([l_angle, l_pert])
    a_p = 2.0 * t * np.real(np.einsum("iab,eba->ie", l_all, basis))
    w2a = w @ wa
    y = p @ wa.conj().T @ wd
    a_noise = np.concatenate(
        [y[source_of, np.arange(d.shape[1])], np.sum((g @ p) * w2a[rows].conj(), axis=1)]
    )
    a_noise = 2.0 * t * np.real(a_noise)
    # P x P, P x sigma^2, sigma^2 x sigma^2
    p_p = t * np.real(np.einsum("ab,ebc,cd,fda->ef", c, basis, c, basis))
    p_noise = t * np.real(np.einsum("ab,eba->e", wa.conj().T @ wa, basis))
    noise_noise = t * np.real(np.vdot(w, w))
    return np.block(
        [
            [a_a, a_p, a_noise[:, None]],
            [a_p.T, p_p, p_noise[:, None]],
            [a_noise[None, :], p_noise[None, :], np.array([[noise_noise]])],
        ]
    )


def _angle_block_bound(fisher: NDArray[np.float64], num_angles: int) -> NDArray[np.float64]:
    """The leading ``num_angles`` block of ``fisher^-1`` in deg^2, by the Schur complement of the rest
    (Cholesky); :class:`NotIdentifiableError` when ``fisher`` is singular or numerically so."""
    fisher = 0.5 * (fisher + fisher.T)
    diagonal = np.diag(fisher)
    if not np.all(diagonal > 0):
        raise NotIdentifiableError(
            "the Fisher information is singular: a parameter the data and the prior say nothing about "
            "(a source with zero power?)"
        )
    scale = np.sqrt(diagonal)
    scaled = fisher / np.outer(scale, scale)
    try:
        factor = scipy.linalg.cho_factor(scaled[num_angles:, num_angles:])
    except np.linalg.LinAlgError as error:
        raise NotIdentifiableError(
            "the Fisher information is singular: the source covariance and the noise power cannot be "
            "told apart (a source with zero power, or steering vectors the array cannot tell apart)"
        ) from error
    cross = scaled[:num_angles, num_angles:]
    effective = scaled[:num_angles, :num_angles] - cross @ scipy.linalg.cho_solve(factor, cross.T)
    effective = 0.5 * (effective + effective.T)
    effective_scale = np.sqrt(np.abs(np.diag(effective)))
    if (
        not np.all(effective_scale > 0)
        or np.linalg.cond(effective / np.outer(effective_scale, effective_scale)) > _SINGULAR_CONDITION
    ):
        raise NotIdentifiableError(
            "the Fisher information is singular: a source with zero power, directions the array "
            "cannot tell apart, or an elevation it cannot see (a horizontal array at el = 0)"
        )
    angle_scale = np.outer(scale[:num_angles], scale[:num_angles])
    return np.linalg.inv(effective) / angle_scale * _RAD2_TO_DEG2


def crb_rmse_deg(crb_matrix: ArrayLike) -> float:
    """Bound on the RMSE over sources, ``sqrt(mean(diag(CRB)))``, in degrees for a CRB in deg^2."""
    crb = np.asarray(crb_matrix, dtype=np.float64)
    if crb.ndim != 2 or crb.shape[0] != crb.shape[1] or crb.shape[0] < 1:
        raise ValueError(f"crb_matrix must be a square (K, K) matrix, got shape {crb.shape}")
    return float(np.sqrt(np.mean(np.diag(crb))))


def _stochastic_crb(
    a: NDArray[np.complex128], d: NDArray[np.complex128], p: NDArray[np.complex128], sigma2: float, t: int
) -> NDArray[np.float64]:
    """[SN90]: :func:`_crb` with ``Q = P A^H R^-1 A P``, ``R = A P A^H + sigma^2 I``."""
    r = a @ p @ a.conj().T + sigma2 * np.eye(a.shape[0])
    q = p @ a.conj().T @ np.linalg.solve(r, a) @ p
    return _crb(a, d, q, sigma2, t)


def _crb(
    a: NDArray[np.complex128], d: NDArray[np.complex128], q: NDArray[np.complex128], sigma2: float, t: int
) -> NDArray[np.float64]:
    """``sigma^2 / (2T) {Re[(D^H P_perp D) .* Q^T]}^-1`` in deg^2."""
    try:
        projector_perp = np.eye(a.shape[0]) - a @ np.linalg.solve(a.conj().T @ a, a.conj().T)
        inverse = np.linalg.inv(np.real((d.conj().T @ projector_perp @ d) * q.T))
    except np.linalg.LinAlgError as error:
        raise NotIdentifiableError(
            "the Fisher information is singular: a source with zero power, or azimuths the "
            "array cannot tell apart"
        ) from error
    return sigma2 / (2.0 * t) * inverse * _RAD2_TO_DEG2


def _model(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    source_covariance: ArrayLike,
    noise_power: float,
    num_snapshots: int,
) -> tuple[NDArray[np.complex128], NDArray[np.complex128], NDArray[np.complex128], float, int]:
    """Validate the arguments; return ``A``, ``D``, ``P`` ``(K, K)``, ``sigma^2``, ``T``."""
    if not (np.isfinite(wavelength_m) and wavelength_m > 0):
        raise ValueError(f"wavelength_m must be a positive finite number, got {wavelength_m!r}")
    if not (np.isfinite(noise_power) and noise_power > 0):
        raise ValueError(f"noise_power must be a positive finite number, got {noise_power!r}")
    if int(num_snapshots) != num_snapshots or num_snapshots < 1:
        raise ValueError(f"num_snapshots must be a positive integer, got {num_snapshots!r}")
    azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))
    num_sources = azimuth.size
    if azimuth.ndim != 1 or not np.all(np.isfinite(azimuth)):
        raise ValueError(f"azimuth_deg must be a finite scalar or 1-D array, got {azimuth_deg!r}")
    if num_sources > geometry.num_elements:
        raise ValueError(f"{num_sources} sources exceed the {geometry.num_elements} elements of the array")
    p = np.asarray(source_covariance, dtype=np.complex128)
    if p.shape == (num_sources,):
        if np.any(p.real < 0) or np.any(p.imag != 0):
            raise ValueError(f"source powers must be real and >= 0, got {source_covariance!r}")
        p = np.diag(p)
    elif p.shape != (num_sources, num_sources):
        raise ValueError(
            f"source_covariance must have shape ({num_sources},) or ({num_sources}, {num_sources}) "
            f"for {num_sources} azimuths, got shape {p.shape}"
        )
    if not np.all(np.isfinite(p)):
        raise ValueError("source_covariance contains NaN or infinite values")
    a = steering_matrix(geometry.positions_m, azimuth, wavelength_m)
    d = steering_derivative(geometry.positions_m, azimuth, wavelength_m)
    return a, d, p, float(noise_power), int(num_snapshots)


def _elevations(elevation_deg: ArrayLike, num_sources: int) -> NDArray[np.float64]:
    """``elevation_deg`` as ``(K,)`` float64 degrees (a scalar applies to all), each in -90 .. 90."""
    elevation = np.asarray(elevation_deg, dtype=np.float64)
    if elevation.ndim == 0:
        elevation = np.full(num_sources, float(elevation))
    if elevation.shape != (num_sources,) or not np.all(np.isfinite(elevation)):
        raise ValueError(
            f"elevation_deg must be a finite scalar or {num_sources} values (one per azimuth), "
            f"got {elevation_deg!r}"
        )
    if np.any(np.abs(elevation) > 90.0):
        raise ValueError(f"elevation_deg must lie in -90 .. 90 degrees, got {elevation.tolist()}")
    return elevation


_SINGULAR_CONDITION = 1e12
"""Condition number of the Fisher information above which it counts as singular."""


def _multi_parameter_crb(
    a: NDArray[np.complex128], d: NDArray[np.complex128], q: NDArray[np.complex128], sigma2: float, t: int
) -> NDArray[np.float64]:
    """``sigma^2 / (2T) {Re[(D^H P_perp D) .* Q^T]}^-1`` in deg^2 for several parameters per source
    (``D`` ``(M, pK)``, ``Q`` tiled to ``(pK, pK)``); :class:`NotIdentifiableError` when the Fisher
    information is singular or numerically so (condition number above 1e12)."""
    projector_perp = np.eye(a.shape[0]) - a @ np.linalg.pinv(a)
    fisher = np.real((d.conj().T @ projector_perp @ d) * q.T)
    scale = np.sqrt(np.abs(np.diag(fisher)))
    if not np.all(scale > 0) or np.linalg.cond(fisher / np.outer(scale, scale)) > _SINGULAR_CONDITION:
        raise NotIdentifiableError(
            "the Fisher information is singular: a source with zero power, directions the array "
            "cannot tell apart, or an elevation it cannot see (a horizontal array at el = 0)"
        )
    return sigma2 / (2.0 * t) * np.linalg.inv(fisher) * _RAD2_TO_DEG2
