"""Manifold-calibrated MUSIC: the calibration table, its interpolation, and accuracy on an impaired array."""

from __future__ import annotations

import io

import numpy as np
import pytest
from gnuradio.bearing.array.impairments import Impairments, array_response
from gnuradio.bearing.doa.calibrated_music import CalibrationTable, calibrated_music
from gnuradio.bearing.doa.metrics import summarize_errors
from gnuradio.bearing.learned.training_data import source_covariances
from helpers.baseline_data import CARRIER_HZ, GEOMETRY, GRID_DEG, IMPAIRMENTS, ideal_music_errors_deg

SWEEP_DEG = np.round(np.linspace(-60.0, 60.0, 241), 1)  # 0.5 deg


def referenced(response: np.ndarray) -> np.ndarray:
    """Columns of ``(M, N)`` with element 0 real positive and norm sqrt(M): what fit measures."""
    unit = response * np.exp(-1j * np.angle(response[:1])) / np.linalg.norm(response, axis=0)
    return np.sqrt(response.shape[0]) * unit


@pytest.fixture(scope="module")
def table() -> CalibrationTable:
    """Exact table of the impaired array: noise-free covariances on a 0.5 deg sweep."""
    covariances = source_covariances(GEOMETRY, SWEEP_DEG, CARRIER_HZ, IMPAIRMENTS, None, 1, 0)
    return CalibrationTable.fit(covariances, SWEEP_DEG, GRID_DEG)


def test_calibrated_music_removes_the_impairments_where_ideal_music_fails(table):
    rng = np.random.default_rng(100)
    truth = rng.uniform(-59.0, 59.0, 200)  # off the calibration angles
    covariances = source_covariances(GEOMETRY, truth, CARRIER_HZ, IMPAIRMENTS, 20.0, 100, rng)
    calibrated = np.array([calibrated_music(r, table, 1)[0] for r in covariances])
    ideal = ideal_music_errors_deg(covariances, truth)
    # Measured with these seeds: p80 0.088 deg calibrated, 8.25 deg ideal (max 0.24 deg calibrated).
    assert summarize_errors(calibrated - truth)["p80_deg"] < 0.5
    assert summarize_errors(calibrated - truth)["max_deg"] < 1.0
    assert summarize_errors(ideal)["p80_deg"] > 1.0


def test_table_is_the_measured_response_on_the_calibration_angles(table):
    on_sweep = np.flatnonzero(np.isin(np.round(GRID_DEG, 6), np.round(SWEEP_DEG, 6)))
    assert on_sweep.size == SWEEP_DEG.size
    response = array_response(GEOMETRY, SWEEP_DEG, CARRIER_HZ, IMPAIRMENTS)[0]
    np.testing.assert_allclose(table.steering[:, on_sweep], referenced(response), atol=1e-10)
    assert table.covered.all()


def test_amplitude_and_unwrapped_phase_are_interpolated_linearly():
    measured = np.array(
        [[1.0, 1.0], [2.0 * np.exp(1j * np.deg2rad(170)), 4.0 * np.exp(1j * np.deg2rad(-170))]]
    )
    table = CalibrationTable(np.array([0.0, 10.0]), measured, np.array([0.0, 2.5, 5.0, 10.0]))
    np.testing.assert_allclose(np.abs(table.steering[1]), [2.0, 2.5, 3.0, 4.0])
    np.testing.assert_allclose(
        np.angle(table.steering[1], deg=True), [170.0, 175.0, 180.0, -170.0], atol=1e-9
    )
    np.testing.assert_allclose(table.steering[0], 1.0)


def test_grid_beyond_the_sweep_is_clamped_and_not_searched():
    sweep = np.linspace(-20.0, 20.0, 81)
    covariances = source_covariances(GEOMETRY, sweep, CARRIER_HZ, IMPAIRMENTS, None, 1, 0)
    table = CalibrationTable.fit(covariances, sweep, GRID_DEG)
    np.testing.assert_array_equal(table.covered, np.abs(GRID_DEG) <= 20.0 + 1e-9)
    np.testing.assert_allclose(table.steering[:, GRID_DEG < -20.0], table.measured[:, :1] * np.ones((1, 400)))
    np.testing.assert_allclose(table.steering[:, GRID_DEG > 20.0], table.measured[:, -1:] * np.ones((1, 400)))
    # A source at 40 deg, outside the sweep: no estimate from the clamped part of the grid.
    outside = source_covariances(GEOMETRY, [40.0], CARRIER_HZ, IMPAIRMENTS, 20.0, 100, 1)[0]
    assert np.all(np.abs(calibrated_music(outside, table, 1)) <= 20.0)


def test_repeated_angles_average_their_covariances():
    rng = np.random.default_rng(3)
    noisy = source_covariances(GEOMETRY, [10.0, 10.0, 30.0], CARRIER_HZ, IMPAIRMENTS, 0.0, 20, rng)
    repeated = CalibrationTable.fit(noisy, [10.0, 10.0 + 1e-8, 30.0], GRID_DEG)
    averaged = CalibrationTable.fit([(noisy[0] + noisy[1]) / 2, noisy[2]], [10.0, 30.0], GRID_DEG)
    np.testing.assert_array_equal(repeated.calibration_deg, [10.0, 30.0])
    np.testing.assert_allclose(repeated.measured, averaged.measured, atol=1e-12)
    assert not np.allclose(
        repeated.measured, CalibrationTable.fit(noisy[1:], [10.0, 30.0], GRID_DEG).measured
    )


def test_arrays_round_trip_through_npz(table):
    buffer = io.BytesIO()
    np.savez(buffer, **table.to_arrays())
    buffer.seek(0)
    with np.load(buffer) as arrays:
        loaded = CalibrationTable.from_arrays(dict(arrays))
    np.testing.assert_array_equal(loaded.steering, table.steering)
    np.testing.assert_array_equal(loaded.covered, table.covered)
    r = source_covariances(GEOMETRY, [12.3], CARRIER_HZ, IMPAIRMENTS, 10.0, 50, 4)[0]
    np.testing.assert_array_equal(loaded.spectrum(r, 1), table.spectrum(r, 1))


def test_ideal_noise_free_covariance_is_the_outer_product_of_the_steering_vector():
    azimuths = np.array([-45.0, 0.0, 33.0])
    exact = source_covariances(GEOMETRY, azimuths, CARRIER_HZ, Impairments.ideal(4), None, 1, 0)
    a = GEOMETRY.steering(azimuths, CARRIER_HZ)
    np.testing.assert_allclose(exact, np.einsum("mn,kn->nmk", a, a.conj()), atol=1e-12)
    noisy = source_covariances(GEOMETRY, azimuths, CARRIER_HZ, Impairments.ideal(4), 0.0, 20_000, 5)
    np.testing.assert_allclose(noisy, exact + np.eye(4), atol=0.05)


@pytest.mark.parametrize(
    ("covariances", "azimuths_deg", "grid_deg", "match"),
    [
        (np.eye(4), [0.0], GRID_DEG, r"shape \(N, M, M\)"),
        (np.ones((2, 4, 3)), [0.0, 1.0], GRID_DEG, r"shape \(N, M, M\)"),
        (np.stack([np.eye(4)] * 2), [0.0], GRID_DEG, r"azimuths_deg .* shape \(N,\) = \(2,\)"),
        (np.stack([np.eye(4)] * 2), [5.0, 5.0], GRID_DEG, "calibration_deg must be 1-D with at least 2"),
        (
            np.stack([np.eye(4)] * 2),
            [0.0, 1.0],
            GRID_DEG[::-1],
            "grid_deg must be finite and strictly increasing",
        ),
        (np.stack([np.eye(4)] * 2), [0.0, 1.0], [30.0, 40.0], "does not overlap the calibrated span"),
        (np.stack([np.eye(4)] * 2), [0.0, np.nan], GRID_DEG, "azimuths_deg must be finite"),
    ],
)
def test_bad_calibration_data_is_refused(covariances, azimuths_deg, grid_deg, match):
    with pytest.raises(ValueError, match=match):
        CalibrationTable.fit(covariances, azimuths_deg, grid_deg)


def test_bad_tables_and_covariances_are_refused(table):
    with pytest.raises(ValueError, match=r"measured must have shape \(M, C\) = \(M, 2\)"):
        CalibrationTable(np.array([0.0, 1.0]), np.ones((4, 3)), GRID_DEG)
    with pytest.raises(ValueError, match="lack"):
        CalibrationTable.from_arrays({"grid_deg": GRID_DEG})
    with pytest.raises(ValueError, match="covariance is 3 x 3 but the array geometry has 4 elements"):
        calibrated_music(np.eye(3), table, 1)
    with pytest.raises(ValueError, match="num_sources"):
        calibrated_music(np.eye(4), table, 4)


def test_a_sweep_round_the_circle_wraps_across_180_degrees():
    """A UCA's sweep every 10 deg from -180 to 170: the table closes the circle (170 .. 190 = -170)
    and covers every azimuth; calibrated MUSIC finds a source in the gap across +-180."""
    from gnuradio.bearing.array.geometry import steering_matrix, uca

    geometry = uca(6, 0.5)
    sweep = np.arange(-180.0, 180.0, 10.0)
    response = steering_matrix(geometry.positions_m, sweep, 1.0)
    covariances = np.einsum("mn,kn->nmk", response, response.conj())
    grid = np.arange(-180.0, 180.0, 0.5)
    table = CalibrationTable.fit(covariances, sweep, grid)
    assert table.circular and table.covered.all()
    truth = steering_matrix(geometry.positions_m, 175.0, 1.0)
    covariance = truth @ truth.conj().T + 1e-3 * np.eye(6)
    assert calibrated_music(covariance, table, 1)[0] == pytest.approx(175.0, abs=1.5)
    assert not CalibrationTable.fit(covariances[:-6], sweep[:-6], grid).circular  # a 60 deg gap
