"""The `bearing` command: simulate, inspect, estimate, evaluate captures; train MoD-DNN and source counters.

Its output is a contract users script against; docs/cli.md documents every field. Errors go
to standard error as one line ``bearing: error: ...`` with exit status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from gnuradio import gr

from . import evaluation, source_counting, srs_simulator
from .capture import CaptureError, read_capture
from .peaks import AUTO_SOURCES
from .replay import METHODS, ReplayFlowgraph, ReplaySettings
from .simulator import PRESETS, Scenario, simulate, write
from .source_counting import LEARNED_METHODS
from .srs_simulator import SRS_PRESETS, SrsScenario


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.verbose:
        # GNU Radio's own notices (buffer alignment, ...) would drown ours; see _replay.
        gr.logging().set_default_level(gr.log_levels.err)
    try:
        return args.run(args)
    except (CaptureError, ValueError, OSError) as error:
        print(f"bearing: error: {error}", file=sys.stderr)
        return 2


class _Parser(argparse.ArgumentParser):
    """argparse with the command's error format: one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"bearing: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bearing", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show GNU Radio's log on stderr")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    simulation = commands.add_parser("simulate", help="write a SigMF capture from a scenario")
    source = simulation.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", choices=sorted(PRESETS | SRS_PRESETS), help="a named scenario")
    source.add_argument(
        "--scenario", metavar="FILE.json", help='a scenario file (docs/simulator.md; with "ues": docs/srs.md)'
    )
    simulation.add_argument("--out", required=True, help="capture path (.sigmf-meta/.sigmf-data are added)")
    simulation.add_argument("--seed", type=int, help="override the scenario's master seed")
    simulation.add_argument("--rho", type=float, help="override the impairment degree (0 = ideal array)")
    simulation.add_argument("--snr-db", type=float, help="override the SNR of every emitter (or UE), dB")
    simulation.add_argument(
        "--continuous",
        action="store_true",
        help="SRS scenarios: store every sample, not only the SRS windows",
    )
    simulation.set_defaults(run=_simulate)

    info = commands.add_parser("info", help="describe a SigMF capture")
    info.add_argument("capture")
    info.add_argument("--json", action="store_true", help="one JSON object instead of text")
    info.set_defaults(run=_info)

    estimation = _Parser(add_help=False)
    estimation.add_argument(
        "--sources",
        type=_sources,
        default=1,
        metavar="N|auto",
        help="number of emitters, or auto: counted in every window by --counter (default 1)",
    )
    estimation.add_argument(
        "--counter",
        choices=source_counting.METHODS,
        help="source counting method of --sources auto (default mdl; docs/source-counting.md)",
    )
    estimation.add_argument(
        "--counter-model",
        default="",
        metavar="MODEL",
        help="model file of a learned --counter (dnn, cnn1d, fcnn; default: the bundled model "
        "for the array's size)",
    )
    estimation.add_argument(
        "--track",
        type=_drop_after,
        default=0,
        metavar="N",
        help="smooth the bearings into tracks with OMC-DOA; an emitter silent for N estimates is dropped "
        "(default 0: off)",
    )
    estimation.add_argument(
        "--average",
        type=int,
        help="snapshots per estimate, windows back to back (default 1024); "
        "SRS occasions for an SRS capture (default 1)",
    )
    estimation.add_argument(
        "--subcarriers",
        type=int,
        metavar="K",
        help="SRS captures: subcarriers per occasion, spread over the band; 0 takes all "
        "(default 16; mod-dnn: the model's)",
    )
    estimation.add_argument("--overlap", type=int, default=0, help="snapshots shared by consecutive windows")
    estimation.add_argument("--forward-backward", action="store_true", help="forward-backward averaging")
    estimation.add_argument(
        "--subarray", type=int, default=0, metavar="L", help="spatial smoothing with subarrays of L elements"
    )
    estimation.add_argument(
        "--grid",
        type=float,
        nargs=3,
        default=(-90.0, 90.0, 0.1),
        metavar=("START", "STOP", "STEP"),
        help="azimuth grid in degrees (default -90 90 0.1)",
    )
    estimation.add_argument(
        "--min-separation", type=float, default=2.0, help="minimum peak separation in degrees (default 2)"
    )
    estimation.add_argument(
        "--model",
        default="",
        metavar="MODEL",
        help="the model file of --method mod-dnn, from bearing train (default: the bundled model)",
    )

    estimate = commands.add_parser(
        "estimate", parents=[estimation], help="bearings of a capture, one estimate per window"
    )
    estimate.add_argument("capture")
    estimate.add_argument("--method", choices=METHODS, default="music")
    estimate.add_argument("--json", action="store_true", help="one JSON object per estimate and line")
    estimate.add_argument("--plot", metavar="PNG", help="write the spatial spectrum over time as a PNG")
    estimate.set_defaults(run=_estimate)

    evaluate = commands.add_parser(
        "evaluate", parents=[estimation], help="error statistics against the capture's annotations"
    )
    evaluate.add_argument("captures", nargs="+", metavar="CAPTURE")
    evaluate.add_argument(
        "--method", default="music", help=f"one or more of {', '.join(METHODS)}, comma separated"
    )
    evaluate.add_argument("--json", action="store_true", help="one JSON object per capture and method")
    evaluate.set_defaults(run=_evaluate)

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
        help="subregion edges, degrees (default -60 -30 0 30 60)",
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
    train.add_argument("--plot", metavar="PNG", help="the loss plot (default: MODEL with suffix .loss.png)")
    train.add_argument(
        "--json", action="store_true", help="one JSON object per epoch and a summary object on stdout"
    )
    train.set_defaults(run=_train)

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
    counter.set_defaults(run=_train_counter)

    bench = commands.add_parser(
        "bench",
        help="benchmarks: accuracy (MoD-DNN, docs/mod-dnn.md), counting (source counters, "
        "docs/source-counting.md), h2ad (OMC-DOA, WGMD, WLMD, docs/omc-doa.md)",
    )
    bench.add_argument(
        "study",
        choices=STUDIES,
        help="accuracy: the MoD-DNN study; counting: counting accuracy vs SNR; h2ad: H2AD DoA fusion",
    )
    bench.add_argument(
        "options",
        nargs=argparse.REMAINDER,
        help="the study's options: --quick, --out DIR, --seed N (--trials N)",
    )
    bench.set_defaults(run=_bench)
    return parser


def _settings(args: argparse.Namespace, method: str) -> ReplaySettings:
    _check_counter_options(args)
    start, stop, step = args.grid
    return ReplaySettings(
        method=method,
        num_sources=args.sources,
        average=args.average,
        num_subcarriers=args.subcarriers,
        overlap=args.overlap,
        forward_backward=args.forward_backward,
        subarray_length=args.subarray,
        grid_start_deg=start,
        grid_stop_deg=stop,
        grid_step_deg=step,
        min_separation_deg=args.min_separation,
        model_path=args.model,
        counter=args.counter or "mdl",
        counter_model=args.counter_model,
        track_drop_after=args.track,
    )


def _check_counter_options(args: argparse.Namespace) -> None:
    """``--counter`` and ``--counter-model`` only mean something with ``--sources auto``."""
    for option, value in (("--counter", args.counter), ("--counter-model", args.counter_model)):
        if value and args.sources != AUTO_SOURCES:
            raise ValueError(f"{option}: counts the sources of --sources auto, got --sources {args.sources}")


def _drop_after(text: str) -> int:
    """``--track``: silent estimates before a track is dropped, 0 for no tracking."""
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(
            f"expected a number of estimates >= 0 (0: no tracking), got {text!r}"
        )
    return count


def _sources(text: str) -> int:
    """``--sources``: a positive count, or ``auto`` (:data:`~gnuradio.bearing.peaks.AUTO_SOURCES`)."""
    if text == "auto":
        return AUTO_SOURCES
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of emitters or auto, got {text!r}")
    return count


def _replay(capture: str, settings: ReplaySettings, json_path: str = "", keep_spectra: bool = False):
    """Runs the replay flowgraph; windows it had to skip are summed up on stderr."""
    flowgraph = ReplayFlowgraph(capture, settings, json_path=json_path, keep_spectra=keep_spectra)
    flowgraph.run()
    average = flowgraph.settings.average
    skipped = (
        (flowgraph.dropped_windows, "windows dropped: NaN or infinite samples"),
        (flowgraph.failed_estimates, f"windows without a {settings.method} estimate"),
    )
    for count, what in skipped:
        if count:
            print(f"bearing: warning: {capture}: {count} {what} (details with --verbose)", file=sys.stderr)
    if flowgraph.extractor is not None:
        if not flowgraph.records:
            print(
                f"bearing: warning: {capture}: no UE has {average} SRS occasions for one estimate "
                f"({flowgraph.extractor.estimator.occasions} occasions in all); lower --average",
                file=sys.stderr,
            )
        return flowgraph
    longest = max(segment.sample_count for segment in flowgraph.source.capture.segments)
    if longest < average:
        print(
            f"bearing: warning: {capture}: no window of {average} samples fits in a capture "
            f"segment (the longest holds {longest}); lower --average",
            file=sys.stderr,
        )
    return flowgraph


def _simulate(args: argparse.Namespace) -> int:
    if args.preset:
        scenario = (PRESETS | SRS_PRESETS)[args.preset]()
    else:
        try:
            data = json.loads(Path(args.scenario).read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{args.scenario}: not valid JSON ({error})") from None
        is_srs = isinstance(data, dict) and "ues" in data
        scenario = SrsScenario.from_dict(data) if is_srs else Scenario.from_dict(data)
    scenario = _override(scenario, seed=args.seed, rho=args.rho, snr_db=args.snr_db)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(scenario, SrsScenario):
        if args.continuous:
            scenario = dataclasses.replace(scenario, continuous=True)
        print(srs_simulator.write(srs_simulator.simulate(scenario), out))
    elif args.continuous:
        raise ValueError("--continuous: only for SRS scenarios; narrowband scenarios store every sample")
    else:
        print(write(simulate(scenario), out))
    return 0


def _override(
    scenario: Scenario | SrsScenario, seed: int | None, rho: float | None, snr_db: float | None
) -> Scenario | SrsScenario:
    """The scenario with the command line's overrides applied (None keeps the scenario's value)."""
    changes: dict = {}
    if seed is not None:
        changes["seed"] = seed
    if rho is not None:
        changes["impairments"] = dataclasses.replace(scenario.impairments, rho=rho)
    if snr_db is not None:
        name = "ues" if isinstance(scenario, SrsScenario) else "emitters"
        changes[name] = tuple(dataclasses.replace(e, snr_db=snr_db) for e in getattr(scenario, name))
    return dataclasses.replace(scenario, **changes)


def _info(args: argparse.Namespace) -> int:
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


def _estimate(args: argparse.Namespace) -> int:
    settings = _settings(args, args.method)
    flowgraph = _replay(
        args.capture, settings, json_path="-" if args.json else "", keep_spectra=bool(args.plot)
    )
    if not args.json:
        _print_estimates(flowgraph.records)
    if args.plot:
        from .plotting import plot_spectrum_history

        average = flowgraph.settings.average
        title = f"{Path(args.capture).name}: {args.method}, {average} snapshots per estimate"
        path = plot_spectrum_history(
            flowgraph.spectra, flowgraph.grid_deg, flowgraph.records, args.plot, title
        )
        print(f"spatial spectrum written to {path}", file=sys.stderr)
    return 0


def _print_estimates(records: list[dict]) -> None:
    """One line per estimate; a ``ue`` column first when the capture is an SRS capture."""
    with_ue = any("ue" in record for record in records)
    print(
        ("   ue " if with_ue else "")
        + f"{'sample_start':>12} {'samples':>8}  {'azimuth_deg':<20} {'truth_deg':<20} {'error_deg':<12}"
    )
    for record in records:
        errors, _ = evaluation.matched_errors_deg(record["azimuth_deg"], record["truth_azimuth_deg"])
        print(
            (f"{record.get('ue', '-'):>5} " if with_ue else "")
            + f"{record['sample_start']:>12} {record['sample_count']:>8}  "
            f"{_angles(record['azimuth_deg']):<20} {_angles(record['truth_azimuth_deg']):<20} "
            f"{_angles(errors, precision=3):<12}"
        )


def _angles(values: Sequence[float], precision: int = 2) -> str:
    return ",".join(f"{v:.{precision}f}" for v in values) or "-"


def _evaluate(args: argparse.Namespace) -> int:
    methods = [m.strip() for m in args.method.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"unknown method {', '.join(unknown) or '(none)'}; choose from {', '.join(METHODS)}")
    rows = []
    for capture in args.captures:
        if not read_capture(capture).truths:
            raise ValueError(f"{capture}: the capture has no ground-truth annotations to evaluate against")
        for method in methods:
            flowgraph = _replay(capture, _settings(args, method))
            statistics = evaluation.error_statistics(flowgraph.records)
            row = {"capture": Path(capture).name, "method": method, "skipped": flowgraph.skipped_windows}
            rows.append(row | statistics)
    header = ("capture", "method", *evaluation.STATISTICS[:2], "skipped", *evaluation.STATISTICS[2:])
    if args.json:
        for row in rows:
            print(json.dumps({key: row[key] for key in header}, allow_nan=False))
        return 0
    width = max(len(row["capture"]) for row in rows)
    method_width = max(10, *(len(row["method"]) for row in rows))
    print(f"{header[0]:<{width}}  {header[1]:<{method_width}} " + " ".join(f"{h:>10}" for h in header[2:]))
    for row in rows:
        print(
            f"{row['capture']:<{width}}  {row['method']:<{method_width}} "
            + " ".join(_cell(row[h]) for h in header[2:])
        )
    return 0


def _cell(value: float | int | None) -> str:
    if value is None:
        return f"{'-':>10}"
    return f"{value:>10d}" if isinstance(value, int) else f"{value:>10.3f}"


def _train(args: argparse.Namespace) -> int:
    """Reads the calibration captures, trains, writes the model and the loss plot, prints the summary."""
    import numpy as np

    from . import mod_dnn
    from .autoencoder import DEFAULT_EDGES_DEG, check_edges, in_field_of_view
    from .calibration_data import read_calibration
    from .calibration_training import finite_or_none, model_config, progress_line, stage_summary
    from .coarray import DEFAULT_FIELD_OF_VIEW_DEG
    from .mod_dnn_training import TrainingOptions, train_mod_dnn
    from .plotting import plot_training_history

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
    edges = tuple(check_edges(args.edges or DEFAULT_EDGES_DEG).tolist())
    out = Path(args.out)
    plot = Path(args.plot) if args.plot else out.with_suffix(".loss.png")
    for path in (out, plot):
        if path.is_dir():
            raise ValueError(f"{path}: is a directory, not a file to write")
        path.parent.mkdir(parents=True, exist_ok=True)
    calibration = read_calibration(args.captures, args.subcarriers, args.snapshots_per_window)
    read_seconds = time.perf_counter() - started
    config = model_config(
        calibration,
        args.snapshots_per_window,
        edges_deg=edges,
        grid_deg=(edges[0], edges[-1], DEFAULT_FIELD_OF_VIEW_DEG[2]),
        calibrator=args.calibrator,
        shared_weights=args.shared_weights,
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

    def progress(row: dict) -> None:
        if args.json:
            values = {key: finite_or_none(row[key]) for key in ("train_loss", "val_loss")}
            print(json.dumps({"type": "epoch", **row, **values, "max_epochs": options.epochs}), flush=True)
        else:
            print(progress_line(row, options.epochs), file=sys.stderr, flush=True)

    model, history = train_mod_dnn(
        calibration.cfrs, calibration.azimuth_deg, calibration.window, config, options, progress
    )
    mod_dnn.save(model, out, history)
    title = f"MoD-DNN training: {calibration.num_items} {calibration.kind} items, {windows} windows"
    plot_training_history(history, plot, title)
    summary = {
        "type": "summary",
        "captures": list(args.captures),
        "kind": calibration.kind,
        "items": calibration.num_items,
        "windows": windows,
        "dropped_windows": calibration.dropped_windows,
        "dropped_without_truth": calibration.dropped_without_truth,
        "outside_field_of_view": outside,
        "stages": stage_summary(history),
        "read_seconds": round(read_seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
        "model": str(out),
        "plot": str(plot),
    }
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        _print_training_summary(summary)
    return 0


def _print_training_summary(summary: dict) -> None:
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


def _train_counter(args: argparse.Namespace) -> int:
    """Simulates covariances, trains a source counter, writes it, prints the summary (docs/cli.md)."""
    from . import counter_models, counter_training
    from .calibration_training import progress_line, stage_summary

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

    def progress(row: dict) -> None:
        print(progress_line(row, options.epochs), file=sys.stderr, flush=True)

    counter = counter_training.train_counter(config, data, options, progress)
    counter_models.save(counter, out)
    (stage,) = stage_summary(counter.history)
    loss = stage["best_val_loss"]
    _print_training_summary(
        {
            "method": args.method,
            "elements": args.elements,
            "max_sources": args.max_sources,
            "snapshots": snapshots,
            "snr_db": f"{low:g} .. {high:g}",
            "power_spread_db": f"{scene.power_spread_db:g}",
            "examples": examples,
            "epochs": stage["epochs"],
            "best_epoch": stage["best_epoch"] or "-",
            "best_val_loss": "-" if loss is None else f"{loss:.4e}",
            "test_examples": test.num_sources.size,
            "test_accuracy": f"{counter_training.counting_accuracy(counter, test):.4f}",
            "simulate_seconds": round(simulate_seconds, 3),
            "seconds": round(time.perf_counter() - started, 3),
            "model": str(out),
        }
    )
    return 0


STUDIES = ("accuracy", "counting", "h2ad")
"""The studies of `bearing bench`, each a module ``<name>_study`` with ``main(argv)``."""


def _bench(args: argparse.Namespace) -> int:
    """Runs a study; its module (and torch) is imported only here (see the module for its options)."""
    import importlib

    return importlib.import_module(f"{__package__}.{args.study}_study").main(args.options)
