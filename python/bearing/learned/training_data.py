"""Labelled data for the learned models and baselines: one source through an impaired array.

Each sample is the spatial covariance of a single unit-power narrowband source at a known
azimuth, received through the impaired array response of MoD-DNN eqs. (6)-(7)
(:func:`~gnuradio.bearing.array.impairments.array_response` at the carrier) in white complex
Gaussian noise: ``x(t) = h(theta) s(t) + n(t)``, ``R = 1/T sum_t x(t) x(t)^H``. These are
the training sets of DeepMUSIC and the data-driven CNN, and the calibration sweeps of
manifold-calibrated MUSIC.

:func:`source_cfrs` gives the wideband counterpart, MoD-DNN's input: one CFR item of K
subcarriers per azimuth (an SRS occasion's channel estimate without the OFDM around it).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import ArrayGeometry
from ..array.impairments import Impairments, array_response
from ..array.signals import complex_normal


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


def source_cfrs(
    geometry: ArrayGeometry,
    azimuths_deg: ArrayLike,
    frequency_hz: float,
    subcarrier_offsets_hz: ArrayLike,
    impairments: Impairments,
    snr_db: float | None,
    seed: int | np.random.Generator,
    max_delay_s: float = 100e-9,
) -> NDArray[np.complex128]:
    """One CFR item per azimuth: ``h_k = g e^{-j 2 pi f_k tau} a~_k(theta) + n_k``.

    MoD-DNN eq. (5) for one path: the impaired response ``a~_k`` of eqs. (6)-(7)
    (:func:`~gnuradio.bearing.array.impairments.array_response`) at every subcarrier, a unit gain
    ``g`` of random phase and a random delay ``tau`` uniform in ``[0, max_delay_s)`` per item
    (timing error and range: the linear phase an SRS estimate keeps across its pilots), and
    white complex Gaussian noise.

    Args:
        geometry: nominal element positions (M elements).
        azimuths_deg: the N source azimuths, degrees, shape ``(N,)``.
        frequency_hz: carrier frequency, hertz.
        subcarrier_offsets_hz: the K subcarriers' offsets from the carrier, hertz.
        impairments: the array's impairments.
        snr_db: per-element, per-subcarrier SNR, dB; None: no noise.
        seed: seed or generator of gains, delays and noise.
        max_delay_s: delay spread of the items, seconds.

    Returns:
        shape ``(N, K, M)``, complex128.
    """
    offsets = np.atleast_1d(np.asarray(subcarrier_offsets_hz, dtype=np.float64))
    azimuths = np.atleast_1d(np.asarray(azimuths_deg, dtype=np.float64))
    response = np.transpose(array_response(geometry, azimuths, frequency_hz, impairments, offsets), (2, 0, 1))
    rng = np.random.default_rng(seed)
    delay = rng.uniform(0.0, max_delay_s, azimuths.size)
    gain = np.exp(2j * np.pi * (rng.random(azimuths.size)[:, None] - offsets[None, :] * delay[:, None]))
    values = gain[:, :, None] * response
    if snr_db is None:
        return values
    return values + 10.0 ** (-snr_db / 20.0) * complex_normal(rng, values.shape)
