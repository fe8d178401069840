"""Source counting: how many emitters a spatial covariance holds, from its eigenvalues.

Every method looks at the eigenvalues ``l_1 >= ... >= l_M`` of an ``(M, M)`` Hermitian
covariance ``R`` estimated from ``T`` snapshots: the K signal eigenvalues stand above the
``M - K`` noise eigenvalues, which scatter around the noise power ``sigma^2`` (Deng, Bai,
..., Shu, "DNN-based methods of jointly sensing number and directions of targets via a
green massive H2AD MIMO receiver", 2025, eq. (11); "the H2AD paper" below).

* ``mdl``, ``aic``: the information criteria of Wax & Kailath (:func:`mdl`, :func:`aic`).
* ``edc``: the H2AD paper's improved eigen-domain clustering (Sec. III-A, :func:`edc`),
  which also takes the per-group covariances of a hybrid array of G groups.
* ``dnn``, ``cnn1d``, ``fcnn``: learned counters (:mod:`~gnuradio.bearing.counting.models`): the enhanced DNN
  on :func:`eigenvalue_features` (Sec. III-B), the 1D-CNN on :func:`log_eigenvalues`
  (Sec. III-C) and the FCNN baseline on :func:`normalised_eigenvalues` (Li et al. 2023).

:func:`~gnuradio.bearing.counting.counters.count_sources` is the one entry point. Eigenvalues are
unitless ratios in every feature: the methods do not depend on the received power's scale.

References:
    M. Wax, T. Kailath, "Detection of signals by information theoretic criteria", IEEE
    Trans. ASSP 33(2), 387-392, 1985.
    M. Ester, H.-P. Kriegel, J. Sander, X. Xu, "A density-based algorithm for discovering
    clusters in large spatial databases with noise", Proc. KDD 1996, 226-231 (DBSCAN).
    V. A. Marchenko, L. A. Pastur, "Distribution of eigenvalues for some sets of random
    matrices", Math. USSR-Sbornik 1(4), 457-483, 1967.
    Y. Li, F. Shu, et al., "Machine learning methods for inferring the number of UAV
    emitters via massive MIMO receive array", Drones 7(4), 256, 2023.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components

from ..array.covariance import check_covariance, check_covariances
from ..validation import check_count

EDC_EPS = 2.0
"""DBSCAN's neighbourhood radius in the standardised plane of :func:`edc_points` (units of
the noise spread ``sqrt(M/T) sigma^2``) for 8 pooled eigenvalues; :func:`edc_eps` scales it
to other counts. Chosen on simulations of 200 snapshots (docs/source-counting.md): on an
8-element ULA, 1.0 and 1.5 split pure noise (0 sources counted in 80 % and 98 % of the
trials), 3.0 merges weak sources into the noise (2 sources at -8 dB: 69 % counted, 91 % with
2.0)."""
EDC_REFERENCE_POINTS = 8
"""Pooled eigenvalues (points) for which :data:`EDC_EPS` was chosen."""
EDC_MIN_SAMPLES = 2
"""DBSCAN's ``min_samples``: a point with one neighbour within ``eps`` is a core point."""

HERMITIAN_TOLERANCE = 1e-6
"""Largest ``|R - R^H|`` element, relative to the largest ``|R|`` element, of a covariance."""
MIN_EIGENVALUE_RATIO = 1e-12
"""``l_M / l_1`` below this is a singular covariance (fewer snapshots than elements, no noise)."""
FEATURE_FLOOR = 1e-12
"""Smallest argument of a feature's logarithm: the standard deviation, the sphericity and the
entropy shortfall of an exactly white covariance, all 0, give ``log(1e-12)`` instead of
``-inf``."""
NUM_EIGENVALUE_FEATURES = 5
"""Length of :func:`eigenvalue_features`."""


def eigenvalues(covariance: ArrayLike) -> NDArray[np.float64]:
    """Eigenvalues of a Hermitian positive definite covariance, in descending order.

    Args:
        covariance: ``(M, M)``, or a batch ``(N, M, M)``, complex; any power unit.

    Returns:
        ``(M,)`` or ``(N, M)``, float64, ``l_1 >= ... >= l_M > 0`` along the last axis, in
        the covariance's unit.

    Raises:
        ValueError: not square, not finite, not Hermitian, or singular (``l_M <=
            1e-12 l_1``: fewer snapshots than elements, or no noise).
    """
    r = np.asarray(covariance)
    r = check_covariance(r) if r.ndim == 2 else check_covariances(r)
    scale = np.max(np.abs(r), axis=(-2, -1), keepdims=True)
    if np.any(np.abs(r - np.swapaxes(r.conj(), -2, -1)) > HERMITIAN_TOLERANCE * scale):
        raise ValueError("covariance is not Hermitian (R != R^H)")
    values = np.linalg.eigvalsh(r)[..., ::-1]
    if not np.all(values[..., -1] > MIN_EIGENVALUE_RATIO * values[..., 0]):
        raise ValueError(
            "covariance is singular or not positive definite (smallest eigenvalue "
            f"{np.min(values[..., -1]):.3g}): a sample covariance needs at least M snapshots "
            "and receiver noise"
        )
    return values


def mdl_criterion(eigenvalues: ArrayLike, num_snapshots: int) -> NDArray[np.float64]:
    """Wax & Kailath's MDL for every candidate number of sources ``k = 0 .. M-1``.

    ``MDL(k) = -T (M-k) log(g_k / a_k) + 1/2 k (2M - k) log T`` (Wax & Kailath 1985, for
    complex data), where ``g_k`` and ``a_k`` are the geometric and arithmetic
    means of the ``M - k`` smallest eigenvalues ``l_{k+1} .. l_M``; the first term is minus
    the log-likelihood ratio of their equality (:func:`sphericity_log_likelihood`), the
    second the description length of the ``k (2M - k)`` free parameters.

    Args:
        eigenvalues: ``(M,)`` descending, positive (:func:`eigenvalues`).
        num_snapshots: ``T``, the snapshots behind the covariance.

    Returns:
        ``(M,)``: ``MDL(0) .. MDL(M-1)``, nats.
    """
    values, t = _check_eigenvalues(eigenvalues), check_count(num_snapshots, "num_snapshots")
    k = np.arange(values.size)
    return sphericity_log_likelihood(values, t) + 0.5 * k * (2 * values.size - k) * np.log(t)


def aic_criterion(eigenvalues: ArrayLike, num_snapshots: int) -> NDArray[np.float64]:
    """Wax & Kailath's AIC for every candidate number of sources ``k = 0 .. M-1``.

    ``AIC(k) = -2 T (M-k) log(g_k / a_k) + 2 k (2M - k)`` (Wax & Kailath 1985),
    ``g_k``, ``a_k`` as in :func:`mdl_criterion`. AIC's penalty does not grow with ``T``: it
    overestimates the count with a probability that stays above zero as ``T`` grows.

    Returns:
        ``(M,)``: ``AIC(0) .. AIC(M-1)``, nats.
    """
    values, t = _check_eigenvalues(eigenvalues), check_count(num_snapshots, "num_snapshots")
    k = np.arange(values.size)
    return 2.0 * sphericity_log_likelihood(values, t) + 2.0 * k * (2 * values.size - k)


def sphericity_log_likelihood(eigenvalues: NDArray[np.float64], num_snapshots: int) -> NDArray[np.float64]:
    """``-T (M-k) log(g_k / a_k)`` for ``k = 0 .. M-1``: ``(M,)``, ``>= 0``, 0 at ``k = M-1``.

    ``g_k / a_k``, the ratio of the geometric to the arithmetic mean of the ``M - k``
    smallest eigenvalues, is 1 when they are equal (white noise) and smaller the more they
    spread.
    """
    logs = np.log(eigenvalues)
    tails = np.arange(eigenvalues.size, 0, -1)
    log_geometric = np.cumsum(logs[::-1])[::-1] / tails
    log_arithmetic = np.log(np.cumsum(eigenvalues[::-1])[::-1] / tails)
    return -num_snapshots * tails * (log_geometric - log_arithmetic)


def mdl(covariance: ArrayLike, num_snapshots: int) -> int:
    """Number of sources by MDL: ``argmin_k`` :func:`mdl_criterion` of ``covariance`` ``(M, M)``."""
    return int(np.argmin(mdl_criterion(eigenvalues(one_covariance(covariance)), num_snapshots)))


def aic(covariance: ArrayLike, num_snapshots: int) -> int:
    """Number of sources by AIC: ``argmin_k`` :func:`aic_criterion` of ``covariance`` ``(M, M)``."""
    return int(np.argmin(aic_criterion(eigenvalues(one_covariance(covariance)), num_snapshots)))


def edc_points(eigenvalues: ArrayLike, num_snapshots: int) -> NDArray[np.float64]:
    """The H2AD paper's eqs. (20)-(23): a group's eigenvalues standardised and mapped to 2-D.

    The symbols of eqs. (20)-(23) were lost from the paper's text; this is our reading. The
    paper standardises each group's eigenvalues so that the noise eigenvalues gather in a
    compact cluster near the origin. Here the standardisation is by the noise itself: with
    ``c = M/T``, the noise eigenvalues of a sample covariance lie within
    ``sigma^2 (1 -+ sqrt(c))^2`` (Marchenko & Pastur 1967), so

    * the noise power is ``sigma^2 = l_M / (1 - sqrt(c))^2`` (the smallest eigenvalue is
      always noise when ``K < M``);
    * the standardised value is ``s_i = (l_i / sigma^2 - 1) / sqrt(c)``: the noise
      eigenvalues fall in about ``[-2 + sqrt(c), 2 + sqrt(c)]`` whatever ``M``, ``T`` and
      the received power, a source ``p`` times stronger than the noise near
      ``M p / sqrt(c)``;
    * the higher-order term, the second coordinate, is the gap ``s_i - s_{i+1}`` to the
      next smaller eigenvalue (0 for the smallest): small between noise eigenvalues, large
      for the weakest source, whose gap to the noise pushes it off the noise cluster.

    A z-score (the group's mean and standard deviation) would be the literal
    "standardised"; it stretches pure noise to unit spread, so no ``eps`` tells 0 sources
    from 1.

    Args:
        eigenvalues: ``(M,)`` descending, positive, of one group (:func:`eigenvalues`).
        num_snapshots: ``T > M``.

    Returns:
        ``(M, 2)``: ``(s_i, s_i - s_{i+1})`` per eigenvalue, in the order given.
    """
    values, t = _check_eigenvalues(eigenvalues), check_count(num_snapshots, "num_snapshots")
    if t <= values.size:
        raise ValueError(
            f"EDC needs more snapshots than eigenvalues: {t} snapshots for {values.size} eigenvalues"
        )
    root_c = np.sqrt(values.size / t)
    noise = values[-1] / (1.0 - root_c) ** 2
    s = (values / noise - 1.0) / root_c
    return np.column_stack([s, s - np.append(s[1:], s[-1])])


def edc_eps(num_points: int) -> float:
    """DBSCAN's radius for ``P = num_points`` pooled eigenvalues: ``EDC_EPS sqrt(7 / (P - 1))``
    (:data:`EDC_EPS` at 8 points), the square root of the mean spacing of the points.

    The noise eigenvalues spread over about 4 units of :func:`edc_points` whatever their
    number, so fewer of them stand further apart and more of them closer (200 snapshots):

    * a 4-element ULA, noise only: ``eps = 2`` split pure noise in 4 % of the trials, ``3.06``
      (this rule) in 0.7 %;
    * 128 antennas in three groups of 43, 43 and 42 (P = 128, ``eps = 0.47``), 1 .. 4 sources of
      equal power: ``eps = 2`` chained the weak sources' points into the noise cluster (0 to
      61 % counted right at -14 dB), ``0.47`` counted 100 % (200 trials per count) and 0.4 % of
      pure noise as one source; ``0.75`` 88.5 % of 4 sources at -14 dB;
    * the hybrid layout ``(4, 4, 4) x (3, 4, 5)`` (P = 12, ``eps = 1.60``; 2.0 before this rule
      shrank it), 0 .. 3 sources at 10 dB: 99.4, 99.0, 91.0 and 75.0 % counted right against
      100, 100, 92.4 and 64.0 % with 2.0 (at 0 dB: 99.8, 83.8, 39.0, 17.2 against 100, 79.8,
      33.2, 9.6 %; 500 trials per count).
    """
    spacing_ratio = (EDC_REFERENCE_POINTS - 1) / max(num_points - 1, 1)
    return EDC_EPS * float(np.sqrt(spacing_ratio))


def edc(
    covariances: ArrayLike | Sequence[ArrayLike],
    num_snapshots: int,
    eps: float | None = None,
    min_samples: int = EDC_MIN_SAMPLES,
) -> int:
    """Number of sources by the H2AD paper's improved EDC (Sec. III-A, eqs. (20)-(26)).

    1. Each group's eigenvalues become points in the plane (:func:`edc_points`).
    2. DBSCAN (:func:`dbscan`) clusters the points of all G groups together (eq. (25)).
    3. The noise cluster, the paper's "main dense cluster", is the cluster that holds the
       groups' smallest eigenvalues (their points sit at ``s = -2 + sqrt(c)``, inside the
       noise); a smallest eigenvalue DBSCAN leaves unclustered is noise on its own.
    4. Eq. (26): the other points are signal; their count divided by G, rounded, is the
       number of sources.

    Args:
        covariances: one ``(M, M)`` covariance (G = 1), or the G per-group covariances of a
            hybrid array (one per group of subarrays, sizes may differ), all from the same
            ``T`` snapshots.
        num_snapshots: ``T``, more than every group's size.
        eps: DBSCAN's radius in the standardised plane; None: :func:`edc_eps` of the
            number of pooled eigenvalues.
        min_samples: DBSCAN's core point threshold (:data:`EDC_MIN_SAMPLES`).

    Returns:
        the number of sources, ``0 .. max M_g - 1``.
    """
    groups = group_covariances(covariances)
    points = [edc_points(eigenvalues(r), num_snapshots) for r in groups]
    smallest = np.cumsum([len(p) for p in points]) - 1
    pooled = np.concatenate(points)
    labels = dbscan(pooled, edc_eps(len(pooled)) if eps is None else eps, min_samples)
    noise_labels = labels[smallest]
    noise = np.isin(labels, noise_labels[noise_labels >= 0])
    noise[smallest] = True
    return int(np.rint(np.count_nonzero(~noise) / len(groups)))


def dbscan(points: ArrayLike, eps: float, min_samples: int) -> NDArray[np.int64]:
    """DBSCAN (Ester et al. 1996) of a few points: cluster labels ``0, 1, ...``, ``-1`` for noise.

    A core point has at least ``min_samples`` points (itself included) within ``eps``
    (Euclidean); clusters are the connected groups of core points within ``eps`` of each
    other, and a border point (not core, within ``eps`` of a core point) joins the cluster of
    its nearest core point (scikit-learn's ``DBSCAN`` gives it to the first cluster that
    reaches it instead; the core clusters are the same). Quadratic in the number of points:
    meant for eigenvalues, tens to hundreds of points.

    Args:
        points: ``(P, D)`` float.
        eps: the neighbourhood radius, ``> 0``.
        min_samples: ``>= 1``.

    Returns:
        ``(P,)`` int64 labels.
    """
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"points must be a finite (P, D) array, got shape {x.shape}")
    if not eps > 0 or int(min_samples) != min_samples or min_samples < 1:
        raise ValueError(
            f"DBSCAN needs eps > 0 and an integer min_samples >= 1, got {eps!r}, {min_samples!r}"
        )
    distance = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)
    near = distance <= eps
    core = near.sum(axis=1) >= min_samples
    labels = np.full(len(x), -1, dtype=np.int64)
    if not np.any(core):
        return labels
    _, components = connected_components(near[np.ix_(core, core)], directed=False)
    labels[core] = components
    to_core = np.where(near[:, core], distance[:, core], np.inf)
    border = ~core & np.isfinite(to_core).any(axis=1)
    labels[border] = components[to_core[border].argmin(axis=1)]
    return labels


def normalised_eigenvalues(eigenvalues: ArrayLike) -> NDArray[np.float64]:
    """``p_i = l_i / sum_j l_j``: eigenvalues as shares of the received power, ``(..., M)``.

    The FCNN baseline's input (Li et al. 2023 feed their multi-layer network with features
    of the eigenvalue sequence; our reading: the sequence itself, scaled to unit sum), and
    the distribution of :func:`eigenvalue_features`' spectral entropy.
    """
    values = _check_eigenvalues(eigenvalues, batch=True)
    return values / values.sum(axis=-1, keepdims=True)


def log_eigenvalues(eigenvalues: ArrayLike) -> NDArray[np.float64]:
    """The 1D-CNN's input, the H2AD paper's eq. (33): ``log p_i``, ``(..., M)``, descending.

    The logarithm compresses the eigenvalues' dynamic range (Sec. III-C); ``p_i`` from
    :func:`normalised_eigenvalues` removes the received power's scale.
    """
    return np.log(normalised_eigenvalues(eigenvalues))


def spectral_entropy(eigenvalues: ArrayLike) -> NDArray[np.float64]:
    """``H = -sum_i p_i log p_i`` of :func:`normalised_eigenvalues`, nats, ``(...)``.

    ``log M`` for white noise, smaller the more the power concentrates in few eigenvalues
    (the H2AD paper, eq. (28): it measures "the energy concentration degree").
    """
    p = normalised_eigenvalues(eigenvalues)
    return -np.sum(p * np.log(p), axis=-1)


def eigenvalue_features(eigenvalues: ArrayLike) -> NDArray[np.float64]:
    """The enhanced DNN's input, the H2AD paper's eqs. (27)-(29): 5 log-compressed statistics.

    Of ``p = l / sum(l)`` (:func:`normalised_eigenvalues`), in this order:

    0. ``log max p``;
    1. ``log min p``;
    2. ``log std p`` (population standard deviation);
    3. ``log(log(1/M) - mean log p)``: the mean, read as the mean of ``log p``. The mean of
       ``p`` itself is ``1/M`` for every covariance (the scale is divided out), so the
       paper's ``log mean`` would be a constant; ``log(1/M) - mean log p`` is Wax &
       Kailath's sphericity statistic ``log(a_0 / g_0)`` (:func:`sphericity_log_likelihood`),
       0 for white noise and positive otherwise;
    4. ``log(log M - H)``, ``H`` the spectral entropy (:func:`spectral_entropy`):
       ``log M - H`` is the entropy's shortfall from white noise's ``log M`` (the
       Kullback-Leibler divergence of ``p`` from the uniform), 0 for white noise.

    Statistics 3 and 4 are compressed as their distance from white noise's value: a fourth
    source at -14 dB moves ``H`` and ``mean log p`` by about 1 % of their range over the
    training SNRs, and ``log H`` left them there (docs/source-counting.md, "Learned counters": on
    192 antennas at -14 dB, 96.2 % counted with ``log H`` and ``mean log p``, 98.5 % with
    these, the same network and training).

    Logarithms of 0 (an exactly white covariance has ``std p = 0`` and statistics 3 and 4 at
    0; rounding may leave them a little below) are floored at ``log(1e-12)``
    (:data:`FEATURE_FLOOR`).

    Args:
        eigenvalues: ``(..., M)`` positive.

    Returns:
        ``(..., 5)`` float64.
    """
    p = normalised_eigenvalues(eigenvalues)
    uniform = np.log(p.shape[-1])
    sphericity = -uniform - np.log(p).mean(axis=-1)
    statistics = [p.max(axis=-1), p.min(axis=-1), p.std(axis=-1), sphericity, uniform - spectral_entropy(p)]
    return np.log(np.maximum(np.stack(statistics, axis=-1), FEATURE_FLOOR))


LEARNED_INPUTS = {
    "dnn": eigenvalue_features,
    "cnn1d": log_eigenvalues,
    "fcnn": normalised_eigenvalues,
}
"""The input of each learned method, a function of the eigenvalues ``(..., M)``."""

LEARNED_METHODS = tuple(LEARNED_INPUTS)
"""The methods that need a trained model (:mod:`~gnuradio.bearing.counting.models`): dnn, cnn1d, fcnn."""


def diagonal_blocks(covariance: NDArray[np.complex128], sizes: Sequence[int]) -> list[NDArray[np.complex128]]:
    """The covariances of contiguous subarrays (or RF-chain groups) of ``sizes`` channels: the
    diagonal blocks of ``covariance`` ``(N, N)``, ``sum(sizes) = N``, in channel order (for
    :func:`edc`'s groups)."""
    edges = np.cumsum([0, *sizes])
    return [covariance[a:b, a:b] for a, b in itertools.pairwise(edges)]


def group_covariances(covariances: ArrayLike | Sequence[ArrayLike]) -> list[NDArray[np.complex128]]:
    """The G ``(M_g, M_g)`` group covariances of a list, or ``[covariance]`` for one array."""
    if isinstance(covariances, list | tuple):
        if not covariances:
            raise ValueError("no covariance given (an empty list of groups)")
        return [check_covariance(r) for r in covariances]
    return [check_covariance(covariances)]


def one_covariance(covariances: ArrayLike | Sequence[ArrayLike]) -> NDArray[np.complex128]:
    groups = group_covariances(covariances)
    if len(groups) != 1:
        raise ValueError(
            f"{len(groups)} group covariances given; only 'edc' counts from the groups of a "
            "hybrid array, the other methods take the whole array's covariance"
        )
    return groups[0]


def _check_eigenvalues(eigenvalues: ArrayLike, batch: bool = False) -> NDArray[np.float64]:
    values = np.asarray(eigenvalues, dtype=np.float64)
    if (values.ndim < 1 if batch else values.ndim != 1) or values.shape[-1] < 1:
        raise ValueError(
            f"eigenvalues must be a {'(..., M)' if batch else '(M,)'} array, got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)) or not np.all(values > 0):
        raise ValueError("eigenvalues must be finite and positive (see eigenvalues())")
    return values
