"""Fusing the ambiguous candidates of the groups of an H2AD array into bearings, per estimate.

Each group ``g`` gives, per source, a row of candidate azimuths (one true, the others
aliases ``lambda / (M_g d)`` apart in sine; :func:`~gnuradio.bearing.h2ad.candidates.group_candidates`).
With pairwise coprime ``M_g`` only the true azimuths coincide across groups. Three ways to
find them, all taking ``candidates_per_group`` (one array per group, rows = sources,
NaN = no candidate) and returning up to ``num_sources`` azimuths in degrees, in order of
discovery; fewer when the candidates run out:

* :func:`wgmd`, weighted global minimum distance, and :func:`wlmd`, weighted local minimum
  distance: the baselines of Shu et al. 2025 (Sec. III; Deng et al. 2025 compare against
  them). Neither text available here gives their equations; our reading of "find the class
  of the true solutions and compute the class mean": a class is one candidate per group,
  the bearing its weighted mean.

  - WGMD searches all ``prod_g n_g`` classes (``n_g`` candidates left in group ``g``) for
    the one of least weighted mean distance to its weighted mean,
    ``sum_g w_g |c_g - mean| / sum_g w_g``.
  - WLMD takes the group of largest weight as reference (the first on a tie) and, for each
    of its candidates ``c``, the nearest candidate of every other group; the class of least
    weighted mean distance to ``c`` wins: ``n_ref * sum_g n_g`` distances instead of the
    product, at the risk of a reference candidate whose nearest neighbours are not one
    class.

  With several sources, both repeat this ``num_sources`` times; after each pick, the whole
  rows (sources) the chosen candidates came from are removed from their groups, since an
  ESPRIT row belongs to one source. Shu et al. weight a group by the inverse of its
  Cramer-Rao bound; ``weights`` is the caller's (default equal).

* :func:`fuse_candidates`: OMC-DOA (:class:`~gnuradio.bearing.h2ad.omc_doa.OmcDoa`) on one
  estimate: all groups' candidates in one update, each weighted by its group's weight; the
  ``num_sources`` heaviest micro-clusters (where the groups agree) are the bearings.

:func:`~gnuradio.bearing.h2ad.refine.refine_bearings` then takes each fused bearing to the MUSIC peak of
the *whole* RF-chain covariance within ``search_deg`` of it. The three fusions use the groups'
covariances only, so their accuracy is that of the groups' short virtual apertures
(``K_g M_g d``); the covariances *between* groups carry the phase across the whole array
(``N d``), which the stochastic CRB of the RF chains
(:func:`~gnuradio.bearing.doa.crb.hybrid_stochastic_crb`) counts. The fused bearing picks the
lobe (no ambiguity left), the local MUSIC search on the ``R`` chains brings the accuracy
to that of the whole array.

Ghosts: with two groups, two sources whose sines differ by a multiple of
``lambda / (M_1 M_2 d)`` put an alias of one on an alias of the other, a class as good as
a true one; a third group removes most of them.

References:
    F. Shu, B. Shi, Y. Chen, J. Bai, Y. Li, T. Liu, Z. Han, X. You, "A new heterogeneous
    hybrid massive MIMO receiver with an intrinsic ability of removing phase ambiguity of
    DOA estimation via machine learning", IEEE TMLCN 3, 17-29, 2025 (arXiv:2308.08100).
    Deng, Bai, ..., Shu, "DNN-based methods of jointly sensing number and directions of
    targets via a green massive H2AD MIMO receiver", 2025 (Sec. IV-A).
    R. O. Schmidt, "Multiple emitter location and signal parameter estimation", IEEE Trans.
    Antennas Propag. 34(3), 276-280, 1986 (MUSIC).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import wrap_deg
from ..validation import check_source_count
from .omc_doa import DEFAULT_MERGE_DEG, DEFAULT_RADIUS_DEG, OmcDoa

ClassChoice = Callable[[list[NDArray[np.float64]], NDArray[np.float64]], tuple[int, ...]]
"""Maps the groups' remaining candidates and the group weights to one candidate index per group."""


@dataclass(frozen=True)
class _Group:
    """One group's finite candidates, flattened, with the row (source) each came from."""

    azimuth_deg: NDArray[np.float64]
    row: NDArray[np.int64]


def wgmd(
    candidates_per_group: Sequence[ArrayLike], num_sources: int, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Weighted global minimum distance fusion (Shu et al. 2025, as read in the module docstring).

    Args:
        candidates_per_group: ``G >= 2`` arrays of azimuths in degrees, shape ``(K_g, M_g)``
            (a 1-D array is one row); NaN entries are no candidate.
        num_sources: ``K``, bearings wanted.
        weights: per-group weights, shape ``(G,)``, positive; default equal.

    Returns:
        up to ``K`` azimuths in degrees, shape ``(K',)``, in order of discovery.
    """
    return _fuse_classes(candidates_per_group, num_sources, weights, _global_class)


def wlmd(
    candidates_per_group: Sequence[ArrayLike], num_sources: int, weights: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Weighted local minimum distance fusion (Shu et al. 2025); arguments as :func:`wgmd`."""
    return _fuse_classes(candidates_per_group, num_sources, weights, _local_class)


def fuse_candidates(
    candidates_per_group: Sequence[ArrayLike],
    num_sources: int,
    weights: ArrayLike | None = None,
    radius_deg: float = DEFAULT_RADIUS_DEG,
    merge_deg: float = DEFAULT_MERGE_DEG,
) -> NDArray[np.float64]:
    """One-shot OMC-DOA: the ``K`` heaviest micro-clusters of one estimate's candidates.

    Arguments and result as :func:`wgmd` (bearings heaviest first); ``radius_deg`` and
    ``merge_deg`` as :class:`~gnuradio.bearing.h2ad.omc_doa.OmcDoa`.
    """
    groups = _as_groups(candidates_per_group)
    group_weights = _group_weights(weights, len(groups))
    omc = OmcDoa(radius_deg=radius_deg, merge_deg=merge_deg)
    omc.update(
        np.concatenate([g.ravel() for g in groups]),
        np.concatenate([np.full(g.size, w) for g, w in zip(groups, group_weights, strict=True)]),
    )
    return omc.bearings(num_sources)


def _fuse_classes(
    candidates_per_group: Sequence[ArrayLike],
    num_sources: int,
    weights: ArrayLike | None,
    choose: ClassChoice,
) -> NDArray[np.float64]:
    """Picks ``num_sources`` classes one after the other, removing the rows of each pick."""
    groups = [_flatten(g) for g in _as_groups(candidates_per_group)]
    group_weights = _group_weights(weights, len(groups))
    available = [np.ones(g.azimuth_deg.size, dtype=bool) for g in groups]
    bearings = []
    for _ in range(check_source_count(num_sources)):
        if not all(a.any() for a in available):
            break
        remaining = [g.azimuth_deg[a] for g, a in zip(groups, available, strict=True)]
        chosen = choose(remaining, group_weights)
        members = np.array([c[i] for c, i in zip(remaining, chosen, strict=True)])
        offsets = wrap_deg(members - members[0])
        bearings.append(float(wrap_deg(members[0] + group_weights @ offsets / group_weights.sum())))
        for group, mask, index in zip(groups, available, chosen, strict=True):
            mask &= group.row != group.row[mask][index]
    return np.array(bearings, dtype=np.float64)


def _global_class(candidates: list[NDArray[np.float64]], weights: NDArray[np.float64]) -> tuple[int, ...]:
    """WGMD: the class (one candidate per group) of least weighted mean distance to its mean."""
    grids = np.meshgrid(*candidates, indexing="ij")
    offsets = np.stack([wrap_deg(grid - grids[0]) for grid in grids])
    w = weights.reshape((-1,) + (1,) * (offsets.ndim - 1))
    mean = np.sum(w * offsets, axis=0) / weights.sum()
    cost = np.sum(w * np.abs(offsets - mean), axis=0)
    return tuple(int(i) for i in np.unravel_index(int(np.argmin(cost)), cost.shape))


def _local_class(candidates: list[NDArray[np.float64]], weights: NDArray[np.float64]) -> tuple[int, ...]:
    """WLMD: per reference candidate, the nearest of every group; least weighted distance wins."""
    reference = candidates[int(np.argmax(weights))]
    distances = [np.abs(wrap_deg(c[None, :] - reference[:, None])) for c in candidates]
    nearest = [np.argmin(d, axis=1) for d in distances]
    cost = sum(w * np.min(d, axis=1) for w, d in zip(weights, distances, strict=True))
    best = int(np.argmin(cost))
    return tuple(int(n[best]) for n in nearest)


def _as_groups(candidates_per_group: Sequence[ArrayLike]) -> list[NDArray[np.float64]]:
    """The groups' candidates as 2-D float arrays (rows = sources), checked."""
    groups = [np.atleast_2d(np.asarray(c, dtype=np.float64)) for c in candidates_per_group]
    if len(groups) < 2:
        raise ValueError(f"candidates_per_group needs at least 2 groups to fuse, got {len(groups)}")
    for index, group in enumerate(groups):
        if group.ndim != 2:
            raise ValueError(f"candidates of group {index} must be 1-D or 2-D, got shape {group.shape}")
        if np.any(np.isinf(group)):
            raise ValueError(f"candidates of group {index} contain infinite values (NaN: no candidate)")
    return groups


def _flatten(group: NDArray[np.float64]) -> _Group:
    rows = np.broadcast_to(np.arange(group.shape[0])[:, None], group.shape)
    present = ~np.isnan(group)
    return _Group(azimuth_deg=group[present], row=rows[present])


def _group_weights(weights: ArrayLike | None, num_groups: int) -> NDArray[np.float64]:
    if weights is None:
        return np.ones(num_groups)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (num_groups,) or not np.all(np.isfinite(w) & (w > 0)):
        raise ValueError(
            f"weights must be {num_groups} positive finite numbers (one per group), got {weights!r}"
        )
    return w
