"""Progress of a long replay on standard error (`bearing estimate`, `bearing evaluate`).

A line such as ``bearing: demo.sigmf-meta (music): 41% replayed, 25210 estimates, 1 min 12 s
left``
appears once a replay has run for :data:`FIRST_REPORT_S`. On a terminal it is rewritten in
place every second and erased at the end; elsewhere (``--progress always`` into a log) a new
line follows every :data:`LOG_INTERVAL_S`. Standard output, the contract, never carries it.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

PROGRESS_MODES = ("auto", "always", "never")
"""``--progress``: on a terminal (standard error) only, always, or never."""
POLL_S = 1.0
"""How often the progress thread wakes to read the replay's progress, seconds."""
FIRST_REPORT_S = 3.0
"""A replay shorter than this prints no progress."""
LOG_INTERVAL_S = 10.0
"""Seconds between progress lines when standard error is not a terminal."""


def add_progress_option(command: argparse.ArgumentParser) -> None:
    """``--progress`` of the commands that replay captures."""
    command.add_argument(
        "--progress",
        choices=PROGRESS_MODES,
        default="auto",
        help="progress of a replay longer than a few seconds on standard error: auto (when it is a "
        "terminal, the default), always (a line every 10 s into a log), never",
    )


def format_duration(seconds: float) -> str:
    """``"42 s"``, ``"3 min 05 s"`` or ``"2 h 07 min"``."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def progress_text(name: str, fraction: float, estimates: int, elapsed_s: float) -> str:
    """The progress line of a replay of ``name``: ``fraction`` (0 .. 1) done after ``elapsed_s``."""
    fraction = min(max(fraction, 0.0), 1.0)
    left = f", {format_duration(elapsed_s * (1 - fraction) / fraction)} left" if fraction > 0 else ""
    return f"bearing: {name}: {100 * fraction:.0f}% replayed, {estimates} estimates{left}"


@contextmanager
def replay_progress(
    name: str,
    fraction: Callable[[], float],
    estimates: Callable[[], int],
    mode: str = "auto",
    stream: TextIO | None = None,
) -> Iterator[None]:
    """Reports the progress of the replay run inside the ``with`` block on ``stream`` (standard
    error): ``fraction()`` of the capture replayed and ``estimates()`` made, read every :data:`POLL_S`
    from a daemon thread. ``mode``: one of :data:`PROGRESS_MODES`."""
    if mode not in PROGRESS_MODES:
        raise ValueError(f"progress: must be one of {', '.join(PROGRESS_MODES)}, got {mode!r}")
    stream = stream or sys.stderr
    terminal = stream.isatty()
    if mode == "never" or (mode == "auto" and not terminal):
        yield
        return
    done = threading.Event()
    began = time.monotonic()
    shown = [False]

    def report() -> None:
        last = 0.0
        while not done.wait(POLL_S):
            elapsed = time.monotonic() - began
            if elapsed < FIRST_REPORT_S or (not terminal and elapsed - last < LOG_INTERVAL_S):
                continue
            last = elapsed
            try:
                text = progress_text(name, fraction(), estimates(), elapsed)
            except Exception:  # a progress line is not worth a traceback: skip this one
                continue
            stream.write(f"\r\033[K{text}" if terminal else f"{text}\n")
            stream.flush()
            shown[0] = True

    thread = threading.Thread(target=report, name="bearing progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if terminal and shown[0]:
            stream.write("\r\033[K")
            stream.flush()
