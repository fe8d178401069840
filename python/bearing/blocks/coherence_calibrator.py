"""GNU Radio block: measure and remove the channel gains of a live array (a noise source or a
beacon), watch them drift, save and load them, take them from a message."""

from __future__ import annotations

import bisect
import math
import threading

import numpy as np
import pmt
from gnuradio import gr

from ..array.channel_calibration import (
    METHODS,
    ChannelCalibration,
    load_calibration,
    measure_calibration,
    phase_drift_deg,
    utc_now,
)
from ..validation import check_integer, check_number
from . import messages
from .base import Guarded

MODES = ("none", "noise", "beacon", "file")
"""``none``: pass the windows on uncalibrated (and say so); ``noise``: measure the gains on the
shared noise source; ``beacon``: on a beacon at a known bearing; ``file``: load them."""

RECALIBRATE_PORT = "recalibrate"
HISTORY_KEPT = 256
"""Calibration changes :meth:`coherence_calibrator.calibration_at` still knows."""


class coherence_calibrator(Guarded, gr.basic_block):
    """Removes the per-channel complex gains ``g`` (``x = diag(g) y``, ``g_0 = 1``) of a live
    array from the windows of a Window Selector (:mod:`~gnuradio.bearing.array.coherence`).

    Input and output: windows of ``window`` M-channel snapshots, each starting with the
    selector's ``segment_start`` tag (its stream sample). Windows marked by a ``noise_source``
    tag ``{on: true}`` hold the shared noise source, not the scene: they are measured, never
    passed on. The other windows leave divided by ``g`` with their ``segment_start`` and
    ``truth`` tags.

    * ``noise``: the gains are the principal eigenvector of the noise-source covariance, summed
      over the noise-source windows, and over the first ``calibration_s`` seconds of the stream
      (the source's noise source is on then, ``bearing live --calibrate noise:S``: those windows
      are trusted to be noise source whatever their tags say; 0: the tagged windows only);
    * ``beacon``: over the first ``calibration_s`` seconds a beacon at ``beacon_azimuth_deg`` /
      ``beacon_elevation_deg`` is the strongest signal; those windows are measured, not passed on;
    * ``file``: the gains of ``calibration_path``, refused for another array or carrier;
    * ``none``: the windows pass unchanged; :meth:`calibration_at` says they are uncalibrated.

    Until a calibration exists (``noise``, ``beacon``) the windows are dropped and counted in
    :attr:`uncalibrated_windows`: nothing is estimated on uncalibrated data without saying so.

    Drift: every later noise-source period (a KrakenSDR's, or one the block asks for) gives a
    new calibration; the largest change of a channel phase since the previous one is
    published, and logged as drift beyond ``drift_threshold_deg``. The block asks for one by
    publishing ``noise_source`` ``{on: true}`` (and ``{on: false}`` ``calibration_s`` later) on
    a ``recalibrate`` message and every ``recalibrate_period_s`` seconds of stream (0: never);
    in beacon mode a ``recalibrate`` message measures the next ``calibration_s`` seconds as the
    beacon again. Every new calibration is saved to ``save_path`` (empty: not saved) and
    published as a ``calibration`` message (:mod:`~gnuradio.bearing.blocks.messages`).

    A ``calibration`` message in (the dict this block publishes, e.g. from another calibrator or
    the IDL-TLBO Estimator block: ``gains_real``, ``gains_imag``, and, to be checked against this
    block's array and carrier, ``positions_m`` and ``frequency_hz``; ``method``, ``coherence`` and
    ``time`` when known) replaces the gains from the next window on, in any mode: it is logged,
    saved and published as a calibration of its own. A message that is not such a dict, holds
    another number of gains or is of another array or carrier is logged and dropped
    (:attr:`refused_calibrations`); the windows go on with the gains they had. One without
    ``positions_m`` or ``frequency_hz`` is applied with a warning that only its channel count
    was checked. Gains equal to those applied are not applied again (a calibrator fed its own
    messages does not loop). The message's gains replace those applied: its sender must see the
    uncorrected samples (upstream of this block, or on a branch of its own from the source). An
    IDL-TLBO Estimator behind this block sees corrected windows and estimates what is left, near
    1: fed back here, it would undo the correction.

    Args:
        num_elements: M.
        window: snapshots per window (the selector's).
        sample_rate_hz: the stream's sample rate (seconds to samples).
        mode: one of :data:`MODES`.
        positions_m: element positions ``(M, 3)``, metres (the array of the calibration file).
        frequency_hz: the carrier, Hz.
        calibration_s: seconds of noise source or beacon at the start of the stream.
        beacon_azimuth_deg, beacon_elevation_deg: the beacon's bearing, degrees.
        calibration_path: the file of mode ``file``.
        save_path: where each new calibration is saved (JSON: :mod:`..array.channel_calibration`).
        recalibrate_period_s: seconds of stream between calibrations the block asks for; 0: none.
        drift_threshold_deg: a phase change that is logged as drift, degrees.
    """

    def __init__(
        self,
        num_elements: int = 4,
        window: int = 1024,
        sample_rate_hz: float = 1e6,
        mode: str = "none",
        positions_m=(),
        frequency_hz: float = 0.0,
        calibration_s: float = 1.0,
        beacon_azimuth_deg: float = 0.0,
        beacon_elevation_deg: float = 0.0,
        calibration_path: str = "",
        save_path: str = "",
        recalibrate_period_s: float = 0.0,
        drift_threshold_deg: float = 5.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode: must be one of {', '.join(MODES)}, got {mode!r}")
        self.num_elements = check_integer(num_elements, "num_elements", 2)
        self.window = check_integer(window, "window", 1)
        self.sample_rate_hz = check_number(sample_rate_hz, "sample_rate_hz", 1e-9)
        self.mode = mode
        self.positions_m = np.asarray(positions_m, dtype=float).reshape(-1, 3)
        self.frequency_hz = float(frequency_hz)
        if mode != "none" and (self.positions_m.shape[0] != self.num_elements or self.frequency_hz <= 0):
            raise ValueError(
                f"mode {mode}: give the array's {self.num_elements} element positions (positions_m, metres) "
                "and its carrier (frequency_hz)"
            )
        self._calibration_samples = round(check_number(calibration_s, "calibration_s", 0.0) * sample_rate_hz)
        self._beacon = (
            check_number(beacon_azimuth_deg, "beacon_azimuth_deg", -180.0, 360.0),
            check_number(beacon_elevation_deg, "beacon_elevation_deg", -90.0, 90.0),
        )
        self._save_path = save_path
        self._period_samples = round(
            check_number(recalibrate_period_s, "recalibrate_period_s", 0.0) * sample_rate_hz
        )
        self._drift_threshold_deg = check_number(drift_threshold_deg, "drift_threshold_deg", 0.0, 180.0)
        gr.basic_block.__init__(
            self,
            name="Bearing Coherence Calibrator",
            in_sig=[(np.complex64, self.num_elements)],
            out_sig=[(np.complex64, self.num_elements)],
        )
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.set_output_multiple(self.window)
        for port in (messages.CALIBRATION_PORT, messages.NOISE_SOURCE):
            self.message_port_register_out(pmt.intern(port))
        self.message_port_register_in(pmt.intern(RECALIBRATE_PORT))
        self.set_msg_handler(pmt.intern(RECALIBRATE_PORT), self.handle_recalibrate)
        self.message_port_register_in(pmt.intern(messages.CALIBRATION_PORT))
        self.set_msg_handler(pmt.intern(messages.CALIBRATION_PORT), self.handle_calibration)
        self._received: ChannelCalibration | None = None  # from a message, for the next window
        self._received_lock = threading.Lock()
        self.received_calibrations = 0
        """Calibration messages applied."""
        self.refused_calibrations = 0
        """Calibration messages dropped (malformed, or of another array or carrier)."""
        self.calibration: ChannelCalibration | None = None
        """The calibration applied now (None: none yet, or mode ``none``)."""
        self._loaded: ChannelCalibration | None = None  # the file's, until a new measurement
        if mode == "file":
            self.calibration = self._loaded = load_calibration(calibration_path)
            self.calibration.check_array(self.positions_m, self.frequency_hz, "the live array")
        self.last_drift_deg: float | None = None
        """The phase drift between the last two calibrations, degrees (None: fewer than two)."""
        self.uncalibrated_windows = 0
        """Windows dropped because no calibration existed yet."""
        self.calibration_windows = 0
        """Windows measured for a calibration (noise source or beacon), not passed on."""
        self._sum: np.ndarray | None = None  # covariance summed over the calibration windows
        self._collect_until = self._calibration_samples if mode in ("noise", "beacon") else 0
        self._request_until: int | None = None  # stream sample at which the requested noise source goes off
        self._next_request = self._period_samples or None
        self._recalibrate_requested = False
        self._history: list[tuple[int, dict]] = [(0, self._label())]
        self._warned_waiting = False

    def handle_recalibrate(self, message: pmt.pmt_t) -> None:
        """``recalibrate`` message (any content): measure again from the next window."""
        self._recalibrate_requested = True

    def handle_calibration(self, message: pmt.pmt_t) -> None:
        """``calibration`` message: its gains replace the current ones from the next window on
        (class docstring); a bad message is logged and dropped."""
        try:
            calibration = self._message_calibration(messages.from_pmt(message))
        except (ValueError, TypeError, KeyError) as error:
            self.refused_calibrations += 1
            self.logger.error(f"calibration message dropped, the gains applied stay: {error}")
            return
        with self._received_lock:
            self._received = calibration
        self.logger.info(f"calibration message ({calibration.method}) received: applied from the next window")

    def _message_calibration(self, value: object) -> ChannelCalibration:
        """The calibration of a ``calibration`` message, checked against this block's array."""
        if not isinstance(value, dict) or "gains_real" not in value or "gains_imag" not in value:
            raise ValueError(f"a dict with gains_real and gains_imag expected, got {str(value)[:80]}")
        real = np.asarray(value["gains_real"], dtype=float).reshape(-1)
        imag = np.asarray(value["gains_imag"], dtype=float).reshape(-1)
        if real.size != imag.size:
            raise ValueError(f"{real.size} gains_real but {imag.size} gains_imag")
        gains = real + 1j * imag
        if gains.size != self.num_elements:
            raise ValueError(f"{gains.size} gains for the {self.num_elements} channels of this calibrator")
        if self.positions_m.shape[0] != self.num_elements or self.frequency_hz <= 0:
            raise ValueError(
                "this calibrator has no array to check a calibration against: give it the array's "
                "element positions (positions_m) and carrier (frequency_hz)"
            )
        positions, frequency = value.get("positions_m"), value.get("frequency_hz")
        if not np.isfinite(gains[0]) or gains[0] == 0:
            raise ValueError("the gain of channel 0, the reference, must be finite and non-zero")
        method = str(value.get("method", "message"))
        coherence = value.get("coherence")
        calibration = ChannelCalibration(
            gains=gains / gains[0],
            method=method if method in METHODS else "message",
            frequency_hz=float(self.frequency_hz if frequency is None else frequency),
            positions_m=self.positions_m if positions is None else np.asarray(positions, dtype=float),
            coherence=float(coherence) if isinstance(coherence, int | float) else math.nan,
            time=str(value.get("time") or utc_now()),
        )
        calibration.check_array(self.positions_m, self.frequency_hz, "this calibrator's array")
        if positions is None or frequency is None:
            self.logger.warn(
                "the calibration message gives no array (positions_m) or carrier (frequency_hz): only its "
                "channel count is checked"
            )
        return calibration

    def calibration_at(self, sample_start: int) -> dict:
        """What applied to the window starting at stream sample ``sample_start``:
        ``{"calibration": "none" | "noise" | "beacon" | "file" | "idl-tlbo" | "message",
        "calibration_time": ISO time}`` (no time when uncalibrated; ``idl-tlbo`` or ``message``:
        the gains of a ``calibration`` message, by its method)."""
        starts = [start for start, _ in self._history]
        index = max(0, bisect.bisect_right(starts, int(sample_start)) - 1)
        return dict(self._history[index][1])

    def start(self) -> bool:
        if self.calibration is not None:
            self._publish("calibrated")
        return True

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        return [noutput_items] * ninputs

    def general_work(self, input_items, output_items) -> int:
        items, out = input_items[0], output_items[0]
        windows = min(len(items), len(out)) // self.window
        first = self.nitems_read(0)
        tags = self._window_tags(first, windows)
        produced = 0
        for number in range(windows):
            rows = slice(number * self.window, (number + 1) * self.window)
            window_tags = tags.get(first + rows.start, {})
            if self._use_window(items[rows], window_tags, first + rows.start):
                out[produced : produced + self.window] = self._corrected(items[rows])
                self._copy_tags(window_tags, self.nitems_written(0) + produced)
                produced += self.window
        self.consume(0, windows * self.window)
        return produced

    def _window_tags(self, first: int, windows: int) -> dict[int, dict[str, list]]:
        """The tags on the first item of each window: offset -> key -> values."""
        tags: dict[int, dict[str, list]] = {}
        for tag in self.get_tags_in_range(0, first, first + windows * self.window):
            key = pmt.symbol_to_string(tag.key)
            tags.setdefault(tag.offset, {}).setdefault(key, []).append(messages.from_pmt(tag.value))
        return tags

    def _use_window(self, samples: np.ndarray, tags: dict[str, list], offset: int) -> bool:
        """Measures a calibration window; True for a window to pass on (calibrated or mode none).
        ``offset``: the window's input offset, its sample when no ``segment_start`` tag says."""
        segment = tags.get(messages.SEGMENT_START, [{}])[0]
        sample = int(segment.get("sample_index", offset))
        noise_on = any(value.get("on") for value in tags.get(messages.NOISE_SOURCE, []))
        self._apply_received(sample)
        self._ask_for_noise_source(sample)
        measuring = noise_on or (self.mode == "beacon" and sample < self._collect_until)
        measuring |= self.mode == "noise" and sample < self._collect_until
        if measuring and self.mode != "none":
            self._accumulate(samples)
            return False
        if self._sum is not None:
            self._finish_calibration(sample)
        if noise_on:  # mode none: the noise source is no scene to estimate
            self.calibration_windows += 1
            return False
        if self.calibration is None and self.mode != "none":
            self._wait(sample)
            return False
        return True

    def _ask_for_noise_source(self, sample: int) -> None:
        """Publishes the ``noise_source`` requests of a ``recalibrate`` message and of the period."""
        if self.mode == "none":  # nothing would be measured: leave the source's noise source off
            self._recalibrate_requested = False
            return
        periodic = self._next_request is not None and sample >= self._next_request
        if self._recalibrate_requested or periodic:
            self._recalibrate_requested = False
            if self._period_samples:
                self._next_request = sample + self._period_samples
            if self.mode == "beacon":
                self._collect_until = sample + max(self._calibration_samples, self.window)
                return
            self._request_until = sample + max(self._calibration_samples, self.window)
            self._publish_noise_source(True)
        elif self._request_until is not None and sample >= self._request_until:
            self._request_until = None
            self._publish_noise_source(False)

    def _accumulate(self, samples: np.ndarray) -> None:
        x = samples.astype(np.complex128)
        product = x.T @ x.conj()  # sum_t x_t x_t^H, (M, M)
        self._sum = product if self._sum is None else self._sum + product
        self.calibration_windows += 1

    def _finish_calibration(self, sample: int) -> None:
        """The calibration of the windows measured so far; published, saved, applied from ``sample`` on."""
        covariance, self._sum = self._sum, None
        method = "beacon" if self.mode == "beacon" else "noise"
        try:
            calibration = measure_calibration(
                covariance, method, self.positions_m, self.frequency_hz, *self._beacon
            )
        except ValueError as error:
            self.logger.error(f"calibration failed, the previous one stays: {error}")
            return
        self._apply(calibration, sample)

    def _apply_received(self, sample: int) -> None:
        """Applies the calibration of the last ``calibration`` message, if any, from ``sample`` on."""
        with self._received_lock:
            calibration, self._received = self._received, None
        if calibration is None:
            return
        if self.calibration is not None and np.array_equal(calibration.gains, self.calibration.gains):
            self.logger.debug("calibration message with the gains applied already: nothing to do")
            return
        self._apply(calibration, sample)
        self.received_calibrations += 1
        self.logger.info(
            f"calibration message ({calibration.method}, {calibration.time}) applied from stream sample "
            f"{sample}"
        )

    def _apply(self, calibration: ChannelCalibration, sample: int) -> None:
        """A new calibration: drift against the last, applied from ``sample`` on, saved, published."""
        state = "calibrated"
        if self.calibration is not None:
            self.last_drift_deg = phase_drift_deg(self.calibration, calibration)
            if self.last_drift_deg > self._drift_threshold_deg:
                state = "drift"
                self.logger.warn(
                    f"the channels drifted by {self.last_drift_deg:.1f} deg since the last calibration "
                    f"(more than {self._drift_threshold_deg} deg): recalibrated"
                )
        self.calibration = calibration
        self._history = [*self._history, (sample, self._label())][-HISTORY_KEPT:]
        if self._save_path:
            try:
                calibration.save(self._save_path)
            except OSError as error:
                self.logger.error(f"cannot save the calibration to {self._save_path}: {error.strerror}")
        self._publish(state)

    def _wait(self, sample: int) -> None:
        self.uncalibrated_windows += 1
        if not self._warned_waiting:
            self._warned_waiting = True
            what = "noise source" if self.mode == "noise" else "beacon"
            self.logger.warn(
                f"no calibration yet at stream sample {sample}: windows are dropped until the {what} "
                "has been measured"
            )

    def _corrected(self, samples: np.ndarray) -> np.ndarray:
        if self.calibration is None:
            return samples
        return (samples / self.calibration.gains.astype(np.complex64)).astype(np.complex64)

    def _copy_tags(self, tags: dict[str, list], offset: int) -> None:
        for key in (messages.SEGMENT_START, messages.TRUTH):
            for value in tags.get(key, []):
                self.add_item_tag(0, offset, pmt.intern(key), messages.to_pmt(value))

    def _label(self) -> dict:
        if self.calibration is None:
            return {"calibration": "none"}
        method = "file" if self.calibration is self._loaded else self.calibration.method
        return {"calibration": method, "calibration_time": self.calibration.time}

    def _publish(self, state: str) -> None:
        calibration = self.calibration
        message = {
            "state": state,
            "method": self._label()["calibration"],
            "coherence": calibration.coherence,
            "residual_phase_deg": self.last_drift_deg if self.last_drift_deg is not None else 0.0,
            "gains_real": calibration.gains.real,
            "gains_imag": calibration.gains.imag,
            "time": calibration.time,
            "frequency_hz": calibration.frequency_hz,
            "positions_m": calibration.positions_m.tolist(),
        }
        self.message_port_pub(pmt.intern(messages.CALIBRATION_PORT), messages.to_pmt(message))

    def _publish_noise_source(self, on: bool) -> None:
        self.message_port_pub(pmt.intern(messages.NOISE_SOURCE), messages.to_pmt({"on": on}))
