"""Fixes from bearing lines: exact crossings, gating, rays, degenerate geometry, GDOP, ellipse, CRB."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.positioning.frames import LocalFrame, direction_enu, true_bearing_deg
from gnuradio.bearing.positioning.triangulation import FixError, Lines, error_ellipse, position_crb, solve_fix

RING = np.deg2rad([0.0, 120.0, 240.0])
STATIONS = np.stack((100 * np.sin(RING), 100 * np.cos(RING), np.zeros(3)), axis=1)


def lines_to(target, stations=STATIONS, std_deg=1.0, elevation=False):
    azimuth, el = true_bearing_deg(np.asarray(target) - stations)
    if elevation:
        return Lines.from_degrees(stations, azimuth, std_deg, el, std_deg)
    return Lines.from_degrees(stations, azimuth, std_deg)


def test_noiseless_lines_cross_at_the_emitter_in_2d_and_3d():
    assert np.allclose(solve_fix(lines_to([7.0, -4.0, 0.0])).position_enu[:2], [7.0, -4.0], atol=1e-6)
    raised = STATIONS + np.array([[0, 0, 10.0], [0, 0, 25.0], [0, 0, 0.0]])
    fix = solve_fix(lines_to([7.0, -4.0, 12.0], raised, elevation=True), dims=3)
    assert fix.dims == 3 and np.allclose(fix.position_enu, [7.0, -4.0, 12.0], atol=1e-5)


def test_a_2d_fix_stands_at_the_mean_height_of_its_stations():
    raised = STATIONS + np.array([[0, 0, 10.0], [0, 0, 20.0], [0, 0, 30.0]])
    assert solve_fix(lines_to([1.0, 2.0, 0.0], raised)).position_enu[2] == pytest.approx(20.0)


def test_a_bearing_far_off_is_gated_out_and_the_others_keep_the_fix():
    stations = np.vstack((STATIONS, [[60.0, 60.0, 0.0]]))
    azimuth, _ = true_bearing_deg(np.array([7.0, -4.0, 0.0]) - stations)
    azimuth[3] += 40.0
    fix = solve_fix(Lines.from_degrees(stations, azimuth, 1.0))
    assert fix.used.tolist() == [True, True, True, False]
    assert np.allclose(fix.position_enu[:2], [7.0, -4.0], atol=1e-4)
    assert abs(fix.residuals[3]) > 3.0


def test_a_line_is_a_ray_an_emitter_behind_a_station_misses_its_bearing_by_180_degrees():
    """Station 0 looks away from the point the two others cross at: it is gated out, not
    taken as a line through that point."""
    stations = np.vstack((STATIONS, [[0.0, -50.0, 0.0]]))
    azimuth, _ = true_bearing_deg(np.array([0.0, 0.0, 0.0]) - stations)
    azimuth[3] = (azimuth[3] + 180.0) % 360.0
    fix = solve_fix(Lines.from_degrees(stations, azimuth, 1.0))
    assert not fix.used[3] and abs(fix.residuals[3]) == pytest.approx(180.0, abs=1e-3)


def test_parallel_lines_or_one_station_fix_no_point():
    stations = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    with pytest.raises(FixError, match="fix no point"):
        solve_fix(Lines.from_degrees(stations, [0.0, 0.0], 1.0))
    with pytest.raises(FixError, match="do not cross"):  # the lines cross behind both stations
        solve_fix(Lines.from_degrees(stations, [0.0, 5.0], 1.0))
    with pytest.raises(FixError, match="two stations"):
        solve_fix(Lines.from_degrees(stations[:1], [0.0], 1.0))
    with pytest.raises(FixError, match="elevation"):
        solve_fix(lines_to([0.0, 0.0, 0.0]), dims=3)


def test_bad_lines_are_refused():
    with pytest.raises(ValueError, match="standard deviation"):
        Lines.from_degrees(STATIONS, [0.0, 1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match=r"\(L, 3\)"):
        Lines.from_degrees(np.zeros((3, 2)), [0.0, 1.0, 2.0], 1.0)


def test_gdop_of_three_stations_120_degrees_apart_is_sqrt_4_3_and_grows_for_a_narrow_base():
    assert solve_fix(lines_to([0.0, 0.0, 0.0])).gdop == pytest.approx(np.sqrt(4 / 3), rel=1e-3)
    narrow = np.array([[-10.0, -100.0, 0.0], [0.0, -100.0, 0.0], [10.0, -100.0, 0.0]])
    assert solve_fix(lines_to([0.0, 0.0, 0.0], narrow)).gdop > 5.0


def test_the_error_ellipse_of_a_diagonal_covariance():
    ellipse = error_ellipse(np.diag([1.0, 4.0]), probability=0.95)
    scale = np.sqrt(-2 * np.log(0.05))
    assert ellipse["semi_major_m"] == pytest.approx(2 * scale)
    assert ellipse["semi_minor_m"] == pytest.approx(scale)
    assert ellipse["orientation_deg"] == pytest.approx(0.0, abs=1e-9) or ellipse[
        "orientation_deg"
    ] == pytest.approx(180.0)
    assert error_ellipse(np.diag([4.0, 1.0]))["orientation_deg"] == pytest.approx(90.0)


def test_monte_carlo_fixes_reach_the_position_crb():
    """Gaussian bearing errors of the stated deviation: the fixes' RMSE is the CRB's (±15 %) and
    the fix covariance is the CRB at the truth."""
    rng = np.random.default_rng(3)
    target = np.array([5.0, -3.0, 0.0])
    truth = lines_to(target, std_deg=1.0)
    errors = []
    for _ in range(400):
        noisy = Lines.from_degrees(STATIONS, np.rad2deg(truth.azimuth_rad) + rng.normal(0, 1.0, 3), 1.0)
        errors.append(solve_fix(noisy).position_enu[:2] - target[:2])
    rmse = np.sqrt(np.mean(np.sum(np.square(errors), axis=1)))
    crb = position_crb(target, truth)
    assert rmse == pytest.approx(np.sqrt(np.trace(crb)), rel=0.15)
    assert np.allclose(solve_fix(truth).covariance, crb, rtol=1e-6)


def test_the_local_frame_round_trips_and_directions_agree_with_bearings():
    frame = LocalFrame(48.8566, 2.3522, 35.0)
    enu = np.array([[100.0, -50.0, 3.0], [-2000.0, 1500.0, -10.0]])
    assert np.allclose(frame.to_enu(*frame.to_geodetic(enu).T), enu, atol=1e-6)
    azimuth, elevation = true_bearing_deg(direction_enu([30.0, 300.0], [10.0, -5.0]))
    assert np.allclose(azimuth, [30.0, 300.0]) and np.allclose(elevation, [10.0, -5.0])
