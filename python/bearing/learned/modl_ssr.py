"""MoDL-SSR: a learned spectrum calibrator alternating with SCG, one per angular subregion.

Liu et al., ACM TOSN 2025, Sec. 4. For the coarray DBF spectrum ``eta_hat`` of one
subregion (its part of the grid, ``L_p`` angles) and the projection ``P = G^T G`` of the
ideal coarray manifold on that part (:mod:`~gnuradio.bearing.doa.coarray`), I unrolled iterations

    z_i      = C_w(eta_i)                                          (20a)
    eta_i+1  = SCG: (P + lambda I) eta = eta_hat + lambda z_i      (21), NOTES.md's right-hand side

give the sparse spectrum ``eta_I``. Two calibrators ``C_w`` (``calibrator``):

* ``"cnn"``, the paper's, literally: the CNN of eq. (30) (four 1-D convolutions of kernel 32
  with 4, 8, 4 and 1 channels, zero padding, batch norm and ReLU on the first three), weights
  shared across the I iterations, input ``eta_i`` scaled to unit peak (``eta_0 = eta_hat``),
  trained end to end through the differentiable SCG (:func:`~gnuradio.bearing.learned.scg_torch.scg`, eq.
  (32)) with the MSE against the one-hot grid vector of the true angle (eq. (31)).
* ``"range"`` (default), gr-bearing's: the calibrator acts on the data term and maps the
  impaired ``eta_hat`` to the spectrum the ideal array would give, ``P e_theta``; SCG then
  solves ``(P + lambda I) eta = C_w(eta_hat)`` once (I = 1, ``z = 0``). ``eta_hat`` lies in
  the range of ``P`` (rank ``r``, 7 for four elements): it is all in its ``r`` coordinates
  ``Q^T eta_hat``, so ``C_w`` is a residual MLP on them (``r -> width -> width -> r``, ReLU)
  and its output is a spectrum of the ideal model by construction. The loss is the MSE
  against ``P e_theta`` (both scaled by ``1 / M^2``), smooth in the angle where eq. (31)'s
  one-hot is a needle.

Why two: on this project's simulator (4-element ULA, rho = 1, 16 subcarriers at 20 dB) the
literal CNN did not learn the calibration in our trials (its p80 error stayed above 3 degrees),
while the range calibrator reaches the accuracy of a perfect table lookup of the DBF spectrum
(docs/mod-dnn.md gives the figures). Remark 1 of the paper reads the CNN as calibrating the
spectrum "towards the ideal manifold": the range calibrator does exactly that, in closed form
for the part the data cannot inform.

Units: ``eta_hat`` as :meth:`CoarrayModel.spectrum` returns it (covariance normalised to unit
mean element power, peak at most ``M^2``); ``eta`` in source powers (a calibrated lone source
gives nearly ``e_theta``).
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from ..doa.coarray import CoarrayModel
from ..doa.peaks import find_peaks
from ..doa.scg import ScgOptions
from . import scg_torch

CALIBRATORS = ("range", "cnn")
"""Calibrator kinds: gr-bearing's range MLP (default) and the paper's eq. (30) CNN."""

CNN_CHANNELS = (4, 8, 4, 1)
CNN_KERNEL = 32
"""Eq. (30): four convolution layers of kernel 32 x 1 with 4, 8, 4 and 1 output channels."""


class ModlSsr(torch.nn.Module):
    """MoDL-SSR of one subregion.

    Args:
        subregion: the coarray model restricted to the subregion (:meth:`CoarrayModel.subregion`).
        calibrator: ``"range"`` or ``"cnn"`` (see the module docstring).
        iterations: I, unrolled iterations (the ``"range"`` calibrator uses 1).
        width: hidden width of the range calibrator's MLP.
        options: SCG options; ``options.lam`` is the lambda of eq. (21).
    """

    def __init__(
        self,
        subregion: CoarrayModel,
        calibrator: str = "range",
        iterations: int = 1,
        width: int = 64,
        options: ScgOptions | None = None,
    ) -> None:
        super().__init__()
        if calibrator not in CALIBRATORS:
            raise ValueError(f"calibrator: must be one of {', '.join(CALIBRATORS)}, got {calibrator!r}")
        if int(iterations) != iterations or iterations < 1:
            raise ValueError(f"iterations: must be a positive integer, got {iterations!r}")
        self.kind, self.iterations = calibrator, int(iterations) if calibrator == "cnn" else 1
        self.options = options or ScgOptions()
        self.subregion = subregion
        self.scale = float(subregion.num_elements**2)
        self.register_buffer(
            "range_basis", torch.tensor(subregion.range_basis, dtype=torch.float32), persistent=False
        )
        rank = self.range_basis.shape[1]
        if calibrator == "range":
            self.net = torch.nn.Sequential(
                torch.nn.Linear(rank, width),
                torch.nn.ReLU(),
                torch.nn.Linear(width, width),
                torch.nn.ReLU(),
                torch.nn.Linear(width, rank),
            )
        else:
            self.net = _paper_cnn()

    @property
    def grid_deg(self) -> NDArray[np.float64]:
        """The subregion's azimuths, degrees."""
        return self.subregion.grid_deg

    @property
    def num_angles(self) -> int:
        """``L_p``, the subregion's grid size."""
        return len(self.grid_deg)

    def forward(self, eta_hat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(calibrated, eta)``, each ``(B, L_p)`` float32, from coarray DBF spectra ``(B, L_p)``.

        ``calibrated`` is ``C_w(eta_hat) / M^2`` for the range calibrator and the last ``z``
        for the CNN; ``eta`` is the sparse spectrum ``eta_I``.
        """
        eta_hat = torch.as_tensor(eta_hat, dtype=torch.float32)
        if eta_hat.ndim != 2 or eta_hat.shape[1] != self.num_angles:
            raise ValueError(
                f"eta_hat must have shape (batch, {self.num_angles}), got {tuple(eta_hat.shape)}"
            )
        if self.kind == "range":
            calibrated = self.calibrate(eta_hat / self.scale)
            return calibrated, self._solve(calibrated * self.scale)
        eta = eta_hat
        for _ in range(self.iterations):
            peak = eta.abs().amax(dim=1, keepdim=True).clamp(min=1e-12)
            z = self.net((eta / peak)[:, None, :])[:, 0, :]
            eta = self._solve(eta_hat + self.options.lam * z)
        return z, eta

    def calibrate(self, spectrum: torch.Tensor) -> torch.Tensor:
        """The range calibrator: ``Q (c + MLP(c))``, ``c = Q^T spectrum``; shapes ``(B, L_p)``."""
        coordinates = spectrum @ self.range_basis
        return (coordinates + self.net(coordinates)) @ self.range_basis.T

    def loss(self, eta_hat: torch.Tensor, azimuth_deg: ArrayLike) -> torch.Tensor:
        """Training loss of a batch whose true azimuths lie in this subregion.

        Range calibrator: MSE of ``C_w(eta_hat) / M^2`` against ``P e_theta / M^2``; CNN:
        eq. (31), MSE of ``eta_I`` against ``e_theta``. Summed over the grid, mean over the batch.
        """
        one_hot = self.one_hot(azimuth_deg)
        if self.kind == "range":
            target = self.subregion.apply_projection(one_hot) / self.scale
            prediction = self.calibrate(torch.as_tensor(eta_hat, dtype=torch.float32) / self.scale)
        else:
            target, prediction = one_hot, self(eta_hat)[1]
        target = torch.as_tensor(target, dtype=torch.float32)
        return ((prediction - target) ** 2).sum(dim=1).mean()

    def one_hot(self, azimuth_deg: ArrayLike) -> NDArray[np.float64]:
        """``(B, L_p)``: 1 at the grid angle nearest each azimuth."""
        azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))
        index = np.abs(azimuth[:, None] - self.grid_deg[None, :]).argmin(axis=1)
        out = np.zeros((azimuth.size, self.num_angles))
        out[np.arange(azimuth.size), index] = 1.0
        return out

    def bearings(
        self,
        calibrated: NDArray[np.float64],
        eta: NDArray[np.float64],
        num_sources: int = 1,
        min_separation_deg: float = 2.0,
    ) -> NDArray[np.float64]:
        """Bearings of one estimate from :meth:`forward`'s ``(calibrated, eta)``, each ``(L_p,)``.

        The range calibrator's bearings are the peaks of the calibrated spectrum, which is
        the ideal array's DBF spectrum ``P e_theta`` at the source: smooth, with its maximum
        at the true angle. SCG's sparse spectrum ``eta`` is not used for them: where the
        calibrated spectrum is a little wider than ``P e_theta``, SCG explains it by two
        spikes on either side of the source (docs/mod-dnn.md gives the figures). The CNN
        calibrator's bearings are the peaks of ``eta``, as in the paper. See
        :func:`peak_bearings`; degrees, strongest first.
        """
        spectrum = calibrated if self.kind == "range" else eta
        return peak_bearings(spectrum, self.grid_deg, num_sources, min_separation_deg)

    def _solve(self, right_hand_side: torch.Tensor) -> torch.Tensor:
        return scg_torch.scg(right_hand_side.double(), self.subregion.factor, self.options).float()


def peak_bearings(
    spectrum: NDArray[np.float64],
    grid_deg: NDArray[np.float64],
    num_sources: int = 1,
    min_separation_deg: float = 2.0,
) -> NDArray[np.float64]:
    """Peaks of a spectrum on a grid, each moved to the vertex of the parabola through it.

    The grid ends count as peaks (a source at a subregion's edge). A peak strictly inside
    the grid that is a local maximum moves by the vertex of the parabola through its three
    values, less than half a grid step. Degrees, strongest first.
    """
    step = grid_deg[1] - grid_deg[0] if grid_deg.size > 1 else 0.0
    bearings = []
    for index in find_peaks(spectrum, grid_deg, num_sources, min_separation_deg, include_ends=True):
        offset = 0.0
        if 0 < index < grid_deg.size - 1:
            left, mid, right = spectrum[index - 1 : index + 2]
            curvature = left - 2.0 * mid + right
            if curvature < 0 and mid >= max(left, right):
                offset = 0.5 * (left - right) / curvature
        bearings.append(grid_deg[index] + step * offset)
    return np.asarray(bearings, dtype=np.float64)


def _paper_cnn() -> torch.nn.Sequential:
    """Eq. (30): conv(32) + BN + ReLU three times, then a last conv(32) without ReLU."""
    layers: list[torch.nn.Module] = []
    channels = (1, *CNN_CHANNELS)
    for index in range(len(CNN_CHANNELS)):
        layers.append(torch.nn.ZeroPad1d(((CNN_KERNEL - 1) // 2, CNN_KERNEL // 2)))  # P(.) of eq. (30)
        layers.append(torch.nn.Conv1d(channels[index], channels[index + 1], CNN_KERNEL))
        if index < len(CNN_CHANNELS) - 1:
            layers += [torch.nn.BatchNorm1d(channels[index + 1]), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)
