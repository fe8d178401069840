"""Benchmark: accuracy against the Cramer-Rao bound on captures written without gr-bearing's
writer, as others write them (``tests/helpers/independent_captures.py``: the SigMF spatial
extension's examples, the samples written with numpy).

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/independent_accuracy.py [--trials 100] [--seed 1]

1. **ULA listed along +y** (element 0 on the right: the reverse of
   :func:`~gnuradio.bearing.array.geometry.ula`), 8 elements, half a wavelength at 2.4 GHz;
   one emitter at a time at -40, -10, 10, 40 deg, 10 dB SNR per element, ``--trials``
   windows of 64 snapshots each. MUSIC, root-MUSIC and ESPRIT through the replay flowgraph;
   the table gives RMS error / sqrt(CRB) (:func:`~gnuradio.bearing.doa.crb.stochastic_crb`)
   per emitter.
2. **URA in the y-z plane listed column by column**, half a wavelength: 4 x 4 at 2.4 GHz and
   16 x 16 at 28 GHz (the IDL-TLBO paper's); ``--trials`` segments of 256 snapshots from one
   emitter at azimuth 20, elevation 30 deg, 20 dB, each estimated with the replay's default
   2-D search (front half-space, 2-degree grid, peaks refined off the grid) by 2-D MUSIC and
   2-D unitary ESPRIT. The table gives the RMS error in azimuth and elevation, the square root
   of the stochastic CRB (:func:`~gnuradio.bearing.doa.crb.stochastic_crb_az_el`), their ratio
   and the largest error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gnuradio.bearing.array.geometry import ArrayGeometry, wavelength_m
from gnuradio.bearing.doa.crb import stochastic_crb, stochastic_crb_az_el
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.independent_captures import Emitter, ula_along_plus_y, ura_column_by_column, write_recording

ULA_CARRIER_HZ = 2.4e9
ULA_TRUTHS_DEG = (-40.0, -10.0, 10.0, 40.0)
ULA_SNR_DB = 10.0
ULA_SNAPSHOTS = 64
ULA_METHODS = ("music", "root-music", "esprit")

URA_TRUTH_DEG = (20.0, 30.0)
URA_SNR_DB = 20.0
URA_SNAPSHOTS = 256
URAS = (("URA 4 x 4", 4, 2.4e9), ("URA 16 x 16", 16, 28e9))
URA_METHODS = ("music", "esprit")


def replay(path: Path, method: str, snapshots: int) -> tuple[list[dict], float]:
    """The records of one replay and its duration in seconds."""
    start = time.perf_counter()
    flowgraph = ReplayFlowgraph(str(path), ReplaySettings(method=method, average=snapshots))
    flowgraph.run()
    return flowgraph.records, time.perf_counter() - start


def ula_table(folder: Path, trials: int, seed: int) -> None:
    wavelength = wavelength_m(ULA_CARRIER_HZ)
    positions = ula_along_plus_y(8, wavelength / 2.0)
    emitters = [Emitter(truth, ULA_SNAPSHOTS * trials, ULA_SNR_DB) for truth in ULA_TRUTHS_DEG]
    path = write_recording(folder / "ula_plus_y", positions, ULA_CARRIER_HZ, emitters, seed=seed)
    noise_power = 10.0 ** (-ULA_SNR_DB / 10.0)
    geometry = ArrayGeometry(positions)
    bound = {
        truth: float(
            np.sqrt(stochastic_crb(geometry, wavelength, truth, [1.0], noise_power, ULA_SNAPSHOTS)[0, 0])
        )
        for truth in ULA_TRUTHS_DEG
    }
    print(
        f"ULA of 8 listed along +y, 2.4 GHz, {ULA_SNR_DB:g} dB, {ULA_SNAPSHOTS} snapshots, {trials} windows "
        "per emitter: RMS error / sqrt(CRB)"
    )
    print("| method | " + " | ".join(f"{truth:g} deg" for truth in ULA_TRUTHS_DEG) + " | time (s) |")
    print("|---|" + "---|" * (len(ULA_TRUTHS_DEG) + 1))
    for method in ULA_METHODS:
        records, elapsed = replay(path, method, ULA_SNAPSHOTS)
        ratios = []
        for truth in ULA_TRUTHS_DEG:
            errors = [r["azimuth_deg"][0] - truth for r in records if r["truth_azimuth_deg"] == [truth]]
            ratios.append(float(np.sqrt(np.mean(np.square(errors)))) / bound[truth])
        print(f"| {method} | " + " | ".join(f"{ratio:.2f}" for ratio in ratios) + f" | {elapsed:.1f} |")
    print()


def ura_bound_deg(positions_m: np.ndarray, frequency_hz: float) -> tuple[float, float]:
    """Square roots of the CRB of azimuth and elevation (degrees) for one unit-power emitter."""
    bound = stochastic_crb_az_el(
        ArrayGeometry(positions_m),
        wavelength_m(frequency_hz),
        [URA_TRUTH_DEG[0]],
        [URA_TRUTH_DEG[1]],
        np.eye(1),
        10.0 ** (-URA_SNR_DB / 10.0),
        URA_SNAPSHOTS,
    )
    return float(np.sqrt(bound[0, 0])), float(np.sqrt(bound[1, 1]))


def ura_table(folder: Path, trials: int, seed: int) -> None:
    print(
        f"URAs in the y-z plane listed column by column, emitter at ({URA_TRUTH_DEG[0]:g}, "
        f"{URA_TRUTH_DEG[1]:g}) deg, {URA_SNR_DB:g} dB, {URA_SNAPSHOTS} snapshots, {trials} trials"
    )
    header = (
        "| array | method | RMS az (deg) | RMS el (deg) | sqrt CRB az | sqrt CRB el "
        "| RMS/CRB az | RMS/CRB el | max error (deg) | time (s) |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    for name, size, frequency_hz in URAS:
        positions = ura_column_by_column(size, wavelength_m(frequency_hz) / 2.0)
        emitters = [
            Emitter(URA_TRUTH_DEG[0], URA_SNAPSHOTS, URA_SNR_DB, elevation_deg=URA_TRUTH_DEG[1])
            for _ in range(trials)
        ]
        path = write_recording(folder / f"ura{size}", positions, frequency_hz, emitters, seed=seed)
        bound = ura_bound_deg(positions, frequency_hz)
        for method in URA_METHODS:
            records, elapsed = replay(path, method, URA_SNAPSHOTS)
            estimates = np.array([[r["azimuth_deg"][0], r["elevation_deg"][0]] for r in records])
            errors = estimates - np.array(URA_TRUTH_DEG)
            rms = np.sqrt(np.mean(errors**2, axis=0))
            print(
                f"| {name} | {method} | {rms[0]:.4f} | {rms[1]:.4f} | {bound[0]:.4f} | {bound[1]:.4f} "
                f"| {rms[0] / bound[0]:.2f} | {rms[1] / bound[1]:.2f} | {np.abs(errors).max():.4f} "
                f"| {elapsed:.1f} |"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="estimates per emitter and array")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        ula_table(Path(folder), args.trials, args.seed)
        ura_table(Path(folder), args.trials, args.seed)


if __name__ == "__main__":
    main()
