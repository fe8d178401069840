"""Tiny MoD-DNN models for the block tests: trained in a second or two, by default on conftest's array.

They are not accurate (3 epochs on a 2-degree sweep of an ideal array); the block tests compare
the blocks with the model's own methods, for which any trained model does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gnuradio.bearing.array.geometry import ArrayGeometry, ula, wavelength_m
from gnuradio.bearing.array.impairments import Impairments, array_response
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.learned.mod_dnn import ModDnnConfig, save
from gnuradio.bearing.learned.mod_dnn_training import train_mod_dnn
from gnuradio.bearing.learned.training import TrainingOptions
from numpy.typing import ArrayLike, NDArray

CARRIER_HZ = 2.4e9
"""The carrier of conftest's ``make_capture``; its array is :data:`GEOMETRY`."""

GEOMETRY = ula(4, wavelength_m(CARRIER_HZ) / 2)
SRS_OFFSETS_HZ = (-15e6, 15e6)
"""K = 2 subcarriers of the SRS-style model."""


def cfrs(
    azimuth_deg: ArrayLike,
    offsets_hz: ArrayLike,
    snr_db: float,
    rng: np.random.Generator,
    geometry: ArrayGeometry = GEOMETRY,
    carrier_hz: float = CARRIER_HZ,
) -> NDArray[np.complex128]:
    """``(N, K, M)``: one source per item, a random complex gain per item and subcarrier, white noise."""
    ideal = Impairments.ideal(geometry.num_elements)
    response = np.transpose(array_response(geometry, azimuth_deg, carrier_hz, ideal, offsets_hz), (2, 0, 1))
    gains = complex_normal(rng, response.shape[:2])[:, :, None]
    return response * gains + 10 ** (-snr_db / 20) * complex_normal(rng, response.shape)


def train_tiny_model(
    path: Path,
    offsets_hz: tuple[float, ...],
    window_items: int,
    geometry: ArrayGeometry = GEOMETRY,
    carrier_hz: float = CARRIER_HZ,
) -> Path:
    """Trains and saves a model with K = ``len(offsets_hz)`` subcarriers (narrowband for ``(0.0,)``)."""
    windows_per_angle = 2
    angles = np.repeat(np.arange(-59.0, 60.0, 2.0), windows_per_angle * window_items)
    config = ModDnnConfig(
        geometry.positions_m,
        carrier_hz,
        offsets_hz,
        kind="narrowband" if offsets_hz == (0.0,) else "srs",
        window_items=window_items,
    )
    values = cfrs(angles, offsets_hz, 20.0, np.random.default_rng(0), geometry, carrier_hz)
    model, history = train_mod_dnn(
        values, angles, np.arange(angles.size) // window_items, config, TrainingOptions(epochs=3)
    )
    return save(model, path, history)
