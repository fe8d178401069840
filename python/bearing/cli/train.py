"""`bearing train`: a MoD-DNN model from calibration captures."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .calibration_options import add_max_windows_option, warn_left_out
from .parser import INTERRUPTED_STATUS


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    # Defaults of None fall back to TrainingOptions' (the paper's); torch is imported by _train only.
    train = commands.add_parser("train", help="learn a MoD-DNN model from calibration captures")
    train.add_argument(
        "--captures", nargs="+", required=True, metavar="CAPTURE", help="calibration captures of one array"
    )
    train.add_argument("--out", required=True, metavar="MODEL", help="the model file to write (.pt)")
    train.add_argument("--epochs", type=int, help="most epochs per stage (default 60)")
    train.add_argument(
        "--lr", type=float, help="Adam's initial learning rate, halved every 10 epochs (default 0.01)"
    )
    train.add_argument("--batch-size", type=int, help="mini-batch size (default 64)")
    train.add_argument(
        "--validation", type=float, metavar="FRACTION", help="share of the windows held out (default 0.2)"
    )
    train.add_argument(
        "--patience",
        type=int,
        help="stop a stage after this many epochs without a better validation loss (default 30)",
    )
    train.add_argument(
        "--seed", type=int, help="seeds the split, initial weights and batch order (default 0)"
    )
    train.add_argument(
        "--subcarriers",
        type=int,
        default=16,
        metavar="K",
        help="SRS captures: pilots per item, spread over the band; 0 takes all (default 16)",
    )
    train.add_argument(
        "--snapshots-per-window",
        type=int,
        default=16,
        metavar="T",
        help="narrowband captures: snapshots per training window (default 16: many short windows "
        "teach MoDL-SSR more angles and noise draws than a few long ones)",
    )
    train.add_argument(
        "--edges",
        type=float,
        nargs="+",
        metavar="DEG",
        help="subregion edges, degrees (default: -60 -30 0 30 60 about a linear array's broadside; "
        "-180 .. 180 in 30 deg steps for a horizontal planar array such as a UCA)",
    )
    train.add_argument(
        "--subregion-overlap",
        type=float,
        metavar="DEG",
        help="each subregion's MoDL-SSR covers its subregion widened by DEG on either side, so "
        "that a source near an edge lies well inside the grid of either branch it is routed to "
        "(default 3)",
    )
    train.add_argument(
        "--calibrator",
        choices=("range", "cnn"),
        default="range",
        help="MoDL-SSR's calibrator (default range)",
    )
    train.add_argument(
        "--shared-weights", action="store_true", help="one autoencoder for every subcarrier (Autoencoder II)"
    )
    add_max_windows_option(train)
    train.add_argument("--plot", metavar="PNG", help="the loss plot (default: MODEL with suffix .loss.png)")
    train.add_argument(
        "--json", action="store_true", help="one JSON object per epoch and a summary object on stdout"
    )
    train.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="where the training is saved after every stage (default: MODEL with suffix .checkpoint.pt; "
        "removed when the model is written)",
    )
    train.add_argument(
        "--resume", action="store_true", help="continue the training saved in the checkpoint (after Ctrl-C)"
    )
    train.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Reads the calibration captures, trains, writes the model and the loss plot, prints the summary."""
    import numpy as np

    from ..array.field_of_view import field_of_view
    from ..array.geometry import ArrayGeometry
    from ..doa.coarray import DEFAULT_FIELD_OF_VIEW_DEG
    from ..flowgraphs.calibration_capture import read_calibration
    from ..learned import mod_dnn
    from ..learned.autoencoder import check_edges, default_edges_deg, in_field_of_view
    from ..learned.calibration import model_config
    from ..learned.mod_dnn_training import load_checkpoint, save_checkpoint, stage_names, train_mod_dnn
    from ..learned.training import TrainingOptions, stage_summary
    from ..plotting import plot_training_history

    started = time.perf_counter()
    given = {
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "validation_fraction": args.validation,
        "patience": args.patience,
        "seed": args.seed,
    }
    options = TrainingOptions(**{name: value for name, value in given.items() if value is not None})
    given_edges = None if args.edges is None else tuple(check_edges(args.edges).tolist())
    if args.subregion_overlap is not None and not 0 <= args.subregion_overlap <= 90:
        raise ValueError(f"--subregion-overlap: must be 0 .. 90 degrees, got {args.subregion_overlap:g}")
    out = Path(args.out)
    plot = Path(args.plot) if args.plot else out.with_suffix(".loss.png")
    for path in (out, plot):
        if path.is_dir():
            raise ValueError(f"{path}: is a directory, not a file to write")
        path.parent.mkdir(parents=True, exist_ok=True)
    calibration = read_calibration(
        args.captures, args.subcarriers, args.snapshots_per_window, args.max_windows
    )
    warn_left_out(calibration)
    read_seconds = time.perf_counter() - started
    own_edges = default_edges_deg(field_of_view(ArrayGeometry(calibration.positions_m)))  # refuses a URA
    edges = given_edges or own_edges
    config = model_config(
        calibration,
        args.snapshots_per_window,
        edges_deg=edges,
        grid_deg=(edges[0], edges[-1], DEFAULT_FIELD_OF_VIEW_DEG[2]),
        calibrator=args.calibrator,
        shared_weights=args.shared_weights,
        **({} if args.subregion_overlap is None else {"overlap_deg": args.subregion_overlap}),
    )
    windows = int(np.unique(calibration.window).size)
    outside = int(np.count_nonzero(~in_field_of_view(calibration.azimuth_deg, config.edges_deg)))
    for count, what in (
        (calibration.dropped_windows, "windows dropped: NaN or infinite samples (SRS: failed estimates)"),
        (calibration.dropped_without_truth, "items dropped: no ground-truth annotation"),
        (outside, f"items left out: outside the subregions {edges[0]:g} .. {edges[-1]:g} deg"),
    ):
        if count:
            print(f"bearing: warning: {count} {what}", file=sys.stderr)
    if not args.json:
        print(
            f"read {calibration.num_items} {calibration.kind} items in {windows} windows "
            f"({len(args.captures)} capture(s), {read_seconds:.1f} s); training",
            file=sys.stderr,
        )

    checkpoint = Path(args.checkpoint) if args.checkpoint else out.with_suffix(".checkpoint.pt")
    if args.resume and not checkpoint.is_file():
        raise ValueError(f"--resume: no checkpoint at {checkpoint} (--checkpoint names another?)")
    resume = load_checkpoint(checkpoint, config, options) if args.resume else None
    saved = [0 if resume is None else resume.stages_done]

    def save(done) -> None:
        save_checkpoint(checkpoint, config, options, done)
        saved[0] = done.stages_done

    try:
        model, history = train_mod_dnn(
            calibration.cfrs,
            calibration.azimuth_deg,
            calibration.window,
            config,
            options,
            epoch_printer(args.json, options.epochs, stage_names(config)),
            checkpoint=save,
            resume=resume,
            note=None if args.json else lambda line: print(line, file=sys.stderr, flush=True),
        )
    except KeyboardInterrupt:
        stages = len(stage_names(config))
        where = (
            f"are saved in {checkpoint}; continue with the same command and --resume"
            if saved[0]
            else "were done"
        )
        print(f"bearing: interrupted: {saved[0]} of {stages} training stages {where}", file=sys.stderr)
        return INTERRUPTED_STATUS
    mod_dnn.save(model, out, history)
    checkpoint.unlink(missing_ok=True)
    title = f"MoD-DNN training: {calibration.num_items} {calibration.kind} items, {windows} windows"
    plot_training_history(history, plot, title)
    summary = {
        "captures": list(args.captures),
        "kind": calibration.kind,
        "items": calibration.num_items,
        "windows": windows,
        "dropped_windows": calibration.dropped_windows,
        "dropped_without_truth": calibration.dropped_without_truth,
        "windows_left_out": calibration.windows_left_out,
        "outside_field_of_view": outside,
        "stages": stage_summary(history),
        "read_seconds": round(read_seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
        "model": str(out),
        "plot": str(plot),
    }
    print_summary(summary, args.json)
    return 0


def epoch_printer(
    json_output: bool, max_epochs: int, stages: list[str] | None = None
) -> Callable[[dict], None]:
    """The progress callback of a training: one JSON object per epoch on stdout
    (``{"type": "epoch", ...}``), or one progress line per epoch on stderr; with ``stages`` (the
    stage names in training order) the stage's number and the time left in all
    (:class:`~gnuradio.bearing.learned.training.TrainingClock`; JSON: ``stage_number``,
    ``stages``, ``all_left_s``)."""
    from ..learned.training import TrainingClock, finite_or_none, progress_line

    clock = TrainingClock(stages, max_epochs) if stages else None

    def progress(row: dict) -> None:
        overall = None if clock is None else clock.update(row)
        if json_output:
            values = {key: finite_or_none(row[key]) for key in ("train_loss", "val_loss")}
            if overall is not None:
                number, count, left_s = overall
                values |= {"stage_number": number, "stages": count, "all_left_s": round(left_s, 3)}
            print(json.dumps({"type": "epoch", **row, **values, "max_epochs": max_epochs}), flush=True)
        else:
            print(progress_line(row, max_epochs, overall), file=sys.stderr, flush=True)

    return progress


def print_summary(summary: dict, json_output: bool) -> None:
    """A training's summary: one JSON object (``"type": "summary"``) or the text of
    :func:`print_training_summary`."""
    if json_output:
        print(json.dumps({"type": "summary", **summary}, allow_nan=False))
    else:
        print_training_summary(summary)


def print_training_summary(summary: dict) -> None:
    """The summary of `bearing train` as text: ``key value`` lines, one ``capture`` line per
    capture, and a table of the stages (docs/cli.md)."""
    for key, value in summary.items():
        if key == "captures":
            for capture in value:
                print(f"{'capture':22s} {capture}")
        elif key == "stages":
            print(f"{'stage':22s} {'epochs':>6} {'best_epoch':>10} {'best_val_loss':>13}")
            for stage in value:
                loss = stage["best_val_loss"]
                print(
                    f"{stage['stage']:22s} {stage['epochs']:>6} {stage['best_epoch'] or '-':>10} "
                    + (f"{loss:>13.4e}" if loss is not None else f"{'-':>13}")
                )
        elif key != "type":
            print(f"{key:22s} {value}")
