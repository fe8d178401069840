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
holding the derivatives along both angles).

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
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import (
    ArrayGeometry,
    steering_derivative,
    steering_derivative_elevation,
    steering_matrix,
)
from ..array.hybrid import check_combiner
from ..array.impairments import Impairments

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
