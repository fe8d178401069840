"""The IDL-TLBO study: IDL-TLBO against plain TLBO, l1-sparse DoA and MUSIC on a perturbed URA.

Aquino and Vairavel, IJAP 2025 (the third paper), Sec. 6: Fig. 7 (RMSE against SNR, one
snapshot), Figs. 8-9 (array sizes), Fig. 10 (snapshots), Fig. 11 (convergence), Table 4 (one
source at azimuth 70, elevation 4 deg, 10 dB) and Table 5 (run time), re-run with numpy only.
The choices (docs/idl-tlbo.md, "The study"):

* **Array**: a ``side`` x ``side`` half-wavelength URA in the y-z plane at 28 GHz (16 x 16 in
  the paper), perturbed by a new draw of
  :data:`~gnuradio.bearing.array.impairments.IDL_TLBO_PERTURBATION` every trial (gain 0.5 dB,
  phase 0.5 rad, position 0.5 mm per axis: our reading of the paper's "0.5"), element 0 the
  reference channel; the response is :func:`~gnuradio.bearing.array.impairments.array_response`.
* **Signal**: one source at (70, 4) deg (:data:`TRUTH_DEG`), circular Gaussian amplitudes of
  unit power per snapshot, white noise of power ``10^(-SNR / 10)`` per element (SNR per
  element); the sample covariance of the snapshots is every method's input.
* **Methods** (:data:`METHODS`): IDL-TLBO (:class:`~gnuradio.bearing.doa.idl_tlbo_estimator.IdlTlboEstimator`,
  its defaults: 30 learners per discipline, 100 iterations, the closed-form gains); TLBO, Rao's
  TLBO on the joint vector of angles and gains with the same objective, learners, iterations and
  start (the paper's plain-TLBO baseline); l1-sparse (:func:`~gnuradio.bearing.doa.sparse_l1.l1_sparse_doa`)
  on a region-of-interest grid of :data:`L1_STEP_DEG` over +-:data:`L1_SPAN_DEG` about the truth,
  shifted by a random fraction of a step every trial so that the truth is off the grid; MUSIC
  on the nominal manifold (:class:`~gnuradio.bearing.doa.planar.PlanarEstimator`, its 2 deg grid
  and off-grid refinement). The optimisers' coarse start grid is shifted by a random fraction
  of its 2 deg step every trial too: a truth on the start grid would favour an optimiser that
  does not converge. Every method is told there is one source.
* **Errors**: absolute azimuth and elevation errors per trial; mean absolute error (the paper's
  Table 4 figure) and RMSE, each with a 95 % interval (the MAE's normal interval; the RMSE's
  percentile bootstrap, :data:`BOOTSTRAP`), and the paired difference of each method's absolute
  error from IDL-TLBO's on the same trials (positive: IDL-TLBO better) with its 95 % interval.
* **Bounds**: the stochastic CRB of the nominal array (the perturbations known: their draw moves
  it by under 1 %, docs/idl-tlbo.md) and the bound with the perturbations unknown, the hybrid
  bound with their Gaussian prior (:func:`~gnuradio.bearing.doa.crb.perturbation_prior_crb_az_el`),
  as standard deviations in degrees.
* **Run time** (Table 5): CPU time of the calling thread per estimate (``time.thread_time``),
  median over the Table 4 trials; the machine is shared and numpy's BLAS may use a second
  thread, which this does not count (`tests/bench/idl_tlbo_speed.py` times one core alone).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..array.geometry import ArrayGeometry, ura, wavelength_m
from ..array.impairments import IDL_TLBO_PERTURBATION, array_response, draw_impairments
from ..array.signals import complex_normal
from ..doa.crb import perturbation_prior_crb_az_el, stochastic_crb_az_el
from ..doa.idl_tlbo_estimator import DEFAULT_POPULATION, IdlTlboEstimator
from ..doa.planar import PlanarEstimator
from ..doa.search import DEFAULT_PLANAR_STEP_DEG, search_grid
from ..doa.sparse_l1 import l1_sparse_doa
from ..plotting import plt
from .report import decorate, markdown_table, progress, trials_study_main

CARRIER_HZ = 28.0e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
TRUTH_DEG = (70.0, 4.0)
"""The source of Table 4: azimuth, elevation, degrees."""
IDL, TLBO, L1, MUSIC = "IDL-TLBO", "TLBO", "l1-sparse", "MUSIC"
METHODS = (IDL, TLBO, L1, MUSIC)
PAPER_TABLE4 = {IDL: (0.73, 0.56), TLBO: (0.84, 0.65), L1: (1.15, 1.34), MUSIC: (2.06, 1.37)}
"""The paper's Table 4: mean absolute errors (azimuth, elevation), degrees."""
KNOWN, UNKNOWN = "CRB, perturbations known", "CRB, perturbations unknown"
L1_STEP_DEG = 0.5
L1_SPAN_DEG = 10.0
BOOTSTRAP = 2000
"""Resamples of the RMSE's bootstrap interval."""
Z95 = 1.959964


@dataclass(frozen=True)
class StudyConfig:
    """What the study runs. ``snr_db`` must hold ``table_snr_db``: Table 4 is that point of
    Fig. 7, run with ``table_trials`` (the issue's 200) where every other point runs ``trials``.
    ``workers`` processes run the points side by side; each point draws from its own seed
    (spawned from ``seed`` in a fixed order), so the figures do not depend on ``workers``.
    ``amplitude`` (:data:`AMPLITUDES`) is the source's amplitude per snapshot."""

    trials: int = 50
    table_trials: int = 200
    snr_db: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0)
    sides: tuple[int, ...] = (4, 8, 12, 16)
    snapshots: tuple[int, ...] = (10, 20, 40, 80)
    side: int = 16
    table_snr_db: float = 10.0
    iterations: int = 100
    seed: int = 0
    workers: int = 1
    amplitude: str = "gaussian"

    @classmethod
    def quick(cls, seed: int = 0) -> StudyConfig:
        """The tiny configuration of the tests: seconds."""
        return cls(
            trials=3,
            table_trials=4,
            snr_db=(0.0, 10.0),
            sides=(4,),
            snapshots=(10,),
            side=6,
            iterations=15,
            seed=seed,
        )


@dataclass(frozen=True)
class Point:
    """One setting's trials: absolute errors ``(trials, 2)`` (azimuth, elevation) and CPU seconds
    ``(trials,)`` per method, the optimisers' objective histories ``(trials, iterations + 1)`` and
    learners evaluated per estimate, and the bounds ``(2,)`` (standard deviations, degrees)."""

    errors: dict[str, NDArray[np.float64]]
    seconds: dict[str, NDArray[np.float64]]
    histories: dict[str, NDArray[np.float64]]
    evaluations: dict[str, int]
    bounds: dict[str, NDArray[np.float64]]


@dataclass(frozen=True)
class StudyResults:
    config: StudyConfig
    snr: dict[float, Point] = field(default_factory=dict)
    size: dict[int, Point] = field(default_factory=dict)
    snapshots: dict[int, Point] = field(default_factory=dict)

    @property
    def table(self) -> Point:
        return self.snr[self.config.table_snr_db]


def bounds_deg(geometry: ArrayGeometry, snr_db: float, num_snapshots: int) -> dict[str, NDArray[np.float64]]:
    """Both bounds at the study's source, standard deviations ``(2,)`` (azimuth, elevation), degrees."""
    arguments = (geometry, WAVELENGTH_M, [TRUTH_DEG[0]], [TRUTH_DEG[1]], np.eye(1), 10 ** (-snr_db / 10))
    known = stochastic_crb_az_el(*arguments, num_snapshots)
    unknown = perturbation_prior_crb_az_el(*arguments, num_snapshots, IDL_TLBO_PERTURBATION)
    return {KNOWN: np.sqrt(np.diag(known)), UNKNOWN: np.sqrt(np.diag(unknown))}


def _shifted_search(geometry: ArrayGeometry, rng: np.random.Generator):
    """The array's 2-D search grid, its start shifted by a random fraction of a step."""
    az, el = (-90.0 + DEFAULT_PLANAR_STEP_DEG * rng.random() for _ in range(2))
    return search_grid(geometry, (az, 90.0, None), (el, 90.0, None), WAVELENGTH_M)


AMPLITUDES = ("gaussian", "unit")
"""The source's amplitude per snapshot: ``gaussian``, circular Gaussian of unit power (the
stochastic model of the bounds: a single snapshot fades, 5 % of them below -13 dB of the
nominal SNR); ``unit``, unit modulus at a uniform phase (every snapshot at the nominal SNR)."""


def _amplitudes(kind: str, rng: np.random.Generator, num_snapshots: int) -> NDArray[np.complex128]:
    """The source's amplitudes ``(1, num_snapshots)`` of :data:`AMPLITUDES` ``kind``."""
    if kind == "gaussian":
        return complex_normal(rng, (1, num_snapshots))
    if kind == "unit":
        return np.exp(2j * np.pi * rng.random((1, num_snapshots)))
    raise ValueError(f"amplitude must be one of {', '.join(AMPLITUDES)}, got {kind!r}")


def _timed(function: Callable, *args: object) -> tuple:
    """``function(*args)`` and the CPU seconds of the calling thread it took."""
    start = time.thread_time()
    value = function(*args)
    return value, time.thread_time() - start


def run_point(
    config: StudyConfig,
    side: int,
    snr_db: float,
    num_snapshots: int,
    trials: int,
    seed: np.random.SeedSequence,
) -> Point:
    """``trials`` trials of every method at one setting, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    geometry = ura(side, side, WAVELENGTH_M / 2, WAVELENGTH_M / 2)
    music = PlanarEstimator(
        geometry, WAVELENGTH_M, np.arange(-90.0, 90.1, 2.0), np.arange(-90.0, 90.1, 2.0), "music"
    )
    errors = {name: np.zeros((trials, 2)) for name in METHODS}
    seconds = {name: np.zeros(trials) for name in METHODS}
    histories = {name: np.zeros((trials, config.iterations + 1)) for name in (IDL, TLBO)}
    evaluations: dict[str, int] = {}
    truth = np.array(TRUTH_DEG)
    for trial in range(trials):
        impairments = draw_impairments(geometry.num_elements, 1.0, rng, IDL_TLBO_PERTURBATION)
        a = array_response(geometry, truth[0], CARRIER_HZ, impairments, elevation_deg=truth[1])[0]
        noise = complex_normal(rng, (geometry.num_elements, num_snapshots)) * 10 ** (-snr_db / 20)
        x = a @ _amplitudes(config.amplitude, rng, num_snapshots) + noise
        r = x @ x.conj().T / num_snapshots
        search, seed = _shifted_search(geometry, rng), int(rng.integers(2**31))
        for name, optimiser in ((IDL, "idl-tlbo"), (TLBO, "tlbo")):
            estimator = IdlTlboEstimator(
                geometry,
                WAVELENGTH_M,
                IDL_TLBO_PERTURBATION,
                iterations=config.iterations,
                seed=seed,
                optimiser=optimiser,
                search=search,
            )
            estimate, seconds[name][trial] = _timed(estimator.estimate, r, num_snapshots, 1)
            found = (estimate.azimuth_deg[0], estimate.elevation_deg[0])
            errors[name][trial] = np.abs(np.array(found) - truth)
            histories[name][trial] = estimate.history
            evaluations[name] = estimate.evaluations
        offset = L1_STEP_DEG * (rng.random(2) - 0.5)
        az_grid, el_grid = (
            centre + shift + np.arange(-L1_SPAN_DEG, L1_SPAN_DEG + L1_STEP_DEG / 2, L1_STEP_DEG)
            for centre, shift in zip(truth, offset, strict=True)
        )
        sparse, seconds[L1][trial] = _timed(
            l1_sparse_doa, r, geometry.positions_m, WAVELENGTH_M, 1, az_grid, el_grid
        )
        peak, seconds[MUSIC][trial] = _timed(music.estimate, r, 1)
        for name, found in ((L1, sparse), (MUSIC, peak)):
            errors[name][trial] = np.abs(np.array([found.azimuth_deg[0], found.elevation_deg[0]]) - truth)
    return Point(errors, seconds, histories, evaluations, bounds_deg(geometry, snr_db, num_snapshots))


def run_study(config: StudyConfig, log: Callable[[str], None] = progress) -> StudyResults:
    """Figs. 7-10 (Table 4 is Fig. 7's point at ``table_snr_db``), each point from its own seed,
    in ``config.workers`` processes; a line on standard error as each point ends."""
    if config.table_snr_db not in config.snr_db:
        raise ValueError(f"snr_db must hold table_snr_db {config.table_snr_db}")
    points = [("snr", snr, config.side, snr, 1) for snr in config.snr_db]
    points += [("size", side, side, config.table_snr_db, 1) for side in config.sides]
    points += [("snapshots", n, config.side, config.table_snr_db, n) for n in config.snapshots]
    seeds = np.random.SeedSequence(config.seed).spawn(len(points))
    tasks = []
    for (sweep, value, side, snr_db, snapshots), seed in zip(points, seeds, strict=True):
        trials = config.table_trials if sweep == "snr" and value == config.table_snr_db else config.trials
        tasks.append((sweep, value, (config, side, snr_db, snapshots, trials, seed)))
    results = StudyResults(config)
    start = time.monotonic()
    for done, (sweep, value, arguments), point in _run_points(tasks, config.workers):
        getattr(results, sweep)[value] = point
        _, side, snr_db, snapshots, trials, _ = arguments
        log(
            f"idl-tlbo study: {sweep} {value:g}: {side} x {side}, {snr_db:g} dB, {snapshots} snapshots, "
            f"{trials} trials; {done} of {len(tasks)} points in {time.monotonic() - start:.0f} s"
        )
    for sweep in ("snr", "size", "snapshots"):  # in the order of the configuration
        points_of = getattr(results, sweep)
        ordered = dict(sorted(points_of.items()))
        points_of.clear()
        points_of.update(ordered)
    return results


def _run_points(tasks: list[tuple], workers: int):
    """Yields ``(points done, task, run_point(*task[2]))`` as each point ends: in this process for
    one worker, else in ``workers`` forked processes (a spawned one would run the ``bearing``
    script again: it has no main guard)."""
    if workers == 1:
        for done, task in enumerate(tasks, start=1):
            yield done, task, run_point(*task[2])
        return
    context = multiprocessing.get_context("fork")
    pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=context)
    try:
        futures = {pool.submit(run_point, *task[2]): task for task in tasks}
        for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
            yield done, futures[future], future.result()
    finally:  # a failed point stops the study at once, not after the points still queued
        pool.shutdown(cancel_futures=True)


# --- statistics ------------------------------------------------------------------------------------


def mae_interval(errors: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
    """Mean absolute errors ``(2,)`` and their 95 % half-widths (normal)."""
    n = errors.shape[0]
    return errors.mean(axis=0), Z95 * errors.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(2)


def rmse_interval(errors: NDArray[np.float64], seed: int = 0) -> tuple[NDArray, NDArray, NDArray]:
    """RMSE ``(2,)`` and the 2.5 % and 97.5 % points of its percentile bootstrap."""
    rng = np.random.default_rng(seed)
    squared = errors**2
    picks = rng.integers(0, errors.shape[0], size=(BOOTSTRAP, errors.shape[0]))
    resampled = np.sqrt(squared[picks].mean(axis=1))  # (BOOTSTRAP, 2)
    return np.sqrt(squared.mean(axis=0)), *np.percentile(resampled, [2.5, 97.5], axis=0)


def paired_difference(point: Point, method: str) -> tuple[NDArray, NDArray]:
    """Mean of ``|error of method| - |error of IDL-TLBO|`` over the trials ``(2,)`` (positive:
    IDL-TLBO better) and its 95 % half-width."""
    return mae_interval(point.errors[method] - point.errors[IDL])


def acceptance(results: StudyResults) -> list[tuple[str, str, bool]]:
    """The issue's accuracy points, each ``(what, figures, held)``."""
    table = results.table
    mae = {name: table.errors[name].mean(axis=0) for name in METHODS}
    checks = [
        (
            "Table 4: IDL-TLBO MAE at or below the paper's {} / {} deg".format(*PAPER_TABLE4[IDL]),
            f"{mae[IDL][0]:.3f} / {mae[IDL][1]:.3f} deg over {table.errors[IDL].shape[0]} trials",
            bool(np.all(mae[IDL] <= np.array(PAPER_TABLE4[IDL]))),
        )
    ]
    for other in (TLBO, L1):
        checks.append(
            (
                f"Table 4: IDL-TLBO below {other} (azimuth and elevation MAE)",
                f"{mae[IDL][0]:.3f} / {mae[IDL][1]:.3f} against {mae[other][0]:.3f} / {mae[other][1]:.3f}",
                bool(np.all(mae[IDL] < mae[other])),
            )
        )
    for other in (TLBO, L1, MUSIC):
        worse = [
            snr
            for snr, point in results.snr.items()
            if np.any(paired_difference(point, other)[0] < 0)
            and not (other == MUSIC and _within(point, other))
        ]
        what = "never worse than" if other == MUSIC else "better than"
        checks.append(
            (
                f"Fig. 7: IDL-TLBO {what} {other} at every SNR (mean absolute error, paired)",
                "every SNR" if not worse else f"not at {', '.join(f'{s:g}' for s in worse)} dB",
                not worse,
            )
        )
    return checks


def _within(point: Point, other: str) -> bool:
    """Whether IDL-TLBO's paired difference from ``other`` is within its 95 % interval of zero."""
    difference, half = paired_difference(point, other)
    return bool(np.all(difference + half >= 0))


# --- report ----------------------------------------------------------------------------------------


def header_lines(results: StudyResults, command: str) -> list[str]:
    config = results.config
    return [
        f"`{command}`",
        "",
        f"{config.trials} trials per point ({config.table_trials} at Table 4's); {config.side} x "
        f"{config.side} URA at 28 GHz unless a row says "
        f"otherwise; one source at {TRUTH_DEG} deg; IDL-TLBO and TLBO with {DEFAULT_POPULATION} learners and "
        f"{config.iterations} iterations; the paper's perturbations, drawn anew each trial.",
        "",
    ]


def accuracy_rows(points: dict, label: str) -> tuple[list[str], list[list[object]]]:
    """One row per setting and method: MAE and RMSE with intervals, paired difference, bounds."""
    header = [
        label,
        "method",
        "MAE az (deg)",
        "MAE el (deg)",
        "RMSE az [95 %]",
        "RMSE el [95 %]",
        "vs IDL-TLBO az, el (deg)",
        "bound az, el: known / unknown",
    ]
    rows = []
    for value, point in points.items():
        for name in METHODS:
            (mae, mae_half), (rmse, low, high) = (
                mae_interval(point.errors[name]),
                rmse_interval(point.errors[name]),
            )
            difference, half = paired_difference(point, name)
            rows.append(
                [
                    f"{value:g}",
                    name,
                    f"{mae[0]:.3f} +- {mae_half[0]:.3f}",
                    f"{mae[1]:.3f} +- {mae_half[1]:.3f}",
                    f"{rmse[0]:.3f} [{low[0]:.3f}, {high[0]:.3f}]",
                    f"{rmse[1]:.3f} [{low[1]:.3f}, {high[1]:.3f}]",
                    "-"
                    if name == IDL
                    else f"{difference[0]:+.3f} +- {half[0]:.3f}, {difference[1]:+.3f} +- {half[1]:.3f}",
                    _bounds_cell(point) if name == IDL else "",
                ]
            )
    return header, rows


def _bounds_cell(point: Point) -> str:
    known, unknown = point.bounds[KNOWN], point.bounds[UNKNOWN]
    return f"{known[0]:.3f}, {known[1]:.4f} / {unknown[0]:.3f}, {unknown[1]:.3f}"


def table4_rows(results: StudyResults) -> tuple[list[str], list[list[object]]]:
    table = results.table
    header = ["method", "MAE az (deg)", "MAE el (deg)", "paper az", "paper el", "RMSE az", "RMSE el"]
    rows = []
    for name in METHODS:
        mae, half = mae_interval(table.errors[name])
        rmse = rmse_interval(table.errors[name])[0]
        paper = PAPER_TABLE4[name]
        rows.append(
            [
                name,
                f"{mae[0]:.3f} +- {half[0]:.3f}",
                f"{mae[1]:.3f} +- {half[1]:.3f}",
                paper[0],
                paper[1],
                rmse[0],
                rmse[1],
            ]
        )
    known, unknown = table.bounds[KNOWN], table.bounds[UNKNOWN]
    rows.append([KNOWN + " (std)", "", "", "", "", known[0], known[1]])
    rows.append([UNKNOWN + " (std)", "", "", "", "", unknown[0], unknown[1]])
    return header, rows


def run_time_rows(results: StudyResults) -> tuple[list[str], list[list[object]]]:
    table = results.table
    header = ["method", "median CPU s per estimate", "p95 CPU s", "objective evaluations"]
    evaluations = {name: f"{table.evaluations[name]} learners" for name in (IDL, TLBO)}
    rows = [
        [
            name,
            float(np.median(table.seconds[name])),
            float(np.percentile(table.seconds[name], 95)),
            evaluations.get(name, "-"),
        ]
        for name in METHODS
    ]
    return header, rows


def report_text(results: StudyResults, command: str) -> str:
    lines = header_lines(results, command)
    lines += ["### Acceptance", ""]
    lines += markdown_table(
        ["point", "figures", "held"], [[w, f, "yes" if h else "NO"] for w, f, h in acceptance(results)]
    )
    lines += ["", f"### Table 4: {TRUTH_DEG} deg, {results.config.table_snr_db:g} dB, one snapshot", ""]
    lines += markdown_table(*table4_rows(results))
    for title, points, label in (
        ("Fig. 7: against SNR (dB), one snapshot", results.snr, "SNR dB"),
        (
            f"Figs. 8-9: array size (side), {results.config.table_snr_db:g} dB, one snapshot",
            results.size,
            "side",
        ),
        (f"Fig. 10: snapshots, {results.config.table_snr_db:g} dB", results.snapshots, "snapshots"),
    ):
        lines += ["", f"### {title}", ""]
        lines += markdown_table(*accuracy_rows(points, label))
    lines += ["", "### Table 5: run time (Table 4's trials)", ""]
    lines += markdown_table(*run_time_rows(results))
    return "\n".join(lines) + "\n"


FIGURES = {
    "snr": "idl_tlbo_rmse_snr.png",
    "size": "idl_tlbo_rmse_size.png",
    "snapshots": "idl_tlbo_rmse_snapshots.png",
    "convergence": "idl_tlbo_convergence.png",
}
TABLES = "idl_tlbo_tables.md"


def plot_rmse(points: dict, xlabel: str, path: Path, xscale: str = "linear") -> Path:
    """RMSE of every method and both bounds, azimuth and elevation panels."""
    figure, panels = plt.subplots(1, 2, figsize=(11, 4.2))
    values = list(points)
    for axis, (panel, name) in enumerate(zip(panels, ("azimuth", "elevation"), strict=True)):
        for method in METHODS:
            rmse = [rmse_interval(points[v].errors[method])[0][axis] for v in values]
            panel.plot(values, rmse, marker="o", label=method)
        for bound, style in ((KNOWN, ":"), (UNKNOWN, "--")):
            panel.plot(values, [points[v].bounds[bound][axis] for v in values], "k" + style, label=bound)
        decorate(panel, xlabel, "RMSE (deg)", f"{name}", xscale=xscale, yscale="log")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_convergence(results: StudyResults, path: Path) -> Path:
    """Fig. 11: the best objective after each iteration, above the best either optimiser found
    in the trial, median over Table 4's trials."""
    table = results.table
    floor = np.minimum(table.histories[IDL][:, -1], table.histories[TLBO][:, -1])[:, None]
    figure, panel = plt.subplots(figsize=(6, 4.2))
    for name in (IDL, TLBO):
        excess = np.median(table.histories[name] - floor, axis=0)
        panel.plot(np.arange(excess.size), np.maximum(excess, 1e-6), label=name)
    decorate(panel, "iteration", "objective above the best found (median)", "convergence", yscale="log")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_report(results: StudyResults, out: str | Path, command: str) -> str:
    """The figures (:data:`FIGURES`) and :data:`TABLES` into ``out``; returns the tables' text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot_rmse(results.snr, "SNR per element (dB)", out / FIGURES["snr"])
    plot_rmse(results.size, "URA side (elements)", out / FIGURES["size"])
    plot_rmse(results.snapshots, "snapshots", out / FIGURES["snapshots"], xscale="log")
    plot_convergence(results, out / FIGURES["convergence"])
    text = report_text(results, command)
    (out / TABLES).write_text(text)
    return text


def main(argv: Sequence[str] | None = None, prog: str = "bearing bench idl-tlbo") -> int:
    """``bearing bench idl-tlbo [--quick] [--trials N] [--table-trials N] [--workers N] [--out DIR]
    [--seed N]``: run, write, print."""
    return trials_study_main(
        argv,
        prog,
        __doc__,
        "build/bench/idl-tlbo",
        "the tiny configuration of the tests (seconds)",
        StudyConfig,
        run_study,
        write_report,
        (
            ("table-trials", f"trials of Table 4's point (default {StudyConfig.table_trials})"),
            ("workers", "processes running the points side by side (default 1; the figures do not change)"),
        ),
    )
