"""GNU Radio block: write ``bearings`` messages as JSON lines (the `bearing estimate --json` format)."""

from __future__ import annotations

import collections
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np
import pmt
from gnuradio import gr
from numpy.typing import ArrayLike

from ..array.horizon import Aperture
from ..array.orientation import Orientation
from . import messages
from .base import Guarded


class json_sink(Guarded, gr.basic_block):
    """Writes one JSON object per ``bearings`` message, one per line (see docs/cli.md).

    Args:
        path: file to write; ``-`` (the default) writes to standard output; empty keeps the
            records in memory only.
        heading_deg: the azimuth of the array's boresight, degrees east of true north (a
            capture's ``spatial:aperture_azimuth``); None (the default): the mount is not
            known. Given, each record also holds ``true_azimuth_deg`` (east of true north,
            ``[0, 360)``) and, for an estimate with elevation or an array not mounted level,
            ``true_elevation_deg`` (above the horizon), by
            :meth:`~gnuradio.bearing.array.orientation.Orientation.to_local`.
        tilt_deg: the boresight's elevation above the horizon, degrees.
        roll_deg: the array's roll about its boresight, degrees (clockwise seen from behind).
        positions_m: the array's element positions (``(M, 3)`` metres, SigMF spatial frame);
            with them, an azimuth-only array on a tilted or rolled mount adds
            ``horizon_azimuth_deg`` to each record: the true azimuths of the horizontal
            directions that give its azimuths (null where none does;
            :meth:`~gnuradio.bearing.array.horizon.Aperture.horizon_azimuth_deg`), where
            ``true_azimuth_deg`` is the direction at elevation 0 in the array's own plane.
        frequency_hz: the carrier, hertz (the geometry is judged at its wavelength; 0: as typed).
        annotate: Python callers only: a function of each record whose fields are added to it
            before it is written (the live flowgraph's ``wall_time``, ``latency_ms``, calibration).
        keep_last: keep only the last records in :attr:`records` (0: all of them; a long or
            live run keeps its memory bounded this way).

    The records are also kept in :attr:`records` for Python callers. A path in a folder that
    does not exist is refused when the block is made.
    """

    def __init__(
        self,
        path: str = "-",
        heading_deg: float | None = None,
        tilt_deg: float = 0.0,
        roll_deg: float = 0.0,
        annotate: Callable[[dict], dict] | None = None,
        keep_last: int = 0,
        positions_m: ArrayLike = (),
        frequency_hz: float = 0.0,
    ) -> None:
        gr.basic_block.__init__(self, name="Bearing JSON Sink", in_sig=None, out_sig=None)
        self.orientation = None if heading_deg is None else Orientation(heading_deg, tilt_deg, roll_deg)
        """The array's mount (:class:`~gnuradio.bearing.array.orientation.Orientation`), or None."""
        self.aperture = Aperture.given(positions_m, frequency_hz)
        """What the array observes when it estimates azimuth only, or None."""
        self.records: collections.deque[dict] | list[dict] = (
            collections.deque(maxlen=int(keep_last)) if keep_last else []
        )
        self.written = 0
        self.pipe_closed = False
        """The output was a pipe whose reader went away (``bearing estimate --json | head -1``)."""
        """Records handled so far (all of them, also those :attr:`records` no longer keeps)."""
        self._annotate = annotate
        if path not in ("", "-") and not Path(path).resolve().parent.is_dir():
            raise ValueError(
                f"json_sink path {path}: the folder {Path(path).resolve().parent} does not exist"
            )
        self._path = path
        self._stream: TextIO | None = None
        self.message_port_register_in(pmt.intern(messages.BEARINGS_PORT))
        self.set_msg_handler(pmt.intern(messages.BEARINGS_PORT), self.handle_bearings)

    def handle_bearings(self, message: pmt.pmt_t) -> None:
        record = messages.bearings_record(message)
        if self.orientation is not None:
            record |= _true_bearings(record, self.orientation, self.aperture)
        if self._annotate is not None:
            record |= self._annotate(record)
        self.records.append(record)
        self.written += 1
        if self._stream is not None:
            try:
                self._stream.write(json.dumps(record, allow_nan=False) + "\n")
                self._stream.flush()
            except BrokenPipeError:  # the reader went away (`| head`): stop writing, quietly
                self._stream, self.pipe_closed = None, True

    def start(self) -> bool:
        """Opens the output when the flowgraph starts (an exception here would hang the flowgraph)."""
        if self._path == "-":
            self._stream = sys.stdout
        elif self._path:
            try:
                self._stream = open(self._path, "w")  # closed in stop()
            except OSError as error:
                self.logger.error(
                    f"cannot write {self._path} ({error.strerror}); records kept in memory only"
                )
        return True

    def stop(self) -> bool:
        if self._stream is not None and self._stream is not sys.stdout:
            self._stream.close()
            self._stream = None
        return True


def _true_bearings(record: dict, orientation: Orientation, aperture: Aperture | None) -> dict:
    """The record's bearings in the local frame: ``true_azimuth_deg`` and, when there is an
    elevation or the array is not level, ``true_elevation_deg``; ``horizon_azimuth_deg`` for an
    azimuth-only estimate of a tilted or rolled array whose aperture is known."""
    elevation = record.get("elevation_deg", 0.0)
    azimuth, true_elevation = orientation.to_local(record["azimuth_deg"], elevation)
    fields = {"true_azimuth_deg": azimuth.tolist()}
    if "elevation_deg" in record or not orientation.level:
        fields["true_elevation_deg"] = true_elevation.tolist()
    if "elevation_deg" not in record and not orientation.level and aperture is not None:
        horizon = aperture.horizon_azimuth_deg(orientation, record["azimuth_deg"])
        fields["horizon_azimuth_deg"] = [float(v) if np.isfinite(v) else None for v in horizon]
    return fields
