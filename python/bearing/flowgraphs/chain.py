"""One estimation chain of a flowgraph, what the replay and the live flowgraphs share: the plan
(:func:`plan_estimation`: the method, its model, search grid and source counter for an array
and settings) and the blocks (:class:`EstimationChain`: covariance, counter, estimator, tracker)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from gnuradio import blocks, gr

from ..array.field_of_view import GeometryError, field_of_view
from ..array.geometry import wavelength_m
from ..blocks import messages
from ..blocks.covariance_accumulator import covariance_accumulator
from ..blocks.json_sink import json_sink
from ..blocks.omc_doa_tracker import omc_doa_tracker
from ..blocks.source_counter import source_counter
from ..captures.schema import Capture
from ..counting.counters import resolve_counter
from ..doa.grid import power_to_db
from ..doa.search import SearchGrid
from ..validation import AUTO_SOURCES
from .methods import ChainInput, Method, check_geometry, check_method, resolve_search, with_model
from .settings import DEFAULT_SUBCARRIERS, PER_ANNOTATION, ReplaySettings


@dataclass(frozen=True)
class EstimationPlan:
    """What :func:`plan_estimation` resolved: the method, the settings (grid bounds, ``average``
    and ``num_subcarriers`` resolved), the model of a method that has one, the learned source
    counter of auto sources and the search grid (None for a method with a model's own grid)."""

    method: Method
    settings: ReplaySettings
    model: object | None
    counter: object | None
    search: SearchGrid | None


def plan_estimation(capture: Capture, settings: ReplaySettings, is_srs: bool = False) -> EstimationPlan:
    """The plan of ``settings`` for the array, carrier and mount of ``capture`` (a recording, or a
    live array's description): every refusal (a method the geometry cannot serve, a model of
    another array, forward-backward on an asymmetric array, tracking with elevation) is raised
    here, before a block is made."""
    method = check_method(settings.method)
    model = None
    if method.needs_model:
        check_geometry(method, settings.method, field_of_view(capture.geometry))
        settings, model = with_model(settings, capture, is_srs)
    search = None
    if method.takes_covariance:
        geometry = capture.geometry.smoothing_subarray(settings.subarray_length or capture.num_channels)
        if settings.forward_backward and not geometry.centro_symmetric():
            raise GeometryError(
                "forward-backward averaging needs an array symmetric about its centre in element order "
                "(element m mirrors element M-1-m, as in a ULA or a URA listed row by row); the "
                "capture's array is not: estimate without --forward-backward"
            )
        search = resolve_search(method, settings, geometry, wavelength_m(capture.frequency_hz))
        settings = _with_grid(settings, search)
        if settings.track_drop_after and search.elevation_deg is not None:
            raise GeometryError(
                "tracking (OMC-DOA) follows azimuths only, but the capture's array resolves elevation "
                f"too ({search.field.kind}, not horizontal): estimate without --track"
            )
    counter = None
    if settings.num_sources == AUTO_SOURCES:  # one counter model for every chain's counters
        size = settings.subarray_length or capture.num_channels
        counter = resolve_counter(settings.counter, settings.counter_model, size)
    if settings.average is None:
        settings = dataclasses.replace(settings, average=1 if is_srs else 1024)
    if settings.average == PER_ANNOTATION and is_srs:
        raise ValueError(
            "--average annotations: an SRS capture's windows are SRS occasions; give a number of "
            "occasions per estimate"
        )
    if settings.average == PER_ANNOTATION and settings.overlap:
        raise ValueError("--overlap: windows of whole annotations do not overlap; leave --overlap 0")
    if settings.num_subcarriers is None:
        settings = dataclasses.replace(settings, num_subcarriers=DEFAULT_SUBCARRIERS)
    return EstimationPlan(method, settings, model, counter, search)


def mount_sink(capture: Capture, json_path: str, **options) -> json_sink:
    """A Bearings JSON Sink writing to ``json_path`` (``-`` stdout, empty: memory only) with the
    mount, element positions and carrier of ``capture``'s array, so that its records carry true
    bearings too (and horizon azimuths on a tilted or rolled mount)."""
    mount = capture.orientation
    return json_sink(
        json_path,
        **({} if mount is None else mount.to_dict()),
        positions_m=capture.geometry.positions_m,
        frequency_hz=capture.frequency_hz,
        **options,
    )


class EstimationChain:
    """The method's blocks for one input stream of ``flowgraph`` (behind the covariance accumulator,
    and the source counter with auto sources, unless the method takes the items), the OMC-DOA
    tracker with tracking, and the spectra sink; the bearings go to ``sink``."""

    def __init__(
        self,
        flowgraph: gr.top_block,
        upstream,
        method: Method,
        chain: ChainInput,
        keep_spectra: bool,
        sink: json_sink,
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
        self.sink = sink
        bearings = (self.bearings, "bearings")
        if settings.track_drop_after:
            self.tracker = omc_doa_tracker(
                settings.num_sources, drop_after_estimates=settings.track_drop_after
            )
            flowgraph.msg_connect(bearings, (self.tracker, messages.CANDIDATES_PORT))
            bearings = (self.tracker, "bearings")
        flowgraph.msg_connect(bearings, (self.sink, "bearings"))
        self.output = bearings
        """The block and port of the chain's final ``bearings`` (the tracker's, with tracking)."""
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
