"""The coarray model: manifold, factored P, coarray DBF spectrum, subregions, cache."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import uca, ula, wavelength_m
from gnuradio.bearing.doa import coarray
from gnuradio.bearing.doa.coarray import CoarrayModel, coarray_model
from gnuradio.bearing.doa.grid import azimuth_grid

CARRIER_HZ = 4.85e9
SPACING_M = wavelength_m(CARRIER_HZ) / 2


def model(geometry=None, step_deg: float = 1.0) -> CoarrayModel:
    return CoarrayModel(geometry or ula(4, SPACING_M), CARRIER_HZ, azimuth_grid(-60, 60, step_deg))


@pytest.mark.parametrize(
    "geometry",
    [ula(4, SPACING_M), ula(6, SPACING_M), uca(5, 0.03), ula(12, SPACING_M), uca(9, 0.05)],
    ids=str,
)
@pytest.mark.parametrize("route", ["svd of the lags", "eigendecomposition"])
def test_factor_reproduces_dense_projection(geometry, route, monkeypatch):
    """Both routes to the factor: the SVD of the manifold's rows merged by lag, and (forced here
    by a zero size limit; taken for arrays of very many distinct lags) the eigendecomposition of P."""
    if route == "eigendecomposition":
        monkeypatch.setattr(coarray, "SVD_MAX_VALUES", 0)
    m = model(geometry)
    manifold = m.manifold()
    assert manifold.shape == (geometry.num_elements**2, m.grid_deg.size)
    dense = np.real(manifold.conj().T @ manifold)
    np.testing.assert_allclose(m.projection(), dense, atol=1e-9 * np.max(dense))
    eta = np.random.default_rng(0).standard_normal((3, m.grid_deg.size))
    np.testing.assert_allclose(m.apply_projection(eta), eta @ dense, atol=1e-8 * np.max(np.abs(eta @ dense)))
    assert m.rank <= geometry.num_elements**2


@pytest.mark.parametrize("num_elements", [2, 4, 8, 32])
@pytest.mark.parametrize("route", ["svd of the lags", "eigendecomposition"])
def test_ula_rank_is_number_of_lags(num_elements, route, monkeypatch):
    if route == "eigendecomposition":
        monkeypatch.setattr(coarray, "SVD_MAX_VALUES", 0)
    assert model(ula(num_elements, SPACING_M), 0.1).rank == 2 * num_elements - 1


def test_the_lag_rows_of_a_ula_are_its_2m_minus_1_lags():
    """A 512-element ULA: 1023 merged rows instead of 262144 (5 GB stacked on 1201 angles)."""
    geometry = ula(512, SPACING_M)
    steering = geometry.steering(azimuth_grid(-60, 60, 1.0), CARRIER_HZ)
    rows = coarray._lag_rows(steering, geometry.positions_m)
    assert rows.shape == (1023, 121)
    dense = np.abs(steering.conj().T @ steering) ** 2
    np.testing.assert_allclose(np.real(rows.conj().T @ rows), dense, rtol=1e-9, atol=1e-6)


def test_spectrum_is_bartlett_of_unit_power_covariance():
    m = model(uca(5, 0.03))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 40)) + 1j * rng.standard_normal((5, 40))
    r = x @ x.conj().T / 40
    a = m.geometry.steering(m.grid_deg, CARRIER_HZ)
    normalised = r / (np.trace(r).real / 5)
    bartlett = np.real(np.einsum("ml,mn,nl->l", a.conj(), normalised, a))
    np.testing.assert_allclose(m.spectrum(r), bartlett, rtol=1e-10, atol=1e-10)


def test_lone_source_spectrum_is_projection_column():
    m = model()
    index = int(np.argmin(np.abs(m.grid_deg + 15)))
    a = m.geometry.steering(m.grid_deg[index], CARRIER_HZ)
    spectrum = m.spectrum(7.0 * (a @ a.conj().T))  # the scale is normalised away
    # atol: entries near the spectrum's nulls differ by ~1e-14 with the BLAS of another CPU
    np.testing.assert_allclose(spectrum, m.projection()[:, index], rtol=1e-10, atol=1e-12)
    assert spectrum[index] == pytest.approx(16.0)  # M^2 at the source


def test_subregions_partition_the_paper_grid():
    m = coarray_model(ula(4, SPACING_M).positions_m, CARRIER_HZ)
    assert m.grid_deg.size == 1201
    parts = m.subregions([-60, -30, 0, 30, 60])
    assert [p.grid_deg.size for p in parts] == [300, 300, 300, 301]
    np.testing.assert_array_equal(np.concatenate([p.grid_deg for p in parts]), m.grid_deg)
    inside = (m.grid_deg >= -30) & (m.grid_deg < 0)
    np.testing.assert_allclose(parts[1].projection(), m.projection()[np.ix_(inside, inside)], atol=1e-9)
    r = np.eye(4) + 0.5
    np.testing.assert_allclose(parts[1].spectrum(r), m.spectrum(r)[inside], rtol=1e-9)


def test_model_is_cached_per_array_carrier_and_grid():
    positions = ula(4, SPACING_M).positions_m
    assert coarray_model(positions, CARRIER_HZ) is coarray_model(positions.copy(), CARRIER_HZ)
    assert coarray_model(positions, CARRIER_HZ) is not coarray_model(positions, 2.4e9)
    assert coarray_model(positions, CARRIER_HZ, -30, 30, 0.5).grid_deg.size == 121


@pytest.mark.parametrize(
    ("covariance", "message"),
    [(np.eye(3), "shape|3"), (np.zeros((4, 4)), "no power"), (np.full((4, 4), np.nan), "NaN")],
)
def test_bad_covariance_is_named(covariance, message):
    with pytest.raises(ValueError, match=message):
        model().spectrum(covariance)


def test_bad_grid_and_subregion():
    with pytest.raises(ValueError, match="grid_deg"):
        CoarrayModel(ula(4, SPACING_M), CARRIER_HZ, [])
    with pytest.raises(ValueError, match="no grid angle"):
        model().subregion(70, 80)
    with pytest.raises(ValueError, match="increasing"):
        model().subregions([0, -30])


def test_projection_onto_the_range_keeps_spectra_and_removes_the_rest():
    m = model(step_deg=0.1)
    spectrum = m.spectrum(np.eye(4) + 0.3)
    np.testing.assert_allclose(m.project_onto_range(spectrum), spectrum, rtol=1e-9, atol=1e-12)
    outside = np.random.default_rng(2).standard_normal(m.grid_deg.size)
    outside -= m.project_onto_range(outside)
    assert np.linalg.norm(outside) > 1
    np.testing.assert_allclose(m.project_onto_range(spectrum + outside), spectrum, atol=1e-9)
    with pytest.raises(ValueError, match="NaN"):
        m.project_onto_range(np.full(m.grid_deg.size, np.nan))
