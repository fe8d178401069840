"""The H2AD DoA study: OMC-DOA against WGMD and WLMD, RMSE with the CRLB, hit rate, run time.

Deng, Bai, ..., Shu 2025 (the H2AD paper of issue 6), Sec. V, Figs. 9, 10 and 11, re-run on
the model of :mod:`~gnuradio.bearing.array.hybrid` (numpy only). The paper's layout and true DOAs were lost in
extraction; the choices (docs/omc-doa.md, "H2AD DoA study"):

* **Array** (:data:`LAYOUT`): ``(K_g) = (4, 4, 4)`` subarrays of ``(M_g) = (3, 4, 5)``
  antennas, N = 48 antennas, R = 12 RF chains, half-wavelength spacing at 4.85 GHz, every
  subarray steered to boresight (:class:`.HybridArray`, combiner ``W``, eqs. (12)-(16)).
* **Sources** (:data:`TRUTH_DEG`): two uncorrelated circular Gaussian sources of equal power
  at -5 and 8.5 deg. Their sines are 0.235 apart, so in every group their virtual phases
  (``pi M_g`` times the sine) are at least 0.7 pi apart: each group's 4-chain ESPRIT
  resolves them, and no alias of one source lies within 0.165 in sine (9.6 deg) of the
  other. Two-group ghosts (sines differing by a multiple of ``2 / (M_a M_b)``) are at
  least 0.032 in sine away. Both are in the main lobe of every subarray beam (M_g = 5:
  first null at 23.6 deg).
* **Trials**: T = 200 snapshots (:data:`NUM_SNAPSHOTS`), SNR per antenna (unit noise per
  antenna and, since ``W^H W = I``, per RF chain), -20 .. 20 dB in 2.5 dB steps. Per trial:
  antenna snapshots ``x = A s + n``, RF chains ``y = W^H x`` (eq. (12)), the sample
  covariance of all chains; each group's block gives its candidates
  (:func:`~gnuradio.bearing.h2ad.candidates.hybrid_group_candidates`, TLS-ESPRIT, eq. (17)); each fusion
  (:data:`FUSIONS`:
  :func:`.fuse_candidates`, the one-shot OMC-DOA with its defaults, radius 2 deg, merge
  1 deg, equal group weights; :func:`.wgmd`; :func:`.wlmd`) gives K = 2 bearings (K
  known, as in the paper's Figs. 9-10); :func:`~gnuradio.bearing.h2ad.refine.refine_bearings` then moves
  each fusion's bearings to the MUSIC peak of all 12 chains within 1 deg (the ``+ MUSIC`` variants).
* **Errors**: the bearings are assigned to the true ones by least total error
  (:func:`.truth_errors_deg`); RMSE per source over all trials, misses included. A source
  is found (a hit) within :data:`HIT_TOLERANCE_DEG` = 1 deg; the hit rate counts the trials
  in which every source is found (Fig. 10), and each source alone.
* **Bounds** (Fig. 9): the CRLB is :func:`~gnuradio.bearing.doa.crb.hybrid_stochastic_crb` of the 12 chains
  (with ``W``), per source. The per-group reference adds the Fisher information of each
  group's chains alone (the same bound with that group's columns of ``W``) and inverts the
  sum: what fusing per-group estimates can reach, since it ignores the covariances between
  groups. They carry the phase across the whole aperture, which is why the CRLB is lower.
* **Run time** (Fig. 11): layouts ``(4, 4, 4) x (m, m + 1, m + 2)`` for odd ``m``
  (pairwise coprime; N = 24 (m + 1)), 2 sources at 10 dB, the same truth. CPU time of the
  calling thread per call (``time.thread_time_ns``: the machine is shared, and it counts
  neither the other jobs nor numpy's second BLAS thread spinning while it waits), median
  over candidate sets; the three fusions are called on
  the same sets in rotating order, so that they share the machine's state, and are compared
  by ratio. The groups' ESPRIT and the MUSIC refinement, the same for every fusion, are
  timed beside them. The larger subarrays narrow the beams (the sources may fall near a
  null at large ``m``); the fusions' work depends on the number of candidates only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..array.covariance import sample_covariance
from ..array.hybrid import HybridArray, HybridLayout
from ..array.signals import complex_normal
from ..captures.presets import DEMO_FREQUENCY_HZ
from ..doa import crb
from ..doa.metrics import truth_errors_deg
from ..h2ad.candidates import hybrid_group_candidates
from ..h2ad.fusion import fuse_candidates, wgmd, wlmd
from ..h2ad.refine import DEFAULT_SEARCH_DEG, refine_bearings
from ..plotting import plt, save_figure
from .report import decorate, markdown_table, progress, trials_study_main

CARRIER_HZ = DEMO_FREQUENCY_HZ
LAYOUT = HybridLayout(num_subarrays=(4, 4, 4), subarray_sizes=(3, 4, 5))
"""The accuracy layout: N = 48 antennas, R = 12 RF chains, steered to boresight."""
TRUTH_DEG = (-5.0, 8.5)
"""The two sources (module docstring: clear of ghosts and of the subarray beams' nulls)."""
NUM_SNAPSHOTS = 200
SNRS_DB = tuple(float(snr) for snr in np.arange(-20.0, 20.1, 2.5))
HIT_TOLERANCE_DEG = 1.0
"""A source is found when its assigned bearing is this close, degrees (the paper's was lost)."""
TIMING_SIZES = tuple((m, m + 1, m + 2) for m in range(3, 20, 2))
"""``(M_g)`` of the run-time layouts, ``K_g = 4`` each: N = 48 .. 240."""
TIMING_SNR_DB = 10.0
ACCEPTANCE_SNR_DB = -5.0
"""The acceptance holds from this SNR up: every source found, RMSE within
:data:`ACCEPTANCE_CRB_RATIO` of the CRLB."""
ACCEPTANCE_CRB_RATIO = 2.0

FUSIONS: dict[str, Callable[[list[NDArray[np.float64]], int], NDArray[np.float64]]] = {
    "OMC-DOA": fuse_candidates,
    "WGMD": wgmd,
    "WLMD": wlmd,
}
"""The three fusions, each with its defaults (equal group weights)."""
REFINE_KEY_DECIMALS = 9
"""Fused bearings equal to this many decimals (deg) are refined once per trial: the fusions'
class means differ only by rounding when they pick the same class."""
REFINED = " + MUSIC"
"""Suffix of a fusion followed by :func:`.refine_bearings`."""
ESPRIT = "group ESPRIT"
REFINEMENT = "MUSIC refinement"
CRLB = "CRLB"
GROUP_BOUND = "per-group reference"
COLOURS = dict(zip(FUSIONS, ("tab:red", "tab:blue", "tab:green"), strict=True))
FIGURES = {"rmse": "rmse_vs_snr.png", "hit_rate": "hit_rate_vs_snr.png", "run_time": "run_time_vs_n.png"}
TABLES = "tables.md"


@dataclass(frozen=True)
class StudyConfig:
    """What to run.

    Attributes:
        trials: Monte Carlo trials per SNR (the paper: 5000).
        snrs_db: the SNRs per antenna, dB.
        timing_sizes: ``(M_g)`` of each run-time layout (``K_g = 4`` each).
        timing_sets: candidate sets timed per layout.
        seed: master seed: ``default_rng([seed, 0, snr index])`` for the trials,
            ``default_rng([seed, 1, layout index])`` for the timed sets.
    """

    trials: int = 5000
    snrs_db: tuple[float, ...] = SNRS_DB
    timing_sizes: tuple[tuple[int, ...], ...] = TIMING_SIZES
    timing_sets: int = 300
    seed: int = 0

    def __post_init__(self) -> None:
        if self.trials < 1 or self.timing_sets < 1:
            raise ValueError(f"trials and timing_sets must be >= 1, got {self.trials} and {self.timing_sets}")

    @classmethod
    def quick(cls, seed: int = 0) -> StudyConfig:
        """A configuration for tests: seconds."""
        return cls(trials=30, snrs_db=(-10.0, 10.0), timing_sizes=TIMING_SIZES[:2], timing_sets=10, seed=seed)


@dataclass
class Accuracy:
    """Figs. 9 and 10.

    Attributes:
        snrs_db: shape ``(S,)``.
        errors_deg: per method (a fusion, or a fusion :data:`REFINED`), the absolute error of
            each source in each trial, shape ``(S, trials, K)``, NaN when not estimated.
        bounds_deg: :data:`CRLB` and :data:`GROUP_BOUND` per source, shape ``(S, K)``, degrees.
    """

    snrs_db: NDArray[np.float64]
    errors_deg: dict[str, NDArray[np.float64]]
    bounds_deg: dict[str, NDArray[np.float64]]

    def rmse_deg(self, method: str) -> NDArray[np.float64]:
        """RMSE per SNR and source, shape ``(S, K)``, over the estimated trials."""
        return np.sqrt(np.nanmean(self.errors_deg[method] ** 2, axis=1))

    def hit_rate(self, method: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Fraction of trials with each source found, shape ``(S, K)``, then every source, ``(S,)``."""
        found = self.errors_deg[method] <= HIT_TOLERANCE_DEG  # NaN compares False
        return found.mean(axis=1), found.all(axis=2).mean(axis=1)


@dataclass
class RunTime:
    """Fig. 11: median CPU microseconds per call, per layout.

    Attributes:
        layouts: the run-time layouts.
        microseconds: per fusion and per common stage (:data:`ESPRIT`, :data:`REFINEMENT`),
            shape ``(L,)``.
    """

    layouts: list[HybridLayout]
    microseconds: dict[str, NDArray[np.float64]]

    @property
    def num_elements(self) -> NDArray[np.int64]:
        return np.array([layout.num_elements for layout in self.layouts])

    def ratio(self, method: str) -> NDArray[np.float64]:
        """Run time of ``method`` over that of OMC-DOA, per layout."""
        return self.microseconds[method] / self.microseconds["OMC-DOA"]


@dataclass
class StudyResults:
    config: StudyConfig
    accuracy: Accuracy
    run_time: RunTime
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time of each part, seconds."""


def rf_covariance(
    array: HybridArray,
    combiner: NDArray[np.complex128],
    steering: NDArray[np.complex128],
    snr_db: float,
    rng: np.random.Generator,
) -> NDArray[np.complex128]:
    """Sample covariance ``(R, R)`` of the RF chains over :data:`NUM_SNAPSHOTS` snapshots.

    ``x = A s + n`` at the N antennas (``steering`` = ``A``, ``(N, K)``): sources of power
    ``10^(snr_db / 10)``, unit noise; ``y = W^H x`` (``combiner`` = ``W``, ``(N, R)``, paper
    eq. (12), :meth:`.HybridArray.rf_outputs`).
    """
    num_sources = steering.shape[1]
    sources = complex_normal(rng, (num_sources, NUM_SNAPSHOTS)) * np.sqrt(10.0 ** (snr_db / 10.0))
    x = steering @ sources + complex_normal(rng, (array.num_elements, NUM_SNAPSHOTS))
    return sample_covariance(combiner.conj().T @ x)


def candidates_of_groups(
    array: HybridArray, covariance: NDArray[np.complex128], num_sources: int
) -> list[NDArray[np.float64]]:
    """Each group's candidates ``(K, M_g)`` from its block of the RF-chain covariance."""
    return [
        hybrid_group_candidates(array, covariance, num_sources, g) for g in range(array.layout.num_groups)
    ]


def bounds_deg(array: HybridArray, snr_db: float) -> dict[str, NDArray[np.float64]]:
    """:data:`CRLB` and :data:`GROUP_BOUND` per source of :data:`TRUTH_DEG` at ``snr_db``, degrees."""
    combiner = array.combiner()
    arguments = (
        array.geometry(),
        array.wavelength_m,
        TRUTH_DEG,
        np.full(len(TRUTH_DEG), 10.0 ** (snr_db / 10.0)),
        1.0,
        NUM_SNAPSHOTS,
    )
    information = sum(
        np.linalg.inv(crb.hybrid_stochastic_crb(*arguments, combiner[:, ula.rf_chains]))
        for ula in array.virtual_ulas()
    )
    return {
        CRLB: np.sqrt(np.diag(crb.hybrid_stochastic_crb(*arguments, combiner))),
        GROUP_BOUND: np.sqrt(np.diag(np.linalg.inv(information))),
    }


def run_accuracy(config: StudyConfig, log: Callable[[str], None] = progress) -> Accuracy:
    """Figs. 9 and 10 on :data:`LAYOUT` (module docstring)."""
    array = HybridArray(LAYOUT, CARRIER_HZ)
    combiner, positions = array.combiner(), array.geometry().positions_m
    steering = array.geometry().steering(TRUTH_DEG, CARRIER_HZ)
    num_sources = len(TRUTH_DEG)
    methods = [*FUSIONS, *(name + REFINED for name in FUSIONS)]
    shape = (len(config.snrs_db), config.trials, num_sources)
    errors = {name: np.full(shape, np.nan) for name in methods}
    for s, snr_db in enumerate(config.snrs_db):
        rng = np.random.default_rng([config.seed, 0, s])
        for trial in range(config.trials):
            covariance = rf_covariance(array, combiner, steering, snr_db, rng)
            candidates = candidates_of_groups(array, covariance, num_sources)
            refined: dict[tuple[float, ...], NDArray[np.float64]] = {}
            for name, fusion in FUSIONS.items():
                bearings = fusion(candidates, num_sources)
                errors[name][s, trial] = truth_errors_deg(bearings, TRUTH_DEG)
                key = tuple(np.round(bearings, REFINE_KEY_DECIMALS))
                if key not in refined:  # the fusions often agree: refine once
                    refined[key] = refine_bearings(
                        covariance, bearings, combiner, positions, array.wavelength_m
                    )
                errors[name + REFINED][s, trial] = truth_errors_deg(refined[key], TRUTH_DEG)
        log(f"  {snr_db:+5.1f} dB: {config.trials} trials")
    bounds = [bounds_deg(array, snr_db) for snr_db in config.snrs_db]
    return Accuracy(
        snrs_db=np.array(config.snrs_db),
        errors_deg=errors,
        bounds_deg={name: np.array([b[name] for b in bounds]) for name in (CRLB, GROUP_BOUND)},
    )


def run_time(config: StudyConfig, log: Callable[[str], None] = progress) -> RunTime:
    """Fig. 11 (module docstring): median CPU time per call of each stage, per layout."""
    layouts = [
        HybridLayout(num_subarrays=(4,) * len(sizes), subarray_sizes=sizes) for sizes in config.timing_sizes
    ]
    names = [ESPRIT, *FUSIONS, REFINEMENT]
    nanoseconds = {name: np.zeros((len(layouts), config.timing_sets)) for name in names}
    for index, layout in enumerate(layouts):
        array = HybridArray(layout, CARRIER_HZ)
        combiner, positions = array.combiner(), array.geometry().positions_m
        steering = array.geometry().steering(TRUTH_DEG, CARRIER_HZ)
        rng = np.random.default_rng([config.seed, 1, index])
        for item in range(config.timing_sets):
            covariance = rf_covariance(array, combiner, steering, TIMING_SNR_DB, rng)
            start = time.thread_time_ns()
            candidates = candidates_of_groups(array, covariance, len(TRUTH_DEG))
            nanoseconds[ESPRIT][index, item] = time.thread_time_ns() - start
            order = list(FUSIONS)[item % len(FUSIONS) :] + list(FUSIONS)[: item % len(FUSIONS)]
            for name in order:
                start = time.thread_time_ns()
                bearings = FUSIONS[name](candidates, len(TRUTH_DEG))
                nanoseconds[name][index, item] = time.thread_time_ns() - start
                if name == "OMC-DOA":
                    start = time.thread_time_ns()
                    refine_bearings(covariance, bearings, combiner, positions, array.wavelength_m)
                    nanoseconds[REFINEMENT][index, item] = time.thread_time_ns() - start
        log(f"  N = {layout.num_elements}: {config.timing_sets} candidate sets timed")
    return RunTime(layouts, {name: np.median(values, axis=1) / 1e3 for name, values in nanoseconds.items()})


def run_study(config: StudyConfig, log: Callable[[str], None] = progress) -> StudyResults:
    """Figs. 9-10 (:func:`run_accuracy`) and Fig. 11 (:func:`run_time`), with their wall times."""
    seconds = {}
    start = time.perf_counter()
    log(f"accuracy: {len(config.snrs_db)} SNRs x {config.trials} trials")
    accuracy = run_accuracy(config, log)
    seconds["accuracy"] = time.perf_counter() - start
    log(f"run time: {len(config.timing_sizes)} layouts x {config.timing_sets} candidate sets")
    timing = run_time(config, log)
    seconds["run time"] = time.perf_counter() - start - seconds["accuracy"]
    return StudyResults(config, accuracy, timing, seconds)


# --- acceptance ----------------------------------------------------------------------------------


def found_from_db(accuracy: Accuracy, method: str) -> float | None:
    """The lowest SNR from which every trial found every source (None: not even at the highest)."""
    every = accuracy.hit_rate(method)[1]
    failing = np.flatnonzero(every < 1.0)
    if failing.size == 0:
        return float(accuracy.snrs_db[0])
    return None if failing[-1] == len(every) - 1 else float(accuracy.snrs_db[failing[-1] + 1])


def acceptance(results: StudyResults) -> list[tuple[str, str, bool]]:
    """The acceptance points (criterion, measured, met) for OMC-DOA, from :data:`ACCEPTANCE_SNR_DB`."""
    accuracy, timing = results.accuracy, results.run_time
    high = accuracy.snrs_db >= ACCEPTANCE_SNR_DB
    rows = []
    for name in ("OMC-DOA", "OMC-DOA" + REFINED):
        every = accuracy.hit_rate(name)[1][high]
        start = found_from_db(accuracy, name)
        rows.append(
            (
                f"{name}: every source found (within {HIT_TOLERANCE_DEG:g} deg) in every trial from "
                f"{ACCEPTANCE_SNR_DB:g} dB",
                f"hit rate >= {every.min():.4f}; 100 % from "
                + ("nowhere" if start is None else f"{start:g} dB"),
                bool(np.all(every == 1.0)),
            )
        )
        ratio = accuracy.rmse_deg(name)[high] / accuracy.bounds_deg[CRLB][high]
        rows.append(
            (
                f"{name}: RMSE within {ACCEPTANCE_CRB_RATIO:g}x the CRLB from {ACCEPTANCE_SNR_DB:g} dB",
                f"RMSE / CRLB {ratio.min():.2f} .. {ratio.max():.2f} (sources and SNRs)",
                bool(np.all(ratio <= ACCEPTANCE_CRB_RATIO)),
            )
        )
    others = np.min([timing.ratio(name) for name in FUSIONS if name != "OMC-DOA"], axis=0)
    rows.append(
        (
            "OMC-DOA the cheapest fusion at every N",
            f"cheapest other / OMC-DOA {others.min():.2f} .. {others.max():.2f} "
            f"(N = {timing.num_elements[0]} .. {timing.num_elements[-1]})",
            bool(np.all(others > 1.0)),
        )
    )
    return rows


# --- report --------------------------------------------------------------------------------------


def header_lines(results: StudyResults, command: str) -> list[str]:
    """Command, wall time, setting and seeds of a run (the head of the tables)."""
    config, seconds = results.config, results.seconds
    array = HybridArray(LAYOUT, CARRIER_HZ)
    sizes = results.run_time.num_elements
    return [
        "# H2AD DoA study (OMC-DOA, WGMD, WLMD)",
        "",
        f"Command: `{command}`; wall time {sum(seconds.values()) / 60:.1f} min (accuracy "
        f"{seconds['accuracy'] / 60:.1f} min, run time {seconds['run time'] / 60:.1f} min).",
        "",
        f"Setting: layout (K_g) = {LAYOUT.num_subarrays}, (M_g) = {LAYOUT.subarray_sizes}, N = "
        f"{array.num_elements} antennas, R = {array.num_rf_chains} RF chains, d = lambda / 2 at "
        f"{CARRIER_HZ / 1e9:.2f} GHz, steered to boresight; sources at {list(TRUTH_DEG)} deg, equal "
        f"power, uncorrelated; T = {NUM_SNAPSHOTS} snapshots; {config.trials} trials per SNR (SNR per "
        f"antenna). K = {len(TRUTH_DEG)} known. OMC-DOA = one-shot `fuse_candidates` (radius 2 deg, "
        f"merge 1 deg), equal group weights for all fusions; `{REFINED.strip()}`: "
        f"`refine_bearings` (+-{DEFAULT_SEARCH_DEG:g} deg) on all {array.num_rf_chains} chains. Found: "
        f"within {HIT_TOLERANCE_DEG:g} deg. CRLB: `hybrid_stochastic_crb` of the {array.num_rf_chains} "
        "chains; per-group reference: the groups' Fisher informations summed (module docstring).",
        "",
        f"Run time: layouts (4, 4, 4) x (m, m+1, m+2), N = {sizes[0]} .. {sizes[-1]}, "
        f"{config.timing_sets} candidate sets at {TIMING_SNR_DB:g} dB each, median CPU time per call "
        "(the calling thread), fusions in rotating order on the same sets.",
        "",
        f"Seeds: --seed {config.seed}: trials default_rng([{config.seed}, 0, SNR index]), timed sets "
        f"default_rng([{config.seed}, 1, layout index]).",
        "",
    ]


def rmse_rows(accuracy: Accuracy, source: int) -> tuple[list[str], list[list[object]]]:
    """RMSE table of one source: every method, the CRLB and the per-group reference."""
    methods = [*FUSIONS, *(name + REFINED for name in FUSIONS)]
    header = ["SNR (dB)", *methods, CRLB, GROUP_BOUND, "OMC-DOA / CRLB", f"OMC-DOA{REFINED} / CRLB"]
    crlb = accuracy.bounds_deg[CRLB][:, source]
    rows = [
        [
            f"{snr:g}",
            *(float(accuracy.rmse_deg(name)[s, source]) for name in methods),
            float(crlb[s]),
            float(accuracy.bounds_deg[GROUP_BOUND][s, source]),
            *(
                float(accuracy.rmse_deg(name)[s, source] / crlb[s])
                for name in ("OMC-DOA", "OMC-DOA" + REFINED)
            ),
        ]
        for s, snr in enumerate(accuracy.snrs_db)
    ]
    return header, rows


def hit_rows(accuracy: Accuracy) -> tuple[list[str], list[list[object]]]:
    """Hit rate table: every source found per method, then each source found per fusion."""
    methods = [*FUSIONS, *(name + REFINED for name in FUSIONS)]
    header = ["SNR (dB)", *(f"{name}: all" for name in methods)]
    header += [f"{name}: {truth:g} deg" for name in FUSIONS for truth in TRUTH_DEG]
    rows = []
    for s, snr in enumerate(accuracy.snrs_db):
        every = [float(accuracy.hit_rate(name)[1][s]) for name in methods]
        each = [float(accuracy.hit_rate(name)[0][s, k]) for name in FUSIONS for k in range(len(TRUTH_DEG))]
        rows.append([f"{snr:g}", *every, *each])
    return header, rows


def run_time_rows(timing: RunTime) -> tuple[list[str], list[list[object]]]:
    """Run time table: microseconds per call, the ratios to OMC-DOA, the candidate counts."""
    header = [
        "N",
        "(M_g)",
        "candidates",
        "WGMD classes",
        *(f"{name} (us)" for name in FUSIONS),
        "WGMD / OMC-DOA",
        "WLMD / OMC-DOA",
        f"{ESPRIT} (us)",
        f"{REFINEMENT} (us)",
    ]
    num_sources = len(TRUTH_DEG)
    rows = [
        [
            int(layout.num_elements),
            str(layout.subarray_sizes),
            num_sources * sum(layout.subarray_sizes),
            int(np.prod([num_sources * m for m in layout.subarray_sizes])),
            *(float(timing.microseconds[name][i]) for name in FUSIONS),
            float(timing.ratio("WGMD")[i]),
            float(timing.ratio("WLMD")[i]),
            float(timing.microseconds[ESPRIT][i]),
            float(timing.microseconds[REFINEMENT][i]),
        ]
        for i, layout in enumerate(timing.layouts)
    ]
    return header, rows


def report_text(results: StudyResults, command: str) -> str:
    """The Markdown of :data:`TABLES`: header, acceptance, RMSE per source, hit rates, run time."""
    accuracy = results.accuracy
    lines = header_lines(results, command)
    lines += ["## Acceptance (OMC-DOA)", ""]
    lines += markdown_table(
        ["criterion", "measured", "met"],
        [[c, m, "yes" if ok else "**no**"] for c, m, ok in acceptance(results)],
    )
    for source, truth in enumerate(TRUTH_DEG):
        lines += ["", f"## RMSE (deg), source at {truth:g} deg (Fig. 9)", ""]
        lines += markdown_table(*rmse_rows(accuracy, source))
    lines += ["", f"## Hit rate: sources found within {HIT_TOLERANCE_DEG:g} deg (Fig. 10)", ""]
    lines += markdown_table(*hit_rows(accuracy))
    lines += ["", "## Run time per call, median CPU microseconds (Fig. 11)", ""]
    lines += markdown_table(*run_time_rows(results.run_time))
    return "\n".join(lines) + "\n"


def plot_rmse(accuracy: Accuracy, path: Path) -> Path:
    """Fig. 9: RMSE against SNR, one panel per source; fusions solid, refined dashed, bounds black."""
    figure, axes = plt.subplots(
        1, len(TRUTH_DEG), figsize=(6.2 * len(TRUTH_DEG), 4.8), constrained_layout=True
    )
    for source, panel in enumerate(np.atleast_1d(axes)):
        for name, colour in COLOURS.items():
            for suffix, style in (("", "-"), (REFINED, "--")):
                panel.plot(
                    accuracy.snrs_db,
                    accuracy.rmse_deg(name + suffix)[:, source],
                    linestyle=style,
                    marker="o" if not suffix else "s",
                    markersize=3,
                    color=colour,
                    label=name + suffix,
                )
        panel.plot(accuracy.snrs_db, accuracy.bounds_deg[CRLB][:, source], "k-", linewidth=2, label=CRLB)
        panel.plot(accuracy.snrs_db, accuracy.bounds_deg[GROUP_BOUND][:, source], "k:", label=GROUP_BOUND)
        decorate(
            panel, "SNR per antenna (dB)", "RMSE (deg)", f"source at {TRUTH_DEG[source]:g} deg", yscale="log"
        )
    return save_figure(figure, path)


def plot_hit_rate(accuracy: Accuracy, path: Path) -> Path:
    """Fig. 10: hit rate against SNR: each source, then every source; refined dashed."""
    titles = [f"source at {truth:g} deg found" for truth in TRUTH_DEG] + ["every source found"]
    figure, axes = plt.subplots(1, len(titles), figsize=(5.0 * len(titles), 4.4), constrained_layout=True)
    for index, (panel, title) in enumerate(zip(axes, titles, strict=True)):
        for name, colour in COLOURS.items():
            for suffix, style in (("", "-"), (REFINED, "--")):
                each, every = accuracy.hit_rate(name + suffix)
                rate = every if index == len(TRUTH_DEG) else each[:, index]
                panel.plot(
                    accuracy.snrs_db, 100.0 * rate, linestyle=style, marker="o", markersize=3, color=colour
                )
                panel.lines[-1].set_label(name + suffix)
        decorate(panel, "SNR per antenna (dB)", f"hit rate (%), within {HIT_TOLERANCE_DEG:g} deg", title)
    return save_figure(figure, path)


def plot_run_time(timing: RunTime, path: Path) -> Path:
    """Fig. 11: CPU time per call against N (log), and the ratios to OMC-DOA."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(12.0, 4.6), constrained_layout=True)
    n = timing.num_elements
    for name, colour in COLOURS.items():
        left.plot(n, timing.microseconds[name], "o-", color=colour, label=name)
    for name, style in ((ESPRIT, "x:"), (REFINEMENT, "s:")):
        left.plot(n, timing.microseconds[name], style, color="grey", label=f"{name} (every fusion)")
    decorate(left, "antennas N", "CPU time per call (us)", "run time per estimate", yscale="log")
    for name in FUSIONS:
        right.plot(n, timing.ratio(name), "o-", color=COLOURS[name], label=f"{name} / OMC-DOA")
    decorate(right, "antennas N", "ratio", "run time relative to OMC-DOA (same candidate sets)")
    return save_figure(figure, path)


def write_report(results: StudyResults, out: str | Path, command: str) -> str:
    """The figures (:data:`FIGURES`) and :data:`TABLES` into ``out``; returns the tables' text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_rmse(results.accuracy, out / FIGURES["rmse"])
    plot_hit_rate(results.accuracy, out / FIGURES["hit_rate"])
    plot_run_time(results.run_time, out / FIGURES["run_time"])
    text = report_text(results, command)
    (out / TABLES).write_text(text)
    return text


# --- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, prog: str = "bearing bench h2ad") -> int:
    """``bearing bench h2ad [--quick] [--trials N] [--out DIR] [--seed N]``: run, write, print."""
    return trials_study_main(
        argv,
        prog,
        __doc__,
        "build/bench/h2ad",
        "the tiny configuration of the tests (seconds)",
        StudyConfig,
        run_study,
        write_report,
    )
