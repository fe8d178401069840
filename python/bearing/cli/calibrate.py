"""`bearing calibrate`: what an array's receiver does to its signals, measured from captures.

* ``--method manifold`` (default): a calibration table of the array's measured steering vectors,
  from calibration captures (a sweep of one source at known bearings), for ``--method
  calibrated-music``; an ``.npz`` file.
* ``--method idl-tlbo``: the channel gains of the array (gain and phase per channel), from
  captures of ``--sources K`` emitters at unknown bearings (a self-calibration: no truth needed),
  estimated together with the bearings by IDL-TLBO (:mod:`~gnuradio.bearing.doa.idl_tlbo_estimator`)
  on the sample covariance of the captures; a channel-calibration file (JSON,
  :mod:`~gnuradio.bearing.array.channel_calibration`) that ``bearing estimate --calibration``
  applies before any method and the Coherence Calibrator loads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..array.channel_calibration import ChannelCalibration
from ..array.coherence import coherence
from ..array.covariance import sample_covariance
from ..array.geometry import ArrayGeometry, wavelength_m
from ..array.impairments import IDL_TLBO_PERTURBATION, perturbation_spec
from ..doa.calibrated_music import CalibrationTable, save_table
from ..doa.idl_tlbo_estimator import DEFAULT_ITERATIONS, DEFAULT_POPULATION, IdlTlboEstimator
from ..doa.search import search_grid
from .calibration_options import MAX_CALIBRATION_WINDOWS, add_max_windows_option, warn_left_out
from .parser import count_type, numbers_type

if TYPE_CHECKING:
    from ..captures.schema import Capture

MANIFOLD, IDL_TLBO = "manifold", "idl-tlbo"
CALIBRATION_METHODS = (MANIFOLD, IDL_TLBO)
"""What `bearing calibrate` measures: ``manifold``, the steering vector at every calibrated azimuth;
``idl-tlbo``, the channel gains, by self-calibration on sources at unknown bearings."""

MANIFOLD_DEFAULTS = {"snapshots_per_window": 64, "subcarriers": 16, "max_windows": MAX_CALIBRATION_WINDOWS}
"""The options of ``--method manifold`` only, with their defaults (refused with ``idl-tlbo``)."""

CALIBRATION_POPULATION = 2 * DEFAULT_POPULATION
"""Learners per discipline of a calibration: twice the estimator's, since a calibration runs once.
Measured on the self-calibration bench's 8-element ULA (three sources, 20 dB, 500 snapshots,
200 trials): with 30 learners MUSIC after the IDL-TLBO gains is 1.24x the ideal array's RMSE
(common shift removed), with 60 1.07x, for 0.70 s CPU per calibration (docs/idl-tlbo.md)."""

IDL_TLBO_DEFAULTS = {
    "sources": None,
    "snapshots": None,
    "seed": 0,
    "iterations": DEFAULT_ITERATIONS,
    "population": CALIBRATION_POPULATION,
    "reference": None,
    "gain_std_db": IDL_TLBO_PERTURBATION.gain_std_db,
    "phase_std_deg": IDL_TLBO_PERTURBATION.phase_std_deg,
    "position_std_m": IDL_TLBO_PERTURBATION.position_std_m,
}
"""The options of ``--method idl-tlbo`` only, with their defaults (refused with ``manifold``;
``--sources`` is required); the prior's are the IDL-TLBO paper's perturbation as we read it."""

MAX_SNAPSHOTS = 1 << 20
"""Most snapshots read of each capture by default (``--snapshots``): the covariance of a
narrowband capture is read in chunks, so memory does not grow with it, but time does."""
READ_CHUNK = 1 << 16
"""Snapshots read at a time into the covariance."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds the subcommand to ``commands``."""
    calibrate = commands.add_parser(
        "calibrate",
        help="measure an array's calibration from captures: a manifold table (a sweep at known "
        "bearings) or channel gains (idl-tlbo: sources at unknown bearings)",
    )
    calibrate.add_argument("captures", nargs="+", metavar="CAPTURE", help="captures of one array")
    calibrate.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="the file to write: the table (.npz) of manifold, the channel calibration (.json) of idl-tlbo",
    )
    calibrate.add_argument(
        "--method",
        choices=CALIBRATION_METHODS,
        default=MANIFOLD,
        help="manifold: the array's steering vector at each calibrated azimuth, from a sweep with "
        "ground truth (default); idl-tlbo: the channel gains, from --sources K emitters at unknown bearings",
    )
    manifold = calibrate.add_argument_group("--method manifold")
    manifold.add_argument(
        "--snapshots-per-window",
        type=int,
        metavar="T",
        help="narrowband captures: snapshots per covariance; the covariances of one azimuth are "
        "averaged (default 64)",
    )
    manifold.add_argument(
        "--subcarriers",
        type=int,
        metavar="K",
        help="SRS captures: pilots per item, spread over the band; 0 takes all (default 16)",
    )
    add_max_windows_option(manifold)
    idl_tlbo = calibrate.add_argument_group("--method idl-tlbo")
    idl_tlbo.add_argument(
        "--sources",
        type=count_type(1, "a positive number of emitters"),
        metavar="K",
        help="emitters in the captures, at fixed bearings (required; 2 or more for the gains to be "
        "identifiable)",
    )
    idl_tlbo.add_argument(
        "--snapshots",
        type=count_type(1, "a positive number of snapshots"),
        metavar="N",
        help="snapshots of each capture in the covariance, its first N (default: all, at most "
        f"{MAX_SNAPSHOTS})",
    )
    idl_tlbo.add_argument(
        "--seed", type=count_type(0, "a seed >= 0"), metavar="N", help="seeds the optimiser (default 0)"
    )
    idl_tlbo.add_argument(
        "--iterations",
        type=count_type(0, "a number of iterations >= 0"),
        metavar="N",
        help=f"of the optimiser (default {DEFAULT_ITERATIONS})",
    )
    idl_tlbo.add_argument(
        "--population",
        type=count_type(2, "a population of at least 2"),
        metavar="N",
        help=f"learners per discipline (default {CALIBRATION_POPULATION})",
    )
    idl_tlbo.add_argument(
        "--reference",
        type=numbers_type(
            (1, 2), "AZ or AZ,EL in degrees", lambda values: len(values) == 1 or abs(values[1]) <= 90.0
        ),
        metavar="AZ[,EL]",
        help="the bearing of one of the emitters, if known (a beacon), degrees; EL required for an "
        "array that resolves elevation, 0 otherwise; write --reference=AZ,EL when AZ is negative: "
        "fixes the common shift of every bearing that the data leave open (default: unknown, the "
        "gains carry no linear phase trend)",
    )
    idl_tlbo.add_argument(
        "--gain-std-db",
        type=float,
        metavar="DB",
        help="prior: standard deviation of the channel gains, dB (default "
        f"{IDL_TLBO_PERTURBATION.gain_std_db:g})",
    )
    idl_tlbo.add_argument(
        "--phase-std-deg",
        type=float,
        metavar="DEG",
        help="prior: standard deviation of the channel phases, degrees (default "
        f"{IDL_TLBO_PERTURBATION.phase_std_deg:.4g}, 0.5 rad)",
    )
    idl_tlbo.add_argument(
        "--position-std-m",
        type=float,
        metavar="M",
        help="prior: standard deviation of the element positions per axis, metres (default "
        f"{IDL_TLBO_PERTURBATION.position_std_m:g})",
    )
    calibrate.add_argument("--json", action="store_true", help="the summary as one JSON object")
    calibrate.set_defaults(run=run, max_windows=None)


def run(args: argparse.Namespace) -> int:
    """Checks the options against the method, then measures, writes and summarises."""
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"{out}: is a directory, not a file to write")
    own, other = (
        (MANIFOLD_DEFAULTS, IDL_TLBO_DEFAULTS)
        if args.method == MANIFOLD
        else (IDL_TLBO_DEFAULTS, MANIFOLD_DEFAULTS)
    )
    given = [name for name in other if getattr(args, name) is not None]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        other_method = IDL_TLBO if args.method == MANIFOLD else MANIFOLD
        raise ValueError(f"{options}: options of --method {other_method}, not of --method {args.method}")
    for name, default in own.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    summary = _manifold(args, out) if args.method == MANIFOLD else _idl_tlbo(args, out)
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        for key, value in summary.items():
            for item in value if key == "captures" else [value]:
                text = str(item) if args.method == MANIFOLD else _text(item)
                print(f"{'capture' if key == 'captures' else key:22s} {text}")
    what = "calibration table" if args.method == MANIFOLD else "channel calibration"
    print(
        f"{what} written to {summary['table' if args.method == MANIFOLD else 'calibration']}", file=sys.stderr
    )
    return 0


def _reference(given: tuple[float, ...] | None, sources: int, planar: bool) -> tuple[float, float] | None:
    """``--reference`` as ``(azimuth, elevation)``, checked before the captures are read: for two
    sources or more, and with an elevation for an array that resolves elevation."""
    if given is None:
        return None
    if sources < 2:
        raise ValueError("--reference: a known bearing fixes the common shift of 2 or more sources' bearings")
    if planar and len(given) == 1:
        raise ValueError(
            "--reference: the array resolves elevation: give the emitter's elevation too, "
            "--reference=AZ,EL (degrees)"
        )
    return given[0], given[1] if len(given) == 2 else 0.0


def _text(value: object) -> str:
    """An idl-tlbo summary value as text: lists comma separated, floats in lists to 2 decimals."""
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in value)
    return str(value)


def _manifold(args: argparse.Namespace, out: Path) -> dict:
    """Reads the captures through the replay's front end, measures the table on the array's search
    grid (its field of view, 0.1 deg), writes it; the summary."""
    from ..flowgraphs.calibration_capture import read_calibration  # torch, which takes a second

    calibration = read_calibration(
        args.captures, args.subcarriers, args.snapshots_per_window, args.max_windows
    )
    warn_left_out(calibration)
    geometry = ArrayGeometry(calibration.positions_m)
    search = search_grid(geometry)
    if search.elevation_deg is not None:
        raise ValueError(
            "calibrated MUSIC searches azimuth only; this array resolves elevation too "
            f"({search.field.kind}, not horizontal)"
        )
    windows = np.unique(calibration.window)
    covariances = np.stack([_window_covariance(calibration.cfrs[calibration.window == w]) for w in windows])
    azimuths = np.array([calibration.azimuth_deg[calibration.window == w][0] for w in windows])
    table = CalibrationTable.fit(covariances, azimuths, search.azimuth_deg)
    out.parent.mkdir(parents=True, exist_ok=True)
    path = save_table(table, out, calibration.positions_m, calibration.frequency_hz)
    return {
        "captures": list(args.captures),
        "kind": calibration.kind,
        "windows": int(windows.size),
        "windows_left_out": calibration.windows_left_out,
        "azimuths": int(table.calibration_deg.size),
        "span_deg": [float(table.calibration_deg[0]), float(table.calibration_deg[-1])],
        "circular": table.circular,
        "grid_points": int(table.grid_deg.size),
        "covered_points": int(np.count_nonzero(table.covered)),
        "table": str(path),
    }


def _window_covariance(cfrs: np.ndarray) -> np.ndarray:
    """The covariance of one window's items ``(N, K, M)``: every item and subcarrier a snapshot."""
    return sample_covariance(cfrs.reshape(-1, cfrs.shape[-1]).T)


def _idl_tlbo(args: argparse.Namespace, out: Path) -> dict:
    """The channel gains of the captures' pooled sample covariance by IDL-TLBO, written as a
    channel calibration (the gains as estimated, ``g_0 = 1``; their correction is ``1 / g``); the
    summary (docs/cli.md)."""
    from ..captures.reader import read_capture

    if out.suffix.lower() == ".npz":
        raise ValueError(
            f"--out {out}: a channel calibration is a .json file (.npz is the table of --method manifold)"
        )
    out = out if out.suffix.lower() == ".json" else out.with_name(out.name + ".json")
    if args.sources is None:
        raise ValueError(
            "--method idl-tlbo: give the number of emitters in the captures with --sources K "
            "(2 or more for the gains to be identifiable)"
        )
    captures = [read_capture(path) for path in args.captures]
    first = captures[0]
    for path, capture in zip(args.captures, captures, strict=True):
        _check_capture(path, capture, first)
    m = first.num_channels
    if args.sources >= m:
        raise ValueError(f"--sources {args.sources}: must be fewer than the array's {m} elements")
    prior = perturbation_spec(args.gain_std_db, args.phase_std_deg, args.position_std_m)
    estimator = IdlTlboEstimator(
        first.geometry,
        wavelength_m(first.frequency_hz),
        prior,
        population=args.population,
        iterations=args.iterations,
        seed=args.seed,
    )
    reference = _reference(args.reference, args.sources, estimator.planar)
    covariance, snapshots, dropped = _pooled_covariance(args.captures, captures, args.snapshots)
    if args.sources == 1:
        print(
            "bearing: warning: --sources 1: with one source a gain per channel fits any bearing, so the "
            "gains are set by the prior only; calibrate on two or more sources at distinct bearings",
            file=sys.stderr,
        )
    estimate = estimator.estimate(covariance, snapshots, args.sources, reference_deg=reference)
    calibration = ChannelCalibration(
        gains=estimate.gains / estimate.gains[0],
        method=IDL_TLBO,
        frequency_hz=first.frequency_hz,
        positions_m=first.geometry.positions_m,
        coherence=coherence(covariance),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    path = calibration.save(out)
    order = np.argsort(estimate.azimuth_deg, kind="stable")
    summary = {
        "captures": list(args.captures),
        "method": IDL_TLBO,
        "snapshots": snapshots,
        "snapshots_dropped": dropped,
        "sources": args.sources,
        "azimuth_deg": [round(float(a), 4) for a in estimate.azimuth_deg[order]],
    }
    if estimate.elevation_deg is not None:
        summary["elevation_deg"] = [round(float(e), 4) for e in estimate.elevation_deg[order]]
    gain_db, phase_deg = calibration.gain_db, calibration.phase_deg
    summary |= {
        "gain_db": [round(float(g), 4) for g in gain_db],
        "phase_deg": [round(float(p), 4) for p in phase_deg],
        "gain_rms_db": round(float(np.sqrt(np.mean(gain_db[1:] ** 2))), 4),
        "phase_rms_deg": round(float(np.sqrt(np.mean(phase_deg[1:] ** 2))), 4),
        "coherence": round(calibration.coherence, 6),
        "reference_deg": None if reference is None else list(reference),
        "seed": args.seed,
        "iterations": args.iterations,
        "population": args.population,
        "prior_gain_std_db": float(prior.gain_std_db),
        "prior_phase_std_deg": float(prior.phase_std_deg),
        "prior_position_std_m": float(prior.position_std_m),
        "calibration": str(path),
    }
    return summary


def _check_capture(path: str, capture: Capture, first: Capture) -> None:
    """A narrowband capture of one antenna per channel, of the first capture's array and carrier."""
    from ..nr import metadata as nr_metadata

    if nr_metadata.CARRIER_KEY in capture.global_info:
        raise ValueError(
            f"{path}: an SRS capture; --method idl-tlbo reads narrowband captures (one snapshot per "
            "sample) of emitters at fixed bearings"
        )
    if capture.hybrid is not None:
        raise ValueError(
            f"{path}: the {capture.num_channels} channels are the RF chains of a hybrid array "
            "(bearing:hybrid), not antennas; a channel calibration needs one channel per antenna"
        )
    same = capture.geometry.positions_m.shape == first.geometry.positions_m.shape and np.allclose(
        capture.geometry.positions_m, first.geometry.positions_m, atol=1e-3
    )
    if not same or abs(capture.frequency_hz - first.frequency_hz) > 1.0:
        raise ValueError(
            f"{path}: another array or carrier than {first.meta_path}'s; calibrate one array at one carrier"
        )


def _pooled_covariance(
    paths: list[str], captures: list[Capture], limit: int | None
) -> tuple[np.ndarray, int, int]:
    """The sample covariance ``(M, M)`` of the first ``limit`` snapshots of each capture (None:
    all, at most :data:`MAX_SNAPSHOTS`), read in chunks; snapshots with a NaN or infinite
    sample are dropped (counted, with a warning). Returns it, the snapshots in it and those dropped."""
    m = captures[0].num_channels
    total = np.zeros((m, m), dtype=np.complex128)
    used = dropped = 0
    for path, capture in zip(paths, captures, strict=True):
        start = capture.segments[0].sample_start if capture.segments else 0
        available = capture.num_samples - start
        count = min(available, limit or MAX_SNAPSHOTS)
        if limit is None and count < available:
            print(
                f"bearing: note: {path}: the first {count} of its {available} snapshots are used "
                "(--snapshots)",
                file=sys.stderr,
            )
        for offset in range(start, start + count, READ_CHUNK):
            x = capture.read(offset, min(READ_CHUNK, start + count - offset)).astype(np.complex128)
            finite = np.all(np.isfinite(x), axis=1)
            x = x[finite]
            dropped += int(finite.size - x.shape[0])
            total += x.T @ x.conj()
            used += x.shape[0]
    if dropped:
        print(f"bearing: warning: {dropped} snapshots dropped: NaN or infinite samples", file=sys.stderr)
    if not used or not np.any(total):
        raise ValueError(
            "no snapshot with a finite, non-zero sample in the captures: nothing to calibrate on"
        )
    return total / used, used, dropped
