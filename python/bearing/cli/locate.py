"""`bearing locate`: several stations' bearings fused into positions and tracks (docs/positioning.md)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from ..flowgraphs.fusion_service import FusionService
from ..flowgraphs.methods import METHODS
from ..flowgraphs.settings import ReplaySettings
from ..flowgraphs.station_replay import replay_stations
from ..positioning.frames import LocalFrame
from ..positioning.fusion import FusionEngine, FusionSettings
from ..positioning.report import MAX_REPORT_BYTES
from .parser import count_type


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    locate = commands.add_parser(
        "locate",
        help="fuse stations' bearings (ZeroMQ) into positions and tracks",
        description="Subscribe to stations publishing bearing reports (`bearing estimate --publish`, the "
        "Bearing Publisher block) and print one JSON object per fix (docs/positioning.md).",
    )
    locate.add_argument(
        "--replay",
        metavar="DIR",
        help="run each station's flowgraph on its capture in DIR (*.sigmf-meta: a `bearing simulate` scene, "
        "or captures with core:geolocation and spatial:aperture_azimuth) and fuse them",
    )
    locate.add_argument(
        "--method", choices=tuple(METHODS), default="music", help="--replay: the stations' method"
    )
    locate.add_argument(
        "--average",
        type=count_type(1, "a positive number of snapshots"),
        help="--replay: snapshots per estimate",
    )
    locate.add_argument(
        "--sources",
        type=count_type(1, "a positive number of emitters"),
        default=1,
        help="--replay: emitters per estimate",
    )
    locate.add_argument(
        "--bearing-std",
        type=float,
        default=1.0,
        metavar="DEG",
        help="--replay: each azimuth's std (default 1)",
    )
    locate.add_argument(
        "--connect",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a station's ZeroMQ PUB address, e.g. tcp://127.0.0.1:5601 (repeat for each station)",
    )
    locate.add_argument(
        "--listen", metavar="ADDRESS", help="bind this address for stations that connect (`--publish-to`)"
    )
    locate.add_argument(
        "--curve-keys",
        metavar="DIR",
        help="CURVE keys (made by `bearing keys DIR`): needed to --listen beyond the loopback address",
    )
    locate.add_argument(
        "--stations",
        type=count_type(0, "a number of stations"),
        default=0,
        help="wait for this many stations before the first fix",
    )
    locate.add_argument(
        "--fix-interval", type=float, default=0.1, metavar="S", help="seconds per fix (default 0.1)"
    )
    locate.add_argument(
        "--max-lag",
        type=float,
        default=1.0,
        metavar="S",
        help="wait at most this long for a late or silent station before fixing without it (default 1)",
    )
    locate.add_argument(
        "--dims", type=int, choices=(2, 3), help="2-D or 3-D fixes (default: 3-D when elevations come)"
    )
    locate.add_argument(
        "--origin",
        metavar="LAT,LON[,ALT]",
        help="the local frame's origin (default: the first station heard)",
    )
    locate.add_argument(
        "--out", default="-", metavar="FILE", help="where the fixes go, JSON lines (default: stdout)"
    )
    locate.add_argument(
        "--geojson", metavar="FILE", help="write the stations, fixes and tracks as GeoJSON at the end"
    )
    locate.add_argument("--duration", type=float, metavar="S", help="stop after this many seconds")
    locate.add_argument(
        "--idle-timeout", type=float, metavar="S", help="stop when no report came for this many seconds"
    )
    locate.add_argument(
        "--max-fixes",
        type=count_type(1, "a positive number of fixes"),
        metavar="N",
        help="stop after N fixes",
    )
    locate.add_argument(
        "--max-report-bytes",
        type=count_type(64, "a number of bytes >= 64"),
        default=MAX_REPORT_BYTES,
        metavar="N",
        help=f"drop longer messages (default {MAX_REPORT_BYTES})",
    )
    locate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.replay and (args.connect or args.listen):
        raise ValueError("--replay: the stations are the captures; leave out --connect and --listen")
    if args.geojson and not Path(args.geojson).resolve().parent.is_dir():
        raise ValueError(
            f"--geojson {args.geojson}: the folder {Path(args.geojson).resolve().parent} does not exist"
        )
    reports, stations = [], args.stations
    if args.replay:
        settings = ReplaySettings(method=args.method, average=args.average, num_sources=args.sources)
        reports, count = replay_stations(args.replay, settings, args.bearing_std, progress=_progress)
        stations = max(stations, count)
    engine = FusionEngine(
        FusionSettings(
            fix_interval_s=args.fix_interval,
            expected_stations=stations,
            max_lag_s=args.max_lag,
            dims=args.dims,
            origin=_origin(args.origin),
        )
    )
    logging.basicConfig(
        format="bearing locate: %(levelname)s: %(message)s", stream=sys.stderr, level=logging.INFO
    )
    counts: dict = {}
    with _output(args.out) as out:

        def write(record: dict) -> None:
            out.write(json.dumps(record, allow_nan=False) + "\n")
            out.flush()

        if args.replay:
            for report in reports:
                for record in engine.add(report):
                    write(record)
            for record in engine.flush():
                write(record)
        else:
            counts = _serve(args, engine, write)
    if args.geojson:
        Path(args.geojson).write_text(json.dumps(engine.geojson(), allow_nan=False))
    print(f"bearing locate: {summary(engine, counts)}", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace, engine: FusionEngine, write: Callable[[dict], None]) -> dict:
    """Runs the ZeroMQ service until it stops; returns its counts."""
    service = FusionService(
        engine,
        connect=args.connect,
        listen=args.listen,
        curve_keys=args.curve_keys,
        max_report_bytes=args.max_report_bytes,
        on_record=write,
    )
    service.run(duration_s=args.duration, idle_timeout_s=args.idle_timeout, max_fixes=args.max_fixes)
    return service.counts


def _progress(line: str) -> None:
    print(f"bearing locate: {line}", file=sys.stderr, flush=True)


def summary(engine: FusionEngine, counts: dict) -> str:
    """One line: reports, stations, fixes, and what was dropped or lost, by kind."""
    dropped = {
        k: v for k, v in {**counts, **engine.counts}.items() if k not in ("messages", "reports", "fixes")
    }
    reports, fixes = engine.counts["reports"], engine.counts["fixes"]
    text = f"{reports} reports from {len(engine.stations)} stations, {fixes} fixes"
    if dropped:
        text += "; " + ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
    return text


def _origin(text: str | None) -> LocalFrame | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) not in (2, 3) or not (-90 <= values[0] <= 90):
        raise ValueError(f"--origin {text}: expected LAT,LON[,ALT] in degrees and metres")
    return LocalFrame(*values)


class _output:
    """Standard output or a file, as a context manager."""

    def __init__(self, path: str) -> None:
        if path != "-" and not Path(path).resolve().parent.is_dir():
            raise ValueError(f"--out {path}: the folder {Path(path).resolve().parent} does not exist")
        self.path = path

    def __enter__(self):
        self.stream = sys.stdout if self.path == "-" else open(self.path, "w")  # closed in __exit__
        return self.stream

    def __exit__(self, *exc) -> None:
        if self.stream is not sys.stdout:
            self.stream.close()
