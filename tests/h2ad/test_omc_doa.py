"""OMC-DOA: online micro-clustering of candidate azimuths (numpy only)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from gnuradio.bearing.h2ad.omc_doa import (
    OmcDoa,
    estimates_to_drop,
    fade_factor,
    min_weight_for_drop,
    steady_state_weight,
)
from helpers.signals import alias_candidates

SUBARRAY_SIZES = (3, 4)
HALF_LIFE = 3.0


def _estimate(truth_deg: list[float], rng: np.random.Generator, sine_noise: float = 0.002) -> np.ndarray:
    """One estimate's candidates: both groups' alias sets, each source with its own phase error."""
    return np.concatenate(
        [
            alias_candidates(truth_deg, m, sine_noise * rng.standard_normal(len(truth_deg))).ravel()
            for m in SUBARRAY_SIZES
        ]
    )


def _near(omc: OmcDoa, azimuth_deg: float, tolerance_deg: float = 1.0) -> list:
    return [c for c in omc.clusters if abs(c.centroid_deg - azimuth_deg) < tolerance_deg]


def test_two_static_sources_converge() -> None:
    truth_deg = [-20.0, 35.0]
    omc, rng = OmcDoa(half_life_estimates=HALF_LIFE), np.random.default_rng(1)
    for _ in range(20):
        omc.update(_estimate(truth_deg, rng))
    np.testing.assert_allclose(np.sort(omc.bearings(2)), truth_deg, atol=0.1)
    weights = [c.weight for c in omc.clusters]
    steady = steady_state_weight(HALF_LIFE, 2.0)
    np.testing.assert_allclose(weights[:2], steady, rtol=0.02)
    assert weights[2] < 0.6 * steady, "aliases are seen by one group only"


def test_moving_source_is_tracked_with_the_documented_lag() -> None:
    speed_deg, fade = 0.3, fade_factor(HALF_LIFE)
    omc = OmcDoa(half_life_estimates=HALF_LIFE)
    for step in range(40):  # -10 -> 1.7 deg, clear of the aliases of the source at -20 deg
        omc.update(_estimate([-10.0 + speed_deg * step, -20.0], np.random.default_rng(step), sine_noise=0.0))
    lag_deg = speed_deg * fade / (1.0 - fade)
    moving = _near(omc, -10.0 + speed_deg * 39 - lag_deg, tolerance_deg=0.01)
    assert len(moving) == 1 and moving[0].weight > steady_state_weight(HALF_LIFE, 2.0) * 0.99
    assert moving[0].spread_deg > 0.5, "a moving source spreads its cluster"
    assert moving[0].centroid_deg in omc.bearings(2)


def test_silent_source_dropped_after_the_documented_number_of_estimates() -> None:
    omc, rng = OmcDoa(half_life_estimates=HALF_LIFE, min_weight=0.5), np.random.default_rng(2)
    for _ in range(30):
        omc.update(_estimate([-20.0, 35.0], rng))
    weight = _near(omc, 35.0)[0].weight
    silent = estimates_to_drop(HALF_LIFE, 0.5, weight)
    assert silent == 13  # 3 log2(9.69 / 0.5) = 12.8 for the steady weight 2 / (1 - 2^(-1/3)) = 9.69
    for _ in range(silent - 1):
        omc.update(_estimate([-20.0], rng))
    assert len(_near(omc, 35.0)) == 1
    omc.update(_estimate([-20.0], rng))
    assert not _near(omc, 35.0)
    np.testing.assert_allclose(omc.bearings(1), [-20.0], atol=0.1)


@pytest.mark.parametrize("drop_after", [1, 5, 12])
def test_min_weight_for_drop_configures_the_drop(drop_after: int) -> None:
    min_weight = min_weight_for_drop(drop_after, HALF_LIFE, steady_state_weight(HALF_LIFE, 2.0))
    omc, rng = OmcDoa(half_life_estimates=HALF_LIFE, min_weight=min_weight), np.random.default_rng(3)
    for _ in range(30):
        omc.update(_estimate([10.0], rng))
    for _ in range(drop_after - 1):
        omc.update([])
    assert len(_near(omc, 10.0)) == 1
    omc.update([])
    assert not _near(omc, 10.0)


def test_drop_rule_of_the_defaults() -> None:
    assert estimates_to_drop(3.0, 0.5, 1.0) == 4
    assert estimates_to_drop(3.0, 0.5, steady_state_weight(3.0)) == 10
    assert steady_state_weight(3.0) == pytest.approx(4.847, abs=1e-3)


def test_converging_tracks_merge_when_their_centroids_come_close() -> None:
    omc, fade = OmcDoa(radius_deg=2.0, merge_deg=1.5, half_life_estimates=HALF_LIFE), fade_factor(HALF_LIFE)
    omc.update([10.0, 13.0])
    omc.update([11.0, 12.0])  # each candidate joins its own track, 1.0 deg away
    step = 1.0 / (1.0 + fade)  # a candidate of weight 1 one degree from a cluster of weight f
    np.testing.assert_allclose([c.centroid_deg for c in omc.clusters], [10.0 + step, 13.0 - step])
    for _ in range(8):
        omc.update([11.0, 12.0])
    (merged,) = omc.clusters
    assert merged.centroid_deg == pytest.approx(11.5, abs=0.05)
    assert merged.weight == pytest.approx(2.0 * fade**9 + 2.0 * (1.0 - fade**9) / (1.0 - fade)), (
        "nothing lost"
    )


def test_cluster_statistics_are_weighted_mean_and_std() -> None:
    omc = OmcDoa(radius_deg=2.0)
    omc.update([10.0, 10.5, 11.0], weights=[1.0, 2.0, 1.0])
    (cluster,) = omc.clusters
    assert cluster.weight == pytest.approx(4.0)
    assert cluster.centroid_deg == pytest.approx(10.5)
    assert cluster.spread_deg == pytest.approx(np.sqrt(0.5 / 4.0))


def test_clusters_straddle_plus_minus_180_deg() -> None:
    omc = OmcDoa(radius_deg=2.0)
    omc.update([179.5, -179.5, 179.0, -179.0])
    (cluster,) = omc.clusters
    assert abs(cluster.centroid_deg) == pytest.approx(180.0)
    assert cluster.spread_deg == pytest.approx(np.sqrt((2 * 0.25 + 2 * 1.0) / 4))


def test_nan_candidates_are_skipped_and_the_view_is_read_only() -> None:
    omc = OmcDoa()
    omc.update([[5.0, np.nan], [40.0, np.nan]])
    view = omc.clusters
    assert [c.centroid_deg for c in view] == [5.0, 40.0]
    view.clear()
    with pytest.raises(dataclasses.FrozenInstanceError):
        omc.clusters[0].weight = 9.0  # type: ignore[misc]
    assert len(omc.clusters) == 2
    assert omc.bearings(5).size == 2, "fewer bearings than asked when there are fewer clusters"


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"radius_deg": 0.0}, "radius_deg"),
        ({"merge_deg": -1.0}, "merge_deg"),
        ({"half_life_estimates": 0.0}, "half_life_estimates"),
        ({"half_life_estimates": np.inf}, "half_life_estimates"),
        ({"min_weight": 0.0}, "min_weight"),
    ],
)
def test_bad_parameters_raise_naming_them(arguments: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        OmcDoa(**arguments)


def test_bad_update_and_bearings_arguments_raise() -> None:
    omc = OmcDoa()
    with pytest.raises(ValueError, match="weights"):
        omc.update([1.0, 2.0], weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weights"):
        omc.update([1.0, 2.0], weights=[1.0, -2.0])
    with pytest.raises(ValueError, match="candidates_deg"):
        omc.update([np.inf])
    with pytest.raises(ValueError, match="num_sources"):
        omc.bearings(-1)
    with pytest.raises(ValueError, match="drop_after_estimates"):
        min_weight_for_drop(0, 3.0, 1.0)
    with pytest.raises(ValueError, match="weight"):
        estimates_to_drop(3.0, 0.5, 0.0)
    assert estimates_to_drop(3.0, 2.0, 1.0) == 1, "a cluster below the floor goes when first silent"


def test_a_candidate_joins_the_nearer_neighbour_on_either_side_and_across_180_deg() -> None:
    omc, fade = OmcDoa(radius_deg=5.0, merge_deg=0.0), fade_factor(3.0)
    omc.update([10.0, 20.0, 178.0])
    omc.update([14.0, 16.5, -179.0])  # nearer to 10 (4 deg), to 20 (3.5 deg), to 178 (3 deg, across 180)
    expected = [10.0 + 4.0 / (1.0 + fade), 20.0 - 3.5 / (1.0 + fade), 178.0 + 3.0 / (1.0 + fade)]
    np.testing.assert_allclose(sorted(c.centroid_deg for c in omc.clusters), expected)
    np.testing.assert_allclose([c.weight for c in omc.clusters], 1.0 + fade)


def test_clusters_merge_across_180_deg() -> None:
    omc = OmcDoa(radius_deg=0.1, merge_deg=1.0)
    omc.update([179.6, -179.8, 0.0])  # 0.6 deg apart across the seam: one cluster; 0 stays alone
    assert len(omc.clusters) == 2
    assert omc.bearings(1)[0] == pytest.approx(179.9)


def test_of_equal_weights_the_tighter_cluster_ranks_first() -> None:
    omc = OmcDoa(radius_deg=2.0)
    omc.update([-30.0, -31.5, -29.0, 40.0, 40.2, 39.9])  # two clusters of weight 3
    assert [round(c.centroid_deg, 6) for c in omc.clusters] == [40.033333, -30.166667]
    assert omc.bearings(1) == pytest.approx([40.0333333])
    omc = OmcDoa(radius_deg=2.0)
    omc.update([10.0, 50.0])  # equal weights and spreads: the older first
    assert omc.bearings(2).tolist() == [10.0, 50.0]
    omc.update([50.0, 10.0])
    assert omc.bearings(2).tolist() == [10.0, 50.0]
