"""The argument parser of every `bearing` command: its errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

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
