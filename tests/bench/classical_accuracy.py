"""Benchmark: classical estimators against the Cramer-Rao bound, and their cost per estimate.

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/classical_accuracy.py [--trials 200]

Prints markdown tables (docs/accuracy.md records the latest run):
1. RMSE versus SNR for two uncorrelated sources at -10 and +10 deg on an ideal 8-element
   half-wavelength ULA, T = 200 snapshots, with the stochastic CRB and each RMSE / CRB.
2. Two fully coherent sources at -10 and +10 deg (same array, 10 dB, 100 trials): MUSIC on
   the raw covariance against forward-backward spatial smoothing (subarrays of 6 elements).
3. One source at 23.4 deg, 30 dB: the bearings of Bartlett, MVDR and ESPRIT.
4. Time per estimate of each method on problem 1 (1801-point grid), measured in the same
   run, with the ratio to MUSIC (these machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.doa import crb
from gnuradio.bearing.doa import metrics as evaluation
from gnuradio.bearing.doa.classical import METHODS, Estimator
from gnuradio.bearing.doa.grid import azimuth_grid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.signals import noise_power, snapshots

CARRIER_HZ = 2.4e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
GEOMETRY = ula(8, WAVELENGTH_M / 2)
SOURCES_DEG = np.array([-10.0, 10.0])
NUM_SNAPSHOTS = 200
SNRS_DB = (-5.0, 0.0, 5.0, 10.0, 20.0)


def rmse_deg(estimator: Estimator, covariances: np.ndarray) -> float:
    """RMSE over both sources and all trials; estimates are sorted to pair with the sources."""
    errors = []
    for matrix in covariances:
        estimate = np.sort(estimator.estimate(matrix, len(SOURCES_DEG)).azimuth_deg)
        if len(estimate) < len(SOURCES_DEG):
            estimate = np.resize(estimate, len(SOURCES_DEG))  # a missed source counts with the error it has
        errors.append(estimate - SOURCES_DEG)
    return float(np.sqrt(np.mean(np.square(errors))))


def accuracy_table(trials: int) -> list[str]:
    estimators = {m: Estimator(GEOMETRY, WAVELENGTH_M, azimuth_grid(-90, 90, 0.1), m) for m in METHODS}
    rows = ["| SNR (dB) | CRB (deg) | " + " | ".join(f"{m} RMSE (x CRB)" for m in METHODS) + " |"]
    rows.append("|" + "---|" * (2 + len(METHODS)))
    for snr_db in SNRS_DB:
        x = snapshots(
            GEOMETRY, WAVELENGTH_M, SOURCES_DEG, snr_db, NUM_SNAPSHOTS, np.random.default_rng(1), trials
        )
        covariances = [covariance.sample_covariance(trial) for trial in x]
        bound = crb.crb_rmse_deg(
            crb.stochastic_crb(
                GEOMETRY, WAVELENGTH_M, SOURCES_DEG, np.ones(2), noise_power(snr_db), NUM_SNAPSHOTS
            )
        )
        cells = []
        for method in METHODS:
            rmse = rmse_deg(estimators[method], covariances)
            cells.append(f"{rmse:.4f} ({rmse / bound:.2f})")
        rows.append(f"| {snr_db:+.0f} | {bound:.4f} | " + " | ".join(cells) + " |")
    return rows


def coherent_table(trials: int = 100, subarray_length: int = 6) -> list[str]:
    """MUSIC RMSE on coherent sources, without and with forward-backward spatial smoothing."""
    x = snapshots(
        GEOMETRY, WAVELENGTH_M, SOURCES_DEG, 10.0, NUM_SNAPSHOTS, np.random.default_rng(2), trials, True
    )
    raw = [covariance.sample_covariance(trial) for trial in x]
    smoothed = [covariance.spatial_smoothing(covariance.forward_backward(r), subarray_length) for r in raw]
    grid = azimuth_grid(-90, 90, 0.1)
    plain = Estimator(GEOMETRY, WAVELENGTH_M, grid, "music")
    fbss = Estimator(GEOMETRY.subarray(0, subarray_length), WAVELENGTH_M, grid, "music")
    rows = ["| covariance | MUSIC RMSE (deg) |", "|---|---|"]
    rows.append(f"| raw | {rmse_deg(plain, raw):.3f} |")
    rows.append(
        f"| forward-backward + spatial smoothing (L = {subarray_length}) | {rmse_deg(fbss, smoothed):.3f} |"
    )
    return rows


def agreement_line(truth_deg: float = 23.4) -> str:
    """Bearings of Bartlett, MVDR and ESPRIT for one source at 30 dB."""
    x = snapshots(GEOMETRY, WAVELENGTH_M, [truth_deg], 30.0, NUM_SNAPSHOTS, np.random.default_rng(3))[0]
    matrix = covariance.sample_covariance(x)
    estimator = Estimator(GEOMETRY, WAVELENGTH_M, azimuth_grid(-90, 90, 0.1))
    bearings = {}
    for method in ("bartlett", "mvdr", "esprit"):
        estimator.method = method
        bearings[method] = float(estimator.estimate(matrix, 1).azimuth_deg[0])
    spread = max(bearings.values()) - min(bearings.values())
    worst = float(np.max(np.abs(evaluation.angle_difference_deg(list(bearings.values()), truth_deg))))
    listed = ", ".join(f"{m} {b:.4f}" for m, b in bearings.items())
    return (
        f"One source at {truth_deg} deg, 30 dB: {listed} deg; "
        f"spread {spread:.4f} deg, worst error {worst:.4f} deg"
    )


def timing_table(repeats: int = 200) -> list[str]:
    x = snapshots(GEOMETRY, WAVELENGTH_M, SOURCES_DEG, 10.0, NUM_SNAPSHOTS, np.random.default_rng(2))[0]
    matrix = covariance.sample_covariance(x)
    seconds = {}
    for method in METHODS:
        estimator = Estimator(GEOMETRY, WAVELENGTH_M, azimuth_grid(-90, 90, 0.1), method)
        estimator.estimate(matrix, 2)
        start = time.perf_counter()
        for _ in range(repeats):
            estimator.estimate(matrix, 2)
        seconds[method] = (time.perf_counter() - start) / repeats
    rows = ["| method | time per estimate (ms) | ratio to MUSIC |", "|---|---|---|"]
    rows += [f"| {m} | {1e3 * s:.3f} | {s / seconds['music']:.2f} |" for m, s in seconds.items()]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="Monte Carlo trials per SNR (default 200)")
    args = parser.parse_args()
    print(
        f"Two uncorrelated sources at {SOURCES_DEG.tolist()} deg, ideal ULA M = {GEOMETRY.num_elements}, "
        f"d = lambda/2, T = {NUM_SNAPSHOTS}, {args.trials} trials per SNR, "
        "grid 0.1 deg with off-grid refinement\n"
    )
    print("\n".join(accuracy_table(args.trials)))
    print()
    print("\n".join(coherent_table()))
    print()
    print(agreement_line())
    print()
    print("\n".join(timing_table()))


if __name__ == "__main__":
    main()
