"""The study's Markdown tables (:func:`report_sections`), from :class:`~.run.StudyResults`."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray

from ...learned.autoencoder import DEFAULT_EDGES_DEG, subregion_index
from ..report import markdown_table
from .methods import Evaluation
from .run import StudyResults, calibration_snr_curves, p80, rmse
from .setting import (
    ACCEPTANCE_SNRS_DB,
    CALIBRATED_MUSIC,
    CARRIER_HZ,
    CNN,
    GEOMETRY,
    MOD_DNN,
    MUSIC,
    PAPER_P80_DEG,
    STATISTIC_HEADERS,
    STATISTIC_KEYS,
    SUBCARRIER_OFFSETS_HZ,
    absolute_errors_deg,
    error_statistics,
    interquartile_range,
)


def header_lines(results: StudyResults, command: str) -> list[str]:
    """Command, setting and seeds of a run (the head of every table file)."""
    config = results.config
    return [
        "# MoD-DNN accuracy study",
        "",
        f"Command: `{command}` ({results.seconds / 60:.1f} min; torch {torch.__version__}, "
        f"torch threads: {torch.get_num_threads()}).",
        "",
        f"Setting: {GEOMETRY.num_elements}-element half-wavelength ULA at {CARRIER_HZ / 1e9:.2f} GHz, "
        f"K = {len(SUBCARRIER_OFFSETS_HZ)} subcarriers {SUBCARRIER_OFFSETS_HZ[0] / 1e6:+.0f} .. "
        f"{SUBCARRIER_OFFSETS_HZ[-1] / 1e6:+.0f} MHz, one CFR item per estimate; subregions "
        f"{list(DEFAULT_EDGES_DEG)} deg, grid -60 .. 60 deg at 0.1 deg. Calibration: sweep step "
        f"{config.sweep_step_deg} deg, {config.draws_per_angle} draws per angle "
        f"({config.rho_draws_per_angle} in the rho sweep) at {config.calibration_snr_db:.0f} dB (and "
        f"at {config.paper_calibration_snr_db:.0f} dB, the paper's, in 'Calibration SNR'); "
        f"{config.test_points} held-out test angles uniform in -60 .. 60 deg; epochs "
        f"{config.epochs or 'library default'}. SNR per element and subcarrier. CRB: the stochastic "
        "CRB of the ideal array, one unit-power source, T = 16 snapshots (the item's subcarriers), "
        "RMS over the test angles. MUSIC and DBF: ideal manifold, -90 .. 90 deg grid, off-grid "
        "refinement; a missing estimate counts as 0 deg.",
        "",
        f"Seeds: --seed {config.seed}: array S = draw_impairments(4, rho, {config.seed}), unseen array "
        f"S' = draw_impairments(4, 1, {config.seed + 1}); data streams default_rng([{config.seed}, tag, "
        f"...]); training seed {config.seed}.",
        "",
    ]


def summary_table(results: StudyResults) -> list[str]:
    """The acceptance figures: p80 of MoD-DNN and MUSIC, RMSE / CRB, calibrated MUSIC, unseen array."""
    config, truth = results.config, results.truth_deg
    test = results.at_test_snr
    snr = f"rho = 1, {config.test_snr_db:.0f} dB"
    rows: list[list[object]] = [
        [f"{name} p80 (deg), {snr}", p80(test[name], truth), PAPER_P80_DEG.get(name, "-")]
        for name in (MOD_DNN, MUSIC, CALIBRATED_MUSIC)
    ]
    for snr_db in ACCEPTANCE_SNRS_DB:
        if snr_db in results.by_snr:
            ratio = rmse(results.by_snr[snr_db][MOD_DNN], truth) / results.crb_deg[snr_db]
            rows.append([f"MoD-DNN RMSE / CRB at {snr_db:.0f} dB", ratio, "-"])
    paper = config.paper_calibration_snr_db
    ratios = [
        rmse(results.paper_calibration[snr_db][MOD_DNN], truth) / results.crb_deg[snr_db]
        for snr_db in ACCEPTANCE_SNRS_DB
        if snr_db in results.paper_calibration
    ]
    if ratios:
        rows.append(
            [f"MoD-DNN largest RMSE / CRB at >= 10 dB, calibrated at {paper:.0f} dB", max(ratios), "-"]
        )
    spread = [p80(e, truth) for e in (test[MOD_DNN], *results.repeated.values())]
    rows.append(
        [
            f"MoD-DNN p80 (deg) over {len(spread)} training seeds, min .. max",
            f"{min(spread):.3f} .. {max(spread):.3f}",
            "-",
        ]
    )
    mine, theirs = test[MOD_DNN], test[CALIBRATED_MUSIC]
    rows.append([f"MoD-DNN p80 / calibrated MUSIC p80, {snr}", p80(mine, truth) / p80(theirs, truth), "-"])
    rows.append(
        [f"MoD-DNN RMSE / calibrated MUSIC RMSE, {snr}", rmse(mine, truth) / rmse(theirs, truth), "-"]
    )
    better = sum(rmse(e[MOD_DNN], truth) < rmse(e[CALIBRATED_MUSIC], truth) for e in results.by_snr.values())
    rows.append(
        ["SNRs where MoD-DNN's RMSE beats calibrated MUSIC's", f"{better} of {len(results.by_snr)}", "-"]
    )
    for name in (MOD_DNN, MUSIC, CALIBRATED_MUSIC):
        value = p80(results.unseen[name], results.truth_deg)
        rows.append([f"{name} p80 (deg), unseen array S', {config.test_snr_db:.0f} dB", value, "-"])
    return markdown_table(["quantity", "this run", "paper (chamber)"], rows)


def snr_table(results: StudyResults) -> list[str]:
    """Fig. 4f: RMSE per method and SNR, the CRB, MoD-DNN's RMSE / CRB and its wrong subregions."""
    names = list(results.methods)
    rows = []
    for snr_db, evaluations in results.by_snr.items():
        values = [rmse(evaluations[name], results.truth_deg) for name in names]
        bound = results.crb_deg[snr_db]
        wrong = f"{100 * results.wrong_subregion[snr_db]:.1f}"
        rows.append([f"{snr_db:+.0f}", bound, *values, values[0] / bound, wrong])
    return markdown_table(["SNR (dB)", "CRB", *names, "MoD-DNN / CRB", "MoD-DNN wrong subregion (%)"], rows)


def calibration_snr_table(results: StudyResults) -> list[str]:
    """RMSE of MoD-DNN and calibrated MUSIC at both calibration SNRs, and MoD-DNN's RMSE / CRB."""
    curves = calibration_snr_curves(results)
    bound = curves.pop("CRB")
    names = list(curves)
    mod_dnn = [name for name in names if name.startswith(MOD_DNN)]
    rows = []
    for index, snr_db in enumerate(results.config.snrs_db):
        values = [curves[name][index] for name in names]
        ratios = [curves[name][index] / bound[index] for name in mod_dnn]
        rows.append([f"{snr_db:+.0f}", bound[index], *values, *ratios])
    header = [
        "test SNR (dB)",
        "CRB",
        *names,
        *(f"{name.replace(MOD_DNN, 'MoD-DNN / CRB')}" for name in mod_dnn),
    ]
    return markdown_table(header, rows)


def repeat_table(results: StudyResults) -> list[str]:
    """MoD-DNN on array S retrained with other training seeds: RMSE and p80 at the test SNR."""
    rows = [[results.config.seed, *_rmse_p80(results.at_test_snr[MOD_DNN], results)]]
    rows += [[seed, *_rmse_p80(evaluation, results)] for seed, evaluation in results.repeated.items()]
    return markdown_table(["training seed", "RMSE (deg)", "p80 (deg)"], rows)


def _rmse_p80(evaluation: Evaluation, results: StudyResults) -> tuple[float, float]:
    return rmse(evaluation, results.truth_deg), p80(evaluation, results.truth_deg)


def rho_table(results: StudyResults) -> list[str]:
    """Fig. 4g: RMSE (p80) per method and impairment degree at the test SNR."""
    names = list(next(iter(results.by_rho.values())))
    rows = [
        [
            f"{rho:.2f}",
            *(
                f"{rmse(e[name], results.truth_deg):.3f} ({p80(e[name], results.truth_deg):.3f})"
                for name in names
            ),
        ]
        for rho, e in results.by_rho.items()
    ]
    return markdown_table(["rho", *names], rows)


def error_table(evaluations: dict[str, Evaluation], truth_deg: NDArray) -> list[str]:
    """Error statistics per method (:func:`error_statistics`)."""
    rows = []
    for name, evaluation in evaluations.items():
        stats = error_statistics(evaluation.estimates_deg, truth_deg)
        rows.append([name, stats["count"], stats["missed"], *(stats[key] for key in STATISTIC_KEYS)])
    return markdown_table(["method", "count", "missed", *STATISTIC_HEADERS], rows)


def subregion_table(results: StudyResults) -> list[str]:
    """Fig. 5c in numbers: median and IQR of the absolute error per subregion, at the test SNR."""
    region = subregion_index(results.truth_deg, DEFAULT_EDGES_DEG)
    edges = DEFAULT_EDGES_DEG
    header = ["method"] + [
        f"[{edges[p]:.0f}, {edges[p + 1]:.0f}) median / IQR" for p in range(len(edges) - 1)
    ]
    rows = []
    for name, evaluation in results.at_test_snr.items():
        errors, _ = absolute_errors_deg(evaluation.estimates_deg, results.truth_deg)
        rows.append(
            [name]
            + [
                f"{np.median(errors[region == p]):.3f} / {interquartile_range(errors[region == p]):.3f}"
                for p in range(len(edges) - 1)
            ]
        )
    rows.append(["max IQR over subregions, MoD-DNN vs CNN", *[""] * (len(edges) - 2), max_iqr_line(results)])
    return markdown_table(header, rows)


def max_iqr_line(results: StudyResults) -> str:
    """``"a / b"``: the largest per-subregion IQR of MoD-DNN and of the CNN (the paper: 0.2 / 1.42 deg)."""
    region = subregion_index(results.truth_deg, DEFAULT_EDGES_DEG)
    values = []
    for name in (MOD_DNN, CNN):
        errors, _ = absolute_errors_deg(results.at_test_snr[name].estimates_deg, results.truth_deg)
        values.append(max(interquartile_range(errors[region == p]) for p in np.unique(region)))
    return f"{values[0]:.3f} / {values[1]:.3f}"


def timing_table(results: StudyResults) -> list[str]:
    """Table 4: training time and time per estimate (wall and CPU), measured in this run."""
    test = results.at_test_snr
    music = test[MUSIC].seconds_per_estimate.cpu
    rows = []
    for name, method in results.methods.items():
        per_estimate = test[name].seconds_per_estimate
        train = method.train_seconds
        rows.append(
            [
                name,
                train.wall,
                train.cpu,
                1e3 * per_estimate.wall,
                1e3 * per_estimate.cpu,
                per_estimate.cpu / music,
            ]
        )
    header = [
        "method",
        "training wall (s)",
        "training CPU (s)",
        "test wall (ms)",
        "test CPU (ms)",
        "CPU ratio to MUSIC",
    ]
    return markdown_table(header, rows)


def unseen_table(results: StudyResults) -> list[str]:
    """Array S beside the unseen array S': RMSE and p80 of every method at the test SNR."""
    rows = []
    for name, evaluation in results.unseen.items():
        seen = results.at_test_snr.get(name)
        rows.append(
            [name, *(_rmse_p80(seen, results) if seen else ("-", "-")), *_rmse_p80(evaluation, results)]
        )
    return markdown_table(["method", "RMSE S", "p80 S", "RMSE S'", "p80 S'"], rows)


def report_sections(results: StudyResults) -> list[tuple[str, list[str]]]:
    """The titled tables of :func:`write_report`, summary first."""
    config = results.config
    snr = f"{config.test_snr_db:.0f} dB"
    return [
        ("Summary (acceptance figures)", summary_table(results)),
        ("RMSE (deg) against SNR, rho = 1, with the stochastic CRB (Fig. 4f)", snr_table(results)),
        (f"Errors at {snr}, rho = 1 (CDF figure)", error_table(results.at_test_snr, results.truth_deg)),
        (f"MoD-DNN retrained on the same sweep with other training seeds, {snr}", repeat_table(results)),
        (
            f"Calibration SNR: RMSE (deg) against the test SNR, calibrated at {config.calibration_snr_db:.0f}"
            f" dB and at {config.paper_calibration_snr_db:.0f} dB (the paper's)",
            calibration_snr_table(results),
        ),
        (f"Errors per subregion at {snr}, rho = 1 (Fig. 5c)", subregion_table(results)),
        (f"RMSE (p80) in degrees against the impairment degree rho at {snr} (Fig. 4g)", rho_table(results)),
        (f"Training and test time (Table 4), test set at {snr}", timing_table(results)),
        (f"Unseen array: train and test on array S' beside array S, {snr}", unseen_table(results)),
    ]
