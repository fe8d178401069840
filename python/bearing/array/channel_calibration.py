"""An array's channel calibration as a small JSON file: the per-channel complex gains of
:mod:`.coherence`, with the array, the carrier and the time they were measured at.

A calibration holds only for the receiver it was measured on, at that carrier, until its
channels drift: :meth:`ChannelCalibration.check_array` refuses it for another geometry or
carrier, and the file says when it was made. The gains are the channels' own (``x = diag(g) y``,
``x`` what the receiver records, ``y`` what an ideal array would), so the correction that makes
the array nominal is ``1 / g``: the Coherence Calibrator divides by them, the replay flowgraph
(``bearing estimate --calibration CAL.json``) multiplies by ``1 / g``.

They come from a live array's noise source or beacon (the Coherence Calibrator, ``bearing live
--save-calibration``), from the IDL-TLBO self-calibration of a capture (``bearing calibrate
--method idl-tlbo``: the sources at unknown bearings; the gains are known up to a linear phase
trend across the array, which the file leaves out, docs/idl-tlbo.md), or from a ``calibration``
message that the Coherence Calibrator received (``message``). Format (``"format": "gr-bearing
channel calibration"``, ``"version": 1``)::

    {"format": ..., "version": 1, "method": "noise" | "beacon" | "idl-tlbo" | "message",
     "time": "2026-12-07T01:02:03Z", "frequency_hz": 4.85e9,
     "positions_m": [[x, y, z], ...], "gains_real": [...], "gains_imag": [...],
     "coherence": 0.99, "beacon_azimuth_deg": 20.0 (beacon only)}

``coherence`` is null when unknown (a calibration received as a message without one).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .coherence import beacon_gains, coherence, noise_source_gains
from .geometry import steering_matrix, wavelength_m

FORMAT = "gr-bearing channel calibration"
VERSION = 1
METHODS = ("noise", "beacon", "idl-tlbo", "message")
"""How the gains were measured: a shared noise source, a beacon at a known bearing, the IDL-TLBO
self-calibration of a capture (``bearing calibrate --method idl-tlbo``), or unknown: received as
a ``calibration`` message by the Coherence Calibrator without one of the others as its method."""

MEASURED = ("noise", "beacon")
"""The methods of :func:`measure_calibration`."""


class CalibrationFileError(ValueError):
    """A calibration file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class ChannelCalibration:
    """Per-channel complex gains ``g`` (``(M,)``, ``g_0 = 1``) of an array's receiver: ``x = diag(g) y``
    (the recorded ``x``, the ideal array's ``y``; the correction is ``1 / g``).

    Attributes:
        gains: the gains, complex128 ``(M,)``.
        method: how they were measured (:data:`METHODS`).
        frequency_hz: the carrier they hold at.
        positions_m: the array's element positions ``(M, 3)``, metres.
        coherence: :func:`~.coherence.coherence` of the calibration signal, ``[1/M, 1]``: of the
            noise source or the beacon (near 1 for a good calibration); for ``idl-tlbo``, of the
            capture's covariance the gains were estimated from, which with K sources of similar
            power is near 1/K and says nothing about the calibration's quality.
        time: when they were measured, ISO 8601 UTC.
        beacon_azimuth_deg: the beacon's bearing, for the beacon method.
    """

    gains: NDArray[np.complex128]
    method: str
    frequency_hz: float
    positions_m: NDArray[np.float64]
    coherence: float
    time: str = field(default_factory=lambda: utc_now())
    beacon_azimuth_deg: float | None = None

    def __post_init__(self) -> None:
        gains = np.asarray(self.gains, dtype=np.complex128).reshape(-1)
        positions = np.asarray(self.positions_m, dtype=np.float64)
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if positions.shape != (gains.size, 3):
            raise ValueError(
                f"positions_m must be ({gains.size}, 3) for {gains.size} gains, got {positions.shape}"
            )
        if not np.all(np.isfinite(gains)) or not np.all(np.abs(gains) > 0):
            raise ValueError("gains must be finite and non-zero")
        if not (math.isfinite(self.frequency_hz) and self.frequency_hz > 0):
            raise ValueError(f"frequency_hz must be positive, got {self.frequency_hz}")
        object.__setattr__(self, "gains", gains)
        object.__setattr__(self, "positions_m", positions)

    @property
    def phase_deg(self) -> NDArray[np.float64]:
        """Each channel's phase against channel 0, degrees in ``(-180, 180]``."""
        return np.degrees(np.angle(self.gains))

    @property
    def gain_db(self) -> NDArray[np.float64]:
        """Each channel's amplitude against channel 0, dB."""
        return 20.0 * np.log10(np.abs(self.gains))

    def check_array(self, positions_m: ArrayLike, frequency_hz: float, what: str = "the array") -> None:
        """ValueError unless ``positions_m`` (metres) and ``frequency_hz`` are this calibration's
        array and carrier (to 1 mm and 1 Hz): a calibration holds for its receiver only."""
        positions = np.asarray(positions_m, dtype=np.float64)
        if positions.shape != self.positions_m.shape or not np.allclose(
            positions, self.positions_m, atol=1e-3
        ):
            raise ValueError(
                f"the calibration is of an array of {self.gains.size} elements at other positions "
                f"than {what} ({positions.shape[0]} elements)"
            )
        if abs(frequency_hz - self.frequency_hz) > 1.0:
            raise ValueError(
                f"the calibration was measured at {self.frequency_hz:.6g} Hz, {what} is at "
                f"{frequency_hz:.6g} Hz: channel phases change with the carrier; calibrate again"
            )

    def to_dict(self) -> dict:
        """The JSON object of the file format (module docstring)."""
        record = {
            "format": FORMAT,
            "version": VERSION,
            "method": self.method,
            "time": self.time,
            "frequency_hz": float(self.frequency_hz),
            "positions_m": self.positions_m.tolist(),
            "gains_real": self.gains.real.tolist(),
            "gains_imag": self.gains.imag.tolist(),
            "coherence": float(self.coherence) if math.isfinite(self.coherence) else None,
        }
        if self.beacon_azimuth_deg is not None:
            record["beacon_azimuth_deg"] = float(self.beacon_azimuth_deg)
        return record

    @classmethod
    def from_dict(cls, record: dict) -> ChannelCalibration:
        """The calibration of a :meth:`to_dict` object (ValueError, KeyError or TypeError if not one)."""
        if record.get("format") != FORMAT or record.get("version") != VERSION:
            raise ValueError(
                f"not a {FORMAT} version {VERSION} "
                f"(format {record.get('format')!r}, version {record.get('version')!r})"
            )
        beacon = record.get("beacon_azimuth_deg")
        return cls(
            gains=np.asarray(record["gains_real"], dtype=float)
            + 1j * np.asarray(record["gains_imag"], dtype=float),
            method=str(record["method"]),
            frequency_hz=float(record["frequency_hz"]),
            positions_m=np.asarray(record["positions_m"], dtype=float),
            coherence=math.nan if record["coherence"] is None else float(record["coherence"]),
            time=str(record["time"]),
            beacon_azimuth_deg=None if beacon is None else float(beacon),
        )

    def save(self, path: str | Path) -> Path:
        """Writes the calibration file (JSON); returns its path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return path


def measure_calibration(
    covariance: ArrayLike,
    method: str,
    positions_m: ArrayLike,
    frequency_hz: float,
    beacon_azimuth_deg: float = 0.0,
    beacon_elevation_deg: float = 0.0,
) -> ChannelCalibration:
    """The calibration of the covariance ``(M, M)`` of a calibration signal: a shared noise
    source (:func:`~.coherence.noise_source_gains`) or a beacon at a known bearing
    (:func:`~.coherence.beacon_gains`, the ideal steering vector of ``positions_m`` at
    ``frequency_hz``), with the signal's :func:`~.coherence.coherence`."""
    if method == "noise":
        gains, beacon = noise_source_gains(covariance), None
    elif method == "beacon":
        steering = steering_matrix(
            positions_m, beacon_azimuth_deg, wavelength_m(frequency_hz), beacon_elevation_deg
        )
        gains, beacon = beacon_gains(covariance, steering[:, 0]), float(beacon_azimuth_deg)
    else:
        raise ValueError(f"method must be one of {', '.join(MEASURED)}, got {method!r}")
    return ChannelCalibration(
        gains=gains,
        method=method,
        frequency_hz=float(frequency_hz),
        positions_m=np.asarray(positions_m, dtype=float),
        coherence=coherence(covariance),
        beacon_azimuth_deg=beacon,
    )


def phase_drift_deg(previous: ChannelCalibration, current: ChannelCalibration) -> float:
    """The largest change of a channel's phase between two calibrations of one array, degrees
    in ``[0, 180]``: how far the channels drifted apart in between."""
    return float(np.max(np.abs(np.degrees(np.angle(current.gains / previous.gains)))))


def load_calibration(path: str | Path) -> ChannelCalibration:
    """Reads a calibration file; :class:`CalibrationFileError` naming the file and the problem."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except OSError as error:
        raise CalibrationFileError(f"{path}: cannot read the calibration file ({error.strerror})") from None
    except ValueError as error:
        raise CalibrationFileError(f"{path}: the calibration file is not JSON ({error})") from None
    if not isinstance(record, dict):
        raise CalibrationFileError(f"{path}: the calibration file must hold a JSON object")
    try:
        return ChannelCalibration.from_dict(record)
    except (KeyError, TypeError, ValueError) as error:
        raise CalibrationFileError(f"{path}: not a usable calibration file: {error}") from None


def utc_now() -> str:
    """The current time, ISO 8601 UTC to the second (``2026-12-07T01:02:03Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
