"""The l1-sparse baseline (doa/sparse_l1.py, l1-SVD): sources on the grid found exactly on a URA and
a ULA, two sources, the grid's edges, the group-lasso optimality conditions, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import steering_matrix, ula, ura
from gnuradio.bearing.doa.sparse_l1 import (
    SparseEstimate,
    l1_sparse_doa,
    l1_svd_data,
    solve_group_lasso,
)
from helpers.signals import noise_power

WAVELENGTH_M = 1.0
URA_8X8 = ura(8, 8, WAVELENGTH_M / 2, WAVELENGTH_M / 2).positions_m
ULA_8 = ula(8, WAVELENGTH_M / 2).positions_m
AZIMUTH_GRID_DEG = np.arange(-40.0, 40.0 + 1e-9, 2.0)
ELEVATION_GRID_DEG = np.arange(-20.0, 30.0 + 1e-9, 2.0)
LINE_GRID_DEG = np.arange(-60.0, 60.0 + 1e-9, 1.0)


def covariance(positions: np.ndarray, azimuth_deg, elevation_deg=0.0, noise: float = 0.0) -> np.ndarray:
    """``A A^H + noise I`` of unit-power uncorrelated sources (noiseless by default)."""
    a = steering_matrix(positions, np.atleast_1d(azimuth_deg), WAVELENGTH_M, elevation_deg)
    return a @ a.conj().T + noise * np.eye(positions.shape[0])


def estimate(r: np.ndarray, positions: np.ndarray, num_sources: int, planar: bool = True, **kwargs):
    if planar:
        return l1_sparse_doa(
            r, positions, WAVELENGTH_M, num_sources, AZIMUTH_GRID_DEG, ELEVATION_GRID_DEG, **kwargs
        )
    return l1_sparse_doa(r, positions, WAVELENGTH_M, num_sources, LINE_GRID_DEG, **kwargs)


def test_a_noiseless_source_on_a_grid_point_is_found_exactly_on_a_ura():
    result = estimate(covariance(URA_8X8, 10.0, 6.0), URA_8X8, 1)
    assert isinstance(result, SparseEstimate)
    np.testing.assert_array_equal(result.azimuth_deg, [10.0])
    np.testing.assert_array_equal(result.elevation_deg, [6.0])
    assert result.spectrum.shape == (ELEVATION_GRID_DEG.size, AZIMUTH_GRID_DEG.size)
    assert result.iterations >= 1
    # one snapshot of that source, y y^H: the lasso puts the whole of it on that direction
    assert np.count_nonzero(result.spectrum) == 1
    np.testing.assert_allclose(result.spectrum.max(), 1.0 - 0.1, rtol=1e-2)  # (1 - rho) |s|


def test_a_noiseless_source_on_a_grid_point_is_found_exactly_on_a_ula():
    result = estimate(covariance(ULA_8, 20.0), ULA_8, 1, planar=False)
    np.testing.assert_array_equal(result.azimuth_deg, [20.0])
    assert result.elevation_deg is None
    assert result.spectrum.shape == LINE_GRID_DEG.shape


def test_one_noisy_snapshot_points_at_its_source():
    """The paper's case on a small array: one snapshot at 10 dB per element, off the grid."""
    rng = np.random.default_rng(7)
    a = steering_matrix(URA_8X8, 13.3, WAVELENGTH_M, 7.1)[:, 0]
    noise = (rng.standard_normal(64) + 1j * rng.standard_normal(64)) * np.sqrt(noise_power(10.0) / 2)
    y = a * np.exp(0.4j) + noise
    result = estimate(np.outer(y, y.conj()), URA_8X8, 1)
    assert abs(result.azimuth_deg[0] - 13.3) <= 2.0 and abs(result.elevation_deg[0] - 7.1) <= 2.0


def test_two_separated_sources_are_found():
    truth = np.array([[-16.0, 0.0], [14.0, 10.0]])
    r = covariance(URA_8X8, truth[:, 0], truth[:, 1], noise=noise_power(20.0))
    result = estimate(r, URA_8X8, 2)
    found = np.column_stack([result.azimuth_deg, result.elevation_deg])
    np.testing.assert_array_equal(found[np.argsort(found[:, 0])], truth)

    line = estimate(covariance(ULA_8, [-30.0, 25.0], noise=noise_power(20.0)), ULA_8, 2, planar=False)
    np.testing.assert_array_equal(np.sort(line.azimuth_deg), [-30.0, 25.0])


def test_a_source_on_the_grids_edge_is_found_there():
    result = estimate(covariance(URA_8X8, AZIMUTH_GRID_DEG[-1], ELEVATION_GRID_DEG[0]), URA_8X8, 1)
    np.testing.assert_array_equal(result.azimuth_deg, [AZIMUTH_GRID_DEG[-1]])
    np.testing.assert_array_equal(result.elevation_deg, [ELEVATION_GRID_DEG[0]])
    line = estimate(covariance(ULA_8, LINE_GRID_DEG[0]), ULA_8, 1, planar=False)
    np.testing.assert_array_equal(line.azimuth_deg, [LINE_GRID_DEG[0]])


def test_no_data_no_source():
    result = estimate(np.zeros((64, 64)), URA_8X8, 2)
    assert result.azimuth_deg.size == 0 and result.elevation_deg.size == 0
    assert result.iterations == 0 and not result.spectrum.any()


def test_one_snapshot_is_its_own_reduced_data():
    y = steering_matrix(ULA_8, 12.0, WAVELENGTH_M)[:, 0] * 2.0 + 0.1
    reduced = l1_svd_data(np.outer(y, y.conj()), 1)[:, 0]
    phase = np.vdot(reduced, y) / abs(np.vdot(reduced, y))
    np.testing.assert_allclose(reduced * phase, y, atol=1e-12)


def noisy_problem(num_columns: int = 2):
    """A ULA dictionary on a 4-degree grid (a finer one takes FISTA longer to high accuracy) and
    data of two sources in noise, ``K`` columns."""
    rng = np.random.default_rng(3)
    a = steering_matrix(ULA_8, np.arange(-60.0, 60.0 + 1e-9, 4.0), WAVELENGTH_M)
    x = steering_matrix(ULA_8, [-20.5, 31.0], WAVELENGTH_M) @ rng.standard_normal((2, num_columns))
    y = x + 0.3 * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    penalty = 0.1 * np.max(np.linalg.norm(a.conj().T @ y, axis=1))
    return a, y, penalty


def objective(a, y, s, penalty) -> float:
    return 0.5 * np.linalg.norm(y - a @ s) ** 2 + penalty * np.sum(np.linalg.norm(s, axis=1))


@pytest.mark.parametrize("num_columns", [1, 2])
def test_the_solution_satisfies_the_group_lasso_optimality_conditions(num_columns):
    a, y, penalty = noisy_problem(num_columns)
    solution = solve_group_lasso(a, y, penalty, tolerance=1e-9)
    s = solution.coefficients
    assert s.shape == (a.shape[1], num_columns)
    assert solution.duality_gap <= 1e-9 * solution.objective
    np.testing.assert_allclose(solution.objective, objective(a, y, s, penalty), rtol=1e-12)
    correlation = a.conj().T @ (y - a @ s)
    norms = np.linalg.norm(s, axis=1)
    support = norms > 0
    assert 1 <= np.count_nonzero(support) < a.shape[1] // 4
    # zero rows: ||a_i^H (Y - A S)|| <= lambda; rows on the support: a_i^H (Y - A S) = lambda S_i / ||S_i||
    assert np.all(np.linalg.norm(correlation[~support], axis=1) <= penalty * (1 + 1e-4))
    np.testing.assert_allclose(
        correlation[support], penalty * s[support] / norms[support, None], atol=1e-3 * penalty
    )


def test_the_objective_decreases_to_its_optimum():
    a, y, penalty = noisy_problem()
    values = [objective(a, y, np.zeros((a.shape[1], 2)), penalty)]
    for tolerance in (1e-1, 1e-3, 1e-6, 1e-9):
        solution = solve_group_lasso(a, y, penalty, tolerance=tolerance)
        assert solution.duality_gap <= tolerance * solution.objective
        values.append(solution.objective)
    assert np.all(np.diff(values) <= 1e-12 * values[0]), values
    # the gap bounds the distance to the optimum
    optimum = values[-1]
    loose = solve_group_lasso(a, y, penalty, tolerance=1e-2)
    assert optimum - 1e-9 <= loose.objective <= optimum + loose.duality_gap


def test_lambda_max_gives_zero():
    a, y, _ = noisy_problem()
    lambda_max = np.max(np.linalg.norm(a.conj().T @ y, axis=1))
    solution = solve_group_lasso(a, y, lambda_max)
    assert not solution.coefficients.any() and solution.iterations == 0 and solution.duality_gap <= 1e-9
    just_below = solve_group_lasso(a, y, 0.99 * lambda_max, tolerance=1e-9).coefficients
    assert np.count_nonzero(np.linalg.norm(just_below, axis=1)) == 1


def test_the_iteration_cap_is_kept():
    a, y, penalty = noisy_problem()
    solution = solve_group_lasso(a, y, penalty, tolerance=1e-14, max_iterations=7)
    assert solution.iterations == 7
    assert solution.duality_gap > 1e-14 * solution.objective


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"covariance": np.full((64, 64), np.nan)}, "NaN or infinite"),
        ({"covariance": np.eye(16)}, "16 x 16 but the array geometry has 64 elements"),
        ({"covariance": np.triu(np.ones((64, 64)))}, "Hermitian"),
        ({"positions_m": np.zeros((64, 2))}, r"positions_m must have shape \(M, 3\)"),
        ({"num_sources": 0}, "num_sources"),
        ({"num_sources": 65}, "at most M = 64"),
        ({"azimuth_grid_deg": np.array([])}, "azimuth_grid_deg must be 1-D with at least 2"),
        ({"elevation_grid_deg": np.array([])}, "elevation_grid_deg must be 1-D with at least 2"),
        ({"azimuth_grid_deg": np.array([3.0, 1.0, 2.0])}, "strictly increasing"),
        ({"elevation_grid_deg": np.array([0.0, 95.0])}, "must lie in -90 .. 90"),
        ({"wavelength_m": 0.0}, "wavelength_m"),
        ({"regularisation": 0.0}, r"regularisation: must lie in \(0, 1\)"),
        ({"regularisation": 1.0}, r"regularisation: must lie in \(0, 1\)"),
        ({"regularisation": 1.5}, r"regularisation: must be a finite number in \[0.0, 1.0\]"),
        ({"regularisation": "0.1"}, "regularisation: must be a number"),
        ({"min_separation_deg": -1.0}, "min_separation_deg"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"tolerance": 0.0}, "tolerance"),
        (
            {
                "azimuth_grid_deg": np.arange(-90.0, 90.0, 0.1),
                "elevation_grid_deg": np.arange(-90.0, 90.0, 0.1),
            },
            r"steering matrix \(64 elements x 3240000 directions\) would take 3164 MiB",
        ),
    ],
)
def test_bad_input_is_refused(change, message):
    arguments = {
        "covariance": covariance(URA_8X8, 10.0, 6.0),
        "positions_m": URA_8X8,
        "wavelength_m": WAVELENGTH_M,
        "num_sources": 1,
        "azimuth_grid_deg": AZIMUTH_GRID_DEG,
        "elevation_grid_deg": ELEVATION_GRID_DEG,
    }
    arguments.update(change)
    with pytest.raises(ValueError, match=message):
        l1_sparse_doa(**arguments)


def test_bad_solver_input_is_refused():
    a, y, penalty = noisy_problem()
    with pytest.raises(ValueError, match="same M"):
        solve_group_lasso(a, y[:4], penalty)
    with pytest.raises(ValueError, match="NaN or infinite"):
        solve_group_lasso(a, np.full_like(y, np.nan), penalty)
    with pytest.raises(ValueError, match="penalty"):
        solve_group_lasso(a, y, -1.0)
