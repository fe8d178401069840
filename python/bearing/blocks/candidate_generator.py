"""GNU Radio block: the ambiguous candidate azimuths of every group of an H2AD array."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pmt
from gnuradio import gr

from ..array.hybrid import HybridArray, HybridLayout
from ..h2ad.candidates import hybrid_group_candidates
from ..validation import check_num_sources
from . import messages
from .base import Guarded, window_num_sources

METHOD = "h2ad-candidates"
"""The ``method`` of this block's ``candidates`` messages."""


class candidate_generator(Guarded, gr.sync_block):
    """Per-group ESPRIT on the RF-chain covariance of an H2AD array: ``M_g`` candidates per source.

    Input: ``R*R`` complex64 covariances of the R RF chains (row-major, chains numbered group
    by group as :class:`~gnuradio.bearing.array.hybrid.HybridLayout` does), from a covariance
    accumulator on the RF-chain channels (a hybrid capture has ``core:num_channels`` = R).
    For each covariance and each group ``g``, ESPRIT on the group's diagonal block gives one
    phase per source and its ``M_g`` aliases (Deng et al. 2025, eq. (17);
    :func:`~gnuradio.bearing.h2ad.candidates.group_candidates`). They are published as one
    ``candidates`` message (see :mod:`~gnuradio.bearing.blocks.messages`): all groups' candidates in
    ``azimuth_deg``, each with its group's weight in ``weights``, for the OMC-DOA tracker,
    together with the covariance and the array, so that the tracker can refine its fused
    bearings on all RF chains (:func:`~gnuradio.bearing.h2ad.refine.refine_hybrid_bearings`).

    ``num_sources`` K is fixed (at least 1), or 0 (auto): each covariance's count from a
    source counter upstream (its ``window`` tag). A group of ``K_g`` chains resolves at most
    ``K_g - 1`` sources: groups with too few chains for the count give no candidates for
    that covariance, and a covariance that fewer than two groups can resolve (the aliases of
    one group stay ambiguous) fails (logged, counted in :attr:`failed_estimates`). A count
    of 0 publishes an empty candidate set, so that the tracker's clusters fade.

    Args:
        num_subarrays: ``K_g`` per group.
        subarray_sizes: ``M_g`` per group, pairwise coprime.
        frequency_hz: carrier, hertz.
        spacing_m: antenna spacing ``d``, metres; 0: half a wavelength.
        num_sources: sources per estimate, or 0 (auto).
        group_weights: weight of each group's candidates (positive; empty: 1 each), e.g. the
            inverse of the group's Cramer-Rao bound as Shu et al. 2025 weigh them.
        steer_azimuth_deg: where the phase shifters steer each subarray (about its own
            centre, :meth:`~gnuradio.bearing.array.hybrid.HybridArray.combiner`), degrees;
            it scales the sources' power per group but shifts no candidate.
    """

    def __init__(
        self,
        num_subarrays: Sequence[int] = (2, 2),
        subarray_sizes: Sequence[int] = (2, 3),
        frequency_hz: float = 2.4e9,
        spacing_m: float = 0.0,
        num_sources: int = 0,
        group_weights: Sequence[float] = (),
        steer_azimuth_deg: float = 0.0,
    ) -> None:
        layout = HybridLayout(tuple(num_subarrays), tuple(subarray_sizes), float(steer_azimuth_deg))
        self.array = HybridArray(layout, frequency_hz, spacing_m or None)
        weights = np.asarray(group_weights or np.ones(layout.num_groups), dtype=np.float64)
        if weights.shape != (layout.num_groups,) or not np.all(np.isfinite(weights) & (weights > 0)):
            raise ValueError(
                f"group_weights must be {layout.num_groups} positive numbers (one per group), "
                f"got {list(group_weights)}"
            )
        self.group_weights = weights
        self.set_num_sources(num_sources)
        size = layout.num_rf_chains
        gr.sync_block.__init__(
            self, name="Bearing H2AD Candidates", in_sig=[(np.complex64, size * size)], out_sig=None
        )
        self.message_port_register_out(pmt.intern(messages.CANDIDATES_PORT))
        self.failed_estimates = 0

    def set_num_sources(self, num_sources: int) -> None:
        """Sources per estimate, at least 1, or 0 (auto: each window's counted sources)."""
        self._num_sources = check_num_sources(num_sources, auto=True)

    def candidates(self, covariance: np.ndarray, num_sources: int) -> tuple[np.ndarray, np.ndarray]:
        """All groups' candidate azimuths (degrees, NaN-free, group by group) and their weights.

        ``covariance`` is ``(R, R)``; groups with fewer than ``num_sources + 1`` chains are
        skipped. ``ValueError`` unless the groups left can remove the ambiguity: two or
        more, or one of unit subarrays (``M_g = 1``, no alias).
        """
        layout = self.array.layout
        resolving = [
            g for g, k_g in enumerate(layout.num_subarrays) if num_sources and k_g >= num_sources + 1
        ]
        if num_sources and len(resolving) < 2 and not any(layout.subarray_sizes[g] == 1 for g in resolving):
            chains = ", ".join(map(str, layout.num_subarrays))
            raise ValueError(
                f"{num_sources} sources: {len(resolving)} group(s) have the K + 1 RF chains ESPRIT needs "
                f"(K_g = {chains}); the aliases of one group of M_g > 1 are ambiguous, two groups are needed"
            )
        azimuths, weights = [], []
        for g in resolving:
            found = hybrid_group_candidates(self.array, covariance, num_sources, g)
            found = found[np.isfinite(found)]
            azimuths.append(found)
            weights.append(np.full(found.size, self.group_weights[g]))
        return np.concatenate(azimuths or [np.empty(0)]), np.concatenate(weights or [np.empty(0)])

    def work(self, input_items, output_items) -> int:
        items = input_items[0]
        size = self.array.num_rf_chains
        first = self.nitems_read(0)
        windows = messages.window_tags(self, len(items))
        for index, item in enumerate(items):
            window = windows.get(first + index)
            try:
                count = window_num_sources(self._num_sources, window)
                azimuth_deg, weights = self.candidates(item.reshape(size, size).astype(np.complex128), count)
            except Exception as error:  # any exception escaping work hangs the flowgraph
                self.failed_estimates += 1
                self.logger.warn(
                    f"no candidates for the window starting at sample "
                    f"{(window or {}).get('sample_start', '?')}: {type(error).__name__}: {error}"
                )
                continue
            # peak_db: a candidate has no spectrum value; 0 dB keeps the bearings message's fields.
            message = messages.bearings_message(
                azimuth_deg,
                np.zeros(azimuth_deg.size),
                METHOD,
                window,
                {
                    messages.NUM_SOURCES: count,
                    "weights": weights,
                    messages.COVARIANCE_FIELD: item,
                    messages.HYBRID_ARRAY_FIELD: self.array.to_dict(),
                },
            )
            self.message_port_pub(pmt.intern(messages.CANDIDATES_PORT), message)
        return len(items)
