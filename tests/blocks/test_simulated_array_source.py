"""Flowgraph tests of the Simulated Array Source: pacing, the stream of LiveSimulation, tags, the
noise_source message."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import numpy as np
import pmt
import pytest
import yaml
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array.coherence import noise_source_gains
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.captures.live_simulation import LiveSimulation
from gnuradio.bearing.captures.presets import PRESETS, demo_ula4_scenario
from helpers.flowgraphs import run_within

YAML = Path(__file__).resolve().parents[2] / "grc" / "sources" / "bearing_simulated_array_source.block.yml"


def run_source(count: int, **kwargs):
    """Runs the source into a head of ``count`` items; returns (source, sink, wall-clock seconds)."""
    top = gr.top_block()
    source = bearing.simulated_array_source(**kwargs)
    head = blocks.head(gr.sizeof_gr_complex * source.num_elements, count)
    sink = blocks.vector_sink_c(source.num_elements)
    top.connect(source, head, sink)
    start = time.monotonic()
    run_within(top, 20.0)
    return source, sink, time.monotonic() - start


def tags_of(sink, key: str) -> list[tuple[int, dict]]:
    return [(t.offset, messages.from_pmt(t.value)) for t in sink.tags() if pmt.symbol_to_string(t.key) == key]


def samples_of(sink, channels: int) -> np.ndarray:
    return np.asarray(sink.data(), dtype=np.complex64).reshape(-1, channels)


def test_realtime_output_is_paced_to_the_sample_rate():
    before = time.time()
    source, sink, seconds = run_source(600_000, channel_seed=1)  # 0.6 s at 1 MS/s
    assert len(sink.data()) == 600_000 * 4
    assert 0.5999 <= seconds < 1.6  # the last sample leaves no earlier than 599_999 us after the first
    assert before <= source.start_time <= before + 0.5


def test_without_realtime_it_streams_live_simulation_as_fast_as_it_can():
    source, sink, seconds = run_source(400_000, channel_seed=2, noise_source_s=0.1, realtime=False)
    assert seconds < 0.35  # 0.4 s of samples
    expected = LiveSimulation(demo_ula4_scenario(), channel_seed=2, noise_source_s=0.1).next_block(400_000)
    np.testing.assert_array_equal(samples_of(sink, 4), expected.samples)
    np.testing.assert_array_equal(source.channel_gains, LiveSimulation(demo_ula4_scenario(), 2).channel_gains)
    assert (
        source.geometry.num_elements == 4 and source.frequency_hz == 4.85e9 and source.sample_rate_hz == 1e6
    )


def test_truth_and_noise_source_tags_of_a_scenario_file(tmp_path):
    """A scenario file of periods of 200 samples (3 segments, -60, 0, 60 deg) and the noise source on
    for 250 us (250 samples)."""
    scenario = dataclasses.replace(
        demo_ula4_scenario(), snapshots_per_segment=150, gap_samples=50, num_segments=3
    )
    path = tmp_path / "scenario.json"
    path.write_text(scenario.to_json())
    _, sink, _ = run_source(
        1_000, preset="no such preset", scenario_path=str(path), noise_source_s=250e-6, realtime=False
    )
    truths = [
        (offset, value["azimuth_deg"], value["sample_count"]) for offset, value in tags_of(sink, "truth")
    ]
    assert truths == [(0, -60.0, 200), (200, 0.0, 200), (400, 60.0, 200), (600, -60.0, 200), (800, 0.0, 200)]
    assert all(
        value["label"] == "ue" and value["elevation_deg"] == 0.0 for _, value in tags_of(sink, "truth")
    )
    assert tags_of(sink, messages.NOISE_SOURCE) == [(0, {"on": True}), (250, {"on": False})]


def test_noise_source_message_switches_it_on_mid_stream():
    top = gr.top_block()
    source = bearing.simulated_array_source(channel_seed=3, noise_source_snr_db=30.0)
    head = blocks.head(gr.sizeof_gr_complex * 4, 400_000)
    sink = blocks.vector_sink_c(4)
    top.connect(source, head, sink)
    message = messages.to_pmt({"on": True})
    post = threading.Timer(0.15, source.to_basic_block()._post, (pmt.intern(messages.NOISE_SOURCE), message))
    post.start()
    run_within(top, 20.0)
    post.join()
    switches = tags_of(sink, messages.NOISE_SOURCE)
    assert switches[0] == (0, {"on": False})
    assert len(switches) == 2 and switches[1][1] == {"on": True} and 100_000 < switches[1][0] < 300_000
    on = samples_of(sink, 4)[switches[1][0] :]
    gains = source.channel_gains / source.channel_gains[0]
    np.testing.assert_allclose(noise_source_gains(sample_covariance(on.T)), gains, atol=0.01)


def test_bad_preset_names_the_presets_and_a_wrong_channel_count_both_counts():
    with pytest.raises(ValueError, match="the presets are calibration_ula4, demo_ula4, two_emitters_ula8"):
        bearing.simulated_array_source("demo")
    with pytest.raises(ValueError, match="has 4 elements, the block wants 8"):
        bearing.simulated_array_source("demo_ula4", num_elements=8)


def test_grc_offers_every_preset():
    parameters = {p["id"]: p for p in yaml.safe_load(YAML.read_text())["parameters"]}
    assert set(parameters["preset"]["options"]) == set(PRESETS)
