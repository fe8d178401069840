"""A station's pose and clock from its capture: SigMF ``core:geolocation`` (a GeoJSON point,
longitude, latitude, altitude), the spatial extension's mount (heading, tilt, roll), and the
first segment's ``core:datetime`` (the time of the capture's first sample)."""

from __future__ import annotations

import datetime

from ..array.orientation import Orientation
from ..captures.schema import Capture
from .report import StationPose

GEOLOCATION_KEY = "core:geolocation"


def capture_pose(
    capture: Capture,
    position: tuple[float, ...] | None = None,
    geodetic: bool = True,
    orientation: Orientation | None = None,
) -> StationPose:
    """The pose of the station that recorded ``capture``: ``position`` (and ``orientation``) when
    given, else the capture's; ValueError naming what neither says."""
    orientation = orientation or capture.orientation
    if orientation is None:
        raise ValueError(
            f"{capture.meta_path}: the array's heading is not known: the capture has no "
            "spatial:aperture_azimuth; give --heading"
        )
    if position is None:
        point = capture.global_info.get(GEOLOCATION_KEY)
        try:
            lon, lat, *alt = point["coordinates"]
        except (TypeError, KeyError, ValueError):
            raise ValueError(
                f"{capture.meta_path}: the station's position is not known: the capture has no "
                f"{GEOLOCATION_KEY} point; give --station-position LAT,LON[,ALT] or --station-enu E,N[,U]"
            ) from None
        position, geodetic = (lat, lon, alt[0] if alt else 0.0), True
    position = (*position, 0.0)[:3] if len(position) == 2 else tuple(position)
    keys = ("latitude_deg", "longitude_deg", "altitude_m") if geodetic else ("east_m", "north_m", "up_m")
    return StationPose.from_dict(orientation.to_dict() | dict(zip(keys, position, strict=True)))


def capture_start_time_s(capture: Capture) -> float:
    """Seconds since the UNIX epoch of the capture's first sample (its first segment's
    ``core:datetime``, ISO 8601), or 0 when the capture does not say."""
    stamp = capture.segments[0].datetime if capture.segments else None
    if not stamp:
        return 0.0
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp() - capture.segments[0].sample_start / capture.sample_rate_hz
