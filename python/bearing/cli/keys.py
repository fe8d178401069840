"""`bearing keys`: ZeroMQ CURVE keys for a `bearing locate --listen` beyond the loopback address."""

from __future__ import annotations

import argparse
from pathlib import Path

import zmq.auth

from ..flowgraphs.fusion_service import AUTHORIZED


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    keys = commands.add_parser(
        "keys",
        help="make CURVE keys for `bearing locate --curve-keys`",
        description="Make the fusion service's CURVE key pair in DIR (server.key, server.key_secret) "
        "and, with --station NAME, a station's key pair whose public key is authorised "
        "(DIR/authorized/NAME.key).",
    )
    keys.add_argument("dir", metavar="DIR")
    keys.add_argument("--station", metavar="NAME", help="make a station's key pair and authorise it")
    keys.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    (folder / AUTHORIZED).mkdir(parents=True, exist_ok=True)
    name = args.station or "server"
    if (folder / f"{name}.key_secret").exists():
        raise ValueError(f"{folder / (name + '.key_secret')} exists: keys are never overwritten")
    public, secret = zmq.auth.create_certificates(str(folder), name)
    if args.station:
        Path(public).rename(folder / AUTHORIZED / Path(public).name)
        print(
            f"station keys: {secret} (give it to the station); public key authorised in {folder / AUTHORIZED}"
        )
    else:
        print(f"server keys: {secret}; `bearing locate --listen ADDRESS --curve-keys {folder}`")
    return 0
