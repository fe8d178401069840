"""`bearing train-counter`: a learned source counter (dnn, cnn1d, fcnn) from simulated covariances."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from ..counting.eigen import LEARNED_METHODS
from .train import epoch_printer, print_summary


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    # Defaults of None fall back to counter_training's; torch is imported by _train_counter only.
    counter = commands.add_parser(
        "train-counter", help="train a source counter (dnn, cnn1d, fcnn) on simulated covariances"
    )
    counter.add_argument("--method", required=True, choices=LEARNED_METHODS, help="the counter")
    counter.add_argument(
        "--elements", required=True, type=int, metavar="M", help="array elements (eigenvalues)"
    )
    counter.add_argument(
        "--max-sources", required=True, type=int, metavar="K", help="largest count, 1 .. M-1"
    )
    counter.add_argument("--out", required=True, metavar="MODEL", help="the model file to write (.pt)")
    counter.add_argument(
        "--json", action="store_true", help="one JSON object per epoch and a summary object on stdout"
    )
    counter.add_argument("--examples", type=int, metavar="N", help="simulated covariances (default 50000)")
    counter.add_argument("--epochs", type=int, help="most epochs (default 200 for dnn, 60 otherwise)")
    counter.add_argument(
        "--seed", type=int, default=0, help="seeds the data, split, weights and batches (default 0)"
    )
    counter.add_argument("--snr-min-db", type=float, help="lowest training SNR per element, dB (default -20)")
    counter.add_argument("--snr-max-db", type=float, help="highest training SNR per element, dB (default 30)")
    counter.add_argument("--snapshots", type=int, metavar="T", help="snapshots per covariance (default 200)")
    counter.add_argument(
        "--power-spread-db",
        type=float,
        metavar="DB",
        help="each source's SNR within +- half of this of the example's SNR, dB (default 6; 0: equal powers)",
    )
    counter.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Simulates covariances, trains a source counter, writes it, prints the summary (docs/cli.md)."""
    from ..counting import models as counter_models
    from ..counting import training as counter_training
    from ..learned.training import stage_summary

    started = time.perf_counter()
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    options = dataclasses.replace(counter_training.TRAINING_OPTIONS[args.method], seed=args.seed, **epochs)
    config = counter_models.CounterConfig(args.method, args.elements, args.max_sources)
    default_low, default_high = counter_training.DEFAULT_SNR_RANGE_DB
    low = default_low if args.snr_min_db is None else args.snr_min_db
    high = default_high if args.snr_max_db is None else args.snr_max_db
    snapshots = counter_training.DEFAULT_SNAPSHOTS if args.snapshots is None else args.snapshots
    examples = counter_training.DEFAULT_EXAMPLES if args.examples is None else args.examples
    scene = counter_training.SceneSettings()
    if args.power_spread_db is not None:
        scene = dataclasses.replace(scene, power_spread_db=args.power_spread_db)
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"{out}: is a directory, not a file to write")
    out.parent.mkdir(parents=True, exist_ok=True)
    data, test = (
        counter_training.simulate_training_set(
            args.elements, args.max_sources, count, seed, snapshots, (low, high), scene
        )
        for count, seed in ((examples, args.seed), (max(2, examples // 10), args.seed + 1))
    )
    simulate_seconds = time.perf_counter() - started
    print(
        f"simulated {examples} + {test.num_sources.size} covariances ({args.elements} elements, "
        f"0 .. {args.max_sources} sources, {snapshots} snapshots, SNR {low:g} .. {high:g} dB, "
        f"power spread {scene.power_spread_db:g} dB) "
        f"in {simulate_seconds:.1f} s; training",
        file=sys.stderr,
    )

    counter = counter_training.train_counter(config, data, options, epoch_printer(args.json, options.epochs))
    counter_models.save(counter, out)
    (stage,) = stage_summary(counter.history)
    loss = stage["best_val_loss"]
    print_summary(
        {
            "method": args.method,
            "elements": args.elements,
            "max_sources": args.max_sources,
            "snapshots": snapshots,
            "snr_db": f"{low:g} .. {high:g}",
            "power_spread_db": f"{scene.power_spread_db:g}",
            "examples": examples,
            "epochs": stage["epochs"],
            "best_epoch": stage["best_epoch"] if args.json else stage["best_epoch"] or "-",
            "best_val_loss": loss if args.json else "-" if loss is None else f"{loss:.4e}",
            "test_examples": int(test.num_sources.size),
            "test_accuracy": round(float(counter_training.counting_accuracy(counter, test)), 4),
            "simulate_seconds": round(simulate_seconds, 3),
            "seconds": round(time.perf_counter() - started, 3),
            "model": str(out),
        },
        args.json,
    )
    return 0
