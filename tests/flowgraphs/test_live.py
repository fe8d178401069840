"""The live flowgraph in-process: the simulated array's noise source on the calibrator's
request (periodic recalibration), drift watch, and the records' live fields."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio import blocks, gr
from gnuradio.bearing import coherence_calibrator, simulated_array_source, window_selector
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.flowgraphs.live import CalibrationSpec, LiveFlowgraph, StreamStopped
from gnuradio.bearing.flowgraphs.live_sources import open_source
from gnuradio.bearing.flowgraphs.settings import ReplaySettings


def test_periodic_recalibration_asks_the_simulated_source_for_its_noise_source():
    source = simulated_array_source("demo_ula4", channel_seed=5, noise_source_s=0.2, realtime=True)
    rate = source.sample_rate_hz
    head = blocks.head(gr.sizeof_gr_complex * 4, round(2.0 * rate))
    selector = window_selector(4, 1024, 20_000)
    calibrator = coherence_calibrator(
        4,
        1024,
        rate,
        "noise",
        source.geometry.positions_m.tolist(),
        source.frequency_hz,
        calibration_s=0.2,
        recalibrate_period_s=0.6,
    )
    sink = blocks.null_sink(gr.sizeof_gr_complex * 4)
    published = blocks.message_debug()
    flowgraph = gr.top_block()
    flowgraph.connect(source, head, selector, calibrator, sink)
    flowgraph.msg_connect((calibrator, messages.NOISE_SOURCE), (source, messages.NOISE_SOURCE))
    flowgraph.msg_connect((calibrator, messages.CALIBRATION_PORT), (published, "store"))
    flowgraph.run()
    states = [messages.from_pmt(published.get_message(i)) for i in range(published.num_messages())]
    assert len(states) >= 3  # the first calibration and at least two asked for
    assert all(state["state"] == "calibrated" for state in states)
    assert (
        calibrator.last_drift_deg is not None and calibrator.last_drift_deg < 2.0
    )  # the offsets did not move
    truth = source.channel_gains / source.channel_gains[0]
    np.testing.assert_allclose(calibrator.calibration.gains, truth, rtol=0.05, atol=0.05)


def test_live_records_carry_wall_time_latency_and_calibration():
    source = open_source("sim:demo_ula4", channel_seed=2, noise_source_s=0.5)
    flowgraph = LiveFlowgraph(
        source,
        ReplaySettings(method="music", average=1024),
        CalibrationSpec("noise", 0.5),
        seconds=1.5,
        json_path="",
    )
    flowgraph.run_live(stall_timeout_s=5.0)
    records = flowgraph.records
    assert len(records) == 20  # one window per 50 ms over the last second
    assert all(r["calibration"] == "noise" and r["latency_ms"] >= 0 for r in records)
    assert [r["sample_start"] for r in records] == list(range(500_000, 1_500_000, 50_000))
    assert "20 estimates" in flowgraph.summary(1.5)


def test_a_source_that_never_streams_ends_the_run_with_one_line(tmp_path):
    from gnuradio.bearing.array.geometry import ula
    from gnuradio.bearing.captures.writer import write_array_description

    array = write_array_description(tmp_path / "array", ula(4, 0.0309), 4.85e9, 1e6)
    source = open_source("zmq:tcp://127.0.0.1:9", str(array))  # nobody publishes there
    flowgraph = LiveFlowgraph(source, ReplaySettings(method="music"), json_path="")
    with pytest.raises(
        StreamStopped, match=r"^zmq:tcp://127\.0\.0\.1:9: no samples for 1 s: the stream stopped$"
    ):
        flowgraph.run_live(stall_timeout_s=1.0)
