"""The argument parser of every `bearing` command: its errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Callable
from pathlib import Path

BROKEN_PIPE_STATUS = 128 + signal.SIGPIPE
"""Exit status when standard output's reader went away: a Unix tool killed by SIGPIPE."""
INTERRUPTED_STATUS = 128 + signal.SIGINT
"""Exit status after Ctrl-C: a Unix tool killed by SIGINT."""


class CommandParser(argparse.ArgumentParser):
    """argparse with the command's error format: one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"bearing: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def count_type(minimum: int, expected: str, words: dict[str, int] | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer of at least ``minimum``, or one of ``words`` (the value it
    stands for); anything else is the error ``expected EXPECTED, got 'TEXT'``."""

    def parse(text: str) -> int:
        if words and text in words:
            return words[text]
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


def numbers_type(
    counts: tuple[int, ...], expected: str, check: Callable[[tuple[float, ...]], bool] = lambda values: True
) -> Callable[[str], tuple[float, ...]]:
    """An argparse ``type``: comma-separated finite numbers, as many as one of ``counts``, that
    pass ``check``; anything else is the error ``expected EXPECTED, got 'TEXT'``."""

    def parse(text: str) -> tuple[float, ...]:
        try:
            values = tuple(float(part) for part in text.split(","))
        except ValueError:
            values = ()
        if len(values) not in counts or not all(math.isfinite(v) for v in values) or not check(values):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return values

    return parse


def check_folder_of(option: str, path: str) -> None:
    """ValueError naming ``option`` when the folder that would hold ``path`` does not exist
    (checked before anything runs, so that no work is lost at the end)."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise ValueError(f"{option} {path}: the folder {folder} does not exist")
