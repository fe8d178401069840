"""A station's pose and clock from its capture: SigMF ``core:geolocation`` (a GeoJSON point,
longitude, latitude, altitude), the spatial extension's mount (heading, tilt, roll), and the
segments' times (``core:datetime``, ``core:global_index``)."""

from __future__ import annotations

import datetime
from pathlib import Path

from ..array.geometry import wavelength_m
from ..array.horizon import Aperture
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
    given, else the capture's, and the aperture of its array at its carrier (an azimuth-only
    array's: :meth:`~gnuradio.bearing.array.horizon.Aperture.of`); ValueError naming what neither says."""
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
    aperture = Aperture.of(capture.geometry, wavelength_m(capture.frequency_hz))
    return StationPose(orientation, position, geodetic, aperture)


def station_id_of(meta_path: str | Path) -> str:
    """A station's default id: its capture's name (``station-1`` of ``station-1.sigmf-meta``)."""
    return Path(meta_path).name.removesuffix(".sigmf-meta")


def capture_station_id(capture: Capture) -> str:
    """The default id of the station that recorded ``capture`` (:func:`station_id_of`)."""
    return station_id_of(capture.meta_path)


def capture_segment_times(capture: Capture) -> list[tuple[int, float]]:
    """``(sample_start, time_s)`` of each segment: its own ``core:datetime`` (ISO 8601, seconds
    since the UNIX epoch), else the first segment's plus the receiver-clock samples between
    them (``core:global_index``, or the file's samples without one) over the sample rate; the
    first segment's time is 0 when it has no datetime either."""
    first = capture.segments[0]
    origin = _timestamp(first.datetime) if first.datetime else 0.0
    times = []
    for segment in capture.segments:
        if segment.datetime:
            time_s = _timestamp(segment.datetime)
        elif segment.global_index is not None and first.global_index is not None:
            time_s = origin + (segment.global_index - first.global_index) / capture.sample_rate_hz
        else:
            time_s = origin + (segment.sample_start - first.sample_start) / capture.sample_rate_hz
        times.append((segment.sample_start, time_s))
    return times


def _timestamp(stamp: str) -> float:
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()
