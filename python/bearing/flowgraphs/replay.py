"""The replay flowgraph: SigMF capture -> covariance -> estimator -> bearings.

`bearing estimate` and `bearing evaluate` run this flowgraph; ``examples/replay_capture*.grc``
draw the same blocks in GNU Radio Companion (a test checks that both give the same bearings).
The estimator is the method's (:mod:`.methods`): the classical one, or coarray DBF (with a peak
search) or SCG behind coarray DBF, or MoD-DNN (Liu et al., ACM TOSN 2025), whose hierarchical
block replaces the covariance too; the settings are :class:`~.settings.ReplaySettings`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr

from ..array.field_of_view import GeometryError, field_of_view
from ..array.geometry import wavelength_m
from ..blocks import messages
from ..blocks.capture_source import capture_source
from ..blocks.covariance_accumulator import covariance_accumulator
from ..blocks.json_sink import json_sink
from ..blocks.omc_doa_tracker import omc_doa_tracker
from ..blocks.source_counter import source_counter
from ..blocks.srs_extractor import srs_extractor
from ..captures.reader import as_capture
from ..captures.schema import Capture
from ..counting.counters import resolve_counter
from ..doa.grid import power_to_db
from ..doa.search import SearchGrid
from ..nr import metadata as nr_metadata
from ..nr.channel_estimation import output_offsets_hz
from ..validation import AUTO_SOURCES
from .methods import ChainInput, Method, check_geometry, check_method, resolve_search, with_model
from .settings import DEFAULT_SUBCARRIERS, ReplaySettings


class ReplayFlowgraph(gr.top_block):
    """capture_source -> covariance_accumulator -> estimator -> json_sink (+ spectra sink).

    With auto sources a ``source_counter`` sits between the covariance accumulator and the
    estimator (MoD-DNN: one per branch, in its block); with tracking an ``omc_doa_tracker``
    sits between the estimator's ``bearings`` and the sink. The estimator is the method's
    (:data:`~gnuradio.bearing.flowgraphs.methods.METHODS`): ``doa_estimator`` for the
    classical methods; for ``coarray-dbf``, ``coarray_dbf`` with a ``peak_search`` (records
    named ``coarray-dbf``); for ``scg``, ``coarray_dbf -> scg_spectrum``, with the noise floor
    removed (docs/scg.md). With spatial smoothing the coarray blocks model the first
    ``subarray_length`` elements, as the classical estimator does. For ``mod-dnn``,
    ``mod_dnn_estimator`` replaces the covariance accumulator and the estimator (it holds one
    accumulator per subregion); the capture's array and carrier must be the model's
    (``ValueError`` otherwise, before the flowgraph is built), and SRS items enter it with the
    extractor's pilot offsets.

    An SRS capture (one with ``nr:carrier``, docs/srs.md) goes through the SRS extractor
    first; each UE gets its own covariance and estimator chain, whose windows are
    ``settings.average`` occasions of ``settings.num_subcarriers`` subcarriers, and its
    records carry ``ue``.

    The capture is read once, and each model file once (the method's, and the source counter's
    with auto sources): the blocks share what was read.

    Args:
        capture_path: the SigMF recording, or a :class:`~gnuradio.bearing.captures.schema.Capture`
            already read.
        settings: estimation settings.
        json_path: where the sink writes JSON lines (``-`` stdout, empty: memory only).
        keep_spectra: keep every output spectrum in :attr:`spectra` (for plots).
    """

    def __init__(
        self,
        capture_path: str | Capture,
        settings: ReplaySettings,
        json_path: str = "",
        keep_spectra: bool = False,
    ) -> None:
        gr.top_block.__init__(self, "Bearing replay", catch_exceptions=False)
        method = check_method(settings.method)
        capture = as_capture(capture_path)
        if capture.hybrid is not None:
            raise ValueError(
                f"{capture.meta_path}: the {capture.num_channels} channels are the RF chains of a hybrid "
                "array (bearing:hybrid), not antennas; these estimators need one channel per antenna"
            )
        is_srs = nr_metadata.CARRIER_KEY in capture.global_info
        model = None
        if method.needs_model:
            check_geometry(method, settings.method, field_of_view(capture.geometry))
            settings, model = with_model(settings, capture, is_srs)
        self.search = None
        """The search grid of the capture's array (:class:`~gnuradio.bearing.doa.search.SearchGrid`;
        None for a method with a model's own grid)."""
        if method.takes_covariance:
            geometry = capture.geometry.smoothing_subarray(settings.subarray_length or capture.num_channels)
            if settings.forward_backward and not geometry.centro_symmetric():
                raise GeometryError(
                    "forward-backward averaging needs an array symmetric about its centre in element order "
                    "(element m mirrors element M-1-m, as in a ULA or a URA listed row by row); the "
                    "capture's array is not: estimate without --forward-backward"
                )
            self.search = resolve_search(method, settings, geometry, wavelength_m(capture.frequency_hz))
            settings = _with_grid(settings, self.search)
            if settings.track_drop_after and self.search.elevation_deg is not None:
                raise GeometryError(
                    "tracking (OMC-DOA) follows azimuths only, but the capture's array resolves elevation "
                    f"too ({self.search.field.kind}, not horizontal): estimate without --track"
                )
        counter = None
        if settings.num_sources == AUTO_SOURCES:  # one counter model for every chain's counters
            size = settings.subarray_length or capture.num_channels
            counter = resolve_counter(settings.counter, settings.counter_model, size)
        if settings.average is None:
            settings = dataclasses.replace(settings, average=1 if is_srs else 1024)
        if settings.num_subcarriers is None:
            settings = dataclasses.replace(settings, num_subcarriers=DEFAULT_SUBCARRIERS)
        self.settings = settings
        """The settings used, ``average``, ``num_subcarriers`` and ``model_path`` resolved."""
        if is_srs:
            self.extractor = srs_extractor(capture, num_subcarriers=settings.num_subcarriers)
            self.source = capture_source(
                capture, segment_length=self.extractor.source_segment_length(capture)
            )
            self.connect(self.source, self.extractor)
            # A message sink stops when its first publisher does: one sink per UE chain, and the
            # records are merged and written after the run (:meth:`run`).
            self._deferred_json = json_path
            self.chains = [
                _Chain(
                    self,
                    (self.extractor, output),
                    method,
                    ChainInput(
                        capture,
                        settings,
                        _pilot_offsets_hz(self.extractor, output, settings.num_subcarriers),
                        model,
                        counter,
                        self.search,
                    ),
                    keep_spectra,
                    "",
                )
                for output in range(len(self.extractor.output_sizes))
            ]
        else:
            self.extractor, self._deferred_json = None, ""
            self.source = capture_source(capture)
            chain = ChainInput(capture, settings, None, model, counter, self.search)
            self.chains = [_Chain(self, self.source, method, chain, keep_spectra, json_path)]

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
    def elevation_grid_deg(self) -> np.ndarray | None:
        """The elevations of the rows of each spectrum of an array that resolves elevation, degrees
        (each spectrum then holds ``N_el * N_az`` values, row by row); None for azimuth only."""
        return None if self.search is None else self.search.elevation_deg

    @property
    def warnings(self) -> tuple[str, ...]:
        """Why the search reaches beyond what the array resolves (empty when it does not)."""
        return () if self.search is None else self.search.warnings

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
    """The method's blocks for one input stream of ``flowgraph`` (behind the covariance accumulator,
    and the source counter with auto sources, unless the method takes the items), the OMC-DOA
    tracker with tracking, the JSON sink and the spectra sink."""

    def __init__(
        self,
        flowgraph: ReplayFlowgraph,
        upstream,
        method: Method,
        chain: ChainInput,
        keep_spectra: bool,
        json_path: str,
    ) -> None:
        settings = chain.settings
        self.covariance = None
        if method.takes_covariance:
            items = 1 if chain.subcarrier_offsets_hz is None else chain.subcarrier_offsets_hz.size
            self.covariance = covariance_accumulator(
                num_elements=chain.capture.num_channels,
                num_subcarriers=items,
                average=settings.average,
                overlap=settings.overlap,
                forward_backward=settings.forward_backward,
                subarray_length=settings.subarray_length,
            )
            flowgraph.connect(upstream, self.covariance)
            upstream = self.covariance
            if settings.num_sources == AUTO_SOURCES:
                self.counter = source_counter(
                    self.covariance.output_size,
                    settings.counter,
                    settings.average * items,
                    chain.counter or settings.counter_model,
                )
                flowgraph.connect(self.covariance, self.counter)
                upstream = self.counter
        estimation = method.build(flowgraph, upstream, chain)
        self.estimator, self.bearings, self.estimators = (
            estimation.spectrum,
            estimation.bearings,
            estimation.blocks,
        )
        self.dbf = estimation.dbf
        self._linear_spectra = estimation.linear
        mount = chain.capture.orientation
        self.sink = json_sink(json_path, **({} if mount is None else mount.to_dict()))
        bearings = (self.bearings, "bearings")
        if settings.track_drop_after:
            self.tracker = omc_doa_tracker(
                settings.num_sources, drop_after_estimates=settings.track_drop_after
            )
            flowgraph.msg_connect(bearings, (self.tracker, messages.CANDIDATES_PORT))
            bearings = (self.tracker, "bearings")
        flowgraph.msg_connect(bearings, (self.sink, "bearings"))
        self._size = estimation.size
        grid_size = estimation.size
        if keep_spectra:
            self.spectra_sink = blocks.vector_sink_f(grid_size)
        else:
            self.spectra_sink = blocks.null_sink(gr.sizeof_float * grid_size)
        flowgraph.connect(self.estimator, self.spectra_sink)

    @property
    def dropped_windows(self) -> int:
        """Covariance windows dropped for NaN or infinite samples."""
        return (self.estimator if self.covariance is None else self.covariance).dropped_windows

    def spectra(self) -> np.ndarray:
        """Output spectra, shape ``(num_estimates, grid)``, dB relative to each maximum."""
        grid_size = self._size
        spectra = np.asarray(self.spectra_sink.data(), dtype=np.float32).reshape(-1, grid_size)
        if not self._linear_spectra:
            return spectra
        return np.array([power_to_db(s, np.max(s)) for s in spectra], dtype=np.float32).reshape(-1, grid_size)


def _with_grid(settings: ReplaySettings, search: SearchGrid) -> ReplaySettings:
    """``settings`` with the grid bounds the search resolved (the array's own where None)."""
    start, stop, step = search.azimuth_range
    elevation = search.elevation_range or (None, None, None)
    return dataclasses.replace(
        settings,
        grid_start_deg=start,
        grid_stop_deg=stop,
        grid_step_deg=step,
        elevation_start_deg=elevation[0],
        elevation_stop_deg=elevation[1],
        elevation_step_deg=elevation[2],
    )


def _pilot_offsets_hz(extractor: srs_extractor, output: int, num_subcarriers: int) -> np.ndarray:
    """``(K,)`` offsets from the carrier of the pilots in the extractor's items of UE ``output``,
    hertz: those of its first occasion (port 0), the same in every occasion unless the SRS hops."""
    config = extractor.configs[output]
    frame, slot = extractor.carrier.frame_and_slot(config.t_offset)
    return output_offsets_hz(extractor.carrier, config, num_subcarriers, frame, slot)
