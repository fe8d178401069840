"""`bearing record`: a SigMF recording of a live array's calibrated windows, with the truth the
source knows (a simulated array's, or a turntable's), for `bearing train` and `bearing estimate`."""

from __future__ import annotations

import argparse

from .live_options import live_options, run_live


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    record = commands.add_parser(
        "record", parents=[live_options()], help="record a live array's calibrated windows as a SigMF capture"
    )
    record.add_argument("--out", required=True, metavar="PATH", help="the recording (.sigmf-meta/-data)")
    record.add_argument(
        "--average", type=int, default=1024, metavar="N", help="snapshots per recorded window (default 1024)"
    )
    record.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    run_live(args, {"settings": None, "record_path": args.out, "window": args.average})
    print(args.out)
    return 0
