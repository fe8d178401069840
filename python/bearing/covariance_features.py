"""Batches of covariances: validation, and the real-valued input of the learned baselines.

DeepMUSIC (A. M. Elbir, "DeepMUSIC: Multiple signal classification via deep learning",
IEEE Sensors Letters 4(4), 2020) and the purely data-driven CNN that MoD-DNN compares
against (Liu et al., ACM TOSN 2025, Sec. 5, its ref. [43]) feed a CNN with a covariance seen as
a three-channel ``M x M`` image: its real part, its imaginary part and its phase. The
covariance is first divided by its mean element power ``trace(R) / M``, so the input does
not depend on the received power.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

NUM_FEATURE_CHANNELS = 3
"""Channels of :func:`covariance_features`: real part, imaginary part, phase."""


def check_covariances(covariances: ArrayLike, num_elements: int | None = None) -> NDArray[np.complex128]:
    """Validate a batch of spatial covariances and return it as complex128.

    Args:
        covariances: shape ``(N, M, M)`` with ``N >= 1``, finite.
        num_elements: the ``M`` the caller expects, or None for any.

    Returns:
        shape ``(N, M, M)``, complex128.

    Raises:
        ValueError: naming the shape or the non-finite values.
    """
    r = np.asarray(covariances)
    if r.ndim != 3 or r.shape[0] < 1 or r.shape[1] < 1 or r.shape[1] != r.shape[2]:
        raise ValueError(f"covariances must have shape (N, M, M) with N, M >= 1, got shape {r.shape}")
    if num_elements is not None and r.shape[1] != num_elements:
        raise ValueError(
            f"covariances are {r.shape[1]} x {r.shape[2]} but the model has {num_elements} elements"
        )
    r = r.astype(np.complex128, copy=False)
    if not np.all(np.isfinite(r)):
        raise ValueError("covariances contain NaN or infinite values")
    return r


def covariance_features(covariances: ArrayLike, num_elements: int | None = None) -> NDArray[np.float32]:
    """The CNN input of each covariance: real, imaginary and phase of ``R / (trace(R) / M)``.

    Args:
        covariances: shape ``(N, M, M)``, complex, each with a positive trace.
        num_elements: the ``M`` the caller expects, or None for any.

    Returns:
        shape ``(N, 3, M, M)``, float32 (ready for ``torch.from_numpy``): channel 0 the real
        part, 1 the imaginary part (both dimensionless, the diagonal averages 1), 2 the phase
        in radians, in ``[-pi, pi]``.
    """
    r = check_covariances(covariances, num_elements)
    power = np.trace(r, axis1=1, axis2=2).real / r.shape[1]
    if not np.all(power > 0):
        raise ValueError(
            "every covariance needs a positive trace (received power), got trace / M = "
            f"{power[~(power > 0)][:3].tolist()}"
        )
    normalised = r / power[:, None, None]
    return np.stack([normalised.real, normalised.imag, np.angle(normalised)], axis=1).astype(np.float32)
