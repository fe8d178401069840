"""`bearing locate`: several stations' bearings fused into positions and tracks (docs/positioning.md)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..flowgraphs.fusion_service import FusionService
from ..flowgraphs.map_server import MapServer
from ..flowgraphs.methods import METHODS
from ..flowgraphs.settings import ReplaySettings
from ..flowgraphs.station_replay import replay_stations
from ..positioning.frames import LocalFrame
from ..positioning.fusion import FusionEngine, FusionSettings, dropped_text
from ..positioning.map_page import render
from ..positioning.report import MAX_REPORT_BYTES, BearingReport
from .parser import check_folder_of, count_type
from .publish_options import LATITUDE_LONGITUDE


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    locate = commands.add_parser(
        "locate",
        help="fuse stations' bearings (ZeroMQ, or replayed captures) into positions and tracks",
        description="Subscribe to stations publishing bearing reports (`bearing estimate --publish`, the "
        "Bearing Publisher block), or replay a folder of station captures, and print one JSON object per "
        "fix (docs/positioning.md).",
    )
    stations = locate.add_argument_group("the stations")
    stations.add_argument(
        "--connect",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a station's ZeroMQ PUB address, e.g. tcp://127.0.0.1:5601 (repeat for each station)",
    )
    stations.add_argument(
        "--listen", metavar="ADDRESS", help="bind this address for stations that connect (`--publish-to`)"
    )
    stations.add_argument(
        "--curve-keys",
        metavar="DIR",
        help="CURVE keys (made by `bearing keys DIR`): needed to --listen beyond the loopback address",
    )
    stations.add_argument(
        "--replay",
        metavar="DIR",
        help="run each station's flowgraph on its capture in DIR (*.sigmf-meta: a `bearing simulate` scene, "
        "or captures with core:geolocation and spatial:aperture_azimuth) and fuse them",
    )
    stations.add_argument(
        "--method", choices=tuple(METHODS), default="music", help="--replay: the stations' method"
    )
    stations.add_argument(
        "--average",
        type=count_type(1, "a positive number of snapshots"),
        help="--replay: snapshots per estimate (default: one estimate per capture segment)",
    )
    stations.add_argument(
        "--models",
        metavar="DIR",
        help="--replay --method mod-dnn: one model per station, DIR/<station>.pt (trained on its own array)",
    )
    stations.add_argument(
        "--sources",
        type=count_type(1, "a positive number of emitters"),
        default=1,
        help="--replay: emitters per estimate (default 1)",
    )
    stations.add_argument(
        "--bearing-std",
        type=float,
        default=1.0,
        metavar="DEG",
        help="--replay: each azimuth's std (default 1)",
    )
    stations.add_argument(
        "--realtime",
        action="store_true",
        help="--replay: fuse each report when its time comes (watch --http)",
    )
    fusion = locate.add_argument_group("the fusion")
    fusion.add_argument(
        "--stations",
        type=count_type(0, "a number of stations"),
        default=0,
        help="wait for this many stations",
    )
    fusion.add_argument(
        "--fix-interval", type=float, default=0.1, metavar="S", help="seconds per fix (default 0.1)"
    )
    fusion.add_argument(
        "--max-lag",
        type=float,
        default=1.0,
        metavar="S",
        help="wait at most this long for a late or silent station before fixing without it (default 1)",
    )
    fusion.add_argument(
        "--dims", type=int, choices=(2, 3), help="2-D or 3-D fixes (default: 3-D when elevations come)"
    )
    fusion.add_argument(
        "--origin",
        type=LATITUDE_LONGITUDE,
        metavar="LAT,LON[,ALT]",
        help="the local frame's origin (default: a --replay scene's, else the first station heard)",
    )
    fusion.add_argument(
        "--emitters",
        metavar="PATTERN",
        help="fuse only the emitters whose id matches this shell pattern, e.g. 'ue-[0-4]*' (a partition)",
    )
    fusion.add_argument(
        "--max-report-bytes",
        type=count_type(64, "a number of bytes >= 64"),
        default=MAX_REPORT_BYTES,
        metavar="N",
        help=f"drop longer messages (default {MAX_REPORT_BYTES})",
    )
    output = locate.add_argument_group("the output")
    output.add_argument(
        "--out", default="-", metavar="FILE", help="where the fixes go, JSON lines (default: stdout)"
    )
    output.add_argument(
        "--geojson", metavar="FILE", help="write the stations, fixes and tracks as GeoJSON at the end"
    )
    output.add_argument(
        "--http", metavar="HOST:PORT", help="serve the live map here (loopback), e.g. 127.0.0.1:8080"
    )
    output.add_argument("--html", metavar="FILE", help="write the map at the end as a static HTML report")
    output.add_argument(
        "--tiles", metavar="URL", help="map tiles, a {z}/{x}/{y} URL template (default: none, offline)"
    )
    output.add_argument("--duration", type=float, metavar="S", help="stop after this many seconds")
    output.add_argument(
        "--idle-timeout", type=float, metavar="S", help="stop when no report came for this many seconds"
    )
    output.add_argument(
        "--max-fixes",
        type=count_type(1, "a positive number of fixes"),
        metavar="N",
        help="stop after N fixes",
    )
    locate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    _check_options(args)
    reports: list[BearingReport] = []
    expected = args.stations
    origin = None if args.origin is None else LocalFrame(*args.origin)
    if args.replay:
        settings = ReplaySettings(method=args.method, average=args.average, num_sources=args.sources)
        reports, count = replay_stations(
            args.replay, settings, args.bearing_std, progress=_progress, models=args.models
        )
        expected = max(expected, count)
        origin = origin or _scene_origin(Path(args.replay))
    engine = FusionEngine(
        FusionSettings(
            fix_interval_s=args.fix_interval,
            expected_stations=expected,
            max_lag_s=args.max_lag,
            dims=args.dims,
            origin=origin,
            emitters=args.emitters,
        )
    )
    logging.basicConfig(
        format="bearing locate: %(levelname)s: %(message)s", stream=sys.stderr, level=logging.INFO
    )
    counts: dict = {}
    live_map = MapRefresh(engine, MapServer(args.http, args.tiles) if args.http else None)
    try:
        with open(args.out, "w") if args.out != "-" else contextlib.nullcontext(sys.stdout) as out:

            def write(record: dict) -> None:
                out.write(json.dumps(record, allow_nan=False) + "\n")
                out.flush()

            if args.replay:
                _fuse_replay(engine, reports, write, live_map, args.realtime)
                live_map.serve_until(args.duration)
            else:
                counts = _serve(args, engine, write, live_map.tick)
    finally:
        live_map.close()
    if args.html:
        Path(args.html).write_text(render(engine.map_state(), args.tiles))
    if args.geojson:
        Path(args.geojson).write_text(json.dumps(engine.geojson(), allow_nan=False))
    print(f"bearing locate: {summary(engine, counts)}", file=sys.stderr)
    return 0


def _check_options(args: argparse.Namespace) -> None:
    if args.replay and (args.connect or args.listen):
        raise ValueError("--replay: the stations are the captures; leave out --connect and --listen")
    if args.models and args.method != "mod-dnn":
        raise ValueError("--models: per-station models are for --method mod-dnn")
    if args.realtime and not args.replay:
        raise ValueError("--realtime: only with --replay (live stations keep their own time)")
    for option, path in (
        ("--out", None if args.out == "-" else args.out),
        ("--geojson", args.geojson),
        ("--html", args.html),
    ):
        if path:
            check_folder_of(option, path)


def summary(engine: FusionEngine, counts: dict) -> str:
    """One line: reports, stations, fixes, and what was dropped or lost, by kind."""
    dropped = dropped_text(counts, engine.counts)
    reports, fixes = engine.counts["reports"], engine.counts["fixes"]
    text = f"{reports} reports from {len(engine.stations)} stations, {fixes} fixes"
    return f"{text}; {dropped}" if dropped else text


def _fuse_replay(
    engine: FusionEngine,
    reports: list[BearingReport],
    write: Callable[[dict], None],
    live_map: MapRefresh,
    realtime: bool,
) -> None:
    """The replay's reports into the engine, at once or each at its time (``realtime``)."""
    start = time.monotonic()
    for report in reports:
        if realtime:
            time.sleep(max(start + report.time_s - reports[0].time_s - time.monotonic(), 0.0))
        for record in engine.add(report):
            write(record)
        live_map.tick()
    for record in engine.flush():
        write(record)
    live_map.tick(force=True)


class MapRefresh:
    """The engine's map state to the map server (if any), at most twice a second."""

    def __init__(self, engine: FusionEngine, server: MapServer | None) -> None:
        self.engine, self.server, self._last = engine, server, -math.inf
        if server is not None:
            print(f"bearing locate: the map is at {server.url}", file=sys.stderr, flush=True)

    def tick(self, force: bool = False) -> None:
        if self.server is not None and (force or time.monotonic() - self._last >= 0.5):
            self.server.publish(self.engine.map_state())
            self._last = time.monotonic()

    def serve_until(self, duration_s: float | None) -> None:
        """After a replay: the map stays up ``duration_s`` seconds (None: until Ctrl-C)."""
        if self.server is None:
            return
        try:
            threading.Event().wait(duration_s)
        except KeyboardInterrupt:
            pass

    def close(self) -> None:
        if self.server is not None:
            self.server.close()


def _serve(
    args: argparse.Namespace, engine: FusionEngine, write: Callable[[dict], None], tick: Callable[[], None]
) -> dict:
    """Runs the ZeroMQ service until it stops; returns its counts."""
    service = FusionService(
        engine,
        connect=args.connect,
        listen=args.listen,
        curve_keys=args.curve_keys,
        max_report_bytes=args.max_report_bytes,
        on_record=write,
    )
    service.run(
        duration_s=args.duration, idle_timeout_s=args.idle_timeout, max_fixes=args.max_fixes, on_tick=tick
    )
    return service.counts


def _progress(line: str) -> None:
    print(f"bearing locate: {line}", file=sys.stderr, flush=True)


def _scene_origin(folder: Path) -> LocalFrame | None:
    """The origin of a `bearing simulate` scene folder (its scene.json), None for other folders."""
    try:
        return LocalFrame(**json.loads((folder / "scene.json").read_text())["origin"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
