"""The options of a station that publishes its bearings (``bearing estimate --publish``)."""

from __future__ import annotations

import argparse
import time

from ..array.orientation import Orientation
from ..captures.schema import Capture
from ..flowgraphs.station_publisher import PublishSettings
from ..positioning.station import capture_pose, capture_segment_times, capture_station_id
from .parser import numbers_type

LATITUDE_LONGITUDE = numbers_type(
    (2, 3), "LAT,LON[,ALT] in degrees and metres", lambda values: -90.0 <= values[0] <= 90.0
)
"""An argparse ``type``: a WGS-84 position (``--station-position``, ``bearing locate --origin``)."""


def add_publish_options(parser: argparse.ArgumentParser) -> None:
    """Adds the station options to ``parser`` (docs/cli.md, docs/positioning.md)."""
    group = parser.add_argument_group("publishing to `bearing locate` (docs/positioning.md)")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--publish",
        metavar="ADDRESS",
        help="bind a ZeroMQ PUB socket here (loopback, e.g. tcp://127.0.0.1:5601) and send each estimate "
        "as a bearing report; `bearing locate --connect ADDRESS` reads them",
    )
    where.add_argument(
        "--publish-to",
        metavar="ADDRESS",
        help="the same, connecting to a `bearing locate --listen ADDRESS` instead of binding",
    )
    group.add_argument("--station-id", help="the station's name in its reports (default: the capture's name)")
    position = group.add_mutually_exclusive_group()
    position.add_argument(
        "--station-position",
        type=LATITUDE_LONGITUDE,
        metavar="LAT,LON[,ALT]",
        help="the array's WGS-84 position (default: the capture's core:geolocation)",
    )
    position.add_argument(
        "--station-enu",
        type=numbers_type((2, 3), "E,N[,U] in metres"),
        metavar="E,N[,U]",
        help="the array's position in the fusion's local frame, metres",
    )
    group.add_argument(
        "--heading",
        type=float,
        metavar="DEG",
        help="the array's boresight, degrees east of true north "
        "(default: the capture's spatial:aperture_azimuth)",
    )
    group.add_argument(
        "--bearing-std",
        type=float,
        default=1.0,
        metavar="DEG",
        help="each azimuth's standard deviation in the reports, degrees (default 1)",
    )
    group.add_argument(
        "--elevation-std",
        type=float,
        default=1.0,
        metavar="DEG",
        help="each elevation's standard deviation, degrees (arrays that resolve elevation; default 1)",
    )
    group.add_argument(
        "--realtime",
        action="store_true",
        help="send each report when its window's time comes, as a live station would (a replay otherwise "
        "sends them as fast as it estimates)",
    )
    group.add_argument(
        "--start-at",
        type=float,
        metavar="UNIX_S",
        help="--realtime: the wall-clock time of the first report (default: after --publish-wait); a station "
        "restarted with the same value skips the reports whose time has passed (over 1 s late)",
    )
    group.add_argument(
        "--publish-wait",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds to wait for subscribers before the first estimate (default 1)",
    )


def publish_settings(args: argparse.Namespace, capture: Capture) -> PublishSettings | None:
    """The publishing settings of the options, None without ``--publish``/``--publish-to``."""
    address = args.publish or args.publish_to
    if not address:
        return None
    if args.station_position:
        position, geodetic = args.station_position, True
    elif args.station_enu:
        position, geodetic = args.station_enu, False
    else:
        position, geodetic = None, True
    mount = capture.orientation
    orientation = None
    if args.heading is not None:
        orientation = Orientation(args.heading, *((mount.tilt_deg, mount.roll_deg) if mount else ()))
    pose = capture_pose(capture, position, geodetic, orientation)
    return PublishSettings(
        address=address,
        station_id=args.station_id or capture_station_id(capture),
        pose=pose,
        sample_rate_hz=capture.sample_rate_hz,
        segment_times=tuple(capture_segment_times(capture)),
        azimuth_std_deg=args.bearing_std,
        elevation_std_deg=args.elevation_std,
        bind=bool(args.publish),
        wait_s=args.publish_wait,
        realtime_start_s=_realtime_start(args),
    )


def _realtime_start(args: argparse.Namespace) -> float | None:
    if args.start_at is not None and not args.realtime:
        raise ValueError("--start-at: only with --realtime")
    if not args.realtime:
        return None
    return args.start_at if args.start_at is not None else time.time() + args.publish_wait
