"""WGMD, WLMD and one-shot OMC-DOA fusion of H2AD group candidates (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.array.hybrid import HybridArray, HybridLayout
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.h2ad.candidates import group_candidates
from gnuradio.bearing.h2ad.fusion import fuse_candidates, wgmd, wlmd
from gnuradio.bearing.h2ad.refine import refine_bearings
from helpers.signals import HALF_WAVELENGTH_M, WAVELENGTH_M, alias_candidates, group_covariance

FUSIONS = [wgmd, wlmd, fuse_candidates]

# Source sets whose sines differ by no multiple of 2 / (M_1 M_2) (no ghost class), see the
# module docstring: 1/6 for M = (3, 4), 1/3 for M = (2, 3).
TRUTH_3_4 = [[12.0], [-20.0, 35.0], [5.0, 40.0, 60.0]]
TRUTH_2_3 = [[12.0], [-2.0, 28.0], [-17.0, 13.0, 28.0]]


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("truth_deg", TRUTH_3_4)
def test_sources_found_among_aliases_of_coprime_groups_3_4(fusion, truth_deg: list[float]) -> None:
    rng = np.random.default_rng(len(truth_deg))
    candidates = [alias_candidates(truth_deg, m, 0.001 * rng.standard_normal(len(truth_deg))) for m in (3, 4)]
    bearings = fusion(candidates, len(truth_deg))
    np.testing.assert_allclose(np.sort(bearings), truth_deg, atol=0.3)


@pytest.mark.parametrize("fusion", FUSIONS)
@pytest.mark.parametrize("truth_deg", TRUTH_2_3)
def test_sources_found_from_covariances_n20_groups_2_3(fusion, truth_deg: list[float]) -> None:
    """N = 20: 4 subarrays of 2 and 4 of 3 (ESPRIT on 4 RF chains resolves 3 sources)."""
    rng = np.random.default_rng(10 + len(truth_deg))
    candidates = [
        group_candidates(
            group_covariance(m, 4, truth_deg, 20.0, rng), len(truth_deg), m, HALF_WAVELENGTH_M, WAVELENGTH_M
        )
        for m in (2, 3)
    ]
    np.testing.assert_allclose(np.sort(fusion(candidates, len(truth_deg))), truth_deg, atol=0.3)


def test_weights_pull_the_bearing_towards_the_heavier_group() -> None:
    candidates = [np.array([[10.0, 50.0]]), np.array([[11.0, -30.0, 70.0]])]
    for fusion in FUSIONS:
        assert fusion(candidates, 1) == pytest.approx([10.5])
        assert fusion(candidates, 1, weights=[3.0, 1.0]) == pytest.approx([10.25])


def test_rows_of_a_pick_are_removed_and_fewer_bearings_when_candidates_run_out() -> None:
    candidates = [np.array([[10.0, 50.0]]), np.array([[10.2, -30.0, 70.0], [49.8, np.nan, np.nan]])]
    for fusion in (wgmd, wlmd):
        np.testing.assert_allclose(fusion(candidates, 3), [10.1], err_msg=fusion.__name__)
    assert fuse_candidates(candidates, 2)[0] == pytest.approx(10.1)


def test_wlmd_takes_the_heaviest_group_as_reference() -> None:
    candidates = [np.array([0.0, 10.0]), np.array([0.8, 10.5, 20.0]), np.array([0.7, 9.5, 30.0])]
    # Reference group 0 (first of equal weights): 10.0 has its nearest at 0.5 + 0.5, 0.0 at 0.8 + 0.7.
    assert wlmd(candidates, 1) == pytest.approx([10.0])
    # Reference group 1: 0.8 has its nearest at 0.8 + 0.1, 10.5 at 0.5 + 1.0.
    assert wlmd(candidates, 1, weights=[1.0, 2.0, 1.0]) == pytest.approx([(0.0 + 2 * 0.8 + 0.7) / 4])


@pytest.mark.parametrize("fusion", FUSIONS)
def test_bad_arguments_raise_naming_them(fusion) -> None:
    good = [np.array([[1.0, 2.0]]), np.array([[1.0, 3.0]])]
    with pytest.raises(ValueError, match="2 groups"):
        fusion(good[:1], 1)
    with pytest.raises(ValueError, match="weights"):
        fusion(good, 1, weights=[1.0])
    with pytest.raises(ValueError, match="weights"):
        fusion(good, 1, weights=[1.0, 0.0])
    with pytest.raises(ValueError, match="num_sources"):
        fusion(good, -1)
    with pytest.raises(ValueError, match="group 1"):
        fusion([good[0], np.array([np.inf])], 1)


def _hybrid(truth_deg: list[float]) -> tuple[HybridArray, np.ndarray, np.ndarray]:
    """The H2AD study's array, (4, 4, 4) x (3, 4, 5), its combiner and the RF-chain response."""
    array = HybridArray(HybridLayout((4, 4, 4), (3, 4, 5)), frequency_hz=4.85e9)
    combiner = array.combiner()
    return array, combiner, combiner.conj().T @ array.geometry().steering(truth_deg, array.frequency_hz)


def test_refine_bearings_reaches_the_sources_of_an_exact_covariance() -> None:
    truth_deg = [-5.0, 8.5]
    array, combiner, response = _hybrid(truth_deg)
    covariance = response @ response.conj().T + np.eye(array.num_rf_chains)
    coarse = np.add(truth_deg, [0.6, -0.45])
    refined = refine_bearings(covariance, coarse, combiner, array.geometry().positions_m, array.wavelength_m)
    np.testing.assert_allclose(refined, truth_deg, atol=1e-4)


def test_refine_bearings_beats_the_fused_bearings_of_sample_covariances() -> None:
    """The fusions see each group's aperture, the refinement all the chains' (the CRLB's)."""
    truth_deg, rng = [-5.0, 8.5], np.random.default_rng(7)
    array, combiner, response = _hybrid(truth_deg)
    fused_errors, refined_errors = [], []
    for _ in range(20):
        signals = response @ complex_normal(rng, (2, 200)) + complex_normal(rng, (array.num_rf_chains, 200))
        covariance = sample_covariance(signals)
        candidates = [
            group_candidates(
                covariance[np.ix_(ula.rf_chains, ula.rf_chains)],
                2,
                ula.subarray_size,
                array.spacing_m,
                array.wavelength_m,
            )
            for ula in array.virtual_ulas()
        ]
        fused = np.sort(fuse_candidates(candidates, 2))
        refined = refine_bearings(
            covariance, fused, combiner, array.geometry().positions_m, array.wavelength_m
        )
        fused_errors.append(fused - truth_deg)
        refined_errors.append(refined - truth_deg)
    assert np.max(np.abs(fused_errors)) < 0.5, "the right class"
    fused_rmse, refined_rmse = (
        np.sqrt(np.mean(np.square(e), axis=0)) for e in (fused_errors, refined_errors)
    )
    assert np.all(refined_rmse < 0.6 * fused_rmse)


def test_refine_bearings_searches_only_the_window() -> None:
    array, combiner, response = _hybrid([0.0, 20.0])
    covariance = response @ response.conj().T + np.eye(array.num_rf_chains)
    positions = array.geometry().positions_m
    refined = refine_bearings(
        covariance, [3.0, 20.5], combiner, positions, array.wavelength_m, search_deg=1.0
    )
    assert 1.9 <= refined[0] <= 4.1, "the source at 0 deg is beyond the window of 3 deg"
    assert refined[1] == pytest.approx(20.0, abs=1e-4)
    wide = refine_bearings(covariance, [3.0, 20.5], combiner, positions, array.wavelength_m, search_deg=4.0)
    np.testing.assert_allclose(wide, [0.0, 20.0], atol=1e-4)


def test_refine_bearings_bad_arguments_raise_naming_them() -> None:
    array, combiner, response = _hybrid([0.0])
    covariance = response @ response.conj().T + np.eye(array.num_rf_chains)
    positions, wavelength = array.geometry().positions_m, array.wavelength_m
    with pytest.raises(ValueError, match="combiner has 12 RF chains"):
        refine_bearings(covariance[:5, :5], [0.0], combiner, positions, wavelength)
    with pytest.raises(ValueError, match="combiner"):
        refine_bearings(covariance, [0.0], combiner[:-1], positions, wavelength)
    with pytest.raises(ValueError, match="bearings_deg"):
        refine_bearings(covariance, [np.nan], combiner, positions, wavelength)
    with pytest.raises(ValueError, match="num_sources"):
        refine_bearings(covariance, np.zeros(12), combiner, positions, wavelength)
    with pytest.raises(ValueError, match="search_deg"):
        refine_bearings(covariance, [0.0], combiner, positions, wavelength, search_deg=0.0)
    with pytest.raises(ValueError, match="step_deg"):
        refine_bearings(covariance, [0.0], combiner, positions, wavelength, search_deg=0.5, step_deg=1.0)
