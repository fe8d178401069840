"""Flowgraph tests of the KrakenSDR source against a fake Heimdall DAQ on 127.0.0.1."""

from __future__ import annotations

import socket
import struct
import threading
import time

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.captures.heimdall import (
    FRAME_TYPE_CAL,
    FRAME_TYPE_DATA,
    FRAME_TYPE_DUMMY,
    FRAME_TYPE_TRIGW,
)
from helpers.fake_heimdall import FakeHeimdall, counting_samples, counting_snapshots
from helpers.flowgraphs import run_within

CPI = 64
CHANNELS = 5
# Frames 0, 1 with the noise source on, a DUMMY (no samples), data, a calibration burst, data.
SCHEDULE = [
    FRAME_TYPE_CAL,
    FRAME_TYPE_CAL,
    FRAME_TYPE_DUMMY,
    FRAME_TYPE_DATA,
    FRAME_TYPE_DATA,
    FRAME_TYPE_CAL,
]
NUM_FRAMES = 8


class Flowgraph:
    """krakensdr_source -> vector sink, its ``status`` messages into a message debug."""

    def __init__(self, daq: FakeHeimdall, calibration_frames: str = "drop", timeout_s: float = 1.0):
        self.top = gr.top_block()
        self.source = bearing.krakensdr_source(
            "127.0.0.1", daq.iq_port, daq.control_port, daq.num_channels, calibration_frames, timeout_s
        )
        self.sink = blocks.vector_sink_c(daq.num_channels)
        self.status = blocks.message_debug()
        self.top.connect(self.source, self.sink)
        self.top.msg_connect(self.source, messages.STATUS_PORT, self.status, "store")

    def snapshots(self) -> np.ndarray:
        return np.asarray(self.sink.data(), dtype=np.complex64).reshape(-1, self.source.num_channels)

    def noise_source_tags(self) -> list[tuple[int, bool]]:
        return [
            (tag.offset, messages.from_pmt(tag.value)["on"])
            for tag in self.sink.tags()
            if pmt.symbol_to_string(tag.key) == messages.NOISE_SOURCE
        ]

    def status_messages(self) -> list[dict]:
        return [messages.from_pmt(self.status.get_message(i)) for i in range(self.status.num_messages())]


@pytest.mark.parametrize(
    ("calibration_frames", "frames_out", "tags"),
    [
        ("drop", [3, 4, 6, 7], [(0, False)]),
        ("pass", [0, 1, 3, 4, 5, 6, 7], [(0, True), (2 * CPI, False), (4 * CPI, True), (5 * CPI, False)]),
    ],
)
def test_frames_arrive_in_order_with_noise_source_tags(calibration_frames, frames_out, tags):
    with FakeHeimdall(CHANNELS, CPI, frame_types=SCHEDULE, max_frames=NUM_FRAMES, after_last="close") as daq:
        flowgraph = Flowgraph(daq, calibration_frames)
        run_within(flowgraph.top, 10.0)
    np.testing.assert_array_equal(flowgraph.snapshots(), counting_snapshots(frames_out, CHANNELS, CPI))
    assert flowgraph.noise_source_tags() == tags
    assert flowgraph.source.error.endswith("closed the connection")
    assert daq.iq_requests == [b"streaming"] + [b"IQDownload"] * NUM_FRAMES


def test_status_message_on_every_change_of_state():
    with FakeHeimdall(CHANNELS, CPI, frame_types=SCHEDULE, max_frames=NUM_FRAMES, after_last="close") as daq:
        flowgraph = Flowgraph(daq, "drop")
        run_within(flowgraph.top, 10.0)
    common = {
        "sample_sync": True,
        "iq_sync": True,
        "overdrive": False,
        "frequency_hz": 433.92e6,
        "sample_rate_hz": 2.4e6,
    }
    assert flowgraph.status_messages() == [
        {"frame_type": "CAL", "noise_source": True, **common},
        {"frame_type": "DUMMY", "noise_source": False, **common},
        {"frame_type": "DATA", "noise_source": False, **common},
        {"frame_type": "CAL", "noise_source": True, **common},
        {"frame_type": "DATA", "noise_source": False, **common},
    ]


def test_commands_reach_the_daq_and_a_stalled_daq_ends_the_flowgraph():
    """While the flowgraph runs: FREQ and GAIN arrive as the firmware's bytes and the frames after
    the FREQ carry the new frequency; then the DAQ stops sending and the flowgraph ends by itself
    after timeout_s with the reason in ``error``; the source says goodbye (``q``, ``EXIT``)."""
    timeout_s = 0.5
    with FakeHeimdall(CHANNELS, CPI, frame_interval_s=0.002) as daq:
        flowgraph = Flowgraph(daq, timeout_s=timeout_s)
        source = flowgraph.source
        assert (source.frequency_hz, source.sample_rate_hz) == (433.92e6, 2.4e6)
        flowgraph.top.start()
        source.set_frequency(915e6)
        source.set_gain(49.6)
        assert daq.control_frames == [
            b"FREQ" + struct.pack("<Q", 915_000_000) + bytes(116),
            b"GAIN" + struct.pack("<5I", *[496] * 5) + bytes(104),
        ]
        deadline = time.monotonic() + 5.0
        while source.frequency_hz != 915e6 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert source.frequency_hz == 915e6
        daq.stop_sending()
        stopped = time.monotonic()
        finished = threading.Thread(target=flowgraph.top.wait, daemon=True)
        finished.start()
        finished.join(timeout_s + 3.0)
        assert not finished.is_alive(), "the flowgraph did not end after the DAQ stalled"
        assert timeout_s - 0.1 <= time.monotonic() - stopped < timeout_s + 3.0
    assert source.error == f"KrakenSDR: the Heimdall DAQ at 127.0.0.1:{daq.iq_port} sent nothing for 0.5 s"
    assert daq.iq_requests[-1] == b"q"
    assert daq.control_frames[-1] == b"EXIT" + bytes(124)
    assert flowgraph.status_messages()[-1]["frequency_hz"] == 915e6
    snapshots = flowgraph.snapshots()
    num_frames = len(snapshots) // CPI
    assert num_frames >= 2
    np.testing.assert_array_equal(snapshots, counting_snapshots(range(num_frames), CHANNELS, CPI))


def test_a_frame_of_another_channel_count_ends_the_stream():
    regular = counting_samples(CHANNELS, CPI)

    def samples(index: int) -> np.ndarray:
        return regular(index) if index < 2 else regular(index)[:4]

    with FakeHeimdall(CHANNELS, CPI, samples=samples, frame_types=[FRAME_TYPE_DATA, FRAME_TYPE_TRIGW]) as daq:
        flowgraph = Flowgraph(daq)
        run_within(flowgraph.top, 10.0)
    assert flowgraph.source.error.endswith("sends 4 channels, the block's num_channels is 5")
    np.testing.assert_array_equal(flowgraph.snapshots(), counting_snapshots([0], CHANNELS, CPI))


def test_wrong_channel_count_is_refused_when_connecting():
    with (
        FakeHeimdall(4, CPI) as daq,
        pytest.raises(ValueError, match=r"sends 4 channels, the block's num_channels is 5"),
    ):
        bearing.krakensdr_source("127.0.0.1", daq.iq_port, daq.control_port, 5)


def one_line_connection_error(host_port: tuple[str, int], timeout_s: float) -> tuple[str, float]:
    """The message of the ConnectionError of a source on ``host_port`` and how long it took."""
    started = time.monotonic()
    with pytest.raises(ConnectionError) as error:
        bearing.krakensdr_source(host_port[0], host_port[1], 5001, 5, "drop", timeout_s)
    message = str(error.value)
    assert "\n" not in message
    assert error.value.__cause__ is None and error.value.__suppress_context__
    return message, time.monotonic() - started


def test_refused_port_is_one_line():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message, seconds = one_line_connection_error(("127.0.0.1", port), 5.0)
    assert message == f"KrakenSDR: no Heimdall DAQ at 127.0.0.1:{port} (connection refused)"
    assert seconds < 3.0


def test_silent_daq_is_one_line_after_timeout():
    with socket.socket() as listener:  # accepts (in the backlog) but never sends a frame
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        message, seconds = one_line_connection_error(("127.0.0.1", port), 0.3)
    assert message == (
        f"KrakenSDR: the Heimdall DAQ at 127.0.0.1:{port} sent nothing for 0.3 s (is its DAQ chain running?)"
    )
    assert 0.3 <= seconds < 3.0


def test_unconfirmed_or_refused_command_is_one_line():
    with FakeHeimdall(CHANNELS, CPI, answer_control=False) as daq:
        source = bearing.krakensdr_source("127.0.0.1", daq.iq_port, daq.control_port, CHANNELS, timeout_s=0.3)
        with pytest.raises(TimeoutError, match=r"did not confirm FREQ within 0\.3 s") as error:
            source.set_frequency(100e6)
        assert "\n" not in str(error.value)
        with pytest.raises(ValueError, match=r"gain 30 dB: the R820T tuner takes only"):
            source.set_gain(30.0)
        source.stop()
    with FakeHeimdall(CHANNELS, CPI) as daq, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        source = bearing.krakensdr_source("127.0.0.1", daq.iq_port, probe.getsockname()[1], CHANNELS)
        with pytest.raises(
            ConnectionError, match=r"no Heimdall DAQ at 127\.0\.0\.1:\d+ \(connection refused\)"
        ):
            source.set_frequency(100e6)
        source.stop()


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match=r"calibration_frames: 'drop' or 'pass', got 'keep'"):
        bearing.krakensdr_source(calibration_frames="keep")
    with pytest.raises(ValueError, match=r"iq_port: must be in 1 \.\. 65535, got 0"):
        bearing.krakensdr_source(iq_port=0)
