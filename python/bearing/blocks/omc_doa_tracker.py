"""GNU Radio block: OMC-DOA, online micro-clustering of candidate azimuths into tracked bearings."""

from __future__ import annotations

import numpy as np
import pmt

from ..array.geometry import wrap_deg
from ..array.hybrid import HybridArray
from ..doa.grid import power_to_db
from ..h2ad.omc_doa import (
    DEFAULT_HALF_LIFE_ESTIMATES,
    DEFAULT_MERGE_DEG,
    DEFAULT_RADIUS_DEG,
    OmcDoa,
    min_weight_for_drop,
    steady_state_weight,
)
from ..h2ad.refine import DEFAULT_SEARCH_DEG, refine_hybrid_bearings
from ..validation import check_num_sources
from . import messages
from .base import BearingsBlock

METHOD = "omc-doa"
"""The ``method`` of this block's ``bearings`` messages."""

DEFAULT_DROP_AFTER_ESTIMATES = 3
"""Silent estimates after which a source seen in every estimate is dropped, by default."""


class omc_doa_tracker(BearingsBlock):
    """Fuses a stream of candidate azimuths into bearings: OMC-DOA (Deng et al. 2025, Sec. IV-A).

    Input: ``candidates`` messages of the H2AD candidate generator (every group's ambiguous
    candidates, with their group weights), or ``bearings`` messages of any estimator (a
    fully digital array: the tracker then smooths its estimates into tracks). Each message
    is one estimate, one :meth:`~gnuradio.bearing.h2ad.omc_doa.OmcDoa.update`: the clusters fade,
    absorb the candidates, merge and are pruned (docs/omc-doa.md). Output: for every input
    message a ``bearings`` message (``method`` ``"omc-doa"``, the input's window fields)
    with the centroids of the K heaviest clusters, heaviest first; ``peak_db`` holds their
    weights in dB relative to the heaviest. The ``azimuth`` message follows the heaviest.

    Refinement: a ``candidates`` message also carries the RF-chain covariance and the array.
    The groups' candidates have the accuracy of the groups' short virtual apertures; the
    covariance between groups holds that of the whole array. With ``refine_search_deg`` > 0
    each reported centroid is moved to the MUSIC peak of all RF chains within that many
    degrees of it (:func:`~gnuradio.bearing.h2ad.refine.refine_hybrid_bearings`): the
    RMSE falls from 3.5-4x to about 1x the CRLB (docs/omc-doa.md). Only the bearings that
    this message's candidates back as a source (candidates within ``radius_deg`` weighing at
    least half of ``source_weight``) are refined, with its ``num_sources`` as MUSIC's signal
    subspace: a silent track (reported with a fixed K until dropped) has no peak in this
    covariance and keeps its centroid, even when a stray candidate joins it. The clusters
    keep their centroids; only the reported bearings are refined. ``bearings`` messages of
    an estimator, which carry no covariance, are reported as fused.

    ``num_sources`` K is fixed, or 0 (auto): the input message's ``num_sources`` (the count
    of the candidate generator, or the number of bearings of an estimator, which is the
    source counter's count when the estimator's sources are auto). With auto sources the
    clusters fed by this message rank before the silent ones (heaviest first within each):
    the count is of live sources, so a silent emitter's track gives way at once to a new
    one. With a fixed K the K heaviest are reported, silent ones included until dropped.

    Drop rule: a source whose cluster gains ``source_weight`` in every estimate and then
    falls silent is dropped in its ``drop_after_estimates``-th silent estimate
    (:func:`~gnuradio.bearing.h2ad.omc_doa.min_weight_for_drop`); a lighter cluster (a lone alias
    or outlier) sooner. ``source_weight`` is 1 for the bearings of an estimator, and the sum
    of the group weights (the number of groups, by default) for H2AD candidates, where a
    true direction gathers a candidate from every group.

    Args:
        num_sources: bearings per estimate, or 0 (auto).
        radius_deg: a candidate joins the nearest cluster within this distance, degrees.
        merge_deg: clusters closer than this merge, degrees (0: never).
        half_life_estimates: estimates after which a cluster's weight has halved.
        drop_after_estimates: silent estimates after which a source is dropped (>= 1).
        source_weight: the weight a source's cluster gains per estimate (see above).
        refine_search_deg: half-width of the MUSIC refinement about each bearing, degrees;
            0: report the centroids.
    """

    def __init__(
        self,
        num_sources: int = 0,
        radius_deg: float = DEFAULT_RADIUS_DEG,
        merge_deg: float = DEFAULT_MERGE_DEG,
        half_life_estimates: float = DEFAULT_HALF_LIFE_ESTIMATES,
        drop_after_estimates: int = DEFAULT_DROP_AFTER_ESTIMATES,
        source_weight: float = 1.0,
        refine_search_deg: float = DEFAULT_SEARCH_DEG,
    ) -> None:
        self.set_num_sources(num_sources)
        if not (np.isfinite(refine_search_deg) and refine_search_deg >= 0):
            raise ValueError(f"refine_search_deg must be >= 0 degrees, got {refine_search_deg!r}")
        self.refine_search_deg = float(refine_search_deg)
        self._array: tuple[dict, HybridArray] | None = None
        self._radius_deg, self._source_weight = float(radius_deg), float(source_weight)
        weight = steady_state_weight(half_life_estimates, source_weight)
        min_weight = min_weight_for_drop(drop_after_estimates, half_life_estimates, weight)
        self.tracker = OmcDoa(radius_deg, merge_deg, half_life_estimates, min_weight)
        BearingsBlock.__init__(self, name="Bearing OMC-DOA Tracker", in_sig=None, out_sig=None)
        self.register_bearings_ports()
        self.message_port_register_in(pmt.intern(messages.CANDIDATES_PORT))
        self.set_msg_handler(pmt.intern(messages.CANDIDATES_PORT), self.handle_candidates)
        self.failed_estimates = 0
        self.failed_refinements = 0

    def set_num_sources(self, num_sources: int) -> None:
        """Bearings per estimate, or 0 (auto: each message's ``num_sources``)."""
        self._num_sources = check_num_sources(num_sources, auto=True)

    def handle_candidates(self, message: pmt.pmt_t) -> None:
        try:
            fields = messages.from_pmt(message)
            count = self._num_sources or int(fields[messages.NUM_SOURCES])
            self.tracker.update(fields["azimuth_deg"], fields.get("weights"))
        except Exception as error:  # an exception escaping a handler stops the block's messages
            self.failed_estimates += 1
            self.logger.warn(f"candidates message ignored: {type(error).__name__}: {error}")
            return
        clusters = self.tracker.clusters
        if not self._num_sources:  # auto: the count is of live sources, whose clusters were just fed
            clusters = sorted(clusters, key=lambda cluster: not cluster.fed)
        clusters = clusters[:count]
        weights = np.array([cluster.weight for cluster in clusters])
        peak_db = power_to_db(weights, weights.max()) if clusters else weights
        self.publish_bearings(self._refined(clusters, fields), peak_db, METHOD, fields)

    def _refined(self, clusters: list, fields: dict) -> list[float]:
        """The clusters' centroids, those this message supports refined on its RF-chain
        covariance, if it has one (class docstring), with the message's count as MUSIC's signal
        subspace; on failure (logged, counted in :attr:`failed_refinements`) the centroids."""
        azimuth_deg = [cluster.centroid_deg for cluster in clusters]
        if not (self.refine_search_deg and messages.COVARIANCE_FIELD in fields):
            return azimuth_deg
        live = self._supported(azimuth_deg, fields)
        if not live:
            return azimuth_deg
        try:
            array = self._hybrid_array(fields[messages.HYBRID_ARRAY_FIELD])
            size = array.num_rf_chains
            covariance = np.reshape(fields[messages.COVARIANCE_FIELD], (size, size))
            refined = refine_hybrid_bearings(
                array,
                covariance,
                [azimuth_deg[index] for index in live],
                self.refine_search_deg,
                int(fields[messages.NUM_SOURCES]),
            )
        except Exception as error:  # a bad refinement must not lose the estimate
            self.failed_refinements += 1
            self.logger.warn(f"bearings not refined: {type(error).__name__}: {error}")
            return azimuth_deg
        for index, value in zip(live, refined, strict=True):
            azimuth_deg[index] = float(value)
        return azimuth_deg

    def _supported(self, azimuth_deg: list[float], fields: dict) -> list[int]:
        """Indices of the bearings that the message's candidates back as a source: candidates
        within the radius weighing at least half of ``source_weight`` (most groups agree). A
        lone stray candidate (a noise root) next to a silent track does not."""
        candidates = np.asarray(fields["azimuth_deg"], dtype=np.float64)
        weights = np.asarray(fields.get("weights") or np.ones(candidates.size), dtype=np.float64)
        return [
            index
            for index, bearing in enumerate(azimuth_deg)
            if weights[np.abs(wrap_deg(candidates - bearing)) <= self._radius_deg].sum()
            >= self._source_weight / 2
        ]

    def _hybrid_array(self, description: dict) -> HybridArray:
        """The message's array, built once per description (messages usually repeat it)."""
        if self._array is None or self._array[0] != description:
            self._array = (description, HybridArray.from_dict(description))
        return self._array[1]
