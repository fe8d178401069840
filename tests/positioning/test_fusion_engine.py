"""The fusion engine: epochs, labelled and unlabelled emitters, tracks, GeoJSON; and the static
point of the study against the position CRB."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.orientation import Orientation
from gnuradio.bearing.positioning.association import AssociationError, associate
from gnuradio.bearing.positioning.frames import LocalFrame, true_bearing_deg
from gnuradio.bearing.positioning.fusion import FusionEngine, FusionSettings
from gnuradio.bearing.positioning.report import StationPose, decode_report, encode_report
from gnuradio.bearing.positioning.tracking import Track
from gnuradio.bearing.positioning.triangulation import Lines
from gnuradio.bearing.studies.positioning import static_point

FRAME = LocalFrame(48.8566, 2.3522, 35.0)
RING = np.deg2rad([0.0, 120.0, 240.0])
STATIONS = np.stack((150 * np.sin(RING), 150 * np.cos(RING), np.zeros(3)), axis=1)
HEADINGS = (190.0, 290.0, 50.0)


def report(station: int, time_s: float, emitters: dict, rng=None, std_deg=0.5, geodetic=True):
    """Station ``station``'s report of emitters ``{id or None: ENU position}`` (an id starting
    with "?" names an emitter whose bearing carries no id)."""
    position = FRAME.to_geodetic(STATIONS[station]) if geodetic else STATIONS[station]
    keys = ("latitude_deg", "longitude_deg", "altitude_m") if geodetic else ("east_m", "north_m", "up_m")
    pose = StationPose.from_dict(
        Orientation(HEADINGS[station]).to_dict() | dict(zip(keys, position, strict=True))
    )
    bearings = []
    for emitter, target in emitters.items():
        azimuth, _ = true_bearing_deg(np.asarray(target) - STATIONS[station])
        local = float((azimuth - HEADINGS[station] + 180.0) % 360.0 - 180.0)
        noise = 0.0 if rng is None else rng.normal(0.0, std_deg)
        bearing = {"azimuth_deg": local + noise, "azimuth_std_deg": std_deg}
        if emitter is not None and not emitter.startswith("?"):
            bearing["emitter"] = emitter
        bearings.append(bearing)
    fields = {"station": {"id": f"s{station}"} | pose.to_dict(), "time_s": time_s, "bearings": bearings}
    return decode_report(encode_report(fields))


def walk(t):
    return np.array([-20.0 + 2.0 * t, 10.0 - 1.0 * t, 0.0])


def test_a_walking_labelled_emitter_is_fixed_every_epoch_and_tracked_at_its_speed():
    rng = np.random.default_rng(1)
    engine = FusionEngine(
        FusionSettings(fix_interval_s=0.5, expected_stations=3, origin=FRAME, acceleration_psd=0.01)
    )
    records = []
    for k in range(40):
        t = 0.5 * k + 0.25
        for station in range(3):
            records += engine.add(report(station, t, {"ue-1": walk(t)}, rng))
    records += engine.flush()
    assert len(records) == 40 and {r["emitter"] for r in records} == {"ue-1"}
    last = records[-1]
    errors = [
        np.hypot(r["east_m"] - walk(r["time_s"])[0], r["north_m"] - walk(r["time_s"])[1]) for r in records
    ]
    assert np.median(errors) < 3.0
    assert last["track"]["velocity_enu_mps"] == pytest.approx([2.0, -1.0], abs=0.5)
    assert last["stations"] == ["s0", "s1", "s2"] and last["gated_stations"] == []
    assert set(last) >= {"latitude_deg", "longitude_deg", "altitude_m", "ellipse", "gdop", "covariance_m2"}
    lat, lon, _ = FRAME.to_geodetic([last["east_m"], last["north_m"], last["up_m"]])
    assert (last["latitude_deg"], last["longitude_deg"]) == pytest.approx((lat, lon))


def test_an_epoch_waits_for_every_station_then_a_late_report_is_counted_and_dropped():
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0, expected_stations=3))
    target = {"ue-1": [0.0, 0.0, 0.0]}
    assert engine.add(report(0, 0.5, target)) == [] and engine.add(report(1, 0.5, target)) == []
    assert engine.add(report(0, 1.5, target)) == [] and engine.add(report(1, 1.5, target)) == []
    assert engine.add(report(2, 0.5, target)) == []  # station 2 has not moved past epoch 0 yet
    closed = engine.add(report(2, 1.5, target))
    assert [r["time_s"] for r in closed] == [0.5]
    engine.add(report(0, 2.5, target)), engine.add(report(1, 2.5, target)), engine.add(report(2, 2.5, target))
    assert engine.add(report(2, 0.7, target)) == [] and engine.counts["late"] == 1


def test_a_silent_station_holds_the_others_back_no_longer_than_max_lag():
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0, expected_stations=3, max_lag_s=0.5))
    target = {"ue-1": [0.0, 0.0, 0.0]}
    for station in range(3):
        engine.add(report(station, 0.5, target), wall_s=100.0)
    assert engine.add(report(0, 1.5, target), wall_s=100.2) == []  # station 2 is still live
    # Station 2 went silent: at 101.0 it was last heard 1 s ago; epoch 0 waited for it 1 s,
    # nor epoch 1 (its first report came 0.8 s ago).
    closed = engine.add(report(1, 1.5, target), wall_s=101.0)
    assert [r["time_s"] for r in closed] == [0.5, 1.5]
    assert closed[0]["stations"] == ["s0", "s1", "s2"] and closed[1]["stations"] == ["s0", "s1"]


def test_two_unlabelled_emitters_are_told_apart_from_ghosts_and_keep_their_tracks():
    rng = np.random.default_rng(2)
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0, expected_stations=3, origin=FRAME))
    a, b = np.array([30.0, 20.0, 0.0]), np.array([-40.0, -10.0, 0.0])
    for k in range(6):
        for station in range(3):
            engine.add(report(station, k + 0.5, {None: a, "_b": b}, rng))
    engine.flush()
    # "_b" is labelled; the unlabelled emitter a is found by association
    unlabelled = [r for r in engine.fixes if r["emitter"] is None]
    assert len(unlabelled) == 6 and {r["track_id"] for r in unlabelled} == {"track-1"}
    assert np.hypot(unlabelled[-1]["east_m"] - a[0], unlabelled[-1]["north_m"] - a[1]) < 3.0


def test_association_without_ids_finds_both_emitters_and_no_ghost():
    targets = [np.array([30.0, 20.0, 0.0]), np.array([-40.0, -10.0, 0.0])]
    rows, station_of = [], []
    for station in range(3):
        for target in targets:
            azimuth, _ = true_bearing_deg(target - STATIONS[station])
            rows.append(azimuth)
            station_of.append(station)
    lines = Lines.from_degrees(STATIONS[station_of], rows, 0.5)
    groups = associate(lines, station_of)
    assert sorted(sorted(g.tolist()) for g in groups) == [[0, 2, 4], [1, 3, 5]]
    with pytest.raises(AssociationError, match="hypotheses"):
        associate(lines, station_of, max_hypotheses=10)


def test_a_constant_velocity_track_converges_to_the_velocity():
    rng = np.random.default_rng(4)
    track = Track.start("t", 0.0, [0.0, 0.0], np.eye(2), acceleration_psd=0.01)
    for k in range(1, 60):
        track.update(k * 0.5, np.array([3.0, -1.0]) * k * 0.5 + rng.normal(0, 1.0, 2), np.eye(2))
    assert track.state[2:] == pytest.approx([3.0, -1.0], abs=0.3)


def test_geojson_holds_stations_fixes_and_tracks_and_needs_a_geodetic_origin():
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0, expected_stations=3))
    for k in range(3):
        for station in range(3):
            engine.add(report(station, k + 0.5, {"ue-1": walk(k)}))
    engine.flush()
    features = engine.geojson()["features"]
    kinds = [f["properties"]["kind"] for f in features]
    assert kinds.count("station") == 3 and kinds.count("fix") == 3 and kinds.count("track") == 1
    lon, lat, _ = features[0]["geometry"]["coordinates"]
    assert abs(lat - FRAME.latitude_deg) < 0.01 and abs(lon - FRAME.longitude_deg) < 0.01
    local = FusionEngine(FusionSettings(fix_interval_s=1.0))
    for station in range(3):
        local.add(report(station, 0.5, {"ue-1": walk(0)}, geodetic=False))
    assert local.flush()[0]["east_m"] == pytest.approx(walk(0)[0], abs=1e-3)
    with pytest.raises(ValueError, match="origin"):
        local.geojson()


def test_three_stations_at_100_m_reach_the_position_crb_with_music_bearings():
    """The acceptance point, shortened (docs/positioning.md has 500 trials): 10 dB, MUSIC on
    ideal 4-element ULAs, fixes weighted by the bearing CRB."""
    result = static_point(trials=150, seed=5)
    assert result.ratio < 1.5
    assert result.bearing_rmse_deg < 1.5 * result.bearing_crb_deg


def test_a_partition_fuses_only_its_share_of_the_emitters():
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0, expected_stations=3, emitters="ue-[0-4]"))
    for station in range(3):
        engine.add(
            report(station, 0.5, {"ue-1": [0.0, 0.0, 0.0], "ue-7": [10.0, 5.0, 0.0], None: [-20.0, 0.0, 0.0]})
        )
    assert [r["emitter"] for r in engine.flush()] == ["ue-1"]


def test_a_station_with_a_clock_far_ahead_does_not_silence_the_others():
    """Its lone epoch closes by lag; the others' epochs are not late for it."""
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0, max_lag_s=0.5))
    target = {"ue-1": [0.0, 0.0, 0.0]}
    engine.add(report(2, 1e6, target), wall_s=100.0)
    assert engine.poll(101.0) == []  # its epoch closed: one station, no fix
    for k in range(3):
        for station in (0, 1):
            engine.add(report(station, k + 0.5, target), wall_s=101.0 + k)
    engine.flush()
    assert engine.counts["late"] == 0 and engine.counts["fixes"] == 3


def test_an_unlabelled_fix_goes_to_the_near_track_not_a_stale_one_and_stale_tracks_expire():
    """A walker seen once (then gone) and a walker seen every second: the second keeps its own
    track, though the first one's prediction has grown wide; the first expires after 5 s."""
    engine = FusionEngine(
        FusionSettings(fix_interval_s=1.0, expected_stations=3, track_timeout_s=5.0, origin=FRAME)
    )
    gone, walker = np.array([60.0, 60.0, 0.0]), np.array([-30.0, 10.0, 0.0])
    for k in range(8):
        emitters = {"?walker": walker + np.array([0.5 * k, 0.0, 0.0])}
        for station in range(3):
            engine.add(report(station, k + 0.5, emitters | ({"?gone": gone} if k == 0 else {})))
    engine.flush()
    first, *rest = [r for r in engine.fixes if np.hypot(r["east_m"] - 60.0, r["north_m"] - 60.0) > 20.0]
    assert len(rest) == 7 and {r["track_id"] for r in rest} == {first["track_id"]}
    assert list(engine.tracks) == [("track", first["track_id"])]  # the one seen once expired


def test_a_3d_line_whose_elevation_misses_is_gated_out():
    from gnuradio.bearing.positioning.triangulation import Lines, solve_fix

    stations = np.array([[0.0, -100.0, 0.0], [-100.0, 0.0, 0.0], [0.0, 100.0, 0.0], [100.0, 0.0, 0.0]])
    target = np.array([5.0, 5.0, 20.0])
    azimuth, elevation = true_bearing_deg(target - stations)
    elevation[3] += 10.0
    fix = solve_fix(Lines.from_degrees(stations, azimuth, 0.5, elevation, 0.5), dims=3)
    assert fix.used.tolist() == [True, True, True, False]
    assert np.allclose(fix.position_enu, target, atol=1e-3)


def test_stations_mixing_geodetic_and_local_positions_need_an_origin(caplog):
    target = {"ue-1": np.array([5.0, -8.0, 0.0])}
    mixed = [report(0, 0.25, target), report(1, 0.25, target, geodetic=False), report(2, 0.25, target)]
    engine = FusionEngine(FusionSettings(expected_stations=2))
    for r in [*mixed, report(1, 0.3, target, geodetic=False)]:
        engine.add(r)
    records = engine.flush()
    assert engine.counts["no_origin"] == 2 and set(engine.stations) == {"s0", "s2"}
    (warning,) = [r.getMessage() for r in caplog.records if "no_origin" in r.getMessage()]
    assert warning.startswith(
        "station 's1' gives local east/north metres, the first station heard a geodetic"
    )
    # The first heard gives metres: the geodetic ones are dropped, the local one kept.
    engine = FusionEngine(FusionSettings(expected_stations=1))
    for r in (mixed[1], mixed[0], mixed[2]):
        engine.add(r)
    assert engine.counts["no_origin"] == 2 and set(engine.stations) == {"s1"}
    # About the first station heard, the other geodetic one is where it is: the fix is right.
    (fix,) = records
    latitude, longitude, _ = FRAME.to_geodetic(target["ue-1"])
    assert (fix["latitude_deg"], fix["longitude_deg"]) == pytest.approx((latitude, longitude), abs=1e-6)
    engine = FusionEngine(FusionSettings(expected_stations=3, origin=FRAME))
    for r in mixed:
        engine.add(r)
    (fix,) = engine.flush()
    assert engine.counts["no_origin"] == 0 and sorted(fix["stations"]) == ["s0", "s1", "s2"]
    assert np.hypot(fix["east_m"] - 5.0, fix["north_m"] + 8.0) < 1e-3


def test_a_bearing_no_horizontal_direction_gives_is_counted_off_horizon():
    # A ULA rolled 60 deg: the cones of azimuths beyond 30 deg miss the horizon.
    station = {"id": "s9", "heading_deg": 0.0, "roll_deg": 60.0, "east_m": 0.0, "north_m": 0.0}
    station["aperture"] = {"kind": "linear", "broadside_deg": 0.0}
    bearings = [{"azimuth_deg": a, "azimuth_std_deg": 1.0} for a in (50.0, 10.0)]
    engine = FusionEngine(FusionSettings(expected_stations=1))
    engine.add(decode_report(encode_report({"station": station, "time_s": 0.25, "bearings": bearings})))
    engine.flush()
    assert engine.counts["off_horizon"] == 1
    (drawn,) = engine.map_state()["stations"]
    assert len(drawn["bearings_deg"]) == 1 and np.isfinite(drawn["bearings_deg"]).all()
