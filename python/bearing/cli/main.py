"""The `bearing` command's entry point: :func:`main` parses the command line and runs the subcommand."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from gnuradio import gr

from ..captures.schema import CaptureError
from ..flowgraphs.live_sources import SourceError
from . import (
    bench,
    calibrate,
    estimate,
    evaluate,
    evaluate_positions,
    info,
    keys,
    live,
    locate,
    record,
    simulate,
    simulate_live,
    train,
    train_counter,
)
from .parser import BROKEN_PIPE_STATUS, INTERRUPTED_STATUS, CommandParser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs `bearing` with ``argv`` (None: the process's arguments); returns the exit status: 0, or
    2 after one line ``bearing: error: ...`` on standard error."""
    args = build_parser().parse_args(argv)
    if not args.verbose:
        # GNU Radio's own notices (buffer alignment, ...) would drown ours; see replay_options.replay.
        gr.logging().set_default_level(gr.log_levels.err)
    try:
        return args.run(args)
    except BrokenPipeError:  # the reader of standard output went away (`| head`): quietly, as Unix tools
        _silence_stdout()
        return BROKEN_PIPE_STATUS
    except KeyboardInterrupt:
        print("bearing: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS
    except (CaptureError, ValueError, OSError, SourceError) as error:
        print(f"bearing: error: {error}", file=sys.stderr)
        return 2
    except MemoryError as error:  # an array or a grid too large for this machine
        print(
            f"bearing: error: out of memory ({error or 'no detail'}): a smaller grid, window or array?",
            file=sys.stderr,
        )
        return 2
    except RecursionError:
        print("bearing: error: input nested too deeply", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Points standard output at /dev/null, so that Python's flush at exit finds no broken pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


DESCRIPTION = "The `bearing` command: simulate, inspect, estimate, evaluate captures; run live arrays; train MoD-DNN and source counters."  # noqa: E501 (one line of --help)
"""The first line of `bearing --help`."""

COMMANDS = (
    simulate,
    simulate_live,
    info,
    estimate,
    evaluate,
    live,
    record,
    calibrate,
    train,
    train_counter,
    bench,
    locate,
    evaluate_positions,
    keys,
)
"""The subcommands, in the order of `bearing --help`: each a module with ``add_parser`` and ``run``."""


def build_parser() -> argparse.ArgumentParser:
    """The `bearing` command line: the global options and one subparser per :data:`COMMANDS` module."""
    top = CommandParser(prog="bearing", description=DESCRIPTION)
    top.add_argument("-v", "--verbose", action="store_true", help="show GNU Radio's log on stderr")
    commands = top.add_subparsers(required=True, metavar="COMMAND", parser_class=CommandParser)
    for command in COMMANDS:
        command.add_parser(commands)
    return top
