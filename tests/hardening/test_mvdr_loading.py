"""MVDR's diagonal loading as an option (issue 20: fixed at 1e-6 before), from the estimator to
the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gnuradio.bearing import demo_capture_path, ula, ura, wavelength_m
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.doa.planar import PlanarEstimator
from helpers.command import bearing

WAVELENGTH_M = wavelength_m(2.4e9)
GRID_DEG = np.arange(-90.0, 90.1, 1.0)


def _covariance(geometry, azimuth_deg: float, elevation_deg: float = 0.0) -> np.ndarray:
    a = geometry.steering(azimuth_deg, 2.4e9, elevation_deg)
    return 100.0 * a @ a.conj().T + np.eye(geometry.num_elements)


def test_heavy_loading_turns_mvdr_into_bartlett():
    geometry = ula(6, WAVELENGTH_M / 2)
    r = _covariance(geometry, 20.0)
    bartlett = Estimator(geometry, WAVELENGTH_M, GRID_DEG, "bartlett").estimate(r, 1).spectrum
    light = Estimator(geometry, WAVELENGTH_M, GRID_DEG, "mvdr").estimate(r, 1).spectrum
    heavy = Estimator(geometry, WAVELENGTH_M, GRID_DEG, "mvdr", diagonal_loading=1e6).estimate(r, 1).spectrum

    def shape(spectrum):  # heavy loading: 1 / a^H (R + c I)^-1 a = c / M + a^H R a / M^2 + O(1/c)
        spectrum = spectrum - spectrum.min()
        return spectrum / spectrum.max()

    assert np.max(np.abs(shape(heavy) - shape(bartlett))) < 0.01  # the inverse of a nearly scaled identity
    assert np.max(np.abs(shape(light) - shape(bartlett))) > 0.1


def test_the_planar_estimator_takes_it_too():
    geometry = ura(3, 3, WAVELENGTH_M / 2, WAVELENGTH_M / 2)
    r = _covariance(geometry, 30.0, 10.0)
    grid_el = np.arange(-60.0, 61.0, 2.0)
    light = PlanarEstimator(geometry, WAVELENGTH_M, GRID_DEG, grid_el, "mvdr").estimate(r, 1)
    heavy = PlanarEstimator(
        geometry, WAVELENGTH_M, GRID_DEG, grid_el, "mvdr", diagonal_loading=10.0
    ).estimate(r, 1)
    assert not np.allclose(light.spectrum, heavy.spectrum)
    with pytest.raises(ValueError, match="diagonal_loading"):
        PlanarEstimator(geometry, WAVELENGTH_M, GRID_DEG, grid_el, "mvdr", diagonal_loading=-1.0)


def test_the_command_line_option_reaches_the_estimator():
    def p95(*extra):
        result = bearing("evaluate", demo_capture_path(), "--method", "mvdr", "--json", *extra)
        return json.loads(result.stdout)["p95_deg"]

    assert p95("--diagonal-loading", "1e3") != p95()
    refused = bearing(
        "estimate", demo_capture_path(), "--method", "mvdr", "--diagonal-loading", "nan", check=False
    )
    assert refused.returncode == 2 and "diagonal_loading" in refused.stderr
