"""Benchmark: the source-counting study (the H2AD paper, Deng, Bai, ..., Shu 2025, Fig. 8).

Run from the repository root after `make install` (the full run takes about 20 minutes on 2 cores):

    .venv/bin/python tests/bench/counting_accuracy.py [--quick] [--trials N] [--out DIR] [--seed N]

the same as `bearing bench counting`. Writes accuracy_vs_snr.png and tables.md (accuracy of MDL,
AIC, EDC, the enhanced DNN, the 1D-CNN and the FCNN against SNR, per count, on noise only, and
the paper's claims against them) into --out (default build/bench/counting/) and prints the
tables (docs/source-counting.md records the latest run). The study itself, its setting and its
choices: :mod:`gnuradio.bearing.studies.counting`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gnuradio.bearing.studies import counting as counting_study


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (``--quick``, ``--trials N``, ``--out DIR``, ``--seed N``), run, write and print."""
    return counting_study.main(argv, prog=".venv/bin/python tests/bench/counting_accuracy.py")


if __name__ == "__main__":
    sys.exit(main())
