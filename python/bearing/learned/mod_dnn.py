"""The MoD-DNN model: autoencoder -> P covariances -> coarray DBF -> MoDL-SSR, and its file.

Liu et al., ACM TOSN 2025, Fig. 2. One estimate takes the CFRs of a window (``N`` items of
``K`` subcarriers: an SRS occasion, or ``N`` narrowband snapshots with ``K = 1``):

1. the multi-task autoencoder (:mod:`~gnuradio.bearing.learned.autoencoder`) filters every CFR into P
subregions; 2. branch ``p``'s covariance ``R_p = 1/(N K) sum h_p h_p^H`` (eq. (11)) and its energy
   ``trace(R_p)``;
3. the coarray DBF spectrum of ``R_p`` on subregion ``p``'s part of the grid, widened by
   ``overlap_deg`` on either side (eq. (14), :mod:`~gnuradio.bearing.doa.coarray`; the noise floor
   ``lambda_min(R_p)`` removed unless ``remove_noise_floor`` is off, the paper's literal
   input);
4. MoDL-SSR of subregion ``p`` (:mod:`~gnuradio.bearing.learned.modl_ssr`) gives its calibrated and
sparse spectra.

**Subregion choice.** The autoencoder passes a source only through the decoder of its own
subregion, so the branch with the largest energy holds the source: its MoDL-SSR gives the
bearings (:meth:`ModlSsr.bearings`). The full-grid spectrum (for plots) is the sum of the
branches' sparse spectra, each scaled by its share of the energy; branches with less than
:data:`MIN_ENERGY_SHARE` of it are left out (their MoDL-SSR is not run: it halves the
time per estimate).

**Model file** (:func:`save`, :func:`load`): one ``torch.save`` dict of plain types and
tensors, read back with ``torch.load(weights_only=True)`` (no code is unpickled):
``format``, ``version``, ``config`` (JSON of :class:`ModDnnConfig`: geometry, carrier,
subcarriers, grid, subregions, window, normalisation, architecture), ``state`` (the
weights) and ``history`` (training losses, JSON).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import ArrayGeometry
from ..doa.coarray import DEFAULT_FIELD_OF_VIEW_DEG, CoarrayModel, coarray_model
from ..doa.scg import ScgOptions
from .autoencoder import DEFAULT_EDGES_DEG, MultiTaskAutoencoder, check_decoder, check_edges
from .model_file import config_from_json, read_model_file, write_model_file
from .modl_ssr import ModlSsr

MODEL_FORMAT = "gr-bearing/mod-dnn"
MODEL_VERSION = 1
"""File format name and version; :func:`load` refuses other formats and newer versions."""

MIN_ENERGY_SHARE = 0.05
"""Branches with less of the energy are left out of the full-grid spectrum (MoDL-SSR skipped)."""

POSITION_TOLERANCE_M = 1e-4
"""Largest element position difference at which a capture's array counts as the model's."""


@dataclass(frozen=True)
class ModDnnConfig:
    """Everything inference needs besides the weights.

    Attributes:
        positions_m: ``(M, 3)`` element positions, metres (SigMF spatial frame).
        frequency_hz: carrier frequency, hertz.
        subcarrier_offsets_hz: the K trained subcarriers' offsets from the carrier, hertz
            (``(0.0,)`` for narrowband); each input subcarrier uses the encoder nearest in
            frequency.
        kind: ``"narrowband"`` or ``"srs"``: the captures it was trained on.
        window_items: items per estimate window in training (snapshots, or SRS occasions).
        grid_deg: ``(start, stop, step)`` of the azimuth grid, degrees.
        edges_deg: subregion edges, degrees (P = len - 1).
        overlap_deg: each subregion's MoDL-SSR covers its interval widened by this much on
            either side (within the grid), degrees: a source at an edge, routed to either
            neighbour, lies inside that neighbour's calibrated grid.
        hidden: the autoencoder's code width.
        shared_weights: one autoencoder for every subcarrier (Autoencoder II).
        decoder: the autoencoder's decoders, ``"gate"`` or ``"linear"``
            (:mod:`~gnuradio.bearing.learned.autoencoder`).
        calibrator: ``"range"`` or ``"cnn"`` (:mod:`~gnuradio.bearing.learned.modl_ssr`).
        iterations: MoDL-SSR's unrolled iterations (the CNN calibrator).
        calibrator_width: hidden width of the range calibrator.
        scg: SCG options as a dict of :class:`ScgOptions` fields (``lam`` is eq. (21)'s lambda).
        remove_noise_floor: subtract ``lambda_min(R_p) I`` before the coarray DBF.
        srs: the SRS selection of an SRS model (``nr:carrier``, the UE's ``nr:srs``, the number
            of pilots), for the record; empty for narrowband.
    """

    positions_m: tuple[tuple[float, ...], ...]
    frequency_hz: float
    subcarrier_offsets_hz: tuple[float, ...] = (0.0,)
    kind: str = "narrowband"
    window_items: int = 16
    grid_deg: tuple[float, float, float] = DEFAULT_FIELD_OF_VIEW_DEG
    edges_deg: tuple[float, ...] = DEFAULT_EDGES_DEG
    overlap_deg: float = 3.0
    hidden: int = 16
    shared_weights: bool = False
    decoder: str = "gate"
    calibrator: str = "range"
    iterations: int = 1
    calibrator_width: int = 64
    scg: dict = field(default_factory=dict)
    remove_noise_floor: bool = True
    srs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        positions = np.asarray(self.positions_m, dtype=np.float64)
        if positions.ndim != 2 or positions.shape[1] != 3 or positions.shape[0] < 2:
            raise ValueError(f"positions_m: must be (M, 3) with M >= 2, got shape {positions.shape}")
        object.__setattr__(self, "positions_m", tuple(map(tuple, positions.tolist())))
        offsets = tuple(float(f) for f in np.atleast_1d(self.subcarrier_offsets_hz))
        object.__setattr__(self, "subcarrier_offsets_hz", offsets)
        edges = check_edges(self.edges_deg)
        start, stop, _ = self.grid_deg
        if edges[0] < start or edges[-1] > stop:
            raise ValueError(f"edges_deg: {list(edges)} must lie within the grid {start} .. {stop} deg")
        object.__setattr__(self, "edges_deg", tuple(edges.tolist()))
        object.__setattr__(self, "grid_deg", tuple(float(v) for v in self.grid_deg))
        if not self.overlap_deg >= 0:
            raise ValueError(f"overlap_deg: must be >= 0, got {self.overlap_deg!r}")
        check_decoder(self.decoder)
        if self.kind not in ("narrowband", "srs"):
            raise ValueError(f"kind: must be 'narrowband' or 'srs', got {self.kind!r}")
        ScgOptions(**self.scg)  # validates the fields

    @property
    def num_elements(self) -> int:
        return len(self.positions_m)

    @property
    def scg_options(self) -> ScgOptions:
        return ScgOptions(**self.scg)


@dataclass(frozen=True)
class ModDnnEstimate:
    """One window's result.

    Attributes:
        bearings_deg: up to ``num_sources`` azimuths, degrees, strongest first.
        spectrum: ``(L,)`` full-grid sparse spectrum (branches scaled by their energy share).
        subregion: the chosen subregion (largest energy).
        energies: ``(P,)`` the branches' energies ``trace(R_p)``, in the input's power units.
    """

    bearings_deg: NDArray[np.float64]
    spectrum: NDArray[np.float64]
    subregion: int
    energies: NDArray[np.float64]


class ModDnn(torch.nn.Module):
    """The whole model: autoencoder and one MoDL-SSR per subregion, built from a config."""

    def __init__(self, config: ModDnnConfig) -> None:
        super().__init__()
        self.config = config
        self.coarray: CoarrayModel = coarray_model(config.positions_m, config.frequency_hz, *config.grid_deg)
        margin = config.overlap_deg
        self.subregions = [
            self.coarray.subregion(low - margin, high + margin)
            for low, high in itertools.pairwise(config.edges_deg)
        ]
        self._grid_index = [np.searchsorted(self.coarray.grid_deg, sub.grid_deg) for sub in self.subregions]
        self.autoencoder = MultiTaskAutoencoder(
            config.num_elements,
            len(config.subcarrier_offsets_hz),
            len(self.subregions),
            hidden=config.hidden,
            shared_weights=config.shared_weights,
            decoder=config.decoder,
        )
        self.ssr = torch.nn.ModuleList(
            ModlSsr(sub, config.calibrator, config.iterations, config.calibrator_width, config.scg_options)
            for sub in self.subregions
        )
        self.eval()  # inference mode until training switches a stage to train()

    @property
    def geometry(self) -> ArrayGeometry:
        return self.coarray.geometry

    @property
    def grid_deg(self) -> NDArray[np.float64]:
        return self.coarray.grid_deg

    def banks(self, subcarrier_offsets_hz: ArrayLike) -> torch.Tensor:
        """The encoder of each input subcarrier: the trained one nearest in frequency, ``(K',)``."""
        offsets = np.atleast_1d(np.asarray(subcarrier_offsets_hz, dtype=np.float64))
        trained = np.asarray(self.config.subcarrier_offsets_hz)
        if self.config.shared_weights:
            return torch.zeros(offsets.size, dtype=torch.int64)
        return torch.as_tensor(np.abs(offsets[:, None] - trained[None, :]).argmin(axis=1), dtype=torch.int64)

    def branch_spectra(
        self, cfrs: ArrayLike, subcarrier_offsets_hz: ArrayLike | None = None
    ) -> tuple[list[NDArray[np.float64]], NDArray[np.float64]]:
        """Steps 1-3 for a window: the P coarray DBF spectra and the branches' energies.

        Args:
            cfrs: ``(N, K', M)`` complex, the window's items.
            subcarrier_offsets_hz: the K' input subcarriers' offsets (default: the trained ones).
        """
        return self.spectra_of_branches(self.filter(cfrs, subcarrier_offsets_hz))

    def spectra_of_branches(
        self, branches: NDArray[np.complex128]
    ) -> tuple[list[NDArray[np.float64]], NDArray[np.float64]]:
        """Steps 2-3 from the autoencoder outputs ``(N, P, K, M)`` of one window."""
        covariances = branch_covariances(branches)
        energies = np.real(np.trace(covariances, axis1=1, axis2=2))
        spectra = [
            sub.spectrum(r, self.config.remove_noise_floor) if energy > 0 else np.zeros(len(sub.grid_deg))
            for sub, r, energy in zip(self.subregions, covariances, energies, strict=True)
        ]
        return spectra, energies

    def filter(
        self, cfrs: ArrayLike, subcarrier_offsets_hz: ArrayLike | None = None
    ) -> NDArray[np.complex128]:
        """The autoencoder's outputs ``(N, P, K', M)`` complex128 (eval mode, no gradient)."""
        values = np.asarray(cfrs)
        if values.ndim != 3 or values.shape[2] != self.config.num_elements:
            raise ValueError(f"cfrs must have shape (N, K, {self.config.num_elements}), got {values.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("cfrs contain NaN or infinite values")
        offsets = (
            self.config.subcarrier_offsets_hz if subcarrier_offsets_hz is None else subcarrier_offsets_hz
        )
        bank = self.banks(offsets)
        if bank.numel() != values.shape[1]:
            raise ValueError(f"{values.shape[1]} subcarriers in cfrs but {bank.numel()} offsets")
        single_torch_thread()
        with torch.no_grad():
            out = self.autoencoder(torch.as_tensor(values, dtype=torch.complex64), bank)
        return out.numpy().astype(np.complex128)

    def estimate(
        self,
        cfrs: ArrayLike,
        num_sources: int = 1,
        subcarrier_offsets_hz: ArrayLike | None = None,
        min_separation_deg: float = 2.0,
    ) -> ModDnnEstimate:
        """Bearings of one window of CFRs ``(N, K', M)`` (steps 1-4)."""
        spectra, energies = self.branch_spectra(cfrs, subcarrier_offsets_hz)
        return self.estimate_from_spectra(spectra, energies, num_sources, min_separation_deg)

    def estimate_from_spectra(
        self,
        spectra: list[ArrayLike],
        energies: ArrayLike,
        num_sources: int | Sequence[int | None] = 1,
        min_separation_deg: float = 2.0,
    ) -> ModDnnEstimate:
        """Step 4 and the subregion choice, from the P coarray DBF spectra and energies.

        ``num_sources`` is the bearings wanted, or one count per branch (a source counter on
        each branch's covariance; None: none), of which the chosen branch's applies; 0 gives
        no bearings.
        """
        energies = np.asarray(energies, dtype=np.float64)
        if energies.shape != (len(self.ssr),) or len(spectra) != len(self.ssr):
            raise ValueError(f"expected {len(self.ssr)} branch spectra and energies, got {len(spectra)}")
        total = energies.sum()
        if not total > 0:
            raise ValueError("every autoencoder branch is empty: no signal in the window")
        chosen = int(np.argmax(energies))
        spectrum = np.zeros(len(self.grid_deg))
        single_torch_thread()
        with torch.no_grad():
            for branch in np.flatnonzero(energies >= MIN_ENERGY_SHARE * total):
                result = self.ssr[branch](torch.as_tensor(np.asarray(spectra[branch])[None]))
                calibrated, eta = (t[0].numpy().astype(np.float64) for t in result)
                spectrum[self._grid_index[branch]] += eta * energies[branch] / total
                if branch == chosen:
                    chosen_result = calibrated, eta
        calibrated, eta = chosen_result
        count = num_sources if np.ndim(num_sources) == 0 else num_sources[chosen]
        if count is None:
            raise ValueError(f"no source count for the chosen branch {chosen} (its source counter failed)")
        bearings = self.ssr[chosen].bearings(calibrated, eta, max(count, 1), min_separation_deg)[:count]
        return ModDnnEstimate(bearings, spectrum, chosen, energies)

    def covered(self, azimuth_deg: ArrayLike) -> NDArray[np.bool_]:
        """``(N, P)``: whether each azimuth lies on subregion ``p``'s (widened) grid."""
        azimuth = np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64))[:, None]
        step = self.config.grid_deg[2]
        low = np.array([sub.grid_deg[0] for sub in self.subregions]) - step / 2
        high = np.array([sub.grid_deg[-1] for sub in self.subregions]) + step / 2
        return (azimuth >= low) & (azimuth <= high)

    def check_array(self, positions_m: ArrayLike, frequency_hz: float, what: str = "the capture") -> None:
        """``ValueError`` unless ``positions_m`` and ``frequency_hz`` are the model's array and carrier.

        Positions must agree within :data:`POSITION_TOLERANCE_M`, and the carrier must lie in
        the trained band (carrier plus the subcarrier offsets) widened by 0.01 % of the
        carrier: a narrowband model accepts its own carrier only.
        """
        positions = np.asarray(positions_m, dtype=np.float64)
        mine = np.asarray(self.config.positions_m)
        if positions.shape != mine.shape:
            raise ValueError(
                f"the model was trained for a {mine.shape[0]}-element array; {what} has "
                f"{positions.shape[0]} elements"
            )
        error = float(np.max(np.abs(positions - mine)))
        if error > POSITION_TOLERANCE_M:
            raise ValueError(
                f"the model was trained for another array geometry: element positions differ by up to "
                f"{error * 1e3:.2f} mm from {what}'s"
            )
        offsets = np.asarray(self.config.subcarrier_offsets_hz)
        margin = 1e-4 * self.config.frequency_hz
        low = self.config.frequency_hz + offsets.min() - margin
        high = self.config.frequency_hz + offsets.max() + margin
        if not low <= float(frequency_hz) <= high:
            raise ValueError(
                f"the model was trained for {low / 1e9:.6f} .. {high / 1e9:.6f} GHz; {what}'s carrier "
                f"is {float(frequency_hz) / 1e9:.6f} GHz"
            )


_thread_state = threading.local()


def single_torch_thread() -> None:
    """One torch (OpenMP) thread for the calling thread, unless it is the main thread.

    Every GNU Radio block runs in a thread of its own, and OpenMP gives each new calling
    thread a team as wide as the machine: on one core its idle workers spin against the
    block and an estimate took 100 ms instead of 3 (tests/bench/mod_dnn_speed.py). MoD-DNN's
    tensors are small, so one thread is fastest. The setting is per thread with OpenMP, so
    training in the main thread keeps its threads.
    """
    if threading.current_thread() is threading.main_thread() or getattr(_thread_state, "single", False):
        return
    torch.set_num_threads(1)
    _thread_state.single = True


def branch_covariances(branches: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Eq. (11) per branch: ``(P, M, M)`` from the autoencoder outputs ``(N, P, K, M)``."""
    n, p, k, m = branches.shape
    snapshots = branches.transpose(1, 3, 0, 2).reshape(p, m, n * k)  # a BLAS product: fast for large M
    return snapshots @ snapshots.conj().transpose(0, 2, 1) / (n * k)


def save(model: ModDnn, path: str | Path, history: list[dict] | None = None) -> Path:
    """Write the model file (see the module docstring); returns its path."""
    return write_model_file(
        path, MODEL_FORMAT, MODEL_VERSION, model.config, model.state_dict(), history=history or []
    )


def load(path: str | Path) -> ModDnn:
    """Read a model file with ``torch.load(weights_only=True)``; ``ValueError`` naming what is wrong."""
    data = read_model_file(path, MODEL_FORMAT, MODEL_VERSION, "MoD-DNN model")
    try:
        model = ModDnn(config_from_json(ModDnnConfig, data["config"]))
        model.load_state_dict(data["state"], strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{path}: damaged MoD-DNN model file ({error})") from None
    model.history = json.loads(data.get("history", "[]"))
    model.eval()
    return model
