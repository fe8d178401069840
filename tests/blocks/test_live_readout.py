"""Live Readout: each estimate's bearing, truth, latency and calibration as pairs for the QT GUI
widgets, and the history vectors, in a running flowgraph fed through the block's message ports."""

from __future__ import annotations

import math
import time

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr
from gnuradio.bearing import live_readout, window_selector
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.blocks.live_readout import INPUT_PORTS, OUTPUT_PORTS

TIMEOUT_S = 10.0


class MessageSource(gr.basic_block):
    """Publishes the test's messages on ports named as the readout's inputs."""

    def __init__(self) -> None:
        gr.basic_block.__init__(self, name="test messages", in_sig=None, out_sig=None)
        for port in INPUT_PORTS:
            self.message_port_register_out(pmt.intern(port))

    def send(self, port: str, value: dict) -> None:
        self.message_port_pub(pmt.intern(port), messages.to_pmt(value))


class RunningReadout:
    """A started flowgraph: the test's messages -> live_readout -> a message debug per output port
    and a vector sink per history output."""

    def __init__(self, history: int, selector: window_selector | None = None) -> None:
        self.history = history
        self.top = gr.top_block()
        self.source = MessageSource()
        self.readout = live_readout(history)
        self.sinks = [blocks.vector_sink_f(history) for _ in range(2)]
        self.debug = {port: blocks.message_debug() for port in OUTPUT_PORTS}
        for port in INPUT_PORTS:
            self.top.msg_connect((self.source, port), (self.readout, port))
        if selector is not None:  # its windows' arrivals instead of the test's: 20 windows a second
            stream = blocks.vector_source_c([0j] * 2 * selector.period, True, 2)
            pace = blocks.throttle(gr.sizeof_gr_complex * 2, 20 * selector.period)
            # A finished publisher would end the readout's message handling: this one runs on.
            self.top.connect(stream, pace, selector, blocks.null_sink(gr.sizeof_gr_complex * 2))
            self.top.msg_connect((selector, "arrival"), (self.readout, "arrival"))
        for port, debug in self.debug.items():
            self.top.msg_connect((self.readout, port), (debug, "store"))
        for output, sink in enumerate(self.sinks):
            self.top.connect((self.readout, output), sink)

    def bearings(self, azimuth_deg, truth_azimuth_deg=(), sample_start: int = 0) -> None:
        window = messages.window_info(sample_start, 1024, truth_azimuth_deg)
        message = messages.bearings_message(azimuth_deg, np.zeros(len(azimuth_deg)), "music", window)
        self.source.message_port_pub(pmt.intern(messages.BEARINGS_PORT), message)

    def wait_for_estimates(self, count: int) -> np.ndarray:
        """The history items once ``count`` came: ``(count, 2, history)``."""
        deadline = time.monotonic() + TIMEOUT_S
        while min(len(sink.data()) for sink in self.sinks) < count * self.history:
            assert time.monotonic() < deadline, f"fewer than {count} history items within {TIMEOUT_S} s"
            time.sleep(0.005)
        data = [np.asarray(sink.data(), dtype=np.float32).reshape(-1, self.history) for sink in self.sinks]
        return np.stack(data, axis=1)

    def pairs(self, port: str) -> list[tuple[str, object]]:
        debug = self.debug[port]
        found = [debug.get_message(index) for index in range(debug.num_messages())]
        return [(pmt.symbol_to_string(pmt.car(pair)), pmt.to_python(pmt.cdr(pair))) for pair in found]


@pytest.fixture
def running():
    started = []

    def start(history: int = 3, selector: window_selector | None = None) -> RunningReadout:
        flowgraph = RunningReadout(history, selector)
        flowgraph.top.start()
        started.append(flowgraph)
        return flowgraph

    yield start
    for flowgraph in started:
        flowgraph.top.stop()
        flowgraph.top.wait()


def test_each_estimate_gives_its_bearing_truth_and_the_calibration_state_as_pairs(running) -> None:
    flowgraph = running()
    flowgraph.bearings([12.5, -40.0], truth_azimuth_deg=[-38.0, 11.0])
    flowgraph.bearings([179.0], truth_azimuth_deg=[90.0, -179.5])  # the nearest across +-180
    flowgraph.wait_for_estimates(2)
    flowgraph.source.send(
        messages.CALIBRATION_PORT,
        {"state": "calibrated", "method": "noise", "coherence": 0.99, "time": "2026-12-07T00:00:00Z"},
    )
    flowgraph.bearings([-3.0])  # no truth: no truth pair
    flowgraph.source.send(messages.CALIBRATION_PORT, {"state": "drift", "method": "noise"})
    flowgraph.wait_for_estimates(3)
    deadline = time.monotonic() + TIMEOUT_S
    while len(flowgraph.pairs(messages.CALIBRATION_PORT)) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)

    assert flowgraph.pairs(messages.AZIMUTH_PORT) == [
        ("azimuth_deg", 12.5),
        ("azimuth_deg", 179.0),
        ("azimuth_deg", -3.0),
    ]
    truths = [("truth_azimuth_deg", 11.0), ("truth_azimuth_deg", -179.5)]
    assert flowgraph.pairs(messages.TRUTH_PORT) == truths
    assert flowgraph.pairs(messages.CALIBRATION_PORT) == [
        ("calibration", "uncalibrated"),  # estimates came before any calibration message
        ("calibration", "calibrated (noise)"),
        ("calibration", "drift (noise)"),
    ]
    assert flowgraph.readout.estimates == 3


def test_latency_runs_from_the_windows_arrival_whichever_message_comes_first(running) -> None:
    flowgraph = running()
    first = time.time()
    flowgraph.source.send("arrival", {"sample_start": 50_000, "arrival_time": first - 0.2})
    flowgraph.bearings([10.0], sample_start=50_000)  # its window arrived 200 ms ago
    flowgraph.wait_for_estimates(1)
    second = time.time()
    flowgraph.bearings([20.0], sample_start=100_000)  # its arrival comes after it
    flowgraph.wait_for_estimates(2)
    flowgraph.source.send("arrival", {"sample_start": 100_000, "arrival_time": second - 0.3})
    flowgraph.bearings([30.0], sample_start=150_000)  # its window's arrival never comes
    flowgraph.wait_for_estimates(3)
    deadline = time.monotonic() + TIMEOUT_S
    while len(flowgraph.pairs("latency")) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    elapsed_ms = 1000.0 * (time.time() - first)

    latencies = flowgraph.pairs("latency")
    assert [name for name, _ in latencies] == ["latency_ms", "latency_ms"]
    assert 200.0 <= latencies[0][1] <= 200.0 + elapsed_ms
    assert 300.0 <= latencies[1][1] <= 300.0 + elapsed_ms  # the estimate's time, not the arrival message's
    assert list(flowgraph.readout.latencies_ms) == [value for _, value in latencies]


def test_history_items_hold_the_last_estimates_and_truths_oldest_first(running) -> None:
    flowgraph = running(history=3)
    flowgraph.bearings([10.0], truth_azimuth_deg=[11.0])
    flowgraph.bearings([20.0])  # no truth
    flowgraph.bearings([], truth_azimuth_deg=[31.0])  # no bearing (a count of 0)
    flowgraph.bearings([40.0], truth_azimuth_deg=[41.0])
    items = flowgraph.wait_for_estimates(4)

    nan = math.nan
    expected_azimuths = [[nan, nan, 10], [nan, 10, 20], [10, 20, nan], [20, nan, 40]]
    expected_truths = [[nan, nan, 11], [nan, 11, nan], [11, nan, 31], [nan, 31, 41]]
    np.testing.assert_array_equal(items[:, 0], np.asarray(expected_azimuths, dtype=np.float32))
    np.testing.assert_array_equal(items[:, 1], np.asarray(expected_truths, dtype=np.float32))
    assert flowgraph.pairs(messages.AZIMUTH_PORT) == [("azimuth_deg", a) for a in (10.0, 20.0, 40.0)]


def test_latency_of_a_window_selectors_windows(running) -> None:
    """The Window Selector's own ``arrival`` messages: every estimate of one of its windows gets
    a latency, from the moment its window's last sample reached the selector."""
    selector = window_selector(2, 100, 1000)
    flowgraph = running(history=1, selector=selector)
    deadline = time.monotonic() + TIMEOUT_S
    while selector.windows_kept < 4:
        assert time.monotonic() < deadline, "the selector kept fewer than 4 windows"
        time.sleep(0.005)
    for start in (0, 1000, 2000, 3000):
        flowgraph.bearings([5.0], sample_start=start)
    flowgraph.wait_for_estimates(4)
    while len(flowgraph.pairs("latency")) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)

    latencies = [value for _, value in flowgraph.pairs("latency")]
    assert len(latencies) == 4
    assert all(0.0 <= latency < 1000.0 * TIMEOUT_S for latency in latencies)


def test_history_must_hold_at_least_one_estimate() -> None:
    with pytest.raises(ValueError, match="history"):
        live_readout(0)
