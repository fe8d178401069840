"""The IDL-TLBO paper's Table 4 alone, with the source's amplitude of one's choice.

    OMP_NUM_THREADS=1 .venv/bin/python tests/bench/idl_tlbo_table4.py [--trials 200] [--amplitude unit]

The point of `bearing bench idl-tlbo` at (70, 4) deg, 10 dB per element, one snapshot, on the
16 x 16 URA with the paper's perturbations (gnuradio.bearing.studies.idl_tlbo.run_point), with
``--amplitude unit`` (unit modulus at a uniform phase: every trial at the nominal 10 dB) or
``gaussian`` (the study's: a circular Gaussian amplitude, whose single snapshot fades). Prints the
acceptance rows, Table 4 and Table 5 (run time) in Markdown, as the study does.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import numpy as np
from gnuradio.bearing.studies import idl_tlbo as study
from gnuradio.bearing.studies.report import markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--amplitude", choices=study.AMPLITUDES, default="unit")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = dataclasses.replace(
        study.StudyConfig(seed=args.seed),
        snr_db=(study.StudyConfig.table_snr_db,),
        sides=(),
        snapshots=(),
        table_trials=args.trials,
        amplitude=args.amplitude,
    )
    point = study.run_point(
        config, config.side, config.table_snr_db, 1, args.trials, np.random.SeedSequence(args.seed)
    )
    results = study.StudyResults(config, snr={config.table_snr_db: point})
    print(
        f"Table 4, {args.trials} trials, amplitude {args.amplitude}, seed {args.seed}; "
        f"load average {os.getloadavg()[0]:.2f}\n"
    )
    acceptance = [[w, f, "yes" if h else "NO"] for w, f, h in study.acceptance(results)]
    print("\n".join(markdown_table(["point", "figures", "held"], acceptance)), end="\n\n")
    print("\n".join(markdown_table(*study.table4_rows(results))), end="\n\n")
    print("\n".join(markdown_table(*study.run_time_rows(results))))


if __name__ == "__main__":
    main()
