"""``bearing bench accuracy``: run the study, write its figures and tables (:data:`TABLES`), print the
tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from ..report import study_arguments
from .figures import write_figures
from .run import StudyResults, run_study
from .setting import TITLE, TORCH_THREADS, StudyConfig
from .tables import header_lines, report_sections


def write_report(results: StudyResults, out: str | Path, command: str) -> str:
    """The figures and the Markdown tables (:data:`TABLES`) into ``out``; returns the tables' text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_figures(results, out)
    head = header_lines(results, command)
    sections = report_sections(results)
    text = "\n".join(head + [line for title, table in sections for line in (f"## {title}", "", *table, "")])
    (out / TABLES[0]).write_text(text)
    title, summary = sections[0]
    (out / TABLES[1]).write_text("\n".join([*head, f"## {title}", "", *summary, ""]))
    return text


def main(argv: Sequence[str] | None = None, prog: str = "bearing bench accuracy") -> int:
    """``bearing bench accuracy [--quick] [--out DIR] [--seed N]``: run, write and print the tables."""
    args, command = study_arguments(
        argv,
        prog,
        TITLE,
        out_default="build/bench/mod-dnn",
        quick_help="the small configuration (under a minute)",
    )
    config = StudyConfig.quick(args.seed) if args.quick else StudyConfig(seed=args.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)
    try:
        results = run_study(config)
        print(write_report(results, args.out, command))
    finally:
        torch.set_num_threads(threads)
    return 0


TABLES = ("tables.md", "summary.md")
"""The Markdown files :func:`write_report` writes: every table, and the summary alone."""
