"""The purely data-driven CNN baseline: covariance in, azimuth out (regression).

The CNN that MoD-DNN compares against (Liu et al., ACM TOSN 2025, Sec. 5, its ref. [43];
``../shared/papers/NOTES.md``, baselines) learns the map from a covariance to the angle
with no array model at all: it sees the covariance as the three-channel image of
:func:`~gnuradio.bearing.learned.covariance_features.covariance_features` and regresses the
azimuth normalised to ``[-1, 1]`` over the field of view, trained with the mean squared
error. One source per covariance.

:func:`covariance_cnn` is the small network shared with DeepMUSIC
(:mod:`gnuradio.bearing.learned.deep_music`): two 2 x 2 convolutions with 32 filters and ReLU,
then two fully connected layers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from ..validation import check_integer
from .covariance_features import NUM_FEATURE_CHANNELS, covariance_features
from .training import Progress, TrainingOptions, fit, split_indices

DEFAULT_FOV_DEG = (-60.0, 60.0)
"""The paper's field of view, degrees."""

NUM_FILTERS = 32
"""Filters of each convolution of :func:`covariance_cnn`."""

KERNEL_SIZE = 2
"""Side of the square convolution kernels (no padding: each convolution shrinks M by one)."""

DEFAULT_HIDDEN = 256
"""Width of the hidden fully connected layer."""


def covariance_cnn(
    num_elements: int, num_outputs: int, hidden: int = DEFAULT_HIDDEN, seed: int = 0
) -> nn.Sequential:
    """Conv(32, 2x2) - ReLU - Conv(32, 2x2) - ReLU - flatten - FC(hidden) - ReLU - FC(num_outputs).

    The weights are initialised from ``seed`` (PyTorch's default initialisation) without
    touching the global random state.

    Args:
        num_elements: ``M >= 3`` (two unpadded 2 x 2 convolutions need it).
        num_outputs: length of the output vector, ``>= 1``.
        hidden: width of the hidden layer, ``>= 1``.
        seed: seed of the initial weights.

    Returns:
        a module mapping ``(N, 3, M, M)`` float32 features to ``(N, num_outputs)``.
    """
    for name, value, low in (
        ("num_elements", num_elements, 3),
        ("num_outputs", num_outputs, 1),
        ("hidden", hidden, 1),
    ):
        check_integer(value, name, low)
    side = int(num_elements) - 2 * (KERNEL_SIZE - 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Conv2d(NUM_FEATURE_CHANNELS, NUM_FILTERS, KERNEL_SIZE),
            nn.ReLU(),
            nn.Conv2d(NUM_FILTERS, NUM_FILTERS, KERNEL_SIZE),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(NUM_FILTERS * side * side, int(hidden)),
            nn.ReLU(),
            nn.Linear(int(hidden), int(num_outputs)),
        )


class CnnDoa(nn.Module):
    """Covariance -> azimuth regression CNN for one source.

    Args:
        num_elements: ``M >= 3``.
        fov_deg: ``(low, high)`` field of view, degrees; the output ``-1 .. 1`` spans it.
        hidden: width of the hidden fully connected layer.
        seed: seed of the initial weights.
    """

    def __init__(
        self,
        num_elements: int,
        fov_deg: tuple[float, float] = DEFAULT_FOV_DEG,
        hidden: int = DEFAULT_HIDDEN,
        seed: int = 0,
    ) -> None:
        super().__init__()
        low, high = (float(value) for value in fov_deg)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"fov_deg must be (low, high) degrees with low < high, got {fov_deg!r}")
        self.num_elements = int(num_elements)
        self.fov_deg = (low, high)
        self.network = covariance_cnn(num_elements, 1, hidden, seed)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Normalised azimuths, ``(N,)``, from features ``(N, 3, M, M)`` (unclipped)."""
        return self.network(features)[:, 0]

    def normalise(self, azimuths_deg: ArrayLike) -> NDArray[np.float32]:
        """Azimuths in degrees (within the field of view) mapped linearly to ``[-1, 1]``, float32."""
        azimuths = np.asarray(azimuths_deg, dtype=np.float64)
        low, high = self.fov_deg
        if not np.all((azimuths >= low) & (azimuths <= high)):
            raise ValueError(f"azimuths_deg must lie in the field of view [{low}, {high}] degrees")
        return (2.0 * (azimuths - low) / (high - low) - 1.0).astype(np.float32)

    def estimate(self, covariances: ArrayLike) -> NDArray[np.float64]:
        """Azimuths in degrees, shape ``(N,)``, of covariances ``(N, M, M)``; clipped to the field of view."""
        features = torch.from_numpy(covariance_features(covariances, self.num_elements))
        self.eval()
        with torch.no_grad():
            normalised = np.clip(self(features).double().numpy(), -1.0, 1.0)
        low, high = self.fov_deg
        return low + (normalised + 1.0) * (high - low) / 2.0


def train_cnn_doa(
    model: CnnDoa,
    covariances: ArrayLike,
    azimuths_deg: ArrayLike,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
) -> list[dict]:
    """Train ``model`` on labelled covariances with the mean squared error of the normalised azimuth.

    The optimiser is MoD-DNN's (:func:`gnuradio.bearing.learned.mod_dnn_training.fit`: Adam, the
    learning rate halved every ``options.lr_halving_epochs`` epochs, early stopping with the
    best validation epoch kept) on a random split
    (:func:`~gnuradio.bearing.learned.mod_dnn_training.split_indices`).

    Args:
        model: the network, trained in place.
        covariances: shape ``(N, M, M)``, one source each, ``N >= 2``.
        azimuths_deg: the true azimuths, shape ``(N,)``, degrees, within ``model.fov_deg``.
        options: optimiser settings (default ``TrainingOptions()``, the paper's).
        progress: called after every epoch with its history row.

    Returns:
        the history, one row per epoch (stage ``"cnn"``; losses in normalised units squared).
    """
    options = options or TrainingOptions()
    features = torch.from_numpy(covariance_features(covariances, model.num_elements))
    targets = torch.from_numpy(model.normalise(azimuths_deg))
    if targets.shape != features.shape[:1]:
        raise ValueError(
            f"azimuths_deg must have shape (N,) = ({features.shape[0]},), got shape {tuple(targets.shape)}"
        )
    training, validation = split_indices(len(targets), options.validation_fraction, options.seed)
    return fit(
        model,
        mse_loss_of(model),
        (features[training], targets[training]),
        (features[validation], targets[validation]),
        options,
        "cnn",
        progress,
    )


def mse_loss_of(model: nn.Module) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``loss(inputs, targets)``: the mean squared error of ``model(inputs)`` (the form ``fit`` takes)."""
    return lambda inputs, targets: nn.functional.mse_loss(model(inputs), targets)
