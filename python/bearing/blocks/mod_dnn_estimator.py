"""GNU Radio hierarchical block: the whole MoD-DNN estimator, CFRs in, sparse spectrum and bearings out."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..counting.models import SourceCounter
    from ..learned.mod_dnn import ModDnn

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from gnuradio import gr
from numpy.typing import ArrayLike

from ..counting.counters import resolve_counter
from ..resources import default_model_path, load_model
from ..validation import AUTO_SOURCES
from . import messages
from .autoencoder_filter import autoencoder_filter
from .coarray_dbf import coarray_dbf
from .covariance_accumulator import covariance_accumulator
from .modl_ssr_estimator import modl_ssr_estimator
from .source_counter import source_counter


class mod_dnn_estimator(gr.hier_block2):
    """MoD-DNN (Liu et al., ACM TOSN 2025, Fig. 2) as one block, built from the model file.

    Chain, one branch per subregion ``p`` of the model::

        CFR items --autoencoder_filter--> branch p --covariance_accumulator (eq. (11))
            [--source_counter (sources: auto)] --coarray_dbf (subregion p's grid, adds the
            branch power)--> modl_ssr_estimator --> sparse spectrum; bearings, azimuth

    Input: ``M*K`` complex64 CFR items, channel-major (``item[m*K + k]``): M-channel
    snapshots of a narrowband capture (K = 1, from the capture source or an SDR), or the SRS
    extractor's channels of one UE (K pilots; ``average`` then counts occasions). Output: the
    full-grid sparse spectrum (float32, linear, on :attr:`grid_deg`), tagged ``window``; the
    ``bearings`` (``method`` ``"mod-dnn"``) and ``azimuth`` messages of
    :class:`~gnuradio.bearing.blocks.modl_ssr_estimator.modl_ssr_estimator`. The blocks' docstrings
    give the details: windows restart at ``segment_start`` tags, NaN windows are dropped, the
    subregion with the largest branch energy gives the bearings.

    Args:
        model_path: the model file, or a :class:`~gnuradio.bearing.learned.mod_dnn.ModDnn`
            already loaded; empty: the bundled model
            (:func:`~gnuradio.bearing.resources.default_model_path`).
        average: items per covariance window; None: the model's ``window_items`` (the
            window it was trained on).
        num_sources: bearings per estimate, at least 1; or 0 (auto): a source counter on
            every branch covariance counts the sources of its subregion, and the chosen
            branch's count applies.
        min_separation_deg: peaks closer than this to a stronger one are ignored, degrees.
        subcarrier_offsets_hz: the K input subcarriers' offsets from the carrier, hertz
            (for SRS items, the extractor's pilots); None: the model's trained subcarriers.
        overlap: items shared by consecutive windows.
        counter: the source counting method of auto sources
            (:data:`~gnuradio.bearing.counting.counters.METHODS`).
        counter_model: its model file, for a learned method (empty: the bundled one), or a
            :class:`~gnuradio.bearing.counting.models.SourceCounter` already loaded.

    Attributes:
        autoencoder, covariances, counters, dbfs, estimator: the inner blocks (P covariance
            accumulators, P source counters with auto sources, none otherwise, and P coarray
            DBFs).
        grid_deg: the output spectrum's azimuths, degrees.
    """

    def __init__(
        self,
        model_path: str | ModDnn = "",
        average: int | None = None,
        num_sources: int = 1,
        min_separation_deg: float = 2.0,
        subcarrier_offsets_hz: ArrayLike | None = None,
        overlap: int = 0,
        counter: str = "mdl",
        counter_model: str | SourceCounter = "",
    ) -> None:
        model = load_model(model_path)  # read once, shared by the inner blocks
        config = model.config
        # Python references to every inner block: a block only GNU Radio refers to crashes the flowgraph.
        self.autoencoder = autoencoder_filter(model, subcarrier_offsets_hz)
        self.estimator = modl_ssr_estimator(model, num_sources, min_separation_deg)
        self.average = config.window_items if average is None else int(average)
        self.grid_deg = self.estimator.grid_deg
        self.covariances = [
            covariance_accumulator(
                config.num_elements,
                self.autoencoder.num_subcarriers,
                self.average,
                overlap,
                drop_silent=False,  # a gate may silence a branch: the branches must stay in step
            )
            for _ in model.subregions
        ]
        snapshots = self.average * self.autoencoder.num_subcarriers
        # One counter model for every branch's counter (read once, here).
        auto = num_sources == AUTO_SOURCES
        shared = resolve_counter(counter, counter_model, config.num_elements) if auto else None
        self.counters = [
            source_counter(config.num_elements, counter, snapshots, shared or "")
            for _ in (model.subregions if auto else ())
        ]
        self.dbfs = [
            coarray_dbf(
                config.positions_m,
                config.frequency_hz,
                *subregion_grid_deg(sub.grid_deg, config.grid_deg[2]),
                config.remove_noise_floor,
            )
            for sub in model.subregions
        ]
        gr.hier_block2.__init__(
            self,
            "Bearing MoD-DNN Estimator",
            gr.io_signature(1, 1, gr.sizeof_gr_complex * self.autoencoder.item_size),
            gr.io_signature(1, 1, gr.sizeof_float * len(self.grid_deg)),
        )
        self.connect(self, self.autoencoder)
        for branch, (covariance, dbf) in enumerate(zip(self.covariances, self.dbfs, strict=True)):
            counted = (self.counters[branch],) if self.counters else ()
            self.connect((self.autoencoder, branch), covariance, *counted, dbf, (self.estimator, branch))
        self.connect(self.estimator, self)
        for port in (messages.BEARINGS_PORT, messages.AZIMUTH_PORT):
            self.message_port_register_hier_out(port)
            self.msg_connect(self.estimator, port, self, port)

    @property
    def dropped_windows(self) -> int:
        """Windows dropped for NaN or infinite samples (every branch drops the same ones)."""
        return max(covariance.dropped_windows for covariance in self.covariances)

    @property
    def failed_estimates(self) -> int:
        """Covariance windows without an estimate: a branch's coarray DBF or the estimate failed on
        them (the windows written minus the spectra written: exact once the flowgraph has run)."""
        return self.covariances[0].nitems_written(0) - self.estimator.nitems_written(0)

    def set_num_sources(self, num_sources: int) -> None:
        """Bearings per estimate; switching between auto (0) and a fixed count needs a new block
        (the branch counters are built with it): ``ValueError``."""
        if (num_sources == AUTO_SOURCES) != bool(self.counters):
            raise ValueError(
                "num_sources: switching between auto (0) and a fixed count rebuilds the branches; "
                "make a new mod_dnn_estimator"
            )
        self.estimator.set_num_sources(num_sources)


@dataclass(frozen=True)
class ModDnnPorts:
    """Port sizes and branch grids of the MoD-DNN blocks for one model, for GNU Radio Companion.

    Attributes:
        item_size: ``M*K``, the CFR items (autoencoder filter, MoD-DNN estimator).
        subregion_grids_deg: ``(start, stop, step)`` of each subregion's grid, degrees: the grid
            of the coarray DBF block of each branch, when the chain is built by hand.
        branch_sizes: ``L_p``, the subregions' grid sizes: the MoDL-SSR estimator's inputs.
        grid_size: ``L``, the model's grid size: the output spectrum's length.
    """

    item_size: int
    subregion_grids_deg: tuple[tuple[float, float, float], ...]
    branch_sizes: tuple[int, ...]
    grid_size: int

    @property
    def num_subregions(self) -> int:
        """P."""
        return len(self.branch_sizes)

    def branch_size(self, port: int) -> int:
        """``L_p`` of input ``port``; 1 beyond the last subregion (for GRC's hidden ports)."""
        return self.branch_sizes[port] if port < self.num_subregions else 1


def mod_dnn_ports(model_path: str = "", subcarrier_offsets_hz: ArrayLike | None = None) -> ModDnnPorts:
    """The :class:`ModDnnPorts` of a model file (empty: the bundled model) for K input subcarriers
    (None: the trained ones); raises as :func:`~gnuradio.bearing.learned.mod_dnn.load`.

    GRC evaluates it for every port of every MoD-DNN block on each change of the flowgraph, so
    the answer is kept per file and modification time (a retrained model is read again).
    """
    path = Path(model_path or default_model_path())
    modified_ns = path.stat().st_mtime_ns if path.is_file() else None  # load names a missing file
    num_subcarriers = None if subcarrier_offsets_hz is None else np.atleast_1d(subcarrier_offsets_hz).size
    return _ports(str(path), modified_ns, num_subcarriers)


@lru_cache(maxsize=16)
def _ports(path: str, modified_ns: int | None, num_subcarriers: int | None) -> ModDnnPorts:
    model = load_model(path)
    config = model.config
    return ModDnnPorts(
        config.num_elements * (num_subcarriers or len(config.subcarrier_offsets_hz)),
        tuple(subregion_grid_deg(sub.grid_deg, config.grid_deg[2]) for sub in model.subregions),
        tuple(len(sub.grid_deg) for sub in model.subregions),
        len(model.grid_deg),
    )


def subregion_grid_deg(grid_deg: np.ndarray, step_deg: float) -> tuple[float, float, float]:
    """``(start, stop, step)`` of a subregion's grid (a part of the model's regular grid), degrees."""
    return float(grid_deg[0]), float(grid_deg[-1]), float(step_deg)
