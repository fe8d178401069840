"""Gain/phase self-calibration from the data on an 8-element ULA and a 16 x 16 URA: what the data
tell and what they cannot (issue 21, the self-calibration acceptance).

    .venv/bin/python tests/bench/self_calibration.py --array ula8 [--trials 200] [--population 30]
    .venv/bin/python tests/bench/self_calibration.py --array ura16 [--trials 50]

ula8: 8 half-wavelength elements at 2.4 GHz, three uncorrelated sources at -30, 5 and 40 deg,
channel gains of 1 dB and 10 deg standard deviation, 500 snapshots. ura16: the 16 x 16 URA at
28 GHz, three sources at (20, 30), (-35, -10) and (50, 5) deg, the IDL-TLBO paper's gain and
phase errors (0.5 dB, 0.5 rad), 512 snapshots. A new draw each trial, channel 0 the reference.

Prints a markdown table of MUSIC's RMSE on the ideal array, on the impaired array, after the
eigenstructure self-calibration (Weiss and Friedlander), with IDL-TLBO's gains, and of IDL-TLBO's
own bearings: as they are, and with each trial's common shift in direction cosines removed (the
shift that a linear phase trend across the array causes, which no self-calibration can find);
and MUSIC with IDL-TLBO's gains when the first source's bearing is known (a beacon), which fixes
that shift.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from gnuradio.bearing.array.coherence import corrected_covariance
from gnuradio.bearing.array.geometry import direction_vectors, steering_matrix, ula, ura, wavelength_m
from gnuradio.bearing.array.impairments import perturbation_spec
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.doa.idl_tlbo_estimator import DEFAULT_POPULATION, IdlTlboEstimator
from gnuradio.bearing.doa.planar import PlanarEstimator
from gnuradio.bearing.doa.self_calibration import eigenstructure_self_calibration, shifted_directions

ARRAYS = {
    "ula8": {
        "frequency_hz": 2.4e9,
        "truth": np.array([[-30.0, 5.0, 40.0], [0.0, 0.0, 0.0]]),
        "errors": perturbation_spec(1.0, 10.0, 0.0),
        "snapshots": 500,
    },
    "ura16": {
        "frequency_hz": 28e9,
        "truth": np.array([[20.0, -35.0, 50.0], [30.0, -10.0, 5.0]]),
        "errors": perturbation_spec(0.5, float(np.rad2deg(0.5)), 0.0),
        "snapshots": 512,
    },
}


def setup(name: str):
    """The geometry, wavelength and MUSIC estimator of an array of :data:`ARRAYS`."""
    wavelength = wavelength_m(ARRAYS[name]["frequency_hz"])
    if name == "ula8":
        geometry = ula(8, wavelength / 2)
        return geometry, wavelength, Estimator(geometry, wavelength, np.arange(-90.0, 90.05, 0.1), "music")
    geometry = ura(16, 16, wavelength / 2, wavelength / 2)
    grid = np.arange(-90.0, 90.1, 2.0)
    return geometry, wavelength, PlanarEstimator(geometry, wavelength, grid, grid, "music")


def directions(estimate, truth: np.ndarray) -> np.ndarray:
    """``(2, K)`` azimuths and elevations of an estimate, by ascending azimuth like ``truth``."""
    elevation = getattr(estimate, "elevation_deg", None)
    found = np.vstack([estimate.azimuth_deg, np.zeros(truth.shape[1]) if elevation is None else elevation])
    return found[:, np.argsort(found[0])]


def angle_errors(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Great-circle angles between found and true directions ``(K,)``, degrees."""
    cosine = np.sum(direction_vectors(*found) * direction_vectors(*truth), axis=1)
    return np.rad2deg(np.arccos(np.clip(cosine, -1.0, 1.0)))


def shift_removed(found: np.ndarray, truth: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``found`` moved by minus its mean offset from ``truth`` in direction cosines, within the
    array's aperture (the common shift a linear phase trend causes)."""
    offset = np.mean(direction_vectors(*found) - direction_vectors(*truth), axis=0)
    return np.vstack(shifted_directions(*found, -offset, positions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--array", choices=ARRAYS, default="ula8")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--snr-db", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--population", type=int, default=DEFAULT_POPULATION, help="IDL-TLBO's learners")
    args = parser.parse_args()
    spec = ARRAYS[args.array]
    geometry, wavelength, music = setup(args.array)
    truth, snapshots, errors_spec = spec["truth"], spec["snapshots"], spec["errors"]
    truth = truth[:, np.argsort(truth[0])]  # by ascending azimuth, as the estimates
    m, k = geometry.num_elements, truth.shape[1]
    a = steering_matrix(geometry.positions_m, truth[0], wavelength, truth[1])
    idl = IdlTlboEstimator(geometry, wavelength, errors_spec, population=args.population)
    rng = np.random.default_rng(args.seed)
    rows = (
        "ideal array",
        "impaired, uncalibrated",
        "eigenstructure self-calibration",
        "IDL-TLBO gains",
        "IDL-TLBO bearings",
        "IDL-TLBO gains, one bearing known",
    )
    errors: dict[str, list] = {row: [] for row in rows}
    relative: dict[str, list] = {row: [] for row in rows}
    seconds = []
    noise_std = np.sqrt(10 ** (-args.snr_db / 10))
    for _ in range(args.trials):
        gains = 10 ** (errors_spec.gain_std_db * rng.standard_normal(m) / 20) * np.exp(
            1j * np.deg2rad(errors_spec.phase_std_deg * rng.standard_normal(m))
        )
        gains /= gains[0]
        s, n = complex_normal(rng, (k, snapshots)), noise_std * complex_normal(rng, (m, snapshots))
        ideal, impaired = a @ s + n, gains[:, None] * (a @ s) + n
        r_ideal, r_impaired = (x @ x.conj().T / snapshots for x in (ideal, impaired))
        start = time.thread_time()
        joint = idl.estimate(r_impaired, snapshots, k)
        seconds.append(time.thread_time() - start)
        anchored = idl.estimate(r_impaired, snapshots, k, reference_deg=tuple(truth[:, 0]))
        found = {
            rows[0]: directions(music.estimate(r_ideal, k), truth),
            rows[1]: directions(music.estimate(r_impaired, k), truth),
            rows[2]: directions(eigenstructure_self_calibration(r_impaired, music, k), truth),
            rows[3]: directions(music.estimate(corrected_covariance(r_impaired, joint.gains), k), truth),
            rows[4]: directions(joint, truth),
            rows[5]: directions(music.estimate(corrected_covariance(r_impaired, anchored.gains), k), truth),
        }
        for row, directions_found in found.items():
            errors[row].append(angle_errors(directions_found, truth))
            relative[row].append(
                angle_errors(shift_removed(directions_found, truth, geometry.positions_m), truth)
            )
    print(
        f"{args.array}: {args.trials} trials, {args.snr_db:g} dB, {snapshots} snapshots, sources at "
        f"{truth.T.tolist()} deg; IDL-TLBO ({args.population} learners) {np.median(seconds):.2f} s CPU per "
        "estimate (median)\n"
    )
    print("| MUSIC on | RMSE (deg) | ratio to ideal | RMSE, common shift removed (deg) | ratio to ideal |")
    print("| --- | ---: | ---: | ---: | ---: |")
    ideal_raw, ideal_shifted = (
        np.sqrt(np.mean(np.array(values[rows[0]]) ** 2)) for values in (errors, relative)
    )
    for row in rows:
        raw, shifted = (np.sqrt(np.mean(np.array(values[row]) ** 2)) for values in (errors, relative))
        print(
            f"| {row} | {raw:.4f} | {raw / ideal_raw:.2f} | {shifted:.4f} | {shifted / ideal_shifted:.2f} |"
        )


if __name__ == "__main__":
    main()
