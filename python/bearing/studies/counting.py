"""The source-counting study: counting accuracy against SNR of MDL, AIC, EDC and the learned counters.

The H2AD paper (Deng, Bai, ..., Shu 2025), Sec. V, Fig. 8, re-run on the simulator of
:mod:`~gnuradio.bearing.counting.training` in the paper's setting as far as its text survives: T = 200
snapshots per covariance, SNR -20 .. 10 dB, 5000 Monte Carlo trials per SNR. The paper's antenna count
N and source counts were lost in extraction; the study takes N = 192 (a fully digital
half-wavelength ULA: below T, so the sample covariance is positive definite, and large
enough that an oracle threshold detector counts about 92 % at -20 dB) and 1 .. K_max = 4
sources, the reasons in docs/source-counting.md.

* **Trials.** At every SNR, ``trials`` covariances, the counts ``1 .. K_max`` in turn (a
  quarter of the trials each for K_max = 4); azimuths uniform in -60 .. 60 deg at least 10 deg
  apart (:func:`~gnuradio.bearing.counting.training.random_azimuths`); every source at the trial's SNR (per
  element: the paper gives one SNR, so the powers are equal); circular Gaussian sources, unit
  white noise, the sample covariance. A noise-only row (``trials`` covariances, K = 0) is
  reported apart: the paper's counters answer 1 .. K_max, ours also 0.
* **Methods.** MDL and AIC (Wax & Kailath 1985) on the N eigenvalues; EDC (the paper's Sec.
  III-A) on three groups, the diagonal blocks of the covariance for three contiguous
  subarrays (64 antennas each for N = 192: the paper "divides them into three subarrays"),
  through :func:`~gnuradio.bearing.counting.counters.count_sources`; the enhanced DNN, the 1D-CNN and the FCNN
  baseline are the bundled models for N (:func:`~gnuradio.bearing.counting.models.shipped_model_path`),
  trained on equal source powers and -20 .. 10 dB.
* **Accuracy:** the share of the trials counted right, per SNR over the counts ``1 ..
  K_max`` (the paper's Fig. 8), per count, and on noise only.

Data streams: ``default_rng([seed, i])`` for the i-th SNR, ``i = len(snrs_db)`` for the
noise-only trials.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from ..counting import models as counter_models
from ..counting.counters import METHODS, count_sources
from ..counting.eigen import LEARNED_METHODS, aic_criterion, diagonal_blocks, eigenvalues, mdl_criterion
from ..counting.training import SceneSettings, chunks, one_torch_thread, simulate_covariances
from ..plotting import plt, save_figure
from .report import decorate, markdown_table, progress, trials_study_main

PAPER_SNRS_DB = tuple(float(snr) for snr in range(-20, 11, 2))
"""The SNRs of the study, dB per element: the paper's -20 .. 10 dB (Fig. 8), every 2 dB."""
ACCEPTANCE_SNR_DB = -14.0
"""From this SNR up the paper's three counters count every trial right (Sec. V, VI)."""
LOWEST_SNR_DB = -20.0
"""Where the paper's 1D-CNN still counts about 80 % right (Sec. V)."""
CNN_TARGET_AT_LOWEST = 0.8
"""The 1D-CNN's accuracy at :data:`LOWEST_SNR_DB` in the paper."""
PROPOSED_METHODS = ("edc", "dnn", "cnn1d")
"""The paper's three counters (the FCNN is its baseline, MDL and AIC the classical ones)."""
CHUNK = 500
"""Covariances simulated and counted at once (295 MB for 192 elements)."""
FIGURE = "accuracy_vs_snr.png"
TABLES = "tables.md"
COLOURS = dict(zip(METHODS, plt.get_cmap("tab10").colors, strict=False))


@dataclass(frozen=True)
class StudyConfig:
    """The setting of the study; the defaults are the full run, :meth:`quick` the smoke test.

    Attributes:
        num_elements: N, the half-wavelength ULA's antennas (bundled models must exist for it).
        max_sources: K_max: the trials hold 1 .. K_max sources (the models' K_max).
        num_snapshots: T per covariance.
        snrs_db: per-element SNRs, dB.
        trials: covariances per SNR (and noise-only covariances).
        edc_groups: EDC's contiguous subarrays (:func:`group_sizes`).
        seed: the master seed (module docstring).
        scene: the azimuth and power draws; equal source powers (``power_spread_db = 0``).
    """

    num_elements: int = 192
    max_sources: int = 4
    num_snapshots: int = 200
    snrs_db: tuple[float, ...] = PAPER_SNRS_DB
    trials: int = 5000
    edc_groups: int = 3
    seed: int = 0
    scene: SceneSettings = field(default_factory=lambda: SceneSettings(power_spread_db=0.0))

    def __post_init__(self) -> None:
        if self.trials < self.max_sources or self.edc_groups < 1 or not self.snrs_db:
            raise ValueError(
                f"need trials >= max_sources (every count once), edc_groups >= 1 and SNRs, got "
                f"{self.trials}, {self.edc_groups}, {self.snrs_db}"
            )

    @classmethod
    def quick(cls, seed: int = 0) -> StudyConfig:
        """Three SNRs (-20, -14 and 10 dB), 40 trials each: seconds."""
        return cls(snrs_db=(LOWEST_SNR_DB, ACCEPTANCE_SNR_DB, 10.0), trials=40, seed=seed)

    def true_counts(self) -> NDArray[np.int64]:
        """``(trials,)``: the counts ``1 .. K_max`` in turn."""
        return 1 + np.arange(self.trials, dtype=np.int64) % self.max_sources


@dataclass(frozen=True)
class StudyResults:
    """The counts every method gave (see :func:`run_study`).

    Attributes:
        config: the setting.
        counts: method -> ``(len(snrs_db), trials)`` int64 counts, the truth in
            ``config.true_counts()``.
        noise_counts: method -> ``(trials,)`` int64 counts of the noise-only covariances.
        seconds: wall time of the study, s.
    """

    config: StudyConfig
    counts: dict[str, NDArray[np.int64]]
    noise_counts: dict[str, NDArray[np.int64]]
    seconds: float

    def accuracy(self) -> dict[str, NDArray[np.float64]]:
        """method -> ``(len(snrs_db),)``: the share of trials counted right (Fig. 8)."""
        truth = self.config.true_counts()
        return {m: np.mean(c == truth, axis=1) for m, c in self.counts.items()}

    def count_accuracy(self) -> dict[str, NDArray[np.float64]]:
        """method -> ``(len(snrs_db), K_max)``: the share counted right per true count 1 .. K_max."""
        truth = self.config.true_counts()
        return {
            m: np.stack(
                [np.mean(c[:, truth == k] == k, axis=1) for k in range(1, self.config.max_sources + 1)], 1
            )
            for m, c in self.counts.items()
        }

    def noise_accuracy(self) -> dict[str, float]:
        """method -> the share of noise-only covariances counted 0."""
        return {m: float(np.mean(c == 0)) for m, c in self.noise_counts.items()}


def group_sizes(num_elements: int, groups: int) -> list[int]:
    """Antennas of ``groups`` contiguous subarrays of an N-antenna array, as equal as can be,
    the larger first: ``[43, 43, 42]`` for 128 in 3, ``[64, 64, 64]`` for 192."""
    return [len(part) for part in np.array_split(np.arange(num_elements), groups)]


def count_all(
    covariances: NDArray[np.complex128],
    config: StudyConfig,
    counters: dict[str, counter_models.SourceCounter],
) -> dict[str, NDArray[np.int64]]:
    """Every method's count of each covariance ``(n, N, N)``: method -> ``(n,)`` int64.

    The N eigenvalues are computed once, for MDL, AIC (the argmin of their criteria, as
    :func:`~gnuradio.bearing.counting.eigen.mdl` and :func:`~gnuradio.bearing.counting.eigen.aic`) and
    the learned counters (:meth:`~gnuradio.bearing.counting.models.SourceCounter.predict_eigenvalues`); EDC
    takes the groups'
    blocks.
    """
    t = config.num_snapshots
    values = eigenvalues(covariances)
    sizes = group_sizes(config.num_elements, config.edc_groups)
    counts = {
        "mdl": [np.argmin(mdl_criterion(v, t)) for v in values],
        "aic": [np.argmin(aic_criterion(v, t)) for v in values],
        "edc": [count_sources(diagonal_blocks(r, sizes), t, "edc") for r in covariances],
    }
    counts |= {method: counter.predict_eigenvalues(values) for method, counter in counters.items()}
    return {method: np.asarray(counts[method], dtype=np.int64) for method in METHODS}


def bundled_counters(num_elements: int) -> dict[str, counter_models.SourceCounter]:
    """The bundled DNN, 1D-CNN and FCNN for an N-element array
    (:data:`~gnuradio.bearing.counting.models.SHIPPED_ELEMENTS`)."""
    return {
        m: counter_models.load(counter_models.shipped_model_path(m, num_elements)) for m in LEARNED_METHODS
    }


def simulate_and_count(
    num_sources: NDArray[np.int64],
    snr_db: float,
    config: StudyConfig,
    counters: dict[str, counter_models.SourceCounter],
    rng: np.random.Generator,
) -> dict[str, NDArray[np.int64]]:
    """:func:`count_all` of one covariance per element of ``num_sources``, :data:`CHUNK` at a time."""
    parts = [
        count_all(
            simulate_covariances(
                config.num_elements, num_sources[chunk], snr_db, config.num_snapshots, rng, config.scene
            ),
            config,
            counters,
        )
        for chunk in chunks(len(num_sources), CHUNK)
    ]
    return {method: np.concatenate([part[method] for part in parts]) for method in METHODS}


def run_study(config: StudyConfig, log: Callable[[str], None] = progress) -> StudyResults:
    """The trials of the module docstring; ``log`` gets one line per SNR."""
    start = time.perf_counter()
    counters = bundled_counters(config.num_elements)
    for counter in counters.values():
        if counter.config.max_sources != config.max_sources:
            raise ValueError(
                f"the bundled {counter.config.method} counter for {config.num_elements} elements counts "
                f"0 .. {counter.config.max_sources}, the study needs 0 .. {config.max_sources}"
            )
    truth = config.true_counts()
    per_snr = []
    with one_torch_thread():
        for index, snr_db in enumerate(config.snrs_db):
            counts = simulate_and_count(
                truth, snr_db, config, counters, np.random.default_rng([config.seed, index])
            )
            per_snr.append(counts)
            right = " ".join(f"{m} {np.mean(counts[m] == truth):.3f}" for m in METHODS)
            log(f"  {snr_db:+.0f} dB: {right} ({time.perf_counter() - start:.0f} s)")
        noise_rng = np.random.default_rng([config.seed, len(config.snrs_db)])
        noise = simulate_and_count(np.zeros(config.trials, np.int64), 0.0, config, counters, noise_rng)
    counts = {method: np.stack([c[method] for c in per_snr]) for method in METHODS}
    return StudyResults(config, counts, noise, time.perf_counter() - start)


# --- report --------------------------------------------------------------------------------------


def percent(share: float) -> str:
    """A share as a percentage with 2 decimals: 1 miss in 5000 trials is 99.98, not a rounded 100."""
    return f"{100 * share:.2f}"


def accuracy_table(results: StudyResults) -> list[str]:
    """Accuracy (%) per SNR (rows) and method (columns), the noise-only row last."""
    accuracy, noise = results.accuracy(), results.noise_accuracy()
    rows = [
        [f"{snr:+.0f}", *(percent(accuracy[m][i]) for m in METHODS)]
        for i, snr in enumerate(results.config.snrs_db)
    ]
    return markdown_table(
        ["SNR (dB)", *METHODS], [*rows, ["noise only (K = 0)", *(percent(noise[m]) for m in METHODS)]]
    )


def count_table(results: StudyResults) -> list[str]:
    """Accuracy (%) per true count at the lowest SNR and at the acceptance SNR (those in the study)."""
    per_count = results.count_accuracy()
    snrs = results.config.snrs_db
    shown = [i for i, snr in enumerate(snrs) if snr in (min(snrs), ACCEPTANCE_SNR_DB)]
    rows = [
        [f"{snrs[i]:+.0f}", k, *(percent(per_count[m][i, k - 1]) for m in METHODS)]
        for i in shown
        for k in range(1, results.config.max_sources + 1)
    ]
    return markdown_table(["SNR (dB)", "K", *METHODS], rows)


def acceptance_lines(results: StudyResults) -> list[str]:
    """The paper's claims against the measured accuracy: the proposed counters and the FCNN
    at every SNR >= -14 dB (lowest value), the 1D-CNN at -20 dB."""
    accuracy = results.accuracy()
    snrs = np.asarray(results.config.snrs_db)
    high = snrs >= ACCEPTANCE_SNR_DB
    lines = []
    for method in (*PROPOSED_METHODS, "fcnn"):
        lowest = float(np.min(accuracy[method][high])) if np.any(high) else float("nan")
        lines.append(
            f"* {method}: lowest accuracy at SNR >= {ACCEPTANCE_SNR_DB:.0f} dB {percent(lowest)} % "
            f"({'100 %' if lowest == 1.0 else 'not 100 %'})"
        )
    if LOWEST_SNR_DB in results.config.snrs_db:
        value = float(accuracy["cnn1d"][list(results.config.snrs_db).index(LOWEST_SNR_DB)])
        verdict = "reached" if value >= CNN_TARGET_AT_LOWEST else "missed"
        lines.append(
            f"* cnn1d at {LOWEST_SNR_DB:.0f} dB: {percent(value)} % "
            f"(paper about {percent(CNN_TARGET_AT_LOWEST)} %: {verdict})"
        )
    return lines


def header_lines(results: StudyResults, command: str) -> list[str]:
    """Command, wall time, setting and seeds of a run."""
    config, scene = results.config, results.config.scene
    sizes = group_sizes(config.num_elements, config.edc_groups)
    low, high = scene.field_of_view_deg
    return [
        "# Source-counting study (H2AD paper, Fig. 8)",
        "",
        f"Command: `{command}` ({results.seconds / 60:.1f} min; torch {torch.__version__}, "
        "one torch thread).",
        "",
        f"Setting: {config.num_elements}-element half-wavelength ULA, fully digital; "
        f"T = {config.num_snapshots} snapshots; {config.trials} trials per SNR, 1 .. {config.max_sources} "
        f"sources in turn, azimuths uniform in {low:.0f} .. {high:.0f} deg at least "
        f"{scene.min_separation_deg:.0f} deg apart, every source at the SNR (per element; power spread "
        f"{scene.power_spread_db:g} dB), circular Gaussian sources, unit white noise. EDC: "
        f"{config.edc_groups} contiguous subarrays of {', '.join(map(str, sizes))} antennas (diagonal blocks "
        "of the covariance). DNN, 1D-CNN, FCNN: the bundled models "
        f"`python/bearing/data/counters/METHOD_ula{config.num_elements}.pt`, which also answer 0 sources.",
        "",
        f"Seeds: --seed {config.seed}: default_rng([{config.seed}, i]) for the i-th SNR, "
        f"i = {len(config.snrs_db)} for the noise-only trials.",
        "",
    ]


def report(results: StudyResults, command: str) -> str:
    """The Markdown of :data:`TABLES`."""
    sections = [
        ("Accuracy (%) against SNR (counts 1 .. K_max; noise only: counted 0)", accuracy_table(results)),
        ("Accuracy (%) per true count", count_table(results)),
        ("The paper's claims", acceptance_lines(results)),
    ]
    body = [line for title, lines in sections for line in (f"## {title}", "", *lines, "")]
    return "\n".join(header_lines(results, command) + body)


def plot_accuracy(results: StudyResults, path: Path) -> Path:
    """Accuracy against SNR, one line per method (the paper's Fig. 8, with MDL and AIC)."""
    config = results.config
    figure, axes = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    for method, values in results.accuracy().items():
        style = "--" if method in ("mdl", "aic") else "-"
        axes.plot(
            config.snrs_db, values, style, marker="o", markersize=4, color=COLOURS[method], label=method
        )
    axes.axvline(ACCEPTANCE_SNR_DB, color="grey", linestyle=":", linewidth=1)
    axes.set_ylim(-0.02, 1.02)
    decorate(
        axes,
        "SNR per element (dB)",
        "accuracy",
        f"Source counting, {config.num_elements}-element ULA, T = {config.num_snapshots}, "
        f"1 .. {config.max_sources} sources, {config.trials} trials per SNR",
    )
    return save_figure(figure, path)


def write_report(results: StudyResults, out: str | Path, command: str) -> str:
    """The figure and :data:`TABLES` into ``out``; returns the tables' text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_accuracy(results, out / FIGURE)
    text = report(results, command)
    (out / TABLES).write_text(text)
    return text


# --- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, prog: str = "bearing bench counting") -> int:
    """``bearing bench counting [--quick] [--trials N] [--out DIR] [--seed N]``: run, write and print."""
    return trials_study_main(
        argv,
        prog,
        __doc__,
        "build/bench/counting",
        "three SNRs, 40 trials each (seconds)",
        StudyConfig,
        run_study,
        write_report,
    )
