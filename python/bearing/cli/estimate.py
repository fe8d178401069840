"""`bearing estimate`: the bearings of a capture, one estimate per window (the replay flowgraph)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..captures.reader import as_capture
from ..doa import metrics
from ..flowgraphs.methods import METHODS
from .parser import check_folder_of
from .progress import add_progress_option
from .publish_options import add_publish_options, publish_settings
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
    add_progress_option(estimate)
    add_publish_options(estimate)
    estimate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = replay_settings(args, args.method)
    if args.plot:  # before anything is printed
        check_folder_of("--plot", args.plot)
    # A publishing station's pose is read from the capture first; otherwise the replay reads it
    # (inside its progress report: `--progress` counts the reading too).
    capture = as_capture(args.capture) if args.publish or args.publish_to else None
    flowgraph = replay(
        args.capture,
        settings,
        json_path="-" if args.json else "",
        keep_spectra=bool(args.plot),
        recording=capture,
        progress=args.progress,
        publish=None if capture is None else publish_settings(args, capture),
    )
    if not args.json:
        _print_estimates(flowgraph.records)
    if args.plot:
        from ..plotting import plot_spectrum_history

        average = flowgraph.settings.average
        title = f"{Path(args.capture).name}: {args.method}, {average} snapshots per estimate"
        spectra = flowgraph.spectra
        if flowgraph.elevation_grid_deg is not None:  # azimuth profile: the maximum over elevation
            spectra = spectra.reshape(len(spectra), flowgraph.elevation_grid_deg.size, -1).max(axis=1)
            title += " (maximum over elevation)"
        path = plot_spectrum_history(spectra, flowgraph.grid_deg, flowgraph.records, args.plot, title)
        print(f"spatial spectrum written to {path}", file=sys.stderr)
    return 0


def _print_estimates(records: list[dict]) -> None:
    """One line per estimate; a ``ue`` column first when the capture is an SRS capture; elevation
    columns when the array resolves elevation (the error is then the great-circle angle)."""
    with_ue = any("ue" in record for record in records)
    with_elevation = any("elevation_deg" in record for record in records)
    elevation_header = f"{'elevation_deg':<20} {'truth_el_deg':<20} " if with_elevation else ""
    print(
        ("   ue " if with_ue else "")
        + f"{'sample_start':>12} {'samples':>8}  {'azimuth_deg':<20} {'truth_deg':<20} "
        + elevation_header
        + f"{'error_deg':<12}"
    )
    for record in records:
        elevation = ""
        if with_elevation:
            truth_el = record.get("truth_elevation_deg", [])
            elevation = f"{_angles(record.get('elevation_deg', [])):<20} {_angles(truth_el):<20} "
        if with_elevation and "truth_elevation_deg" in record:
            *_, errors, _ = metrics.matched_direction_errors_deg(
                record["azimuth_deg"], record["elevation_deg"], record["truth_azimuth_deg"], truth_el
            )
        else:
            errors, _ = metrics.matched_errors_deg(record["azimuth_deg"], record["truth_azimuth_deg"])
        print(
            (f"{record.get('ue', '-'):>5} " if with_ue else "")
            + f"{record['sample_start']:>12} {record['sample_count']:>8}  "
            f"{_angles(record['azimuth_deg']):<20} {_angles(record['truth_azimuth_deg']):<20} "
            + elevation
            + f"{_angles(errors, precision=3):<12}"
        )


def _angles(values: Sequence[float], precision: int = 2) -> str:
    return ",".join(f"{v:.{precision}f}" for v in values) or "-"
