"""A multi-station scene: stations with their poses and their own impaired arrays, emitters
moving along paths, written as one SigMF capture per station and a truth file
(``bearing simulate --preset scene_three_stations --out DIR``; docs/positioning.md).

Time runs in windows: window ``k`` is one capture segment of ``snapshots`` samples that starts
``k * window_interval_s`` after the scene's start; its time is its centre sample's. In window ``k`` each
station sees each emitter at the emitter's position at that time, from its own position and
mount: the direct path's direction in the array's frame (stations and emitters stand at one
height, so the path is horizontal; a tilted or rolled mount, narrowband scenes only, sees it
off its own horizontal plane) at the SNR ``snr_db - 20 log10(r / 100 m)``
(free-space loss from 100 m). The captures are the simulator's
(:mod:`~gnuradio.bearing.captures.simulation`): one emitter per window and emitter, active in
that window only, labelled with the emitter's id, so every annotation is the truth of its
window exactly. Each station's array has its own impairment realisation (``rho``, ``seed``).
Segments lie back to back in the file; on the receiver's clock (``core:global_index``) they
are ``window_interval_s`` apart, and ``core:datetime`` dates the first.

Files in ``DIR``: ``scene.json`` (this scene, :meth:`Scene.to_dict`, with each station's
capture name), ``<station>.sigmf-meta``/``-data`` (``core:geolocation``,
``spatial:aperture_azimuth``, or ``spatial:aperture_bearing`` and ``spatial:aperture_rotation``
for a tilted or rolled mount), ``truth.json`` (each emitter's position at every window's
centre, ENU and WGS-84).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..array.geometry import direction_angles_deg, wavelength_m, wrap_deg
from ..array.orientation import Orientation
from ..captures.scenario import ArraySpec, Emitter, ImpairmentConfig, Scenario
from ..captures.simulation import simulate, write
from ..nr import simulator as srs_simulator
from ..nr import srs as nr_srs
from ..nr.simulator import SrsScenario, SrsUe, demo_srs_scenario, srs_calibration_ula4_scenario
from ..nr.srs import SrsConfig
from .frames import LocalFrame, true_bearing_deg

REFERENCE_RANGE_M = 100.0

CALIBRATION_STEP_DEG = 0.25
"""Azimuth step of an SRS scene's calibration sweeps (:meth:`Scene.calibration_scenario`), degrees."""


@dataclass(frozen=True)
class SceneStation:
    """A station: its id, ENU position (m), mount (heading east of north, tilt, roll: degrees,
    :class:`~gnuradio.bearing.array.orientation.Orientation`) and array impairments."""

    station_id: str
    enu_m: tuple[float, float, float]
    heading_deg: float
    rho: float = 1.0
    impairment_seed: int = 0
    tilt_deg: float = 0.0
    roll_deg: float = 0.0

    @property
    def orientation(self) -> Orientation:
        return Orientation(self.heading_deg, self.tilt_deg, self.roll_deg)


@dataclass(frozen=True)
class SceneEmitter:
    """An emitter moving along ``waypoints`` ``((time_s, east_m, north_m), ...)``, straight and
    at constant speed between them, still before the first and after the last; ``snr_db`` at
    100 m."""

    emitter_id: str
    waypoints: tuple[tuple[float, float, float], ...]
    snr_db: float = 20.0

    def positions(self, time_s: np.ndarray) -> np.ndarray:
        """ENU positions ``(T, 3)`` at ``time_s`` ``(T,)`` (height 0)."""
        points = np.asarray(self.waypoints, dtype=np.float64)
        east = np.interp(time_s, points[:, 0], points[:, 1])
        north = np.interp(time_s, points[:, 0], points[:, 2])
        return np.stack((east, north, np.zeros_like(east)), axis=1)


@dataclass(frozen=True)
class Scene:
    """Stations and emitters over ``num_windows`` windows (module docstring)."""

    origin: LocalFrame
    stations: tuple[SceneStation, ...]
    emitters: tuple[SceneEmitter, ...]
    frequency_hz: float = 4.85e9
    sample_rate_hz: float = 1.0e6
    num_elements: int = 4
    snapshots: int = 1024
    window_interval_s: float = 0.1
    num_windows: int = 100
    start: str = "2026-12-07T12:00:00Z"
    seed: int = 0
    srs: bool = False
    srs_period_slots: int = 40

    def __post_init__(self) -> None:
        if self.window_interval_s * self.sample_rate_hz < self.snapshots:
            raise ValueError("window_interval_s is shorter than a window of snapshots")
        ids = [s.station_id for s in self.stations]
        if len(set(ids)) != len(ids) or not ids:
            raise ValueError(f"station ids must be distinct and there must be some: {ids}")
        tilted = [s.station_id for s in self.stations if not s.orientation.level]
        if self.srs and tilted:
            raise ValueError(
                f"stations {tilted}: an SRS scene's stations are level (the simulator gives an SRS "
                "UE one elevation per capture, and a tilted mount sees a walking UE's change)"
            )

    @property
    def start_time_s(self) -> float:
        return datetime.datetime.fromisoformat(self.start.replace("Z", "+00:00")).timestamp()

    def window_times_s(self) -> np.ndarray:
        """The centre of each window, seconds after the start, ``(num_windows,)`` (of an SRS
        scene: the start of each occasion's slot)."""
        if self.srs:
            return self._occasion_slots() * (self.srs_period_s / self.srs_period_slots)
        return np.arange(self.num_windows) * self.window_interval_s + self.snapshots / (
            2.0 * self.sample_rate_hz
        )

    def station_scenario(self, index: int) -> Scenario | SrsScenario:
        """The simulator's scenario of station ``index`` (module docstring)."""
        if self.srs:
            return self._srs_station_scenario(index)
        station = self.stations[index]
        times = self.window_times_s()
        emitters = []
        for emitter in self.emitters:
            offsets, azimuth, elevation = _seen_from(station, emitter, times)
            snr = emitter.snr_db - 20.0 * np.log10(np.linalg.norm(offsets, axis=1) / REFERENCE_RANGE_M)
            emitters += [
                Emitter(
                    azimuth_deg=float(azimuth[k]),
                    elevation_deg=float(elevation[k]),
                    snr_db=float(snr[k]),
                    first_segment=k,
                    last_segment=k,
                    label=emitter.emitter_id,
                )
                for k in range(self.num_windows)
            ]
        return Scenario(
            array=ArraySpec(
                kind="ula", num_elements=self.num_elements, spacing_m=wavelength_m(self.frequency_hz) / 2
            ),
            frequency_hz=self.frequency_hz,
            sample_rate_hz=self.sample_rate_hz,
            emitters=tuple(emitters),
            snapshots_per_segment=self.snapshots,
            num_segments=self.num_windows,
            gap_samples=round(self.window_interval_s * self.sample_rate_hz) - self.snapshots,
            impairments=ImpairmentConfig(rho=station.rho, seed=station.impairment_seed),
            seed=self.seed + index,
            description=f"gr-bearing scene: station {station.station_id}",
        )

    def write(self, folder: str | Path) -> list[Path]:
        """Writes the scene into ``folder`` (module docstring); returns the captures' paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for index, station in enumerate(self.stations):
            if self.srs:
                simulated = srs_simulator.simulate(self.station_scenario(index))
                meta_path = Path(srs_simulator.write(simulated, folder / station.station_id))
            else:
                meta_path = write(simulate(self.station_scenario(index)), folder / station.station_id)
            meta = json.loads(meta_path.read_text())
            lat, lon, alt = self.origin.to_geodetic(station.enu_m)
            meta["global"]["core:geolocation"] = {
                "type": "Point",
                "coordinates": [float(lon), float(lat), float(alt)],
            }
            meta["captures"][0]["core:datetime"] = self.start
            for capture in meta["captures"]:
                if station.orientation.level:
                    capture["spatial:aperture_azimuth"] = station.heading_deg
                else:
                    capture["spatial:aperture_bearing"] = {
                        "azimuth": station.heading_deg,
                        "elevation": station.tilt_deg,
                    }
                    capture["spatial:aperture_rotation"] = station.roll_deg
            meta_path.write_text(json.dumps(meta, indent=2))
            paths.append(meta_path)
        (folder / "scene.json").write_text(json.dumps(self.to_dict(), indent=2))
        (folder / "truth.json").write_text(json.dumps(self.truth(), indent=2))
        return paths

    def truth(self) -> dict:
        """Each emitter's position at every window's centre (``time_s`` since the UNIX epoch)."""
        times = self.window_times_s()
        emitters = {}
        for emitter in self.emitters:
            enu = emitter.positions(times)
            geodetic = self.origin.to_geodetic(enu)
            emitters[emitter.emitter_id] = {
                "east_m": enu[:, 0].tolist(),
                "north_m": enu[:, 1].tolist(),
                "up_m": enu[:, 2].tolist(),
                "latitude_deg": geodetic[:, 0].tolist(),
                "longitude_deg": geodetic[:, 1].tolist(),
            }
        return {
            "origin": dataclasses.asdict(self.origin),
            "time_s": (self.start_time_s + times).tolist(),
            "emitters": emitters,
        }

    @property
    def srs_period_s(self) -> float:
        """Seconds between an SRS scene's occasions."""
        return self.srs_period_slots * 1e-3 / 2 ** self._srs_base().carrier.mu

    def _srs_base(self) -> SrsScenario:
        """The carrier, band and SRS of the MoD-DNN paper's testbed (``srs_ula4``), this scene's UEs."""
        ues = tuple(
            SrsUe(
                srs=SrsConfig(ue=i, c_srs=63, k_tc=2, comb_offset=i % 2, t_srs=self.srs_period_slots),
                azimuth_deg=0.0,
                label=emitter.emitter_id,
            )
            for i, emitter in enumerate(self.emitters)
        )
        return dataclasses.replace(
            demo_srs_scenario(), ues=ues, num_slots=self.num_windows * self.srs_period_slots
        )

    def _occasion_slots(self) -> np.ndarray:
        """The slots of the UEs' occasions (all UEs sound in the same slots)."""
        base = self._srs_base()
        ue = base.ues[0]
        return np.array(
            [
                s
                for s in range(base.num_slots)
                if nr_srs.is_occasion(ue.srs, base.carrier.mu, *base.slot_time(s))
            ]
        )

    def _srs_station_scenario(self, index: int) -> SrsScenario:
        """Station ``index``'s SRS capture: each UE's azimuth at each occasion from its path, its
        SNR from its mean range; the station's own impaired array."""
        station = self.stations[index]
        base = self._srs_base()
        times = self.window_times_s()
        ues = []
        for ue, emitter in zip(base.ues, self.emitters, strict=True):
            offsets, local, _ = _seen_from(station, emitter, times)
            distance = float(np.mean(np.linalg.norm(offsets, axis=1)))
            snr = emitter.snr_db - 20.0 * np.log10(distance / REFERENCE_RANGE_M)
            track = tuple(float(v) for v in local)
            ues.append(
                dataclasses.replace(
                    ue, azimuth_deg=track[0], azimuth_track_deg=track, snr_db=float(snr), range_m=distance
                )
            )
        return dataclasses.replace(
            base,
            array=ArraySpec(
                kind="ula", num_elements=self.num_elements, spacing_m=wavelength_m(self.frequency_hz) / 2
            ),
            frequency_hz=self.frequency_hz,
            ues=tuple(ues),
            impairments=ImpairmentConfig(rho=station.rho, seed=station.impairment_seed),
            seed=self.seed + index,
            description=f"gr-bearing SRS scene: gNB {station.station_id}",
        )

    def calibration_scenario(self, index: int) -> SrsScenario:
        """The calibration sweep of station ``index``'s own array, what its MoD-DNN model learns
        from (``bearing train``): ``srs_calibration_ula4`` on that array (one UE at 20 dB, one
        occasion every tenth slot) from -60 to 60 deg in :data:`CALIBRATION_STEP_DEG` steps, one
        occasion per angle (481 occasions).

        The 1-deg steps of ``srs_calibration_ula4`` (121 occasions) teach each subregion's
        calibrator about 37 spectra, too few: gnb-1's bearings of a UE walking about -40 deg had
        p80 0.61 deg with them, 0.36 with these. The MoD-DNN paper's chamber sweep has 1-deg
        steps but 450 SRS symbols per angle; docs/positioning.md gives the figures.
        """
        station = self.stations[index]
        base = srs_calibration_ula4_scenario()
        sweep = tuple(np.arange(-60.0, 60.0 + CALIBRATION_STEP_DEG / 2, CALIBRATION_STEP_DEG).tolist())
        ue = dataclasses.replace(
            base.ues[0], azimuth_deg=sweep[0], azimuth_end_deg=None, azimuth_track_deg=sweep
        )
        return dataclasses.replace(
            base,
            ues=(ue,),
            num_slots=len(sweep) * ue.srs.t_srs,
            impairments=ImpairmentConfig(rho=station.rho, seed=station.impairment_seed),
            seed=self.seed + 1000 + index,
            description=f"gr-bearing SRS calibration sweep of gNB {station.station_id}'s array",
        )

    def to_dict(self) -> dict:
        fields = dataclasses.asdict(self)
        fields["stations"] = [s | {"capture": f"{s['station_id']}.sigmf-meta"} for s in fields["stations"]]
        return fields

    @classmethod
    def from_dict(cls, fields: dict) -> Scene:
        fields = dict(fields)
        fields["origin"] = LocalFrame(**fields["origin"])
        fields["stations"] = tuple(
            SceneStation(**{k: v for k, v in s.items() if k != "capture"} | {"enu_m": tuple(s["enu_m"])})
            for s in fields["stations"]
        )
        fields["emitters"] = tuple(
            SceneEmitter(e["emitter_id"], tuple(tuple(w) for w in e["waypoints"]), e["snr_db"])
            for e in fields["emitters"]
        )
        return cls(**fields)


def _seen_from(
    station: SceneStation, emitter: SceneEmitter, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The emitter's ENU offsets ``(T, 3)`` from the station at ``times`` and their azimuths and
    elevations in the station's array frame ``(T,)`` each, degrees (azimuth in ``[-180, 180)``;
    on a level mount the true azimuth minus the heading)."""
    offsets = emitter.positions(times) - np.asarray(station.enu_m)
    east, north, up = (offsets / np.linalg.norm(offsets, axis=1, keepdims=True)).T
    in_array = station.orientation.to_array(np.stack((north, -east, up), axis=1))  # local: N, W, U
    azimuth, elevation = direction_angles_deg(in_array)
    return offsets, wrap_deg(azimuth), elevation


def three_stations_scene() -> Scene:
    """The preset ``scene_three_stations``: three stations 120 degrees apart on a circle of
    120 m, each the demo's impaired 4-element ULA at 4.85 GHz (rho 1, its own realisation)
    looking 15 degrees beside the centre; two emitters walking at 1.4 m/s for 10 s across the
    middle (20 dB at 100 m); 100 windows of 256 snapshots, one every 0.1 s (the bundled
    ``examples/data/scene_three_stations``)."""
    placement = np.deg2rad([0.0, 120.0, 240.0])
    stations = []
    for i, angle in enumerate(placement):
        enu = (120.0 * np.sin(angle), 120.0 * np.cos(angle), 0.0)
        to_centre = float(true_bearing_deg(-np.asarray(enu))[0])
        stations.append(
            SceneStation(f"station-{i + 1}", tuple(map(float, enu)), (to_centre + 15.0) % 360.0, 1.0, 11 + i)
        )
    emitters = (
        SceneEmitter("walker-1", ((0.0, -10.0, -20.0), (10.0, 4.0, -20.0)), 20.0),
        SceneEmitter("walker-2", ((0.0, 15.0, 20.0), (10.0, 15.0, 6.0)), 20.0),
    )
    return Scene(LocalFrame(48.8566, 2.3522, 35.0), tuple(stations), emitters, snapshots=256)


def three_gnbs_scene() -> Scene:
    """The preset ``scene_three_gnbs``: three gNBs where :func:`three_stations_scene` has its
    stations, each the MoD-DNN paper's impaired 4-element ULA at 4.85 GHz (rho 1, its own
    realisation) looking 30 degrees beside the centre, hearing two UEs on the paper's 100 MHz
    carrier (``srs_ula4``: comb-2 SRS over 272 RB) that sound every 40 slots (20 ms) while they
    walk at 5 m/s for 2 s (20 dB at 100 m): 100 occasions per UE."""
    stations = tuple(
        dataclasses.replace(s, heading_deg=(s.heading_deg + 15.0) % 360.0, station_id=f"gnb-{i + 1}")
        for i, s in enumerate(three_stations_scene().stations)
    )
    emitters = (
        SceneEmitter("ue-0", ((0.0, -15.0, -20.0), (2.0, -5.0, -20.0)), 20.0),
        SceneEmitter("ue-1", ((0.0, 20.0, 15.0), (2.0, 20.0, 5.0)), 20.0),
    )
    return Scene(
        LocalFrame(48.8566, 2.3522, 35.0), stations, emitters, num_windows=100, srs=True, srs_period_slots=40
    )


SCENE_PRESETS = {"scene_three_stations": three_stations_scene, "scene_three_gnbs": three_gnbs_scene}
"""The scenes of ``bearing simulate --preset NAME --out DIR``."""
