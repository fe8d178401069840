"""The fusion engine of ``bearing locate``: bearing reports in, fixes and tracks out.

Time is cut into epochs of ``fix_interval_s`` by the reports' own ``time_s`` (the windows'
times, not the arrival times), so that a replay and the same stations over the network give
the same fixes. Per epoch the latest report of each station and set of emitter ids counts
(an SRS station sends one report per UE). An epoch is closed, and its
fixes solved, when

* every station heard so far (and at least ``expected_stations`` of them) has sent a report of
  a later epoch, or
* ``max_lag_s`` of wall-clock time have passed since its first report arrived (live only: a
  station that went silent holds the others back no longer than that), or
* the input ends (:meth:`FusionEngine.flush`).

A report that arrives for an epoch already closed is counted (``late``) and dropped (closed
epochs are remembered one by one: a station whose clock runs ahead closes only its own).
Without an ``origin`` the local frame is about the first station heard when it gives a
geodetic position, or the stations' own when it gives east/north metres; a station that gives
the other kind is counted (``no_origin``) and dropped, for where its metres start, or where
the geodetic stations lie in the others' metres, is not known.

A bearing is a line from its station along its true direction (the pose's mount applied); an
azimuth-only bearing of a tilted or rolled mount is the horizontal direction that the array
would measure it from (the fix takes emitters at the stations' height;
:mod:`~gnuradio.bearing.array.horizon`), and one that no horizontal direction gives is counted
(``off_horizon``) and dropped.

In a closed epoch the bearings are grouped by emitter: by their ``emitter`` id, and the others
by :func:`~.association.associate`. Every group with lines from two stations or more is fixed
(:func:`~.triangulation.solve_fix`; 3-D when a line has an elevation, unless ``dims`` is 2),
dated by the mean time of its reports, then given to its emitter's track
(:class:`~.tracking.Track`): by id, or, for emitters without an id, the track whose prediction
the fix falls within the gate of (chi-square, 99.9 %) at the least ``d^2 + ln det S``, else a
new track ``track-<n>``; a track without a fix for ``track_timeout_s`` expires. Each fix is a
record (docs/positioning.md), the whole run a GeoJSON FeatureCollection
(:meth:`FusionEngine.geojson`).
"""

from __future__ import annotations

import collections
import dataclasses
import fnmatch
import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from .association import AssociationError, associate
from .frames import LocalFrame
from .report import BearingReport, StationPose
from .tracking import DEFAULT_ACCELERATION_PSD, Track
from .triangulation import FixError, Lines, solve_fix

LOG = logging.getLogger("gr-bearing.locate")

FIX_SCHEMA = "gr-bearing/position-fix"
FIX_VERSION = 1
TRACK_GATE_PROBABILITY = 0.999
MAX_CACHED_POSES = 100_000
MAX_STATIONS = 10_000
"""Stations an engine follows; reports of more are counted (``too_many_stations``) and dropped."""
MAX_REPORTS_SHOWN = 64
"""Latest reports (one per emitter set) a station keeps for the map."""
KEPT_CLOSED_EPOCHS = 100_000
"""Closed epochs remembered (a report for one is late)."""
KEPT_TRACK_PATHS = 1000
"""Tracks whose paths the GeoJSON keeps (the latest)."""
KEPT_FIXES = 100_000
"""Fixes (and points of each track's path) an engine keeps for the map and the GeoJSON."""
MAP_PATH_POINTS = 300
"""Points of each track's path on the map."""


@dataclass(frozen=True)
class FusionSettings:
    """The engine's parameters (module docstring); times in seconds."""

    fix_interval_s: float = 0.1
    expected_stations: int = 0
    max_lag_s: float = 1.0
    dims: int | None = None
    gate_sigma: float = 3.0
    acceleration_psd: float = DEFAULT_ACCELERATION_PSD
    origin: LocalFrame | None = None
    track_timeout_s: float = 10.0
    """A track without a fix for this long (report time) is dropped from the live state."""
    emitters: str | None = None
    """Fuse only the emitters whose id matches this shell pattern (``fnmatch``: ``ue-[0-4]``),
    and no bearing without an id: one process's share of a partition. None: every bearing."""

    def __post_init__(self) -> None:
        if not self.fix_interval_s > 0:
            raise ValueError(f"fix_interval_s must be positive, not {self.fix_interval_s}")
        if self.dims not in (None, 2, 3):
            raise ValueError(f"dims must be 2, 3 or None (3 when elevations exist), not {self.dims}")


@dataclass
class Station:
    """What the engine knows of a station: its pose, its latest epoch, when it was last heard."""

    pose: StationPose
    epoch: int
    heard_wall_s: float | None
    reports: int = 0
    latest: dict = dataclasses.field(default_factory=dict)
    """The latest report per emitter ids (the map's bearing lines)."""


class FusionEngine:
    """Reports in (:meth:`add`), fix records out (module docstring)."""

    def __init__(self, settings: FusionSettings | None = None) -> None:
        self.settings = settings or FusionSettings()
        self.frame: LocalFrame | None = self.settings.origin
        self.stations: dict[str, Station] = {}
        self.tracks: dict[tuple[str, str], Track] = {}
        """The live tracks: ``("emitter", id)`` of an emitter with an id, ``("track", n)`` else."""
        self.fixes: collections.deque[dict] = collections.deque(maxlen=KEPT_FIXES)
        """The latest fixes (all of a replay; the last :data:`KEPT_FIXES` of a long live run)."""
        self.counts: collections.Counter[str] = collections.Counter()
        self._pending: dict[int, dict[tuple, BearingReport]] = {}
        """Per open epoch, the latest report per station and emitter ids (an SRS station sends
        one report per UE and occasion)."""
        self._first_arrival: dict[int, float | None] = {}
        self._closed: collections.deque[int] = collections.deque(maxlen=KEPT_CLOSED_EPOCHS)
        self._closed_set: set[int] = set()
        self._closed_floor = -math.inf
        self._track_paths: dict[str, collections.deque] = {}
        self._latest_fix: dict[str, dict] = {}
        self._unnamed_tracks = 0
        self._positions: dict[StationPose, np.ndarray] = {}
        self._geodetic: bool | None = None
        """Without an origin: whether the first station gave a geodetic position (the frame is
        then about it) or a local one; stations that give the other kind are refused."""
        self._refused: set[str] = set()
        """The stations refused so (each logged once)."""

    def add(self, report: BearingReport, wall_s: float | None = None) -> list[dict]:
        """Takes one report; returns the records of the epochs it closed."""
        epoch = math.floor(report.time_s / self.settings.fix_interval_s)
        if self.settings.origin is None:
            if self._geodetic is None:
                self._geodetic = report.pose.geodetic
                self.frame = LocalFrame.at(report.pose)
            elif report.pose.geodetic != self._geodetic:
                self.counts["no_origin"] += 1
                if report.station_id not in self._refused and len(self._refused) < MAX_STATIONS:
                    self._refused.add(report.station_id)
                    kinds = ("local east/north metres", "a geodetic position")
                    LOG.warning(
                        "station %r gives %s, the first station heard %s: its reports are dropped "
                        "(no_origin); give --origin LAT,LON[,ALT] to place both kinds",
                        report.station_id[:40],
                        kinds[report.pose.geodetic],
                        kinds[not report.pose.geodetic],
                    )
                return []
        station = self.stations.get(report.station_id)
        if station is None:
            if len(self.stations) >= MAX_STATIONS:
                self.counts["too_many_stations"] += 1
                return []
            station = self.stations[report.station_id] = Station(report.pose, epoch, wall_s)
        station.pose, station.heard_wall_s = report.pose, wall_s
        station.epoch = max(station.epoch, epoch)
        station.reports += 1
        key = (
            report.station_id,
            tuple(sorted({b.emitter for b in report.bearings if b.emitter is not None})),
        )
        if key not in station.latest and len(station.latest) >= MAX_REPORTS_SHOWN:
            station.latest.pop(next(iter(station.latest)))
        station.latest[key] = report
        self.counts["reports"] += 1
        if epoch in self._closed_set or epoch <= self._closed_floor:
            self.counts["late"] += 1
            return []
        reports = self._pending.setdefault(epoch, {})
        self._first_arrival.setdefault(epoch, wall_s)
        previous = reports.get(key)
        if previous is None or report.time_s >= previous.time_s:
            reports[key] = report
        return self._close(self._ready(wall_s))

    def poll(self, wall_s: float) -> list[dict]:
        """Closes the epochs that waited ``max_lag_s`` (a live service calls it regularly)."""
        return self._close(self._ready(wall_s))

    def flush(self) -> list[dict]:
        """Closes every epoch left (the end of a replay or of a run)."""
        return self._close(sorted(self._pending))

    def _ready(self, wall_s: float | None) -> list[int]:
        if not self._pending:
            return []
        enough = len(self.stations) >= self.settings.expected_stations
        slowest = min(station.epoch for station in self._live_stations(wall_s)) if enough else -math.inf
        ready = []
        for epoch in sorted(self._pending):
            first = self._first_arrival[epoch]
            waited = wall_s is not None and first is not None and wall_s - first > self.settings.max_lag_s
            if epoch < slowest or waited:
                ready.append(epoch)
            else:
                break
        return ready

    def _live_stations(self, wall_s: float | None) -> list[Station]:
        """Stations not silent for over ``max_lag_s`` (all of them in a replay)."""
        if wall_s is None:
            return list(self.stations.values())
        live = [
            s
            for s in self.stations.values()
            if s.heard_wall_s is None or wall_s - s.heard_wall_s <= self.settings.max_lag_s
        ]
        return live or list(self.stations.values())

    def _close(self, epochs: list[int]) -> list[dict]:
        records = []
        for epoch in epochs:
            reports = self._pending.pop(epoch)
            self._first_arrival.pop(epoch)
            self._remember_closed(epoch)
            for emitter, lines, station_ids, times in self._groups(reports):
                record = self._fix(float(np.mean(times)), emitter, lines, station_ids)
                if record is not None:
                    records.append(record)
            self._expire_tracks((epoch + 1) * self.settings.fix_interval_s)
        self.fixes.extend(records)
        return records

    def _remember_closed(self, epoch: int) -> None:
        """Marks ``epoch`` closed (a later report for it is late); the oldest of the
        :data:`KEPT_CLOSED_EPOCHS` remembered are forgotten, and anything as old is late too."""
        if len(self._closed) == self._closed.maxlen:
            forgotten = self._closed.popleft()
            self._closed_set.discard(forgotten)
            self._closed_floor = max(self._closed_floor, forgotten)
        self._closed.append(epoch)
        self._closed_set.add(epoch)

    def _expire_tracks(self, now_s: float) -> None:
        """Drops the tracks without a fix for ``track_timeout_s`` from the live state (their
        paths stay for the GeoJSON, the latest :data:`KEPT_TRACK_PATHS` of them)."""
        for key in [k for k, t in self.tracks.items() if now_s - t.time_s > self.settings.track_timeout_s]:
            track = self.tracks.pop(key)
            self._latest_fix.pop(track.track_id, None)

    def _groups(self, reports: dict[tuple, BearingReport]) -> list[tuple[str | None, Lines, list[str], list]]:
        """(emitter id or None, its lines, their stations, their reports' times) per emitter of
        an epoch: one line per station and emitter id (the first its reports give), every line
        without an id."""
        labelled: dict[str, dict[str, tuple]] = collections.defaultdict(dict)
        unlabelled: list = []
        for key in sorted(reports):
            report, station_id = reports[key], key[0]
            for bearing, row in zip(report.bearings, self._lines_of(report), strict=True):
                if self.settings.emitters is not None and not fnmatch.fnmatchcase(
                    bearing.emitter or "", self.settings.emitters
                ):
                    continue
                if math.isnan(row[1]):
                    self.counts["no_aperture" if report.pose.no_aperture_reason() else "off_horizon"] += 1
                    continue
                if bearing.emitter is None:
                    unlabelled.append((station_id, report.time_s, *row))
                else:
                    labelled[bearing.emitter].setdefault(station_id, (station_id, report.time_s, *row))
        groups = [
            (emitter, _lines(list(rows.values())), list(rows), [r[1] for r in rows.values()])
            for emitter, rows in sorted(labelled.items())
        ]
        if unlabelled:
            lines = _lines(unlabelled)
            station_ids = [r[0] for r in unlabelled]
            try:
                found = associate(lines, station_ids, self.settings.gate_sigma)
            except AssociationError:
                self.counts["association_refused"] += 1
                found = []
            for group in found:
                keep = np.zeros(len(lines), dtype=bool)
                keep[group] = True
                groups.append(
                    (
                        None,
                        lines.subset(keep),
                        [station_ids[i] for i in group],
                        [unlabelled[i][1] for i in group],
                    )
                )
        return groups

    def _lines_of(self, report: BearingReport) -> list[tuple]:
        """(station ENU, true azimuth, its std, true elevation or NaN, its std) of each bearing of
        a report, degrees: the pose's rotation applied to all of them at once; an azimuth-only
        bearing of a tilted or rolled mount is the horizontal direction that gives it (NaN
        where none does, or without the aperture: :meth:`~.report.StationPose.true_azimuths_deg`)."""
        bearings = report.bearings
        azimuth_in = [b.azimuth_deg for b in bearings]
        has_elevation = np.array([not math.isnan(b.elevation_deg) for b in bearings])
        elevation_in = np.where(has_elevation, [b.elevation_deg for b in bearings], 0.0)
        azimuth, elevation = report.pose.true_azimuths_deg(azimuth_in, elevation_in)
        if not (has_elevation.all() or report.pose.orientation.level):  # level: the same directions
            azimuth = np.where(has_elevation, azimuth, report.pose.true_azimuths_deg(azimuth_in)[0])
        position = self._station_enu(report.pose)
        return [
            (
                position,
                float(azimuth[i]),
                b.azimuth_std_deg,
                float(elevation[i]) if has_elevation[i] else math.nan,
                b.elevation_std_deg,
            )
            for i, b in enumerate(bearings)
        ]

    def _station_enu(self, pose: StationPose) -> np.ndarray:
        """A station's ENU position, converted once per pose (geodetic conversions are slow)."""
        position = self._positions.get(pose)
        if position is None:
            if len(self._positions) > MAX_CACHED_POSES:
                self._positions.clear()
            position = (
                self.frame.station_enu(pose) if self.frame is not None else np.asarray(pose.position, float)
            )
            self._positions[pose] = position
        return position

    def _fix(self, time_s: float, emitter: str | None, lines: Lines, station_ids: list[str]) -> dict | None:
        if len(set(station_ids)) < 2:
            return None
        dims = 3 if self.settings.dims != 2 and np.any(lines.has_elevation) else 2
        try:
            fix = solve_fix(lines, dims=dims, gate_sigma=self.settings.gate_sigma)
        except (FixError, np.linalg.LinAlgError):
            self.counts["no_fix"] += 1
            return None
        position = fix.position_enu[:dims]
        track = self._track(time_s, emitter, position, fix.covariance)
        record = {
            "schema": FIX_SCHEMA,
            "version": FIX_VERSION,
            "time_s": time_s,
            "emitter": emitter,
            "track_id": track.track_id,
            "dims": dims,
            **self._coordinates(fix.position_enu),
            "covariance_m2": fix.covariance.tolist(),
            "ellipse": fix.ellipse(),
            "gdop": fix.gdop,
            "stations": [s for s, used in zip(station_ids, fix.used, strict=True) if used],
            "gated_stations": [s for s, used in zip(station_ids, fix.used, strict=True) if not used],
            "track": self._track_record(track),
        }
        self.counts["fixes"] += 1
        filtered = record["track"]["position_enu_m"]
        self._latest_fix[track.track_id] = record
        if track.track_id not in self._track_paths:
            if len(self._track_paths) >= KEPT_TRACK_PATHS:
                self._track_paths.pop(next(iter(self._track_paths)))
            self._track_paths[track.track_id] = collections.deque(maxlen=KEPT_FIXES)
        self._track_paths[track.track_id].append(
            [*filtered[:2], filtered[2] if dims == 3 else record["up_m"]]
        )
        return record

    def _track(
        self, time_s: float, emitter: str | None, position: np.ndarray, covariance: np.ndarray
    ) -> Track:
        key = ("emitter", emitter)
        if emitter is None:
            gate = chi2.ppf(TRACK_GATE_PROBABILITY, len(position))
            candidates = []
            for track_key, track in self.tracks.items():
                if track_key[0] == "track" and track.dims == len(position) and track.time_s < time_s:
                    distance2, log_det = track.distance2(time_s, position, covariance)
                    if distance2 <= gate:
                        candidates.append((distance2 + log_det, track_key))
            if candidates:
                key = min(candidates)[1]
            else:
                self._unnamed_tracks += 1
                key = ("track", f"track-{self._unnamed_tracks}")
        track = self.tracks.get(key)
        if track is None or track.dims != len(position):
            track = self.tracks[key] = Track.start(
                key[1], time_s, position, covariance, acceleration_psd=self.settings.acceleration_psd
            )
        else:
            track.update(time_s, position, covariance)
        return track

    def _coordinates(self, enu: np.ndarray) -> dict:
        fields = {"east_m": float(enu[0]), "north_m": float(enu[1]), "up_m": float(enu[2])}
        if self.frame is not None:
            lat, lon, alt = self.frame.to_geodetic(enu)
            fields |= {"latitude_deg": float(lat), "longitude_deg": float(lon), "altitude_m": float(alt)}
        return fields

    def _track_record(self, track: Track) -> dict:
        d = track.dims
        fields = {
            "position_enu_m": track.state[:d].tolist(),
            "velocity_enu_mps": track.state[d:].tolist(),
            "speed_mps": float(np.linalg.norm(track.state[d:])),
            "updates": track.updates,
        }
        if self.frame is not None:
            position = np.append(track.state[:d], 0.0)[:3]
            latitude, longitude, _ = self.frame.to_geodetic(position)
            fields |= {"latitude_deg": float(latitude), "longitude_deg": float(longitude)}
        return fields

    def map_state(self) -> dict:
        """What the map draws (:mod:`.map_page`): the stations with their current bearings
        (true azimuths), each track's recent path and latest fix, and the counts."""
        stations = []
        for station_id, station in sorted(self.stations.items()):
            east, north, _ = self._station_enu(station.pose)
            lines = [line for report in station.latest.values() for line in self._lines_of(report)]
            stations.append(
                {
                    "id": station_id,
                    "east_m": float(east),
                    "north_m": float(north),
                    "heading_deg": station.pose.orientation.heading_deg,
                    "bearings_deg": [line[1] for line in lines if not math.isnan(line[1])],
                }
            )
        tracks = []
        for track_id, fix in sorted(self._latest_fix.items()):
            path = list(itertools.islice(reversed(self._track_paths[track_id]), MAP_PATH_POINTS))[::-1]
            tracks.append(
                {
                    "track_id": track_id,
                    "emitter": fix["emitter"],
                    "speed_mps": fix["track"]["speed_mps"],
                    "path": [p[:2] for p in path],
                    "fix": {k: fix[k] for k in ("time_s", "east_m", "north_m", "ellipse", "gdop", "stations")}
                    | {k: fix[k] for k in ("latitude_deg", "longitude_deg") if k in fix},
                }
            )
        return {
            "origin": None if self.frame is None else dataclasses.asdict(self.frame),
            "stations": stations,
            "tracks": tracks,
            "reports": self.counts["reports"],
            "fixes": self.counts["fixes"],
            "dropped": dropped_text(self.counts),
        }

    def geojson(self) -> dict:
        """The stations, every fix and every track as a GeoJSON FeatureCollection (RFC 7946:
        longitude, latitude); ValueError when the scene has no geodetic origin."""
        if self.frame is None:
            raise ValueError("GeoJSON needs geodetic positions: the stations gave local ones; give an origin")
        features = []
        for station_id, station in sorted(self.stations.items()):
            lat, lon, alt = self.frame.to_geodetic(self._station_enu(station.pose))
            properties = {"kind": "station", "id": station_id, **station.pose.orientation.to_dict()}
            features.append(_point(lon, lat, alt, properties))
        for record in (r for r in self.fixes if "latitude_deg" in r):
            properties = {"kind": "fix"} | {
                k: record[k] for k in ("time_s", "emitter", "track_id", "dims", "ellipse", "gdop", "stations")
            }
            features.append(
                _point(record["longitude_deg"], record["latitude_deg"], record["altitude_m"], properties)
            )
        for track_id, path in sorted(self._track_paths.items()):
            geodetic = self.frame.to_geodetic(np.array(list(path)))
            coordinates = [[float(lon), float(lat)] for lat, lon, _ in geodetic]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coordinates},
                    "properties": {"kind": "track", "track_id": track_id},
                }
            )
        return {"type": "FeatureCollection", "features": features}


def dropped_text(*counts: dict) -> str:
    """``"kind n, ..."`` of every count but the reports, messages and fixes (what was dropped or
    lost, by kind), sorted; empty when nothing was."""
    merged = collections.Counter()
    for count in counts:
        merged.update(count)
    return ", ".join(
        f"{k} {v}" for k, v in sorted(merged.items()) if k not in ("messages", "reports", "fixes")
    )


def _lines(rows: list[tuple]) -> Lines:
    _, _, positions, azimuth, azimuth_std, elevation, elevation_std = zip(*rows, strict=True)
    return Lines.from_degrees(np.array(positions), azimuth, azimuth_std, elevation, elevation_std)


def _point(lon: float, lat: float, alt: float, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [float(lon), float(lat), float(alt)]},
        "properties": properties,
    }
