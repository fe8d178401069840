"""Manifold-calibrated MUSIC: MUSIC on a measured table of steering vectors.

The classical remedy for array impairments (gain, phase, coupling, position and the
angle-dependent phase errors of MoD-DNN eqs. (6)-(7)): sweep one source over known
azimuths, take the array response measured at each as the steering vector, and run MUSIC
(Schmidt 1986) on that table instead of the ideal manifold. This is the "MUSIC with a
measured manifold" gold standard of the MoD-DNN accuracy study
(``../shared/papers/NOTES.md``, baselines).

Measuring a steering vector: with one source, the principal eigenvector of the covariance
``R = p h h^H + sigma^2 I`` is ``h`` up to a complex factor. It is fixed here by referencing
the phase to element 0 (``v_0`` real and positive) and scaling to norm ``sqrt(M)``, the norm
of an ideal unit-modulus steering vector. Several covariances at one azimuth (equal to
1e-6 deg) are averaged before the eigendecomposition.

Between calibration azimuths each element's amplitude and unwrapped phase are interpolated
linearly; the sweep must be dense enough that no element's phase moves by more than pi
between neighbouring azimuths. Grid azimuths outside the calibrated span are **clamped** to
the nearest end of the table and marked False in :attr:`CalibrationTable.covered`;
:func:`~gnuradio.bearing.doa.calibrated_music` searches peaks on the covered grid only.
A sweep round the full circle (a UCA's: its gap from the last azimuth back to the first, across
+-180 degrees, no wider than its widest step) is interpolated across that gap too, so the table
wraps and covers every azimuth (:attr:`CalibrationTable.circular`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import check_covariance, check_covariances
from .classical import Manifold, music_spectrum
from .peaks import find_peaks

ANGLE_DECIMALS = 6
"""Calibration azimuths equal after rounding to this many decimals (1e-6 deg) are one angle."""

TABLE_ARRAYS = ("calibration_deg", "measured", "grid_deg")
"""The arrays of :meth:`CalibrationTable.to_arrays`, in the constructor's order."""


@dataclass(frozen=True)
class CalibrationTable:
    """Measured steering vectors at calibration azimuths, interpolated onto an azimuth grid.

    Construct with :meth:`fit` from a calibration sweep, or directly from measured steering
    vectors. ``steering`` and ``covered`` are derived in ``__post_init__``.

    Attributes:
        calibration_deg: calibration azimuths, shape ``(C,)``, degrees, strictly
            increasing, ``C >= 2``.
        measured: steering vectors measured there, shape ``(M, C)``, complex (used as given;
            :meth:`fit` references them to element 0 and scales them to norm ``sqrt(M)``).
        grid_deg: azimuth grid of the table, shape ``(L,)``, degrees, strictly increasing.
        steering: interpolated steering vectors on ``grid_deg``, shape ``(M, L)``, complex128.
        covered: shape ``(L,)``, bool: the grid azimuth lies within
            ``[calibration_deg[0], calibration_deg[-1]]`` (elsewhere the table is clamped), or
            every one for a :attr:`circular` table.
    """

    calibration_deg: NDArray[np.float64]
    measured: NDArray[np.complex128]
    grid_deg: NDArray[np.float64]
    steering: NDArray[np.complex128] = field(init=False, repr=False)
    covered: NDArray[np.bool_] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        calibration = check_increasing_deg(self.calibration_deg, "calibration_deg", 2)
        grid = check_increasing_deg(self.grid_deg, "grid_deg", 1)
        measured = np.asarray(self.measured).astype(np.complex128)
        if measured.ndim != 2 or measured.shape[1] != calibration.size or measured.shape[0] < 2:
            raise ValueError(
                f"measured must have shape (M, C) = (M, {calibration.size}) with M >= 2, "
                f"got shape {measured.shape}"
            )
        if not np.all(np.isfinite(measured)):
            raise ValueError("measured contains NaN or infinite values")
        circular = _is_circular(calibration)
        nodes, values = (calibration, measured)
        if circular:  # close the circle: the first azimuth again, one turn on
            nodes, values = (
                np.append(calibration, calibration[0] + 360.0),
                np.hstack([measured, measured[:, :1]]),
            )
        amplitude = np.abs(values)
        phase = np.unwrap(np.angle(values), axis=1)
        at = calibration[0] + (grid - calibration[0]) % 360.0 if circular else grid
        steering = np.stack(
            [
                np.interp(at, nodes, a) * np.exp(1j * np.interp(at, nodes, p))
                for a, p in zip(amplitude, phase, strict=True)
            ]
        )
        covered = (
            np.ones(grid.shape, dtype=bool)
            if circular
            else (grid >= calibration[0]) & (grid <= calibration[-1])
        )
        if not np.any(covered):
            raise ValueError(
                f"grid_deg [{grid[0]}, {grid[-1]}] does not overlap the calibrated span "
                f"[{calibration[0]}, {calibration[-1]}] degrees"
            )
        for name, value in (
            ("calibration_deg", calibration),
            ("measured", measured),
            ("grid_deg", grid),
            ("steering", steering),
            ("covered", covered),
        ):
            value.flags.writeable = False
            object.__setattr__(self, name, value)

    @classmethod
    def fit(cls, covariances: ArrayLike, azimuths_deg: ArrayLike, grid_deg: ArrayLike) -> CalibrationTable:
        """The table measured by a calibration sweep of one source at known azimuths.

        Args:
            covariances: shape ``(N, M, M)``, one source each.
            azimuths_deg: the source azimuths, shape ``(N,)``, degrees, at least two
                distinct (to 1e-6 deg); repeats are averaged.
            grid_deg: the table's grid, shape ``(L,)``, degrees, strictly increasing.
        """
        r = check_covariances(covariances)
        azimuths = np.asarray(azimuths_deg, dtype=np.float64)
        if azimuths.shape != r.shape[:1] or not np.all(np.isfinite(azimuths)):
            raise ValueError(
                f"azimuths_deg must be finite with shape (N,) = ({r.shape[0]},), got shape {azimuths.shape}"
            )
        angles, group = np.unique(np.round(azimuths, ANGLE_DECIMALS), return_inverse=True)
        sums = np.zeros((angles.size, *r.shape[1:]), dtype=np.complex128)
        np.add.at(sums, group, r)
        principal = np.linalg.eigh(sums / np.bincount(group)[:, None, None])[1][:, :, -1]  # (C, M)
        referenced = principal * np.exp(-1j * np.angle(principal[:, :1]))
        measured = np.sqrt(r.shape[1]) * referenced / np.linalg.norm(referenced, axis=1, keepdims=True)
        return cls(angles, measured.T, grid_deg)

    @property
    def num_elements(self) -> int:
        return int(self.measured.shape[0])

    @property
    def circular(self) -> bool:
        """Whether the sweep goes round the full circle, so that the table wraps across +-180 deg."""
        return _is_circular(self.calibration_deg)

    def on_grid(self, grid_deg: ArrayLike) -> Manifold:
        """The table's steering vectors interpolated onto ``grid_deg`` (degrees), for
        :class:`~gnuradio.bearing.doa.classical.Estimator`'s ``calibrated-music``."""
        table = CalibrationTable(self.calibration_deg, self.measured, grid_deg)
        return Manifold(steering=table.steering, covered=table.covered)

    def spectrum(self, covariance: ArrayLike, num_sources: int) -> NDArray[np.float64]:
        """MUSIC pseudo-spectrum of ``covariance`` on the table, shape ``(L,)``, linear, ``>= 1``.

        Args:
            covariance: ``R``, shape ``(M, M)``.
            num_sources: ``K``, ``1 <= K <= M - 1``.
        """
        return music_spectrum(check_covariance(covariance, self.num_elements), self.steering, num_sources)

    def to_arrays(self) -> dict[str, NDArray]:
        """The table as plain numpy arrays (for ``np.savez`` or a model file); see :meth:`from_arrays`."""
        return {name: getattr(self, name) for name in TABLE_ARRAYS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, ArrayLike]) -> CalibrationTable:
        """Inverse of :meth:`to_arrays` (the interpolation is recomputed)."""
        missing = set(TABLE_ARRAYS) - set(arrays)
        if missing:
            raise ValueError(f"calibration table arrays lack {sorted(missing)}")
        return cls(*(np.asarray(arrays[name]) for name in TABLE_ARRAYS))


def calibrated_music(
    covariance: ArrayLike, table: CalibrationTable, num_sources: int, min_separation_deg: float = 2.0
) -> NDArray[np.float64]:
    """Azimuths of the ``num_sources`` strongest MUSIC peaks on the calibrated table.

    Peaks are local maxima of :meth:`CalibrationTable.spectrum` on the covered grid
    (:func:`~gnuradio.bearing.doa.peaks.find_peaks`, grid ends excluded), so the accuracy is
    limited by the grid step.

    Args:
        covariance: ``R``, shape ``(M, M)``.
        table: the calibrated manifold of the same M elements.
        num_sources: ``K``, ``1 <= K <= M - 1``.
        min_separation_deg: minimum angle between two reported peaks.

    Returns:
        azimuths in degrees, shape ``(K',)`` with ``K' <= K`` (fewer when the spectrum has
        fewer separated peaks), strongest first.
    """
    spectrum = table.spectrum(covariance, num_sources)[table.covered]
    grid = table.grid_deg[table.covered]
    return grid[find_peaks(spectrum, grid, num_sources, min_separation_deg)]


def _is_circular(calibration_deg: NDArray[np.float64]) -> bool:
    """Whether azimuths ``(C,)`` go round the circle: the gap from the last back to the first, one
    turn on, is no wider than the widest step between them (and the span is under a turn)."""
    if calibration_deg.size < 3 or calibration_deg[-1] - calibration_deg[0] >= 360.0:
        return False
    gap = calibration_deg[0] + 360.0 - calibration_deg[-1]
    return bool(gap <= np.max(np.diff(calibration_deg)) + 1e-9)


def check_increasing_deg(values: ArrayLike, name: str, minimum: int) -> NDArray[np.float64]:
    """``values`` as a new float64 array of azimuths; ``ValueError`` naming ``name`` unless it is
    1-D, finite, strictly increasing and has at least ``minimum`` values."""
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1 or array.size < minimum:
        raise ValueError(f"{name} must be 1-D with at least {minimum} values, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(np.diff(array) <= 0):
        raise ValueError(f"{name} must be finite and strictly increasing (degrees)")
    return array


TABLE_FORMAT = "gr-bearing/calibration-table"
"""The ``format`` of a calibration table file (:func:`save_table`)."""


def save_table(
    table: CalibrationTable, path: str | Path, positions_m: ArrayLike, frequency_hz: float
) -> Path:
    """Writes ``table`` of the array ``positions_m`` (M x 3, metres) at ``frequency_hz`` as an
    ``.npz`` file (plain arrays, no pickle): what `bearing calibrate` writes and ``--calibration``
    reads."""
    path = Path(path)
    np.savez(
        path,
        format=np.array(TABLE_FORMAT),
        positions_m=np.asarray(positions_m, dtype=np.float64),
        frequency_hz=np.float64(frequency_hz),
        **table.to_arrays(),
    )
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def load_table(path: str | Path) -> tuple[CalibrationTable, NDArray[np.float64], float]:
    """The table of a file of :func:`save_table`, with its array's positions (M x 3, metres) and
    carrier (Hz); ``ValueError`` naming the file for anything else."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable calibration table ({error})") from None
    if str(arrays.get("format", "")) != TABLE_FORMAT:
        raise ValueError(f"{path}: not a calibration table file (bearing calibrate writes them)")
    table = CalibrationTable.from_arrays(arrays)
    return table, np.asarray(arrays["positions_m"], dtype=np.float64), float(arrays["frequency_hz"])
