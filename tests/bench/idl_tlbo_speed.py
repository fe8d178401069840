"""One IDL-TLBO estimate on the 16 x 16 URA, on one core: the run time of the paper's 100 iterations.

    .venv/bin/python tests/bench/idl_tlbo_speed.py [--estimates 20] [--population 30]

Table 4's setting (one source at azimuth 70, elevation 4 deg, 10 dB per element, one snapshot,
the paper's perturbations drawn anew for each estimate). BLAS and OpenMP are held to one thread
before numpy loads, so the figure is one core's. Prints a markdown table of the wall and CPU
seconds per estimate (median and maximum) for IDL-TLBO, plain TLBO and IDL-TLBO without the
closed-form gains (the paper-literal search of all 2M perturbation variables), the learners
evaluated, the median objective reached (lower: closer to the MAP point), the mean absolute
errors, and whether a second run with the same seed gives the same estimate. The machine is shared: run
it alone, and the figure measured under load says so (the load average is printed).
"""

from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from gnuradio.bearing.array.geometry import ura, wavelength_m  # noqa: E402
from gnuradio.bearing.array.impairments import (  # noqa: E402
    IDL_TLBO_PERTURBATION,
    array_response,
    draw_impairments,
)
from gnuradio.bearing.array.signals import complex_normal  # noqa: E402
from gnuradio.bearing.doa.idl_tlbo_estimator import IdlTlboEstimator  # noqa: E402

FREQUENCY_HZ = 28e9
ROWS = (
    ("idl-tlbo", "idl-tlbo", True),
    ("tlbo", "tlbo", True),
    ("idl-tlbo, no closed form (paper-literal search)", "idl-tlbo", False),
)
"""The optimisers timed: label, ``optimiser``, ``closed_form``."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimates", type=int, default=20)
    parser.add_argument("--population", type=int, default=30)
    parser.add_argument("--iterations", type=int, default=100)
    args = parser.parse_args()
    wavelength = wavelength_m(FREQUENCY_HZ)
    geometry = ura(16, 16, wavelength / 2, wavelength / 2)
    rng = np.random.default_rng(0)
    covariances = []
    for _ in range(args.estimates):
        impairments = draw_impairments(256, 1.0, rng, IDL_TLBO_PERTURBATION)
        a = array_response(geometry, 70.0, FREQUENCY_HZ, impairments, elevation_deg=4.0)[0, :, 0]
        y = a * complex_normal(rng, (1,))[0] + 0.1**0.5 * complex_normal(rng, (256,))
        covariances.append(np.outer(y, y.conj()))
    print(
        f"16 x 16 URA, one snapshot, {args.estimates} estimates, {args.population} learners, "
        f"{args.iterations} iterations, one thread; load average {os.getloadavg()[0]:.2f}\n"
    )
    print(
        "| optimiser | wall s median | wall s max | CPU s median | learners | objective median "
        "| MAE az, el (deg) | same seed, same result |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, optimiser, closed_form in ROWS:
        estimator = IdlTlboEstimator(
            geometry,
            wavelength,
            IDL_TLBO_PERTURBATION,
            population=args.population,
            iterations=args.iterations,
            seed=5,
            optimiser=optimiser,
            closed_form=closed_form,
        )
        wall, cpu, values, errors = [], [], [], []
        for r in covariances:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            estimate = estimator.estimate(r, 1, 1)
            wall.append(time.perf_counter() - start_wall)
            cpu.append(time.process_time() - start_cpu)
            values.append(estimate.value)
            errors.append(np.abs([estimate.azimuth_deg[0] - 70.0, estimate.elevation_deg[0] - 4.0]))
        again = estimator.estimate(covariances[-1], 1, 1)
        same = np.array_equal(again.azimuth_deg, estimate.azimuth_deg) and np.array_equal(
            again.gains, estimate.gains
        )
        mae = np.mean(errors, axis=0)
        print(
            f"| {label} | {np.median(wall):.3f} | {np.max(wall):.3f} | {np.median(cpu):.3f} | "
            f"{estimate.evaluations} | {np.median(values):.1f} | {mae[0]:.3f}, {mae[1]:.3f} | "
            f"{'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
