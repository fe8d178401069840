"""Labelled covariances for the learned and calibrated baselines: one source through an impaired array.

Each sample is the spatial covariance of a single unit-power narrowband source at a known
azimuth, received through the impaired array response of MoD-DNN eqs. (6)-(7)
(:func:`~gnuradio.bearing.impairments.array_response` at the carrier) in white complex
Gaussian noise: ``x(t) = h(theta) s(t) + n(t)``, ``R = 1/T sum_t x(t) x(t)^H``. These are
the training sets of DeepMUSIC and the data-driven CNN, and the calibration sweeps of
manifold-calibrated MUSIC.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .array_model import ArrayGeometry
from .impairments import Impairments, array_response
from .simulator import complex_normal


def source_covariances(
    geometry: ArrayGeometry,
    azimuths_deg: ArrayLike,
    frequency_hz: float,
    impairments: Impairments,
    snr_db: float | None,
    num_snapshots: int,
    seed: int | np.random.Generator,
) -> NDArray[np.complex128]:
    """One covariance per azimuth of a unit-power source seen through the impaired array.

    Args:
        geometry: nominal element positions (M elements).
        azimuths_deg: the N source azimuths, degrees, shape ``(N,)``.
        frequency_hz: carrier frequency, hertz.
        impairments: the array's impairments (``Impairments.ideal(M)`` for an ideal array).
        snr_db: per-element SNR of the source against the noise, dB; None gives the exact
            noise-free covariance ``h h^H`` (``num_snapshots`` and ``seed`` unused).
        num_snapshots: ``T >= 1``, snapshots per covariance (complex Gaussian waveform).
        seed: seed or generator of the waveforms and the noise.

    Returns:
        shape ``(N, M, M)``, complex128.
    """
    azimuths = np.asarray(azimuths_deg, dtype=np.float64)
    if azimuths.ndim != 1 or azimuths.size < 1:
        raise ValueError(f"azimuths_deg must be 1-D and non-empty, got shape {azimuths.shape}")
    response = array_response(geometry, azimuths, frequency_hz, impairments)[0].T[:, :, None]  # (N, M, 1)
    if snr_db is None:
        return response @ response.conj().transpose(0, 2, 1)
    if int(num_snapshots) != num_snapshots or num_snapshots < 1:
        raise ValueError(f"num_snapshots must be a positive integer, got {num_snapshots!r}")
    rng = np.random.default_rng(seed)
    count, size = azimuths.size, geometry.num_elements
    waveforms = complex_normal(rng, (count, 1, int(num_snapshots)))
    noise = complex_normal(rng, (count, size, int(num_snapshots)))
    x = response * waveforms + 10.0 ** (-snr_db / 20.0) * noise
    return x @ x.conj().transpose(0, 2, 1) / num_snapshots
