"""The installed `bearing` command, run in a subprocess as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BEARING = str(Path(sys.prefix) / "bin" / "bearing")
"""The venv's `bearing` entry point."""


def bearing(
    *args: object, check: bool = True, timeout_s: float = 300, input: str | None = None
) -> subprocess.CompletedProcess:
    """Runs ``bearing ARGS`` (``input`` on its stdin); with ``check``, an AssertionError holding its
    stderr if it fails."""
    result = subprocess.run(
        [BEARING, *map(str, args)], capture_output=True, text=True, timeout=timeout_s, input=input
    )
    if check and result.returncode != 0:
        raise AssertionError(f"bearing {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result
