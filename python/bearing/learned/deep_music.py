"""DeepMUSIC: one CNN per angular subregion maps a covariance to a MUSIC-like spectrum.

A. M. Elbir, "DeepMUSIC: Multiple signal classification via deep learning", IEEE Sensors
Letters 4(4), 2020: the field of view is split into subregions (edges ``[-60, -30, 0, 30,
60]`` deg), and the CNN of each maps the covariance, as the three-channel image of
:func:`~gnuradio.bearing.learned.covariance_features.covariance_features`, to the spectrum on its
part of the azimuth grid (:func:`~gnuradio.bearing.learned.cnn_doa.covariance_cnn`: two 2 x 2
convolutions with 32 filters, two fully connected layers). Each CNN is trained only on the
covariances whose source lies in its subregion. One of MoD-DNN's baselines (Liu et al.,
ACM TOSN 2025, Sec. 5; ``../shared/papers/NOTES.md``).

Target spectrum (here unlike Elbir, whose label is the MUSIC spectrum of the input
covariance itself): the MUSIC spectrum, on the **ideal** manifold, of a **noise-free** source
at the labelled azimuth ``theta_0``, so the network learns to undo the array's impairments.
For the rank-one covariance ``a_0 a_0^H`` the noise subspace projector is
``I - a_0 a_0^H / M`` and MUSIC's null spectrum at ``theta`` is
``d(theta) = 1 - |a_0^H a(theta)|^2 / M^2`` (ideal unit-modulus steering vectors), zero at
``theta_0``. Its pseudo-spectrum ``1 / d`` is infinite there, so it is regularised by
``epsilon = 10^(-D / 10)`` with a dynamic range ``D`` in dB and taken in dB relative to its
peak, scaled by ``1 / D``:

    target(theta) = 1 - 10 log10(1 + d(theta) / epsilon) / D

which is 1 at ``theta_0`` and about 0 (``D`` dB down) far from it.

Inference (a documented, classifier-free choice): the subregion of a covariance is the one
holding the peak of its Bartlett spectrum on the ideal manifold; the estimate is the grid
azimuth of the largest output of that subregion's CNN. One source per covariance; the grid
step limits the resolution. Near a subregion edge the impairments can move the Bartlett
peak across it, and the chosen CNN, trained only on its own subregion, then peaks near that
edge: the weakness of a MUSIC-based subregion decision that MoD-DNN's autoencoder addresses
(Sec. 1, its ref. [38]). Measured with the training of ``tests/learned/test_deep_music.py``
(``rho = 1``, 20 dB) on 1000 test covariances: 6 %, all within 4.5 degrees of an edge, get
the wrong subregion; their errors have a median of 2.2 degrees and reach 20 degrees, against
a median of 0.19 degrees for the others.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from ..array.covariance import check_covariances
from ..array.geometry import ArrayGeometry
from ..doa.calibrated_music import check_increasing_deg
from ..doa.classical import bartlett_spectrum
from .autoencoder import DEFAULT_EDGES_DEG, check_edges, subregion_index
from .cnn_doa import DEFAULT_HIDDEN, covariance_cnn, mse_loss_of
from .covariance_features import covariance_features
from .training import Progress, TrainingOptions, fit, split_indices

DEFAULT_DYNAMIC_RANGE_DB = 30.0
"""``D`` of the target spectrum: how far below its peak the target reaches 0."""


class DeepMusic(nn.Module):
    """DeepMUSIC for one source on a fixed array, carrier, grid and set of subregions.

    Subregion ``p`` holds the grid azimuths in ``[edges_deg[p], edges_deg[p + 1])``, the last
    one also its upper edge.

    Args:
        geometry: the nominal array (M >= 3 elements): the ideal manifold of the targets and
            of the subregion choice.
        frequency_hz: carrier frequency, hertz.
        grid_deg: the output grid, shape ``(L,)``, degrees, strictly increasing, within
            ``[edges_deg[0], edges_deg[-1]]``, with at least one point per subregion.
        edges_deg: subregion edges, shape ``(P + 1,)``, degrees, strictly increasing.
        dynamic_range_db: ``D`` of the target spectrum, ``> 0``.
        hidden: width of the hidden fully connected layer of each CNN.
        seed: seed of the initial weights (subregion ``p`` uses ``seed + p``).
    """

    def __init__(
        self,
        geometry: ArrayGeometry,
        frequency_hz: float,
        grid_deg: ArrayLike,
        edges_deg: ArrayLike = DEFAULT_EDGES_DEG,
        dynamic_range_db: float = DEFAULT_DYNAMIC_RANGE_DB,
        hidden: int = DEFAULT_HIDDEN,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.edges_deg = check_edges(edges_deg)
        self.grid_deg = check_increasing_deg(grid_deg, "grid_deg", 1)
        if not (np.isfinite(dynamic_range_db) and dynamic_range_db > 0):
            raise ValueError(f"dynamic_range_db must be a positive number, got {dynamic_range_db!r}")
        self.grid_subregion = subregion_index(self.grid_deg, self.edges_deg)
        counts = np.bincount(self.grid_subregion, minlength=self.num_subregions)
        if np.any(counts == 0):
            raise ValueError(
                f"every subregion needs grid points; grid points per subregion: {counts.tolist()}"
            )
        self.geometry = geometry
        self.frequency_hz = float(frequency_hz)
        self.dynamic_range_db = float(dynamic_range_db)
        self.steering = geometry.steering(self.grid_deg, self.frequency_hz)
        self.subnets = nn.ModuleList(
            covariance_cnn(geometry.num_elements, int(count), hidden, seed + p)
            for p, count in enumerate(counts)
        )

    @property
    def num_subregions(self) -> int:
        return int(self.edges_deg.size - 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Every subregion's output spectrum side by side on the grid: ``(N, 3, M, M)`` -> ``(N, L)``."""
        return torch.cat([subnet(features) for subnet in self.subnets], dim=1)

    def target_spectra(self, azimuths_deg: ArrayLike, subregion: int) -> NDArray[np.float32]:
        """Training targets of subregion ``subregion`` for sources at ``(N,)`` degrees.

        Shape ``(N, L_p)`` float32 on that subregion's grid points: the regularised
        noise-free ideal-manifold MUSIC spectrum of the module docstring, in ``[0, 1]`` (up
        to ``10^(-D/10)``), 1 at each source's azimuth.
        """
        if subregion not in range(self.num_subregions):
            raise ValueError(f"subregion must be an index in [0, {self.num_subregions}), got {subregion!r}")
        columns = self.steering[:, self.grid_subregion == subregion]
        labels = self.geometry.steering(np.asarray(azimuths_deg, dtype=np.float64), self.frequency_hz)
        num_elements = self.geometry.num_elements
        null = 1.0 - np.abs(labels.conj().T @ columns) ** 2 / num_elements**2
        epsilon = 10.0 ** (-self.dynamic_range_db / 10.0)
        target = 1.0 - 10.0 * np.log10(1.0 + np.maximum(null, 0.0) / epsilon) / self.dynamic_range_db
        return target.astype(np.float32)

    def select_subregions(self, covariances: ArrayLike) -> NDArray[np.intp]:
        """Subregion of each covariance ``(N, M, M)``, shape ``(N,)``.

        The subregion where the covariance's Bartlett spectrum on the ideal manifold peaks.
        """
        r = check_covariances(covariances, self.geometry.num_elements)
        peaks = [int(np.argmax(bartlett_spectrum(covariance, self.steering))) for covariance in r]
        return self.grid_subregion[peaks]

    def estimate(self, covariances: ArrayLike) -> NDArray[np.float64]:
        """Azimuths in degrees, shape ``(N,)``: the output peak of each covariance's chosen subregion."""
        features = torch.from_numpy(covariance_features(covariances, self.geometry.num_elements))
        self.eval()
        with torch.no_grad():
            spectra = self(features).numpy()
        chosen = self.select_subregions(covariances)
        masked = np.where(self.grid_subregion[None, :] == chosen[:, None], spectra, -np.inf)
        return self.grid_deg[np.argmax(masked, axis=1)]


def train_deep_music(
    model: DeepMusic,
    covariances: ArrayLike,
    azimuths_deg: ArrayLike,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
) -> list[dict]:
    """Train each subregion's CNN on the covariances of its sources.

    The loss is the mean squared error against :meth:`DeepMusic.target_spectra`; the
    optimiser is MoD-DNN's (:func:`gnuradio.bearing.learned.mod_dnn_training.fit`), on a random split
    of each subregion's covariances (:func:`~gnuradio.bearing.learned.mod_dnn_training.split_indices`).

    Args:
        model: trained in place (each CNN keeps its best validation epoch).
        covariances: shape ``(N, M, M)``, one source each.
        azimuths_deg: the true azimuths, shape ``(N,)``, degrees, within the subregions;
            each subregion needs at least two.
        options: optimiser settings (default ``TrainingOptions()``, the paper's).
        progress: called after every epoch with its history row.

    Returns:
        the history, one row per epoch, subregion after subregion (stage ``"subregion p"``).
    """
    options = options or TrainingOptions()
    features = torch.from_numpy(covariance_features(covariances, model.geometry.num_elements))
    azimuths = np.asarray(azimuths_deg, dtype=np.float64)
    if azimuths.shape != features.shape[:1]:
        raise ValueError(
            f"azimuths_deg must have shape (N,) = ({features.shape[0]},), got shape {azimuths.shape}"
        )
    subregions = subregion_index(azimuths, model.edges_deg)
    history: list[dict] = []
    for p, subnet in enumerate(model.subnets):
        members = np.flatnonzero(subregions == p)
        if members.size < 2:
            raise ValueError(
                f"subregion {p} [{model.edges_deg[p]}, {model.edges_deg[p + 1]}] deg has {members.size} "
                "training covariances; it needs at least two"
            )
        inputs = features[members]
        targets = torch.from_numpy(model.target_spectra(azimuths[members], p))
        training, validation = split_indices(members.size, options.validation_fraction, options.seed)

        history += fit(
            subnet,
            mse_loss_of(subnet),
            (inputs[training], targets[training]),
            (inputs[validation], targets[validation]),
            options,
            f"subregion {p}",
            progress,
        )
    return history
