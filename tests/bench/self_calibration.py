"""Gain/phase self-calibration (doa/self_calibration.py) on an 8-element ULA: what the data tell
and what they cannot (issue 21, the self-calibration acceptance).

    .venv/bin/python tests/bench/self_calibration.py [--trials 200] [--snr-db 20] [--snapshots 500]

Three uncorrelated sources at -30, 5 and 40 deg, channel gains with 1 dB and 10 deg standard
deviations (a new draw each trial, channel 0 the reference). Prints a markdown table of MUSIC's
RMSE on the ideal array, on the impaired array, and after the eigenstructure self-calibration:
of the bearings as they are, and with each trial's common shift in sin(azimuth) removed (the
shift that a linear phase trend across the array causes, which no self-calibration can find);
and the common shift that the phase errors' linear trend predicts.
"""

from __future__ import annotations

import argparse

import numpy as np
from gnuradio.bearing.array.geometry import steering_matrix, ula, wavelength_m
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.doa.self_calibration import eigenstructure_self_calibration

TRUTH_DEG = np.array([-30.0, 5.0, 40.0])
GAIN_STD_DB, PHASE_STD_DEG = 1.0, 10.0


def shift_removed(errors_deg: np.ndarray) -> np.ndarray:
    """Errors ``(trials, K)`` with each trial's mean error in sin(azimuth) removed, degrees."""
    truth = np.sin(np.deg2rad(TRUTH_DEG))
    du = np.sin(np.deg2rad(TRUTH_DEG + errors_deg)) - truth
    return np.rad2deg(np.arcsin(truth + du - du.mean(axis=1, keepdims=True))) - TRUTH_DEG


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--snr-db", type=float, default=20.0)
    parser.add_argument("--snapshots", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    wavelength = wavelength_m(2.4e9)
    geometry = ula(8, wavelength / 2)
    music = Estimator(geometry, wavelength, np.arange(-90.0, 90.05, 0.1), "music")
    a = steering_matrix(geometry.positions_m, TRUTH_DEG, wavelength)
    rng = np.random.default_rng(args.seed)
    errors: dict[str, list] = {
        "ideal array": [],
        "impaired, uncalibrated": [],
        "impaired, self-calibrated": [],
    }
    noise_std = np.sqrt(10 ** (-args.snr_db / 10))
    for _ in range(args.trials):
        gains = 10 ** (GAIN_STD_DB * rng.standard_normal(8) / 20) * np.exp(
            1j * np.deg2rad(PHASE_STD_DEG * rng.standard_normal(8))
        )
        gains /= gains[0]
        s = complex_normal(rng, (3, args.snapshots))
        n = noise_std * complex_normal(rng, (8, args.snapshots))
        ideal, impaired = a @ s + n, gains[:, None] * (a @ s) + n
        r_ideal, r_impaired = (x @ x.conj().T / args.snapshots for x in (ideal, impaired))
        errors["ideal array"].append(np.sort(music.estimate(r_ideal, 3).azimuth_deg) - TRUTH_DEG)
        errors["impaired, uncalibrated"].append(
            np.sort(music.estimate(r_impaired, 3).azimuth_deg) - TRUTH_DEG
        )
        calibrated = eigenstructure_self_calibration(r_impaired, music, 3)
        errors["impaired, self-calibrated"].append(calibrated.azimuth_deg - TRUTH_DEG)
    ideal_rmse = None
    print(
        f"{args.trials} trials, {args.snr_db:g} dB, {args.snapshots} snapshots, sources at {TRUTH_DEG} deg\n"
    )
    print("| MUSIC on | RMSE (deg) | RMSE, common shift removed (deg) | ratio to the ideal array's |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in errors.items():
        e = np.array(values)
        raw, relative = np.sqrt(np.mean(e**2)), np.sqrt(np.mean(shift_removed(e) ** 2))
        ideal_rmse = ideal_rmse or relative
        print(f"| {name} | {raw:.4f} | {relative:.4f} | {relative / ideal_rmse:.2f} |")
    slope = np.deg2rad(PHASE_STD_DEG) * np.sqrt(12 / (8 * (8**2 - 1)))
    print(
        f"\nthe phase errors' linear trend: {slope:.4f} rad per element (std), a common shift of "
        f"{slope / np.pi:.4f} in sin(azimuth), {np.rad2deg(slope / np.pi):.2f} deg at broadside"
    )


if __name__ == "__main__":
    main()
