"""Figures: the spatial spectrum of a replayed capture over time, with estimates and ground truth."""

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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
