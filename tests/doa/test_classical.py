"""Angle-of-arrival estimators and the Estimator dispatcher (numpy only, no GNU Radio)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.covariance import forward_backward, sample_covariance, spatial_smoothing
from gnuradio.bearing.array.geometry import ArrayGeometry, steering_matrix, uca, ula
from gnuradio.bearing.doa.classical import (
    METHODS,
    Estimator,
    bartlett_spectrum,
    esprit,
    music_spectrum,
    mvdr_spectrum,
    root_music,
)
from gnuradio.bearing.doa.crb import crb_rmse_deg, stochastic_crb
from helpers.signals import noise_power, snapshots

WAVELENGTH_M = 1.0
HALF_WAVELENGTH_M = WAVELENGTH_M / 2.0
FINE_GRID_DEG = np.arange(-900, 901) / 10.0  # -90 .. 90 deg in 0.1 deg steps


def covariances(x: np.ndarray) -> list[np.ndarray]:
    """Sample covariance of each trial of ``snapshots(...)`` output ``(trials, M, T)``."""
    return [sample_covariance(trial) for trial in x]


def errors_deg(estimator: Estimator, covs: list[np.ndarray], truth_deg: np.ndarray) -> np.ndarray:
    """Estimation errors ``(trials, K)``, estimates and truth matched in ascending order."""
    estimates = [np.sort(estimator.estimate(r, truth_deg.size).azimuth_deg) for r in covs]
    assert all(e.size == truth_deg.size for e in estimates), "a source was missed"
    return np.array(estimates) - np.sort(truth_deg)


def rmse_deg(errors: np.ndarray) -> float:
    return float(np.sqrt(np.mean(errors**2)))


def model_covariance(geometry: ArrayGeometry, azimuth_deg: list[float], snr_db: float) -> np.ndarray:
    """Exact ``A A^H + sigma^2 I`` for unit-power uncorrelated sources."""
    a = steering_matrix(geometry.positions_m, azimuth_deg, WAVELENGTH_M)
    return a @ a.conj().T + noise_power(snr_db) * np.eye(geometry.num_elements)


# --- acceptance checks -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("method", ["music", "root-music"])
def test_two_sources_rmse_within_1_3_crb(method: str) -> None:
    """Acceptance 1: M = 8 half-wavelength ULA, sources at +-10 deg, T = 200, 10 dB, 200 trials."""
    geometry = ula(8, HALF_WAVELENGTH_M)
    truth_deg = np.array([-10.0, 10.0])
    covs = covariances(
        snapshots(geometry, WAVELENGTH_M, truth_deg, 10.0, 200, np.random.default_rng(1), num_trials=200)
    )
    crb = stochastic_crb(geometry, WAVELENGTH_M, truth_deg, [1.0, 1.0], noise_power(10.0), 200)

    rmse = rmse_deg(errors_deg(Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, method), covs, truth_deg))

    assert rmse <= 1.3 * crb_rmse_deg(crb), f"{method}: RMSE {rmse:.4f} deg, CRB {crb_rmse_deg(crb):.4f} deg"


@pytest.mark.slow
def test_coherent_sources_need_forward_backward_spatial_smoothing() -> None:
    """Acceptance 2: fully coherent pair at +-10 deg, M = 8, T = 200, 10 dB; FB-SS with L = 6."""
    geometry = ula(8, HALF_WAVELENGTH_M)
    subarray_length = 6
    truth_deg = np.array([-10.0, 10.0])
    covs = covariances(
        snapshots(
            geometry,
            WAVELENGTH_M,
            truth_deg,
            10.0,
            200,
            np.random.default_rng(2),
            num_trials=100,
            coherent=True,
        )
    )
    smoothed = Estimator(geometry.subarray(0, subarray_length), WAVELENGTH_M, FINE_GRID_DEG, "music")
    plain = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, "music")

    fbss_rmse = rmse_deg(
        errors_deg(
            smoothed, [spatial_smoothing(forward_backward(r), subarray_length) for r in covs], truth_deg
        )
    )
    plain_estimates = [plain.estimate(r, 2).azimuth_deg for r in covs]
    # A trial in which plain MUSIC finds a single peak counts as an infinite error on both sources.
    plain_errors = np.array(
        [np.sort(e) - truth_deg if e.size == 2 else [np.inf, np.inf] for e in plain_estimates]
    )

    assert fbss_rmse < 0.2, f"FB-SS MUSIC RMSE {fbss_rmse:.3f} deg"
    assert rmse_deg(plain_errors) > 3.0, f"plain MUSIC RMSE {rmse_deg(plain_errors):.3f} deg"


def test_single_source_high_snr_methods_agree() -> None:
    """Acceptance 3: one source at 23.4 deg, 30 dB, M = 8: Bartlett, MVDR, ESPRIT within 0.05 deg."""
    geometry = ula(8, HALF_WAVELENGTH_M)
    truth_deg = 23.4
    r = sample_covariance(
        snapshots(geometry, WAVELENGTH_M, [truth_deg], 30.0, 200, np.random.default_rng(3))[0]
    )
    estimator = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG)
    estimates = {}
    for method in ("bartlett", "mvdr", "esprit"):
        estimator.method = method
        (estimates[method],) = estimator.estimate(r, 1).azimuth_deg

    values = np.array(list(estimates.values()))
    assert np.ptp(values) < 0.05, estimates
    assert np.all(np.abs(values - truth_deg) < 0.05), estimates


def test_uca_music_finds_emitter_on_the_clockwise_side() -> None:
    """Acceptance 5: +40 deg (clockwise, towards -y) is found at +40, not at -40."""
    geometry = uca(8, HALF_WAVELENGTH_M)
    grid_deg = np.arange(-1800, 1800) / 10.0
    r = sample_covariance(snapshots(geometry, WAVELENGTH_M, [40.0], 20.0, 200, np.random.default_rng(4))[0])

    (azimuth_deg,) = Estimator(geometry, WAVELENGTH_M, grid_deg, "music").estimate(r, 1).azimuth_deg

    assert azimuth_deg == pytest.approx(40.0, abs=0.1)


# --- conventions and behaviour of every method ----------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_every_method_finds_a_positive_azimuth_on_a_ula(method: str) -> None:
    geometry = ula(8, HALF_WAVELENGTH_M)
    r = model_covariance(geometry, [30.0], 20.0)

    (azimuth_deg,) = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, method).estimate(r, 1).azimuth_deg

    assert azimuth_deg == pytest.approx(30.0, abs=1e-3)


@pytest.mark.parametrize("solver", [root_music, esprit])
def test_ula_solvers_use_the_broadside_of_a_rotated_array(solver) -> None:
    """An 8-element ULA whose broadside points at 60 deg: u . r_m = const + m d sin(az - 60)."""
    axis_azimuth_rad = np.deg2rad(60.0 + 90.0)
    steps = np.arange(8)[:, None] * HALF_WAVELENGTH_M
    geometry = ArrayGeometry(steps * [np.cos(axis_azimuth_rad), -np.sin(axis_azimuth_rad), 0.0])
    axis = geometry.ula_axis()
    assert axis is not None and axis.broadside_azimuth_deg == pytest.approx(60.0)
    truth_deg = np.array([35.0, 80.0])

    estimates_deg = solver(model_covariance(geometry, list(truth_deg), 20.0), 2, axis, WAVELENGTH_M)

    np.testing.assert_allclose(estimates_deg, truth_deg, atol=1e-6)


def test_refinement_beats_the_grid_step() -> None:
    geometry = ula(8, HALF_WAVELENGTH_M)
    coarse_grid_deg = np.arange(-90.0, 90.5, 1.0)
    r = model_covariance(geometry, [12.34], 30.0)
    refined = Estimator(geometry, WAVELENGTH_M, coarse_grid_deg, "music", refine=True).estimate(r, 1)
    on_grid = Estimator(geometry, WAVELENGTH_M, coarse_grid_deg, "music", refine=False).estimate(r, 1)

    assert on_grid.azimuth_deg[0] == 12.0
    assert refined.azimuth_deg[0] == pytest.approx(12.34, abs=1e-4)
    assert on_grid.peak_values[0] == on_grid.spectrum[102]  # the grid point 12 deg
    assert refined.peak_values[0] > on_grid.peak_values[0]


def test_estimates_are_ordered_strongest_first() -> None:
    geometry = ula(8, HALF_WAVELENGTH_M)
    a = steering_matrix(geometry.positions_m, [-20.0, 25.0], WAVELENGTH_M)
    r = a @ np.diag([1.0, 10.0]) @ a.conj().T + 0.01 * np.eye(8)

    estimate = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, "mvdr").estimate(r, 2)

    np.testing.assert_allclose(estimate.azimuth_deg, [25.0, -20.0], atol=1e-3)
    assert estimate.peak_values[0] > estimate.peak_values[1]


@pytest.mark.parametrize("method", ["root-music", "esprit"])
def test_grid_free_methods_report_the_music_spectrum(method: str) -> None:
    geometry = ula(8, HALF_WAVELENGTH_M)
    r = model_covariance(geometry, [-30.0, 5.0], 10.0)
    a = steering_matrix(geometry.positions_m, FINE_GRID_DEG, WAVELENGTH_M)

    estimate = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, method).estimate(r, 2)

    np.testing.assert_allclose(estimate.spectrum, music_spectrum(r, a, 2))
    np.testing.assert_allclose(
        estimate.peak_values, np.interp(estimate.azimuth_deg, FINE_GRID_DEG, estimate.spectrum)
    )
    assert estimate.spectrum.dtype == np.float64


def test_spectra_match_their_definitions() -> None:
    geometry = ula(6, HALF_WAVELENGTH_M)
    r = model_covariance(geometry, [-15.0, 40.0], 5.0)
    a = steering_matrix(geometry.positions_m, [-25.0, 0.0, 30.0], WAVELENGTH_M)
    noise_subspace = np.linalg.eigh(r)[1][:, :4]

    for spectrum in (bartlett_spectrum(r, a), mvdr_spectrum(r, a, 0.0), music_spectrum(r, a, 2)):
        assert spectrum.dtype == np.float64 and spectrum.shape == (3,)
    for n in range(3):
        v = a[:, n]
        assert bartlett_spectrum(r, a)[n] == pytest.approx((v.conj() @ r @ v).real / 6)
        assert mvdr_spectrum(r, a, 0.0)[n] == pytest.approx(1 / (v.conj() @ np.linalg.solve(r, v)).real)
        assert music_spectrum(r, a, 2)[n] == pytest.approx(
            6 / np.linalg.norm(noise_subspace.conj().T @ v) ** 2
        )


def test_mvdr_loading_makes_a_rank_deficient_covariance_usable() -> None:
    geometry = ula(8, HALF_WAVELENGTH_M)
    a = steering_matrix(geometry.positions_m, [10.0], WAVELENGTH_M)
    spectrum = mvdr_spectrum(
        a @ a.conj().T, steering_matrix(geometry.positions_m, FINE_GRID_DEG, WAVELENGTH_M)
    )

    assert np.all(np.isfinite(spectrum))
    assert FINE_GRID_DEG[np.argmax(spectrum)] == pytest.approx(10.0)


# --- validation ------------------------------------------------------------------------------


def test_method_names_are_validated() -> None:
    geometry = ula(4, HALF_WAVELENGTH_M)
    all_names = "bartlett, mvdr, music, root-music, esprit, calibrated-music"
    with pytest.raises(ValueError, match=rf"unknown method 'capon'.*{all_names}"):
        Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, "capon")
    estimator = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG)
    with pytest.raises(ValueError, match="unknown method 'MUSIC'"):
        estimator.set_method("MUSIC")
    with pytest.raises(ValueError, match="unknown method 'rootmusic'"):
        estimator.method = "rootmusic"
    estimator.set_method("esprit")
    assert estimator.method == "esprit"


@pytest.mark.parametrize("method", ["root-music", "esprit"])
def test_ula_methods_reject_other_geometries(method: str) -> None:
    estimator = Estimator(uca(8, HALF_WAVELENGTH_M), WAVELENGTH_M, FINE_GRID_DEG)
    expected = rf"'{method}' needs a horizontal uniform linear array.*8-element geometry.*not lie on one line"
    with pytest.raises(ValueError, match=expected):
        estimator.method = method
    assert estimator.method == "music"


def test_estimate_rejects_bad_covariances_and_source_counts() -> None:
    geometry = ula(8, HALF_WAVELENGTH_M)
    estimator = Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG)
    r = model_covariance(geometry, [0.0], 10.0)
    with pytest.raises(ValueError, match="covariance is 6 x 6 but the array geometry has 8 elements"):
        estimator.estimate(r[:6, :6], 1)
    with pytest.raises(ValueError, match="square"):
        estimator.estimate(r[:, :6], 1)
    bad = r.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        estimator.estimate(bad, 1)
    for num_sources in (0, 8, 1.5):
        with pytest.raises(
            ValueError, match=r"num_sources must be an integer in \[1, M - 1\] = \[1, 7\] for M = 8"
        ):
            estimator.estimate(r, num_sources)


def test_estimator_rejects_bad_construction() -> None:
    geometry = ula(4, HALF_WAVELENGTH_M)
    with pytest.raises(ValueError, match="strictly increasing"):
        Estimator(geometry, WAVELENGTH_M, [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="at least 2"):
        Estimator(geometry, WAVELENGTH_M, [0.0])
    with pytest.raises(ValueError, match="wavelength_m"):
        Estimator(geometry, 0.0, FINE_GRID_DEG)
    with pytest.raises(ValueError, match="min_separation_deg"):
        Estimator(geometry, WAVELENGTH_M, FINE_GRID_DEG, min_separation_deg=-1.0)


def test_spectrum_functions_reject_mismatched_steering() -> None:
    r = np.eye(4, dtype=complex)
    with pytest.raises(ValueError, match="M = 4"):
        bartlett_spectrum(r, np.ones((3, 10)))
    with pytest.raises(ValueError, match="diagonal_loading"):
        mvdr_spectrum(r, np.ones((4, 10)), diagonal_loading=-1.0)
    with pytest.raises(ValueError, match="MVDR cannot invert the covariance"):
        mvdr_spectrum(np.zeros((4, 4)), np.ones((4, 10)))


def test_peak_at_the_seam_of_a_circular_grid_is_refined_onto_the_grid_range() -> None:
    geometry = uca(8, HALF_WAVELENGTH_M)
    grid_deg = np.arange(0.0, 360.0, 1.0)
    r = model_covariance(geometry, [359.7], 20.0)

    (azimuth_deg,) = Estimator(geometry, WAVELENGTH_M, grid_deg, "music").estimate(r, 1).azimuth_deg

    assert azimuth_deg == pytest.approx(359.7, abs=1e-4)
