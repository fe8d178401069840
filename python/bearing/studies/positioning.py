"""`bearing bench positioning`: position fixes from several stations' bearings against the position CRB.

The static point of docs/positioning.md: three stations 120 degrees apart on a circle of
``radius_m`` (100 m) about one emitter, each an ideal 4-element half-wavelength ULA turned so
that the emitter lies ``offset_deg`` off its boresight (the stations do not point at it
exactly), ``snapshots`` circular Gaussian snapshots at ``snr_db`` (10 dB) per element. Each
station's bearing is MUSIC's (refined peak); its standard deviation in the fix is the
stochastic CRB of that array at that SNR and snapshot count
(:func:`~gnuradio.bearing.doa.crb.stochastic_crb`). The fix is
:func:`~gnuradio.bearing.positioning.triangulation.solve_fix`; the bound beside it is the
position CRB of those bearing variances
(:func:`~gnuradio.bearing.positioning.triangulation.position_crb`).
Estimation math in float64.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..array.geometry import steering_matrix, ula, wavelength_m
from ..array.signals import complex_normal
from ..doa.classical import Estimator
from ..doa.crb import stochastic_crb
from ..positioning.frames import true_bearing_deg
from ..positioning.triangulation import Lines, position_crb, solve_fix
from .report import markdown_table, progress

FREQUENCY_HZ = 2.4e9
NUM_ELEMENTS = 4


@dataclass(frozen=True)
class StaticResult:
    """The figures of the static point: metres, degrees, seconds."""

    trials: int
    fix_rmse_m: float
    crb_rmse_m: float
    p80_m: float
    p95_m: float
    bearing_rmse_deg: float
    bearing_crb_deg: float
    gdop: float
    fix_time_s: float

    @property
    def ratio(self) -> float:
        return self.fix_rmse_m / self.crb_rmse_m


def static_point(
    trials: int = 500,
    snr_db: float = 10.0,
    radius_m: float = 100.0,
    snapshots: int = 256,
    offset_deg: tuple[float, float, float] = (12.0, -25.0, 5.0),
    seed: int = 0,
) -> StaticResult:
    """Runs the static point (module docstring) over ``trials`` independent trials."""
    rng = np.random.default_rng(seed)
    wavelength = wavelength_m(FREQUENCY_HZ)
    geometry = ula(NUM_ELEMENTS, wavelength / 2.0)
    grid = np.arange(-90.0, 90.05, 0.1)
    estimator = Estimator(geometry, wavelength, grid, method="music")
    emitter = np.zeros(3)
    placement = np.deg2rad([0.0, 120.0, 240.0])
    stations = np.stack((radius_m * np.sin(placement), radius_m * np.cos(placement), np.zeros(3)), axis=1)
    true_azimuth, _ = true_bearing_deg(emitter - stations)
    local_azimuth = np.asarray(offset_deg, dtype=np.float64)
    heading = true_azimuth - local_azimuth
    power = 10.0 ** (snr_db / 10.0)
    crb_deg = np.array(
        [
            np.sqrt(stochastic_crb(geometry, wavelength, [az], [[power]], 1.0, snapshots)[0, 0])
            for az in local_azimuth
        ]
    )
    steering = [steering_matrix(geometry.positions_m, [az], wavelength) for az in local_azimuth]
    errors, bearing_errors, gdops, seconds = [], [], [], 0.0
    for _ in range(trials):
        measured = np.empty(3)
        for i, a in enumerate(steering):
            x = np.sqrt(power) * a @ complex_normal(rng, (1, snapshots)) + complex_normal(
                rng, (NUM_ELEMENTS, snapshots)
            )
            estimate = estimator.estimate(x @ x.conj().T / snapshots, 1)
            measured[i] = heading[i] + estimate.azimuth_deg[0]
        bearing_errors.append(np.angle(np.exp(1j * np.deg2rad(measured - true_azimuth))))
        start = time.perf_counter()
        fix = solve_fix(Lines.from_degrees(stations, measured, crb_deg))
        seconds += time.perf_counter() - start
        errors.append(np.linalg.norm(fix.position_enu[:2] - emitter[:2]))
        gdops.append(fix.gdop)
    lines = Lines.from_degrees(stations, true_azimuth, crb_deg)
    errors = np.asarray(errors)
    return StaticResult(
        trials=trials,
        fix_rmse_m=float(np.sqrt(np.mean(errors**2))),
        crb_rmse_m=float(np.sqrt(np.trace(position_crb(emitter, lines)))),
        p80_m=float(np.percentile(errors, 80)),
        p95_m=float(np.percentile(errors, 95)),
        bearing_rmse_deg=float(np.rad2deg(np.sqrt(np.mean(np.square(bearing_errors))))),
        bearing_crb_deg=float(np.sqrt(np.mean(crb_deg**2))),
        gdop=float(np.median(gdops)),
        fix_time_s=seconds / trials,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bearing bench positioning", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500, help="trials of the static point (default 500)")
    parser.add_argument("--snr-db", type=float, default=10.0, help="SNR per element, dB (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    progress(f"positioning: static point, {args.trials} trials")
    result = static_point(args.trials, args.snr_db, seed=args.seed)
    header = (
        "trials",
        "SNR dB",
        "bearing RMSE deg",
        "bearing CRB deg",
        "fix RMSE m",
        "position CRB m",
        "RMSE / CRB",
        "p80 m",
        "p95 m",
        "GDOP",
        "ms per fix",
    )
    row = (
        result.trials,
        args.snr_db,
        result.bearing_rmse_deg,
        result.bearing_crb_deg,
        result.fix_rmse_m,
        result.crb_rmse_m,
        result.ratio,
        result.p80_m,
        result.p95_m,
        result.gdop,
        1e3 * result.fix_time_s,
    )
    print("\n".join(markdown_table(header, [row])))
    return 0
