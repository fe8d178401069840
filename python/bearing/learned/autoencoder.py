"""MoD-DNN's multi-task autoencoder: a learned spatial filter into P angular subregions.

Liu et al., ACM TOSN 2025, Sec. 3.1, eqs. (8)-(10). For subcarrier ``k`` the CFR ``h(k)``
(M complex values, one per element) is encoded and decoded P times:

    c(k)     = f(C_k h~(k) + b_k)                     (8)   encoder, R^2M -> R^c
    h~_p(k)  = D_{p,k} c(k) + b_{p,k}                 (9)   decoder p, R^c -> R^2M
    target:  h~_p(k) = h~(k) if theta in subregion p, else 0     (10)

``h~`` stacks the real and imaginary parts. "Frequency diverse" (the paper's
Autoencoder I): every subcarrier has its own encoder and decoders; ``shared_weights``
gives the ablation (Autoencoder II), one set of weights for every subcarrier.

Choices the paper leaves open (see ``../shared/papers/NOTES.md``):

* **Normalisation.** A CFR carries an unknown complex gain (symbol phase, path loss,
  timing phase per subcarrier). The network sees ``h / (|h| e^{j arg h_0})``: unit norm, the
  reference element's phase removed; the output is multiplied back by ``|h| e^{j arg h_0}``.
  The filter is thereby exactly equivariant to that gain, as a beamformer is, and the
  network spends its capacity on the direction alone.
* **Activations.** ``f`` is tanh; the decoders are linear (eq. (9) with ``f_{p,k}`` the
  identity), so an output can take any sign.
* **Width.** ``hidden`` = ``|c|`` = 16 (Table 2 reads "16 x 16 x 8": K = 16 subcarriers,
  ``|c|`` = 16, 2M = 8).

Two decoders (``decoder``):

* ``"linear"``, the paper's eq. (9) as written: decoder ``p`` maps the code back to a CFR.
  It only approximates its input: on this project's simulator (4-element ULA, rho = 1,
  16 subcarriers) the reconstruction error moved the phases enough to cost MoD-DNN p80
  0.7 degrees after calibration, where the unfiltered covariance allows 0.22.
* ``"gate"`` (default), gr-bearing's: the decoders output gated copies of the input,
  ``h_p(k) = g_p h(k)``, with ``g = softmax_p(mean_k (V_{p,k} c(k) + d_{p,k}))`` from the same
  frequency-diverse codes, pooled over the item's subcarriers. It meets eq. (10)'s targets
  exactly when it is sure of the subregion (``g`` one-hot), and a branch's covariance is
  then ``g_p^2`` times the input's: the coarray DBF spectrum (trace-normalised) is untouched,
  and the branch energy carries the routing. It passes a single source per item; it does
  not separate simultaneous sources in different subregions, which the linear decoders
  attempt.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from ..array.field_of_view import FieldOfView

DECODERS = ("gate", "linear")
"""Decoder kinds: gr-bearing's gated copies (default) and the paper's linear eq. (9)."""

DEFAULT_EDGES_DEG = (-60.0, -30.0, 0.0, 30.0, 60.0)
"""The paper's P = 4 subregions: [-60, -30), [-30, 0), [0, 30), [30, 60] degrees."""

FULL_CIRCLE_EDGES_DEG = tuple(float(edge) for edge in range(-180, 181, 30))
"""Twelve subregions of 30 degrees round the full circle, for arrays that resolve every azimuth."""


def default_edges_deg(field: FieldOfView) -> tuple[float, ...]:
    """The subregions MoD-DNN learns by default for an array's field of view: the paper's four
    (:data:`DEFAULT_EDGES_DEG`) about a linear array's broadside (-60 .. 60 degrees of it, where
    a ULA resolves well); :data:`FULL_CIRCLE_EDGES_DEG` for a horizontal planar array (a UCA);
    ``ValueError`` for an array that resolves elevation (MoD-DNN estimates azimuth only)."""
    if field.resolves_elevation:
        raise ValueError(
            f"MoD-DNN estimates azimuth only; this {field.kind} array resolves elevation too: {field.reason}"
        )
    if field.full_circle:
        return FULL_CIRCLE_EDGES_DEG
    front = field.front_deg or 0.0
    return tuple(front + edge for edge in DEFAULT_EDGES_DEG)


class MultiTaskAutoencoder(torch.nn.Module):
    """Encoder and P decoders per subcarrier (eqs. (8)-(9)); input and output complex CFRs.

    Args:
        num_elements: M.
        num_subcarriers: K, the number of frequency-diverse encoders (1 with ``shared_weights``).
        num_subregions: P.
        hidden: ``|c|``, the width of the code.
        shared_weights: one encoder and P decoders for every subcarrier (Autoencoder II).
        decoder: ``"gate"`` or ``"linear"`` (see the module docstring).
    """

    def __init__(
        self,
        num_elements: int,
        num_subcarriers: int,
        num_subregions: int,
        hidden: int = 16,
        shared_weights: bool = False,
        decoder: str = "gate",
    ) -> None:
        super().__init__()
        check_decoder(decoder)
        for name, value in (
            ("num_elements", num_elements),
            ("num_subcarriers", num_subcarriers),
            ("num_subregions", num_subregions),
            ("hidden", hidden),
        ):
            if int(value) != value or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        self.num_elements, self.num_subregions = int(num_elements), int(num_subregions)
        self.shared_weights, self.decoder = bool(shared_weights), decoder
        banks = 1 if shared_weights else int(num_subcarriers)
        width = 2 * self.num_elements
        self.encoder_weight = torch.nn.Parameter(_uniform((banks, width, hidden), width))
        self.encoder_bias = torch.nn.Parameter(torch.zeros(banks, hidden))
        outputs = width if decoder == "linear" else 1  # a CFR, or a gate score
        self.decoder_weight = torch.nn.Parameter(_uniform((banks, num_subregions, hidden, outputs), hidden))
        self.decoder_bias = torch.nn.Parameter(torch.zeros(banks, num_subregions, outputs))

    @property
    def num_banks(self) -> int:
        """Number of weight sets: K, or 1 with shared weights."""
        return self.encoder_weight.shape[0]

    def forward(self, cfrs: torch.Tensor, bank: torch.Tensor | None = None) -> torch.Tensor:
        """Filter CFRs into the P subregions.

        Args:
            cfrs: complex tensor ``(N, K', M)``.
            bank: ``(K',)`` int64, the weight set of each input subcarrier; None uses set
                ``k`` for subcarrier ``k`` (K' = K), or the shared set.

        Returns:
            complex tensor ``(N, P, K', M)``: ``h_p(k)`` of eq. (9), in the units of ``cfrs``.
        """
        x, gain = normalise(cfrs)
        return denormalise(self.normalised(x, self._banks(cfrs.shape[1], bank)), gain)

    def normalised(self, x: torch.Tensor, bank: torch.Tensor) -> torch.Tensor:
        """Eqs. (8)-(9) on normalised real CFRs ``x`` ``(N, K', 2M)``; returns ``(N, P, K', 2M)``."""
        code = torch.tanh(
            torch.einsum("nki,kih->nkh", x, self.encoder_weight[bank]) + self.encoder_bias[bank]
        )
        out = torch.einsum("nkh,kphi->npki", code, self.decoder_weight[bank])
        out = out + self.decoder_bias[bank].transpose(0, 1)[None]
        if self.decoder == "linear":
            return out
        gate = torch.softmax(out.mean(dim=2, keepdim=True), dim=1)  # (N, P, 1, 1)
        return gate * x[:, None]

    def _banks(self, num_subcarriers: int, bank: torch.Tensor | None) -> torch.Tensor:
        if bank is not None:
            bank = torch.as_tensor(bank, dtype=torch.int64)
            if bank.shape != (num_subcarriers,) or bool((bank < 0).any() | (bank >= self.num_banks).any()):
                raise ValueError(
                    f"bank must hold {num_subcarriers} indices in 0 .. {self.num_banks - 1}, "
                    f"got {bank.tolist()}"
                )
            return bank
        if self.shared_weights:
            return torch.zeros(num_subcarriers, dtype=torch.int64)
        if num_subcarriers != self.num_banks:
            raise ValueError(
                f"the autoencoder has {self.num_banks} frequency-diverse encoders but got "
                f"{num_subcarriers} subcarriers; pass bank to map them"
            )
        return torch.arange(num_subcarriers)


def normalise(cfrs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, gain)``: ``h / gain`` real-stacked ``(N, K, 2M)``; ``gain = |h| e^{j arg h_0}`` ``(N, K, 1)``.

    A zero CFR gets gain 1 (and stays zero).
    """
    if not torch.is_complex(cfrs) or cfrs.ndim != 3:
        raise ValueError(f"cfrs must be a complex tensor (N, K, M), got {cfrs.dtype} {tuple(cfrs.shape)}")
    # The norm of the real and imaginary parts: torch's complex vector_norm along the last
    # dimension took 0.2 ms for 1024 CFRs of 4 elements, ten times this.
    norm = torch.linalg.vector_norm(torch.view_as_real(cfrs), dim=(-2, -1))[..., None]
    reference = cfrs[..., :1]
    magnitude = reference.abs()
    phase = torch.where(magnitude > 0, reference / magnitude.clamp(min=1e-30), torch.ones_like(reference))
    gain = torch.where(norm > 0, norm * phase, torch.ones_like(reference))
    x = cfrs / gain
    return torch.cat([x.real, x.imag], dim=-1), gain


def denormalise(x: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalise` for outputs ``(N, P, K, 2M)``: complex ``(N, P, K, M)``."""
    m = x.shape[-1] // 2
    return torch.complex(x[..., :m], x[..., m:]) * gain[:, None]


def routing_targets(x: torch.Tensor, azimuth_deg: ArrayLike, edges_deg: ArrayLike) -> torch.Tensor:
    """Eq. (10) for normalised CFRs ``x`` ``(N, K, 2M)``: ``(N, P, K, 2M)``, ``x`` in its region, else 0."""
    region = torch.as_tensor(subregion_index(azimuth_deg, edges_deg))
    mask = torch.nn.functional.one_hot(region, len(edges_deg) - 1).to(x.dtype)
    return mask[:, :, None, None] * x[:, None]


def subregion_index(azimuth_deg: ArrayLike, edges_deg: ArrayLike) -> NDArray[np.int64]:
    """Subregion ``p`` with ``edges[p] <= theta < edges[p + 1]`` (last one closed); ValueError outside."""
    edges = check_edges(edges_deg)
    azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))
    outside = ~in_field_of_view(azimuth, edges)
    if np.any(outside):
        raise ValueError(
            f"azimuth {azimuth[outside][0]!r} deg lies outside the subregions {edges[0]} .. {edges[-1]} deg"
        )
    region = np.searchsorted(edges, azimuth, side="right") - 1
    return np.clip(region, 0, edges.size - 2).astype(np.int64)


def in_field_of_view(azimuth_deg: ArrayLike, edges_deg: ArrayLike) -> NDArray[np.bool_]:
    """Whether each azimuth lies within the subregions (to :data:`EDGE_TOLERANCE_DEG`)."""
    edges = check_edges(edges_deg)
    azimuth = np.asarray(azimuth_deg, dtype=np.float64)
    return (azimuth >= edges[0] - EDGE_TOLERANCE_DEG) & (azimuth <= edges[-1] + EDGE_TOLERANCE_DEG)


EDGE_TOLERANCE_DEG = 1e-6
"""Rounding allowance of a sweep's end angles against the outer subregion edges."""


def check_decoder(decoder: str) -> str:
    """``decoder`` if it is one of :data:`DECODERS`; ``ValueError`` otherwise."""
    if decoder not in DECODERS:
        raise ValueError(f"decoder: must be one of {', '.join(DECODERS)}, got {decoder!r}")
    return decoder


def check_edges(edges_deg: ArrayLike) -> NDArray[np.float64]:
    """Subregion edges as float64, increasing, at least two; ``ValueError`` otherwise."""
    edges = np.asarray(edges_deg, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise ValueError(
            f"edges_deg: must be at least two increasing angles, got {list(np.atleast_1d(edges))}"
        )
    return edges


def routing_loss(
    model: MultiTaskAutoencoder, x: torch.Tensor, bank: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Mean squared error of eq. (10) in the normalised domain (per CFR, summed over outputs)."""
    return ((model.normalised(x, bank) - targets) ** 2).sum(dim=(1, 3)).mean()


def responses(model: MultiTaskAutoencoder, cfrs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Amplitude and phase responses of eq. (33), each ``(N, P, K)``.

    ``r_amp = |h^H h_p|`` and ``r_phase = |h^H h_p| / (|h| |h_p|)`` (1 when the output keeps
    the input's direction), for Figs. 4a-d.
    """
    with torch.no_grad():
        out = model(cfrs)
    inner = (cfrs.conj()[:, None] * out).sum(-1).abs()
    norms = torch.linalg.vector_norm(cfrs, dim=-1)[:, None] * torch.linalg.vector_norm(out, dim=-1)
    return inner, inner / norms.clamp(min=1e-30)


def _uniform(shape: tuple[int, ...], fan_in: int) -> torch.Tensor:
    """PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / np.sqrt(fan_in)
    return (2.0 * torch.rand(shape) - 1.0) * bound
