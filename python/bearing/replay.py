"""The replay flowgraph: SigMF capture -> covariance -> estimator -> bearings.

`bearing estimate` and `bearing evaluate` run this flowgraph; ``examples/replay_capture*.grc``
draw the same blocks in GNU Radio Companion (a test checks that both give the same bearings).
The estimator is the classical one, or coarray DBF (with a peak search) or SCG behind coarray DBF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gnuradio import blocks, gr

from .capture_source import capture_source
from .coarray_dbf import coarray_dbf
from .covariance_accumulator import covariance_accumulator
from .doa_estimator import doa_estimator
from .estimators import METHODS as CLASSICAL_METHODS
from .estimators import power_to_db
from .json_sink import json_sink
from .peak_search import peak_search
from .scg_spectrum import scg_spectrum

COARRAY_METHODS = ("coarray-dbf", "scg")
"""Methods on the coarray DBF spectrum: its peaks, or SCG's sparse spectrum."""

METHODS = (*CLASSICAL_METHODS, *COARRAY_METHODS)
"""Every method the replay flowgraph (and so `bearing estimate`) runs."""


@dataclass(frozen=True)
class ReplaySettings:
    """What `bearing estimate` exposes; defaults match its command line."""

    method: str = "music"
    num_sources: int = 1
    average: int = 1024
    overlap: int = 0
    forward_backward: bool = False
    subarray_length: int = 0
    grid_start_deg: float = -90.0
    grid_stop_deg: float = 90.0
    grid_step_deg: float = 0.1
    min_separation_deg: float = 2.0


class ReplayFlowgraph(gr.top_block):
    """capture_source -> covariance_accumulator -> estimator -> json_sink (+ spectra sink).

    The estimator is ``doa_estimator`` for the classical methods; for ``coarray-dbf``,
    ``coarray_dbf`` with a ``peak_search`` (records named ``coarray-dbf``); for ``scg``,
    ``coarray_dbf -> scg_spectrum``, with the noise floor removed (docs/scg.md). With spatial
    smoothing the coarray blocks model the first ``subarray_length`` elements, as the
    classical estimator does.

    Args:
        capture_path: the SigMF recording.
        settings: estimation settings.
        json_path: where the sink writes JSON lines (``-`` stdout, empty: memory only).
        keep_spectra: keep every output spectrum in :attr:`spectra` (for plots).
    """

    def __init__(
        self, capture_path: str, settings: ReplaySettings, json_path: str = "", keep_spectra: bool = False
    ) -> None:
        gr.top_block.__init__(self, "Bearing replay", catch_exceptions=False)
        if settings.method not in METHODS:
            raise ValueError(f"unknown method {settings.method!r}; choose one of {', '.join(METHODS)}")
        self.source = capture_source(capture_path)
        capture = self.source.capture
        self.covariance = covariance_accumulator(
            num_elements=capture.num_channels,
            average=settings.average,
            overlap=settings.overlap,
            forward_backward=settings.forward_backward,
            subarray_length=settings.subarray_length,
        )
        if settings.method in COARRAY_METHODS:
            self._build_coarray(settings)
        else:
            self._build_classical(settings)
        self.sink = json_sink(json_path)
        self.msg_connect((self.bearings, "bearings"), (self.sink, "bearings"))
        grid_size = len(self.grid_deg)
        if keep_spectra:
            self.spectra_sink = blocks.vector_sink_f(grid_size)
        else:
            self.spectra_sink = blocks.null_sink(gr.sizeof_float * grid_size)
        self.connect(self.estimator, self.spectra_sink)

    def _build_classical(self, settings: ReplaySettings) -> None:
        capture = self.source.capture
        self.estimator = self.bearings = doa_estimator(
            positions_m=capture.geometry.positions_m.tolist(),
            frequency_hz=capture.frequency_hz,
            method=settings.method,
            num_sources=settings.num_sources,
            grid_start_deg=settings.grid_start_deg,
            grid_stop_deg=settings.grid_stop_deg,
            grid_step_deg=settings.grid_step_deg,
            min_separation_deg=settings.min_separation_deg,
            covariance_size=settings.subarray_length,
        )
        self.estimators: tuple = (self.estimator,)
        self._linear_spectra = False  # dB relative to each maximum already
        self.connect(self.source, self.covariance, self.estimator)

    def _build_coarray(self, settings: ReplaySettings) -> None:
        capture = self.source.capture
        grid = (settings.grid_start_deg, settings.grid_stop_deg, settings.grid_step_deg)
        geometry = capture.geometry.smoothing_subarray(settings.subarray_length or capture.num_channels)
        positions = geometry.positions_m.tolist()
        # The block removes the noise floor: without it SCG splits each source of noisy data in two.
        self.dbf = coarray_dbf(positions, capture.frequency_hz, *grid)
        if settings.method == "scg":
            self.estimator = self.bearings = scg_spectrum(
                positions,
                capture.frequency_hz,
                settings.num_sources,
                *grid,
                min_separation_deg=settings.min_separation_deg,
            )
            self.estimators = (self.dbf, self.estimator)
            self.connect(self.source, self.covariance, self.dbf, self.estimator)
        else:
            self.estimator, self.estimators = self.dbf, (self.dbf,)
            self.bearings = peak_search(
                *grid, settings.num_sources, settings.min_separation_deg, method="coarray-dbf", linear=True
            )
            self.connect(self.source, self.covariance, self.dbf, self.bearings)
        self._linear_spectra = True

    @property
    def grid_deg(self) -> np.ndarray:
        """The azimuth grid of :attr:`spectra`, degrees."""
        return self.estimator.grid_deg

    @property
    def failed_estimates(self) -> int:
        """Covariance windows the estimator blocks could not use (NaN, zero power, singular)."""
        return sum(block.failed_estimates for block in self.estimators)

    @property
    def skipped_windows(self) -> int:
        """Windows without an estimate: dropped for NaN samples, or the method failed on them."""
        return self.covariance.dropped_windows + self.failed_estimates

    @property
    def records(self) -> list[dict]:
        """The estimates, one JSON-ready dict each (see docs/cli.md)."""
        return self.sink.records

    @property
    def spectra(self) -> np.ndarray:
        """Output spectra, shape ``(num_estimates, grid)``, dB relative to each maximum."""
        grid_size = len(self.grid_deg)
        spectra = np.asarray(self.spectra_sink.data(), dtype=np.float32).reshape(-1, grid_size)
        if not self._linear_spectra:
            return spectra
        return np.array([power_to_db(s, np.max(s)) for s in spectra], dtype=np.float32).reshape(-1, grid_size)
