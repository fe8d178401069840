"""Benchmark: the H2AD DoA study, OMC-DOA against WGMD and WLMD (Deng et al. 2025, Figs. 9, 10, 11).

Run from the repository root after `make install` (the full run took 5.7 minutes on 2 shared cores):

    .venv/bin/python tests/bench/h2ad_accuracy.py [--quick] [--trials N] [--out DIR] [--seed N]

the same as `bearing bench h2ad`. Writes the PNGs and tables.md (acceptance, RMSE per source with
the CRLB, hit rates, run time against N) into --out (default build/bench/h2ad/) and prints the
tables (docs/omc-doa.md records the latest run). The study itself, its setting and its choices:
:mod:`gnuradio.bearing.studies.h2ad`.

One BLAS thread unless OPENBLAS_NUM_THREADS says otherwise: the study's matrices are at most
12 x 240, and on the shared 2-core machine a second BLAS thread made each trial twice as slow
(13 against 6 ms) by waiting for the other one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is loaded

from gnuradio.bearing.studies import h2ad as h2ad_study


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (``--quick``, ``--trials N``, ``--out DIR``, ``--seed N``), run, write, print."""
    return h2ad_study.main(argv, prog=".venv/bin/python tests/bench/h2ad_accuracy.py")


if __name__ == "__main__":
    sys.exit(main())
