"""`bearing estimate`: the bearings of a capture, one estimate per window (the replay flowgraph)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..doa import metrics
from ..flowgraphs.methods import METHODS
from .replay_options import estimation_options, replay, replay_settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    estimate = commands.add_parser(
        "estimate", parents=[estimation_options()], help="bearings of a capture, one estimate per window"
    )
    estimate.add_argument("capture")
    estimate.add_argument("--method", choices=tuple(METHODS), default="music")
    estimate.add_argument("--json", action="store_true", help="one JSON object per estimate and line")
    estimate.add_argument("--plot", metavar="PNG", help="write the spatial spectrum over time as a PNG")
    estimate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = replay_settings(args, args.method)
    flowgraph = replay(
        args.capture, settings, json_path="-" if args.json else "", keep_spectra=bool(args.plot)
    )
    if not args.json:
        _print_estimates(flowgraph.records)
    if args.plot:
        from ..plotting import plot_spectrum_history

        average = flowgraph.settings.average
        title = f"{Path(args.capture).name}: {args.method}, {average} snapshots per estimate"
        path = plot_spectrum_history(
            flowgraph.spectra, flowgraph.grid_deg, flowgraph.records, args.plot, title
        )
        print(f"spatial spectrum written to {path}", file=sys.stderr)
    return 0


def _print_estimates(records: list[dict]) -> None:
    """One line per estimate; a ``ue`` column first when the capture is an SRS capture."""
    with_ue = any("ue" in record for record in records)
    print(
        ("   ue " if with_ue else "")
        + f"{'sample_start':>12} {'samples':>8}  {'azimuth_deg':<20} {'truth_deg':<20} {'error_deg':<12}"
    )
    for record in records:
        errors, _ = metrics.matched_errors_deg(record["azimuth_deg"], record["truth_azimuth_deg"])
        print(
            (f"{record.get('ue', '-'):>5} " if with_ue else "")
            + f"{record['sample_start']:>12} {record['sample_count']:>8}  "
            f"{_angles(record['azimuth_deg']):<20} {_angles(record['truth_azimuth_deg']):<20} "
            f"{_angles(errors, precision=3):<12}"
        )


def _angles(values: Sequence[float], precision: int = 2) -> str:
    return ",".join(f"{v:.{precision}f}" for v in values) or "-"
