"""OMC-DOA: online micro-clustering of a stream of candidate azimuths into bearings.

Deng et al. 2025 (Sec. IV-A) fuse the ambiguous candidates of the groups of an H2AD array
(:mod:`~gnuradio.bearing.h2ad.candidates`) with (1) dynamic micro-cluster updating,
(2) exponential decay and (3) inter-cluster merging; the ``K`` heaviest clusters are the
bearings (of equal weights, the tighter first). The paper gives no equations; this module
fills them in from the stream clustering literature it builds on.

A micro-cluster is the cluster feature of CluStream (Aggarwal et al. 2003, after BIRCH):
weight ``W``, linear sum and square sum of its members, kept here in the equivalent
centred form weight ``W``, centroid ``mu = LS / W`` and scatter ``S = SS - LS^2 / W``
(deg^2), so that the spread is ``sqrt(S / W)``. Clusters combine additively (West 1979):

    W = W1 + W2,  mu = mu1 + W2 D / W,  S = S1 + S2 + W1 W2 D^2 / W,  D = wrap(mu2 - mu1),

which serves both a candidate joining a cluster (a cluster of one member, ``S2 = 0``) and
two clusters merging. Differences are wrapped to ``[-180, 180)``, so clusters may straddle
+-180 deg (circular arrays). As in DenStream (Cao et al. 2006), weights fade by
``f = 2^(-1 / half_life)`` per estimate, and ``S`` fades with them, so old members lose
their say in centroid and spread alike: a moving emitter is tracked, a silent one fades.

One :meth:`OmcDoa.update` is one estimate (time step): fade every cluster; give each
candidate to the nearest cluster whose centroid is within ``radius_deg``, or open a cluster
for it; merge clusters whose centroids are closer than ``merge_deg`` (closest pair first);
remove the clusters that received no candidate in this update and weigh less than
``min_weight``. Sparing the clusters just fed lets a new cluster grow whatever
``min_weight`` is (DenStream spares young outlier clusters for the same reason).

Drop rule: a cluster of weight ``W0`` that receives nothing is removed in the ``n``-th
silent update, ``n = max(1, floor(half_life log2(W0 / min_weight)) + 1)``
(:func:`estimates_to_drop`); a source seen with candidate weight ``w`` in every estimate
reaches ``W0 = w / (1 - f)`` (:func:`steady_state_weight`). :func:`min_weight_for_drop`
inverts the rule. A constant-rate emitter (``v`` deg per estimate) is followed with a lag
of ``v f / (1 - f)`` deg (the weighted mean age of the members), which must stay below
``radius_deg``.

References:
    C. C. Aggarwal, J. Han, J. Wang, P. S. Yu, "A framework for clustering evolving data
    streams", Proc. VLDB 2003, 81-92 (CluStream).
    F. Cao, M. Ester, W. Qian, A. Zhou, "Density-based clustering over an evolving data
    stream with noise", Proc. SIAM SDM 2006, 328-339 (DenStream).
    T. Zhang, R. Ramakrishnan, M. Livny, "BIRCH: an efficient data clustering method for
    very large databases", Proc. ACM SIGMOD 1996, 103-114 (cluster feature).
    D. H. D. West, "Updating mean and variance estimates: an improved method", Comm. ACM
    22(9), 532-535, 1979.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..validation import check_positive, check_source_count

DEFAULT_RADIUS_DEG = 2.0
DEFAULT_MERGE_DEG = 1.0
DEFAULT_HALF_LIFE_ESTIMATES = 3.0
DEFAULT_MIN_WEIGHT = 0.5
"""Defaults: a lone candidate (weight 1) is dropped after 4 silent estimates, a source
seen once per estimate (steady weight 4.85) after 10."""


@dataclass(frozen=True)
class MicroCluster:
    """A snapshot of one micro-cluster.

    Attributes:
        centroid_deg: weighted mean azimuth, degrees in ``[-180, 180)``.
        weight: faded sum of the member weights.
        spread_deg: weighted standard deviation of the members about the centroid, degrees.
        fed: whether the cluster received a candidate in the last update (a live source's
            cluster) or only faded (a silent one's, or an alias not seen this time).
    """

    centroid_deg: float
    weight: float
    spread_deg: float
    fed: bool = False


class OmcDoa:
    """Online micro-clustering of candidate azimuths (see the module docstring).

    Args:
        radius_deg: a candidate joins the nearest cluster within this distance, degrees.
        merge_deg: clusters whose centroids are closer than this merge, degrees (0: never).
        half_life_estimates: estimates after which a weight has faded to one half.
        min_weight: a cluster that gets no candidate in an update and weighs less than this
            (after fading) is removed.
    """

    def __init__(
        self,
        radius_deg: float = DEFAULT_RADIUS_DEG,
        merge_deg: float = DEFAULT_MERGE_DEG,
        half_life_estimates: float = DEFAULT_HALF_LIFE_ESTIMATES,
        min_weight: float = DEFAULT_MIN_WEIGHT,
    ) -> None:
        self._radius_deg = check_positive(radius_deg, "radius_deg")
        self._merge_deg = _non_negative(merge_deg, "merge_deg")
        self._fade = fade_factor(half_life_estimates)
        self._min_weight = check_positive(min_weight, "min_weight")
        self._clusters: list[_Cluster] = []
        self._centroids: list[float] = []
        self._openings = itertools.count()
        """The clusters sorted by centroid, and their centroids (the keys of the bisections)."""

    @property
    def clusters(self) -> list[MicroCluster]:
        """The current micro-clusters, heaviest first; on a tie the tighter, then the older.

        A copy: changing it changes nothing.
        """
        ordered = sorted(self._clusters, key=_rank)
        return [
            MicroCluster(c.centroid_deg, c.weight, math.sqrt(c.scatter / c.weight), c.fed) for c in ordered
        ]

    def update(self, candidates_deg: ArrayLike, weights: ArrayLike | None = None) -> None:
        """Take one estimate's candidates: fade, absorb, merge, prune.

        Args:
            candidates_deg: azimuths in degrees, any shape (e.g. the ``(K, M_g)`` rows of
                :func:`~gnuradio.bearing.h2ad.candidates.group_candidates`); NaN entries
                are skipped; empty means a silent estimate.
            weights: positive weight of each candidate, broadcast to the candidates'
                shape; default 1.
        """
        candidates, candidate_weights = _weighted_candidates(candidates_deg, weights)
        for cluster in self._clusters:
            cluster.fade(self._fade)
        for azimuth_deg, weight in zip(candidates.tolist(), candidate_weights.tolist(), strict=True):
            self._absorb(_wrap(azimuth_deg), weight)
        self._merge_close()
        self._clusters = [c for c in self._clusters if c.fed or c.weight >= self._min_weight]
        self._centroids = [c.centroid_deg for c in self._clusters]

    def bearings(self, num_sources: int) -> NDArray[np.float64]:
        """Centroids of the ``num_sources`` heaviest clusters, heaviest first, degrees.

        On a tie the tighter cluster (less spread) first, then the older: one estimate's
        candidates of equal group weights tie often (every class of one candidate per group
        weighs the same), and the tighter class is the groups' better agreement. Fewer
        bearings when there are fewer clusters; ``num_sources`` comes from a source counter.
        """
        heaviest = heapq.nsmallest(check_source_count(num_sources), self._clusters, key=_rank)
        return np.array([c.centroid_deg for c in heaviest], dtype=np.float64)

    def _absorb(self, azimuth_deg: float, weight: float) -> None:
        """Adds a candidate to the nearest cluster within the radius, or opens a cluster for it.

        The clusters are sorted by centroid, so the nearest is one of the two circular
        neighbours of the candidate's place (a bisection; the lower one on a tie): O(log C)
        per candidate instead of a distance to each of the C clusters.
        """
        centroids = self._centroids
        if centroids:
            place = bisect.bisect_left(centroids, azimuth_deg)
            lower, upper = place - 1, place % len(centroids)
            lower_gap = abs(_wrap(centroids[lower] - azimuth_deg))
            upper_gap = abs(_wrap(centroids[upper] - azimuth_deg))
            nearest, gap = (lower, lower_gap) if lower_gap <= upper_gap else (upper, upper_gap)
            if gap <= self._radius_deg:
                cluster = self._pop(nearest)
                cluster.add(azimuth_deg, weight)
                self._insert(cluster)
                return
        self._insert(_Cluster(azimuth_deg, weight, 0.0, opened=next(self._openings), fed=True))

    def _merge_close(self) -> None:
        """Merges the closest pair of centroids while it is closer than ``merge_deg``.

        In the sorted list the closest pair is a pair of circular neighbours.
        """
        while len(self._centroids) > 1:
            centroids = np.array(self._centroids)
            gaps = np.diff(centroids, append=centroids[0] + 360.0)
            first = int(np.argmin(gaps))
            if gaps[first] >= self._merge_deg:
                return
            second = self._pop((first + 1) % len(centroids))
            merged = self._pop(first if first < len(self._centroids) else first - 1)
            merged.merge(second)
            self._insert(merged)

    def _insert(self, cluster: _Cluster) -> None:
        place = bisect.bisect_left(self._centroids, cluster.centroid_deg)
        self._centroids.insert(place, cluster.centroid_deg)
        self._clusters.insert(place, cluster)

    def _pop(self, index: int) -> _Cluster:
        del self._centroids[index]
        return self._clusters.pop(index)


@dataclass
class _Cluster:
    """Cluster feature in centred form: weight, centroid (deg), scatter ``S`` (deg^2).

    ``opened`` numbers the clusters in the order they were opened (a merged cluster keeps
    the older number): of two equal weights and spreads, the older ranks first. ``fed`` is
    whether the cluster received a candidate in the current update.
    """

    centroid_deg: float
    weight: float
    scatter: float
    opened: int
    fed: bool = False

    def fade(self, factor: float) -> None:
        self.weight *= factor
        self.scatter *= factor
        self.fed = False

    def add(self, centroid_deg: float, weight: float, scatter: float = 0.0, fed: bool = True) -> None:
        """Adds a cluster of these statistics (a candidate: ``scatter = 0``) to this one (West 1979)."""
        total = self.weight + weight
        offset = _wrap(centroid_deg - self.centroid_deg)
        self.centroid_deg = _wrap(self.centroid_deg + weight * offset / total)
        self.scatter += scatter + self.weight * weight * offset**2 / total
        self.weight = total
        self.fed = self.fed or fed

    def merge(self, other: _Cluster) -> None:
        """Adds the cluster ``other`` to this one; the merged cluster is as old as the older."""
        self.add(other.centroid_deg, other.weight, other.scatter, other.fed)
        self.opened = min(self.opened, other.opened)


def _rank(cluster: _Cluster) -> tuple[float, float, int]:
    """Heaviest first; on a tie the tighter (less spread), then the older."""
    return -cluster.weight, cluster.scatter / cluster.weight, cluster.opened


def _wrap(angle_deg: float) -> float:
    """One angle wrapped to [-180, 180) degrees, as :func:`~gnuradio.bearing.array.geometry.wrap_deg`
    does for arrays, without its numpy overhead."""
    return (angle_deg + 180.0) % 360.0 - 180.0


def fade_factor(half_life_estimates: float) -> float:
    """Per-estimate weight factor ``f = 2^(-1 / half_life)`` (DenStream's fading function)."""
    return float(2.0 ** (-1.0 / check_positive(half_life_estimates, "half_life_estimates")))


def steady_state_weight(half_life_estimates: float, weight_per_estimate: float = 1.0) -> float:
    """Weight ``w / (1 - f)`` of a cluster that gains ``w`` in every estimate, after many.

    For an H2AD source whose groups' candidates come in one update per estimate, ``w`` is
    the sum of the weights of the groups that see it.
    """
    return check_positive(weight_per_estimate, "weight_per_estimate") / (
        1.0 - fade_factor(half_life_estimates)
    )


def estimates_to_drop(half_life_estimates: float, min_weight: float, weight: float) -> int:
    """Silent estimates after which a cluster of ``weight`` is removed (it is gone after the n-th).

    ``n = max(1, floor(half_life log2(weight / min_weight)) + 1)``: the first ``n >= 1`` with
    ``weight f^n < min_weight``.
    """
    half_life = check_positive(half_life_estimates, "half_life_estimates")
    ratio = check_positive(weight, "weight") / check_positive(min_weight, "min_weight")
    return max(1, int(np.floor(half_life * np.log2(ratio))) + 1)


def min_weight_for_drop(drop_after_estimates: int, half_life_estimates: float, weight: float) -> float:
    """The ``min_weight`` that removes a cluster of ``weight`` in its n-th silent estimate.

    Halfway (in log scale) between the weights after ``n - 1`` and ``n`` fades,
    ``weight f^(n - 1/2)``, so that rounding does not move the estimate of the drop.
    """
    if int(drop_after_estimates) != drop_after_estimates or drop_after_estimates < 1:
        raise ValueError(f"drop_after_estimates must be a positive integer, got {drop_after_estimates!r}")
    fade = fade_factor(half_life_estimates)
    return check_positive(weight, "weight") * fade ** (drop_after_estimates - 0.5)


def _weighted_candidates(
    candidates_deg: ArrayLike, weights: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The finite candidates and their weights, flattened; NaN candidates dropped."""
    candidates = np.asarray(candidates_deg, dtype=np.float64)
    if np.any(np.isinf(candidates)):
        raise ValueError("candidates_deg contains infinite values (NaN marks a missing candidate)")
    try:
        candidate_weights = np.broadcast_to(np.asarray(1.0 if weights is None else weights), candidates.shape)
    except ValueError as error:
        raise ValueError(
            f"weights of shape {np.shape(weights)} do not broadcast to candidates_deg of shape "
            f"{candidates.shape}"
        ) from error
    candidate_weights = candidate_weights.astype(np.float64)
    if not np.all(np.isfinite(candidate_weights) & (candidate_weights > 0)):
        raise ValueError("weights must be positive finite numbers")
    present = ~np.isnan(candidates)
    return candidates[present], candidate_weights[present]


def _non_negative(value: float, name: str) -> float:
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)
