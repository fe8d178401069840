"""Source counting: MDL, AIC and EDC on clear cases, DBSCAN, the eigenvalue features, the entry point."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.counting import counters
from gnuradio.bearing.counting import eigen as sc
from gnuradio.bearing.counting.models import CounterConfig, SourceCounter
from gnuradio.bearing.counting.training import SceneSettings, random_azimuths, simulate_covariances

M = 8
T = 200
TRIALS = 100


@pytest.fixture(scope="module")
def clear_cases() -> dict[int, list[np.ndarray]]:
    """TRIALS covariances of an 8-element ULA at 20 dB, 200 snapshots, for 0 .. 3 sources."""
    rng = np.random.default_rng(0)
    return {k: [simulate_covariances(M, k, 20.0, T, rng) for _ in range(TRIALS)] for k in range(4)}


@pytest.mark.parametrize("method", ["mdl", "edc"])
def test_consistent_methods_count_every_clear_case(clear_cases, method):
    for k, covariances in clear_cases.items():
        assert [counters.count_sources(r, T, method) for r in covariances] == [k] * TRIALS


def test_aic_overestimates_now_and_then(clear_cases):
    """AIC's penalty does not grow with T: it overestimates with a fixed probability (Wax & Kailath)."""
    for k, covariances in clear_cases.items():
        counts = np.array([counters.count_sources(r, T, "aic") for r in covariances])
        assert np.all(counts >= k)
        assert np.mean(counts == k) >= 0.85


def test_edc_counts_the_groups_of_a_hybrid_array():
    """G = 3 groups of 4, 5 and 7 eigenvalues seeing the same sources: count / G (eq. (26))."""
    rng = np.random.default_rng(1)
    for k in range(4):
        groups = [simulate_covariances(size, k, 0.0, T, rng) for size in (4, 5, 7)]
        assert counters.count_sources(groups, T, "edc") == k


def test_information_criteria_by_hand():
    """Eigenvalues (4, 1), T = 10: g/a = 2/2.5 over both, a single eigenvalue is white."""
    likelihood = -10 * 2 * np.log(0.8)
    np.testing.assert_allclose(sc.mdl_criterion([4.0, 1.0], 10), [likelihood, 1.5 * np.log(10)])
    np.testing.assert_allclose(sc.aic_criterion([4.0, 1.0], 10), [2 * likelihood, 6.0])


def test_white_noise_has_no_likelihood_gain():
    np.testing.assert_allclose(sc.sphericity_log_likelihood(np.ones(5), 100), 0.0, atol=1e-9)
    assert sc.mdl(np.eye(5), 100) == sc.aic(np.eye(5), 100) == sc.edc(np.eye(5), 100) == 0


def test_edc_points_are_standardised_by_the_noise():
    """The smallest eigenvalue sits at s = -2 + sqrt(M/T), whatever the power; gaps to the next."""
    values = np.array([50.0, 2.0, 1.2, 1.0])
    points = sc.edc_points(values, 100)
    root_c = np.sqrt(4 / 100)
    np.testing.assert_allclose(points[-1], [-2 + root_c, 0.0])
    np.testing.assert_allclose(points[:-1, 1], points[:-1, 0] - points[1:, 0])
    np.testing.assert_allclose(sc.edc_points(1e6 * values, 100), points)


def test_dbscan_clusters_cores_borders_and_noise():
    points = [[0, 0], [0, 1], [10, 10], [10, 11], [50, 50]]
    np.testing.assert_array_equal(sc.dbscan(points, 1.5, 2), [0, 0, 1, 1, -1])
    # min_samples 3: (1, 0) is core, (0, 0) and (2, 0) its borders, (3.9, 0) reaches no core point
    np.testing.assert_array_equal(sc.dbscan([[0, 0], [1, 0], [2, 0], [3.9, 0]], 1.5, 3), [0, 0, 0, -1])
    np.testing.assert_array_equal(sc.dbscan([[0, 0], [5, 5]], 1.0, 2), [-1, -1])


def test_eigenvalues_are_descending_and_batched():
    r = np.diag([1.0, 3.0, 2.0]).astype(complex)
    np.testing.assert_allclose(sc.eigenvalues(r), [3.0, 2.0, 1.0])
    assert sc.eigenvalues(np.stack([r, 2 * r])).shape == (2, 3)


@pytest.mark.parametrize(
    ("covariance", "message"),
    [
        (np.ones((2, 3)), "square"),
        (np.array([[1.0, 1.0], [0.0, 1.0]]), "not Hermitian"),
        (np.array([[1.0, 1.0], [1.0, 1.0]]), "singular"),
        (np.zeros((3, 3)), "singular"),
        (np.array([[np.nan, 0.0], [0.0, 1.0]]), "NaN"),
    ],
)
def test_eigenvalues_refuse_invalid_covariances(covariance, message):
    with pytest.raises(ValueError, match=message):
        sc.eigenvalues(covariance)


def test_features_by_hand():
    """Eigenvalues (3, 1): p = (0.75, 0.25)."""
    p = np.array([0.75, 0.25])
    entropy = -np.sum(p * np.log(p))
    np.testing.assert_allclose(sc.normalised_eigenvalues([3.0, 1.0]), p)
    np.testing.assert_allclose(sc.log_eigenvalues([3.0, 1.0]), np.log(p))
    np.testing.assert_allclose(sc.spectral_entropy([3.0, 1.0]), entropy)
    sphericity = 0.5 * np.log(4 / 3)  # log(a_0 / g_0) = log(0.5 / sqrt(0.75 * 0.25))
    shortfall = 0.75 * np.log(1.5) + 0.25 * np.log(0.5)  # sum p log(p / (1/2))
    expected = [np.log(0.75), np.log(0.25), np.log(0.25), np.log(sphericity), np.log(shortfall)]
    np.testing.assert_allclose(sc.eigenvalue_features([3.0, 1.0]), expected)


def test_features_of_white_noise_and_scale():
    features = sc.eigenvalue_features(np.ones(4))
    uniform = np.log(0.25)
    np.testing.assert_allclose(features, [uniform, uniform, *np.log([sc.FEATURE_FLOOR] * 3)])
    inexact = sc.eigenvalue_features(np.full(7, 0.3))  # rounding leaves the statistics near 0
    np.testing.assert_allclose(inexact[2:], np.log([sc.FEATURE_FLOOR] * 3), rtol=1e-3)
    values = np.array([[9.0, 2.0, 1.0], [5.0, 4.0, 1.0]])
    for feature in (sc.eigenvalue_features, sc.log_eigenvalues, sc.normalised_eigenvalues):
        assert feature(values).shape[0] == 2
        np.testing.assert_allclose(feature(1e-3 * values), feature(values))
    with pytest.raises(ValueError, match="positive"):
        sc.eigenvalue_features([1.0, 0.0])


def test_simulated_scenes():
    rng = np.random.default_rng(2)
    settings = SceneSettings(min_separation_deg=20.0)
    for _ in range(50):
        azimuths = random_azimuths(5, rng, settings)
        assert np.all(np.diff(azimuths) >= 20.0 - 1e-9)
        assert -60.0 <= azimuths[0] and azimuths[-1] <= 60.0
    assert simulate_covariances(4, [0, 1, 2], 5.0, 10, rng).shape == (3, 4, 4)
    assert simulate_covariances(4, 1, 5.0, 10, rng).shape == (4, 4)
    with pytest.raises(ValueError, match="do not fit"):
        random_azimuths(8, rng, settings)
    with pytest.raises(ValueError, match=r"0 \.\. M-1"):
        simulate_covariances(4, 4, 0.0, 10, rng)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((np.eye(4), T, "music"), "unknown source counting method"),
        ((np.eye(4), T, "dnn"), "needs a trained model"),
        ((np.eye(4), 0, "mdl"), "num_snapshots"),
        (([np.eye(4), np.eye(3)], T, "mdl"), "only 'edc'"),
        (([], T, "edc"), "empty list"),
        ((np.eye(4), 4, "edc"), "more snapshots than eigenvalues"),
        ((np.eye(4)[None], T, "aic"), "square"),
    ],
)
def test_count_sources_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        counters.count_sources(*arguments)


def test_count_sources_checks_the_model():
    fcnn = SourceCounter(CounterConfig("fcnn", 4, 2))
    with pytest.raises(ValueError, match="takes no model"):
        counters.count_sources(np.eye(4), T, "mdl", model=fcnn)
    with pytest.raises(ValueError, match="'fcnn' counter, not a 'dnn'"):
        counters.count_sources(np.eye(4), T, "dnn", model=fcnn)
    assert counters.count_sources([np.eye(4)], T, "fcnn", model=fcnn) in range(3)
