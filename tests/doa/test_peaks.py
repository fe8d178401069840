"""Peak picking on azimuth spectra."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.doa.grid import is_full_circle
from gnuradio.bearing.doa.peaks import angular_distance_deg, find_peaks, support_centroids

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


FINE_GRID_DEG = np.round(np.arange(-10.0, 10.05, 0.1), 10)


def sparse(grid_deg: np.ndarray, entries: dict[float, float]) -> np.ndarray:
    """A spectrum that is zero but at the given grid angles."""
    spectrum = np.zeros(grid_deg.shape)
    for angle, value in entries.items():
        spectrum[np.argmin(np.abs(grid_deg - angle))] = value
    return spectrum


def test_support_centroid_of_a_lone_grid_point_is_that_point() -> None:
    spectrum = sparse(FINE_GRID_DEG, {1.2: 0.97})
    peaks = find_peaks(spectrum, FINE_GRID_DEG, 1, 2.0)

    np.testing.assert_allclose(support_centroids(spectrum, FINE_GRID_DEG, peaks), [1.2])


def test_support_centroid_weights_adjacent_grid_points_by_power() -> None:
    spectrum = sparse(FINE_GRID_DEG, {1.2: 0.6, 1.3: 0.3, 1.4: 0.1, -5.0: 1.0, -4.9: 1.0})
    peaks = find_peaks(spectrum, FINE_GRID_DEG, 2, 2.0)

    centroids = support_centroids(spectrum, FINE_GRID_DEG, peaks)

    # Strongest first: the plateau at -5.0/-4.9, then the run 1.2..1.4.
    np.testing.assert_allclose(centroids, [-4.95, (1.2 * 0.6 + 1.3 * 0.3 + 1.4 * 0.1) / 1.0])


def test_support_stops_at_the_valley_between_touching_peaks() -> None:
    # One run of positive values holding two peaks: each keeps its own side of the valley.
    spectrum = sparse(FINE_GRID_DEG, {0.0: 1.0, 0.1: 0.5, 0.2: 0.1, 0.3: 0.4, 0.4: 0.8})
    peaks = find_peaks(spectrum, FINE_GRID_DEG, 2, 0.0)

    centroids = support_centroids(spectrum, FINE_GRID_DEG, peaks)

    assert FINE_GRID_DEG[peaks].tolist() == [0.0, 0.4]
    np.testing.assert_allclose(centroids, [(0.05 + 0.02) / 1.6, (0.02 + 0.12 + 0.32) / 1.3])


def test_support_wraps_around_a_full_circle_grid() -> None:
    grid_deg = np.arange(-180.0, 180.0, 1.0)
    spectrum = sparse(grid_deg, {179.0: 1.0, -180.0: 1.0, 10.0: 0.5, 11.0: 0.5})

    centroids = support_centroids(spectrum, grid_deg, [int(np.argmax(spectrum)), 190, 191])

    np.testing.assert_allclose(centroids, [179.5, 10.5, 10.5])


def test_support_centroids_rejects_bad_inputs() -> None:
    spectrum = sparse(FINE_GRID_DEG, {0.0: 1.0})
    with pytest.raises(ValueError, match="same length"):
        support_centroids(spectrum[:-1], FINE_GRID_DEG, [100])
    with pytest.raises(ValueError, match="peak_indices"):
        support_centroids(spectrum, FINE_GRID_DEG, [len(spectrum)])
    with pytest.raises(ValueError, match="positive"):
        support_centroids(spectrum, FINE_GRID_DEG, [3])
    assert support_centroids(spectrum, FINE_GRID_DEG, []).shape == (0,)


def test_grid_ends_count_as_peaks_only_when_asked():
    grid = np.arange(-60.0, 60.1, 1.0)
    spectrum = np.zeros(grid.size)
    spectrum[0], spectrum[60] = 1.0, 0.5
    assert list(find_peaks(spectrum, grid, 2, 2.0)) == [60]
    assert list(find_peaks(spectrum, grid, 2, 2.0, include_ends=True)) == [0, 60]
