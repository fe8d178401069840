"""Peak picking on azimuth spectra."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.peaks import angular_distance_deg, find_peaks, is_full_circle

GRID_DEG = np.arange(-90.0, 91.0, 1.0)


def bumps(grid_deg: np.ndarray, centres_deg: list[float], heights: list[float], width_deg: float = 3.0):
    """Sum of Gaussian bumps on a small floor, as a stand-in spectrum."""
    spectrum = np.full(grid_deg.shape, 0.01)
    for centre, height in zip(centres_deg, heights, strict=True):
        spectrum += height * np.exp(-0.5 * (angular_distance_deg(grid_deg, centre) / width_deg) ** 2)
    return spectrum


def test_strongest_peaks_first() -> None:
    spectrum = bumps(GRID_DEG, [-40.0, 0.0, 30.0], [2.0, 5.0, 3.0])

    indices = find_peaks(spectrum, GRID_DEG, 2, 2.0)

    np.testing.assert_array_equal(GRID_DEG[indices], [0.0, 30.0])
    assert indices.dtype == np.intp


def test_returns_fewer_when_there_are_fewer_peaks() -> None:
    spectrum = bumps(GRID_DEG, [10.0], [1.0])

    np.testing.assert_array_equal(GRID_DEG[find_peaks(spectrum, GRID_DEG, 3, 2.0)], [10.0])
    assert find_peaks(np.ones_like(GRID_DEG), GRID_DEG, 2, 2.0).size == 0


def test_minimum_separation_skips_weaker_neighbours() -> None:
    spectrum = bumps(GRID_DEG, [0.0, 4.0, 30.0], [5.0, 4.0, 1.0], width_deg=1.0)

    assert GRID_DEG[find_peaks(spectrum, GRID_DEG, 2, 2.0)].tolist() == [0.0, 4.0]
    assert GRID_DEG[find_peaks(spectrum, GRID_DEG, 2, 5.0)].tolist() == [0.0, 30.0]


def test_full_circle_grid_wraps_around() -> None:
    grid_deg = np.arange(0.0, 360.0, 1.0)
    spectrum = bumps(grid_deg, [0.0, 358.0, 90.0], [5.0, 4.0, 1.0], width_deg=0.5)

    assert is_full_circle(grid_deg) and not is_full_circle(GRID_DEG)
    assert grid_deg[find_peaks(spectrum, grid_deg, 2, 0.0)].tolist() == [0.0, 358.0]
    assert grid_deg[find_peaks(spectrum, grid_deg, 2, 5.0)].tolist() == [0.0, 90.0]


def test_angular_distance_wraps() -> None:
    np.testing.assert_allclose(
        angular_distance_deg([179.0, -170.0, 10.0], [-179.0, 170.0, 20.0]), [2.0, 20.0, 10.0]
    )


def test_rejects_bad_inputs() -> None:
    spectrum = bumps(GRID_DEG, [0.0], [1.0])
    with pytest.raises(ValueError, match="same length"):
        find_peaks(spectrum[:-1], GRID_DEG, 1, 2.0)
    with pytest.raises(ValueError, match="num_sources"):
        find_peaks(spectrum, GRID_DEG, 0, 2.0)
    with pytest.raises(ValueError, match="min_separation_deg"):
        find_peaks(spectrum, GRID_DEG, 1, -1.0)
    spectrum[3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        find_peaks(spectrum, GRID_DEG, 1, 2.0)
