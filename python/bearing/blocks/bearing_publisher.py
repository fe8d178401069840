"""GNU Radio block: each estimate as a bearing report (versioned JSON, docs/positioning.md) for
gr-zeromq's ZMQ PUB Message Sink, which sends it to ``bearing locate``."""

from __future__ import annotations

import time

import numpy as np
import pmt
from gnuradio import gr
from numpy.typing import ArrayLike

from ..array.horizon import Aperture
from ..array.orientation import Orientation
from ..positioning.report import StationPose, encode_report, report_fields, window_time_s
from ..validation import check_number, check_positive
from . import messages
from .base import Guarded

REPORTS_PORT = "reports"
REALTIME_SKIP_S = 1.0
"""A paced report later than this (seconds) is not sent."""


class bearing_publisher(Guarded, gr.basic_block):
    """Turns each ``bearings`` message into a bearing report: a PDU (an empty metadata dict and
    the report's UTF-8 JSON as a u8 vector) on the ``reports`` port. Connect it to a ZMQ PUB
    Message Sink (gr-zeromq): ``bearing locate --connect`` subscribes to it.

    Args:
        station_id: the station's name in the reports and on the map.
        position: the array's position: ``(latitude_deg, longitude_deg, altitude_m)`` (WGS-84)
            when ``geodetic``, else ``(east_m, north_m, up_m)`` in the fusion's local frame.
        geodetic: how to read ``position``.
        heading_deg: the azimuth of the array's boresight, degrees east of true north.
        tilt_deg: the boresight's elevation above the horizon, degrees.
        roll_deg: the array's roll about its boresight, degrees (clockwise seen from behind).
        sample_rate_hz: the capture's sample rate (a window's time is its centre sample's).
        start_time_s: the time of sample 0, seconds since the UNIX epoch (a capture's
            ``core:datetime``); 0 gives times since the start. A message without samples
            (``sample_start`` -1) is stamped with the wall clock.
        azimuth_std_deg: each bearing's standard deviation when the estimator gives none
            (the CRB at the expected SNR, or the array's measured accuracy), degrees.
        elevation_std_deg: the same for elevations (arrays that resolve elevation).
        segment_times: ``[(sample_start, time_s), ...]``, the time of each segment of a
            recording whose clock has gaps
            (:func:`~gnuradio.bearing.positioning.station.capture_segment_times`); empty:
            ``start_time_s`` and the sample rate date every sample.
        realtime_start_s: a replay played as a live station: each report waits until the wall
            clock (UNIX seconds) reaches ``realtime_start_s`` plus its time after the first
            report's (a report up to a second late goes at once, a later one is skipped). None:
            reports go as estimates come.
        positions_m: the array's element positions, ``(M, 3)`` metres in the SigMF spatial
            frame (the estimator's), so that the reports carry the aperture of an array that
            estimates azimuth only (:class:`~gnuradio.bearing.array.horizon.Aperture`); empty:
            not given. A tilted or rolled station needs them: the fusion refuses its
            azimuth-only bearings without (``no_aperture``).
        frequency_hz: the carrier, hertz (the estimator's): the geometry is judged at its
            wavelength, as the estimator judges it; 0: not given (positions as typed).

    A message without a finite bearing (a failed estimate) gives no report; :attr:`published`
    and :attr:`skipped` count the reports sent and not sent.
    """

    def __init__(
        self,
        station_id: str = "station-1",
        position: tuple[float, float, float] = (0.0, 0.0, 0.0),
        geodetic: bool = False,
        heading_deg: float = 0.0,
        tilt_deg: float = 0.0,
        roll_deg: float = 0.0,
        sample_rate_hz: float = 1.0,
        start_time_s: float = 0.0,
        azimuth_std_deg: float = 1.0,
        elevation_std_deg: float = 1.0,
        segment_times: list | tuple = (),
        realtime_start_s: float | None = None,
        positions_m: ArrayLike = (),
        frequency_hz: float = 0.0,
    ) -> None:
        gr.basic_block.__init__(self, name="Bearing Publisher", in_sig=None, out_sig=None)
        if not str(station_id):
            raise ValueError("station_id must not be empty")
        position = tuple(check_number(v, "position") for v in np.ravel(position))
        if len(position) != 3:
            raise ValueError(
                f"position must hold 3 numbers (lat, lon, alt or east, north, up), not {len(position)}"
            )
        self.station_id = str(station_id)
        self.pose = StationPose(
            Orientation(heading_deg, tilt_deg, roll_deg),
            position,
            bool(geodetic),
            Aperture.given(positions_m, frequency_hz),
        )
        self.sample_rate_hz = check_positive(sample_rate_hz, "sample_rate_hz")
        self.start_time_s = check_number(start_time_s, "start_time_s")
        self.azimuth_std_deg = check_positive(azimuth_std_deg, "azimuth_std_deg")
        self.elevation_std_deg = check_positive(elevation_std_deg, "elevation_std_deg")
        self.segment_times = sorted((int(index), float(time_s)) for index, time_s in segment_times)
        self.realtime_start_s = realtime_start_s
        self._first_time_s: float | None = None
        self.published = 0
        self.skipped = 0
        self.message_port_register_in(pmt.intern(messages.BEARINGS_PORT))
        self.message_port_register_out(pmt.intern(REPORTS_PORT))
        self.set_msg_handler(pmt.intern(messages.BEARINGS_PORT), self.handle_bearings)

    @classmethod
    def for_pose(
        cls,
        station_id: str,
        pose: StationPose,
        sample_rate_hz: float,
        azimuth_std_deg: float = 1.0,
        elevation_std_deg: float = 1.0,
        segment_times: list | tuple = (),
        realtime_start_s: float | None = None,
    ) -> bearing_publisher:
        """The publisher of a station whose pose is known (Python callers: ``--publish``, ``--replay``),
        its aperture included."""
        orientation = pose.orientation
        publisher = cls(
            station_id,
            pose.position,
            pose.geodetic,
            orientation.heading_deg,
            orientation.tilt_deg,
            orientation.roll_deg,
            sample_rate_hz,
            0.0,
            azimuth_std_deg,
            elevation_std_deg,
            segment_times,
            realtime_start_s,
        )
        publisher.pose = pose
        return publisher

    def report(self, record: dict) -> str | None:
        """The JSON text of the report of one ``bearing estimate --json`` record, or None."""
        return self._report(record, self._window_time_s(record))

    def _window_time_s(self, record: dict) -> float | None:
        return window_time_s(record, self.sample_rate_hz, self.start_time_s, self.segment_times)

    def _report(self, record: dict, time_s: float | None) -> str | None:
        fields = report_fields(
            record,
            self.station_id,
            self.pose,
            time.time() if time_s is None else time_s,
            self.azimuth_std_deg,
            self.elevation_std_deg,
        )
        return None if fields is None else encode_report(fields)

    def handle_bearings(self, message: pmt.pmt_t) -> None:
        record = messages.bearings_record(message)
        time_s = self._window_time_s(record)
        text = self._report(record, time_s)
        if text is None:
            self.skipped += 1
            return
        if self.realtime_start_s is not None and not self._wait_for(time_s):
            self.skipped += 1
            return
        data = text.encode()
        blob = pmt.init_u8vector(len(data), list(data))
        self.message_port_pub(pmt.intern(REPORTS_PORT), pmt.cons(pmt.make_dict(), blob))
        self.published += 1

    def _wait_for(self, time_s: float | None) -> bool:
        """Sleeps until the wall clock reaches this report's time on the realtime schedule; False
        for a report over :data:`REALTIME_SKIP_S` late (its time has passed: a live station
        would not send it)."""
        if time_s is None:
            return True
        if self._first_time_s is None:
            self._first_time_s = time_s
        delay = self.realtime_start_s + (time_s - self._first_time_s) - time.time()
        if delay > 0:
            time.sleep(delay)
        return delay > -REALTIME_SKIP_S
