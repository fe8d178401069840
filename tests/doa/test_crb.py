"""Cramer-Rao bounds on azimuth: closed forms, scaling, ordering and a direct Fisher-matrix check."""

from __future__ import annotations

import itertools
from time import perf_counter

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import (
    SPEED_OF_LIGHT_M_S,
    ArrayGeometry,
    steering_derivative,
    steering_derivative_elevation,
    steering_matrix,
    uca,
    ula,
    ura,
    wavelength_m,
)
from gnuradio.bearing.array.hybrid import HybridArray, HybridLayout
from gnuradio.bearing.array.impairments import (
    IDL_TLBO_PERTURBATION,
    Impairments,
    ImpairmentSpec,
    draw_impairments,
    perturbation_spec,
)
from gnuradio.bearing.doa import crb as crb_module
from gnuradio.bearing.doa.crb import (
    NotIdentifiableError,
    crb_rmse_deg,
    deterministic_crb,
    hybrid_stochastic_crb,
    perturbation_prior_crb_az_el,
    stochastic_crb,
    stochastic_crb_az_el,
)
from numpy.typing import ArrayLike

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


# The hybrid (Van Trees) bound with the perturbations unknown: perturbation_prior_crb_az_el.

URA_2X3 = ura(2, 3, 0.5, 0.5)
URA_4X4 = ura(4, 4, 0.5, 0.5)
PRIOR = perturbation_spec(0.5, float(np.rad2deg(0.5)), 1.0 / 21.0)  # IDL-TLBO's, per wavelength of 1 m


def hermitian_basis(num_sources: int) -> list[np.ndarray]:
    basis = []
    for first in range(num_sources):
        for second in range(first, num_sources):
            unit = np.zeros((num_sources, num_sources), dtype=np.complex128)
            unit[first, second] = 1.0
            basis.extend([unit] if first == second else [unit + unit.T, 1j * (unit - unit.T)])
    return basis


def brute_force_hybrid_fisher(
    geometry: ArrayGeometry,
    azimuth_deg: list[float],
    elevation_deg: list[float],
    p: np.ndarray,
    noise_power: float,
    t: int,
    point: Impairments,
) -> np.ndarray:
    """``T tr(R^-1 dR/di R^-1 dR/dj)`` with ``dR/di`` by central differences of ``R`` itself, at the
    perturbation ``point``, over [az, el (rad), gains 1..M-1 (dB), phases 1..M-1 (rad), positions (m),
    the real parameters of ``P``, sigma^2], plus the prior ``1 / std^2`` on the perturbations."""
    m, k = geometry.num_elements, len(azimuth_deg)
    basis = hermitian_basis(k)
    sizes = (2 * k, m - 1, m - 1, 3 * m, k * k + 1)  # angles, gains, phases, positions, P and sigma^2

    def covariance(x: np.ndarray) -> np.ndarray:
        angles, gain_db, phase, position, source_and_noise = np.split(x, np.cumsum(sizes[:-1]))
        source, noise = source_and_noise[:-1], source_and_noise[-1]
        gains = 10.0 ** (np.r_[0.0, gain_db] / 20.0) * np.exp(1j * np.r_[0.0, phase])
        positions = geometry.positions_m + position.reshape(m, 3)
        a = gains[:, None] * steering_matrix(
            positions, np.rad2deg(angles[:k]), WAVELENGTH_M, np.rad2deg(angles[k:])
        )
        return a @ sum(c * e for c, e in zip(source, basis, strict=True)) @ a.conj().T + noise * np.eye(m)

    coefficients = [np.real(np.vdot(e, p)) / np.real(np.vdot(e, e)) for e in basis]  # P = sum c_e E_e
    x0 = np.concatenate(
        [
            np.deg2rad(azimuth_deg + elevation_deg),
            point.gain_db[1:],
            np.deg2rad(point.phase_deg[1:]),
            point.position_error_m.ravel(),
            coefficients,
            [noise_power],
        ]
    )
    steps = np.repeat([1e-6, 1e-5, 1e-6, 1e-7, 1e-3], sizes)
    inverse = np.linalg.inv(covariance(x0))
    whitened = []
    for i, step in enumerate(steps):
        shift = np.zeros(x0.size)
        shift[i] = step
        whitened.append(inverse @ (covariance(x0 + shift) - covariance(x0 - shift)) / (2.0 * step))
    return t * np.array([[np.trace(wi @ wj).real for wj in whitened] for wi in whitened])


def prior_information(num_elements: int, num_sources: int, prior: ImpairmentSpec) -> np.ndarray:
    """``J_P``: ``1 / std^2`` on the diagonal of the perturbations in the order of
    :func:`brute_force_hybrid_fisher`, zero elsewhere."""
    m, k = num_elements, num_sources
    stds = np.repeat(
        [prior.gain_std_db, np.deg2rad(prior.phase_std_deg), prior.position_std_m], [m - 1, m - 1, 3 * m]
    )
    return np.diag(np.concatenate([np.zeros(2 * k), 1.0 / stds**2, np.zeros(k * k + 1)]))


@pytest.mark.parametrize(
    ("azimuth_deg", "elevation_deg", "source_covariance"),
    [([70.0], [4.0], np.array([[1.0]])), ([-20.0, 30.0], [10.0, -5.0], CORRELATED_SOURCES)],
    ids=["one source", "two correlated sources"],
)
@pytest.mark.parametrize("num_draws", [0, 3])
def test_hybrid_bound_equals_the_brute_force_slepian_bangs_bound(
    azimuth_deg: list[float], elevation_deg: list[float], source_covariance: np.ndarray, num_draws: int
) -> None:
    """Against traces of numerical derivatives of R on a 2 x 3 URA, at the nominal array or averaged
    over the documented draws."""
    k, seed = len(azimuth_deg), 4
    rng = np.random.default_rng(seed)
    points = [draw_impairments(6, 1.0, rng, PRIOR) for _ in range(num_draws)] or [Impairments.ideal(6)]
    args = (azimuth_deg, elevation_deg, source_covariance, 0.1, 7)
    fisher = np.mean([brute_force_hybrid_fisher(URA_2X3, *args, point) for point in points], axis=0)
    expected = np.linalg.inv(fisher + prior_information(6, k, PRIOR))[: 2 * k, : 2 * k] * RAD2_TO_DEG2

    bound = perturbation_prior_crb_az_el(URA_2X3, WAVELENGTH_M, *args, PRIOR, num_draws=num_draws, seed=seed)

    assert bound.shape == (2 * k, 2 * k)
    np.testing.assert_allclose(bound, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_every_entry_of_the_data_information_equals_the_brute_force_one() -> None:
    """The whole Slepian-Bangs matrix over angles, perturbations, ``P`` and ``sigma^2`` at a drawn
    perturbation (the bound hardly depends on some entries, e.g. perturbation x ``sigma^2``)."""
    azimuth_deg, elevation_deg, point = [-20.0, 30.0], [10.0, -5.0], draw_impairments(6, 1.0, 8, PRIOR)
    expected = brute_force_hybrid_fisher(
        URA_2X3, azimuth_deg, elevation_deg, CORRELATED_SOURCES, 0.1, 7, point
    )
    positions = URA_2X3.positions_m + point.position_error_m
    angles = (positions, azimuth_deg, WAVELENGTH_M, elevation_deg)
    a = point.channel_gains()[:, None] * steering_matrix(*angles)
    d = point.channel_gains()[:, None] * np.hstack(
        [steering_derivative(*angles), steering_derivative_elevation(*angles)]
    )
    groups = [("gain", 0.5), ("phase", 0.5), ("position", 0.05)]
    rows, derivatives, _ = crb_module._perturbation_derivatives(a, azimuth_deg, elevation_deg, 1.0, groups)
    fisher = crb_module._slepian_bangs_fisher(
        a, d, np.array([0, 1, 0, 1]), rows, derivatives, CORRELATED_SOURCES, 0.1, 7
    )
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    np.testing.assert_allclose(fisher / scale, expected / scale, atol=1e-8)


@pytest.mark.parametrize(
    ("azimuth_deg", "elevation_deg", "source_covariance"),
    [([70.0], [4.0], [2.0]), ([-20.0, 30.0], [10.0, -5.0], CORRELATED_SOURCES)],
    ids=["one source", "two correlated sources"],
)
def test_hybrid_bound_tends_to_the_nominal_bound_as_the_prior_vanishes(
    azimuth_deg: list[float], elevation_deg: list[float], source_covariance: ArrayLike
) -> None:
    args = (URA_4X4, WAVELENGTH_M, azimuth_deg, elevation_deg, source_covariance, 0.1, 20)
    nominal = stochastic_crb_az_el(*args)

    np.testing.assert_allclose(
        perturbation_prior_crb_az_el(*args, perturbation_spec(0.0, 0.0, 0.0)), nominal, rtol=1e-9
    )
    np.testing.assert_allclose(
        perturbation_prior_crb_az_el(*args, perturbation_spec(0.0, 0.0, 0.0), num_draws=2), nominal, rtol=1e-9
    )
    gaps = [
        np.max(np.abs(perturbation_prior_crb_az_el(*args, scaled_prior(scale)) / nominal - 1.0))
        for scale in (1e-3, 1e-4, 1e-5)
    ]
    assert gaps[-1] < 1e-5
    np.testing.assert_allclose([gaps[0] / gaps[1], gaps[1] / gaps[2]], 100.0, rtol=0.05)  # as the variance


def scaled_prior(scale: float) -> ImpairmentSpec:
    """:data:`PRIOR` with every standard deviation times ``scale``."""
    stds = (PRIOR.gain_std_db, PRIOR.phase_std_deg, PRIOR.position_std_m)
    return perturbation_spec(*(scale * std for std in stds))


@pytest.mark.parametrize("num_sources", [1, 2])
def test_hybrid_bound_exceeds_the_known_bound_and_grows_with_the_prior(num_sources: int) -> None:
    """Positive semi-definite differences: known <= prior x 0.1 <= x 0.3 <= x 1 <= x 3; each group of
    perturbations alone also lifts the bound (gains only with two sources: at the nominal array a gain
    error is orthogonal to a change of direction of a single source)."""
    azimuth_deg, elevation_deg = [-20.0, 30.0][:num_sources], [10.0, -5.0][:num_sources]
    args = (URA_4X4, WAVELENGTH_M, azimuth_deg, elevation_deg, [1.0, 0.5][:num_sources], 0.1, 50)
    bounds = [stochastic_crb_az_el(*args)] + [
        perturbation_prior_crb_az_el(*args, scaled_prior(scale)) for scale in (0.1, 0.3, 1.0, 3.0)
    ]
    for lower, higher in itertools.pairwise(bounds):
        difference = higher - lower
        assert np.all(np.linalg.eigvalsh(difference) >= -1e-9 * np.abs(higher).max())
        assert np.all(np.diag(difference) > 0)
    assert np.all(np.diag(bounds[3]) > 10.0 * np.diag(bounds[0]))  # the prior of IDL-TLBO dominates
    for gain, phase, position in ((0.5, 0.0, 0.0), (0.0, 10.0, 0.0), (0.0, 0.0, 0.01)):
        alone = perturbation_prior_crb_az_el(*args, perturbation_spec(gain, phase, position))
        if gain and num_sources == 1:
            np.testing.assert_allclose(alone, bounds[0], rtol=1e-9)
        else:
            assert np.all(np.diag(alone) > 1.001 * np.diag(bounds[0]))


def test_hybrid_bound_at_table_4_of_the_idl_tlbo_paper_is_fast_and_finite() -> None:
    """16 x 16 URA at 28 GHz, (70, 4) deg, 10 dB per element, one snapshot: 1278 perturbation
    parameters; about 2.8 times the bound with the perturbations known."""
    wavelength = wavelength_m(28e9)
    args = (ura(16, 16, wavelength / 2, wavelength / 2), wavelength, [70.0], [4.0], [1.0], 0.1, 1)
    start = perf_counter()
    bound = perturbation_prior_crb_az_el(*args, IDL_TLBO_PERTURBATION)
    elapsed = perf_counter() - start

    assert elapsed < 5.0
    assert bound.shape == (2, 2) and np.all(np.isfinite(bound))
    np.testing.assert_allclose(np.sqrt(np.diag(bound)), [0.4477, 0.1526], rtol=1e-3)
    known = stochastic_crb_az_el(*args)
    assert np.all(np.linalg.eigvalsh(bound - known) >= 0.0)


def test_hybrid_bound_refuses_bad_arguments() -> None:
    args = (URA_4X4, WAVELENGTH_M, [20.0], [10.0], [1.0], 0.1, 10)
    with pytest.raises(ValueError, match="only gain, phase and position errors"):
        perturbation_prior_crb_az_el(*args, ImpairmentSpec())
    with pytest.raises(ValueError, match="prior must be an ImpairmentSpec"):
        perturbation_prior_crb_az_el(*args, draw_impairments(16, 1.0, 0, PRIOR))
    for num_draws in (-1, 1.5, True):
        with pytest.raises(ValueError, match="num_draws"):
            perturbation_prior_crb_az_el(*args, PRIOR, num_draws=num_draws)
    with pytest.raises(NotIdentifiableError):
        perturbation_prior_crb_az_el(URA_4X4, WAVELENGTH_M, [20.0], [10.0], [0.0], 0.1, 10, PRIOR)
    with pytest.raises(NotIdentifiableError):  # a horizontal array at el = 0
        perturbation_prior_crb_az_el(uca(8, 0.5), WAVELENGTH_M, [20.0], [0.0], [1.0], 0.1, 10, PRIOR)
