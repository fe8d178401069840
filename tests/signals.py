"""Synthetic array data for the estimation tests: ``X = A S + N`` from the one array model."""

from __future__ import annotations

import numpy as np
from gnuradio.bearing.array.geometry import ArrayGeometry, steering_matrix
from gnuradio.bearing.captures.simulation import complex_normal
from numpy.typing import ArrayLike, NDArray


def noise_power(snr_db: float) -> float:
    """Noise power per element for unit-power sources at ``snr_db`` per element."""
    return 10.0 ** (-snr_db / 10.0)


def snapshots(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    snr_db: float,
    num_snapshots: int,
    rng: np.random.Generator,
    num_trials: int = 1,
    coherent: bool = False,
) -> NDArray[np.complex128]:
    """Snapshots of unit-power complex Gaussian sources in white complex Gaussian noise.

    Returns shape ``(num_trials, M, T)``. With ``coherent`` every source carries the same
    waveform (fully coherent multipath), otherwise the waveforms are independent.
    """
    a = steering_matrix(geometry.positions_m, azimuth_deg, wavelength_m)
    num_sources = a.shape[1]
    waveforms = complex_normal(rng, (num_trials, 1 if coherent else num_sources, num_snapshots))
    noise = complex_normal(rng, (num_trials, geometry.num_elements, num_snapshots))
    return (
        a @ np.broadcast_to(waveforms, (num_trials, num_sources, num_snapshots))
        + np.sqrt(noise_power(snr_db)) * noise
    )
