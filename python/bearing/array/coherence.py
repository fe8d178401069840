"""Channel coherence of a live array: per-channel complex gains from a covariance, and how
coherent the channels are.

Every run of a multi-channel receiver starts with unknown phase and gain offsets between its
channels: the snapshots are ``x = Gamma y`` with ``Gamma = diag(g)`` (``g_0 = 1``, channel 0
the reference) and ``y`` what an ideal array would receive. The offsets are measured from a
signal whose direction is known:

* a **shared noise source**, the same white noise fed to every channel (a KrakenSDR's
  calibration source): ``R = p g g^H + sigma^2 I``, so ``g`` is the principal eigenvector of
  ``R`` (:func:`noise_source_gains`);
* a **beacon** at a known bearing, steering vector ``a``: ``R = p (g .* a)(g .* a)^H +
  sigma^2 I``, so ``g`` is the principal eigenvector divided by ``a``
  (:func:`beacon_gains`).

Either way ``g`` is scaled so that ``g_0 = 1`` (phase and amplitude of each channel against
channel 0). :func:`corrected_snapshots` and :func:`corrected_covariance` remove them, and
:func:`coherence` is the figure a calibrator watches: the share of the covariance's power in
its principal eigenvalue while a common signal dominates (1 for a perfectly coherent,
noise-free common signal).

Plain numpy; covariances ``(M, M)`` complex, estimation math in complex128.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .covariance import check_covariance


def noise_source_gains(covariance: ArrayLike) -> NDArray[np.complex128]:
    """Per-channel complex gains ``g`` (``(M,)``, ``g_0 = 1``) from the covariance ``(M, M)`` of a
    shared noise source: the principal eigenvector of ``R = p g g^H + sigma^2 I`` (module
    docstring). ``ValueError`` when channel 0 receives none of the common signal."""
    r = check_covariance(covariance)
    return _referenced(_principal_vector(r))


def beacon_gains(covariance: ArrayLike, steering: ArrayLike) -> NDArray[np.complex128]:
    """Per-channel complex gains ``g`` (``(M,)``, ``g_0 = 1``) from the covariance ``(M, M)`` of
    a beacon whose ideal steering vector is ``steering`` ``(M,)`` (its known bearing, the
    array's geometry and carrier): the principal eigenvector of ``R`` divided by ``a``."""
    r = check_covariance(covariance)
    a = np.asarray(steering, dtype=np.complex128).reshape(-1)
    if a.shape != (r.shape[0],) or not np.all(np.abs(a) > 0):
        raise ValueError(f"steering must be {r.shape[0]} non-zero complex values, got shape {a.shape}")
    return _referenced(_principal_vector(r) / a)


def corrected_snapshots(snapshots: ArrayLike, gains: ArrayLike) -> NDArray[np.complex128]:
    """Snapshots ``(M, T)`` (one column per time sample, as
    :func:`~gnuradio.bearing.array.covariance.sample_covariance` takes them) with the channel
    gains removed: ``x_m / g_m``."""
    g = _check_gains(gains)
    x = np.asarray(snapshots, dtype=np.complex128)
    if x.ndim != 2 or x.shape[0] != g.size:
        raise ValueError(f"snapshots must be ({g.size}, T), got shape {x.shape}")
    return x / g[:, None]


def corrected_covariance(covariance: ArrayLike, gains: ArrayLike) -> NDArray[np.complex128]:
    """A covariance ``(M, M)`` with the channel gains removed: ``diag(1/g) R diag(1/g)^H``."""
    g = _check_gains(gains)
    r = check_covariance(covariance, g.size)
    inverse = 1.0 / g
    return r * np.outer(inverse, inverse.conj())


def coherence(covariance: ArrayLike) -> float:
    """The principal eigenvalue's share of the covariance's power, ``lambda_max / trace(R)``, in
    ``[1/M, 1]``: near 1 while one common signal (a noise source, a beacon) dominates
    coherent channels; it falls as the channels drift apart in time or the common signal fades."""
    r = check_covariance(covariance)
    eigenvalues = np.linalg.eigvalsh(0.5 * (r + r.conj().T))
    return float(eigenvalues[-1] / np.sum(eigenvalues))


def _check_gains(gains: ArrayLike) -> NDArray[np.complex128]:
    g = np.asarray(gains, dtype=np.complex128).reshape(-1)
    if g.size < 1 or not np.all(np.isfinite(g)) or not np.all(np.abs(g) > 0):
        raise ValueError(f"gains must be finite and non-zero, one per channel, got {g.size} values")
    return g


def _principal_vector(r: NDArray[np.complex128]) -> NDArray[np.complex128]:
    return np.linalg.eigh(0.5 * (r + r.conj().T))[1][:, -1]


def _referenced(vector: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """``vector / vector[0]``: channel 0 is the reference (gain 1, phase 0)."""
    if not abs(vector[0]) > 1e-12 * np.max(np.abs(vector)):
        raise ValueError("channel 0 receives none of the common signal: it cannot be the reference")
    return vector / vector[0]
