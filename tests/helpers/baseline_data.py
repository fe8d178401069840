"""Labelled data for the baseline tests: one source at a time through the paper's impaired 4-element ULA."""

from __future__ import annotations

import io

import numpy as np
import torch
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.array.impairments import draw_impairments
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.learned.training_data import source_covariances

CARRIER_HZ = 4.85e9
GEOMETRY = ula(4, wavelength_m(CARRIER_HZ) / 2)
GRID_DEG = np.round(np.linspace(-60.0, 60.0, 1201), 1)
"""The paper's field of view and grid: -60 .. 60 deg by 0.1 deg."""
IMPAIRMENTS = draw_impairments(4, 1.0, 0)
"""Full impairment degree (rho = 1)."""


def labelled(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Covariances ``(count, 4, 4)`` of one source, uniform in -60 .. 60 deg, 20 dB, T = 100; its azimuths."""
    rng = np.random.default_rng(seed)
    azimuths = rng.uniform(-60.0, 60.0, count)
    return source_covariances(GEOMETRY, azimuths, CARRIER_HZ, IMPAIRMENTS, 20.0, 100, rng), azimuths


def ideal_music_errors_deg(covariances: np.ndarray, truth_deg: np.ndarray) -> np.ndarray:
    """Absolute errors, degrees, of MUSIC on the ideal manifold (the uncalibrated reference)."""
    music = Estimator(GEOMETRY, wavelength_m(CARRIER_HZ), GRID_DEG, "music")
    estimates = np.array([music.estimate(r, 1).azimuth_deg[0] for r in covariances])
    return np.abs(estimates - truth_deg)


def assert_beats_trivial_and_ideal_music(
    estimates_deg: np.ndarray, covariances: np.ndarray, truth_deg: np.ndarray
) -> None:
    """A learned calibration's median error is below 0.5 deg, 1/20 of always answering 0 deg
    (the centre of the field of view) and 1/4 of ideal-manifold MUSIC's."""
    median = np.median(np.abs(estimates_deg - truth_deg))
    assert median < 0.5
    assert median < 0.05 * np.median(np.abs(truth_deg))
    assert median < 0.25 * np.median(ideal_music_errors_deg(covariances, truth_deg))


def reloaded(model: torch.nn.Module, fresh: torch.nn.Module) -> torch.nn.Module:
    """``fresh`` with ``model``'s state dict, saved and loaded with ``weights_only=True``."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    return fresh
