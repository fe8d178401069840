"""Cramer-Rao bounds on azimuth: closed forms, scaling, ordering and a direct Fisher-matrix check."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import (
    SPEED_OF_LIGHT_M_S,
    ArrayGeometry,
    steering_derivative,
    steering_matrix,
    uca,
    ula,
    ura,
    wavelength_m,
)
from gnuradio.bearing.array.hybrid import HybridArray, HybridLayout
from gnuradio.bearing.array.impairments import IDL_TLBO_PERTURBATION, Impairments, draw_impairments
from gnuradio.bearing.doa.crb import (
    NotIdentifiableError,
    crb_rmse_deg,
    deterministic_crb,
    hybrid_stochastic_crb,
    stochastic_crb,
    stochastic_crb_az_el,
)

WAVELENGTH_M = 1.0
RAD2_TO_DEG2 = (180.0 / np.pi) ** 2
CORRELATED_SOURCES = np.array([[1.0, 0.4 + 0.3j], [0.4 - 0.3j, 2.0]])


def ula_single_source_bound_deg2(num_elements: int, spacing_m: float, offset_deg: float, snr: float, t: int):
    """``6 / (T SNR M (M^2 - 1) (2 pi d cos(az - broadside) / lambda)^2)`` in deg^2.

    The deterministic CRB of one source on a ULA [Stoica & Nehorai 1989]: with
    ``x_m = m d`` the element coordinate along the axis, ``D^H P_perp D = (2 pi cos / lambda)^2
    * sum_m (x_m - mean x)^2 = (2 pi d cos / lambda)^2 M (M^2 - 1) / 12``. The stochastic CRB
    multiplies it by ``1 + 1 / (M SNR)`` since ``p^2 a^H R^-1 a = p M SNR / (1 + M SNR)``.
    """
    spatial_frequency = 2.0 * np.pi * spacing_m * np.cos(np.deg2rad(offset_deg)) / WAVELENGTH_M
    return 6.0 / (t * snr * num_elements * (num_elements**2 - 1) * spatial_frequency**2) * RAD2_TO_DEG2


@pytest.mark.parametrize("azimuth_deg", [0.0, 20.0, -55.0])
def test_single_source_on_a_ula_matches_the_closed_forms(azimuth_deg: float) -> None:
    num_elements, spacing_m, snr, t = 8, 0.5, 10.0, 100
    geometry = ula(num_elements, spacing_m)
    closed_form = ula_single_source_bound_deg2(num_elements, spacing_m, azimuth_deg, snr, t)

    deterministic = deterministic_crb(geometry, WAVELENGTH_M, azimuth_deg, [snr], 1.0, t)
    stochastic = stochastic_crb(geometry, WAVELENGTH_M, azimuth_deg, [snr], 1.0, t)

    assert deterministic.shape == stochastic.shape == (1, 1)
    assert deterministic[0, 0] == pytest.approx(closed_form, rel=1e-10)
    assert stochastic[0, 0] == pytest.approx(closed_form * (1.0 + 1.0 / (num_elements * snr)), rel=1e-10)


def test_closed_form_uses_the_broadside_of_a_rotated_ula() -> None:
    axis_azimuth_rad = np.deg2rad(30.0 + 90.0)  # broadside at 30 deg
    geometry = ArrayGeometry(
        np.arange(6)[:, None] * 0.4 * [np.cos(axis_azimuth_rad), -np.sin(axis_azimuth_rad), 0.0]
    )
    bound = deterministic_crb(geometry, WAVELENGTH_M, 45.0, [4.0], 1.0, 50)[0, 0]
    assert bound == pytest.approx(ula_single_source_bound_deg2(6, 0.4, 15.0, 4.0, 50), rel=1e-10)


def test_stochastic_and_deterministic_agree_at_high_snr() -> None:
    geometry = ula(8, 0.5)
    ratios = [
        np.diag(stochastic_crb(geometry, WAVELENGTH_M, [-10.0, 10.0], [1.0, 1.0], noise_power, 200))
        / np.diag(deterministic_crb(geometry, WAVELENGTH_M, [-10.0, 10.0], [1.0, 1.0], noise_power, 200))
        for noise_power in (1.0, 1e-3, 1e-6)
    ]
    assert np.all(ratios[0] > 1.1)
    np.testing.assert_allclose(ratios[-1], 1.0, rtol=1e-4)


@pytest.mark.parametrize("bound", [stochastic_crb, deterministic_crb])
def test_bound_decreases_as_one_over_t(bound) -> None:
    geometry = uca(7, 0.6)
    crbs = [bound(geometry, WAVELENGTH_M, [40.0, 100.0], CORRELATED_SOURCES, 0.5, t) for t in (10, 100, 1000)]
    np.testing.assert_allclose(crbs[0], 10.0 * crbs[1], rtol=1e-12)
    np.testing.assert_allclose(crbs[1], 10.0 * crbs[2], rtol=1e-12)


@pytest.mark.parametrize("geometry", [ula(8, 0.5), uca(7, 0.6)], ids=["ula", "uca"])
def test_deterministic_never_exceeds_stochastic(geometry: ArrayGeometry) -> None:
    args = (geometry, WAVELENGTH_M, [40.0, 55.0], CORRELATED_SOURCES, 0.3, 100)
    difference = stochastic_crb(*args) - deterministic_crb(*args)
    assert np.all(np.linalg.eigvalsh(difference) >= -1e-12 * np.abs(difference).max())
    assert np.all(np.diag(difference) > 0)


def slepian_bangs_crb_deg2(a, d, p, noise_shape, noise_power, t):
    """Slepian-Bangs, ``F_ij = T tr(R^-1 dR/di R^-1 dR/dj)`` over the azimuths, the real parameters
    of a 2 x 2 ``P`` and ``sigma^2``, for ``R = A P A^H + sigma^2 noise_shape``; the azimuth block
    of ``F^-1`` in deg^2."""
    r = a @ p @ a.conj().T + noise_power * noise_shape
    derivatives = []
    for k in range(2):
        dk = np.zeros_like(d)
        dk[:, k] = d[:, k]
        derivatives.append(dk @ p @ a.conj().T + a @ p @ dk.conj().T)
    for e in (np.diag([1, 0]), np.diag([0, 1]), np.array([[0, 1], [1, 0]]), np.array([[0, 1j], [-1j, 0]])):
        derivatives.append(a @ e @ a.conj().T)
    derivatives.append(noise_shape)
    whitened = [np.linalg.solve(r, dr) for dr in derivatives]
    fisher = t * np.array([[np.trace(wi @ wj).real for wj in whitened] for wi in whitened])
    return np.linalg.inv(fisher)[:2, :2] * RAD2_TO_DEG2


def test_stochastic_crb_equals_the_inverse_fisher_matrix_on_a_uca() -> None:
    geometry, azimuth_deg, noise_power, t = uca(7, 0.6), [40.0, 100.0], 0.5, 30
    a = steering_matrix(geometry.positions_m, azimuth_deg, WAVELENGTH_M)
    d = steering_derivative(geometry.positions_m, azimuth_deg, WAVELENGTH_M)
    expected = slepian_bangs_crb_deg2(a, d, CORRELATED_SOURCES, np.eye(7), noise_power, t)

    np.testing.assert_allclose(
        stochastic_crb(geometry, WAVELENGTH_M, azimuth_deg, CORRELATED_SOURCES, noise_power, t), expected
    )


def test_deterministic_crb_equals_the_inverse_fisher_matrix_on_a_uca() -> None:
    """Mean-parameter FIM (2 / sigma^2) Re(J^H J) over azimuths and the real and imaginary waveforms."""
    geometry, azimuth_deg, noise_power, t = uca(7, 0.6), [40.0, 100.0], 0.5, 4
    a = steering_matrix(geometry.positions_m, azimuth_deg, WAVELENGTH_M)
    d = steering_derivative(geometry.positions_m, azimuth_deg, WAVELENGTH_M)
    waveforms = np.random.default_rng(5).standard_normal((2, t, 2)) @ [1.0, 1j]
    columns = [(d[:, [k]] * waveforms[k]).T.ravel() for k in range(2)]  # d mu / d azimuth_k, mu = vec over t
    for time in range(t):
        for k in range(2):
            column = np.zeros((t, 7), dtype=complex)
            column[time] = a[:, k]
            columns += [column.ravel(), 1j * column.ravel()]
    jacobian = np.array(columns).T
    fisher = 2.0 / noise_power * (jacobian.conj().T @ jacobian).real

    expected = np.linalg.inv(fisher)[:2, :2] * RAD2_TO_DEG2
    sample_source_covariance = waveforms @ waveforms.conj().T / t

    np.testing.assert_allclose(
        deterministic_crb(geometry, WAVELENGTH_M, azimuth_deg, sample_source_covariance, noise_power, t),
        expected,
    )


def test_power_vector_is_a_diagonal_source_covariance() -> None:
    geometry = uca(6, 0.5)
    for bound in (stochastic_crb, deterministic_crb):
        np.testing.assert_array_equal(
            bound(geometry, WAVELENGTH_M, [0.0, 70.0], [1.0, 3.0], 0.1, 10),
            bound(geometry, WAVELENGTH_M, [0.0, 70.0], np.diag([1.0, 3.0]), 0.1, 10),
        )


def test_crb_rmse_is_the_root_mean_diagonal() -> None:
    assert crb_rmse_deg(np.array([[0.04, 0.01], [0.01, 0.09]])) == pytest.approx(np.sqrt(0.065))
    with pytest.raises(ValueError, match="square"):
        crb_rmse_deg(np.ones(3))


def test_bad_arguments_raise_value_error() -> None:
    geometry = ula(4, 0.5)
    with pytest.raises(ValueError, match="noise_power"):
        stochastic_crb(geometry, WAVELENGTH_M, [0.0], [1.0], 0.0, 10)
    with pytest.raises(ValueError, match="num_snapshots"):
        stochastic_crb(geometry, WAVELENGTH_M, [0.0], [1.0], 1.0, 0)
    with pytest.raises(ValueError, match="wavelength_m"):
        deterministic_crb(geometry, -1.0, [0.0], [1.0], 1.0, 10)
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(2, 2\)"):
        stochastic_crb(geometry, WAVELENGTH_M, [0.0, 10.0], [1.0, 1.0, 1.0], 1.0, 10)
    with pytest.raises(ValueError, match="5 sources exceed the 4 elements"):
        stochastic_crb(geometry, WAVELENGTH_M, [0.0, 10.0, 20.0, 30.0, 40.0], np.ones(5), 1.0, 10)
    with pytest.raises(ValueError, match="real and >= 0"):
        stochastic_crb(geometry, WAVELENGTH_M, [0.0], [-1.0], 1.0, 10)
    with pytest.raises(ValueError, match="singular"):
        deterministic_crb(geometry, WAVELENGTH_M, [0.0, 10.0], [1.0, 0.0], 1.0, 10)
    with pytest.raises(ValueError, match="singular"):
        stochastic_crb(geometry, WAVELENGTH_M, [10.0, 10.0], [1.0, 1.0], 1.0, 10)


# Hybrid analog-digital (H2AD) receiver: y = W^H x.
CARRIER_HZ = SPEED_OF_LIGHT_M_S / WAVELENGTH_M
H2AD = HybridArray(HybridLayout((2, 2), (2, 3), steer_azimuth_deg=10.0), CARRIER_HZ, spacing_m=0.5)


def h2ad_crb(azimuth_deg, source_covariance, noise_power, t, hybrid: HybridArray = H2AD):
    return hybrid_stochastic_crb(
        hybrid.geometry(), WAVELENGTH_M, azimuth_deg, source_covariance, noise_power, t, hybrid.combiner()
    )


@pytest.mark.parametrize("geometry", [ula(8, 0.5), uca(7, 0.6)], ids=["ula", "uca"])
def test_hybrid_crb_with_the_identity_combiner_is_the_stochastic_crb(geometry: ArrayGeometry) -> None:
    args = (geometry, WAVELENGTH_M, [40.0, 55.0], CORRELATED_SOURCES, 0.3, 100)
    np.testing.assert_allclose(
        hybrid_stochastic_crb(*args, np.eye(geometry.num_elements)), stochastic_crb(*args), rtol=1e-9
    )


def test_hybrid_crb_equals_the_inverse_fisher_matrix_of_the_rf_chains() -> None:
    """Slepian-Bangs on ``R_y = W^H A P A^H W + sigma^2 W^H W``, with a combiner that is not orthonormal."""
    w = H2AD.combiner() @ np.diag([1.0, 2.0, 0.5, 1.5])
    positions, azimuth_deg = H2AD.geometry().positions_m, [-5.0, 30.0]
    a = w.conj().T @ steering_matrix(positions, azimuth_deg, WAVELENGTH_M)
    d = w.conj().T @ steering_derivative(positions, azimuth_deg, WAVELENGTH_M)
    expected = slepian_bangs_crb_deg2(a, d, CORRELATED_SOURCES, w.conj().T @ w, 0.5, 40)

    bound = hybrid_stochastic_crb(H2AD.geometry(), WAVELENGTH_M, azimuth_deg, CORRELATED_SOURCES, 0.5, 40, w)

    np.testing.assert_allclose(bound, expected, rtol=1e-9)


def test_hybrid_crb_falls_with_snr_and_as_one_over_t() -> None:
    by_snr = [np.diag(h2ad_crb([-5.0, 30.0], [snr, snr], 1.0, 100)) for snr in (0.1, 1.0, 10.0)]
    assert np.all(np.diff(by_snr, axis=0) < 0)
    by_t = [h2ad_crb([-5.0, 30.0], [1.0, 2.0], 1.0, t) for t in (10, 100)]
    np.testing.assert_allclose(by_t[0], 10.0 * by_t[1], rtol=1e-12)


def test_hybrid_crb_is_never_below_the_digital_crb_of_the_same_antennas() -> None:
    for azimuth_deg in ([10.0], [-5.0, 30.0], [0.0, 20.0, 45.0]):
        powers = np.ones(len(azimuth_deg))
        args = (H2AD.geometry(), WAVELENGTH_M, azimuth_deg, powers, 0.5, 50)
        difference = hybrid_stochastic_crb(*args, H2AD.combiner()) - stochastic_crb(*args)
        assert np.all(np.linalg.eigvalsh(difference) >= -1e-12 * np.abs(difference).max())
        assert np.all(np.diag(difference) > 0)


def test_fewer_rf_chains_than_sources_plus_one_is_not_identifiable() -> None:
    with pytest.raises(NotIdentifiableError, match=r"4 RF chains cannot determine 4 azimuths.*K \+ 1 = 5"):
        h2ad_crb([-30.0, -5.0, 20.0, 45.0], np.ones(4), 1.0, 100)
    two_chains = HybridArray(HybridLayout((2,), (3,)), CARRIER_HZ, spacing_m=0.5)
    with pytest.raises(NotIdentifiableError, match="2 RF chains"):
        h2ad_crb([-10.0, 20.0], [1.0, 1.0], 1.0, 100, two_chains)
    assert h2ad_crb([10.0], [1.0], 1.0, 100, two_chains).shape == (1, 1)
    with pytest.raises(NotIdentifiableError, match="singular"):
        h2ad_crb([10.0, 10.0], [1.0, 1.0], 1.0, 100)
    assert issubclass(NotIdentifiableError, ValueError)


def test_bad_combiners_are_named() -> None:
    geometry = H2AD.geometry()
    with pytest.raises(ValueError, match=r"combiner must have shape \(10, R\)"):
        hybrid_stochastic_crb(geometry, WAVELENGTH_M, [0.0], [1.0], 1.0, 10, np.eye(4))
    with pytest.raises(ValueError, match="full column rank 2"):
        hybrid_stochastic_crb(geometry, WAVELENGTH_M, [0.0], [1.0], 1.0, 10, np.ones((10, 2)))


def test_the_bound_with_known_perturbations():
    """stochastic_crb_az_el with the IDL-TLBO perturbations known: the ideal realisation and a
    common phase change nothing; position errors and gains move the bound a little on a 16 x 16
    URA at (70, 4) deg; coupling has no bound here."""
    wavelength = wavelength_m(28e9)
    geometry = ura(16, 16, wavelength / 2, wavelength / 2)
    args = (geometry, wavelength, [70.0], [4.0], [1.0], 0.1, 1)
    nominal = stochastic_crb_az_el(*args)
    np.testing.assert_allclose(stochastic_crb_az_el(*args, perturbations=Impairments.ideal(256)), nominal)
    common = Impairments.ideal(256)
    common = Impairments(**{**common.__dict__, "phase_deg": np.full(256, 40.0)})
    np.testing.assert_allclose(stochastic_crb_az_el(*args, perturbations=common), nominal, rtol=1e-9)
    perturbed = stochastic_crb_az_el(
        *args, perturbations=draw_impairments(256, 1.0, 3, IDL_TLBO_PERTURBATION)
    )
    assert 0.8 < perturbed[0, 0] / nominal[0, 0] < 1.25 and 0.8 < perturbed[1, 1] / nominal[1, 1] < 1.25
    with pytest.raises(ValueError, match="only gain, phase and position errors"):
        stochastic_crb_az_el(*args, perturbations=draw_impairments(256, 1.0, 3))
