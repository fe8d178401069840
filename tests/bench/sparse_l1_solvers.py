"""The l1-sparse baseline's solver: FISTA (doa/sparse_l1.py) against cvxpy, on the IDL-TLBO paper's
Table 4 setting.

    .venv/bin/python tests/bench/sparse_l1_solvers.py [--cvxpy none|real|complex|both] [--seed 0]

16 x 16 half-wavelength URA in the y-z plane at 28 GHz, one unit-modulus source (random phase) at
azimuth 70, elevation 4 deg, 10 dB per element, one snapshot; grid azimuth 60 .. 80 and
elevation -6 .. 14 deg in 0.5 deg steps (1681 directions); lambda = 0.1 lambda_max. Prints a
markdown table: each solver's wall and CPU seconds, objective, duality gap (FISTA) and peak.

cvxpy is not a dependency of the module (it pulls numpy 2, which breaks Debian's GNU Radio
bindings): to compare, install it apart, ``pip install --target DIR cvxpy clarabel``, and run with
``PYTHONPATH=DIR``. The machine is shared: the load average is printed with the table.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import numpy as np
from gnuradio.bearing.array.geometry import steering_matrix, ura, wavelength_m
from gnuradio.bearing.doa import sparse_l1

TOLERANCES = (1e-3, 1e-4, 1e-6)
"""FISTA's duality-gap tolerances compared (the default is 1e-4)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cvxpy", choices=("none", "real", "complex", "both"), default="none")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    wavelength = wavelength_m(28e9)
    positions = ura(16, 16, wavelength / 2, wavelength / 2).positions_m
    rng = np.random.default_rng(args.seed)
    steering = steering_matrix(positions, 70.0, wavelength, 4.0)[:, 0]
    noise = (rng.standard_normal(256) + 1j * rng.standard_normal(256)) / np.sqrt(2)
    y = steering * np.exp(2j * np.pi * rng.random()) + np.sqrt(0.1) * noise
    covariance = np.outer(y, y.conj())
    azimuth, elevation = np.arange(60.0, 80.0 + 1e-9, 0.5), np.arange(-6.0, 14.0 + 1e-9, 0.5)
    grid_az, grid_el = np.meshgrid(azimuth, elevation)
    a = steering_matrix(positions, grid_az.ravel(), wavelength, grid_el.ravel())
    data = sparse_l1.l1_svd_data(covariance, 1)
    lam = sparse_l1.DEFAULT_REGULARISATION * float(np.max(np.abs(a.conj().T @ data)))

    def objective(s: np.ndarray) -> float:
        return 0.5 * np.linalg.norm(data - a @ s) ** 2 + lam * float(np.sum(np.linalg.norm(s, axis=1)))

    def peak(s: np.ndarray) -> str:
        norms = np.linalg.norm(s, axis=1).reshape(grid_el.shape)
        i, j = np.unravel_index(np.argmax(norms), norms.shape)
        return f"({azimuth[j]:g}, {elevation[i]:g})"

    print(f"grid {elevation.size} x {azimuth.size} = {a.shape[1]} directions, load {os.getloadavg()[0]:.1f}")
    print("| solver | wall s | CPU s | objective | duality gap | peak (az, el) |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for tolerance in TOLERANCES:
        (wall, cpu), solution = _timed(
            lambda tolerance=tolerance: sparse_l1.solve_group_lasso(a, data, lam, 200_000, tolerance)
        )
        print(
            f"| FISTA, gap tolerance {tolerance:g} ({solution.iterations} iterations) | {wall:.2f} | "
            f"{cpu:.2f} | {solution.objective:.8f} | {solution.duality_gap:.1e} | "
            f"{peak(solution.coefficients)} |"
        )
    modes = {"none": (), "both": ("real", "complex")}.get(args.cvxpy, (args.cvxpy,))
    for mode in modes:
        (wall, cpu), s = _timed(lambda mode=mode: _cvxpy(mode, a, data[:, 0], lam))
        print(
            f"| cvxpy CLARABEL, {mode} form | {wall:.1f} | {cpu:.1f} | {objective(s):.8f} | - | {peak(s)} |"
        )


def _timed(function: Callable[[], object]) -> tuple[tuple[float, float], object]:
    """``function()`` and its wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return (time.perf_counter() - wall, time.process_time() - cpu), result


def _cvxpy(mode: str, a: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """The lasso ``0.5 ||y - a s||^2 + lam ||s||_1`` by cvxpy and CLARABEL: as written on a complex
    variable (``complex``), or on its real form, rows of an ``N x 2`` variable in second-order
    cones (``real``). Returns ``s`` as ``(N, 1)``."""
    import cvxpy as cp

    if mode == "complex":
        x = cp.Variable(a.shape[1], complex=True)
        cp.Problem(cp.Minimize(0.5 * cp.sum_squares(y - a @ x) + lam * cp.norm1(x))).solve(solver="CLARABEL")
        return x.value[:, None]
    real_a = np.block([[a.real, -a.imag], [a.imag, a.real]])
    real_y = np.concatenate([y.real, y.imag])
    x = cp.Variable((a.shape[1], 2))
    cost = 0.5 * cp.sum_squares(real_y - real_a @ cp.vec(x, order="F")) + lam * cp.sum(cp.norm(x, 2, axis=1))
    cp.Problem(cp.Minimize(cost)).solve(solver="CLARABEL")
    return (x.value[:, 0] + 1j * x.value[:, 1])[:, None]


if __name__ == "__main__":
    main()
