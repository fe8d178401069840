"""`bearing bench`: the studies (accuracy, counting, h2ad), each a module of
:mod:`~gnuradio.bearing.studies`."""

from __future__ import annotations

import argparse

STUDIES = ("accuracy", "counting", "h2ad", "idl-tlbo", "positioning")
"""The studies of `bearing bench`: each a module of :mod:`~gnuradio.bearing.studies` with ``main(argv)``."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    bench = commands.add_parser(
        "bench",
        help="benchmarks: accuracy (MoD-DNN, docs/mod-dnn.md), counting (source counters, "
        "docs/source-counting.md), h2ad (OMC-DOA, WGMD, WLMD, docs/omc-doa.md), idl-tlbo (IDL-TLBO, "
        "TLBO, l1-sparse, MUSIC on a perturbed URA, docs/idl-tlbo.md), positioning (fixes from "
        "three stations against the position CRB, docs/positioning.md)",
    )
    bench.add_argument(
        "study",
        choices=STUDIES,
        help="accuracy: the MoD-DNN study; counting: counting accuracy vs SNR; h2ad: H2AD DoA fusion; "
        "idl-tlbo: the IDL-TLBO paper's figures; positioning: multi-station fixes",
    )
    bench.add_argument(
        "options",
        nargs=argparse.REMAINDER,
        help="the study's options: --quick, --out DIR, --seed N (--trials N)",
    )
    bench.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Runs a study; its module (and torch) is imported only here (see the module for its options)."""
    import importlib

    module = args.study.replace("-", "_")
    return importlib.import_module(f"..studies.{module}", __package__).main(args.options)
