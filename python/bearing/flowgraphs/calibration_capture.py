"""Training data from calibration captures: labelled channel vectors through the inference front end.

A calibration capture is a SigMF recording of a source at known bearings: its truth
annotations (``spatial:signal_azimuth``), for example a sweep of ``bearing simulate --preset
calibration_ula4`` or ``srs_calibration_ula4``. :func:`read_calibration` reads each capture
through what `bearing estimate` runs before the covariance accumulator
(:mod:`~gnuradio.bearing.flowgraphs.replay`), so that a model is trained on what it sees at
inference:

* narrowband: the samples the Capture Source replays (:meth:`Capture.read
  <gnuradio.bearing.captures.schema.Capture.read>`, which its ``work`` calls), one item per
  time sample (K = 1), read window by window so that only the windows kept are in memory;
* SRS (a capture with ``nr:carrier``, docs/srs.md): a real GNU Radio flowgraph,
  ``capture_source -> srs_extractor ->`` one vector sink per UE: one item per SRS occasion, UE
  and port, the LS channel at the extractor's K pilots.

Items are grouped into the windows whose covariance the accumulator would estimate: for
narrowband, ``snapshots_per_window`` consecutive samples of one capture segment (the samples
after a segment's last whole window are left out, as at inference); for SRS, one occasion of
one UE (its ports share the window). A window with NaN or infinite samples is dropped and
counted, as the covariance accumulator does; an item without a ground-truth bearing is dropped
and counted.

Memory is bounded by ``max_windows`` (:data:`MAX_WINDOWS`), not by a narrowband capture's
size: when the captures hold more windows with a ground truth, that many are read, shared by
the captures in proportion to those they hold (one at least each) and spread evenly over each
in order (a sweep keeps its angles while it has fewer than ``max_windows``), and the others are
counted in ``CalibrationSet.windows_left_out``; windows without a truth are not read (their
items count as ``dropped_without_truth``). An SRS capture is extracted in full, then thinned.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pmt
from gnuradio import blocks, gr
from numpy.typing import NDArray

from ..blocks import messages
from ..blocks.capture_source import capture_source
from ..blocks.srs_extractor import srs_extractor
from ..captures.reader import read_capture
from ..captures.schema import Capture
from ..learned.calibration import CalibrationSet, evenly_spaced, mismatch
from ..nr import metadata as nr_metadata
from ..nr.channel_estimation import output_offsets_hz
from ..validation import check_integer

MAX_WINDOWS = 32768
"""Most windows :func:`read_calibration` keeps by default: with 16 snapshots of 4 elements per
window, `bearing train` then peaks below 1 GB of memory (docs/hardening.md) and an epoch of a
subregion stage takes seconds; the bundled sweep holds 9608."""


def read_calibration(
    paths: str | Path | Iterable[str | Path],
    num_subcarriers: int = 16,
    snapshots_per_window: int = 256,
    max_windows: int = MAX_WINDOWS,
) -> CalibrationSet:
    """The labelled items of one or more calibration captures of one array (module docstring).

    Args:
        paths: SigMF recordings (``.sigmf-meta``, ``.sigmf-data`` or the base name).
        num_subcarriers: SRS captures: K pilots per item, spread over the band as the
            extractor chooses them (0: all of the UE's pilots).
        snapshots_per_window: narrowband captures: samples per estimate window.
        max_windows: most windows kept, spread evenly over the captures (module docstring).

    Raises:
        CaptureError: a capture that cannot be read.
        ValueError: a capture without any truth annotation, or whose items all lack one;
            captures of other arrays, carriers or subcarriers than the first; SRS items of one
            capture on other subcarriers than its first (frequency hopping, UEs or ports on
            other comb offsets); two annotations of one narrowband sample.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    if not paths:
        raise ValueError("paths: no capture given")
    snapshots_per_window = check_integer(snapshots_per_window, "snapshots_per_window", 1)
    num_subcarriers = check_integer(num_subcarriers, "num_subcarriers", 0)
    max_windows = check_integer(max_windows, "max_windows", 2)
    captures = [read_capture(path) for path in paths]
    windows = [None if _is_srs(c) else _NarrowbandWindows.of(c, snapshots_per_window) for c in captures]
    budgets = _narrowband_budgets(windows, max_windows)
    sets = []
    for capture, capture_windows, budget in zip(captures, windows, budgets, strict=True):
        calibration = _read_one(capture, num_subcarriers, snapshots_per_window, capture_windows, budget)
        problem = mismatch(sets[0], calibration, str(paths[0])) if sets else None
        if problem:
            raise ValueError(f"{capture.meta_path}: {problem}")
        sets.append(calibration)
    return CalibrationSet.concatenate(sets).thinned(max_windows)


@dataclass(frozen=True)
class _NarrowbandWindows:
    """The windows of a narrowband capture: the first sample of each (:func:`_window_starts`) and
    of those a truth covers (from the metadata: the windows without one are never read)."""

    starts: NDArray[np.int64]
    labelled: NDArray[np.int64]

    @classmethod
    def of(cls, capture: Capture, length: int) -> _NarrowbandWindows:
        starts = _window_starts(capture, length)
        return cls(starts, starts[capture.windows_with_truth(starts, length)])


def _narrowband_budgets(windows: list[_NarrowbandWindows | None], max_windows: int) -> list[int | None]:
    """Windows to read of each narrowband capture (None: all of them, or an SRS capture, thinned
    once read): ``max_windows`` shared in proportion to the labelled windows each holds, at
    least one each (the set is thinned to ``max_windows`` at the end)."""
    counts = [None if w is None else int(w.labelled.size) for w in windows]
    total = sum(count for count in counts if count is not None)
    if total <= max_windows:
        return [None] * len(windows)
    shares = np.diff(np.round(np.cumsum([0] + [c or 0 for c in counts]) * max_windows / total)).astype(int)
    return [
        None if count is None else max(int(share), 1) for count, share in zip(counts, shares, strict=True)
    ]


def _is_srs(capture: Capture) -> bool:
    return nr_metadata.CARRIER_KEY in capture.global_info


def _read_one(
    capture: Capture,
    num_subcarriers: int,
    snapshots_per_window: int,
    windows: _NarrowbandWindows | None,
    budget: int | None,
) -> CalibrationSet:
    if not capture.truths:
        raise ValueError(
            f"{capture.meta_path}: no ground-truth annotation (spatial:signal_azimuth): "
            "a calibration capture must give the bearing of its samples"
        )
    left_out = unread = 0
    if _is_srs(capture):
        items, azimuth_deg, window, offsets_hz, failed = _srs_items(capture, num_subcarriers)
        kind = "srs"
    else:
        assert windows is not None  # read_calibration finds them for every narrowband capture
        starts, labelled_windows = windows.starts, windows.labelled
        if not starts.size:
            longest = max(segment.sample_count for segment in capture.segments)
            raise ValueError(
                f"{capture.meta_path}: no window of {snapshots_per_window} samples fits in a capture "
                f"segment (the longest holds {longest}); lower snapshots_per_window"
            )
        if not labelled_windows.size:
            raise ValueError(f"{capture.meta_path}: no item has a ground-truth bearing")
        chosen = labelled_windows[evenly_spaced(labelled_windows.size, budget)]
        left_out = labelled_windows.size - chosen.size
        unread = (starts.size - labelled_windows.size) * snapshots_per_window  # no truth: not read
        items, azimuth_deg, window = _narrowband_items(capture, chosen, snapshots_per_window)
        offsets_hz, failed, kind = np.zeros(1), 0, "narrowband"
    finite = _usable_windows(items, window)
    labelled = ~np.isnan(azimuth_deg)
    kept = finite & labelled
    dropped_windows = failed + np.unique(window[~finite]).size
    dropped_without_truth = unread + int(np.count_nonzero(finite & ~labelled))
    if not np.any(finite):
        raise ValueError(
            f"{capture.meta_path}: no window holds signal: every one has NaN, infinite or only zero samples"
        )
    if not np.any(kept):
        hint = " (SRS annotations need nr:ue)" if kind == "srs" else ""
        raise ValueError(f"{capture.meta_path}: no item has a ground-truth bearing{hint}")
    if dropped_windows or dropped_without_truth:
        gr.logger("bearing calibration_capture").warn(
            f"{capture.meta_path}: {dropped_windows} windows dropped for NaN, infinite or all-zero samples, "
            f"{dropped_without_truth} items without a truth annotation dropped"
        )
    return CalibrationSet(
        cfrs=items[kept],
        azimuth_deg=azimuth_deg[kept],
        window=np.unique(window[kept], return_inverse=True)[1],
        subcarrier_offsets_hz=offsets_hz,
        frequency_hz=capture.frequency_hz,
        positions_m=capture.geometry.positions_m,
        sample_rate_hz=capture.sample_rate_hz,
        kind=kind,
        dropped_without_truth=dropped_without_truth,
        dropped_windows=int(dropped_windows),
        windows_left_out=left_out,
    )


def _window_starts(capture: Capture, length: int) -> NDArray[np.int64]:
    """The first sample of every window of ``length`` samples: back to back from each segment's
    start, the samples after a segment's last whole window left out (as at inference)."""
    starts = [
        segment.sample_start + length * np.arange(segment.sample_count // length, dtype=np.int64)
        for segment in capture.segments
    ]
    return np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)


def _narrowband_items(
    capture: Capture, starts: NDArray[np.int64], length: int
) -> tuple[NDArray[np.complex64], NDArray[np.float64], NDArray[np.int64]]:
    """``(N, 1, M)`` items of the windows of ``length`` samples at ``starts``, their azimuths
    (NaN: no truth) and windows (their index in ``starts``)."""
    truths = capture.truths_with_samples
    for before, after in itertools.pairwise(truths):
        if after.sample_start < before.sample_start + before.sample_count:
            raise ValueError(
                f"{capture.meta_path}: samples in [{after.sample_start}, "
                f"{before.sample_start + before.sample_count}) have two truth annotations; "
                "a calibration capture holds one source at a time"
            )
    items = np.empty((starts.size * length, 1, capture.num_channels), dtype=np.complex64)
    for index, start in enumerate(starts.tolist()):
        items[index * length : (index + 1) * length, 0] = capture.read(start, length)
    samples = (starts[:, None] + np.arange(length)).reshape(-1)
    first = np.array([truth.sample_start for truth in truths], dtype=np.int64)
    end = first + np.array([truth.sample_count for truth in truths], dtype=np.int64)
    covering = np.searchsorted(first, samples, side="right") - 1
    labelled = (covering >= 0) & (samples < end[np.maximum(covering, 0)])
    angles = np.array([truth.azimuth_deg for truth in truths], dtype=np.float64)
    azimuth_deg = np.where(labelled, angles[np.maximum(covering, 0)], np.nan)
    return items, azimuth_deg, np.repeat(np.arange(starts.size), length)


def _srs_items(
    capture: Capture, num_subcarriers: int
) -> tuple[NDArray[np.complex64], NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], int]:
    """``(N, K, M)`` items of every UE, their azimuths (NaN: no truth), windows (one per UE and
    occasion), the K pilot offsets, and the occasions the extractor failed on, from
    ``capture_source -> srs_extractor -> vector sinks``."""
    num_elements = capture.num_channels
    extractor = srs_extractor(capture, num_subcarriers=num_subcarriers)
    source = capture_source(capture, segment_length=extractor.source_segment_length(capture))
    sinks = [blocks.vector_sink_c(num_elements * k) for k in extractor.output_sizes]
    _run([source, extractor], sinks)
    items, azimuths, windows, offsets_hz = [], [], [], []
    for output, (sink, size) in enumerate(zip(sinks, extractor.output_sizes, strict=True)):
        channels = np.asarray(sink.data(), dtype=np.complex64).reshape(-1, num_elements, size)
        tags = _sink_tags(sink)
        truths = dict(tags[messages.TRUTH])  # one per item at most
        for offset, occasion in tags[messages.SRS_OCCASION]:
            time = (occasion["frame"], occasion["slot"], occasion["port"])
            config = extractor.configs[output]
            offsets_hz.append(output_offsets_hz(extractor.carrier, config, num_subcarriers, *time))
            if not np.array_equal(offsets_hz[-1], offsets_hz[0]):
                raise ValueError(
                    f"{capture.meta_path}: UE {config.ue} port {time[2]} in frame {time[0]} slot {time[1]} "
                    "sounds other subcarriers than the first item; a calibration set holds one set of K "
                    "subcarriers (no frequency hopping, one comb offset)"
                )
            items.append(channels[offset].T)
            azimuths.append(truths.get(offset, {}).get("azimuth_deg", np.nan))
            windows.append((output, occasion["sample_index"]))
    failed = extractor.estimator.failed_estimates
    if not items:
        raise ValueError(
            f"{capture.meta_path}: the SRS extractor gave no channel ({failed} occasions failed)"
        )
    window = np.unique(np.array(windows), axis=0, return_inverse=True)[1].reshape(-1)
    return np.array(items), np.array(azimuths, dtype=np.float64), window, offsets_hz[0], failed


def _sink_tags(sink: gr.basic_block) -> dict[str, list[tuple[int, dict]]]:
    """The ``segment_start``, ``truth`` and ``srs_occasion`` tags a vector sink received:
    ``(item offset, value)`` by key, in offset order."""
    tags: dict[str, list[tuple[int, dict]]] = {
        messages.SEGMENT_START: [],
        messages.TRUTH: [],
        messages.SRS_OCCASION: [],
    }
    for tag in sorted(sink.tags(), key=lambda t: t.offset):
        key = pmt.symbol_to_string(tag.key)
        if key in tags:
            tags[key].append((tag.offset, messages.from_pmt(tag.value)))
    return tags


def _run(chain: list[gr.basic_block], sinks: list[gr.basic_block]) -> None:
    """Runs the blocks of ``chain`` connected in order, output ``i`` of the last into ``sinks[i]``."""
    top = gr.top_block("Bearing calibration data", catch_exceptions=False)
    if len(chain) > 1:
        top.connect(*chain)
    for output, sink in enumerate(sinks):
        top.connect((chain[-1], output), sink)
    top.run()


def _usable_windows(items: NDArray[np.complex64], window: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``(N,)``: every item of the item's window is finite (no NaN or infinite value) and the
    window holds some signal (not all zeros: a dead receiver teaches nothing)."""
    finite = np.all(np.isfinite(items), axis=(1, 2))
    bad = window[~finite]
    silent = np.setdiff1d(window, window[np.any(items != 0, axis=(1, 2))])
    return ~np.isin(window, np.concatenate([bad, silent]))
