"""Calibration data and the MoD-DNN model it trains: :class:`CalibrationSet` (labelled channel
vectors of one array, as :func:`~gnuradio.bearing.flowgraphs.calibration_capture.read_calibration`
reads them from calibration captures) and :func:`model_config`, the :class:`ModDnnConfig`
that `bearing train` builds for them (the array, carrier, subcarriers and kind of the captures).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .mod_dnn import ModDnnConfig

KINDS = ("narrowband", "srs")
"""``CalibrationSet.kind``: time snapshots of a narrowband capture, or SRS channel estimates."""


@dataclass(eq=False)
class CalibrationSet:
    """Channel vectors with the true bearing of each, from one array on one carrier.

    Attributes:
        cfrs: ``(N, K, M)`` complex64: N items of K subcarriers and M elements. A narrowband
            item is one time snapshot of the M channels (K = 1); an SRS item is the channel
            of one UE port in one occasion at K pilots.
        azimuth_deg: ``(N,)`` float64, the annotated azimuth of each item, degrees.
        window: ``(N,)`` int64, the estimate window of each item: the items of one window are
            averaged into one covariance at inference.
        subcarrier_offsets_hz: ``(K,)`` float64, each subcarrier's offset from the carrier,
            hertz (``zeros(1)`` for narrowband).
        frequency_hz: the carrier, hertz.
        positions_m: ``(M, 3)`` float64 nominal element positions, metres (SigMF spatial frame).
        sample_rate_hz: the captures' sample rate, hertz.
        kind: one of :data:`KINDS`.
        dropped_without_truth: items left out because no annotation gives their bearing.
        dropped_windows: windows left out for NaN or infinite samples (for SRS, occasions the
            extractor could not estimate).
        windows_left_out: windows the captures held beyond the most kept (:meth:`thinned`).
    """

    cfrs: NDArray[np.complex64]
    azimuth_deg: NDArray[np.float64]
    window: NDArray[np.int64]
    subcarrier_offsets_hz: NDArray[np.float64]
    frequency_hz: float
    positions_m: NDArray[np.float64]
    sample_rate_hz: float
    kind: str
    dropped_without_truth: int = 0
    dropped_windows: int = 0
    windows_left_out: int = 0

    def __post_init__(self) -> None:
        self.cfrs = np.asarray(self.cfrs, dtype=np.complex64)
        self.azimuth_deg = np.asarray(self.azimuth_deg, dtype=np.float64)
        self.window = np.asarray(self.window, dtype=np.int64)
        self.subcarrier_offsets_hz = np.asarray(self.subcarrier_offsets_hz, dtype=np.float64)
        self.positions_m = np.asarray(self.positions_m, dtype=np.float64)
        if self.cfrs.ndim != 3:
            raise ValueError(f"cfrs: must have shape (N, K, M), got {self.cfrs.shape}")
        count, num_subcarriers, num_elements = self.cfrs.shape
        shapes = {
            "azimuth_deg": (self.azimuth_deg, (count,)),
            "window": (self.window, (count,)),
            "subcarrier_offsets_hz": (self.subcarrier_offsets_hz, (num_subcarriers,)),
            "positions_m": (self.positions_m, (num_elements, 3)),
        }
        for name, (value, shape) in shapes.items():
            if value.shape != shape:
                raise ValueError(
                    f"{name}: must have shape {shape} to match cfrs {self.cfrs.shape}, got {value.shape}"
                )
        if self.kind not in KINDS:
            raise ValueError(f"kind: must be one of {', '.join(KINDS)}, got {self.kind!r}")

    @property
    def num_items(self) -> int:
        """N."""
        return int(self.cfrs.shape[0])

    @property
    def num_windows(self) -> int:
        """The distinct windows of the items."""
        return int(np.unique(self.window).size)

    def thinned(self, max_windows: int) -> CalibrationSet:
        """This set with at most ``max_windows`` of its windows, spread evenly over them in
        window order (a sweep keeps every angle); the others are added to ``windows_left_out``."""
        ids = np.unique(self.window)
        if ids.size <= max_windows:
            return self
        kept = ids[evenly_spaced(ids.size, max_windows)]
        mask = np.isin(self.window, kept)
        return dataclasses.replace(
            self,
            cfrs=self.cfrs[mask],
            azimuth_deg=self.azimuth_deg[mask],
            window=np.unique(self.window[mask], return_inverse=True)[1],
            windows_left_out=self.windows_left_out + int(ids.size - kept.size),
        )

    @classmethod
    def concatenate(cls, sets: Sequence[CalibrationSet]) -> CalibrationSet:
        """One set of the items of ``sets``, in order; window ids are renumbered to stay distinct.

        Raises:
            ValueError: no set, or sets of another kind, array, carrier, sample rate or
                subcarriers than the first.
        """
        sets = list(sets)
        if not sets:
            raise ValueError("sets: nothing to concatenate")
        for index, other in enumerate(sets[1:], start=1):
            problem = mismatch(sets[0], other, "sets[0]")
            if problem:
                raise ValueError(f"sets[{index}]: {problem}")
        windows, next_id = [], 0
        for part in sets:
            windows.append(part.window + next_id)
            next_id += int(part.window.max()) + 1 if part.num_items else 0
        first = sets[0]
        return cls(
            cfrs=np.concatenate([s.cfrs for s in sets]),
            azimuth_deg=np.concatenate([s.azimuth_deg for s in sets]),
            window=np.concatenate(windows),
            subcarrier_offsets_hz=first.subcarrier_offsets_hz,
            frequency_hz=first.frequency_hz,
            positions_m=first.positions_m,
            sample_rate_hz=first.sample_rate_hz,
            kind=first.kind,
            dropped_without_truth=sum(s.dropped_without_truth for s in sets),
            dropped_windows=sum(s.dropped_windows for s in sets),
            windows_left_out=sum(s.windows_left_out for s in sets),
        )


def evenly_spaced(count: int, most: int | None) -> NDArray[np.int64]:
    """Indices of at most ``most`` of ``count`` things spread evenly, in order (all: None)."""
    if most is None or most >= count:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, most).round().astype(np.int64))


def mismatch(first: CalibrationSet, other: CalibrationSet, name: str) -> str | None:
    """What makes ``other`` unfit to join ``first`` (called ``name``) in one set, or None."""
    if other.kind != first.kind:
        return f"its items are {other.kind}, those of {name} {first.kind}"
    if other.positions_m.shape != first.positions_m.shape or not np.allclose(
        other.positions_m, first.positions_m, rtol=0.0, atol=1e-9
    ):
        return f"another array than {name}: other element positions"
    if not math.isclose(other.frequency_hz, first.frequency_hz, rel_tol=1e-12):
        return f"another carrier than {name}: {other.frequency_hz:g} Hz, not {first.frequency_hz:g} Hz"
    if not math.isclose(other.sample_rate_hz, first.sample_rate_hz, rel_tol=1e-12):
        return (
            f"another sample rate than {name}: {other.sample_rate_hz:g} Hz, not {first.sample_rate_hz:g} Hz"
        )
    if other.subcarrier_offsets_hz.shape != first.subcarrier_offsets_hz.shape or not np.allclose(
        other.subcarrier_offsets_hz, first.subcarrier_offsets_hz, rtol=0.0, atol=1e-6
    ):
        return (
            f"other subcarriers than {name}: K = {other.subcarrier_offsets_hz.size} "
            f"(vs {first.subcarrier_offsets_hz.size}) or other offsets from the carrier"
        )
    return None


def model_config(calibration: CalibrationSet, snapshots_per_window: int, **architecture) -> ModDnnConfig:
    """The configuration of a model for the array, carrier and subcarriers of ``calibration``.

    Args:
        calibration: the training items, as
            :func:`~gnuradio.bearing.flowgraphs.calibration_capture.read_calibration` returns them.
        snapshots_per_window: the narrowband window length the items were grouped by (the
            ``snapshots_per_window`` of ``read_calibration``); an SRS window is one occasion.
        architecture: further :class:`ModDnnConfig` fields (``edges_deg``, ``grid_deg``,
            ``calibrator``, ``shared_weights``, ...).

    Returns:
        the configuration; for SRS items its ``srs`` record holds the number of pilots per item
        (``num_subcarriers``), empty for narrowband.
    """
    srs = calibration.kind == "srs"
    return ModDnnConfig(
        positions_m=calibration.positions_m,
        frequency_hz=calibration.frequency_hz,
        subcarrier_offsets_hz=tuple(calibration.subcarrier_offsets_hz),
        kind=calibration.kind,
        window_items=1 if srs else int(snapshots_per_window),
        srs={"num_subcarriers": int(calibration.subcarrier_offsets_hz.size)} if srs else {},
        **architecture,
    )
