"""Soak test: a long replay (the bundled demo capture looped) through every method, sampling the
process's memory, to show that it stays flat (issue 20).

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/soak.py [--minutes 60] [--methods music,scg,mod-dnn,...]

Prints a markdown table, one row per method: resident memory (RSS) at the start of its run
(after 10 s of warm-up), its maximum and at the end, and estimates per second. The chain is the
live flowgraph's (:class:`~gnuradio.bearing.flowgraphs.live.LiveFlowgraph`): the Capture Source
looping the capture as fast as the chain takes it, one window of 1024 snapshots after another,
the method's estimation chain, and the JSON sink keeping the last 1000 records (a live run's
setting; the records of a replay that must all be kept, as `bearing evaluate`'s, grow by about
0.8 kB each). `tests/hardening/test_soak.py` runs two minutes of it in the test suite.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from gnuradio import gr
from gnuradio.bearing.blocks.capture_source import capture_source
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.flowgraphs.live import LiveFlowgraph
from gnuradio.bearing.flowgraphs.live_sources import LiveSource
from gnuradio.bearing.flowgraphs.settings import ReplaySettings

METHODS = ("music", "mvdr", "bartlett", "root-music", "esprit", "coarray-dbf", "scg", "mod-dnn")
WARM_UP_S = 10.0
DEMO = Path(__file__).resolve().parents[2] / "examples" / "data" / "demo_ula4.sigmf-meta"
"""The bundled demo capture, read from the repository (an install under way does not touch it)."""


def rss_mb() -> float:
    """This process's resident memory, MB (from /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


def soak(method: str, seconds: float, sample_every_s: float = 2.0) -> dict:
    """Runs ``method`` on the looped demo capture for ``seconds``; its memory after the warm-up
    (``start_mb``, ``max_mb``, ``end_mb``), its estimates per second, and every sample
    ``(seconds, rss_mb, estimates)``."""
    capture = read_capture(DEMO)
    array = replace(capture, segments=[], truths=[], num_samples=0)
    source = LiveSource(f"replay:{method}", capture_source(capture, repeat=True), array)
    flowgraph = LiveFlowgraph(
        source, ReplaySettings(method=method, average=1024), interval_s=0.0, json_path=""
    )
    flowgraph.start()
    began = time.monotonic()
    samples = []
    while (elapsed := time.monotonic() - began) < seconds:
        time.sleep(sample_every_s)
        samples.append((elapsed, rss_mb(), flowgraph.chain.sink.written))
    flowgraph.stop()
    flowgraph.wait()
    settled = [sample for sample in samples if sample[0] >= min(WARM_UP_S, seconds / 3)]
    return {
        "method": method,
        "start_mb": settled[0][1],
        "max_mb": max(sample[1] for sample in settled),
        "end_mb": settled[-1][1],
        "estimates_per_s": (settled[-1][2] - settled[0][2]) / max(settled[-1][0] - settled[0][0], 1e-9),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="minutes in all, shared by the methods")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated methods")
    args = parser.parse_args()
    gr.logging().set_default_level(gr.log_levels.err)
    methods = args.methods.split(",")
    print(f"soak: {args.minutes:g} min over {len(methods)} methods, the demo capture looped\n")
    print("| method | RSS after warm-up (MB) | max (MB) | end (MB) | estimates/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for method in methods:
        row = soak(method, 60.0 * args.minutes / len(methods))
        print(
            f"| {row['method']} | {row['start_mb']:.1f} | {row['max_mb']:.1f} | {row['end_mb']:.1f} | "
            f"{row['estimates_per_s']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
