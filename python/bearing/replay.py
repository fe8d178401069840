"""The replay flowgraph: SigMF capture -> covariance -> estimator -> bearings.

`bearing estimate` and `bearing evaluate` run this flowgraph; ``examples/replay_capture*.grc``
draw the same blocks in GNU Radio Companion (a test checks that both give the same bearings).
The estimator is the classical one, or coarray DBF (with a peak search) or SCG behind coarray DBF,
or MoD-DNN (Liu et al., ACM TOSN 2025), whose hierarchical block replaces the covariance too.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr

from . import messages, nr_metadata
from .capture import Capture, read_capture
from .capture_source import capture_source
from .coarray_dbf import coarray_dbf
from .covariance_accumulator import covariance_accumulator
from .doa_estimator import doa_estimator
from .estimators import METHODS as CLASSICAL_METHODS
from .estimators import power_to_db
from .json_sink import json_sink
from .mod_dnn_estimator import mod_dnn_estimator
from .omc_doa_tracker import omc_doa_tracker
from .peak_search import peak_search
from .peaks import AUTO_SOURCES
from .resources import default_model_path, load_model
from .scg_spectrum import scg_spectrum
from .source_counter import source_counter
from .srs_channel_estimator import output_offsets_hz
from .srs_extractor import srs_extractor

COARRAY_METHODS = ("coarray-dbf", "scg")
"""Methods on the coarray DBF spectrum: its peaks, or SCG's sparse spectrum."""

LEARNED_METHODS = ("mod-dnn",)
"""Methods of a trained model (``ReplaySettings.model_path``): MoD-DNN."""

METHODS = (*CLASSICAL_METHODS, *COARRAY_METHODS, *LEARNED_METHODS)
"""Every method the replay flowgraph (and so `bearing estimate`) runs."""

DEFAULT_SUBCARRIERS = 16
"""SRS pilots per occasion when ``ReplaySettings.num_subcarriers`` is None (and the method has no model)."""


@dataclass(frozen=True)
class ReplaySettings:
    """What `bearing estimate` exposes; defaults match its command line.

    ``average`` counts snapshots, or SRS occasions for an SRS capture, whose items hold
    ``num_subcarriers`` subcarriers each (0: all of the UE's pilots; None: 16); None takes
    1024 snapshots, or 1 occasion.

    Method ``mod-dnn`` reads the model file ``model_path`` (empty: the bundled model,
    :func:`~gnuradio.bearing.resources.default_model_path`). A model of either kind replays
    either kind of capture of its array: each input subcarrier uses the trained encoder
    nearest in frequency. On an SRS capture, an SRS model's K is the only K it accepts
    (``num_subcarriers`` None takes it).
    Its grid is the model's (the grid settings do not apply), and it refuses
    ``forward_backward`` and ``subarray_length``: the model was trained on plain covariances.

    ``num_sources`` 0 (:data:`~gnuradio.bearing.peaks.AUTO_SOURCES`) counts the sources of
    every window with the source counter ``counter`` (a method of
    :data:`~gnuradio.bearing.source_counting.METHODS`; a learned one reads ``counter_model``,
    empty: the bundled model for the array's size). ``track_drop_after`` N > 0 passes the
    estimates through the OMC-DOA tracker, which drops an emitter after N silent estimates.
    """

    method: str = "music"
    num_sources: int = 1
    average: int | None = None
    overlap: int = 0
    forward_backward: bool = False
    subarray_length: int = 0
    grid_start_deg: float = -90.0
    grid_stop_deg: float = 90.0
    grid_step_deg: float = 0.1
    min_separation_deg: float = 2.0
    num_subcarriers: int | None = None
    model_path: str = ""
    counter: str = "mdl"
    counter_model: str = ""
    track_drop_after: int = 0


class ReplayFlowgraph(gr.top_block):
    """capture_source -> covariance_accumulator -> estimator -> json_sink (+ spectra sink).

    With auto sources a ``source_counter`` sits between the covariance accumulator and the
    estimator (MoD-DNN: one per branch, in its block); with tracking an ``omc_doa_tracker``
    sits between the estimator's ``bearings`` and the sink. The estimator is
    ``doa_estimator`` for the classical methods; for ``coarray-dbf``,
    ``coarray_dbf`` with a ``peak_search`` (records named ``coarray-dbf``); for ``scg``,
    ``coarray_dbf -> scg_spectrum``, with the noise floor removed (docs/scg.md). With spatial
    smoothing the coarray blocks model the first ``subarray_length`` elements, as the
    classical estimator does. For ``mod-dnn``, ``mod_dnn_estimator`` replaces the covariance
    accumulator and the estimator (it holds one accumulator per subregion); the capture's
    array and carrier must be the model's (``ValueError`` otherwise, before the flowgraph is
    built), and SRS items enter it with the extractor's pilot offsets.

    An SRS capture (one with ``nr:carrier``, docs/srs.md) goes through the SRS extractor
    first; each UE gets its own covariance and estimator chain, whose windows are
    ``settings.average`` occasions of ``settings.num_subcarriers`` subcarriers, and its
    records carry ``ue``.

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
        capture = read_capture(capture_path)
        if capture.hybrid is not None:
            raise ValueError(
                f"{capture.meta_path}: the {capture.num_channels} channels are the RF chains of a hybrid "
                "array (bearing:hybrid), not antennas; these estimators need one channel per antenna"
            )
        is_srs = nr_metadata.CARRIER_KEY in capture.global_info
        if settings.method in LEARNED_METHODS:
            settings = _learned_settings(settings, capture, is_srs)
        if settings.average is None:
            settings = dataclasses.replace(settings, average=1 if is_srs else 1024)
        if settings.num_subcarriers is None:
            settings = dataclasses.replace(settings, num_subcarriers=DEFAULT_SUBCARRIERS)
        self.settings = settings
        """The settings used, ``average``, ``num_subcarriers`` and ``model_path`` resolved."""
        if is_srs:
            self.extractor = srs_extractor(capture_path, num_subcarriers=settings.num_subcarriers)
            self.source = capture_source(
                capture_path, segment_length=self.extractor.source_segment_length(capture)
            )
            self.connect(self.source, self.extractor)
            # A message sink stops when its first publisher does: one sink per UE chain, and the
            # records are merged and written after the run (:meth:`run`).
            self._deferred_json = json_path
            self.chains = [
                _Chain(
                    self,
                    (self.extractor, output),
                    capture,
                    settings,
                    keep_spectra,
                    "",
                    _pilot_offsets_hz(self.extractor, output, settings.num_subcarriers),
                )
                for output in range(len(self.extractor.output_sizes))
            ]
        else:
            self.extractor, self._deferred_json = None, ""
            self.source = capture_source(capture_path)
            self.chains = [_Chain(self, self.source, capture, settings, keep_spectra, json_path, None)]

    def run(self, max_noutput_items: int = 100000000) -> None:
        """Runs the flowgraph to the end; then writes the merged records of several UEs, if any."""
        gr.top_block.run(self, max_noutput_items)
        if self._deferred_json:
            lines = "".join(json.dumps(record, allow_nan=False) + "\n" for record in self.records)
            if self._deferred_json == "-":
                sys.stdout.write(lines)
                sys.stdout.flush()
            else:
                Path(self._deferred_json).write_text(lines)

    @property
    def grid_deg(self) -> np.ndarray:
        """The azimuth grid of :attr:`spectra`, degrees."""
        return self.chains[0].estimator.grid_deg

    @property
    def dropped_windows(self) -> int:
        """Covariance windows dropped for NaN or infinite samples."""
        return sum(chain.dropped_windows for chain in self.chains)

    @property
    def failed_estimates(self) -> int:
        """Windows the estimator blocks (and SRS occasions the extractor) could not use."""
        failed = sum(block.failed_estimates for chain in self.chains for block in chain.estimators)
        return failed + (self.extractor.estimator.failed_estimates if self.extractor else 0)

    @property
    def skipped_windows(self) -> int:
        """Windows without an estimate: dropped for NaN samples, or the method failed on them."""
        return self.dropped_windows + self.failed_estimates

    @property
    def records(self) -> list[dict]:
        """The estimates, one JSON-ready dict each (see docs/cli.md); by sample, then UE."""
        if len(self.chains) == 1:
            return self.chains[0].sink.records
        records = [record for chain in self.chains for record in chain.sink.records]
        return sorted(records, key=lambda record: (record["sample_start"], record.get("ue", 0)))

    @property
    def spectra(self) -> np.ndarray:
        """Spectra of the first chain (UE), ``(num_estimates, grid)``, dB relative to each maximum."""
        return self.chains[0].spectra()


class _Chain:
    """covariance_accumulator -> estimator(s), or mod_dnn_estimator, for one input stream of
    ``flowgraph``, whose items hold the subcarriers ``subcarrier_offsets_hz`` (None: one, or
    the model's)."""

    def __init__(
        self,
        flowgraph: ReplayFlowgraph,
        upstream,
        capture: Capture,
        settings: ReplaySettings,
        keep_spectra: bool,
        json_path: str,
        subcarrier_offsets_hz: np.ndarray | None,
    ) -> None:
        if settings.method in LEARNED_METHODS:
            self.covariance = None
            self._build_learned(flowgraph, upstream, settings, subcarrier_offsets_hz)
        else:
            self.covariance = covariance_accumulator(
                num_elements=capture.num_channels,
                num_subcarriers=1 if subcarrier_offsets_hz is None else subcarrier_offsets_hz.size,
                average=settings.average,
                overlap=settings.overlap,
                forward_backward=settings.forward_backward,
                subarray_length=settings.subarray_length,
            )
            flowgraph.connect(upstream, self.covariance)
            self.counted = self.covariance
            if settings.num_sources == AUTO_SOURCES:
                items = 1 if subcarrier_offsets_hz is None else subcarrier_offsets_hz.size
                self.counter = source_counter(
                    self.covariance.output_size,
                    settings.counter,
                    settings.average * items,
                    settings.counter_model,
                )
                flowgraph.connect(self.covariance, self.counter)
                self.counted = self.counter
            if settings.method in COARRAY_METHODS:
                self._build_coarray(flowgraph, capture, settings)
            else:
                self._build_classical(flowgraph, capture, settings)
        self.sink = json_sink(json_path)
        bearings = (self.bearings, "bearings")
        if settings.track_drop_after:
            self.tracker = omc_doa_tracker(
                settings.num_sources, drop_after_estimates=settings.track_drop_after
            )
            flowgraph.msg_connect(bearings, (self.tracker, messages.CANDIDATES_PORT))
            bearings = (self.tracker, "bearings")
        flowgraph.msg_connect(bearings, (self.sink, "bearings"))
        grid_size = len(self.estimator.grid_deg)
        if keep_spectra:
            self.spectra_sink = blocks.vector_sink_f(grid_size)
        else:
            self.spectra_sink = blocks.null_sink(gr.sizeof_float * grid_size)
        flowgraph.connect(self.estimator, self.spectra_sink)

    @property
    def dropped_windows(self) -> int:
        """Covariance windows dropped for NaN or infinite samples."""
        return (self.estimator if self.covariance is None else self.covariance).dropped_windows

    def _build_classical(
        self, flowgraph: ReplayFlowgraph, capture: Capture, settings: ReplaySettings
    ) -> None:
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
        flowgraph.connect(self.counted, self.estimator)

    def _build_coarray(self, flowgraph: ReplayFlowgraph, capture: Capture, settings: ReplaySettings) -> None:
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
            flowgraph.connect(self.counted, self.dbf, self.estimator)
        else:
            self.estimator, self.estimators = self.dbf, (self.dbf,)
            self.bearings = peak_search(
                *grid, settings.num_sources, settings.min_separation_deg, method="coarray-dbf", linear=True
            )
            flowgraph.connect(self.counted, self.dbf, self.bearings)
        self._linear_spectra = True

    def _build_learned(
        self,
        flowgraph: ReplayFlowgraph,
        upstream,
        settings: ReplaySettings,
        subcarrier_offsets_hz: np.ndarray | None,
    ) -> None:
        self.estimator = self.bearings = mod_dnn_estimator(
            settings.model_path,
            settings.average,
            settings.num_sources,
            settings.min_separation_deg,
            subcarrier_offsets_hz,
            settings.overlap,
            settings.counter,
            settings.counter_model,
        )
        self.estimators = (self.estimator,)
        self._linear_spectra = True
        flowgraph.connect(upstream, self.estimator)

    def spectra(self) -> np.ndarray:
        """Output spectra, shape ``(num_estimates, grid)``, dB relative to each maximum."""
        grid_size = len(self.estimator.grid_deg)
        spectra = np.asarray(self.spectra_sink.data(), dtype=np.float32).reshape(-1, grid_size)
        if not self._linear_spectra:
            return spectra
        return np.array([power_to_db(s, np.max(s)) for s in spectra], dtype=np.float32).reshape(-1, grid_size)


def _learned_settings(settings: ReplaySettings, capture: Capture, is_srs: bool) -> ReplaySettings:
    """``settings`` for method mod-dnn, the model path and (SRS model) ``num_subcarriers``
    resolved from the model; ``ValueError`` for a capture of another array or carrier, or a
    setting the model cannot follow."""
    for name in ("forward_backward", "subarray_length"):
        if getattr(settings, name):
            raise ValueError(
                f"{name}: method {settings.method} estimates from the plain covariances its model was "
                f"trained on; got {getattr(settings, name)!r}"
            )
    model_path = settings.model_path or default_model_path()
    model = load_model(model_path)
    config = model.config
    model.check_array(capture.geometry.positions_m, capture.frequency_hz, f"the capture {capture.meta_path}")
    if config.kind != "srs":
        return dataclasses.replace(settings, model_path=model_path)
    num_subcarriers = len(config.subcarrier_offsets_hz)
    if is_srs and settings.num_subcarriers not in (None, num_subcarriers):
        raise ValueError(
            f"num_subcarriers: the model {model_path} was trained on {num_subcarriers} SRS pilots per "
            f"occasion, got {settings.num_subcarriers}"
        )
    return dataclasses.replace(settings, model_path=model_path, num_subcarriers=num_subcarriers)


def _pilot_offsets_hz(extractor: srs_extractor, output: int, num_subcarriers: int) -> np.ndarray:
    """``(K,)`` offsets from the carrier of the pilots in the extractor's items of UE ``output``,
    hertz: those of its first occasion (port 0), the same in every occasion unless the SRS hops."""
    config = extractor.configs[output]
    frame, slot = extractor.carrier.frame_and_slot(config.t_offset)
    return output_offsets_hz(extractor.carrier, config, num_subcarriers, frame, slot)
