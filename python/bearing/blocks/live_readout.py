"""GNU Radio block: a live flowgraph's estimates, latency and calibration as readouts for QT GUI
widgets, and the history of the bearings for a plot."""

from __future__ import annotations

import collections
import math
import time

import numpy as np
import pmt
from gnuradio import gr

from ..validation import check_integer
from . import messages
from .base import Guarded
from .window_selector import ARRIVAL_PORT

LATENCY_PORT = "latency"
HISTORY_PORT = "history"
"""Inside the block: each estimate's ``[azimuth_deg, truth_azimuth_deg]`` (f64 vector), from the
message block to the history source (a message wakes the source at once)."""
INPUT_PORTS = (messages.BEARINGS_PORT, ARRIVAL_PORT, messages.CALIBRATION_PORT)
OUTPUT_PORTS = (messages.AZIMUTH_PORT, LATENCY_PORT, messages.TRUTH_PORT, messages.CALIBRATION_PORT)
TIMES_KEPT = 4096
"""Window arrivals, and estimates still waiting for theirs, that the block keeps."""


class live_readout(gr.hier_block2):
    """Readouts of a live flowgraph (Window Selector -> Coherence Calibrator -> ... -> estimator)
    for the QT GUI: each message out is a pair ``(name . value)``, which a Message Pair to Var
    hands to a variable that a QT GUI Label shows, or which a QT GUI Compass (Input Type:
    Message) shows; the two stream outputs give a plot of the bearings' history.

    Message inputs (:mod:`~gnuradio.bearing.blocks.messages`):

    * ``bearings``: an estimator's estimates;
    * ``arrival``: the Window Selector's ``{sample_start, arrival_time}`` of each window;
    * ``calibration``: the Coherence Calibrator's state.

    Message outputs, per estimate:

    * ``azimuth``: ``(azimuth_deg . float)``, the strongest bearing (none for an estimate
      without bearings);
    * ``latency``: ``(latency_ms . float)``, the wall time at which the estimate came minus the
      arrival time of its window's last sample at the Window Selector (matched by
      ``sample_start``, whichever message comes first), milliseconds;
    * ``truth``: ``(truth_azimuth_deg . float)``, the true bearing nearest the strongest
      estimate, for an estimate with truth (a simulated source, a beacon, a turntable);
    * ``calibration``: ``(calibration . str)``, ``"STATE (METHOD)"`` on every ``calibration``
      message (``calibrated (noise)``, ``drift (noise)``, ...), and ``"uncalibrated"`` when an
      estimate comes before any calibration (a Coherence Calibrator in mode ``none``).

    Stream outputs, one item per estimate: float vectors of the last ``history`` strongest
    bearings (output 0) and of their truths (output 1), oldest first, in degrees; NaN where an
    estimate had no bearing or no truth, and before the first ``history`` estimates. Plot them
    with a Vector to Stream each into a QT GUI Time Sink of ``history`` points, which leaves the
    NaN points out (a QT GUI Vector Sink averages every new vector into the last, so a NaN
    would stay in it for good). With ``history`` 1 each item is the latest value alone.

    Inside: a message-only block, which handles each message as it comes (so the plot never
    delays the latency), and a source of the history items, woken by a message per estimate.
    As any block with message inputs only, the first of them stops handling messages when one of
    the blocks publishing to it is done: in a live flowgraph none is until the source stops.

    Args:
        history: estimates in each history item (>= 1).
    """

    def __init__(self, history: int = 200) -> None:
        self.history = check_integer(history, "history", 1)
        gr.hier_block2.__init__(
            self,
            "Bearing Live Readout",
            gr.io_signature(0, 0, 0),
            gr.io_signature(2, 2, self.history * np.dtype(np.float32).itemsize),
        )
        self.readouts = readout_messages()
        self.plot = readout_history(self.history)
        self.msg_connect(self.readouts, HISTORY_PORT, self.plot, HISTORY_PORT)
        for port in INPUT_PORTS:
            self.message_port_register_hier_in(port)
            self.msg_connect(self, port, self.readouts, port)
        for port in OUTPUT_PORTS:
            self.message_port_register_hier_out(port)
            self.msg_connect(self.readouts, port, self, port)
        self.connect((self.plot, 0), (self, 0))
        self.connect((self.plot, 1), (self, 1))

    @property
    def estimates(self) -> int:
        """Estimates handled so far."""
        return self.readouts.estimates

    @property
    def latencies_ms(self) -> collections.deque[float]:
        """The last latencies published (:data:`TIMES_KEPT`), milliseconds."""
        return self.readouts.latencies_ms


class readout_messages(Guarded, gr.basic_block):
    """The messages of :class:`live_readout` (no stream ports: GNU Radio handles each message as
    soon as it is posted), and each estimate's ``[azimuth, truth]`` on ``history``."""

    def __init__(self) -> None:
        gr.basic_block.__init__(self, name="Bearing Live Readout messages", in_sig=None, out_sig=None)
        for port, handler in zip(
            INPUT_PORTS, (self.handle_bearings, self.handle_arrival, self.handle_calibration), strict=True
        ):
            self.message_port_register_in(pmt.intern(port))
            self.set_msg_handler(pmt.intern(port), handler)
        for port in (*OUTPUT_PORTS, HISTORY_PORT):
            self.message_port_register_out(pmt.intern(port))
        self.estimates = 0
        self.latencies_ms: collections.deque[float] = collections.deque(maxlen=TIMES_KEPT)
        self._arrivals: collections.OrderedDict[int, float] = collections.OrderedDict()
        self._waiting: collections.OrderedDict[int, float] = collections.OrderedDict()  # estimate times
        self._calibration_said = False

    def handle_bearings(self, message: pmt.pmt_t) -> None:
        """``bearings``: publishes the estimate's readouts and keeps it for the history."""
        now = time.time()
        value = messages.from_pmt(message)
        azimuths = list(value.get("azimuth_deg", ()))
        truths = list(value.get("truth_azimuth_deg", ()))
        azimuth = float(azimuths[0]) if azimuths else math.nan
        truth = _nearest(truths, azimuth)
        self.estimates += 1
        if not self._calibration_said:
            self._calibration_said = True
            self._publish(messages.CALIBRATION_PORT, "calibration", "uncalibrated")
        if azimuths:
            self._publish(messages.AZIMUTH_PORT, "azimuth_deg", azimuth)
        if truths:
            self._publish(messages.TRUTH_PORT, "truth_azimuth_deg", truth)
        start = int(value.get("sample_start", -1))
        arrival = self._arrivals.pop(start, None)
        if arrival is None:
            _keep(self._waiting, start, now)
        else:
            self._publish_latency(now - arrival)
        self.message_port_pub(pmt.intern(HISTORY_PORT), pmt.init_f64vector(2, [azimuth, truth]))

    def handle_arrival(self, message: pmt.pmt_t) -> None:
        """``arrival``: the window's arrival time; the latency of its estimate if that came first."""
        value = messages.from_pmt(message)
        start, arrival = int(value["sample_start"]), float(value["arrival_time"])
        estimated = self._waiting.pop(start, None)
        if estimated is None:
            _keep(self._arrivals, start, arrival)
        else:
            self._publish_latency(estimated - arrival)

    def handle_calibration(self, message: pmt.pmt_t) -> None:
        """``calibration``: publishes ``"STATE (METHOD)"``."""
        value = messages.from_pmt(message)
        self._calibration_said = True
        self._publish(messages.CALIBRATION_PORT, "calibration", f"{value['state']} ({value['method']})")

    def _publish_latency(self, seconds: float) -> None:
        latency_ms = 1000.0 * seconds
        self.latencies_ms.append(latency_ms)
        self._publish(LATENCY_PORT, "latency_ms", latency_ms)

    def _publish(self, port: str, name: str, value: float | str) -> None:
        pair = pmt.cons(pmt.intern(name), messages.to_pmt(value))
        self.message_port_pub(pmt.intern(port), pair)


class readout_history(Guarded, gr.sync_block):
    """The history outputs of :class:`live_readout`: one item per ``history`` message
    ``[azimuth, truth]``, the last ``history`` azimuths (output 0) and truths (output 1), oldest
    first. Between messages the scheduler lets it wait (a source that produced nothing is called
    again on the next message, or after a quarter of a second)."""

    def __init__(self, history: int) -> None:
        gr.sync_block.__init__(
            self,
            name="Bearing Live Readout history",
            in_sig=None,
            out_sig=[np.float32 if history == 1 else (np.float32, history)] * 2,
        )
        self._rows: collections.deque[tuple[float, float]] = collections.deque()
        self._azimuths = np.full(history, np.nan, dtype=np.float32)
        self._truths = np.full(history, np.nan, dtype=np.float32)
        self.message_port_register_in(pmt.intern(HISTORY_PORT))
        self.set_msg_handler(pmt.intern(HISTORY_PORT), self.handle_history)

    def handle_history(self, message: pmt.pmt_t) -> None:
        """``[azimuth_deg, truth_azimuth_deg]`` of an estimate: the next item."""
        azimuth, truth = pmt.f64vector_elements(message)
        self._rows.append((azimuth, truth))

    def work(self, input_items, output_items) -> int:
        if not self._rows:
            return 0
        count = min(len(self._rows), len(output_items[0]))
        outputs = [out.reshape(len(out), -1) for out in output_items]  # (items, history)
        for index in range(count):
            azimuth, truth = self._rows.popleft()
            for values, value, out in zip(
                (self._azimuths, self._truths), (azimuth, truth), outputs, strict=True
            ):
                values[:-1] = values[1:]
                values[-1] = value
                out[index] = values
        return count


def _nearest(truths: list[float], azimuth: float) -> float:
    """The truth nearest ``azimuth`` on the circle (the first when there is no azimuth); NaN
    without truth."""
    if not truths:
        return math.nan
    if math.isnan(azimuth):
        return float(truths[0])
    return float(min(truths, key=lambda truth: abs((truth - azimuth + 180.0) % 360.0 - 180.0)))


def _keep(times: collections.OrderedDict[int, float], sample_start: int, value: float) -> None:
    """Adds ``sample_start -> value``, dropping the oldest beyond :data:`TIMES_KEPT`."""
    times[sample_start] = value
    while len(times) > TIMES_KEPT:
        times.popitem(last=False)
