"""Benchmark: the MoD-DNN accuracy study (Liu et al., ACM TOSN 2025, Figs. 1c, 4a-g, 5c, Table 4).

Run from the repository root after `make install` (the full run takes about 15 minutes on 2 cores):

    .venv/bin/python tests/bench/mod_dnn_accuracy.py [--quick] [--out DIR] [--seed N]

the same as `bearing bench accuracy`. Writes the PNGs and the Markdown tables (tables.md, every
table; summary.md, the acceptance figures) into --out (default build/bench/mod-dnn/) and prints
the tables (docs/mod-dnn.md records the latest run). The study itself, its setting and its
choices: :mod:`gnuradio.bearing.studies.accuracy`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gnuradio.bearing.studies import accuracy as accuracy_study


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (``--quick``, ``--out DIR``, ``--seed N``), run the study, write and print it."""
    return accuracy_study.main(argv, prog=".venv/bin/python tests/bench/mod_dnn_accuracy.py")


if __name__ == "__main__":
    sys.exit(main())
