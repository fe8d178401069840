"""`bearing live`: bearings of a live array as they happen (the live flowgraph), one JSON line per
estimate with ``--json``, as `bearing estimate --json` plus ``wall_time``, ``latency_ms`` and
the calibration."""

from __future__ import annotations

import argparse

from ..flowgraphs.methods import METHODS
from .live_options import live_options, run_live
from .replay_options import estimation_options, replay_settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    live = commands.add_parser(
        "live",
        parents=[live_options(), estimation_options()],
        help="bearings of a live array (SDR, ZeroMQ or simulated), one estimate per window",
    )
    live.add_argument("--method", choices=tuple(METHODS), default="music")
    live.add_argument("--json", action="store_true", help="one JSON object per estimate and line")
    live.add_argument(
        "--record", default="", metavar="PATH", help="also record the calibrated windows as SigMF"
    )
    live.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = replay_settings(args, args.method)
    run_live(
        args,
        {
            "settings": settings,
            "json_path": "-" if args.json else "",
            "text": not args.json,
            "record_path": args.record,
        },
    )
    return 0
