"""GNU Radio block: the number of sources in each covariance (MDL, AIC, EDC or a learned counter)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..counting.models import SourceCounter

from collections.abc import Sequence

import numpy as np
import pmt

from ..counting.counters import check_method, count_sources, resolve_counter
from ..counting.eigen import diagonal_blocks
from . import messages
from .base import WindowMapBlock

COUNT_PORT = "count"
"""The port of the ``(num_sources . count)`` pair, for a QT GUI Message Edit Box (Int, pair mode)."""


class source_counter(WindowMapBlock):
    """Counts the emitters in each covariance and passes the covariance on, count attached.

    Input and output: ``M*M`` complex64 covariances (row-major), as the covariance
    accumulator makes them. Each output item is its input item, with ``num_sources`` (the
    count) added to its ``window`` tag, which the estimator blocks read when their sources
    are "auto" (``num_sources`` 0); the count is also published as a ``num_sources``
    message (see :mod:`~gnuradio.bearing.blocks.messages`) and as the pair ``(num_sources . count)``
    on the ``count`` port, which a QT GUI Message Edit Box (type Int, pair mode, key
    ``num_sources``) shows live. Put the block between the covariance accumulator and the
    estimator.

    Methods (:mod:`~gnuradio.bearing.counting.eigen`, docs/source-counting.md): ``mdl``
    and ``aic`` (Wax & Kailath 1985), ``edc`` (Deng et al. 2025, Sec. III-A), and the
    learned ``dnn``, ``cnn1d`` (Sec. III-B, III-C) and ``fcnn`` (Li et al. 2023), which
    read ``model_path`` (empty: the bundled model for M elements,
    :func:`~gnuradio.bearing.counting.models.shipped_model_path`; a model for another M is
    refused here, when the block is made).

    Args:
        num_elements: M, the covariance's side (antennas, or the RF chains of a hybrid array).
        method: one of :data:`~gnuradio.bearing.counting.counters.METHODS`.
        num_snapshots: T, the snapshots behind each covariance, for ``mdl``, ``aic`` and
            ``edc``; 0 takes the ``sample_count`` of the item's ``window`` tag (right for
            narrowband snapshots of an accumulator without forgetting factor; SRS channel
            windows, whose ``sample_count`` counts recording samples, are refused: give T,
            occasions x subcarriers). The learned methods do not use it.
        model_path: the counter model file of a learned method (empty: bundled), or a
            :class:`~gnuradio.bearing.counting.models.SourceCounter` already loaded (a
            flowgraph's counters share one).
        group_sizes: for the RF chains of a hybrid array, the chains of each group
            (``K_g``, in channel order, summing to M): ``edc`` then counts from the G group
            covariances (the diagonal blocks), as the H2AD paper does. Empty: one group.

    A covariance that cannot be counted (not Hermitian, singular, no snapshot count) is
    passed on without a count, with a log line, and counted in :attr:`failed_estimates`: an
    estimator with auto sources then skips it, one with a fixed count still uses it.
    """

    def __init__(
        self,
        num_elements: int = 4,
        method: str = "mdl",
        num_snapshots: int = 0,
        model_path: str | SourceCounter = "",
        group_sizes: Sequence[int] = (),
    ) -> None:
        check_method(method)
        if int(num_elements) != num_elements or num_elements < 2:
            raise ValueError(f"num_elements must be an integer >= 2, got {num_elements!r}")
        if int(num_snapshots) != num_snapshots or num_snapshots < 0:
            raise ValueError(
                f"num_snapshots must be an integer >= 0 (0: the window's), got {num_snapshots!r}"
            )
        self.method = method
        self._size = int(num_elements)
        self._num_snapshots = int(num_snapshots)
        self._group_sizes = _check_group_sizes(group_sizes, self._size)
        self.model = resolve_counter(method, model_path, self._size)
        self._count: int | None = None
        WindowMapBlock.__init__(
            self,
            name="Bearing Source Counter",
            in_sig=[(np.complex64, self._size**2)],
            out_sig=[(np.complex64, self._size**2)],
        )
        self.message_port_register_out(pmt.intern(messages.NUM_SOURCES))
        self.message_port_register_out(pmt.intern(COUNT_PORT))

    def count(self, covariance: np.ndarray, num_snapshots: int) -> int:
        """The count of one ``(M, M)`` covariance of ``num_snapshots`` snapshots."""
        if self.model is not None:
            from ..learned.mod_dnn import single_torch_thread

            single_torch_thread()
            return count_sources(covariance, num_snapshots, self.method, self.model)
        if self.method == "edc":
            covariance = diagonal_blocks(covariance, self._group_sizes)
        return count_sources(covariance, num_snapshots, self.method)

    def map_item(self, item: np.ndarray, window: dict | None) -> np.ndarray:
        try:
            self._count = self.count(item.reshape(self._size, self._size), self._snapshots(window))
        except Exception as error:  # the covariance still goes on, without a count
            self._count = None
            self.failed_estimates += 1
            first = (window or {}).get("sample_start", "?")
            self.logger.warn(
                f"no count for the window starting at sample {first} (passed on without): {error}"
            )
            return item
        message = {
            messages.NUM_SOURCES: self._count,
            "method": self.method,
            "sample_start": (window or {}).get("sample_start", -1),
            "sample_count": (window or {}).get("sample_count", 0),
            "truth_azimuth_deg": np.asarray((window or {}).get("truth_azimuth_deg", ()), dtype=np.float64),
        }
        self.message_port_pub(pmt.intern(messages.NUM_SOURCES), messages.to_pmt(message))
        self.message_port_pub(
            pmt.intern(COUNT_PORT), pmt.cons(pmt.intern(messages.NUM_SOURCES), pmt.from_long(self._count))
        )
        return item

    def window_fields(self, item: np.ndarray) -> dict:
        return {} if self._count is None else {messages.NUM_SOURCES: self._count}

    def _snapshots(self, window: dict | None) -> int:
        """T for the classical methods (the learned ones were trained for theirs: 1, unused)."""
        if self._num_snapshots or self.model is not None:
            return self._num_snapshots or 1
        if window is None or "sample_count" not in window:
            raise ValueError(
                "num_snapshots 0 takes the window tag's sample_count, but the covariance has no window tag"
            )
        if "ue" in window:
            raise ValueError(
                "num_snapshots 0: the window holds SRS channels, whose sample_count counts recording "
                "samples, not snapshots; set num_snapshots (occasions x subcarriers)"
            )
        return int(window["sample_count"])


def _check_group_sizes(group_sizes: Sequence[int], num_elements: int) -> list[int]:
    """The channels of each group (empty: one group of all); ``ValueError`` unless they are
    positive and sum to M."""
    sizes = [int(size) for size in group_sizes] or [num_elements]
    if any(size < 1 for size in sizes) or sum(sizes) != num_elements:
        raise ValueError(
            f"group_sizes must be positive and sum to num_elements = {num_elements}, got {list(group_sizes)}"
        )
    return sizes
