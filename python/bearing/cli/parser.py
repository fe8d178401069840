"""The argument parser of every `bearing` command: its errors are one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import sys


class CommandParser(argparse.ArgumentParser):
    """argparse with the command's error format: one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"bearing: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)
