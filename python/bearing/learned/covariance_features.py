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

from ..array.covariance import check_covariances

NUM_FEATURE_CHANNELS = 3
"""Channels of :func:`~gnuradio.bearing.learned.covariance_features`: real part, imaginary part, phase."""


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
