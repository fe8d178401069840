"""The study's figures (:data:`FIGURES`, PNG), from :class:`~.run.StudyResults`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from ...array.impairments import Impairments, draw_impairments
from ...doa.grid import azimuth_grid
from ...learned.autoencoder import DEFAULT_EDGES_DEG, responses, subregion_index
from ...learned.mod_dnn import ModDnn
from ...plotting import plot_training_history, plt, save_figure
from ..report import decorate
from .methods import Evaluation, sparse_spectrum
from .run import StudyResults, calibration_snr_curves, rmse
from .setting import (
    COARRAY_DBF,
    GEOMETRY,
    METHOD_NAMES,
    MOD_DNN,
    MOD_DNN_II,
    MOD_DNN_LINEAR,
    RESPONSE_STEP_DEG,
    SCG,
    SPECTRUM_ANGLES_DEG,
    TRANSFERRED,
    absolute_errors_deg,
    cfrs,
    empirical_cdf,
    item_covariances,
    study_rng,
)

COLOURS = dict(zip((*METHOD_NAMES, TRANSFERRED), (*plt.get_cmap("tab10").colors, "k"), strict=True))
"""The colour of each method in every figure."""


def plot_lines(
    x: Sequence[float],
    curves: dict[str, Sequence[float]],
    xlabel: str,
    title: str,
    path: Path,
    styles: dict[str, dict] | None = None,
) -> Path:
    """RMSE curves on a log scale, one per method (a name ``CRB`` is drawn dashed black).

    ``styles`` gives the matplotlib style of a curve by name; by default a method's colour of
    :data:`COLOURS` with round markers.
    """
    figure, axes = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    for name, values in curves.items():
        style = (styles or {}).get(name) or (
            {"color": "k", "linestyle": "--"} if name == "CRB" else {"color": COLOURS[name], "marker": "o"}
        )
        axes.plot(x, values, label=name, markersize=4, **style)
    decorate(axes, xlabel, "RMSE (deg)", title, yscale="log")
    return save_figure(figure, path)


def plot_cdfs(panels: dict[str, tuple[dict[str, Evaluation], NDArray]], path: Path) -> Path:
    """Error CDFs per method, one panel per test set, the p80 level dotted."""
    figure, axes = plt.subplots(
        1, len(panels), figsize=(6.5 * len(panels), 4.6), squeeze=False, constrained_layout=True
    )
    for panel, (title, (evaluations, truth)) in zip(axes[0], panels.items(), strict=True):
        for name, evaluation in evaluations.items():
            errors, probability = empirical_cdf(absolute_errors_deg(evaluation.estimates_deg, truth)[0])
            panel.step(np.maximum(errors, 1e-3), probability, where="post", label=name, color=COLOURS[name])
        panel.axhline(0.8, color="k", linestyle=":", linewidth=1)
        decorate(panel, "absolute error (deg)", "CDF", title, xscale="log")
    return save_figure(figure, path)


def plot_subregion_boxes(results: StudyResults, path: Path) -> Path:
    """Fig. 5c: box plots of the absolute error per method, one panel per subregion."""
    edges = DEFAULT_EDGES_DEG
    region = subregion_index(results.truth_deg, edges)
    names = list(results.at_test_snr)
    figure, axes = plt.subplots(1, len(edges) - 1, figsize=(16, 4.8), sharey=True, constrained_layout=True)
    for p, panel in enumerate(axes):
        errors = [
            np.maximum(absolute_errors_deg(results.at_test_snr[n].estimates_deg, results.truth_deg)[0], 1e-4)[
                region == p
            ]
            for n in names
        ]
        boxes = panel.boxplot(
            errors, patch_artist=True, flierprops={"markersize": 2}, medianprops={"color": "k"}
        )
        for box, name in zip(boxes["boxes"], names, strict=True):
            box.set_facecolor(COLOURS[name])
        title = f"subregion [{edges[p]:.0f}, {edges[p + 1]:.0f}) deg"
        decorate(panel, "", "absolute error (deg)" if p == 0 else "", title, yscale="log", legend=False)
        panel.set_xticks(range(1, len(names) + 1), names, rotation=60, ha="right", fontsize="small")
    return save_figure(figure, path)


def autoencoder_responses(
    model: ModDnn, impairments: Impairments, rng: np.random.Generator
) -> tuple[NDArray, NDArray, NDArray]:
    """Eq. (33) responses of noise-free CFRs of the array, ``RESPONSE_STEP_DEG`` apart (Figs. 4a-d).

    Returns the angles ``(N,)`` and, per angle and branch ``(N, P)``, the amplitude response
    divided by the input's energy, ``|h^H h_p| / |h|^2`` (1: the branch passes the input
    whole), and the phase response ``|h^H h_p| / (|h| |h_p|)``, both averaged over the
    subcarriers.
    """
    angles = np.round(azimuth_grid(-60.0, 60.0, RESPONSE_STEP_DEG), 6)
    items = cfrs(impairments, angles, None, rng)
    amplitude, phase = responses(model.autoencoder, torch.as_tensor(items, dtype=torch.complex64))
    energy = np.sum(np.abs(items) ** 2, axis=-1)[:, None, :]
    return angles, (amplitude.numpy() / energy).mean(axis=-1), phase.numpy().mean(axis=-1)


def plot_responses(
    variants: dict[str, ModDnn], impairments: Impairments, rng: np.random.Generator, path: Path
) -> Path:
    """Figs. 4a-d: amplitude and phase responses of each branch against the angle, per variant."""
    figure, axes = plt.subplots(
        len(variants), 2, figsize=(12, 3.6 * len(variants)), squeeze=False, constrained_layout=True
    )
    for row, (title, model) in zip(axes, variants.items(), strict=True):
        angles, amplitude, phase = autoencoder_responses(model, impairments, rng)
        for panel, values, kind, formula in (
            (row[0], amplitude, "amplitude", "|h^H h_p| / |h|^2"),
            (row[1], phase, "phase", "|h^H h_p| / (|h| |h_p|)"),
        ):
            for p in range(values.shape[1]):
                panel.plot(angles, values[:, p], label=f"branch {p}")
            for edge in DEFAULT_EDGES_DEG[1:-1]:
                panel.axvline(edge, color="k", linestyle=":", linewidth=1)
            decorate(panel, "azimuth (deg)", formula, f"{title}: {kind} response")
            panel.set_ylim(0.0, 1.05 * max(1.0, float(values.max())))
    return save_figure(figure, path)


def example_spectra(
    model: ModDnn, impairments: Impairments, snr_db: float, rng: np.random.Generator
) -> list[dict[str, tuple[NDArray, NDArray]]]:
    """Figs. 1c, 4e: per angle of :data:`SPECTRUM_ANGLES_DEG`, ``{name: (grid, spectrum)}``.

    One item at ``snr_db``: coarray DBF and SCG alone on the full grid, MoD-DNN's calibrated
    and sparse spectra of its chosen branch on that subregion's grid.
    """
    coarray = model.coarray
    out = []
    for item in cfrs(impairments, SPECTRUM_ANGLES_DEG, snr_db, rng):
        eta_hat, eta = sparse_spectrum(coarray, item_covariances(item[None])[0])
        spectra, energies = model.branch_spectra(item[None])
        chosen = int(np.argmax(energies))
        with torch.no_grad():
            calibrated, sparse = model.ssr[chosen](torch.as_tensor(spectra[chosen][None]))
        grid = model.ssr[chosen].grid_deg
        out.append(
            {
                COARRAY_DBF: (coarray.grid_deg, eta_hat),
                SCG: (coarray.grid_deg, eta),
                "MoD-DNN calibrated": (grid, calibrated[0].numpy()),
                "MoD-DNN sparse": (grid, sparse[0].numpy()),
            }
        )
    return out


def plot_spectra(spectra: list[dict[str, tuple[NDArray, NDArray]]], snr_db: float, path: Path) -> Path:
    """Figs. 1c, 4e: each spectrum scaled to unit peak, one panel per source angle."""
    figure, axes = plt.subplots(1, len(spectra), figsize=(16, 4.2), sharey=True, constrained_layout=True)
    for panel, truth, curves in zip(axes, SPECTRUM_ANGLES_DEG, spectra, strict=True):
        for name, (grid, values) in curves.items():
            panel.plot(grid, values / np.max(np.abs(values)), label=name, linewidth=1.2)
        panel.axvline(truth, color="k", linestyle=":", linewidth=1, label="truth")
        panel.set_xlim(-60, 60)
        title = f"source at {truth:+.0f} deg, {snr_db:.0f} dB"
        decorate(
            panel,
            "azimuth (deg)",
            "spectrum / peak" if panel is axes[0] else "",
            title,
            legend=panel is axes[0],
        )
    return save_figure(figure, path)


FIGURES = {
    "rmse_vs_snr": "fig4f_rmse_vs_snr.png",
    "rmse_vs_rho": "fig4g_rmse_vs_rho.png",
    "cdf": "error_cdf.png",
    "subregions": "fig5c_subregion_errors.png",
    "responses": "fig4a-d_autoencoder_responses.png",
    "spectra": "fig1c_4e_spectra.png",
    "unseen": "unseen_array_cdf.png",
    "training": "mod_dnn_training.png",
    "calibration_snr": "calibration_snr.png",
}
"""The PNG files :func:`write_report` writes, by content."""


def write_figures(results: StudyResults, out: Path) -> list[Path]:
    """Every PNG of :data:`FIGURES` into ``out``."""
    config, truth = results.config, results.truth_deg
    snr = f"{config.test_snr_db:.0f} dB"
    array_s = draw_impairments(GEOMETRY.num_elements, 1.0, config.seed)
    snr_curves = {
        name: [rmse(results.by_snr[s][name], truth) for s in config.snrs_db] for name in results.methods
    }
    snr_curves["CRB"] = [results.crb_deg[s] for s in config.snrs_db]
    rho_curves = {
        name: [rmse(results.by_rho[r][name], results.truth_deg) for r in config.rhos]
        for name in next(iter(results.by_rho.values()))
    }
    main = results.methods[MOD_DNN].model
    variants = {
        "Autoencoder I (default)": main,
        "Autoencoder II": results.methods[MOD_DNN_II].model,
        "Autoencoder I, linear decoders": results.methods[MOD_DNN_LINEAR].model,
    }
    return [
        plot_lines(
            config.snrs_db,
            snr_curves,
            "SNR (dB)",
            "RMSE against SNR, rho = 1 (Fig. 4f)",
            out / FIGURES["rmse_vs_snr"],
        ),
        plot_lines(
            config.rhos,
            rho_curves,
            "impairment degree rho",
            f"RMSE against rho, {snr} (Fig. 4g)",
            out / FIGURES["rmse_vs_rho"],
        ),
        plot_cdfs({f"error CDF, rho = 1, {snr}": (results.at_test_snr, truth)}, out / FIGURES["cdf"]),
        plot_subregion_boxes(results, out / FIGURES["subregions"]),
        plot_responses(variants, array_s, study_rng(config, 4), out / FIGURES["responses"]),
        plot_spectra(
            example_spectra(main, array_s, config.test_snr_db, study_rng(config, 5)),
            config.test_snr_db,
            out / FIGURES["spectra"],
        ),
        plot_cdfs(
            {
                f"array S (seed {config.seed}), {snr}": (results.at_test_snr, truth),
                f"unseen array S' (seed {config.seed + 1}), {snr}": (results.unseen, results.truth_deg),
            },
            out / FIGURES["unseen"],
        ),
        plot_training_history(main.history, out / FIGURES["training"], "MoD-DNN (Autoencoder I) on array S"),
        plot_calibration_snr(results, out / FIGURES["calibration_snr"]),
    ]


def plot_calibration_snr(results: StudyResults, path: Path) -> Path:
    """RMSE against SNR at both calibration SNRs (solid: the study's, dotted: the paper's)."""
    curves = calibration_snr_curves(results)
    styles = {
        name: {"color": COLOURS[name.split(",")[0]], "marker": "o", "linestyle": ":" if index % 2 else "-"}
        for index, name in enumerate(list(curves)[:-1])
    }
    return plot_lines(
        results.config.snrs_db,
        curves,
        "test SNR (dB)",
        "RMSE against SNR by calibration SNR, rho = 1",
        path,
        styles,
    )
