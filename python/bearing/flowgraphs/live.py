"""The live flowgraph of `bearing live` and `bearing record`: a live array source -> window
selector -> coherence calibrator -> [SigMF recorder] -> the estimation chain of a replay ->
bearings with their wall time, latency and calibration.

::

    source -> [head] -> window_selector -> coherence_calibrator -> [sigmf_array_sink]
                                                  |-> covariance -> estimator -> json_sink
                                                  '-- noise_source requests -> source (sim)

The window selector keeps ``average`` snapshots every ``interval_s`` seconds (C++ blocks carry
the full rate up to it; only the kept windows reach Python), the calibrator removes the
channel gains (:mod:`~gnuradio.bearing.blocks.coherence_calibrator`), and each window gives one
estimate, written as the replay's records (docs/cli.md) plus ``wall_time`` (seconds since
1970, UTC), ``latency_ms`` (from the arrival of the window's last sample at the selector to the
record) and ``calibration`` (``none`` | ``noise`` | ``beacon`` | ``file``; ``calibration_time``
with a calibration). :meth:`LiveFlowgraph.run_live` runs it with a watchdog: a stream that
stops or a source that reports an error ends the run with one line.
"""

from __future__ import annotations

import collections
import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr

from ..array.field_of_view import GeometryError, field_of_view
from ..blocks import messages
from ..blocks.coherence_calibrator import coherence_calibrator
from ..blocks.window_selector import window_selector
from ..validation import check_number
from .chain import EstimationChain, mount_sink, plan_estimation
from .live_sources import LiveSource, SourceError
from .methods import ChainInput
from .settings import PER_ANNOTATION, ReplaySettings

DEFAULT_INTERVAL_S = 0.05
"""Seconds between estimates (20 a second) when ``interval_s`` is not given."""
BUFFER_S = 0.02
"""Seconds of stream the block feeding the window selector buffers at least: the selector is a
Python block, and fewer, larger calls keep it at the full rate (5 x 2.4 MS/s and more)."""
LAG_WARNING_S = 1.0
"""How far behind the stream the flowgraph may fall before `bearing live` warns, seconds."""
LATENCIES_KEPT = 10_000
"""Latencies :attr:`LiveFlowgraph.latencies_ms` keeps (the last ones)."""


@dataclass(frozen=True)
class CalibrationSpec:
    """How a live run calibrates its channels (``--calibrate``): :meth:`parse` reads ``none``,
    ``noise:SECONDS`` (0: only the windows the source marks as noise source),
    ``beacon:AZIMUTH_DEG:SECONDS``, ``beacon:AZIMUTH_DEG:ELEVATION_DEG:SECONDS`` or ``file:PATH``."""

    mode: str = "none"
    seconds: float = 0.0
    beacon_azimuth_deg: float = 0.0
    path: str = ""
    beacon_elevation_deg: float | None = None

    @classmethod
    def parse(cls, text: str) -> CalibrationSpec:
        kind, _, rest = text.partition(":")
        fields = rest.split(":")
        try:
            if kind == "none" and not rest:
                return cls()
            if kind == "noise" and len(fields) == 1:
                return cls("noise", check_number(float(rest), "seconds", 0.0))
            if kind == "beacon" and len(fields) in (2, 3):
                *angles, seconds = (float(field) for field in fields)
                elevation = check_number(angles[1], "elevation", -90.0, 90.0) if len(angles) == 2 else None
                seconds = check_number(seconds, "seconds", 1e-6)
                return cls(
                    "beacon", seconds, check_number(angles[0], "azimuth", -180.0, 360.0), "", elevation
                )
            if kind == "file" and rest:
                return cls("file", path=rest)
        except ValueError:
            pass
        raise ValueError(
            f"--calibrate {text!r}: expected none, noise:SECONDS, beacon:AZIMUTH_DEG[:ELEVATION_DEG]:SECONDS "
            "or file:PATH"
        )


class StreamStopped(SourceError):
    """The stream stopped (no samples for the stall timeout) or its source reported an error."""


class LiveFlowgraph(gr.top_block):
    """The live flowgraph (module docstring).

    Args:
        source: the opened source (:func:`~.live_sources.open_source`).
        settings: the estimation settings as for a replay (``average``: snapshots per window);
            None: no estimation (`bearing record`).
        calibration: how the channels are calibrated.
        interval_s: seconds from one window to the next (at least one window).
        seconds: stop after this many seconds of stream (0: run until stopped).
        json_path: where the records go (``-`` stdout, empty: memory only).
        record_path: a SigMF recording of the calibrated windows (empty: none).
        save_calibration: where each new calibration is saved (empty: not saved).
        text: print a table row per estimate on stdout (when ``json_path`` is not ``-``).
        window: snapshots per window without estimation (with it: ``settings.average``).
        keep_last: records kept in memory (:attr:`records`).
    """

    def __init__(
        self,
        source: LiveSource,
        settings: ReplaySettings | None,
        calibration: CalibrationSpec = CalibrationSpec(),
        interval_s: float = DEFAULT_INTERVAL_S,
        seconds: float = 0.0,
        json_path: str = "-",
        record_path: str = "",
        save_calibration: str = "",
        text: bool = False,
        keep_last: int = 10_000,
        window: int = 1024,
    ) -> None:
        gr.top_block.__init__(self, "Bearing live", catch_exceptions=False)
        self.source = source
        array, rate = source.array, source.sample_rate_hz
        if settings is not None and settings.average == PER_ANNOTATION:
            raise ValueError(
                "--average annotations: a live stream has no annotations; give a number of snapshots"
            )
        self.plan = None if settings is None else plan_estimation(array, settings)
        average = window if self.plan is None else self.plan.settings.average
        check_number(interval_s, "--interval (seconds)", 0.0)
        if check_number(seconds, "--seconds", 0.0) and round(seconds * rate) < average:
            raise ValueError(
                f"--seconds {seconds:g}: shorter than one window of {average} samples at {rate:g} S/s"
            )
        _check_calibration(source, calibration, save_calibration)
        period = max(average, round(interval_s * rate))
        self.interval_s = period / rate
        self._warnings = []
        if round(interval_s * rate) < average:
            self._warnings.append(
                f"--interval {interval_s:g} s is shorter than a window of {average} snapshots: one window "
                f"every {self.interval_s:g} s"
            )
        self._text = text
        self._header_printed = False
        self.latencies_ms: collections.deque[float] = collections.deque(maxlen=LATENCIES_KEPT)
        self._blocks = [source.block]
        upstream = source.block
        if seconds:
            self.head = blocks.head(gr.sizeof_gr_complex * array.num_channels, round(seconds * rate))
            self.connect(upstream, self.head)
            upstream = self.head
        _large_buffer(upstream, round(BUFFER_S * rate))
        self.selector = window_selector(array.num_channels, average, period)
        self.calibrator = coherence_calibrator(
            array.num_channels,
            average,
            rate,
            calibration.mode,
            array.geometry.positions_m,
            array.frequency_hz,
            calibration_s=calibration.seconds,
            beacon_azimuth_deg=calibration.beacon_azimuth_deg,
            beacon_elevation_deg=calibration.beacon_elevation_deg or 0.0,
            calibration_path=calibration.path,
            save_path=save_calibration,
        )
        self.connect(upstream, self.selector, self.calibrator)
        if source.kind == "sim":
            self.msg_connect((self.calibrator, messages.NOISE_SOURCE), (source.block, messages.NOISE_SOURCE))
        self.recorder = None
        if record_path:
            self.recorder = self._recorder(record_path, calibration)
        self.chain = None
        if self.plan is not None:
            self.chain = self._chain(json_path, keep_last)
        elif self.recorder is None:
            raise ValueError("a live run without estimation needs a recording path")

    def _recorder(self, record_path: str, calibration: CalibrationSpec):
        from ..blocks.sigmf_array_sink import sigmf_array_sink

        array = self.source.array
        recorder = sigmf_array_sink(
            record_path,
            array.geometry.positions_m.tolist(),
            array.frequency_hz,
            array.sample_rate_hz,
            array.num_channels,
            description=f"gr-bearing live recording of {self.source.spec}",
            extra_global={
                "bearing:live_source": self.source.settings,
                "bearing:live_calibrate": calibration.mode,
            },
        )
        self.connect(self.calibrator, recorder)
        self.msg_connect((self.calibrator, messages.CALIBRATION_PORT), (recorder, messages.CALIBRATION_PORT))
        return recorder

    def _chain(self, json_path: str, keep_last: int) -> EstimationChain:
        plan, array = self.plan, self.source.array
        sink = mount_sink(array, json_path, annotate=self._live_fields, keep_last=keep_last)
        chain_input = ChainInput(array, plan.settings, None, plan.model, plan.counter, plan.search)
        return EstimationChain(self, self.calibrator, plan.method, chain_input, False, sink)

    @property
    def records(self) -> list[dict]:
        """The last records (``keep_last`` of them), oldest first."""
        return [] if self.chain is None else list(self.chain.sink.records)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Why the search reaches beyond what the array resolves, or the interval was stretched."""
        search = () if self.plan is None or self.plan.search is None else self.plan.search.warnings
        return (*search, *self._warnings)

    def _live_fields(self, record: dict) -> dict:
        """``wall_time``, ``latency_ms`` and the calibration of a record; the text row when asked."""
        now = time.time()
        fields = {"wall_time": round(now, 6)}
        arrival = self.selector.arrival_time(record["sample_start"])
        if arrival is not None:
            fields["latency_ms"] = round(1000.0 * (now - arrival), 3)
            self.latencies_ms.append(fields["latency_ms"])
        fields |= self.calibrator.calibration_at(record["sample_start"])
        if self._text:
            if not self._header_printed:
                header = f"{'sample_start':>12} {'azimuth_deg':<20} {'truth_deg':<20} {'latency':>11}"
                print(f"{header}  calibration", flush=True)
                self._header_printed = True
            _print_row(record | fields)
        return fields

    def run_live(self, stall_timeout_s: float = 5.0) -> None:
        """Runs until the stream ends (``seconds``), Ctrl-C, or the watchdog: no new sample for
        ``stall_timeout_s`` seconds, or an error the source reports, raise :class:`StreamStopped`
        (one line) after stopping the flowgraph."""
        self.start()
        waiter = threading.Thread(target=self.wait, daemon=True)
        waiter.start()
        seen, since = -1, time.monotonic()
        problem, lag_warned, first_sample_at = "", False, None
        try:
            while waiter.is_alive():
                waiter.join(0.1)
                if self.selector.samples_seen != seen:
                    seen, since = self.selector.samples_seen, time.monotonic()
                    first_sample_at = first_sample_at or since
                    lag_s = since - first_sample_at - seen / self.source.sample_rate_hz
                    if lag_s > LAG_WARNING_S and not lag_warned:
                        lag_warned = True
                        print(
                            f"bearing: warning: {self.source.spec}: the flowgraph is {lag_s:.1f} s behind "
                            "the stream (a device would overflow): a longer --interval or a lighter method",
                            file=sys.stderr,
                        )
                elif time.monotonic() - since > stall_timeout_s and waiter.is_alive():
                    what = "no samples" if seen <= 0 else "no new samples"
                    problem = f"{self.source.spec}: {what} for {stall_timeout_s:g} s: the stream stopped"
                if self.source.error:
                    problem = f"{self.source.spec}: {self.source.error}"
                if problem:
                    break
        except KeyboardInterrupt:
            pass
        self.stop()
        waiter.join()
        if problem or self.source.error:
            raise StreamStopped(problem or f"{self.source.spec}: {self.source.error}")

    def summary(self, wall_seconds: float) -> str:
        """One line: estimates, their rate, latency percentiles, calibration, dropped windows."""
        stream_s = self.selector.samples_seen / self.source.sample_rate_hz
        parts = [f"{stream_s:.2f} s of stream in {wall_seconds:.2f} s"]
        if self.chain is not None:
            count = self.chain.sink.written
            parts.append(f"{count} estimates ({count / max(wall_seconds, 1e-9):.1f}/s)")
        if self.recorder is not None:
            parts.append(f"{self.recorder.samples_written // self.selector.window} windows recorded")
        latency = np.asarray(self.latencies_ms, dtype=float)
        if latency.size:
            p50, p95 = np.percentile(latency, [50, 95])
            parts.append(f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        label = self.calibrator.calibration_at(sys.maxsize)["calibration"]
        parts.append(f"calibration {label}")
        if self.calibrator.uncalibrated_windows:
            parts.append(f"{self.calibrator.uncalibrated_windows} windows dropped before a calibration")
        return "; ".join(parts)


def _check_calibration(source: LiveSource, calibration: CalibrationSpec, save_path: str) -> None:
    """What a run's calibration cannot do with its source and array, refused before it starts."""
    if save_path and not Path(save_path).resolve().parent.is_dir():
        raise ValueError(
            f"--save-calibration {save_path}: the folder {Path(save_path).resolve().parent} does not exist"
        )
    if calibration.mode == "beacon":
        if source.kind == "sim":
            raise ValueError(
                "--calibrate beacon: a sim: source has no beacon; calibrate on its noise source (noise:S)"
            )
        if (
            field_of_view(source.array.geometry).elevation_deg is not None
            and calibration.beacon_elevation_deg is None
        ):
            raise GeometryError(
                "--calibrate beacon: the array resolves elevation; give the beacon's elevation too "
                "(beacon:AZIMUTH_DEG:ELEVATION_DEG:SECONDS)"
            )
    noise_source_s = source.settings.get("noise_source_s")
    if calibration.mode == "noise" and source.kind == "sim" and (noise_source_s or 0.0) < calibration.seconds:
        raise ValueError(
            f"--calibrate noise:{calibration.seconds:g}: the simulated noise source is on for "
            f"{noise_source_s or 0:g} s only (--noise-source); the calibration would measure the scene"
        )


def _large_buffer(block: gr.basic_block, items: int) -> None:
    """Asks ``block`` for an output buffer of at least ``items`` items (8192 at least)."""
    block.set_min_output_buffer(0, max(8192, items))


def _print_row(record: dict) -> None:
    """The text row of a live estimate."""
    azimuths = ",".join(f"{value:.2f}" for value in record["azimuth_deg"]) or "-"
    truths = ",".join(f"{value:.2f}" for value in record.get("truth_azimuth_deg", [])) or "-"
    latency = record.get("latency_ms", math.nan)
    print(
        f"{record['sample_start']:>12} {azimuths:<20} {truths:<20} {latency:>8.1f} ms  "
        f"{record['calibration']}",
        flush=True,
    )
