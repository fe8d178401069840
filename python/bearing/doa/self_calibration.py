"""Gain and phase self-calibration from the data: the eigenstructure method of Weiss and
Friedlander, "Eigenstructure methods for direction finding with sensor gain and phase
uncertainties", Circuits, Systems and Signal Processing 9 (1990), a baseline of the IDL-TLBO
issue (MUSIC after a self-calibration, no known-angle sweep).

The snapshots of an array with unknown channel gains are ``x = Gamma A(theta) s + n``,
``Gamma = diag(g)`` (``g_0 = 1``). With K < M uncorrelated sources the noise subspace
``E_n`` of the covariance is orthogonal to every ``Gamma a(theta_k)``, so the method
alternates two steps until the bearings stop moving:

1. the bearings: MUSIC on the covariance with the current gains removed,
   ``diag(1/g) R diag(1/g)^H``;
2. the gains: ``g`` minimising ``sum_k ||E_n^H diag(a(theta_k)) g||^2 = g^H Q g`` with
   ``g_0 = 1``, ``Q = sum_k diag(a_k)^H E_n E_n^H diag(a_k)``: ``g = Q^-1 e_0 / (e_0^T Q^-1 e_0)``.

**What the data cannot tell.** A phase that grows linearly with the element position,
``g_m exp(j c . p_m)``, turns every steering vector into that of another direction
(``a(u) exp(j c . p) = a(u + c / k)`` for a plane wave): the same data fit every bearing moved
by one common shift in direction cosines. No self-calibration, with any number of sources,
can find that linear phase trend; it is what the data leave open. This module removes it
from the estimated gains (a least-squares fit of the gains' phases to ``alpha + c . p_m``,
assuming the phase errors well within +-180 deg), that is, it assumes that the channels' phase
errors have no linear trend across the array. The bearings then carry the common shift that
the true phase errors' own linear trend implies (for independent errors of standard deviation
``sigma`` on an M-element ULA, ``sigma sqrt(12 / (M (M^2 - 1))) / pi`` in ``sin(azimuth)``),
while everything else about them, their separations in particular, is calibrated
(docs/idl-tlbo.md, "Self-calibration"). A single known bearing, or one beacon, fixes it.

Plain numpy: covariances ``(M, M)`` complex, estimation math in complex128.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.coherence import corrected_covariance
from ..array.covariance import check_covariance
from ..array.geometry import direction_angles_deg, direction_vectors, steering_matrix, wrap_deg
from .classical import Estimator
from .planar import PlanarEstimator


@dataclass(frozen=True)
class SelfCalibration:
    """The result of :func:`eigenstructure_self_calibration`.

    Attributes:
        gains: ``(M,)`` complex128 channel gains, ``g_0 = 1``, without a linear phase trend
            across the array (module docstring); ``array.coherence.corrected_covariance``
            removes them.
        azimuth_deg: ``(K,)`` the bearings of MUSIC on the corrected covariance, ascending.
        elevation_deg: ``(K,)`` their elevations for a planar estimator; None for an azimuth-only one.
        iterations: the alternations run.
        converged: whether the bearings moved by less than the tolerance in the last one.
    """

    gains: NDArray[np.complex128]
    azimuth_deg: NDArray[np.float64]
    elevation_deg: NDArray[np.float64] | None
    iterations: int
    converged: bool


def eigenstructure_self_calibration(
    covariance: ArrayLike,
    estimator: Estimator | PlanarEstimator,
    num_sources: int,
    max_iterations: int = 30,
    tolerance_deg: float = 1e-4,
) -> SelfCalibration:
    """Channel gains and bearings from a covariance alone (module docstring).

    Args:
        covariance: ``R`` ``(M, M)`` of K uncorrelated sources.
        estimator: the array's :class:`~gnuradio.bearing.doa.classical.Estimator`, or for an array
            that resolves elevation its :class:`~gnuradio.bearing.doa.planar.PlanarEstimator`;
            its method is used for the bearings (MUSIC, as in the paper).
        num_sources: K, from 2 to M - 1: one source leaves the gains undetermined (any
            gains make any bearing fit it).
        max_iterations: most alternations of the two steps.
        tolerance_deg: the alternation stops when no bearing moves by more than this.

    Raises:
        ValueError: fewer than two sources, or not fewer than the elements.
    """
    r = check_covariance(covariance, estimator.geometry.num_elements)
    m = r.shape[0]
    if not 2 <= num_sources <= m - 1:
        raise ValueError(
            f"num_sources: self-calibration needs 2 .. M - 1 = {m - 1} sources (one source fits "
            f"any gains), got {num_sources}"
        )
    positions = estimator.geometry.positions_m
    noise = np.linalg.eigh(r)[1][:, : m - num_sources]
    projector = noise @ noise.conj().T
    gains = np.ones(m, dtype=np.complex128)
    azimuth, elevation = _directions(estimator, r, num_sources)
    iterations, converged = 0, False
    while iterations < max_iterations and not converged:
        a = steering_matrix(positions, azimuth, estimator.wavelength_m, elevation)
        q = np.einsum("ik,ij,jk->ij", a.conj(), projector, a)
        solved = np.linalg.solve(q, np.eye(m)[:, 0])
        gains = without_linear_phase(solved / solved[0], positions)
        moved = _directions(estimator, corrected_covariance(r, gains), num_sources)
        converged = bool(
            np.max(np.abs(np.concatenate(moved) - np.concatenate([azimuth, elevation]))) < tolerance_deg
        )
        (azimuth, elevation), iterations = moved, iterations + 1
    planar = isinstance(estimator, PlanarEstimator)
    return SelfCalibration(gains, azimuth, elevation if planar else None, iterations, converged)


def _directions(
    estimator: Estimator | PlanarEstimator, covariance: NDArray[np.complex128], num_sources: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The estimator's bearings ``(K,)`` and elevations (zeros for an azimuth-only estimator),
    by ascending azimuth."""
    estimate = estimator.estimate(covariance, num_sources)
    elevation = getattr(estimate, "elevation_deg", np.zeros_like(estimate.azimuth_deg))
    order = np.argsort(estimate.azimuth_deg)
    return estimate.azimuth_deg[order], elevation[order]


def without_linear_phase(gains: ArrayLike, positions_m: ArrayLike) -> NDArray[np.complex128]:
    """``gains`` ``(M,)`` with the linear trend of their phases across the element positions
    ``(M, 3)`` removed (:func:`linear_phase_trend`), ``g_0`` kept."""
    g = np.asarray(gains, dtype=np.complex128)
    p = np.asarray(positions_m, dtype=np.float64)
    return g * np.exp(-1j * ((p - p[0]) @ linear_phase_trend(g, p)))


def linear_phase_trend(gains: ArrayLike, positions_m: ArrayLike) -> NDArray[np.float64]:
    """The phase gradient ``c`` (``(3,)``, rad/m) of the least-squares fit ``alpha + c . p_m`` of
    the gains' phases (referenced to element 0, assumed within +-180 deg) over the element
    positions ``(M, 3)`` relative to element 0; the minimum-norm ``c``, so it lies in the span of
    the array's aperture."""
    g = np.asarray(gains, dtype=np.complex128)
    p = np.asarray(positions_m, dtype=np.float64) - np.asarray(positions_m, dtype=np.float64)[0]
    phase = np.angle(g / g[0])
    design = np.column_stack([np.ones(p.shape[0]), p])
    return np.linalg.lstsq(design, phase, rcond=None)[0][1:]


def shifted_directions(
    azimuth_deg: ArrayLike, elevation_deg: ArrayLike, shift: ArrayLike, positions_m: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Directions ``(K,)`` (degrees) moved by ``shift`` (``(3,)``, in direction cosines) within the
    aperture of the array at ``positions_m`` ``(M, 3)``: what a linear phase trend ``k shift . p``
    across the array does to every bearing (module docstring). The part of each unit vector out
    of the aperture (which the array does not see) keeps its direction and is rescaled to keep a
    unit vector, so the direction stays on its side of the array."""
    positions = np.asarray(positions_m, dtype=np.float64)
    centred = positions - positions.mean(axis=0)
    axes = np.linalg.svd(centred, full_matrices=False)[2][: np.linalg.matrix_rank(centred)]
    u = direction_vectors(azimuth_deg, elevation_deg)  # (K, 3)
    along = (u + np.asarray(shift, dtype=np.float64)) @ axes.T @ axes
    rest = u - u @ axes.T @ axes
    norm = np.linalg.norm(rest, axis=1, keepdims=True)
    scale = np.sqrt(np.clip(1.0 - np.sum(along**2, axis=1, keepdims=True), 0.0, None))
    moved = along + np.divide(scale * rest, norm, out=np.zeros_like(rest), where=norm > 0)
    moved /= np.linalg.norm(moved, axis=1, keepdims=True)
    azimuth, elevation = direction_angles_deg(moved)
    return np.asarray(wrap_deg(azimuth), dtype=np.float64), elevation
