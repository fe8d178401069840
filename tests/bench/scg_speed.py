"""Benchmark: SCG time per solve (C++ kernel, numpy reference, unrolled torch) and the beam width it buys.

Run from the repository root after `make install` (or with PYTHONPATH=<build dir>/python):

    .venv/bin/python tests/bench/scg_speed.py [--seed 1]

Prints markdown tables (docs/scg.md records the latest run), all on the paper's array: a
4-element half-wavelength ULA at 4.85 GHz, grid -60 .. 60 deg at 0.1 deg:
1. Time per solve (median, ms) with the default ScgOptions of the C++ kernel
   (``scg.solve``; a batch is spread over one thread per core), the numpy reference
   (``scg.scg_reference``) and the unrolled torch SCG (``scg_torch.unrolled_scg``, no
   grad, torch's default threads), for one 30-degree subregion and the full grid, batch
   1 and 64, with the ratios to the kernel. The right-hand sides are coarray DBF spectra
   of 1-2 random sources at 10 dB SNR, 200 snapshots (fixed seed), noise floor removed as
   the Coarray DBF block does by default, the same for every implementation; batch 1
   cycles through the 64 of them.
2. A training-style step (forward + backward of an MSE loss, batch 64): ``ScgSolve``
   (kernel forward, implicit backward) against autograd through ``unrolled_scg``.
3. Half-power beam width and peak error of the coarray DBF spectrum and of SCG for one
   source at -45, -15, 15 and 45 deg, noise-free and at 10 dB / 200 snapshots (with and
   without removing the noise floor), with the number of SCG peaks at or above half its
   maximum.
4. Two sources 20 deg apart: are both found (two strongest peaks, each within 1 deg)?
5. The paper's Algorithm 1 as printed (``scg.algorithm1_reference``) against SCG on the
   noise-free sources of table 3: peak error, beam width, time per solve.
6. Noise-free SCG peak errors over the whole field of view (one source at every grid
   angle; pairs 20 deg apart every 0.5 deg).
7. Agreement of the kernel with the numpy reference: coarray problems and a random
   full-rank SPD system, default options and with every inner CG solve converged.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import steering_matrix, ula, wavelength_m
from gnuradio.bearing.doa import metrics as evaluation
from gnuradio.bearing.doa import scg
from gnuradio.bearing.doa.coarray import CoarrayModel, coarray_model
from gnuradio.bearing.doa.peaks import find_peaks
from gnuradio.bearing.learned import scg_torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.signals import snapshots

CARRIER_HZ = 4.85e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
GEOMETRY = ula(4, WAVELENGTH_M / 2)
SNR_DB = 10.0
NUM_SNAPSHOTS = 200
BATCH = 64
BEAM_ANGLES_DEG = (-45.0, -15.0, 15.0, 45.0)
PAIRS_DEG = ((-10.0, 10.0), (-50.0, -30.0), (25.0, 45.0))
FOUND_WITHIN_DEG = 1.0


def full_model() -> CoarrayModel:
    return coarray_model(GEOMETRY.positions_m, CARRIER_HZ)


def random_spectra(model: CoarrayModel, rng: np.random.Generator, count: int) -> np.ndarray:
    """Coarray DBF spectra of 1 or 2 sources drawn uniformly over the model's grid, shape ``(count, L)``."""
    low, high = model.grid_deg[0], model.grid_deg[-1]
    rows = []
    for _ in range(count):
        azimuths = rng.uniform(low, high, rng.integers(1, 3))
        x = snapshots(GEOMETRY, WAVELENGTH_M, azimuths, SNR_DB, NUM_SNAPSHOTS, rng)[0]
        rows.append(model.spectrum(covariance.sample_covariance(x), remove_noise_floor=True))
    return np.array(rows)


def median_ms(solve: Callable, inputs: Sequence, budget_s: float = 1.0, min_calls: int = 5) -> float:
    """Median wall time of ``solve(x)`` over the inputs in turn (each at least once), after a warm-up."""
    solve(inputs[0])
    times: list[float] = []
    while len(times) < max(min_calls, len(inputs)) or (sum(times) < budget_s and len(times) < 2000):
        x = inputs[len(times) % len(inputs)]
        start = time.perf_counter()
        solve(x)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def speed_table(models: dict[str, CoarrayModel], rng: np.random.Generator) -> list[str]:
    rows = [
        "| grid | L | batch | kernel (ms) | kernel, 1 thread (ms) | numpy (ms) | torch (ms) "
        "| numpy / kernel | torch / kernel |",
        "|" + "---|" * 9,
    ]
    for name, model in models.items():
        spectra = random_spectra(model, rng, BATCH)
        factor = model.factor
        factor_t = torch.from_numpy(factor)
        solvers = {
            "kernel": lambda b, f=factor: scg.solve(b, factor=f),
            "kernel1": lambda b, f=factor: scg.solve(b, factor=f, threads=1),
            "numpy": lambda b, f=factor: scg.scg_reference(b, factor=f),
            "torch": lambda b, f=factor_t: scg_torch.unrolled_scg(b, f),
        }
        for batch, inputs in ((1, list(spectra)), (BATCH, [spectra])):
            tensors = [torch.from_numpy(x) for x in inputs]
            with torch.no_grad():
                ms = {
                    key: median_ms(solve, tensors if key == "torch" else inputs) / batch
                    for key, solve in solvers.items()
                }
            rows.append(
                f"| {name} | {model.factor.shape[1]} | {batch} | {ms['kernel']:.3f} | {ms['kernel1']:.3f} "
                f"| {ms['numpy']:.3f} | {ms['torch']:.3f} | {ms['numpy'] / ms['kernel']:.1f} "
                f"| {ms['torch'] / ms['kernel']:.1f} |"
            )
    return rows


def training_table(models: dict[str, CoarrayModel], rng: np.random.Generator) -> list[str]:
    """Forward + backward of sum((eta - one-hot)^2) over a batch of 64, default options."""
    rows = [
        "| grid | L | ScgSolve (ms per batch) | unrolled_scg (ms per batch) | unrolled / ScgSolve |",
        "|---|---|---|---|---|",
    ]
    for name, model in models.items():
        spectra = torch.from_numpy(random_spectra(model, rng, BATCH))
        targets = torch.zeros_like(spectra)
        targets[torch.arange(BATCH), spectra.argmax(dim=1)] = 1.0
        factor = torch.from_numpy(model.factor)

        def step(solver, spectra=spectra, targets=targets, factor=factor):
            b = spectra.clone().requires_grad_()
            (solver(b, factor) - targets).square().sum().backward()

        ms = {solver: median_ms(step, [solver]) for solver in (scg_torch.scg, scg_torch.unrolled_scg)}
        implicit, unrolled = ms[scg_torch.scg], ms[scg_torch.unrolled_scg]
        size = model.factor.shape[1]
        rows.append(f"| {name} | {size} | {implicit:.2f} | {unrolled:.2f} | {unrolled / implicit:.1f} |")
    return rows


def half_power_width_deg(spectrum: np.ndarray, grid_deg: np.ndarray) -> float:
    """Width of the main lobe at half its peak, linearly interpolated between grid points.

    A lone non-zero grid value gives one grid step (the grid's resolution).
    """
    peak = int(np.argmax(spectrum))
    half = spectrum[peak] / 2
    edges = []
    for direction in (-1, 1):
        index = peak
        while 0 <= index + direction < spectrum.size and spectrum[index + direction] >= half:
            index += direction
        outside = index + direction
        if not 0 <= outside < spectrum.size:
            return float("nan")  # the lobe runs off the grid
        fraction = (spectrum[index] - half) / (spectrum[index] - spectrum[outside])
        edges.append(grid_deg[index] + fraction * (grid_deg[outside] - grid_deg[index]))
    return float(abs(edges[1] - edges[0]))


def strong_peaks(spectrum: np.ndarray, grid_deg: np.ndarray) -> int:
    """Local maxima at or above half the highest (at least 1 deg apart)."""
    found = find_peaks(spectrum, grid_deg, 20, min_separation_deg=1.0)
    return int(np.sum(spectrum[found] >= spectrum.max() / 2))


def noisefree_covariance(azimuths_deg: Sequence[float]) -> np.ndarray:
    a = steering_matrix(GEOMETRY.positions_m, azimuths_deg, WAVELENGTH_M)
    return a @ a.conj().T


def beam_table(model: CoarrayModel, rng: np.random.Generator, draws: int = 20) -> list[str]:
    """DBF is evaluated on -90 .. 90 deg: at +-45 deg its main lobe runs past the +-60 deg of SCG's grid."""
    wide = coarray_model(GEOMETRY.positions_m, CARRIER_HZ, -90.0, 90.0, model.grid_deg[1] - model.grid_deg[0])
    rows = [
        "| source (deg) | data | DBF HPBW (deg) | DBF peak error (deg) "
        "| SCG HPBW (deg) | SCG peak error (deg) | SCG peaks >= half max |",
        "|---|---|---|---|---|---|---|",
    ]
    for truth in BEAM_ANGLES_DEG:
        noisy = [
            covariance.sample_covariance(x)
            for x in snapshots(GEOMETRY, WAVELENGTH_M, [truth], SNR_DB, NUM_SNAPSHOTS, rng, draws)
        ]
        cases = {
            "noise-free": ([noisefree_covariance([truth])], False),
            f"{SNR_DB:.0f} dB, T = {NUM_SNAPSHOTS}, median of {draws}": (noisy, False),
            "same, noise floor removed": (noisy, True),
        }
        for label, (matrices, remove) in cases.items():
            spectra = np.array([model.spectrum(r, remove_noise_floor=remove) for r in matrices])
            sparse = scg.solve(spectra, factor=model.factor)[0]
            cells = []
            for spectra, grid in (
                (np.array([wide.spectrum(r) for r in matrices]), wide.grid_deg),
                (sparse, model.grid_deg),
            ):
                width = np.median([half_power_width_deg(s, grid) for s in spectra])
                error = np.median(np.abs(grid[spectra.argmax(axis=1)] - truth))
                cells += [f"{width:.2f}", f"{error:.2f}"]
            cells.append(f"{np.median([strong_peaks(s, model.grid_deg) for s in sparse]):g}")
            rows.append(f"| {truth:+.0f} | {label} | " + " | ".join(cells) + " |")
    return rows


def pair_table(model: CoarrayModel, rng: np.random.Generator) -> list[str]:
    grid = model.grid_deg
    rows = [
        f"| sources (deg) | data | DBF peaks (deg) | DBF both within {FOUND_WITHIN_DEG:g} deg "
        f"| SCG peaks (deg) | SCG both within {FOUND_WITHIN_DEG:g} deg |",
        "|---|---|---|---|---|---|",
    ]
    for pair in PAIRS_DEG:
        x = snapshots(GEOMETRY, WAVELENGTH_M, pair, SNR_DB, NUM_SNAPSHOTS, rng)[0]
        cases = {
            "noise-free": (noisefree_covariance(pair), False),
            f"{SNR_DB:.0f} dB, T = {NUM_SNAPSHOTS}": (covariance.sample_covariance(x), False),
            "same, noise floor removed": (covariance.sample_covariance(x), True),
        }
        for label, (matrix, remove) in cases.items():
            dbf = model.spectrum(matrix, remove_noise_floor=remove)
            cells = []
            for spectrum in (dbf, scg.solve(dbf, factor=model.factor)[0]):
                found = np.sort(grid[find_peaks(spectrum, grid, 2, min_separation_deg=2.0)])
                errors, missed = evaluation.matched_errors_deg(found, pair)
                both = missed == 0 and bool(np.all(errors <= FOUND_WITHIN_DEG))
                cells += [", ".join(f"{f:+.1f}" for f in found) or "none", "yes" if both else "no"]
            rows.append(f"| {pair[0]:+.0f}, {pair[1]:+.0f} | {label} | " + " | ".join(cells) + " |")
    return rows


def algorithm1_table(model: CoarrayModel) -> list[str]:
    """The paper's Algorithm 1 as printed against SCG, noise-free single sources."""
    grid = model.grid_deg
    rows = [
        "| source (deg) | Algorithm 1 peak error (deg) | Algorithm 1 HPBW (deg) | Algorithm 1 (ms) "
        "| SCG peak error (deg) | SCG HPBW (deg) | SCG (ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for truth in BEAM_ANGLES_DEG:
        b = model.spectrum(noisefree_covariance([truth]))
        cells = []
        for solve in (
            lambda x: scg.algorithm1_reference(x, factor=model.factor),
            lambda x: scg.solve(x, factor=model.factor)[0],
        ):
            eta = solve(b)
            error = abs(grid[np.argmax(eta)] - truth)
            cells += [
                f"{error:.2f}",
                f"{half_power_width_deg(eta, grid):.2f}",
                f"{median_ms(solve, [b]):.3f}",
            ]
        rows.append(f"| {truth:+.0f} | " + " | ".join(cells) + " |")
    return rows


def field_of_view_table(model: CoarrayModel) -> list[str]:
    """Noise-free SCG peak errors over the whole grid: one source at every grid angle, pairs 20 deg apart."""
    grid = model.grid_deg
    single = scg.solve(
        np.array([model.spectrum(noisefree_covariance([a])) for a in grid]), factor=model.factor
    )[0]
    single_error = np.abs(grid[single.argmax(axis=1)] - grid)
    firsts = np.arange(grid[0], grid[-1] - 20.0 + 1e-9, 0.5)
    pairs = np.column_stack([firsts, firsts + 20.0])
    sparse = scg.solve(
        np.array([model.spectrum(noisefree_covariance(p)) for p in pairs]), factor=model.factor
    )[0]
    pair_error = np.array(
        [
            np.max(evaluation.matched_errors_deg(grid[find_peaks(e, grid, 2, 2.0, include_ends=True)], p)[0])
            for e, p in zip(sparse, pairs, strict=True)
        ]
    )
    rows = ["| sources | within (deg) | max peak error (deg) |", "|---|---|---|"]
    for limit in (45.0, 58.0, 60.0):
        inside = np.abs(grid) <= limit + 1e-9
        rows.append(f"| one, every grid angle | +-{limit:g} | {single_error[inside].max():.2f} |")
    for limit in (45.0, 55.0, 60.0):
        inside = np.all(np.abs(pairs) <= limit + 1e-9, axis=1)
        rows.append(f"| two 20 deg apart, every 0.5 deg | +-{limit:g} | {pair_error[inside].max():.2f} |")
    return rows


def agreement_table(model: CoarrayModel, rng: np.random.Generator) -> list[str]:
    """Largest relative difference ||eta_kernel - eta_numpy|| / ||eta_numpy|| over a set of problems."""
    rows = ["| problems | options | max relative difference, kernel vs numpy |", "|---|---|---|"]
    spectra = random_spectra(model, rng, BATCH)
    spd = np.random.default_rng(120)  # the 60 x 60 system of tests/doa/test_scg.py
    factor = spd.standard_normal((60, 60))
    systems = {
        f"{BATCH} coarray DBF spectra at {SNR_DB:g} dB": ({"factor": model.factor}, spectra),
        "random full-rank 60 x 60 P (seed 120), 3 right-hand sides": (
            {"projection": factor.T @ factor},
            spd.standard_normal((3, 60)),
        ),
    }
    converged = scg.ScgOptions(cg_tol=1e-13, cg_iter=400)
    for label, (matrix, b) in systems.items():
        for name, options in (("default", scg.DEFAULT_OPTIONS), ("inner CG converged", converged)):
            kernel = scg.solve(b, options=options, **matrix)[0]
            reference = scg.scg_reference(b, options=options, **matrix)[0]
            difference = np.linalg.norm(kernel - reference, axis=-1) / np.linalg.norm(reference, axis=-1)
            rows.append(f"| {label} | {name} | {difference.max():.1e} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the random sources and noise (default 1)"
    )
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    model = full_model()
    models = {"[30, 60] deg": model.subregion(30.0, 60.0), "[-60, 60] deg": model}
    print(
        f"SCG with the default options {scg.DEFAULT_OPTIONS}; 4-element ULA, d = lambda/2, "
        f"{CARRIER_HZ / 1e9:g} GHz, rank(P) = {model.rank}; torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads\n"
    )
    print("\n".join(speed_table(models, rng)))
    print()
    print("\n".join(training_table(models, rng)))
    print()
    print("\n".join(beam_table(model, rng)))
    print()
    print("\n".join(pair_table(model, rng)))
    print()
    print("\n".join(algorithm1_table(model)))
    print()
    print("\n".join(field_of_view_table(model)))
    print()
    print("\n".join(agreement_table(model, rng)))


if __name__ == "__main__":
    main()
