"""Shared pieces of the studies (``bearing bench ...``): their command line, Markdown tables,
figure panels, progress lines. Matplotlib is headless (:mod:`~gnuradio.bearing.plotting`); no torch, no
GNU Radio."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..plotting import plt


def progress(line: str) -> None:
    """A progress line on standard error (standard output carries the tables)."""
    print(line, file=sys.stderr, flush=True)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown table; floats with 3 decimals (4 below 0.1)."""

    def cell(value: object) -> str:
        if not isinstance(value, float):
            return str(value)
        return f"{value:.3f}" if abs(value) >= 0.1 else f"{value:.4f}"

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]


def decorate(
    panel: plt.Axes,
    xlabel: str,
    ylabel: str,
    title: str,
    xscale: str = "linear",
    yscale: str = "linear",
    legend: bool = True,
) -> None:
    """Scales, labels, title, grid and (if ``legend``) legend of one panel."""
    panel.set_xscale(xscale)
    panel.set_yscale(yscale)
    panel.set_xlabel(xlabel)
    panel.set_ylabel(ylabel)
    panel.set_title(title)
    panel.grid(True, which="both", alpha=0.3)
    if legend:
        panel.legend(fontsize="small")


def study_arguments(
    argv: Sequence[str] | None,
    prog: str,
    description: str,
    out_default: str,
    quick_help: str,
    trials_default: int | None = None,
    counts: Sequence[tuple[str, str]] = (),
) -> tuple[argparse.Namespace, str]:
    """The options of a study: ``--quick``, ``--trials N`` (when ``trials_default`` is given),
    ``--out DIR``, ``--seed N`` and one ``--NAME N`` (a positive count) per ``(NAME, help)`` of
    ``counts``; returns them and the command line they make (for the header of the study's
    tables: what to run to get the same numbers)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    if trials_default is not None:
        parser.add_argument(
            "--trials", type=_positive_int, metavar="N", help=f"trials per SNR (default {trials_default})"
        )
    parser.add_argument(
        "--out", default=out_default, help=f"folder of the PNGs and tables (default {out_default})"
    )
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0; see the tables' header)")
    for name, help_text in counts:
        parser.add_argument(f"--{name}", type=_positive_int, metavar="N", help=help_text)
    args = parser.parse_args(argv)
    given = [("trials", getattr(args, "trials", None))]
    given += [(name, getattr(args, name.replace("-", "_"))) for name, _ in counts]
    command = " ".join(
        [
            prog,
            *(["--quick"] if args.quick else []),
            *(f"--{name} {value}" for name, value in given if value is not None),
            "--out",
            args.out,
            "--seed",
            str(args.seed),
        ]
    )
    return args, command


def trials_study_main(
    argv: Sequence[str] | None,
    prog: str,
    module_doc: str,
    out_default: str,
    quick_help: str,
    config_class: Any,
    run_study: Callable[[Any], Any],
    write_report: Callable[[Any, str, str], str],
    counts: Sequence[tuple[str, str]] = (),
) -> int:
    """``main`` of a study with ``--trials`` (:func:`study_arguments`): ``config_class.quick(seed)``
    or ``config_class(seed=seed)``, a frozen dataclass whose ``trials`` (its default the option's)
    ``--trials`` replaces, as each ``--NAME`` of ``counts`` replaces its field ``NAME`` (dashes
    as underscores); runs it, writes the report into ``--out`` and prints its text."""
    args, command = study_arguments(
        argv, prog, module_doc.splitlines()[0], out_default, quick_help, config_class.trials, counts
    )
    config = config_class.quick(args.seed) if args.quick else config_class(seed=args.seed)
    for name in ["trials", *(name.replace("-", "_") for name, _ in counts)]:
        if getattr(args, name) is not None:
            config = dataclasses.replace(config, **{name: getattr(args, name)})
    print(write_report(run_study(config), args.out, command))
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
