"""`bearing simulate-live`: a simulated live array streamed in real time over ZeroMQ, so that a
live demo (`bearing live --source zmq:...`, examples/live_zmq.grc) needs no hardware."""

from __future__ import annotations

import argparse
import sys

from ..captures.presets import PRESETS
from ..flowgraphs.live_publisher import SimulationPublisher
from ..validation import check_number


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    simulation = commands.add_parser(
        "simulate-live", help="stream a simulated live array in real time over ZeroMQ (PUB)"
    )
    simulation.add_argument("--preset", choices=sorted(PRESETS), default="demo_ula4", help="a named scenario")
    simulation.add_argument(
        "--zmq", required=True, metavar="ADDRESS", help="endpoint to bind, e.g. tcp://127.0.0.1:5555"
    )
    simulation.add_argument(
        "--seconds", type=float, default=0.0, help="stop after N seconds (default: Ctrl-C)"
    )
    simulation.add_argument(
        "--noise-source",
        type=float,
        default=0.0,
        metavar="S",
        help="seconds of shared noise source at the start",
    )
    simulation.add_argument("--channel-seed", type=int, help="seed of the channel offsets (default: new)")
    simulation.add_argument(
        "--start-delay",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds between binding and streaming, for subscribers to connect (default 1)",
    )
    simulation.add_argument(
        "--array-out",
        metavar="META",
        help="write the array's description (geometry, carrier, rate) for bearing live --array",
    )
    simulation.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for option, value in (("--seconds", args.seconds), ("--noise-source", args.noise_source)):
        check_number(value, option, 0.0)
    check_number(args.start_delay, "--start-delay", 0.0, 3600.0)
    publisher = SimulationPublisher(args.preset, args.zmq, args.seconds, args.channel_seed, args.noise_source)
    source = publisher.source
    if args.array_out:
        from ..captures.writer import write_array_description

        path = write_array_description(
            args.array_out,
            source.geometry,
            source.frequency_hz,
            source.sample_rate_hz,
            f"simulate-live {args.preset}",
        )
        print(f"bearing: simulate-live: array description written to {path}", file=sys.stderr)
    print(
        f"bearing: simulate-live: {args.preset}, {source.num_elements} channels at "
        f"{source.sample_rate_hz:g} S/s on {args.zmq}",
        file=sys.stderr,
        flush=True,
    )
    publisher.publish(args.start_delay)
    return 0
