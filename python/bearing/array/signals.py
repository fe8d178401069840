"""Random signals at the array: circular complex Gaussian draws, the waveforms and the white noise
of every simulation (captures, training data, the counters' and the studies' trials)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def complex_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.complex128]:
    """Circular complex Gaussian samples of unit power."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
