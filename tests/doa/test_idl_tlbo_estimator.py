"""The IDL-TLBO estimator (doa/idl_tlbo_estimator.py): bearings with the array's gains, from a covariance."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import steering_matrix, ula, ura, wavelength_m
from gnuradio.bearing.array.impairments import (
    IDL_TLBO_PERTURBATION,
    array_response,
    draw_impairments,
    perturbation_spec,
)
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.doa.idl_tlbo_estimator import IdlTlboEstimator, gain_variance
from gnuradio.bearing.doa.self_calibration import without_linear_phase

FREQUENCY_HZ = 28e9
WAVELENGTH_M = wavelength_m(FREQUENCY_HZ)
URA8 = ura(8, 8, WAVELENGTH_M / 2, WAVELENGTH_M / 2)
CHANNEL_ERRORS = perturbation_spec(1.0, 10.0, 0.0)


def one_snapshot(rng: np.random.Generator, a: np.ndarray, snr_db: float) -> np.ndarray:
    """``y y^H`` of one snapshot of the source ``a`` ``(M,)`` with unit amplitude at ``snr_db``."""
    noise = complex_normal(rng, a.shape) * 10 ** (-snr_db / 20)
    y = a * np.exp(2j * np.pi * rng.random()) + noise
    return np.outer(y, y.conj())


def test_gain_variance_is_the_second_moment_of_the_drawn_gains() -> None:
    spec = perturbation_spec(0.5, 20.0, 0.2e-3)
    rng = np.random.default_rng(0)
    log_gain = np.log(10) / 20 * spec.gain_std_db * rng.standard_normal(400_000)
    phase = np.deg2rad(spec.phase_std_deg) * rng.standard_normal(400_000)
    phase += 2 * np.pi / WAVELENGTH_M * spec.position_std_m * rng.standard_normal(400_000)
    drawn = np.mean(np.abs(np.exp(log_gain + 1j * phase) - 1) ** 2)
    assert gain_variance(spec, WAVELENGTH_M) == pytest.approx(drawn, rel=0.01)


def test_one_snapshot_on_the_ideal_array_finds_the_source() -> None:
    a = steering_matrix(URA8.positions_m, 25.3, WAVELENGTH_M, -7.9)[:, 0]
    r = one_snapshot(np.random.default_rng(1), a, 30.0)
    estimate = IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION).estimate(r, 1, 1)
    assert estimate.azimuth_deg[0] == pytest.approx(25.3, abs=0.2)
    assert estimate.elevation_deg[0] == pytest.approx(-7.9, abs=0.2)
    assert estimate.gains[0] == 1
    assert np.all(np.diff(estimate.history) <= 0)
    assert estimate.history.size == 101


def test_one_source_gives_the_nominal_maximum_likelihood_bearing() -> None:
    """With one source the gains fit any direction: the prior alone decides, and the MAP bearing
    is the nominal array's maximum-likelihood (Bartlett) peak (module docstring)."""
    rng = np.random.default_rng(2)
    impairments = draw_impairments(64, 1.0, rng, IDL_TLBO_PERTURBATION)
    a = array_response(URA8, 40.0, FREQUENCY_HZ, impairments, elevation_deg=10.0)[0, :, 0]
    r = one_snapshot(rng, a, 10.0)
    estimate = IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION).estimate(r, 1, 1)

    def bartlett(direction: np.ndarray) -> float:
        steering = steering_matrix(URA8.positions_m, direction[0], WAVELENGTH_M, direction[1])[:, 0]
        return float(np.real(steering.conj() @ r @ steering))

    found = np.array([estimate.azimuth_deg[0], estimate.elevation_deg[0]])
    around = found + 0.01 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1]])
    assert all(bartlett(found) >= bartlett(point) for point in around)


def test_the_same_seed_gives_the_same_estimate() -> None:
    a = steering_matrix(URA8.positions_m, -12.0, WAVELENGTH_M, 3.0)[:, 0]
    r = one_snapshot(np.random.default_rng(3), a, 0.0)
    first, second = (
        IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION, seed=7).estimate(r, 1, 1)
        for _ in range(2)
    )
    assert np.array_equal(first.azimuth_deg, second.azimuth_deg)
    assert np.array_equal(first.gains, second.gains)
    assert np.array_equal(first.history, second.history)


def test_self_calibration_of_a_ula_from_three_unknown_sources() -> None:
    """Gains identified up to their linear phase trend, and the bearings' separations calibrated."""
    geometry = ula(8, WAVELENGTH_M / 2)
    truth = np.array([-30.0, 5.0, 40.0])
    rng = np.random.default_rng(4)
    gains = 10 ** (rng.standard_normal(8) / 20) * np.exp(1j * np.deg2rad(10 * rng.standard_normal(8)))
    gains /= gains[0]
    a = steering_matrix(geometry.positions_m, truth, WAVELENGTH_M)
    x = gains[:, None] * (a @ complex_normal(rng, (3, 500))) + 0.1 * complex_normal(rng, (8, 500))
    r = x @ x.conj().T / 500
    estimator = IdlTlboEstimator(geometry, WAVELENGTH_M, CHANNEL_ERRORS)
    estimate = estimator.estimate(r, 500, 3)
    expected = without_linear_phase(gains, geometry.positions_m)
    assert np.max(np.abs(estimate.gains - expected)) < 0.1
    assert np.max(np.abs(np.angle(estimate.gains / expected))) < np.deg2rad(3)
    found = np.sort(estimate.azimuth_deg)
    shift = np.sin(np.deg2rad(found)) - np.sin(np.deg2rad(truth))
    assert np.ptp(shift) < 0.002  # one common shift in sin(azimuth): the linear trend left open
    assert estimator.planar is False and estimate.elevation_deg is None


def test_plain_tlbo_and_the_literal_search_run_on_the_same_objective() -> None:
    a = steering_matrix(URA8.positions_m, 10.0, WAVELENGTH_M, 0.0)[:, 0]
    r = one_snapshot(np.random.default_rng(5), a, 20.0)
    for options in ({"optimiser": "tlbo"}, {"closed_form": False}):
        estimator = IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION, iterations=30, **options)
        estimate = estimator.estimate(r, 1, 1)
        assert estimate.azimuth_deg[0] == pytest.approx(10.0, abs=1.0)


@pytest.mark.parametrize(
    ("covariance", "sources", "message"),
    [
        (np.full((64, 64), np.nan), 1, "finite"),
        (np.eye(16), 1, "64 elements"),
        (np.eye(64), 64, "fewer than the 64 elements"),
    ],
)
def test_bad_input_is_refused(covariance: np.ndarray, sources: int, message: str) -> None:
    estimator = IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION, iterations=1)
    with pytest.raises(ValueError, match=message):
        estimator.estimate(covariance, 1, sources)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="optimiser"):
        IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION, optimiser="pso")
    with pytest.raises(ValueError, match="must not all be zero"):
        IdlTlboEstimator(URA8, WAVELENGTH_M, perturbation_spec(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="population"):
        IdlTlboEstimator(URA8, WAVELENGTH_M, IDL_TLBO_PERTURBATION, population=1)


def test_one_known_bearing_fixes_the_common_shift() -> None:
    geometry = ula(8, WAVELENGTH_M / 2)
    truth = np.array([-30.0, 5.0, 40.0])
    rng = np.random.default_rng(6)
    gains = 10 ** (rng.standard_normal(8) / 20) * np.exp(1j * np.deg2rad(10 * rng.standard_normal(8)))
    gains /= gains[0]
    a = steering_matrix(geometry.positions_m, truth, WAVELENGTH_M)
    x = gains[:, None] * (a @ complex_normal(rng, (3, 2000))) + 0.1 * complex_normal(rng, (8, 2000))
    r = x @ x.conj().T / 2000
    estimator = IdlTlboEstimator(geometry, WAVELENGTH_M, CHANNEL_ERRORS)
    free = np.sort(estimator.estimate(r, 2000, 3).azimuth_deg)
    anchored = estimator.estimate(r, 2000, 3, reference_deg=(-30.0, 0.0))
    found = np.sort(anchored.azimuth_deg)
    assert found[0] == pytest.approx(-30.0, abs=1e-6)
    assert np.max(np.abs(found - truth)) < 0.05 < np.max(np.abs(free - truth))
    assert np.max(np.abs(anchored.gains - gains)) < 0.1  # the gains themselves, trend and all
    with pytest.raises(ValueError, match="2 or more sources"):
        estimator.estimate(r, 2000, 1, reference_deg=(-30.0, 0.0))
