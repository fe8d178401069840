"""The options of the commands that read calibration captures (`bearing train`, `bearing
calibrate`) and the note they print."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .parser import count_type

if TYPE_CHECKING:
    from ..learned.calibration import CalibrationSet


MAX_CALIBRATION_WINDOWS = 32768
"""The default of ``--max-windows``: read_calibration's ``MAX_WINDOWS`` (a test keeps them equal;
the parser does not import it, which would load GNU Radio and torch before ``--help``)."""


def add_max_windows_option(command: argparse.ArgumentParser) -> None:
    """``--max-windows`` of the commands that read calibration captures (`train`, `calibrate`)."""
    command.add_argument(
        "--max-windows",
        default=MAX_CALIBRATION_WINDOWS,
        metavar="N",
        type=count_type(2, "an integer of at least 2"),
        help=f"most windows read, spread evenly over the captures: the memory of narrowband captures "
        f"is bounded by N, not by their size (at least 2; default {MAX_CALIBRATION_WINDOWS})",
    )


def warn_left_out(calibration: CalibrationSet) -> None:
    """One line on stderr when the captures held more windows than ``--max-windows``."""
    if calibration.windows_left_out:
        total = calibration.num_windows + calibration.windows_left_out
        print(
            f"bearing: note: {total} windows of the captures hold a ground truth; "
            f"{calibration.num_windows} of them, spread evenly, are read (--max-windows)",
            file=sys.stderr,
        )
