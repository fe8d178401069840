"""The bearing report: one station's estimate as a versioned JSON message (docs/positioning.md).

A report is one JSON object (UTF-8)::

    {"schema": "gr-bearing/bearing-report", "version": 1,
     "station": {"id": "gnb-1", "heading_deg": 30.0, "tilt_deg": 0.0, "roll_deg": 0.0,
                 "latitude_deg": 48.85, "longitude_deg": 2.35, "altitude_m": 35.0},
     "time_s": 1765100000.25, "method": "music", "num_sources": 1,
     "bearings": [{"azimuth_deg": 12.5, "azimuth_std_deg": 0.8, "true_azimuth_deg": 42.5,
                   "emitter": "ue-3"}]}

* ``station``: its ``id`` and its pose: the array's mount (``heading_deg`` east of true north,
  ``tilt_deg``, ``roll_deg``: :class:`~gnuradio.bearing.array.orientation.Orientation`), its
  position, either geodetic (``latitude_deg``, ``longitude_deg``, ``altitude_m``, WGS-84) or in
  the fusion's local frame (``east_m``, ``north_m``, ``up_m``), and, for an array that estimates
  azimuth only, its ``aperture`` (``{"kind": "linear", "broadside_deg": 0.0}`` or ``{"kind":
  "planar"}``: :class:`~gnuradio.bearing.array.horizon.Aperture`). A tilted or rolled mount
  needs it: its azimuth-only bearings are read as the horizontal directions that give them
  (:mod:`~gnuradio.bearing.array.horizon`), and without it they are refused (``no_aperture``)
  rather than read wrong.
* ``time_s``: the time of the estimate's window (its centre), seconds since the UNIX epoch
  (or since the capture's start when the capture has no ``core:datetime``).
* ``bearings``: one object per emitter: ``azimuth_deg`` (and ``elevation_deg`` for an array
  that resolves elevation) in the array's frame (SigMF spatial), their standard deviations
  ``azimuth_std_deg`` (``elevation_std_deg``), the true bearings ``true_azimuth_deg``
  (``true_elevation_deg``) for readers, and ``emitter`` when the emitter is known (an SRS UE:
  ``ue-<n>``).
* ``method``, ``num_sources``, ``sample_start``, ``sample_count``: as in ``bearing estimate
  --json``.

A reader adds fields freely; a new ``version`` is made only when a field changes meaning.
:func:`decode_report` refuses what the fusion cannot use, with a :class:`ReportError` whose
``kind`` says why (counted by the service, never fatal).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..array.horizon import Aperture
from ..array.orientation import Orientation

SCHEMA = "gr-bearing/bearing-report"
VERSION = 1
MAX_REPORT_BYTES = 65536
"""The largest report the fusion reads (a report of ten bearings is under 2 kB)."""

MAX_TIME_S = 1e11
"""The largest ``time_s`` read (year 5138): beyond it a time cannot be an epoch's."""
MAX_MAGNITUDE = 1e9
"""The largest magnitude of any other number read (angles, metres)."""
MIN_DEVIATION_DEG = 1e-6
"""The smallest standard deviation read: below it a bearing would outweigh the others by 1e12."""

REPORT_ERRORS = ("oversized", "malformed", "schema", "version", "no_pose", "no_aperture")
"""The kinds of :class:`ReportError`, in the order they are checked."""


class ReportError(ValueError):
    """A report the fusion cannot use; ``kind`` is one of :data:`REPORT_ERRORS`."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind} report: {detail}")
        self.kind = kind


@dataclass(frozen=True)
class StationPose:
    """Where a station's array is and how it is mounted.

    ``position`` is geodetic ``(latitude_deg, longitude_deg, altitude_m)`` when ``geodetic``,
    otherwise local ``(east_m, north_m, up_m)`` in the fusion's frame. ``aperture``: what an
    azimuth-only array observes (None: not known, or the array resolves elevation)."""

    orientation: Orientation
    position: tuple[float, float, float]
    geodetic: bool
    aperture: Aperture | None = None

    def __post_init__(self) -> None:
        position = tuple(float(v) for v in self.position)
        if len(position) != 3 or not all(math.isfinite(v) for v in position):
            raise ValueError(f"position must be three finite numbers, not {self.position}")
        if self.geodetic and not (-90.0 <= position[0] <= 90.0 and -180.0 <= position[1] <= 360.0):
            raise ValueError(f"latitude/longitude out of range: {position[:2]}")
        object.__setattr__(self, "position", position)

    def to_dict(self) -> dict:
        keys = (
            ("latitude_deg", "longitude_deg", "altitude_m")
            if self.geodetic
            else ("east_m", "north_m", "up_m")
        )
        aperture = {} if self.aperture is None else {"aperture": self.aperture.to_dict()}
        return self.orientation.to_dict() | dict(zip(keys, self.position, strict=True)) | aperture

    def true_azimuths_deg(
        self, azimuth_deg: Sequence[float], elevation_deg: Sequence[float] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """True azimuths and elevations (degrees, ``(N,)`` each) of bearings in the array frame;
        without elevations, on a tilted or rolled mount, the horizontal directions that give the
        azimuths (:meth:`~gnuradio.bearing.array.horizon.Aperture.horizon_azimuth_deg`: NaN where
        none does, and everywhere without an aperture: :meth:`no_aperture_reason`) and
        elevation 0."""
        if elevation_deg is not None or self.orientation.level:
            return self.orientation.to_local(azimuth_deg, 0.0 if elevation_deg is None else elevation_deg)
        if self.aperture is None:
            return np.full(len(azimuth_deg), np.nan), np.zeros(len(azimuth_deg))
        return self.aperture.horizon_azimuth_deg(self.orientation, azimuth_deg), np.zeros(len(azimuth_deg))

    def no_aperture_reason(self) -> str | None:
        """Why this pose's azimuth-only bearings cannot be read (a tilted or rolled mount without
        its aperture), or None."""
        if self.orientation.level or self.aperture is not None:
            return None
        return (
            f"the array is tilted {self.orientation.tilt_deg:g} deg and rolled {self.orientation.roll_deg:g} "
            "deg and its bearings have no elevation: which horizontal direction an azimuth stands for "
            "depends on the array's shape, and the report gives no station.aperture"
        )

    @classmethod
    def from_dict(cls, fields: dict) -> StationPose:
        """The pose of a report's ``station`` object; ValueError naming what is missing."""
        if "heading_deg" not in fields:
            raise ValueError("no heading_deg: the array's mount is not known")
        orientation = Orientation(
            _number(fields, "heading_deg"), _number(fields, "tilt_deg", 0.0), _number(fields, "roll_deg", 0.0)
        )
        aperture = Aperture.from_dict(fields["aperture"]) if "aperture" in fields else None
        if "latitude_deg" in fields or "longitude_deg" in fields:
            position = (
                _number(fields, "latitude_deg"),
                _number(fields, "longitude_deg"),
                _number(fields, "altitude_m", 0.0),
            )
            return cls(orientation, position, True, aperture)
        if "east_m" in fields or "north_m" in fields:
            position = (_number(fields, "east_m"), _number(fields, "north_m"), _number(fields, "up_m", 0.0))
            return cls(orientation, position, False, aperture)
        raise ValueError("no position: give latitude_deg/longitude_deg or east_m/north_m")


@dataclass(frozen=True)
class Bearing:
    """One emitter's bearing in a report: array frame, degrees; NaN elevation when not resolved."""

    azimuth_deg: float
    azimuth_std_deg: float
    elevation_deg: float = math.nan
    elevation_std_deg: float = math.nan
    emitter: str | None = None


@dataclass(frozen=True)
class BearingReport:
    """A decoded report (module docstring); ``fields`` keeps the whole JSON object."""

    station_id: str
    pose: StationPose
    time_s: float
    bearings: tuple[Bearing, ...]
    method: str
    fields: dict


def encode_report(fields: dict) -> str:
    """The JSON text of a report from its fields (``schema`` and ``version`` added); NaN and
    infinite values are refused (JSON has none)."""
    return json.dumps({"schema": SCHEMA, "version": VERSION} | fields, allow_nan=False, separators=(",", ":"))


def decode_report(data: bytes | str, max_bytes: int = MAX_REPORT_BYTES) -> BearingReport:
    """A report read from its JSON text, checked; :class:`ReportError` for anything the fusion
    cannot use: too long, not JSON, another schema, an unknown version, no usable pose."""
    if len(data) > max_bytes:
        raise ReportError("oversized", f"{len(data)} bytes, over the {max_bytes}-byte limit")
    try:
        fields = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise ReportError("malformed", f"not JSON ({str(error)[:80]})") from None
    if not isinstance(fields, dict):
        raise ReportError("malformed", "not a JSON object")
    if fields.get("schema") != SCHEMA:
        raise ReportError("schema", f"schema {str(fields.get('schema'))[:60]!r}, expected {SCHEMA!r}")
    if fields.get("version") != VERSION:
        raise ReportError(
            "version", f"version {str(fields.get('version'))[:20]!r}, this reader reads {VERSION}"
        )
    try:
        station = fields["station"]
        station_id = str(station["id"])
        time_s = _number(fields, "time_s", high=MAX_TIME_S)
        bearings = tuple(_bearing(item) for item in fields["bearings"])
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise ReportError("malformed", _reason(error)) from None
    try:
        pose = StationPose.from_dict(station)
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise ReportError("no_pose", f"station {station_id[:40]!r}: {_reason(error)}") from None
    reason = pose.no_aperture_reason() if any(math.isnan(b.elevation_deg) for b in bearings) else None
    if reason is not None:
        raise ReportError("no_aperture", f"station {station_id[:40]!r}: {reason}")
    return BearingReport(station_id, pose, time_s, bearings, str(fields.get("method", "")), fields)


def _bearing(item: dict) -> Bearing:
    if not isinstance(item, dict):
        raise TypeError("a bearing is not a JSON object")
    elevation = _number(item, "elevation_deg", math.nan)
    emitter = item.get("emitter")
    return Bearing(
        azimuth_deg=_number(item, "azimuth_deg"),
        azimuth_std_deg=_deviation(item, "azimuth_std_deg"),
        elevation_deg=elevation,
        elevation_std_deg=_deviation(item, "elevation_std_deg") if not math.isnan(elevation) else math.nan,
        emitter=None if emitter is None else str(emitter),
    )


def _number(fields: dict, key: str, default: float | None = None, high: float = MAX_MAGNITUDE) -> float:
    """``fields[key]`` as a float of magnitude up to ``high`` (NaN only as the default)."""
    value = fields.get(key, default)
    if value is None:
        raise KeyError(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{key} is not a number: {str(value)[:40]!r}")
    value = float(value)  # OverflowError for an integer literal beyond float
    if key not in fields and default is not None and math.isnan(default):
        return value
    if not abs(value) <= high:
        raise ValueError(f"{key} is not a finite number up to {high:g} in magnitude: {value:g}")
    return value


def _deviation(fields: dict, key: str) -> float:
    """A standard deviation in degrees: within [1e-6, 180]."""
    value = _number(fields, key)
    if not MIN_DEVIATION_DEG <= value <= 180.0:
        raise ValueError(f"{key} must be within [{MIN_DEVIATION_DEG:g}, 180] degrees, not {value:g}")
    return value


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]}"
    return str(error)[:120]


def window_time_s(
    record: dict, sample_rate_hz: float, start_time_s: float, segment_times: Sequence[tuple[int, float]] = ()
) -> float | None:
    """The time of an estimate's window centre, seconds: ``start_time_s`` is the time of sample
    0, or ``segment_times`` (``(sample_start, time_s)`` of each segment, sorted) date the
    segments of a recording whose clock has gaps; None when the record does not say which
    samples it rests on."""
    start = record.get("sample_start", -1)
    if start is None or start < 0:
        return None
    base_index, base_time = 0, start_time_s
    at = bisect.bisect_right(segment_times, (start, math.inf)) - 1
    if at >= 0:
        base_index, base_time = segment_times[at]
    return base_time + (start - base_index + record.get("sample_count", 0) / 2.0) / sample_rate_hz


def report_fields(
    record: dict,
    station_id: str,
    pose: StationPose,
    time_s: float,
    azimuth_std_deg: float,
    elevation_std_deg: float,
) -> dict | None:
    """The fields of the report of one estimate (a ``bearing estimate --json`` record), its
    bearings strongest first; None when no bearing is finite (a failed estimate).

    Standard deviations: the record's own ``azimuth_std_deg`` / ``elevation_std_deg`` (one per
    bearing) when the estimator gave them, else the ones given here. ``emitter``: ``ue-<n>`` for
    the strongest bearing of an SRS window of UE ``n`` (the others are its multipath or other
    emitters, without an id)."""
    azimuth = list(record.get("azimuth_deg", ()))
    elevation = record.get("elevation_deg")
    peak = list(record.get("peak_db", ())) or [0.0] * len(azimuth)
    order = sorted(range(len(azimuth)), key=lambda i: -peak[i] if i < len(peak) else 0.0)
    true_azimuth, true_elevation = pose.true_azimuths_deg(azimuth or [0.0], elevation)
    bearings = []
    for i in order:
        if not math.isfinite(azimuth[i]) or (elevation is not None and not math.isfinite(elevation[i])):
            continue
        bearing = {
            "azimuth_deg": azimuth[i],
            "azimuth_std_deg": _own(record, "azimuth_std_deg", i, azimuth_std_deg),
        }
        if math.isfinite(true_azimuth[i]):  # not when no horizontal direction (or no aperture) gives it
            bearing["true_azimuth_deg"] = float(true_azimuth[i])
        if elevation is not None:
            bearing |= {
                "elevation_deg": elevation[i],
                "elevation_std_deg": _own(record, "elevation_std_deg", i, elevation_std_deg),
                "true_elevation_deg": float(true_elevation[i]),
            }
        bearings.append(bearing)
    if not bearings:
        return None
    if "ue" in record:
        bearings[0]["emitter"] = f"ue-{record['ue']}"
    station = {"id": station_id} | pose.to_dict()
    keys = ("method", "num_sources", "sample_start", "sample_count")
    return (
        {"station": station, "time_s": time_s}
        | {k: record[k] for k in keys if k in record}
        | {"bearings": bearings}
    )


def _own(record: dict, key: str, index: int, default: float) -> float:
    values = record.get(key)
    return float(values[index]) if values is not None and index < len(values) else default
