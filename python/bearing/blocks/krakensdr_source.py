"""GNU Radio block: a KrakenSDR's coherent channels, from the Heimdall DAQ firmware's IQ server.

The frames and commands are :mod:`~gnuradio.bearing.captures.heimdall`'s (which cites the
firmware's files); this block moves them over TCP: the IQ data port (``iq_server.c``: send
``streaming``, then ``IQDownload`` for each next frame, ``q`` to end) and the control port
(``hw_controller.py``: 128-byte requests answered ``FNSD``). docs/krakensdr.md says how to set
up the DAQ.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pmt
from gnuradio import gr

from ..captures import heimdall
from ..validation import check_integer_in, check_positive
from . import messages
from .base import Guarded

CALIBRATION_FRAMES = ("drop", "pass")
"""What the source does with the frames taken with the noise source on (CAL frames)."""

_POLL_S = 0.1
"""The longest a call of work() waits for a frame (it returns 0 items then, and is called again)."""
_QUEUED_FRAMES = 2
"""Frames read ahead of the flowgraph; when it lags, the reader stops asking for frames."""
_NO_SAMPLES = np.zeros((0, 0), dtype=np.complex64)


class _Frame(NamedTuple):
    header: heimdall.IQHeader
    samples: np.ndarray
    """``(cpi_length, active_ant_chs)`` complex64."""


class _Link:
    """A TCP connection to one of the DAQ's ports; its failures are one-line exceptions:
    :class:`ConnectionError` (refused, closed, lost) and :class:`TimeoutError` (silent)."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.address = f"{host}:{port}"
        self.timeout_s = timeout_s
        try:
            self.socket = socket.create_connection((host, port), timeout=timeout_s)
        except ConnectionRefusedError:
            raise ConnectionError(
                f"KrakenSDR: no Heimdall DAQ at {self.address} (connection refused)"
            ) from None
        except TimeoutError:
            raise ConnectionError(
                f"KrakenSDR: no Heimdall DAQ at {self.address} (no answer within {timeout_s:g} s)"
            ) from None
        except OSError as error:
            raise ConnectionError(
                f"KrakenSDR: no Heimdall DAQ at {self.address} ({_reason(error)})"
            ) from None
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, data: bytes) -> None:
        try:
            self.socket.sendall(data)
        except OSError as error:
            raise ConnectionError(self._lost(error)) from None

    def receive(self, size: int) -> bytearray:
        """Exactly ``size`` bytes; TimeoutError when none came for ``timeout_s``."""
        data = bytearray(size)
        view = memoryview(data)
        while view:
            try:
                count = self.socket.recv_into(view)
            except TimeoutError:
                raise TimeoutError(
                    f"KrakenSDR: the Heimdall DAQ at {self.address} sent nothing for {self.timeout_s:g} s"
                ) from None
            except OSError as error:
                raise ConnectionError(self._lost(error)) from None
            if not count:
                raise ConnectionError(f"KrakenSDR: the Heimdall DAQ at {self.address} closed the connection")
            view = view[count:]
        return data

    def close(self, goodbye: bytes = b"") -> None:
        """Close, after sending ``goodbye`` if the connection still takes it."""
        with contextlib.suppress(OSError):
            if goodbye:
                self.socket.sendall(goodbye)
        self.socket.close()

    def _lost(self, error: OSError) -> str:
        return f"KrakenSDR: lost the Heimdall DAQ at {self.address} ({_reason(error)})"


class krakensdr_source(Guarded, gr.sync_block):
    """A KrakenSDR (or KerberosSDR) through the Heimdall DAQ firmware: complex64 vectors of
    ``num_channels`` samples, one per snapshot of all channels, as the DAQ streams them.

    The constructor connects to the IQ data port and reads the first frame (so
    :attr:`frequency_hz` and :attr:`sample_rate_hz` are known before the flowgraph runs); a
    DAQ that is not there, or that sends nothing for ``timeout_s``, is a one-line
    :class:`ConnectionError`, a DAQ with another channel count a :class:`ValueError`. While the
    flowgraph runs, a thread asks for frame after frame: DATA frames go out, DUMMY, RAMP and
    TRIGW frames (no antenna samples) are skipped, CAL frames (taken with the shared noise source
    on) are dropped or passed as ``calibration_frames`` says.

    Tags (:mod:`~gnuradio.bearing.blocks.messages`): ``noise_source`` ``{on: bool}`` on the
    first sample and on every sample where the noise source's state differs from the sample
    before. Message ``status``: the DAQ's state (frame type, noise source, sample and IQ sync,
    overdrive, frequency, sample rate) whenever it changes, frame by frame, DUMMY ones too.

    The stream ends (work returns WORK_DONE, so the flowgraph stops by itself) when the DAQ closes
    the connection, sends nothing for ``timeout_s``, sends a bad frame or a frame of another
    channel count: one logged error line, also in :attr:`error`. The block streams once: when
    its flowgraph has stopped it has said goodbye to the DAQ (``q``, ``EXIT``); make a new one.

    Args:
        host: the computer that runs the DAQ (its ``[data_interface] out_data_iface_type`` eth).
        iq_port: the IQ data port (5000 in the firmware).
        control_port: the control port (5001), connected on the first command.
        num_channels: the channels (``[hw] num_ch``: 5 for a KrakenSDR, 4 for a KerberosSDR).
        calibration_frames: ``"drop"`` or ``"pass"`` the CAL frames.
        timeout_s: the longest the DAQ may stay silent, seconds (connecting, per frame, and
            for the answer to a control command).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        iq_port: int = 5000,
        control_port: int = 5001,
        num_channels: int = 5,
        calibration_frames: str = "drop",
        timeout_s: float = 5.0,
    ) -> None:
        check_integer_in("iq_port", iq_port, 1, 65535)
        check_integer_in("control_port", control_port, 1, 65535)
        check_integer_in("num_channels", num_channels, 1, 31)
        if calibration_frames not in CALIBRATION_FRAMES:
            raise ValueError(f"calibration_frames: 'drop' or 'pass', got {calibration_frames!r}")
        gr.sync_block.__init__(
            self, name="Bearing KrakenSDR Source", in_sig=None, out_sig=[(np.complex64, int(num_channels))]
        )
        self.message_port_register_out(pmt.intern(messages.STATUS_PORT))
        self.error = ""
        """Why the stream ended ("" while it runs): the line that was logged."""
        self._host, self._control_port = host, int(control_port)
        self._num_channels = int(num_channels)
        self._pass_calibration = calibration_frames == "pass"
        self._timeout_s = check_positive(timeout_s, "timeout_s")
        self._queue: queue.Queue[_Frame | str] = queue.Queue(_QUEUED_FRAMES)
        self._stopping = threading.Event()
        self._reader: threading.Thread | None = None
        self._control: _Link | None = None
        self._control_lock = threading.Lock()
        self._samples, self._position = _NO_SAMPLES, 0
        self._status: dict | None = None
        self._noise_source: bool | None = None  # the state of the last sample out
        self._iq = _Link(host, int(iq_port), self._timeout_s)
        try:
            self._iq.send(heimdall.STREAMING_REQUEST)
            first = self._receive_frame()
        except TimeoutError as error:
            self._iq.close()
            raise ConnectionError(f"{error} (is its DAQ chain running?)") from None
        except BaseException:
            self._iq.close()
            raise
        if first.header.active_ant_chs != self._num_channels:
            self._iq.close(heimdall.QUIT_REQUEST)
            raise ValueError(self._channel_mismatch(first.header))
        self._header = first.header
        self._queue.put(first)
        if first.header.cpi_length:
            self.set_min_output_buffer(first.header.cpi_length)

    @property
    def num_channels(self) -> int:
        return self._num_channels

    @property
    def frequency_hz(self) -> float:
        """The RF centre frequency of the last frame received, Hz."""
        return self._header.frequency_hz

    @property
    def sample_rate_hz(self) -> float:
        """The sample rate of the last frame received, Hz."""
        return self._header.sample_rate_hz

    def set_frequency(self, frequency_hz: float) -> None:
        """Retune every channel (``FREQ``); returns when the DAQ confirms, which it does only while
        frames flow (the flowgraph runs). The frames that follow say the new frequency."""
        self._command(heimdall.frequency_command(check_positive(frequency_hz, "frequency_hz")))

    def set_gain(self, gain_db: float | Sequence[float]) -> None:
        """Set the IF gain (``GAIN``), dB: one value for every channel or one per channel, each one
        of the R820T's gains (``heimdall.VALID_GAINS_TENTH_DB`` / 10, e.g. 0, 29.7, 49.6)."""
        gains = [gain_db] * self._num_channels if np.isscalar(gain_db) else list(gain_db)
        if len(gains) != self._num_channels:
            raise ValueError(f"gain_db: one gain or {self._num_channels}, got {len(gains)}")
        self._command(heimdall.gain_command(gains))

    def start(self) -> bool:
        self._reader = threading.Thread(target=self._read, name="krakensdr_source reader", daemon=True)
        self._reader.start()
        return True

    def stop(self) -> bool:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._iq.socket.shutdown(socket.SHUT_RD)  # wakes the reader up
        if self._reader is not None:
            self._reader.join(self._timeout_s + 1.0)
        self._iq.close(heimdall.QUIT_REQUEST)
        with self._control_lock:
            if self._control is not None:
                self._control.close(heimdall.encode_control("EXIT"))
                self._control = None
        return True

    def work(self, input_items, output_items) -> int:
        out = output_items[0]
        produced = 0
        while produced < len(out) and not self.error:
            if self._position == len(self._samples):
                item = self._take(wait=produced == 0)
                if item is None:
                    break
                self._begin(item, produced)
                continue
            count = min(len(out) - produced, len(self._samples) - self._position)
            out[produced : produced + count] = self._samples[self._position : self._position + count]
            produced += count
            self._position += count
        if self.error and not produced:
            return -1  # WORK_DONE
        return produced

    def _take(self, wait: bool) -> _Frame | None:
        """The next frame from the reader (waiting at most _POLL_S if ``wait``); None if none yet
        or when the stream ended (then :attr:`error` says why)."""
        try:
            item = self._queue.get(timeout=_POLL_S) if wait else self._queue.get_nowait()
        except queue.Empty:
            return None
        if isinstance(item, str):
            self.error = item
            self.logger.error(item)
            return None
        return item

    def _begin(self, frame: _Frame, produced: int) -> None:
        """Start on ``frame``, whose first sample (if it goes out) is output item ``produced``."""
        header = frame.header
        status = heimdall.status(header)
        if status != self._status:
            self._status = status
            self.message_port_pub(pmt.intern(messages.STATUS_PORT), messages.to_pmt(status))
        if header.active_ant_chs != self._num_channels:
            self.error = self._channel_mismatch(header)
            self.logger.error(self.error)
            return
        goes_out = header.frame_type == heimdall.FRAME_TYPE_DATA or (
            header.frame_type == heimdall.FRAME_TYPE_CAL and self._pass_calibration
        )
        self._samples = frame.samples if goes_out else _NO_SAMPLES
        self._position = 0
        noise_source = bool(header.noise_source_state)
        if len(self._samples) and noise_source != self._noise_source:
            self._noise_source = noise_source
            self.add_item_tag(
                0,
                self.nitems_written(0) + produced,
                pmt.intern(messages.NOISE_SOURCE),
                messages.to_pmt({"on": noise_source}),
            )

    def _read(self) -> None:
        """The reader thread: frame after frame into the queue, until stopped or the stream ends."""
        try:
            while not self._stopping.is_set():
                self._iq.send(heimdall.FRAME_REQUEST)
                frame = self._receive_frame()
                self._header = frame.header
                self._put(frame)
        except OSError as error:
            if not self._stopping.is_set():
                self._put(str(error))

    def _put(self, item: _Frame | str) -> None:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def _receive_frame(self) -> _Frame:
        """One frame from the IQ port (after its request); ConnectionError on a bad one."""
        try:
            header = heimdall.IQHeader.from_bytes(self._iq.receive(heimdall.HEADER_BYTES))
            samples = heimdall.decode_payload(header, self._iq.receive(header.payload_bytes))
        except heimdall.HeimdallError as error:
            raise ConnectionError(
                f"KrakenSDR: bad frame from the Heimdall DAQ at {self._iq.address}: {error}"
            ) from None
        return _Frame(header, samples)

    def _command(self, request: bytes) -> None:
        """Send a control request and wait for its ``FNSD``; one-line ConnectionError or TimeoutError."""
        name = heimdall.decode_control(request)[0]
        with self._control_lock:
            if self._control is None:
                self._control = _Link(self._host, self._control_port, self._timeout_s)
            try:
                self._control.send(request)
                answer = bytes(self._control.receive(heimdall.CONTROL_FRAME_BYTES))
            except TimeoutError:
                self._drop_control()
                raise TimeoutError(
                    f"KrakenSDR: the Heimdall DAQ at {self._host}:{self._control_port} did not confirm "
                    f"{name} within {self._timeout_s:g} s (it answers only while frames flow)"
                ) from None
            except ConnectionError:
                self._drop_control()
                raise
        if answer[:4] != heimdall.CONTROL_DONE:
            raise ConnectionError(
                f"KrakenSDR: the Heimdall DAQ at {self._host}:{self._control_port} answered "
                f"{answer[:4]!r} to {name}, not {heimdall.CONTROL_DONE!r}"
            )

    def _drop_control(self) -> None:
        """Close the control connection after a failure (the next command connects again)."""
        if self._control is not None:
            self._control.close()
            self._control = None

    def _channel_mismatch(self, header: heimdall.IQHeader) -> str:
        return (
            f"KrakenSDR: the Heimdall DAQ at {self._iq.address} sends {header.active_ant_chs} channels, "
            f"the block's num_channels is {self._num_channels}"
        )


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__
