"""Benchmark: time per estimate of 2-D (azimuth x elevation) MUSIC and ESPRIT on one core, beside 1-D MUSIC.

Run from the repository root after `make install` (or with PYTHONPATH=<build dir>/python):

    .venv/bin/python tests/bench/planar_speed.py [--runs 50] [--seed 1] [--all-methods]

BLAS and OpenMP are limited to one thread (set before numpy is imported) and the process is
pinned to CPU 0. The arrays are the IDL-TLBO paper's: half-wavelength at 28 GHz, one source
at azimuth 20, elevation 30 deg (0 for the ULA), 20 dB SNR per element, 256 snapshots. Each
row times ``estimate(R, 1)`` (median and 90th percentile over ``--runs`` calls, cycling
through 10 sample covariances, after one warm-up call); the estimator (its cached grid
steering matrix) is built before the clock starts, its build time is shown apart. Cases:

1. 1-D MUSIC on a 16-element ULA (``doa.classical.Estimator``, grid -90 .. 90 at 0.1 deg);
2. 2-D MUSIC on a 4 x 4 and a 16 x 16 URA (``doa.planar.PlanarEstimator``, azimuth and
   elevation -90 .. 90 at 2 deg: 91 x 91 points, peaks refined off the grid);
3. 2-D unitary ESPRIT on both URAs (the MUSIC spectrum on the same grid included, for display);
4. with ``--all-methods``, 2-D Bartlett and MVDR too.

The error columns give the largest azimuth and elevation error over the covariances (a
sanity check, not an accuracy study).
"""

from __future__ import annotations

import os

# One BLAS / OpenMP thread: read once, when numpy loads its BLAS.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.array.geometry import ArrayGeometry, ula, ura, wavelength_m
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.doa.planar import PlanarEstimator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.signals import planar_snapshots

CARRIER_HZ = 28e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
SPACING_M = WAVELENGTH_M / 2.0
TRUTH_DEG = (20.0, 30.0)
SNR_DB = 20.0
NUM_SNAPSHOTS = 256
NUM_COVARIANCES = 10
LINEAR_GRID_DEG = np.round(np.arange(-900, 901) / 10.0, 1)
PLANAR_STEP_DEG = 2.0
PLANAR_GRID_DEG = np.arange(-90.0, 90.0 + 1e-9, PLANAR_STEP_DEG)


def covariances(geometry: ArrayGeometry, elevation_deg: float, rng: np.random.Generator) -> list[np.ndarray]:
    x = planar_snapshots(
        geometry,
        WAVELENGTH_M,
        [TRUTH_DEG[0]],
        [elevation_deg],
        SNR_DB,
        NUM_SNAPSHOTS,
        rng,
        num_trials=NUM_COVARIANCES,
    )
    return [sample_covariance(trial) for trial in x]


def timed_ms(call: Callable[[np.ndarray], object], inputs: Sequence[np.ndarray], runs: int) -> np.ndarray:
    """Wall times of ``call(x)``, ms: ``runs`` calls cycling through ``inputs``, after a warm-up."""
    call(inputs[0])
    times = np.empty(runs)
    for run in range(runs):
        x = inputs[run % len(inputs)]
        start = time.perf_counter()
        call(x)
        times[run] = time.perf_counter() - start
    return 1e3 * times


def linear_row(runs: int, rng: np.random.Generator) -> str:
    geometry = ula(16, SPACING_M)
    start = time.perf_counter()
    estimator = Estimator(geometry, WAVELENGTH_M, LINEAR_GRID_DEG, method="music")
    build_ms = 1e3 * (time.perf_counter() - start)
    inputs = covariances(geometry, 0.0, rng)
    times = timed_ms(lambda r: estimator.estimate(r, 1), inputs, runs)
    error = max(abs(estimator.estimate(r, 1).azimuth_deg[0] - TRUTH_DEG[0]) for r in inputs)
    return (
        f"| 1-D MUSIC | ULA 16 | 16 | -90 .. 90 at 0.1 ({LINEAR_GRID_DEG.size}) | {build_ms:.0f} "
        f"| {np.median(times):.2f} | {np.percentile(times, 90):.2f} | {error:.4f} | - |"
    )


def planar_rows(side: int, methods: Sequence[str], runs: int, rng: np.random.Generator) -> list[str]:
    geometry = ura(side, side, SPACING_M, SPACING_M)
    inputs = covariances(geometry, TRUTH_DEG[1], rng)
    rows = []
    for method in methods:
        start = time.perf_counter()
        estimator = PlanarEstimator(geometry, WAVELENGTH_M, PLANAR_GRID_DEG, PLANAR_GRID_DEG, method=method)
        build_ms = 1e3 * (time.perf_counter() - start)
        times = timed_ms(lambda r, e=estimator: e.estimate(r, 1), inputs, runs)
        estimates = [estimator.estimate(r, 1) for r in inputs]
        az_error = max(abs(e.azimuth_deg[0] - TRUTH_DEG[0]) for e in estimates)
        el_error = max(abs(e.elevation_deg[0] - TRUTH_DEG[1]) for e in estimates)
        name = "2-D ESPRIT (unitary)" if method == "esprit" else f"2-D {method.upper()}"
        grid = f"-90 .. 90 x -90 .. 90 at {PLANAR_STEP_DEG:g} ({PLANAR_GRID_DEG.size}^2)"
        rows.append(
            f"| {name} | URA {side} x {side} | {side * side} | {grid} | {build_ms:.0f} "
            f"| {np.median(times):.2f} | {np.percentile(times, 90):.2f} | {az_error:.4f} | {el_error:.4f} |"
        )
    return rows


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed calls per row, median taken (default 50)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sources and noise (default 1)")
    parser.add_argument("--all-methods", action="store_true", help="time 2-D Bartlett and MVDR too")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    rng = np.random.default_rng(args.seed)
    methods = ("music", "esprit", "bartlett", "mvdr") if args.all_methods else ("music", "esprit")
    command = " ".join([".venv/bin/python", "tests/bench/planar_speed.py", *(argv or sys.argv[1:])])
    print(f"`{command}`\n")
    print(
        f"one core (CPU 0, BLAS threads 1), {cpu_name()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}; {CARRIER_HZ / 1e9:g} GHz, d = lambda/2, source at "
        f"({TRUTH_DEG[0]:g}, {TRUTH_DEG[1]:g}) deg, {SNR_DB:g} dB, T = {NUM_SNAPSHOTS}, "
        f"{args.runs} runs per row\n"
    )
    print(
        "| estimator | array | M | grid (deg, points) | build (ms) | median (ms) | p90 (ms) "
        "| max az error (deg) | max el error (deg) |"
    )
    print("|" + "---|" * 9)
    print(linear_row(args.runs, rng))
    for side in (4, 16):
        print("\n".join(planar_rows(side, methods, args.runs, rng)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
