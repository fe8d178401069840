"""Benchmark: accuracy of 2-D MUSIC and ESPRIT against the azimuth-elevation CRB, on captures
written without gr-bearing's writer.

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/planar_accuracy.py [--trials 100] [--seed 1]

Each array is a URA in the y-z plane whose elements are listed column by column (as the SigMF
spatial extension's examples list them, not as :func:`~gnuradio.bearing.array.geometry.ura`
does), half a wavelength apart: 4 x 4 at 2.4 GHz and 16 x 16 at 28 GHz (the IDL-TLBO paper's).
One recording per array holds ``--trials`` segments of 256 snapshots from one emitter at
azimuth 20, elevation 30 deg, 20 dB SNR per element (``tests/helpers/independent_captures.py``);
the replay flowgraph estimates one bearing per segment with its default 2-D search (front
half-space, 2-degree grid, peaks refined off the grid). The table gives the RMS error in
azimuth and elevation, the square root of the stochastic CRB
(:func:`~gnuradio.bearing.doa.crb.stochastic_crb_az_el`) and their ratio, and the largest error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from gnuradio.bearing.array.geometry import ArrayGeometry, wavelength_m
from gnuradio.bearing.doa.crb import stochastic_crb_az_el
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.independent_captures import Emitter, ura_column_by_column, write_recording

TRUTH_DEG = (20.0, 30.0)
SNR_DB = 20.0
NUM_SNAPSHOTS = 256
ARRAYS = (("URA 4 x 4", 4, 2.4e9), ("URA 16 x 16", 16, 28e9))
METHODS = ("music", "esprit")


def crb_deg(positions_m: np.ndarray, frequency_hz: float) -> tuple[float, float]:
    """Square roots of the CRB of azimuth and elevation (degrees) for one unit-power emitter."""
    bound = stochastic_crb_az_el(
        ArrayGeometry(positions_m),
        wavelength_m(frequency_hz),
        [TRUTH_DEG[0]],
        [TRUTH_DEG[1]],
        np.eye(1),
        10.0 ** (-SNR_DB / 10.0),
        NUM_SNAPSHOTS,
    )
    return float(np.sqrt(bound[0, 0])), float(np.sqrt(bound[1, 1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="segments (estimates) per array")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(
        f"emitter at ({TRUTH_DEG[0]:g}, {TRUTH_DEG[1]:g}) deg, {SNR_DB:g} dB, {NUM_SNAPSHOTS} snapshots, "
        f"{args.trials} trials"
    )
    header = (
        "| array | method | RMS az (deg) | RMS el (deg) | sqrt CRB az | sqrt CRB el "
        "| RMS/CRB az | RMS/CRB el | max error (deg) | time (s) |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    with tempfile.TemporaryDirectory() as folder:
        for name, size, frequency_hz in ARRAYS:
            positions = ura_column_by_column(size, wavelength_m(frequency_hz) / 2.0)
            emitters = [
                Emitter(TRUTH_DEG[0], NUM_SNAPSHOTS, SNR_DB, elevation_deg=TRUTH_DEG[1])
                for _ in range(args.trials)
            ]
            path = write_recording(
                Path(folder) / f"ura{size}", positions, frequency_hz, emitters, seed=args.seed
            )
            bound = crb_deg(positions, frequency_hz)
            for method in METHODS:
                start = time.perf_counter()
                flowgraph = ReplayFlowgraph(str(path), ReplaySettings(method=method, average=NUM_SNAPSHOTS))
                flowgraph.run()
                elapsed = time.perf_counter() - start
                estimates = np.array(
                    [[r["azimuth_deg"][0], r["elevation_deg"][0]] for r in flowgraph.records],
                    dtype=np.float64,
                )
                errors = estimates - np.array(TRUTH_DEG)
                rms = np.sqrt(np.mean(errors**2, axis=0))
                print(
                    f"| {name} | {method} | {rms[0]:.4f} | {rms[1]:.4f} | {bound[0]:.4f} | {bound[1]:.4f} "
                    f"| {rms[0] / bound[0]:.2f} | {rms[1] / bound[1]:.2f} | {np.abs(errors).max():.4f} "
                    f"| {elapsed:.1f} |"
                )


if __name__ == "__main__":
    main()
