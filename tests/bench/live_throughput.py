"""Benchmark: sustained throughput of the live chain, as a multiple of real time.

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/live_throughput.py [--seconds 10]

Prints a markdown table (docs/live.md records the latest run). The chain is `bearing live`'s
(:class:`~gnuradio.bearing.flowgraphs.live.LiveFlowgraph`): window selector -> coherence
calibrator (a calibration file applied) -> covariance accumulator -> MUSIC -> JSON sink (records
in memory), one window of 1024 snapshots every 50 ms (20 estimates a second), fed as fast as it
goes (not paced) by ``blocks.vector_source_c(repeat=True)`` of 0.1 s of simulated samples (one
emitter at 10 dB on a half-wavelength ULA at 2.4 GHz) through a ``blocks.head`` of ``--seconds``
of stream. Real-time factor: stream seconds over the wall time of the run (setup excluded); >= 1
holds real time. CPU: process CPU time over wall time (2 is both cores busy). Every run checks
that every window gave an estimate within 1 deg of the emitter. The memory feed costs little
(the last column: the feed alone into a null sink); a real source's own cost (UHD's driver
threads, ZeroMQ's copies) comes on top.

Settings: 5 channels at 2.4 MS/s (a KrakenSDR's rate) and 4 channels at 10 MS/s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gnuradio import blocks, gr
from gnuradio.bearing.array.channel_calibration import ChannelCalibration
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.captures.schema import Capture
from gnuradio.bearing.flowgraphs.live import CalibrationSpec, LiveFlowgraph
from gnuradio.bearing.flowgraphs.live_sources import LiveSource
from gnuradio.bearing.flowgraphs.settings import ReplaySettings

FREQUENCY_HZ = 2.4e9
AZIMUTH_DEG = 23.0
SETTINGS = ((5, 2.4e6), (4, 10.0e6))
"""(channels, sample rate in S/s) of each row."""


def _samples(channels: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """0.1 s of one emitter at 10 dB on the ULA, ``(N, M)`` complex64."""
    geometry = ula(channels, wavelength_m(FREQUENCY_HZ) / 2)
    count = round(0.1 * rate)
    signal = (
        np.sqrt(10.0) * complex_normal(rng, (count, 1)) * geometry.steering(AZIMUTH_DEG, FREQUENCY_HZ)[:, 0]
    )
    return (signal + complex_normal(rng, (count, channels))).astype(np.complex64)


def _source(channels: int, rate: float, samples: np.ndarray) -> LiveSource:
    geometry = ula(channels, wavelength_m(FREQUENCY_HZ) / 2)
    array = Capture(Path("bench"), Path("bench"), "cf32_le", rate, FREQUENCY_HZ, geometry, [], [], {}, 0)
    block = blocks.vector_source_c(samples.ravel(), True, channels)
    return LiveSource(f"bench:{channels}x{rate:g}", block, array)


def _calibration_file(channels: int, folder: Path) -> str:
    geometry = ula(channels, wavelength_m(FREQUENCY_HZ) / 2)
    calibration = ChannelCalibration(
        np.ones(channels, complex), "noise", FREQUENCY_HZ, geometry.positions_m, 1.0
    )
    return str(calibration.save(folder / f"cal{channels}.json"))


def run_chain(channels: int, rate: float, seconds: float, samples: np.ndarray, folder: Path) -> dict:
    """One run of the live chain; its real-time factor, CPU load and estimates."""
    flowgraph = LiveFlowgraph(
        _source(channels, rate, samples),
        ReplaySettings(method="music", average=1024),
        CalibrationSpec("file", path=_calibration_file(channels, folder)),
        interval_s=0.05,
        seconds=seconds,
        json_path="",
    )
    wall, cpu = time.perf_counter(), time.process_time()
    flowgraph.run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    azimuths = np.array([record["azimuth_deg"][0] for record in flowgraph.records])
    expected = int(seconds / 0.05)
    if azimuths.size < expected - 1 or np.max(np.abs(azimuths - AZIMUTH_DEG)) > 1.0:
        raise SystemExit(
            f"{channels} x {rate:g}: {azimuths.size} estimates of {expected}, or one off by > 1 deg"
        )
    return {"factor": seconds / wall, "cpu": cpu / wall, "estimates": azimuths.size}


def run_feed(channels: int, rate: float, seconds: float, samples: np.ndarray) -> float:
    """Real-time factor of the memory feed alone (vector source -> head -> null sink)."""
    flowgraph = gr.top_block()
    source = blocks.vector_source_c(samples.ravel(), True, channels)
    head = blocks.head(gr.sizeof_gr_complex * channels, round(seconds * rate))
    flowgraph.connect(source, head, blocks.null_sink(gr.sizeof_gr_complex * channels))
    wall = time.perf_counter()
    flowgraph.run()
    return seconds / (time.perf_counter() - wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="stream seconds per run (default 10)")
    args = parser.parse_args()
    gr.logging().set_default_level(gr.log_levels.err)
    rng = np.random.default_rng(19)
    print(f"live chain, {args.seconds:g} s of stream per run, window 1024 every 50 ms, MUSIC\n")
    print(
        "| channels | rate (MS/s) | real-time factor | CPU (cores) | estimates | feed alone (x real time) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for channels, rate in SETTINGS:
            samples = _samples(channels, rate, rng)
            chain = run_chain(channels, rate, args.seconds, samples, Path(folder))
            feed = run_feed(channels, rate, args.seconds, samples)
            print(
                f"| {channels} | {rate / 1e6:g} | {chain['factor']:.1f} | {chain['cpu']:.2f} | "
                f"{chain['estimates']} | {feed:.1f} |",
                flush=True,
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
