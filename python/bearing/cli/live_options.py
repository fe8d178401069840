"""The options that `bearing live` and `bearing record` share: the source, its array, the
calibration and the windows; and the run of the live flowgraph they make."""

from __future__ import annotations

import argparse
import sys
import time

from ..flowgraphs.live import DEFAULT_INTERVAL_S, CalibrationSpec, LiveFlowgraph
from ..flowgraphs.live_sources import open_source
from .parser import CommandParser


def live_options() -> argparse.ArgumentParser:
    """The parent parser of the live options."""
    live = CommandParser(add_help=False)
    live.add_argument(
        "--source",
        required=True,
        metavar="KIND:ARG",
        help="sim:PRESET or sim:SCENARIO.json (a simulated live array), zmq:ADDRESS (raw complex64 "
        "vectors from a ZeroMQ publisher), uhd:ARGS, soapy:ARGS or "
        "kraken:HOST[:IQ_PORT[:CONTROL_PORT]] (docs/live.md)",
    )
    live.add_argument(
        "--array",
        default="",
        metavar="META",
        help="the array's description: a SigMF metadata file with spatial:element_geometry and "
        "core:frequency (required except for sim:)",
    )
    live.add_argument("--rate", type=float, default=0.0, metavar="SPS", help="sample rate of zmq/SDR sources")
    live.add_argument(
        "--calibrate",
        type=_calibration,
        default=CalibrationSpec(),
        metavar="HOW",
        help="none, noise:SECONDS (the first seconds are a shared noise source; 0: the windows the "
        "source marks only), beacon:AZIMUTH_DEG[:ELEVATION_DEG]:SECONDS or file:PATH "
        "(default none: records say so)",
    )
    live.add_argument(
        "--save-calibration", default="", metavar="PATH", help="save each new calibration as JSON here"
    )
    live.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_S,
        metavar="S",
        help=f"seconds between windows (default {DEFAULT_INTERVAL_S}: {1 / DEFAULT_INTERVAL_S:g} a second)",
    )
    live.add_argument(
        "--seconds", type=float, default=0.0, metavar="N", help="stop after N seconds of stream"
    )
    live.add_argument(
        "--stall-timeout",
        type=_positive_seconds,
        default=5.0,
        metavar="S",
        help="end with an error when no sample arrives for S seconds (default 5)",
    )
    live.add_argument("--channel-seed", type=int, help="sim: the seed of its channel offsets (default: new)")
    live.add_argument(
        "--noise-source",
        type=float,
        default=None,
        metavar="S",
        help="sim: seconds of shared noise source at the start (default: those of --calibrate noise:S)",
    )
    return live


def run_live(args: argparse.Namespace, flowgraph_options: dict) -> LiveFlowgraph:
    """Opens the source of ``args``, builds the live flowgraph with ``flowgraph_options`` (the
    settings, outputs) and runs it; a summary line goes to stderr."""
    calibration: CalibrationSpec = args.calibrate
    noise_source_s = args.noise_source
    if noise_source_s is None and args.source.startswith("sim:") and calibration.mode == "noise":
        noise_source_s = calibration.seconds
    source = open_source(args.source, args.array, args.rate, args.channel_seed, noise_source_s or 0.0)
    flowgraph = LiveFlowgraph(
        source,
        calibration=calibration,
        interval_s=args.interval,
        seconds=args.seconds,
        save_calibration=args.save_calibration,
        **flowgraph_options,
    )
    for warning in flowgraph.warnings:
        print(f"bearing: warning: {args.source}: {warning}", file=sys.stderr)
    began = time.monotonic()
    try:
        flowgraph.run_live(args.stall_timeout)
    finally:
        print(f"bearing: live: {flowgraph.summary(time.monotonic() - began)}", file=sys.stderr)
    return flowgraph


def _calibration(text: str) -> CalibrationSpec:
    """``--calibrate``: :meth:`CalibrationSpec.parse`, its error as argparse's."""
    try:
        return CalibrationSpec.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix(f"--calibrate {text!r}: ")) from None


def _positive_seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value
