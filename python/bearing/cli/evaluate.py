"""`bearing evaluate`: error statistics of one or more methods against a capture's annotations."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..captures.reader import read_capture
from ..doa import metrics
from ..flowgraphs.methods import METHODS
from .progress import add_progress_option
from .replay_options import estimation_options, replay, replay_settings


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    evaluate = commands.add_parser(
        "evaluate", parents=[estimation_options()], help="error statistics against the capture's annotations"
    )
    evaluate.add_argument("captures", nargs="+", metavar="CAPTURE")
    evaluate.add_argument(
        "--method", default="music", help=f"one or more of {', '.join(METHODS)}, comma separated"
    )
    evaluate.add_argument("--json", action="store_true", help="one JSON object per capture and method")
    add_progress_option(evaluate)
    evaluate.set_defaults(run=run)


OVERALL = "(all)"
"""The capture column of the overall rows of several captures."""


def run(args: argparse.Namespace) -> int:
    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown method {', '.join(unknown) or '(none)'}; choose from {', '.join(METHODS)}")
    rows = []
    every = {method: ([], 0) for method in methods}  # method -> (records of every capture, skipped)
    for capture in args.captures:
        recording = read_capture(capture)
        if not recording.truths:
            raise ValueError(f"{capture}: the capture has no ground-truth annotations to evaluate against")
        for method in methods:
            settings = replay_settings(args, method)
            flowgraph = replay(capture, settings, recording=recording, progress=args.progress)
            statistics = metrics.error_statistics(flowgraph.records)
            row = {"capture": Path(capture).name, "method": method, "skipped": flowgraph.skipped_windows}
            rows.append(row | statistics)
            records, skipped = every[method]
            every[method] = (records + list(flowgraph.records), skipped + flowgraph.skipped_windows)
    if not any(row["count"] for row in rows):
        raise ValueError(
            "no window was estimated in any capture, nothing to evaluate (the warnings above say why; "
            "a smaller --average?)"
        )
    if len(args.captures) > 1:  # the overall row of each method, over the windows of every capture
        for method, (records, skipped) in every.items():
            rows.append(
                {"capture": OVERALL, "method": method, "skipped": skipped} | metrics.error_statistics(records)
            )
    header = ("capture", "method", *metrics.STATISTICS[:2], "skipped", *metrics.STATISTICS[2:])
    if any("angle_rmse_deg" in row for row in rows):  # arrays that resolve elevation
        header += tuple(f"{name}_{key}" for name in ("elevation", "angle") for key in metrics.STATISTICS[2:])
    if args.json:
        for row in rows:
            print(json.dumps({key: row[key] for key in header if key in row}, allow_nan=False))
        return 0
    width = max(len(row["capture"]) for row in rows)
    method_width = max(10, *(len(row["method"]) for row in rows))
    titles = [h.replace("elevation_", "el_") for h in header[2:]]
    columns = [max(10, len(t)) for t in titles]
    print(
        f"{header[0]:<{width}}  {header[1]:<{method_width}} "
        + " ".join(f"{t:>{c}}" for t, c in zip(titles, columns, strict=True))
    )
    for row in rows:
        print(
            f"{row['capture']:<{width}}  {row['method']:<{method_width}} "
            + " ".join(_cell(row.get(h), c) for h, c in zip(header[2:], columns, strict=True))
        )
    return 0


def _cell(value: float | int | None, width: int = 10) -> str:
    if value is None:
        return f"{'-':>{width}}"
    return f"{value:>{width}d}" if isinstance(value, int) else f"{value:>{width}.3f}"
