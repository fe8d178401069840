"""Training MoD-DNN from calibration data: the autoencoder first, then each subregion's MoDL-SSR.

Liu et al., ACM TOSN 2025, Sec. 5: Adam, learning rate 0.01 halved every 5 epochs, batch 64.
The data are CFR items with known azimuths, grouped into estimate windows (an SRS occasion,
or a run of narrowband snapshots), as :mod:`~gnuradio.bearing.flowgraphs.calibration_capture` reads them
from recordings.

1. The autoencoder learns eq. (10) (:func:`~gnuradio.bearing.learned.autoencoder.routing_loss`) on the
items and on
   noisier copies of them (:func:`with_routing_noise`), so that it also routes at low SNR.
2. With its weights fixed, every window gives P branch covariances and coarray DBF spectra
   (:meth:`ModDnn.branch_spectra`, the code inference runs); subregion ``p``'s MoDL-SSR
   learns from the windows whose truth lies on its grid: subregion ``p`` widened by
   ``overlap_deg`` (:meth:`ModDnn.covered`, :meth:`ModlSsr.loss`).

Windows, not items, are split into training and validation sets, so that no validation
window shares an item or a covariance with training. Each stage stops early when its
validation loss has not improved for ``patience`` epochs and keeps its best weights.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from .autoencoder import in_field_of_view, normalise, routing_loss, routing_targets
from .mod_dnn import ModDnn, ModDnnConfig
from .model_file import read_model_file, write_model_file
from .training import Progress, TrainingOptions, fit, split_indices


@dataclass(frozen=True)
class Progressed:
    """Training done so far: the model's weights, the history, and the stages finished (the
    autoencoder is stage 1, subregion ``p`` stage ``p + 2``); what a checkpoint holds."""

    state: dict
    history: list[dict]
    stages_done: int


Checkpoint = Callable[[Progressed], None]
"""Called after every finished stage with the training done so far."""


def stage_names(config: ModDnnConfig) -> list[str]:
    """The stages of a training of ``config``, in order: ``autoencoder``, ``subregion 0``, ..."""
    return ["autoencoder", *(f"subregion {p}" for p in range(len(config.edges_deg) - 1))]


def train_mod_dnn(
    cfrs: ArrayLike,
    azimuth_deg: ArrayLike,
    window: ArrayLike,
    config: ModDnnConfig,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    resume: Progressed | None = None,
    note: Callable[[str], None] | None = None,
) -> tuple[ModDnn, list[dict]]:
    """Train a model for ``config`` on labelled CFR items.

    Args:
        cfrs: ``(N, K, M)`` complex items; K must equal ``len(config.subcarrier_offsets_hz)``.
            Items whose azimuth lies outside the subregions are left out.
        azimuth_deg: ``(N,)`` the true azimuth of each item, degrees.
        window: ``(N,)`` integer window id of each item (the items of an estimate window).
        config: the model to build.
        options: optimiser settings.
        progress: called after every epoch (see :data:`Progress`).
        checkpoint: called after every stage (see :data:`Checkpoint`): an interrupted training
            loses at most the stage it was in.
        resume: training done earlier (a checkpoint's) on the same data, config and options:
            its weights are loaded and its finished stages are not trained again.
        note: called with a line of progress, every :data:`NOTE_INTERVAL_S` at most, while
            the subregion inputs are computed between the stages (no epochs to report then;
            minutes for a large array).

    Returns:
        the trained model (eval mode) and the history, one dict per epoch: ``stage``
        (``autoencoder`` or ``subregion p``), ``epoch``, ``train_loss``, ``val_loss``,
        ``lr``, ``seconds``.
    """
    options = options or TrainingOptions()
    values, azimuth, window = _check_data(cfrs, azimuth_deg, window, config)
    torch.manual_seed(options.seed)
    model = ModDnn(config)
    history, done = [], 0
    if resume is not None:
        model.load_state_dict(resume.state, strict=True)
        history, done = list(resume.history), resume.stages_done

    def finished(stage_history: list[dict]) -> None:
        nonlocal history, done
        history, done = history + stage_history, done + 1
        if checkpoint is not None:
            checkpoint(Progressed(copy.deepcopy(model.state_dict()), list(history), done))

    validation = _validation_windows(window, options)
    _check_coverage(model, azimuth, window, validation)
    if done < 1:
        finished(_train_autoencoder(model, values, azimuth, np.isin(window, validation), options, progress))
    spectra, labels, held_out = _window_spectra(model, values, azimuth, window, validation, note)
    covered = model.covered(labels)
    for p, ssr in enumerate(model.ssr):
        if p + 2 <= done:  # finished before the resume
            continue
        inputs = torch.from_numpy(spectra[p])
        train, val = covered[:, p] & ~held_out, covered[:, p] & held_out
        stage = fit(
            ssr,
            ssr.loss,
            (inputs[train], labels[train]),
            (inputs[val], labels[val]),
            options,
            stage_names(model.config)[p + 1],
            progress,
        )
        finished(stage)
    model.eval()
    return model, history


def _train_autoencoder(
    model: ModDnn,
    values: NDArray[np.complex64],
    azimuth: NDArray[np.float64],
    held_out: NDArray[np.bool_],
    options: TrainingOptions,
    progress: Progress | None,
) -> list[dict]:
    autoencoder = model.autoencoder
    rng = np.random.default_rng(options.seed)
    # The items are drawn before the noisy copies are made: memory stays that of
    # ``autoencoder_items`` items, whatever the calibration set's size.
    copies = 1 + len(options.routing_snrs_db)
    share = min(1.0, options.autoencoder_items / (copies * held_out.size))
    drawn = np.sort(
        np.concatenate(
            [
                rng.permutation(part)[: max(1, round(share * part.size))]
                for part in (np.flatnonzero(~held_out), np.flatnonzero(held_out))
            ]
        )
    )
    values, azimuth, held_out = with_routing_noise(
        values[drawn], azimuth[drawn], held_out[drawn], options.routing_snrs_db, rng
    )
    x, _ = normalise(torch.as_tensor(values))
    targets = routing_targets(x, azimuth, model.config.edges_deg)
    bank = model.banks(model.config.subcarrier_offsets_hz)

    def loss(x_batch: torch.Tensor, target_batch: torch.Tensor) -> torch.Tensor:
        return routing_loss(autoencoder, x_batch, bank, target_batch)

    train, validation = (torch.as_tensor(np.flatnonzero(part)) for part in (~held_out, held_out))
    return fit(
        autoencoder,
        loss,
        (x[train], targets[train]),
        (x[validation], targets[validation]),
        options,
        stage_names(model.config)[0],
        progress,
    )


def with_routing_noise(
    values: NDArray[np.complex64],
    azimuth_deg: NDArray[np.float64],
    held_out: NDArray[np.bool_],
    snrs_db: tuple[float, ...],
    rng: np.random.Generator,
) -> tuple[NDArray[np.complex64], NDArray[np.float64], NDArray[np.bool_]]:
    """The items ``(N, K, M)`` followed by one noisy copy of them per SNR, with their labels.

    Each copy adds circular white Gaussian noise of variance ``p 10^(-snr/10)`` to an item
    of mean power ``p`` per element and subcarrier (the item's own noise is neglected).
    """
    parts, power = [values], np.mean(np.abs(values) ** 2, axis=(1, 2), keepdims=True)
    for snr_db in snrs_db:
        scale = np.sqrt(power * 10.0 ** (-snr_db / 10.0) / 2.0)
        noise = rng.standard_normal(values.shape) + 1j * rng.standard_normal(values.shape)
        parts.append((values + scale * noise).astype(np.complex64))
    copies = len(parts)
    return np.concatenate(parts), np.tile(azimuth_deg, copies), np.tile(held_out, copies)


SPECTRA_CHUNK_WINDOWS = 4096
"""Windows whose autoencoder outputs are computed at once by :func:`_window_spectra` (bounds
the memory of the complex128 branches to a chunk's)."""
NOTE_INTERVAL_S = 10.0
"""Seconds between two progress notes of the subregion inputs."""


def _window_spectra(
    model: ModDnn,
    values: NDArray[np.complex64],
    azimuth: NDArray[np.float64],
    window: NDArray[np.int64],
    validation: NDArray[np.int64],
    note: Callable[[str], None] | None = None,
) -> tuple[list[NDArray[np.float32]], NDArray[np.float64], NDArray[np.bool_]]:
    """Per subregion ``p``, the ``(W, L_p)`` float32 branch spectra of the W windows (the
    training inputs; float32 as the calibrators take them); per window its azimuth and whether
    it is held out. ``note`` hears how far it is, every :data:`NOTE_INTERVAL_S` at most."""
    began = last = time.monotonic()
    order = np.argsort(window, kind="stable")
    ids, starts = np.unique(window[order], return_index=True)
    groups = np.split(order, starts[1:])
    spectra = [np.empty((ids.size, len(sub.grid_deg)), dtype=np.float32) for sub in model.subregions]
    labels = np.empty(ids.size)
    for first in range(0, ids.size, SPECTRA_CHUNK_WINDOWS):
        chunk = groups[first : first + SPECTRA_CHUNK_WINDOWS]
        items = np.concatenate(chunk)
        branches = model.filter(values[items])
        bounds = np.cumsum([0] + [group.size for group in chunk])
        for index, (group, start) in enumerate(zip(chunk, bounds, strict=False), start=first):
            for p, spectrum in enumerate(model.spectra_of_branches(branches[start : start + group.size])[0]):
                spectra[p][index] = spectrum
            labels[index] = float(np.mean(azimuth[group]))
            if note is not None and time.monotonic() - last >= NOTE_INTERVAL_S:
                last = time.monotonic()
                note(f"subregion inputs  {index + 1}/{ids.size} windows  {last - began:.0f} s")
    return spectra, labels, np.isin(ids, validation)


def _check_coverage(
    model: ModDnn, azimuth: NDArray[np.float64], window: NDArray[np.int64], validation: NDArray[np.int64]
) -> None:
    """``ValueError`` before any training when a subregion has no training or no validation
    window (a window's azimuth: the mean of its items', as its subregion stage sees it)."""
    ids, inverse = np.unique(window, return_inverse=True)
    labels = np.bincount(inverse, weights=azimuth) / np.bincount(inverse)
    covered, held_out = model.covered(labels), np.isin(ids, validation)
    for p, sub in enumerate(model.subregions):
        if not np.any(covered[:, p] & ~held_out) or not np.any(covered[:, p] & held_out):
            raise ValueError(
                f"subregion {p} ({sub.grid_deg[0]:g} .. {sub.grid_deg[-1]:g} deg): no calibration window "
                f"in its training or its validation share ({int(np.count_nonzero(covered[:, p]))} windows "
                "in all): the sweep must cover every subregion (or choose --edges)"
            )


def _validation_windows(window: NDArray[np.int64], options: TrainingOptions) -> NDArray[np.int64]:
    ids = np.unique(window)
    if ids.size < 2:
        raise ValueError(
            f"need at least two estimate windows to hold some out for validation, got {ids.size}"
        )
    return ids[split_indices(ids.size, options.validation_fraction, options.seed)[1].numpy()]


def _check_data(
    cfrs: ArrayLike, azimuth_deg: ArrayLike, window: ArrayLike, config: ModDnnConfig
) -> tuple[NDArray[np.complex64], NDArray[np.float64], NDArray[np.int64]]:
    values = np.asarray(cfrs)
    k = len(config.subcarrier_offsets_hz)
    if values.ndim != 3 or values.shape[1:] != (k, config.num_elements):
        raise ValueError(f"cfrs must have shape (N, {k}, {config.num_elements}), got {values.shape}")
    azimuth = np.asarray(azimuth_deg, dtype=np.float64)
    window = np.asarray(window, dtype=np.int64)
    if azimuth.shape != values.shape[:1] or window.shape != values.shape[:1]:
        raise ValueError(
            f"azimuth_deg and window must have one value per item ({values.shape[0]}), "
            f"got {azimuth.shape} and {window.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("cfrs contain NaN or infinite values")
    inside = in_field_of_view(azimuth, config.edges_deg)
    if not np.any(inside):
        raise ValueError(
            f"no item's azimuth lies in the model's field of view {config.edges_deg[0]} .. "
            f"{config.edges_deg[-1]} deg"
        )
    return values[inside].astype(np.complex64), azimuth[inside], window[inside]


CHECKPOINT_FORMAT = "gr-bearing/mod-dnn-checkpoint"
CHECKPOINT_VERSION = 1


def save_checkpoint(
    path: str | Path, config: ModDnnConfig, options: TrainingOptions, done: Progressed
) -> Path:
    """Writes a training checkpoint (a model file of :data:`CHECKPOINT_FORMAT`: the config, the
    weights and their checksum, the history, the stages done and the options), replacing the
    previous one at once (written beside it, then renamed: an interrupt never leaves half a file)."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    write_model_file(
        partial,
        CHECKPOINT_FORMAT,
        CHECKPOINT_VERSION,
        config,
        done.state,
        history=done.history,
        stages_done=done.stages_done,
        options=dataclasses.asdict(options),
    )
    partial.replace(path)
    return path


def load_checkpoint(path: str | Path, config: ModDnnConfig, options: TrainingOptions) -> Progressed:
    """The training done in a checkpoint of :func:`save_checkpoint`; ValueError naming the file
    when it was made for another configuration or other options (other captures, other
    settings: resuming it would mix two trainings)."""
    data = read_model_file(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, "MoD-DNN training checkpoint")
    if json.loads(data["config"]) != json.loads(json.dumps(dataclasses.asdict(config))):
        raise ValueError(
            f"{path}: the checkpoint is of another model configuration (other captures or options)"
        )
    if json.loads(data.get("options", "{}")) != json.loads(json.dumps(dataclasses.asdict(options))):
        raise ValueError(f"{path}: the checkpoint was made with other training options")
    history = json.loads(data.get("history", "[]"))
    return Progressed(data["state"], history, int(json.loads(data.get("stages_done", "0"))))
