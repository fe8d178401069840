"""The argument parser of every `bearing` command: its errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import signal
import sys

BROKEN_PIPE_STATUS = 128 + signal.SIGPIPE
"""Exit status when standard output's reader went away: a Unix tool killed by SIGPIPE."""
INTERRUPTED_STATUS = 128 + signal.SIGINT
"""Exit status after Ctrl-C: a Unix tool killed by SIGINT."""


class CommandParser(argparse.ArgumentParser):
    """argparse with the command's error format: one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"bearing: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)
