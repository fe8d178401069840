"""The replay flowgraph: SigMF capture -> (channel correction) -> covariance -> estimator -> bearings.

`bearing estimate` and `bearing evaluate` run this flowgraph; ``examples/replay_capture*.grc``
draw the same blocks in GNU Radio Companion (a test checks that both give the same bearings).
The estimator is the method's (:mod:`.methods`): the classical one, or coarray DBF (with a peak
search) or SCG behind coarray DBF, or MoD-DNN (Liu et al., ACM TOSN 2025), whose hierarchical
block replaces the covariance too; the settings are :class:`~.settings.ReplaySettings`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr

from ..array.channel_calibration import ChannelCalibration, load_calibration
from ..blocks.capture_source import capture_source
from ..blocks.srs_extractor import srs_extractor
from ..captures.reader import as_capture
from ..captures.schema import Capture
from ..doa.classical import CALIBRATED_MUSIC
from ..nr import metadata as nr_metadata
from ..nr.channel_estimation import output_offsets_hz
from .chain import EstimationChain, mount_sink, plan_estimation
from .methods import ChainInput
from .settings import PER_ANNOTATION, ReplaySettings
from .station_publisher import PublishSettings, add_publisher


class ReplayFlowgraph(gr.top_block):
    """capture_source -> covariance_accumulator -> estimator -> json_sink (+ spectra sink).

    With a channel calibration (``settings.channel_calibration_path``, a JSON file of
    :mod:`~gnuradio.bearing.array.channel_calibration`) GNU Radio's ``multiply_const_vcc`` sits
    right after the capture source and multiplies each M-channel snapshot by ``1 / g``, removing
    the channel gains ``g`` before anything else sees the samples (its tags pass through). The
    file must be of the capture's array and carrier (``ValueError`` otherwise, before the
    flowgraph is built); ``calibrated-music`` refuses one (its table is the uncorrected array's).

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
        publish: publish each estimate as a bearing report over ZeroMQ (a Bearing Publisher per
            chain into one ZMQ PUB Message Sink, docs/positioning.md); :meth:`run` first waits
            ``publish.wait_s`` for subscribers.
    """

    def __init__(
        self,
        capture_path: str | Capture,
        settings: ReplaySettings,
        json_path: str = "",
        keep_spectra: bool = False,
        publish: PublishSettings | None = None,
    ) -> None:
        gr.top_block.__init__(self, "Bearing replay", catch_exceptions=False)
        capture = as_capture(capture_path)
        if capture.hybrid is not None:
            raise ValueError(
                f"{capture.meta_path}: the {capture.num_channels} channels are the RF chains of a hybrid "
                "array (bearing:hybrid), not antennas; these estimators need one channel per antenna"
            )
        is_srs = nr_metadata.CARRIER_KEY in capture.global_info
        self.channel_calibration = _channel_calibration(capture, settings)
        """The channel calibration removed from the samples (None: none)."""
        self.correction: blocks.multiply_const_vcc | None = None
        """The ``multiply_const_vcc`` of the channel correction (None: no channel calibration)."""
        plan = plan_estimation(capture, settings, is_srs)
        method, settings, model, counter = plan.method, plan.settings, plan.model, plan.counter
        self.search = plan.search
        """The search grid of the capture's array (:class:`~gnuradio.bearing.doa.search.SearchGrid`;
        None for a method with a model's own grid)."""
        self.settings = settings
        """The settings used, ``average``, ``num_subcarriers`` and ``model_path`` resolved."""
        if is_srs:
            self.extractor = srs_extractor(capture, num_subcarriers=settings.num_subcarriers)
            self.source = capture_source(
                capture, segment_length=self.extractor.source_segment_length(capture)
            )
            self.connect(self._corrected(self.source), self.extractor)
            # A message sink stops when its first publisher does: one sink per UE chain, and the
            # records are merged and written after the run (:meth:`run`).
            self._deferred_json = json_path
            self.chains = [
                EstimationChain(
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
                    mount_sink(capture, ""),
                )
                for output in range(len(self.extractor.output_sizes))
            ]
        else:
            self.extractor, self._deferred_json = None, ""
            self.source = capture_source(capture, annotations=settings.average == PER_ANNOTATION)
            chain = ChainInput(capture, settings, None, model, counter, self.search)
            sink = mount_sink(capture, json_path)
            upstream = self._corrected(self.source)
            self.chains = [EstimationChain(self, upstream, method, chain, keep_spectra, sink)]
        self.publish = publish
        self.publishers, self.zmq_sink = (
            add_publisher(self, [c.output for c in self.chains], publish) if publish else ([], None)
        )

    def _corrected(self, source: capture_source):
        """``source``, or the channel correction behind it when there is a channel calibration."""
        if self.channel_calibration is None:
            return source
        correction = (1.0 / self.channel_calibration.gains).astype(np.complex64)
        self.correction = blocks.multiply_const_vcc([complex(value) for value in correction])
        self.connect(source, self.correction)
        return self.correction

    def run(self, max_noutput_items: int = 100000000) -> None:
        """Runs the flowgraph to the end (after ``publish.wait_s`` when publishing); then writes the
        merged records of several UEs, if any."""
        if self.publish is not None:
            time.sleep(self.publish.wait_s)
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


def _channel_calibration(capture: Capture, settings: ReplaySettings) -> ChannelCalibration | None:
    """The channel calibration of ``settings``, checked against the capture's array and carrier."""
    path = settings.channel_calibration_path
    if not path:
        return None
    if settings.method == CALIBRATED_MUSIC:
        raise ValueError(
            f"{path}: a channel calibration; --method {CALIBRATED_MUSIC} takes the uncorrected array's "
            "calibration table (bearing calibrate --method manifold) and no channel calibration"
        )
    calibration = load_calibration(path)
    try:
        calibration.check_array(
            capture.geometry.positions_m, capture.frequency_hz, f"the capture {capture.meta_path}"
        )
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    return calibration


def _pilot_offsets_hz(extractor: srs_extractor, output: int, num_subcarriers: int) -> np.ndarray:
    """``(K,)`` offsets from the carrier of the pilots in the extractor's items of UE ``output``,
    hertz: those of its first occasion (port 0), the same in every occasion unless the SRS hops."""
    config = extractor.configs[output]
    frame, slot = extractor.carrier.frame_and_slot(config.t_offset)
    return output_offsets_hz(extractor.carrier, config, num_subcarriers, frame, slot)
