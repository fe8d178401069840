"""Channel gains of a live array from a shared noise source or a beacon, and the coherence figure."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.coherence import (
    beacon_gains,
    coherence,
    corrected_covariance,
    corrected_snapshots,
    noise_source_gains,
)
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.array.geometry import steering_matrix, ula
from gnuradio.bearing.doa.classical import Estimator

WAVELENGTH_M = 1.0
GEOMETRY = ula(8, 0.5)
GRID_DEG = np.round(np.arange(-900, 901) / 10.0, 1)


def offsets(seed: int) -> np.ndarray:
    """Per-channel gains as a receiver starts with them: random phases, gains within +-3 dB,
    channel 0 the reference."""
    rng = np.random.default_rng(seed)
    g = 10 ** (rng.uniform(-3, 3, 8) / 20) * np.exp(1j * rng.uniform(-np.pi, np.pi, 8))
    return g / g[0]


def received(
    gains: np.ndarray, azimuth_deg: float | None, snr_db: float, count: int, seed: int
) -> np.ndarray:
    """``(8, count)`` snapshots: one unit-power source (a shared noise source when ``azimuth_deg``
    is None, else a plane wave) through the channel gains, plus white noise ``snr_db`` below."""
    rng = np.random.default_rng(seed)
    source = (rng.standard_normal(count) + 1j * rng.standard_normal(count)) / np.sqrt(2)
    a = (
        np.ones(8)
        if azimuth_deg is None
        else steering_matrix(GEOMETRY.positions_m, azimuth_deg, WAVELENGTH_M)[:, 0]
    )
    noise = (rng.standard_normal((count, 8)) + 1j * rng.standard_normal((count, 8))) / np.sqrt(2)
    return (np.outer(source, a) * gains + noise * 10 ** (-snr_db / 20)).T


@pytest.mark.parametrize("seed", range(5))
def test_a_shared_noise_source_gives_the_channel_gains(seed):
    gains = offsets(seed)
    estimate = noise_source_gains(sample_covariance(received(gains, None, 20.0, 4096, seed)))
    assert estimate[0] == 1.0
    np.testing.assert_allclose(np.angle(estimate / gains, deg=True), 0.0, atol=1.0)
    np.testing.assert_allclose(np.abs(estimate / gains), 1.0, atol=0.03)


def test_a_beacon_at_a_known_bearing_gives_the_channel_gains():
    gains = offsets(7)
    r = sample_covariance(received(gains, 25.0, 20.0, 4096, 7))
    steering = steering_matrix(GEOMETRY.positions_m, 25.0, WAVELENGTH_M)[:, 0]
    np.testing.assert_allclose(np.angle(beacon_gains(r, steering) / gains, deg=True), 0.0, atol=1.0)


def test_uncalibrated_music_is_far_off_and_calibrated_music_is_within_a_degree():
    """The live issue's acceptance in miniature: random phase offsets send MUSIC tens of degrees
    astray; gains measured on a noise source bring it back within 1 deg at 20 dB."""
    gains = offsets(3)
    estimate = noise_source_gains(sample_covariance(received(gains, None, 20.0, 4096, 1)))
    music = Estimator(GEOMETRY, WAVELENGTH_M, GRID_DEG, "music")
    errors = {"raw": [], "calibrated": []}
    for truth in (-40.0, -10.0, 15.0, 50.0):
        x = received(gains, truth, 20.0, 1024, int(truth) + 100)
        raw = music.estimate(sample_covariance(x), 1).azimuth_deg
        calibrated = music.estimate(sample_covariance(corrected_snapshots(x, estimate)), 1).azimuth_deg
        errors["raw"].append(abs(raw[0] - truth) if raw.size else 90.0)
        errors["calibrated"].append(abs(calibrated[0] - truth))
    assert max(errors["raw"]) > 10.0
    assert max(errors["calibrated"]) < 1.0


def test_correcting_a_covariance_equals_correcting_its_snapshots():
    gains = offsets(2)
    x = received(gains, 10.0, 10.0, 512, 2)
    np.testing.assert_allclose(
        corrected_covariance(sample_covariance(x), gains),
        sample_covariance(corrected_snapshots(x, gains)),
        atol=1e-12,
    )


def test_coherence_is_near_one_for_a_dominant_common_signal_and_low_for_noise():
    gains = offsets(4)
    assert coherence(sample_covariance(received(gains, None, 30.0, 4096, 4))) > 0.99
    rng = np.random.default_rng(4)
    noise = rng.standard_normal((8, 4096)) + 1j * rng.standard_normal((8, 4096))
    assert coherence(sample_covariance(noise)) < 0.2


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="steering must be 8"):
        beacon_gains(np.eye(8), np.ones(4))
    with pytest.raises(ValueError, match="channel 0 receives none of the common signal"):
        noise_source_gains(np.diag([0.0, 1.0, 1.0]) + np.outer([0, 1, 1], [0, 1, 1]))
    with pytest.raises(ValueError, match="gains must be finite and non-zero"):
        corrected_snapshots(np.ones((2, 4)), [1.0, 0.0])
    with pytest.raises(ValueError, match=r"snapshots must be \(2, T\)"):
        corrected_snapshots(np.ones((3, 4)), [1.0, 1.0])
