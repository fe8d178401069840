"""Synthetic array data for the tests: ``X = A S + N`` from the one array model, and for the H2AD
tests one group's RF-chain covariance and exact alias sets."""

from __future__ import annotations

import numpy as np
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.array.geometry import ArrayGeometry, steering_matrix, ula
from gnuradio.bearing.array.signals import complex_normal
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import block_diag


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


def planar_snapshots(
    geometry: ArrayGeometry,
    wavelength_m: float,
    azimuth_deg: ArrayLike,
    elevation_deg: ArrayLike,
    snr_db: float,
    num_snapshots: int,
    rng: np.random.Generator,
    num_trials: int = 1,
) -> NDArray[np.complex128]:
    """Snapshots ``(num_trials, M, T)`` of independent unit-power complex Gaussian sources at
    ``(azimuth_deg[k], elevation_deg[k])`` in white complex Gaussian noise (``snr_db`` per element)."""
    a = steering_matrix(geometry.positions_m, azimuth_deg, wavelength_m, elevation_deg)
    waveforms = complex_normal(rng, (num_trials, a.shape[1], num_snapshots))
    noise = complex_normal(rng, (num_trials, geometry.num_elements, num_snapshots))
    return a @ waveforms + np.sqrt(noise_power(snr_db)) * noise


# --- H2AD: a group of analog subarrays ------------------------------------------------------------

WAVELENGTH_M = 1.0
HALF_WAVELENGTH_M = WAVELENGTH_M / 2.0


def combiner(
    subarray_size: int, num_subarrays: int, spacing_m: float, steer_deg: float, whole_group: bool = False
) -> NDArray[np.complex128]:
    """Block-diagonal phase-shifter matrix ``W``, shape ``(K M, K)``, ``y = W^H x``.

    Block ``k`` is ``a(steer) / sqrt(M)`` over subarray ``k``'s elements, taken about the
    subarray's own centre (every subarray steered alike, as ``HybridArray.combiner``), or with
    ``whole_group`` about the array's origin (one beam across the whole group).
    """
    positions = ula(subarray_size * num_subarrays, spacing_m).positions_m
    blocks = []
    for first in range(0, subarray_size * num_subarrays, subarray_size):
        subarray = positions[first : first + subarray_size]
        reference = 0.0 if whole_group else subarray.mean(axis=0)
        blocks.append(steering_matrix(subarray - reference, steer_deg, WAVELENGTH_M))
    return block_diag(*blocks) / np.sqrt(subarray_size)


def group_covariance(
    subarray_size: int,
    num_subarrays: int,
    truth_deg: ArrayLike,
    snr_db: float,
    rng: np.random.Generator,
    num_snapshots: int = 400,
    spacing_m: float = HALF_WAVELENGTH_M,
    steer_deg: float = 0.0,
    whole_group: bool = False,
) -> NDArray[np.complex128]:
    """Sample covariance ``(K, K)`` of one group's RF chains for unit-power sources at ``snr_db``."""
    geometry = ula(subarray_size * num_subarrays, spacing_m)
    x = snapshots(geometry, WAVELENGTH_M, truth_deg, snr_db, num_snapshots, rng)[0]
    w = combiner(subarray_size, num_subarrays, spacing_m, steer_deg, whole_group)
    return sample_covariance(w.conj().T @ x)


def alias_candidates(
    truth_deg: ArrayLike, subarray_size: int, sine_noise: float = 0.0
) -> NDArray[np.float64]:
    """What a half-wavelength group of ``M`` gives: each source's ``M`` aliases ``2 / M`` apart in sine.

    Shape ``(K, M)``; ``sine_noise`` shifts each row (one ESPRIT phase error per source).
    """
    sine = np.sin(np.deg2rad(np.atleast_1d(truth_deg))) + sine_noise
    aliases = sine[:, None] + 2.0 * np.arange(subarray_size) / subarray_size
    return np.sort(np.rad2deg(np.arcsin(np.mod(aliases + 1.0, 2.0) - 1.0)), axis=1)
