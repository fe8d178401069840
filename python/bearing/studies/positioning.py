"""`bearing bench positioning`: position fixes from several stations' bearings against the position CRB.

Two points. **The static point** (docs/positioning.md): three stations 120 degrees apart on a circle of
``radius_m`` (100 m) about one emitter, each an ideal 4-element half-wavelength ULA turned so
that the emitter lies ``offset_deg`` off its boresight (the stations do not point at it
exactly), ``snapshots`` circular Gaussian snapshots at ``snr_db`` (10 dB) per element. Each
station's bearing is MUSIC's (refined peak); its standard deviation in the fix is the
stochastic CRB of that array at that SNR and snapshot count
(:func:`~gnuradio.bearing.doa.crb.stochastic_crb`). The fix is
:func:`~gnuradio.bearing.positioning.triangulation.solve_fix`; the bound beside it is the
position CRB of those bearing variances
(:func:`~gnuradio.bearing.positioning.triangulation.position_crb`).

**The three-gNB point** (``--srs``): the scene ``scene_three_gnbs``
(:func:`~gnuradio.bearing.positioning.scene.three_gnbs_scene`: three gNBs with the MoD-DNN
paper's impaired 4-element arrays, each its own realisation, two UEs walking, 5G SRS). Each
gNB's MoD-DNN model is trained from the calibration sweep of its own array
(:meth:`~gnuradio.bearing.positioning.scene.Scene.calibration_scenario`) by ``bearing train
--subregion-overlap 6`` (run as a user runs it; :data:`TRAINING_OVERLAP_DEG`); every gNB's capture
is replayed with MUSIC and with its MoD-DNN model (one estimate per SRS occasion), the
bearings fused (one epoch per occasion) and the fixes scored against the UEs' paths
(:mod:`~gnuradio.bearing.positioning.evaluation`).
Estimation math in float64.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..array.geometry import steering_matrix, ula, wavelength_m
from ..array.signals import complex_normal
from ..doa.classical import Estimator
from ..doa.crb import stochastic_crb
from ..flowgraphs.settings import ReplaySettings
from ..flowgraphs.station_replay import replay_stations
from ..nr import simulator as srs_simulator
from ..positioning.evaluation import SUMMARY_KEYS, Truth, score_fixes
from ..positioning.frames import true_bearing_deg
from ..positioning.fusion import FusionEngine, FusionSettings
from ..positioning.scene import Scene, three_gnbs_scene
from ..positioning.triangulation import Lines, position_crb, solve_fix
from .report import markdown_table, progress

FREQUENCY_HZ = 2.4e9
NUM_ELEMENTS = 4
TRAINING_OVERLAP_DEG = 6.0
"""``bearing train --subregion-overlap`` of the three-gNB point: with the default 3 deg a UE within 0.7 deg
of a subregion edge was often routed to the branch whose grid ends about 3 deg away, and that
branch's calibrated peak slid to the end (errors up to 3.1 deg with the 0.25 deg sweep;
docs/positioning.md)."""


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


def three_gnbs_point(out: Path, scene: Scene | None = None) -> dict[str, dict]:
    """Runs the three-gNB point (module docstring) in the folder ``out`` (the scene, the
    calibration sweeps, the models and the fixes are left there); returns each method's
    summary over all fixes (``SUMMARY_KEYS``)."""
    scene = scene or three_gnbs_scene()
    progress(f"positioning: simulating the scene ({len(scene.stations)} gNBs) into {out / 'scene'}")
    scene.write(out / "scene")
    models = out / "models"
    for index, station in enumerate(scene.stations):
        calibration = out / "calibration" / station.station_id
        calibration.parent.mkdir(parents=True, exist_ok=True)
        progress(f"positioning: {station.station_id}: calibration sweep and `bearing train`")
        srs_simulator.write(srs_simulator.simulate(scene.calibration_scenario(index)), calibration)
        train = [
            str(Path(sys.prefix) / "bin" / "bearing"),
            "train",
            "--captures",
            f"{calibration}.sigmf-meta",
            "--subregion-overlap",
            str(TRAINING_OVERLAP_DEG),
            "--out",
            str(models / f"{station.station_id}.pt"),
            "--json",
        ]
        subprocess.run(train, check=True, stdout=subprocess.DEVNULL)
    truth = Truth.from_dict(scene.truth())
    results = {}
    for method in ("music", "mod-dnn"):
        reports, count = replay_stations(
            out / "scene",
            ReplaySettings(method=method),
            progress=lambda line: progress(f"positioning: {line}"),
            models=models if method == "mod-dnn" else None,
        )
        engine = FusionEngine(
            FusionSettings(fix_interval_s=scene.srs_period_s, expected_stations=count, origin=scene.origin)
        )
        for report in reports:
            engine.add(report)
        engine.flush()
        fixes = list(engine.fixes)
        (out / f"fixes-{method}.jsonl").write_text("".join(json.dumps(f) + "\n" for f in fixes))
        results[method] = score_fixes(fixes, truth)["all"]
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bearing bench positioning", description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500, help="trials of the static point (default 500)")
    parser.add_argument("--snr-db", type=float, default=10.0, help="SNR per element, dB (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--srs", action="store_true", help="also the three-gNB point (5G SRS, MoD-DNN against MUSIC)"
    )
    parser.add_argument(
        "--out", default="build/bench/positioning", help="--srs: its folder (default build/bench/positioning)"
    )
    args = parser.parse_args(argv)
    if args.srs:
        results = three_gnbs_point(Path(args.out))
        rows = [(method, *(results[method][k] for k in SUMMARY_KEYS)) for method in results]
        print("\n".join(markdown_table(("method", *SUMMARY_KEYS), rows)))
        print(f"\nMUSIC p80 / MoD-DNN p80: {results['music']['p80_m'] / results['mod-dnn']['p80_m']:.2f}\n")
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
