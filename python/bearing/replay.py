"""The replay flowgraph: SigMF capture -> covariance -> classical estimator -> bearings.

`bearing estimate` and `bearing evaluate` run this flowgraph; ``examples/replay_capture*.grc``
draw the same blocks in GNU Radio Companion (a test checks that both give the same bearings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gnuradio import blocks, gr

from .capture_source import capture_source
from .covariance_accumulator import covariance_accumulator
from .doa_estimator import doa_estimator
from .json_sink import json_sink


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
    """capture_source -> covariance_accumulator -> doa_estimator -> json_sink (+ spectra sink).

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
        self.source = capture_source(capture_path)
        capture = self.source.capture
        self.covariance = covariance_accumulator(
            num_elements=capture.num_channels,
            average=settings.average,
            overlap=settings.overlap,
            forward_backward=settings.forward_backward,
            subarray_length=settings.subarray_length,
        )
        self.estimator = doa_estimator(
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
        self.sink = json_sink(json_path)
        self.connect(self.source, self.covariance, self.estimator)
        self.msg_connect((self.estimator, "bearings"), (self.sink, "bearings"))
        grid_size = len(self.estimator.grid_deg)
        if keep_spectra:
            self.spectra_sink = blocks.vector_sink_f(grid_size)
        else:
            self.spectra_sink = blocks.null_sink(gr.sizeof_float * grid_size)
        self.connect(self.estimator, self.spectra_sink)

    @property
    def skipped_windows(self) -> int:
        """Windows without an estimate: dropped for NaN samples, or the method failed on them."""
        return self.covariance.dropped_windows + self.estimator.failed_estimates

    @property
    def records(self) -> list[dict]:
        """The estimates, one JSON-ready dict each (see docs/cli.md)."""
        return self.sink.records

    @property
    def spectra(self) -> np.ndarray:
        """Output spectra, shape ``(num_estimates, grid)``, dB relative to each maximum."""
        grid_size = len(self.estimator.grid_deg)
        return np.asarray(self.spectra_sink.data(), dtype=np.float32).reshape(-1, grid_size)
