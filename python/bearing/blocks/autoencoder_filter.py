"""GNU Radio block: MoD-DNN's multi-task autoencoder, CFR items in, one filtered CFR per subregion out."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..learned.mod_dnn import ModDnn

import numpy as np
from gnuradio import gr
from numpy.typing import ArrayLike

from ..resources import load_model
from .base import Guarded

BATCH_BYTES = 1 << 19
"""Input the block asks GNU Radio to let it filter per call: 512 KiB (see ``__init__``)."""


class autoencoder_filter(Guarded, gr.sync_block):
    """The autoencoder of a MoD-DNN model as a spatial filter into its P subregions.

    Liu et al., ACM TOSN 2025, Fig. 2 and Sec. 3.1: every CFR is encoded once and decoded
    P times; decoder ``p`` passes what arrives from subregion ``p`` and suppresses the rest.
    The block is a thin wrapper around :meth:`~gnuradio.bearing.learned.mod_dnn.ModDnn.filter`,
    called once per ``work`` call on all its items.

    Input: items of ``M*K`` complex64, channel-major (``item[m*K + k]`` is element ``m`` at
    subcarrier ``k``), as the SRS extractor outputs them and the covariance accumulator
    reads them; a narrowband item (K = 1) is one M-channel snapshot. Outputs: P streams of
    the same items, output ``p`` holding decoder ``p``'s filtered CFRs in the same layout
    and units. Every input tag (``segment_start``, ``truth``, ``srs_occasion``, ...) is copied
    to every output, so that a covariance accumulator behind each output finds its windows.

    An item with NaN or infinite values cannot be filtered: it is passed through unchanged
    to every output (the covariance accumulators behind then drop its window, as they do
    for NaN samples of any other source), logged once per ``work`` call that holds such
    items, and counted in :attr:`nonfinite_items`.

    Args:
        model_path: the model file (:func:`~gnuradio.bearing.learned.mod_dnn.save`, ``bearing train``);
            empty: the bundled model (:func:`~gnuradio.bearing.resources.default_model_path`); or a
            :class:`~gnuradio.bearing.learned.mod_dnn.ModDnn` already loaded (the MoD-DNN
            Estimator shares its one model with its inner blocks).
        subcarrier_offsets_hz: the K input subcarriers' offsets from the carrier, hertz; each
            uses the encoder of the trained subcarrier nearest in frequency. None: the model's
            trained subcarriers (``model.config.subcarrier_offsets_hz``; ``(0.0,)`` for a
            narrowband model).

    Attributes:
        model: the loaded :class:`~gnuradio.bearing.learned.mod_dnn.ModDnn`.
        num_subcarriers: K, the input subcarriers.
        item_size: ``M*K``, the vector length of the input and of every output.
        num_subregions: P, the outputs.
    """

    def __init__(self, model_path: str | ModDnn = "", subcarrier_offsets_hz: ArrayLike | None = None) -> None:
        self.model = load_model(model_path)
        config = self.model.config
        offsets = config.subcarrier_offsets_hz if subcarrier_offsets_hz is None else subcarrier_offsets_hz
        self.subcarrier_offsets_hz = np.atleast_1d(np.asarray(offsets, dtype=np.float64))
        if self.subcarrier_offsets_hz.ndim != 1 or not np.all(np.isfinite(self.subcarrier_offsets_hz)):
            raise ValueError(
                "subcarrier_offsets_hz: must be a list of finite frequencies in Hz, "
                f"got {subcarrier_offsets_hz!r}"
            )
        self._num_elements = config.num_elements
        self.num_subcarriers = self.subcarrier_offsets_hz.size
        self.item_size = self._num_elements * self.num_subcarriers
        self.num_subregions = len(self.model.subregions)
        gr.sync_block.__init__(
            self,
            name="Bearing Autoencoder Filter",
            in_sig=[(np.complex64, self.item_size)],
            out_sig=[(np.complex64, self.item_size)] * self.num_subregions,
        )
        # Batches. GNU Radio makes the buffer in front of a block at least twice the block's
        # history, and a source writes up to half its buffer per call: a history of a batch
        # (work skips its past items) and outputs of two batches let a fast source, a replay,
        # hand over a batch per call, where GNU Radio's 64 KiB buffers passed 1024 narrowband
        # items (one window of the demo). The blocks behind then get several windows per call
        # too, and the chain's cost per call (Python, the scheduler) is shared: MoD-DNN with
        # windows of 1024 items took 45 % less time (tests/bench/mod_dnn_speed.py). Items that
        # come slowly (live) are filtered as they come.
        batch = max(1, BATCH_BYTES // (self.item_size * np.dtype(np.complex64).itemsize))
        self.set_history(batch)
        for port in range(self.num_subregions):
            self.set_min_output_buffer(port, 2 * batch)  # per port: the all-ports call logs a line
        self.nonfinite_items = 0

    def work(self, input_items, output_items) -> int:
        items = input_items[0][self.history() - 1 :]
        count = len(items)
        # item[m*K + k] -> (N, K, M), the model's layout
        cfrs = items.reshape(count, self._num_elements, self.num_subcarriers).transpose(0, 2, 1)
        finite = np.all(np.isfinite(items), axis=1)
        if not np.all(finite):
            self._pass_nonfinite(items, finite, output_items)
        if np.any(finite):
            branches = self.model.filter(cfrs[finite], self.subcarrier_offsets_hz)  # (N', P, K, M)
            for branch, out in enumerate(output_items):
                out[finite] = branches[:, branch].transpose(0, 2, 1).reshape(-1, self.item_size)
        return count

    def _pass_nonfinite(self, items: np.ndarray, finite: np.ndarray, output_items: list) -> None:
        bad = np.flatnonzero(~finite)
        self.nonfinite_items += bad.size
        first = self.nitems_read(0)
        self.logger.warn(
            f"{bad.size} items with NaN or infinite values among items [{first + bad[0]}, "
            f"{first + bad[-1] + 1}): passed through unfiltered, their covariance windows will be dropped"
        )
        for out in output_items:
            out[bad] = items[bad]
