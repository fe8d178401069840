"""The impairment model: ideal at rho = 0, the equations of MoD-DNN eqs. (6), (7), (34), Fig. 1b."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import steering_matrix, uca, ula, ura, wavelength_m
from gnuradio.bearing.array.impairments import Impairments, ImpairmentSpec, array_response, draw_impairments

CARRIER_HZ = 4.85e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
OFFSETS_HZ = (-30e6, 0.0, 45e6)
AZIMUTHS_DEG = np.linspace(-180.0, 170.0, 36)
GEOMETRIES = {
    "ula": ula(4, WAVELENGTH_M / 2),
    "uca": uca(6, 0.6 * WAVELENGTH_M),
    "ura": ura(2, 3, WAVELENGTH_M / 2, WAVELENGTH_M / 2),
}


@pytest.mark.parametrize("name", GEOMETRIES)
def test_rho_zero_is_exactly_the_ideal_array(name):
    geometry = GEOMETRIES[name]
    for impairments in (
        draw_impairments(geometry.num_elements, 0.0, 7),
        Impairments.ideal(geometry.num_elements),
    ):
        response = array_response(
            geometry, AZIMUTHS_DEG, CARRIER_HZ, impairments, OFFSETS_HZ, elevation_deg=10.0
        )
        assert response.shape == (len(OFFSETS_HZ), geometry.num_elements, AZIMUTHS_DEG.size)
        for k, offset_hz in enumerate(OFFSETS_HZ):
            ideal = steering_matrix(
                geometry.positions_m, AZIMUTHS_DEG, wavelength_m(CARRIER_HZ + offset_hz), 10.0
            )
            assert np.array_equal(response[k], ideal)


@pytest.mark.parametrize("seed", range(6))
def test_phase_error_has_the_shape_of_fig_1b(seed):
    """Under 20 deg inside +-30 deg; beyond, a steady ramp reaching ~40-60 deg at +-60 deg."""
    impairments = draw_impairments(4, 1.0, seed)
    theta_deg = np.arange(-60.0, 61.0)
    psi_deg = impairments.phase_error_deg(theta_deg)[0]
    assert np.all(psi_deg[0] == 0.0)  # element 0 is the reference
    assert np.max(np.abs(psi_deg[:, np.abs(theta_deg) <= 30])) < 20.0
    for outward_deg in (np.arange(30.0, 61.0), np.arange(-30.0, -61.0, -1.0)):
        ramp_deg = impairments.phase_error_deg(outward_deg)[0]
        for element in range(1, 4):
            steps = np.diff(ramp_deg[element])
            assert np.all(np.sign(steps) == np.sign(steps[0])), "the error grows with a steady slope"
            assert np.all((np.abs(steps) > 0.8) & (np.abs(steps) < 2.4))
            assert 30.0 < abs(ramp_deg[element, -1]) < 66.0


@pytest.mark.parametrize("seed", range(3))
def test_phase_error_is_smooth_around_the_circle_and_across_subcarriers(seed):
    impairments = draw_impairments(4, 1.0, seed)
    theta_deg = np.arange(-180.0, 181.0)
    psi_deg = impairments.phase_error_deg(theta_deg)[0]
    assert np.max(np.abs(np.diff(psi_deg, axis=1))) < 2.4
    offsets_hz = (np.arange(16) - 8) * 6.12e6  # the 16 sampled subcarriers of MoD-DNN over 100 MHz
    across = impairments.phase_error_deg([-50.0, 0.0, 50.0], offsets_hz)
    steps = np.abs(np.diff(across, axis=0))
    assert np.max(steps) < 1.0 and np.max(steps) > 0.0
    assert np.max(np.abs(across - across[8])) < 10.0


def test_element_zero_is_the_reference_channel():
    for seed in range(5):
        impairments = draw_impairments(5, 1.0, seed)
        assert impairments.gain_db[0] == 0.0 and impairments.phase_deg[0] == 0.0
        assert impairments.delay_s[0] == 0.0
        assert np.all(impairments.phase_error_deg(AZIMUTHS_DEG, OFFSETS_HZ)[:, 0, :] == 0.0)


def test_magnitudes_at_full_degree_match_the_spec():
    spec = ImpairmentSpec()
    draws = [draw_impairments(8, 1.0, seed, spec) for seed in range(300)]
    gains_db = np.concatenate([d.gain_db[1:] for d in draws])
    phases_deg = np.concatenate([d.phase_deg[1:] for d in draws])
    positions_m = np.concatenate([d.position_error_m.ravel() for d in draws])
    delays_s = np.concatenate([d.delay_s[1:] for d in draws])
    assert np.std(gains_db) == pytest.approx(spec.gain_std_db, rel=0.1)
    assert np.std(phases_deg) == pytest.approx(spec.phase_std_deg, rel=0.1)
    assert np.std(positions_m) == pytest.approx(spec.position_std_m, rel=0.1)
    assert np.std(delays_s) == pytest.approx(spec.delay_std_s, rel=0.1)
    for d in draws:
        assert np.allclose(np.abs(d.coupling), spec.coupling_magnitudes)
    assert spec.position_std_m == pytest.approx(WAVELENGTH_M / 50, rel=0.05)


def test_rho_scales_every_error():
    full, part = draw_impairments(4, 1.0, 11), draw_impairments(4, 0.4, 11)
    for name in ("gain_db", "phase_deg", "coupling", "position_error_m", "delay_s"):
        assert np.allclose(getattr(part, name), 0.4 * getattr(full, name), rtol=1e-12, atol=0)
    theta_deg = np.linspace(-90, 90, 61)
    assert np.allclose(
        part.phase_error_deg(theta_deg, OFFSETS_HZ),
        0.4 * full.phase_error_deg(theta_deg, OFFSETS_HZ),
        atol=1e-12,
    )
    geometry = GEOMETRIES["ula"]
    ideal = geometry.steering(theta_deg, CARRIER_HZ)
    deviation = [
        np.linalg.norm(
            array_response(geometry, theta_deg, CARRIER_HZ, draw_impairments(4, rho, 11))[0] - ideal
        )
        for rho in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    assert deviation[0] == 0.0 and np.all(np.diff(deviation) > 0)


def test_draws_are_reproducible():
    first = draw_impairments(4, 1.0, 5).to_dict()
    assert draw_impairments(4, 1.0, 5).to_dict() == first
    assert draw_impairments(4, 1.0, np.random.default_rng(5)).to_dict() == first
    assert draw_impairments(4, 1.0, 6).to_dict() != first


def test_each_impairment_enters_as_in_eq_6_and_7():
    """h = C Gamma (gamma(theta) .* a(theta; r + dr)), each factor against a closed form."""
    geometry = GEOMETRIES["ula"]
    theta_deg = np.array([-70.0, -45.0, -10.0, 0.0, 25.0, 50.0, 80.0])
    ideal = steering_matrix(geometry.positions_m, theta_deg, WAVELENGTH_M)
    base = Impairments.ideal(4)

    def response(impairments):
        return array_response(geometry, theta_deg, CARRIER_HZ, impairments)[0]

    gain_db, phase_deg = np.array([0.0, 1.0, -2.0, 0.5]), np.array([0.0, 30.0, -45.0, 90.0])
    gains = dataclasses.replace(base, gain_db=gain_db, phase_deg=phase_deg)
    channel = 10 ** (gain_db / 20) * np.exp(1j * np.deg2rad(phase_deg))
    assert np.allclose(response(gains), channel[:, None] * ideal, atol=1e-12)

    c1, c2 = 0.1 + 0.1j, 0.02j
    banded_toeplitz = np.array([[1, c1, c2, 0], [c1, 1, c1, c2], [c2, c1, 1, c1], [0, c2, c1, 1]])
    coupling = dataclasses.replace(base, coupling=[c1, c2])
    assert np.allclose(coupling.coupling_matrix(geometry), banded_toeplitz)
    assert np.allclose(response(coupling), banded_toeplitz @ ideal, atol=1e-12)

    error_m = 1e-3 * np.arange(12.0).reshape(4, 3)
    moved = dataclasses.replace(base, position_error_m=error_m)
    assert np.allclose(
        response(moved), steering_matrix(geometry.positions_m + error_m, theta_deg, WAVELENGTH_M), atol=1e-12
    )

    slopes = np.array([[0.0, 0.0], [1.0, -1.0], [-2.0, 0.5], [0.0, 0.0]])
    ramped = dataclasses.replace(base, ramp_slope_deg_per_deg=slopes)
    beyond_left, beyond_right = np.maximum(-theta_deg - 30, 0), np.maximum(theta_deg - 30, 0)
    psi_deg = slopes[:, :1] * beyond_left + slopes[:, 1:] * beyond_right
    assert np.allclose(response(ramped), np.exp(1j * np.deg2rad(psi_deg)) * ideal, atol=1e-12)

    everything = dataclasses.replace(
        base, gain_db=gain_db, phase_deg=phase_deg, coupling=[c1, c2], position_error_m=error_m,
        ramp_slope_deg_per_deg=slopes,
    )  # fmt: skip
    moved_ideal = steering_matrix(geometry.positions_m + error_m, theta_deg, WAVELENGTH_M)
    expected = banded_toeplitz @ (channel[:, None] * np.exp(1j * np.deg2rad(psi_deg)) * moved_ideal)
    assert np.allclose(response(everything), expected, atol=1e-12)


def test_subcarriers_use_their_own_wavelength_and_delay():
    geometry = GEOMETRIES["ula"]
    delayed = dataclasses.replace(Impairments.ideal(4), delay_s=[0.0, 1e-9, 0.0, -2e-9])
    offsets_hz = np.array([-40e6, 0.0, 40e6])
    response = array_response(geometry, [35.0], CARRIER_HZ, delayed, offsets_hz)
    for k, offset_hz in enumerate(offsets_hz):
        a = steering_matrix(geometry.positions_m, [35.0], wavelength_m(CARRIER_HZ + offset_hz))[:, 0]
        drift = np.exp(-2j * np.pi * offset_hz * delayed.delay_s)
        assert np.allclose(response[k, :, 0], drift * a, atol=1e-12)


def test_coupling_of_a_uca_is_circulant():
    geometry = GEOMETRIES["uca"]
    coupling = draw_impairments(6, 1.0, 2, ImpairmentSpec(coupling_magnitudes=(0.2, 0.1, 0.05))).coupling
    matrix = dataclasses.replace(Impairments.ideal(6), coupling=coupling).coupling_matrix(geometry)
    for i in range(6):
        for j in range(6):
            ring_distance = min(abs(i - j), 6 - abs(i - j))
            assert matrix[i, j] == (1.0 if ring_distance == 0 else coupling[ring_distance - 1])


def test_realisation_round_trips_through_json():
    impairments = draw_impairments(5, 0.7, 3)
    text = json.dumps(impairments.to_dict())
    restored = Impairments.from_dict(json.loads(text))
    assert restored.to_dict() == impairments.to_dict()
    geometry = ula(5, WAVELENGTH_M / 2)
    assert np.array_equal(
        array_response(geometry, AZIMUTHS_DEG, CARRIER_HZ, restored, OFFSETS_HZ),
        array_response(geometry, AZIMUTHS_DEG, CARRIER_HZ, impairments, OFFSETS_HZ),
    )


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ImpairmentSpec(gain_std_db=-1.0), "gain_std_db"),
        (lambda: ImpairmentSpec(phase_std_deg=float("nan")), "phase_std_deg"),
        (lambda: ImpairmentSpec(coupling_magnitudes=(0.1, 1.5)), "coupling_magnitudes[1]"),
        (lambda: ImpairmentSpec(smooth_phase_harmonics=0), "smooth_phase_harmonics"),
        (lambda: ImpairmentSpec(ramp_knee_deg=120.0), "ramp_knee_deg"),
        (lambda: ImpairmentSpec(ramp_slope_max_deg_per_deg=1.0), "ramp_slope_max_deg_per_deg"),
        (lambda: draw_impairments(4, 1.5, 0), "rho"),
        (lambda: draw_impairments(0, 1.0, 0), "num_elements"),
        (lambda: array_response(ula(3, 0.1), [0.0], CARRIER_HZ, Impairments.ideal(4)), "elements"),
    ],
)
def test_bad_parameters_raise_naming_the_field(make, field):
    with pytest.raises(ValueError, match=re.escape(field)):
        make()
