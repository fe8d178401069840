"""Ambiguous candidates of one H2AD group from its RF-chain covariance (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.h2ad.candidates import group_candidates
from helpers.signals import HALF_WAVELENGTH_M, WAVELENGTH_M, group_covariance


def _sine(azimuth_deg: np.ndarray) -> np.ndarray:
    return np.sin(np.deg2rad(azimuth_deg))


def _nearest_error_deg(candidates: np.ndarray, truth_deg: float) -> float:
    return float(np.nanmin(np.abs(candidates - truth_deg)))


@pytest.mark.parametrize(("subarray_size", "truth_deg"), [(2, 12.0), (3, -23.0), (4, 47.0)])
def test_true_azimuth_among_candidates_at_30_db(subarray_size: int, truth_deg: float) -> None:
    r = group_covariance(subarray_size, 4, [truth_deg], 30.0, np.random.default_rng(1))
    candidates = group_candidates(r, 1, subarray_size, HALF_WAVELENGTH_M, WAVELENGTH_M)
    assert candidates.shape == (1, subarray_size)
    assert _nearest_error_deg(candidates, truth_deg) < 0.1


def test_two_sources_each_among_its_row() -> None:
    truth_deg = [-17.0, 28.0]
    r = group_covariance(3, 5, truth_deg, 30.0, np.random.default_rng(2))
    candidates = group_candidates(r, 2, 3, HALF_WAVELENGTH_M, WAVELENGTH_M)
    errors = [[_nearest_error_deg(row, t) for row in candidates] for t in truth_deg]
    assert np.all(np.min(errors, axis=1) < 0.1)
    assert np.all(np.sort(np.argmin(errors, axis=1)) == [0, 1]), "each source in its own row"


@pytest.mark.parametrize("subarray_size", [2, 3, 4, 5])
def test_half_wavelength_gives_all_aliases_2_over_m_apart_in_sine(subarray_size: int) -> None:
    r = group_covariance(subarray_size, 3, [8.0], 20.0, np.random.default_rng(3))
    candidates = group_candidates(r, 1, subarray_size, HALF_WAVELENGTH_M, WAVELENGTH_M)
    assert np.all(np.isfinite(candidates))
    np.testing.assert_allclose(np.diff(_sine(candidates[0])), 2.0 / subarray_size, atol=1e-9)


def test_narrower_spacing_leaves_the_invisible_aliases_nan() -> None:
    spacing_m = 0.3 * WAVELENGTH_M  # 2 M d / lambda = 2.4 visible aliases for M = 4
    r = group_covariance(4, 3, [-31.0], 30.0, np.random.default_rng(4), spacing_m=spacing_m)
    row = group_candidates(r, 1, 4, spacing_m, WAVELENGTH_M)[0]
    visible = row[np.isfinite(row)]
    assert visible.size in (2, 3)
    assert np.all(np.isnan(row[visible.size :])), "NaN last"
    np.testing.assert_allclose(np.diff(_sine(visible)), WAVELENGTH_M / (4 * spacing_m), atol=1e-9)
    assert _nearest_error_deg(row, -31.0) < 0.1


def test_subarrays_steered_about_their_centres_shift_no_phase() -> None:
    r = group_covariance(4, 4, [21.0], 30.0, np.random.default_rng(5), steer_deg=15.0)
    assert _nearest_error_deg(group_candidates(r, 1, 4, HALF_WAVELENGTH_M, WAVELENGTH_M), 21.0) < 0.1


def test_a_beam_across_the_whole_group_is_undone() -> None:
    r = group_covariance(4, 4, [21.0], 30.0, np.random.default_rng(6), steer_deg=15.0, whole_group=True)
    undone = group_candidates(r, 1, 4, HALF_WAVELENGTH_M, WAVELENGTH_M, group_beam_azimuth_deg=15.0)
    ignored = group_candidates(r, 1, 4, HALF_WAVELENGTH_M, WAVELENGTH_M)
    assert _nearest_error_deg(undone, 21.0) < 0.1
    assert _nearest_error_deg(ignored, 21.0) > 1.0, "the group beam shifts the virtual array's phase"


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"spacing_m": 0.6}, "spacing_m"),
        ({"spacing_m": 0.0}, "spacing_m"),
        ({"wavelength_m": -1.0}, "wavelength_m"),
        ({"subarray_size": 0}, "subarray_size"),
        ({"subarray_size": 2.5}, "subarray_size"),
        ({"group_beam_azimuth_deg": np.nan}, "group_beam_azimuth_deg"),
        ({"num_sources": 3}, "num_sources"),
    ],
)
def test_bad_arguments_raise_naming_them(arguments: dict, name: str) -> None:
    call = {
        "covariance": np.eye(3),
        "num_sources": 1,
        "subarray_size": 2,
        "spacing_m": HALF_WAVELENGTH_M,
        "wavelength_m": WAVELENGTH_M,
    } | arguments
    with pytest.raises(ValueError, match=name):
        group_candidates(**call)
