"""Multi-station scenes: the captures carry their stations' poses and clocks, the truth is the
emitters' paths; a 5G SRS scene's UEs follow their paths occasion by occasion; the scores."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from gnuradio.bearing.array.horizon import Aperture
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from gnuradio.bearing.flowgraphs.station_replay import replay_stations, station_reports
from gnuradio.bearing.nr.simulator import SrsUe, demo_srs_scenario
from gnuradio.bearing.nr.simulator import simulate as simulate_srs
from gnuradio.bearing.positioning.evaluation import Truth, score_fixes
from gnuradio.bearing.positioning.frames import true_bearing_deg
from gnuradio.bearing.positioning.fusion import FusionEngine, FusionSettings
from gnuradio.bearing.positioning.report import ReportError, decode_report
from gnuradio.bearing.positioning.scene import (
    CALIBRATION_STEP_DEG,
    Scene,
    three_gnbs_scene,
    three_stations_scene,
)
from gnuradio.bearing.positioning.station import capture_pose, capture_segment_times


def small(scene: Scene, windows: int) -> Scene:
    return dataclasses.replace(
        scene, stations=tuple(dataclasses.replace(s, rho=0.0) for s in scene.stations), num_windows=windows
    )


def test_a_scenes_captures_carry_their_poses_clocks_and_the_truth(tmp_path):
    scene = small(three_stations_scene(), 6)
    paths = scene.write(tmp_path)
    assert Scene.from_dict(json.loads((tmp_path / "scene.json").read_text())) == scene
    for path, station in zip(paths, scene.stations, strict=True):
        capture = read_capture(path)
        pose = capture_pose(capture)
        assert pose.orientation.heading_deg == station.heading_deg
        assert np.allclose(scene.origin.to_enu(*pose.position), station.enu_m, atol=1e-6)
        starts = [t for _, t in capture_segment_times(capture)]
        assert np.allclose(np.diff(starts), scene.window_interval_s)
        truths = [t for t in capture.truths if t.label == "walker-1"]
        positions = scene.emitters[0].positions(scene.window_times_s())
        expected = (
            true_bearing_deg(positions - np.asarray(station.enu_m))[0] - station.heading_deg + 180
        ) % 360 - 180
        assert np.allclose([t.azimuth_deg for t in truths], expected, atol=1e-9)
    truth = Truth.from_dict(json.loads((tmp_path / "truth.json").read_text()))
    assert truth.time_s[0] == pytest.approx(scene.start_time_s + scene.window_times_s()[0])


def test_replayed_stations_fix_both_walkers_within_a_metre_on_ideal_arrays(tmp_path):
    scene = small(three_stations_scene(), 10)
    scene.write(tmp_path)
    reports, count = replay_stations(tmp_path, ReplaySettings(method="music", num_sources=2), 0.3)
    engine = FusionEngine(FusionSettings(expected_stations=count, origin=scene.origin))
    for report in reports:
        engine.add(report)
    engine.flush()
    scores = score_fixes(list(engine.fixes), Truth.from_dict(scene.truth()))
    assert scores["all"]["fixes"] == 20 and scores["all"]["p95_m"] < 1.0
    assert {"walker-1", "walker-2"} <= set(scores)


def test_an_srs_ue_follows_its_track_occasion_by_occasion():
    base = demo_srs_scenario()
    ue = base.ues[0]
    occasions = base.num_occasions(ue)
    track = tuple(np.linspace(-30.0, 10.0, occasions))
    scenario = dataclasses.replace(base, ues=(dataclasses.replace(ue, azimuth_track_deg=track),))
    simulated = simulate_srs(scenario)
    assert np.allclose([t.azimuth_deg for t in simulated.truths], track)
    with pytest.raises(ValueError, match=f"{occasions - 1} values for the UE's {occasions} occasions"):
        simulate_srs(dataclasses.replace(base, ues=(dataclasses.replace(ue, azimuth_track_deg=track[1:]),)))
    with pytest.raises(ValueError, match="not both"):
        SrsUe(srs=ue.srs, azimuth_deg=0.0, azimuth_end_deg=5.0, azimuth_track_deg=(1.0,))


def test_a_5g_scene_gives_each_ue_its_labelled_fixes(tmp_path):
    scene = small(three_gnbs_scene(), 3)
    scene.write(tmp_path)
    reports = [r for p in sorted(tmp_path.glob("*.sigmf-meta")) for r in station_reports(p, ReplaySettings())]
    assert len(reports) == 3 * 3 * 2 and {r.bearings[0].emitter for r in reports} == {"ue-0", "ue-1"}
    engine = FusionEngine(
        FusionSettings(fix_interval_s=scene.srs_period_s, expected_stations=3, origin=scene.origin)
    )
    for report in sorted(reports, key=lambda r: r.time_s):
        engine.add(report)
    engine.flush()
    scores = score_fixes(list(engine.fixes), Truth.from_dict(scene.truth()))
    assert scores["ue-0"]["fixes"] == scores["ue-1"]["fixes"] == 3
    assert scores["all"]["p95_m"] < 2.0


def test_a_5g_scenes_calibration_sweeps_each_gnbs_own_array_in_quarter_degrees():
    scene = three_gnbs_scene()
    sweeps = [scene.calibration_scenario(i) for i in range(len(scene.stations))]
    for sweep, station in zip(sweeps, scene.stations, strict=True):
        (ue,) = sweep.ues
        assert (sweep.impairments.rho, sweep.impairments.seed) == (station.rho, station.impairment_seed)
        assert sweep.num_occasions(ue) == len(ue.azimuth_track_deg) == 481
        assert np.allclose(np.diff(ue.azimuth_track_deg), CALIBRATION_STEP_DEG)
        assert (ue.azimuth_track_deg[0], ue.azimuth_track_deg[-1]) == (-60.0, 60.0)
    assert len({s.seed for s in sweeps} | {scene.seed + i for i in range(3)}) == 6  # own noise draws
    short = dataclasses.replace(
        sweeps[0], ues=(dataclasses.replace(ue, azimuth_track_deg=ue.azimuth_track_deg[:4]),), num_slots=40
    )
    assert [t.azimuth_deg for t in simulate_srs(short).truths] == [-60.0, -59.75, -59.5, -59.25]


def tilted(scene: Scene) -> Scene:
    """The scene's stations tilted and rolled as mast-mounted arrays are (down 8 to 12 degrees)."""
    mounts = ((-10.0, 0.0), (-8.0, 4.0), (-12.0, -5.0))
    return dataclasses.replace(
        scene,
        stations=tuple(
            dataclasses.replace(s, tilt_deg=t, roll_deg=r)
            for s, (t, r) in zip(scene.stations, mounts, strict=True)
        ),
    )


def test_tilted_and_rolled_stations_fix_the_walkers_from_their_horizon_bearings(tmp_path):
    scene = tilted(small(three_stations_scene(), 10))
    paths = scene.write(tmp_path)
    for path, station in zip(paths, scene.stations, strict=True):
        capture = read_capture(path)
        assert capture.orientation == station.orientation
        assert capture_pose(capture).aperture == Aperture("linear", 0.0)
        assert max(abs(t.elevation_deg) for t in capture.truths) > 3.0  # off the array's plane
    reports, count = replay_stations(tmp_path, ReplaySettings(method="music", num_sources=2), 0.3)
    truth = Truth.from_dict(scene.truth())

    def fixes(reports, dims: int | None = None) -> dict:
        engine = FusionEngine(FusionSettings(expected_stations=count, origin=scene.origin, dims=dims))
        for report in reports:
            engine.add(report)
        engine.flush()
        return score_fixes(list(engine.fixes), truth)

    scores = fixes(reports)
    assert scores["all"]["fixes"] == 20 and scores["all"]["p95_m"] < 1.0
    # Read as lying in the array's own horizontal plane (elevation 0 there), the same bearings
    # miss by metres: what the horizon directions mend.
    in_plane = [
        dataclasses.replace(
            r,
            bearings=tuple(
                dataclasses.replace(b, elevation_deg=0.0, elevation_std_deg=1.0) for b in r.bearings
            ),
        )
        for r in reports
    ]
    assert fixes(in_plane, dims=2)["all"]["p95_m"] > 3.0 * scores["all"]["p95_m"]


def test_a_tilted_station_without_its_aperture_is_refused_with_the_reason(tmp_path):
    scene = tilted(small(three_stations_scene(), 2))
    scene.write(tmp_path)
    (report, *_) = station_reports(tmp_path / "station-1.sigmf-meta", ReplaySettings(method="music"))
    fields = json.loads(json.dumps(report.fields))
    assert fields["station"]["aperture"] == {"kind": "linear", "broadside_deg": 0.0}
    assert "true_azimuth_deg" in fields["bearings"][0]
    del fields["station"]["aperture"]
    with pytest.raises(
        ReportError, match="no_aperture report: station 'station-1': the array is tilted -10 deg"
    ) as error:
        decode_report(json.dumps(fields))
    assert error.value.kind == "no_aperture" and "station.aperture" in str(error.value)
    with pytest.raises(ValueError, match="an SRS scene's stations are level"):
        tilted(three_gnbs_scene())
