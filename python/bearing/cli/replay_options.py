"""The options that `bearing estimate` and `bearing evaluate` share, the replay settings they make,
and the replay they run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..captures.schema import Capture, CaptureError
from ..counting import counters
from ..doa.classical import CALIBRATED_MUSIC, DEFAULT_DIAGONAL_LOADING, check_diagonal_loading
from ..flowgraphs.replay import ReplayFlowgraph
from ..flowgraphs.settings import PER_ANNOTATION, ReplaySettings
from ..flowgraphs.station_publisher import PublishSettings
from ..validation import AUTO_SOURCES
from .parser import CommandParser, count_type
from .progress import replay_progress


def estimation_options() -> argparse.ArgumentParser:
    """The parent parser of the estimation options."""
    estimation = CommandParser(add_help=False)
    estimation.add_argument(
        "--sources",
        type=count_type(1, "a positive number of emitters or auto", {"auto": AUTO_SOURCES}),
        default=1,
        metavar="N|auto",
        help="number of emitters, or auto: counted in every window by --counter (default 1)",
    )
    estimation.add_argument(
        "--counter",
        choices=counters.METHODS,
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
        type=count_type(0, "a number of estimates >= 0 (0: no tracking)"),
        default=0,
        metavar="N",
        help="smooth the bearings into tracks with OMC-DOA; an emitter silent for N estimates is dropped "
        "(default 0: off)",
    )
    estimation.add_argument(
        "--average",
        type=count_type(
            1, "a positive number of snapshots or 'annotations'", {"annotations": PER_ANNOTATION}
        ),
        metavar="N|annotations",
        help="snapshots per estimate, windows back to back (default 1024); SRS occasions for an SRS "
        "capture (default 1); annotations: one estimate per annotation of the capture (a burst, a packet)",
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
        default=(None, None, None),
        metavar=("START", "STOP", "STEP"),
        help="azimuth grid in degrees (default: what the array resolves: a linear array's front "
        "half-plane, -90 90 for a ULA along y; -180 180 for a horizontal planar array; step 0.1, "
        "2 for 2-D)",
    )
    estimation.add_argument(
        "--elevation-grid",
        type=float,
        nargs=3,
        default=(None, None, None),
        metavar=("START", "STOP", "STEP"),
        help="elevation grid in degrees, for arrays that resolve elevation (default -90 90 2)",
    )
    estimation.add_argument(
        "--min-separation", type=float, default=2.0, help="minimum peak separation in degrees (default 2)"
    )
    estimation.add_argument(
        "--diagonal-loading",
        type=float,
        default=DEFAULT_DIAGONAL_LOADING,
        metavar="L",
        help=f"MVDR's relative diagonal loading, R + L trace(R)/M I (default {DEFAULT_DIAGONAL_LOADING:g}; "
        "nearly singular covariances of real arrays want more, e.g. 0.1)",
    )
    estimation.add_argument(
        "--calibration",
        default="",
        metavar="FILE",
        help="a calibration from bearing calibrate: the table (.npz) of --method calibrated-music, "
        "or a channel calibration (.json: --method idl-tlbo, or a live array's saved one) whose channel "
        "gains are removed from the samples before any other method",
    )
    estimation.add_argument(
        "--model",
        default="",
        metavar="MODEL",
        help="the model file of --method mod-dnn, from bearing train (default: the bundled model)",
    )
    return estimation


def replay_settings(args: argparse.Namespace, method: str) -> ReplaySettings:
    """The replay settings of the estimation options for ``method``."""
    _check_counter_options(args)
    kind = _check_calibration_option(args)
    start, stop, step = args.grid
    el_start, el_stop, el_step = args.elevation_grid
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
        elevation_start_deg=el_start,
        elevation_stop_deg=el_stop,
        elevation_step_deg=el_step,
        min_separation_deg=args.min_separation,
        model_path=args.model,
        calibration_path=args.calibration if kind == TABLE else "",
        channel_calibration_path=args.calibration if kind == CHANNEL else "",
        counter=args.counter or "mdl",
        counter_model=args.counter_model,
        track_drop_after=args.track,
        diagonal_loading=check_diagonal_loading(args.diagonal_loading),
    )


TABLE, CHANNEL = "table", "channel"
"""The kinds of ``--calibration`` file: the manifold table of calibrated MUSIC (``.npz``), or a
channel calibration (``.json``)."""


def calibration_kind(path: str) -> str:
    """:data:`TABLE` or :data:`CHANNEL`: by the suffix (``.npz``, ``.json``), else by the content
    (an ``.npz`` is a zip archive, a channel calibration a JSON object); ValueError when neither."""
    suffix = Path(path).suffix.lower()
    if suffix in (".npz", ".json"):
        return TABLE if suffix == ".npz" else CHANNEL
    try:
        with open(path, "rb") as file:
            head = file.read(1 << 20)
    except OSError as error:
        raise ValueError(f"--calibration {path}: cannot read it ({error.strerror})") from None
    if head.startswith(b"PK"):
        return TABLE
    try:
        if isinstance(json.loads(head), dict):
            return CHANNEL
    except ValueError:
        pass
    raise ValueError(
        f"--calibration {path}: neither a calibration table (.npz) nor a channel calibration (.json)"
    )


def _check_calibration_option(args: argparse.Namespace) -> str:
    """The kind of ``--calibration`` (empty: none): a table goes with ``--method calibrated-music``
    and nothing else; a channel calibration with any other method, in a replay (`bearing live`
    takes it as ``--calibrate file:PATH``)."""
    methods = [m.strip() for m in str(args.method).split(",")]
    if CALIBRATED_MUSIC in methods and not args.calibration:
        raise ValueError(
            f"--method {CALIBRATED_MUSIC}: give the array's calibration table with --calibration "
            "(bearing calibrate CAPTURE --out TABLE.npz)"
        )
    if not args.calibration:
        return ""
    kind = calibration_kind(args.calibration)
    if kind == TABLE and CALIBRATED_MUSIC not in methods:
        raise ValueError(
            f"--calibration: the table of --method {CALIBRATED_MUSIC}, got --method {args.method} "
            f"({args.calibration} is a calibration table; a channel calibration, .json from bearing "
            "calibrate --method idl-tlbo, applies to the other methods)"
        )
    if kind == CHANNEL and CALIBRATED_MUSIC in methods:
        raise ValueError(
            f"--calibration {args.calibration}: a channel calibration, which --method {CALIBRATED_MUSIC} "
            "does not take: it needs the calibration table (.npz) of bearing calibrate --method manifold"
        )
    if kind == CHANNEL and hasattr(args, "calibrate"):  # bearing live: the calibrator's file mode
        raise ValueError(
            f"--calibration {args.calibration}: a channel calibration; bearing live applies one with "
            f"--calibrate file:{args.calibration}"
        )
    return kind


def _check_counter_options(args: argparse.Namespace) -> None:
    """``--counter`` and ``--counter-model`` only mean something with ``--sources auto``."""
    for option, value in (("--counter", args.counter), ("--counter-model", args.counter_model)):
        if value and args.sources != AUTO_SOURCES:
            raise ValueError(f"{option}: counts the sources of --sources auto, got --sources {args.sources}")


def replay(
    capture: str,
    settings: ReplaySettings,
    json_path: str = "",
    keep_spectra: bool = False,
    recording: Capture | None = None,
    progress: str = "never",
    publish: PublishSettings | None = None,
) -> ReplayFlowgraph:
    """Runs the replay flowgraph on the capture at path ``capture`` (``recording``: that capture,
    already read), with its progress on stderr (``progress``: a ``--progress`` mode); windows it
    had to skip are summed up on stderr. ``publish``: send the estimates to ZeroMQ too."""
    flowgraph = ReplayFlowgraph(
        recording or capture, settings, json_path=json_path, keep_spectra=keep_spectra, publish=publish
    )
    for warning in flowgraph.warnings:
        print(f"bearing: warning: {capture}: {warning}", file=sys.stderr)
    source = flowgraph.source

    def estimates() -> int:
        return sum(chain.sink.written for chain in flowgraph.chains)

    name = f"{capture} ({settings.method})"
    with replay_progress(name, lambda: source.replayed_fraction, estimates, progress):
        flowgraph.run()
    if any(chain.sink.pipe_closed for chain in flowgraph.chains):
        raise BrokenPipeError("standard output closed")
    if flowgraph.source.error:
        raise CaptureError(flowgraph.source.error)
    average = flowgraph.settings.average
    skipped = (
        (flowgraph.dropped_windows, "windows dropped: NaN, infinite or all-zero samples"),
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
    if average != PER_ANNOTATION and longest < average:
        print(
            f"bearing: warning: {capture}: no window of {average} samples fits in a capture "
            f"segment (the longest holds {longest}); lower --average",
            file=sys.stderr,
        )
    return flowgraph
