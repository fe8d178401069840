"""Sample covariance, forward-backward averaging and spatial smoothing."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.covariance import forward_backward, sample_covariance, spatial_smoothing
from gnuradio.bearing.array.geometry import steering_matrix, ula
from helpers.signals import snapshots

WAVELENGTH_M = 1.0
GEOMETRY = ula(8, 0.5)


def noisy_covariance(seed: int = 0, coherent: bool = False) -> np.ndarray:
    x = snapshots(
        GEOMETRY, WAVELENGTH_M, [-10.0, 25.0], 10.0, 50, np.random.default_rng(seed), coherent=coherent
    )
    return sample_covariance(x[0])


def test_sample_covariance_is_x_xh_over_t() -> None:
    x = snapshots(GEOMETRY, WAVELENGTH_M, [5.0], 0.0, 40, np.random.default_rng(0))[0]

    r = sample_covariance(x)

    assert r.shape == (8, 8) and r.dtype == np.complex128
    np.testing.assert_allclose(r, x @ x.conj().T / 40)
    np.testing.assert_allclose(r, r.conj().T)


def test_sample_covariance_promotes_single_precision() -> None:
    x = np.ones((3, 4), dtype=np.complex64)
    assert sample_covariance(x).dtype == np.complex128


@pytest.mark.parametrize("shape", [(8,), (2, 3, 4), (0, 5), (4, 0)])
def test_sample_covariance_rejects_bad_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"shape \(M, T\)"):
        sample_covariance(np.zeros(shape, dtype=complex))


def test_sample_covariance_rejects_non_finite_snapshots() -> None:
    x = np.ones((3, 4), dtype=complex)
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match="snapshots contains NaN or infinite"):
        sample_covariance(x)


def test_forward_backward_is_hermitian_and_persymmetric() -> None:
    r = noisy_covariance()
    fb = forward_backward(r)
    exchange = np.eye(8)[::-1]

    np.testing.assert_allclose(fb, 0.5 * (r + exchange @ r.conj() @ exchange))
    np.testing.assert_allclose(fb, fb.conj().T)
    np.testing.assert_allclose(exchange @ fb @ exchange, fb.T)


def test_forward_backward_keeps_a_single_source_model_on_a_centred_ula() -> None:
    a = steering_matrix(GEOMETRY.positions_m, [17.0], WAVELENGTH_M)
    r = a @ a.conj().T + 0.1 * np.eye(8)
    np.testing.assert_allclose(forward_backward(r), r, atol=1e-12)


def test_spatial_smoothing_averages_the_subarray_covariances() -> None:
    r = noisy_covariance()
    expected = (r[0:6, 0:6] + r[1:7, 1:7] + r[2:8, 2:8]) / 3

    np.testing.assert_allclose(spatial_smoothing(r, 6), expected)
    np.testing.assert_allclose(spatial_smoothing(r, 8), r)
    np.testing.assert_allclose(spatial_smoothing(r, 1), [[np.trace(r) / 8]])


def test_spatial_smoothing_of_uncorrelated_sources_is_the_subarray_model() -> None:
    """For uncorrelated sources R_ss = A_L P A_L^H + sigma^2 I on geometry.subarray(0, L)."""
    a = steering_matrix(GEOMETRY.positions_m, [-10.0, 25.0], WAVELENGTH_M)
    r = a @ np.diag([1.0, 2.0]) @ a.conj().T + 0.1 * np.eye(8)
    a_sub = steering_matrix(GEOMETRY.subarray(0, 5).positions_m, [-10.0, 25.0], WAVELENGTH_M)

    np.testing.assert_allclose(
        spatial_smoothing(r, 5), a_sub @ np.diag([1.0, 2.0]) @ a_sub.conj().T + 0.1 * np.eye(5), atol=1e-12
    )


def test_forward_backward_spatial_smoothing_restores_the_rank_of_coherent_sources() -> None:
    a = steering_matrix(GEOMETRY.positions_m, [-10.0, 10.0], WAVELENGTH_M)
    combined = a.sum(axis=1, keepdims=True)
    r = combined @ combined.conj().T  # two fully coherent sources: rank 1

    eigenvalues = np.linalg.eigvalsh(spatial_smoothing(forward_backward(r), 6))

    assert np.linalg.matrix_rank(r) == 1
    assert np.sum(eigenvalues > 1e-9 * eigenvalues.max()) == 2


def test_forward_backward_and_smoothing_commute() -> None:
    """Documented in spatial_smoothing: SS(FB(R)) == FB(SS(R))."""
    r = noisy_covariance(coherent=True)
    np.testing.assert_allclose(
        spatial_smoothing(forward_backward(r), 5), forward_backward(spatial_smoothing(r, 5))
    )


@pytest.mark.parametrize("length", [0, 9, 2.5, -1])
def test_spatial_smoothing_rejects_subarray_lengths_outside_1_to_m(length: float) -> None:
    with pytest.raises(ValueError, match=r"subarray_length must be an integer in \[1, M\] = \[1, 8\]"):
        spatial_smoothing(noisy_covariance(), length)


@pytest.mark.parametrize("function", [forward_backward, lambda r: spatial_smoothing(r, 2)])
def test_covariance_functions_reject_bad_matrices(function) -> None:
    with pytest.raises(ValueError, match=r"square \(M, M\)"):
        function(np.zeros((3, 4), dtype=complex))
    with pytest.raises(ValueError, match=r"square \(M, M\)"):
        function(np.zeros(4, dtype=complex))
    bad = np.eye(4, dtype=complex)
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="covariance contains NaN or infinite"):
        function(bad)
