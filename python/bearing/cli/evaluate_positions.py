"""`bearing evaluate-positions`: `bearing locate`'s fixes scored against a scene's truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..positioning.evaluation import SUMMARY_KEYS, Truth, score_fixes


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    evaluate = commands.add_parser(
        "evaluate-positions",
        help="score `bearing locate` fixes against a scene's truth",
        description="Score the fixes of `bearing locate` (JSON lines) against the truth of a scene "
        "(truth.json of `bearing simulate --preset scene_*`): RMSE, p50, p80, p95 of the horizontal error "
        "per emitter and over all, against the position CRB of the fixes (docs/positioning.md).",
    )
    evaluate.add_argument("fixes", metavar="FIXES.jsonl", help="the output of `bearing locate` (- for stdin)")
    evaluate.add_argument(
        "--truth", required=True, metavar="TRUTH", help="truth.json, or the scene folder holding it"
    )
    evaluate.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    evaluate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    truth_path = Path(args.truth)
    if truth_path.is_dir():
        truth_path = truth_path / "truth.json"
    try:
        truth = Truth.from_dict(json.loads(truth_path.read_text()))
    except json.JSONDecodeError as error:
        raise ValueError(f"{truth_path}: not JSON ({error})") from None
    text = Path("/dev/stdin").read_text() if args.fixes == "-" else Path(args.fixes).read_text()
    try:
        fixes = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise ValueError(f"{args.fixes}: not JSON lines ({error})") from None
    if not fixes:
        raise ValueError(f"{args.fixes}: no fix")
    summaries = score_fixes(fixes, truth)
    if args.json:
        print(json.dumps(summaries))
        return 0
    print("| emitter | " + " | ".join(SUMMARY_KEYS) + " |")
    print("|---" * (len(SUMMARY_KEYS) + 1) + "|")
    for name, summary in summaries.items():
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in (summary[k] for k in SUMMARY_KEYS)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0
