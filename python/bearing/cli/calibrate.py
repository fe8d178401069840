"""`bearing calibrate`: a calibration table of an array's measured steering vectors, from
calibration captures (a sweep of one source at known bearings), for ``--method calibrated-music``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..array.covariance import sample_covariance
from ..array.geometry import ArrayGeometry
from ..doa.calibrated_music import CalibrationTable, save_table
from ..doa.search import search_grid
from .calibration_options import add_max_windows_option, warn_left_out

CALIBRATION_METHODS = ("manifold",)
"""What `bearing calibrate` measures: ``manifold``, the steering vector at every calibrated azimuth."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    calibrate = commands.add_parser(
        "calibrate", help="measure a calibration table of an array from calibration captures"
    )
    calibrate.add_argument("captures", nargs="+", metavar="CAPTURE", help="calibration captures of one array")
    calibrate.add_argument("--out", required=True, metavar="TABLE", help="the table file to write (.npz)")
    calibrate.add_argument(
        "--method",
        choices=CALIBRATION_METHODS,
        default="manifold",
        help="manifold: the array's steering vector at each calibrated azimuth (default)",
    )
    calibrate.add_argument(
        "--snapshots-per-window",
        type=int,
        default=64,
        metavar="T",
        help="narrowband captures: snapshots per covariance; the covariances of one azimuth are "
        "averaged (default 64)",
    )
    calibrate.add_argument(
        "--subcarriers",
        type=int,
        default=16,
        metavar="K",
        help="SRS captures: pilots per item, spread over the band; 0 takes all (default 16)",
    )
    add_max_windows_option(calibrate)
    calibrate.add_argument("--json", action="store_true", help="the summary as one JSON object")
    calibrate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Reads the captures through the replay's front end, measures the table on the array's search
    grid (its field of view, 0.1 deg), writes it, prints the summary."""
    from ..flowgraphs.calibration_capture import read_calibration  # torch, which takes a second

    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"{out}: is a directory, not a file to write")
    calibration = read_calibration(
        args.captures, args.subcarriers, args.snapshots_per_window, args.max_windows
    )
    warn_left_out(calibration)
    geometry = ArrayGeometry(calibration.positions_m)
    search = search_grid(geometry)
    if search.elevation_deg is not None:
        raise ValueError(
            "calibrated MUSIC searches azimuth only; this array resolves elevation too "
            f"({search.field.kind}, not horizontal)"
        )
    windows = np.unique(calibration.window)
    covariances = np.stack([_window_covariance(calibration.cfrs[calibration.window == w]) for w in windows])
    azimuths = np.array([calibration.azimuth_deg[calibration.window == w][0] for w in windows])
    table = CalibrationTable.fit(covariances, azimuths, search.azimuth_deg)
    out.parent.mkdir(parents=True, exist_ok=True)
    path = save_table(table, out, calibration.positions_m, calibration.frequency_hz)
    summary = {
        "captures": list(args.captures),
        "kind": calibration.kind,
        "windows": int(windows.size),
        "windows_left_out": calibration.windows_left_out,
        "azimuths": int(table.calibration_deg.size),
        "span_deg": [float(table.calibration_deg[0]), float(table.calibration_deg[-1])],
        "circular": table.circular,
        "grid_points": int(table.grid_deg.size),
        "covered_points": int(np.count_nonzero(table.covered)),
        "table": str(path),
    }
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        for key, value in summary.items():
            for item in value if key == "captures" else [value]:
                print(f"{'capture' if key == 'captures' else key:22s} {item}")
    print(f"calibration table written to {path}", file=sys.stderr)
    return 0


def _window_covariance(cfrs: np.ndarray) -> np.ndarray:
    """The covariance of one window's items ``(N, K, M)``: every item and subcarrier a snapshot."""
    return sample_covariance(cfrs.reshape(-1, cfrs.shape[-1]).T)
