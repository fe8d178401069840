"""`bearing info`: what a capture holds."""

from __future__ import annotations

import argparse
import json

from ..captures.reader import read_capture


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    info = commands.add_parser("info", help="describe a SigMF capture")
    info.add_argument("capture")
    info.add_argument("--json", action="store_true", help="one JSON object instead of text")
    info.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    capture = read_capture(args.capture)
    summary = {
        "capture": str(capture.meta_path),
        "datatype": capture.datatype,
        "num_channels": capture.num_channels,
        "num_samples": capture.num_samples,
        "sample_rate_hz": capture.sample_rate_hz,
        "frequency_hz": capture.frequency_hz,
        "num_segments": len(capture.segments),
        "num_annotations": len(capture.truths),
        "element_positions_m": capture.geometry.positions_m.tolist(),
        "annotated_azimuth_deg": sorted({t.azimuth_deg for t in capture.truths}),
    }
    if args.json:
        print(json.dumps(summary, allow_nan=False))
        return 0
    for key, value in summary.items():
        if key == "annotated_azimuth_deg" and value:
            value = f"{len(value)} distinct, {min(value):.1f} .. {max(value):.1f}"
        print(f"{key:22s} {value}")
    return 0
