"""Eigenstructure gain/phase self-calibration (doa/self_calibration.py): exact recovery up to the
linear phase trend the data cannot tell, the calibrated bearings' accuracy, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.coherence import corrected_covariance
from gnuradio.bearing.array.geometry import steering_matrix, ula, wavelength_m
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.doa.self_calibration import eigenstructure_self_calibration, without_linear_phase
from helpers.signals import noise_power

WAVELENGTH_M = wavelength_m(2.4e9)
GEOMETRY = ula(8, WAVELENGTH_M / 2)
TRUTH_DEG = np.array([-30.0, 5.0, 40.0])


def estimator() -> Estimator:
    return Estimator(GEOMETRY, WAVELENGTH_M, np.arange(-90.0, 90.05, 0.1), "music")


def channel_gains(rng: np.random.Generator) -> np.ndarray:
    """1 dB and 10 deg standard deviations, channel 0 the reference."""
    gains = 10 ** (rng.standard_normal(8) / 20) * np.exp(1j * np.deg2rad(10 * rng.standard_normal(8)))
    return gains / gains[0]


def common_shift_removed(azimuth_deg: np.ndarray) -> np.ndarray:
    """The bearings' errors with their mean in sin(azimuth) removed: what the data can tell."""
    du = np.sin(np.deg2rad(azimuth_deg)) - np.sin(np.deg2rad(TRUTH_DEG))
    moved = np.sin(np.deg2rad(TRUTH_DEG)) + du - du.mean(axis=-1, keepdims=True)
    return np.rad2deg(np.arcsin(moved)) - TRUTH_DEG


def test_exact_covariance_gives_the_gains_up_to_their_linear_phase_trend():
    gains = channel_gains(np.random.default_rng(4))
    a = gains[:, None] * steering_matrix(GEOMETRY.positions_m, TRUTH_DEG, WAVELENGTH_M)
    r = a @ a.conj().T + noise_power(20.0) * np.eye(8)
    result = eigenstructure_self_calibration(r, estimator(), 3)
    assert result.converged
    np.testing.assert_allclose(result.gains, without_linear_phase(gains, GEOMETRY.positions_m), atol=1e-4)
    np.testing.assert_allclose(common_shift_removed(result.azimuth_deg), 0.0, atol=1e-3)
    # MUSIC on the covariance calibrated with the returned gains gives the returned bearings
    calibrated = corrected_covariance(r, result.gains)
    np.testing.assert_allclose(
        np.sort(estimator().estimate(calibrated, 3).azimuth_deg), result.azimuth_deg, atol=1e-3
    )


def test_calibrated_music_separates_the_sources_as_an_ideal_array_does():
    """20 dB, 500 snapshots, 3 sources, 30 random arrays: with the common shift removed (what no
    self-calibration can find), calibrated MUSIC is within 1.5x of MUSIC on the ideal array,
    and uncalibrated MUSIC is several times worse."""
    rng = np.random.default_rng(1)
    errors = {"ideal": [], "uncalibrated": [], "calibrated": []}
    a = steering_matrix(GEOMETRY.positions_m, TRUTH_DEG, WAVELENGTH_M)
    music = estimator()
    for _ in range(30):
        gains = channel_gains(rng)
        s = (rng.standard_normal((3, 500)) + 1j * rng.standard_normal((3, 500))) / np.sqrt(2)
        n = (rng.standard_normal((8, 500)) + 1j * rng.standard_normal((8, 500))) * np.sqrt(
            noise_power(20.0) / 2
        )
        ideal, impaired = a @ s + n, gains[:, None] * (a @ s) + n
        covariances = {"ideal": ideal, "uncalibrated": impaired}
        for name, x in covariances.items():
            errors[name].append(np.sort(music.estimate(x @ x.conj().T / 500, 3).azimuth_deg))
        errors["calibrated"].append(
            eigenstructure_self_calibration(impaired @ impaired.conj().T / 500, music, 3).azimuth_deg
        )
    rmse = {name: np.sqrt(np.mean(common_shift_removed(np.array(v)) ** 2)) for name, v in errors.items()}
    assert rmse["calibrated"] <= 1.5 * rmse["ideal"] and rmse["uncalibrated"] >= 4 * rmse["ideal"], rmse


def test_one_source_or_too_many_are_refused():
    r = np.eye(8, dtype=complex)
    for sources in (1, 8):
        with pytest.raises(ValueError, match=r"self-calibration needs 2 \.\. M - 1 = 7 sources"):
            eigenstructure_self_calibration(r, estimator(), sources)
