"""Figures: the spatial spectrum of a replayed capture over time, with estimates and ground truth;
the losses of a training run."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures go to files
import matplotlib.pyplot as plt
import numpy as np


def plot_spectrum_history(
    spectra_db: np.ndarray, grid_deg: np.ndarray, records: list[dict], path: str | Path, title: str = ""
) -> Path:
    """Writes a PNG: spatial spectrum (dB) per estimate, estimated bearings and annotated truth.

    Args:
        spectra_db: shape ``(num_estimates, len(grid_deg))``, dB relative to each maximum.
        grid_deg: the azimuth grid in degrees.
        records: the estimate records (``azimuth_deg``, ``truth_azimuth_deg``), one per spectrum.
        path: the PNG file to write.
    """
    figure, axes = plt.subplots(figsize=(9, 5), constrained_layout=True)
    count = len(spectra_db)
    image = axes.imshow(
        np.asarray(spectra_db).T,
        origin="lower",
        aspect="auto",
        extent=(-0.5, count - 0.5, grid_deg[0], grid_deg[-1]),
        vmin=-30,
        vmax=0,
        cmap="viridis",
    )
    figure.colorbar(image, ax=axes, label="spatial spectrum (dB re max)")
    for kind, key, style in (("truth", "truth_azimuth_deg", "w_"), ("estimate", "azimuth_deg", "r.")):
        xs = [i for i, r in enumerate(records) for _ in r.get(key, [])]
        ys = [a for r in records for a in r.get(key, [])]
        axes.plot(xs, ys, style, markersize=5, label=kind)
    axes.set_xlabel("estimate (window) index")
    axes.set_ylabel("azimuth (deg, clockwise from boresight)")
    axes.set_title(title)
    axes.legend(loc="upper left")
    return save_figure(figure, path)


def plot_training_history(history: list[dict], path: str | Path, title: str = "") -> Path:
    """Writes a PNG of a training history: one panel per stage, training and validation loss
    over the epochs on a log scale, the best validation epoch (the weights kept) marked.

    Args:
        history: the epochs in training order, dicts with ``stage``, ``epoch``,
            ``train_loss`` and ``val_loss``
            (:func:`~gnuradio.bearing.learned.mod_dnn_training.train_mod_dnn`).
        path: the PNG file to write.
        title: the figure's title.
    """
    from .learned.training import best_epoch, by_stage

    stages = by_stage(history)
    if not stages:
        raise ValueError("no training epochs to plot")
    columns = min(3, len(stages))
    rows = -(-len(stages) // columns)
    figure, axes = plt.subplots(
        rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False, constrained_layout=True
    )
    for panel, (stage, epochs) in zip(axes.flat[: len(stages)], stages.items(), strict=True):
        x = [row["epoch"] for row in epochs]
        panel.plot(x, [row["train_loss"] for row in epochs], "o-", markersize=3, label="training")
        panel.plot(x, [row["val_loss"] for row in epochs], "s--", markersize=3, label="validation")
        best = best_epoch(epochs)
        if best:
            panel.plot(
                best["epoch"], best["val_loss"], "k*", markersize=10, label=f"best (epoch {best['epoch']})"
            )
        panel.set_yscale("log")
        panel.set_xlabel("epoch")
        panel.set_ylabel("loss")
        panel.set_title(stage)
        panel.grid(True, which="both", alpha=0.3)
        panel.legend(fontsize="small")
    for panel in axes.flat[len(stages) :]:
        panel.set_visible(False)
    if title:
        figure.suptitle(title)
    return save_figure(figure, path)


def save_figure(figure: plt.Figure, path: str | Path) -> Path:
    """Writes ``figure`` to ``path`` (PNG, parent directories made) and closes it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
