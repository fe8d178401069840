"""A fake Heimdall DAQ (KrakenSDR) on 127.0.0.1: its IQ data port and its control port.

It speaks the firmware's protocol (see :mod:`gnuradio.bearing.captures.heimdall`): on the IQ
port it waits for ``b"streaming"``, sends a frame, and sends the next one for each
``b"IQDownload"`` (anything else ends the stream, as in ``iq_server.c``; one client at a time);
on the control port it records every 128-byte request and answers ``FNSD`` (``hw_controller.py``),
a ``FREQ`` request retuning the frames that follow. Use it as a context manager::

    with FakeHeimdall(num_channels=5, cpi_length=256, frame_types=[FRAME_TYPE_CAL] * 2) as daq:
        source = bearing.krakensdr_source("127.0.0.1", daq.iq_port, daq.control_port, 5)

From a shell (e.g. to try a flowgraph in GRC without a KrakenSDR; Ctrl-C ends it)::

    python tests/helpers/fake_heimdall.py --port 5000 --channels 5 --cal-frames 10 --azimuth-deg 30
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Callable, Sequence

import numpy as np
from gnuradio.bearing.captures import heimdall

SamplesFunction = Callable[[int], np.ndarray]
"""Frame index -> the frame's samples, ``(num_channels, cpi_length)`` complex (Heimdall's layout)."""

_POLL_S = 0.05
"""How often the server threads look whether they were closed."""


def counting_samples(num_channels: int, cpi_length: int) -> SamplesFunction:
    """Samples that say where they come from: frame ``f``, sample ``n`` of channel ``m`` is
    ``(f * cpi_length + n) + 1j * m`` (exact in complex64 below 2^24 samples)."""

    def samples(index: int) -> np.ndarray:
        counter = index * cpi_length + np.arange(cpi_length)
        return (counter[np.newaxis, :] + 1j * np.arange(num_channels)[:, np.newaxis]).astype(np.complex64)

    return samples


def counting_snapshots(frame_indices: Sequence[int], num_channels: int, cpi_length: int) -> np.ndarray:
    """What a client outputs for those frames of :func:`counting_samples`: ``(N, num_channels)``."""
    samples = counting_samples(num_channels, cpi_length)
    return np.concatenate([samples(index).T for index in frame_indices]).astype(np.complex64)


class FakeHeimdall:
    """A Heimdall DAQ on 127.0.0.1 (ports 0: ephemeral; read :attr:`iq_port`, :attr:`control_port`).

    Args:
        num_channels: ``active_ant_chs`` of the default samples.
        cpi_length: samples per channel and frame (DUMMY and TRIGW frames have none).
        samples: frame index -> ``(channels, cpi_length)`` complex samples of a DATA or CAL frame
            (default :func:`counting_samples`); the header's channel count is the array's.
        frame_types: the type of the first frames (``heimdall.FRAME_TYPE_*``), DATA after them;
            CAL frames have ``noise_source_state`` 1, the others 0.
        max_frames: stop after this many frames (None: never), then ``after_last``.
        after_last: ``"stall"`` (keep the connection, send nothing) or ``"close"`` (close it).
        frequency_hz, sample_rate_hz: the header's ``rf_center_freq`` (until a FREQ request)
            and ``sampling_freq``.
        frame_interval_s: pause before each frame (a real DAQ sends one per CPI).
        answer_control: answer the control requests with ``FNSD`` (False: record them only).
    """

    def __init__(
        self,
        num_channels: int = 5,
        cpi_length: int = 256,
        samples: SamplesFunction | None = None,
        frame_types: Sequence[int] = (),
        max_frames: int | None = None,
        after_last: str = "stall",
        frequency_hz: float = 433.92e6,
        sample_rate_hz: float = 2.4e6,
        iq_port: int = 0,
        control_port: int = 0,
        frame_interval_s: float = 0.0,
        answer_control: bool = True,
    ) -> None:
        if after_last not in ("stall", "close"):
            raise ValueError(f"after_last: 'stall' or 'close', got {after_last!r}")
        self.num_channels = num_channels
        self.cpi_length = cpi_length
        self.samples = samples or counting_samples(num_channels, cpi_length)
        self.frame_types = list(frame_types)
        self.max_frames = max_frames
        self.after_last = after_last
        self.frequency_hz = float(frequency_hz)
        self.sample_rate_hz = float(sample_rate_hz)
        self.frame_interval_s = frame_interval_s
        self.answer_control = answer_control
        self.frames_sent = 0
        self.iq_requests: list[bytes] = []
        """Every request received on the IQ port, in order."""
        self.control_frames: list[bytes] = []
        """Every 128-byte control request received, in order."""
        self._closed = threading.Event()
        self._sending = threading.Event()
        self._sending.set()
        self._lock = threading.Lock()
        self._iq_listener = _listen(iq_port)
        self._control_listener = _listen(control_port)
        self.iq_port: int = self._iq_listener.getsockname()[1]
        self.control_port: int = self._control_listener.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._serve, args=(self._iq_listener, self._stream), daemon=True),
            threading.Thread(target=self._serve, args=(self._control_listener, self._control), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> FakeHeimdall:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def stop_sending(self) -> None:
        """Send no more frames (the connection stays open): a DAQ that hangs."""
        self._sending.clear()

    def close(self) -> None:
        """Close the ports and every connection; waits for the server threads."""
        self._closed.set()
        for listener in (self._iq_listener, self._control_listener):
            listener.close()
        for thread in self._threads:
            thread.join(timeout=5.0)

    def frame_type(self, index: int) -> int:
        """The type of frame ``index``."""
        return self.frame_types[index] if index < len(self.frame_types) else heimdall.FRAME_TYPE_DATA

    def frame(self, index: int) -> bytes:
        """Frame ``index`` on the wire (header and payload)."""
        frame_type = self.frame_type(index)
        with_samples = frame_type not in (heimdall.FRAME_TYPE_DUMMY, heimdall.FRAME_TYPE_TRIGW)
        samples = np.asarray(self.samples(index)) if with_samples else np.zeros((self.num_channels, 0))
        header = heimdall.IQHeader(
            frame_type=frame_type,
            hardware_id="kraken5",
            active_ant_chs=samples.shape[0],
            rf_center_freq=round(self.frequency_hz),
            adc_sampling_freq=round(self.sample_rate_hz),
            sampling_freq=round(self.sample_rate_hz),
            cpi_length=samples.shape[1],
            time_stamp=round(time.time() * 1000),
            daq_block_index=index,
            cpi_index=index,
            data_type=3 if with_samples else 0,
            if_gains=(496,) * samples.shape[0] + (0,) * (32 - samples.shape[0]),
            delay_sync_flag=1,
            iq_sync_flag=1,
            sync_state=6,
            noise_source_state=int(frame_type == heimdall.FRAME_TYPE_CAL),
        )
        return heimdall.encode_frame(header, samples.T)

    def _serve(self, listener: socket.socket, handle: Callable[[socket.socket], None]) -> None:
        """Accept one client at a time until closed (as the firmware's servers do)."""
        while not self._closed.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            with connection:
                connection.settimeout(_POLL_S)
                try:
                    handle(connection)
                except OSError:  # the client went away
                    pass

    def _stream(self, connection: socket.socket) -> None:
        if self._request(connection) != heimdall.STREAMING_REQUEST:
            return
        while self._may_send(connection):
            time.sleep(self.frame_interval_s)
            with self._lock:
                frame = self.frame(self.frames_sent)
            connection.sendall(frame)
            self.frames_sent += 1
            if self._request(connection) != heimdall.FRAME_REQUEST:
                return

    def _may_send(self, connection: socket.socket) -> bool:
        """Whether to send the next frame, after waiting while stalled (:meth:`stop_sending`, or
        ``max_frames`` sent with ``after_last`` "stall"); False when the stream ends: the server
        closes, ``after_last`` is "close", or the client sends or closes while the server stalls."""
        while not self._closed.is_set():
            done = self.max_frames is not None and self.frames_sent >= self.max_frames
            if done and self.after_last == "close":
                return False
            if not done and self._sending.is_set():
                return True
            try:
                self.iq_requests.append(connection.recv(1024))
            except TimeoutError:
                continue
            return False
        return False

    def _control(self, connection: socket.socket) -> None:
        while not self._closed.is_set():
            request = self._receive(connection, heimdall.CONTROL_FRAME_BYTES, exact=True)
            if len(request) < heimdall.CONTROL_FRAME_BYTES:
                return
            self.control_frames.append(request)
            command, _ = heimdall.decode_control(request)
            if command == "EXIT":
                return
            if command == "FREQ":
                with self._lock:
                    self.frequency_hz = float(heimdall.decode_frequency(request))
            if self.answer_control:
                connection.sendall(_DONE)

    def _request(self, connection: socket.socket) -> bytes:
        """The client's next request on the IQ port: one ``recv`` of up to 1024 bytes, as
        ``iq_server.c`` does (recorded in :attr:`iq_requests`)."""
        request = self._receive(connection, 1024)
        self.iq_requests.append(request)
        return request

    def _receive(self, connection: socket.socket, size: int, exact: bool = False) -> bytes:
        """One ``recv`` of up to ``size`` bytes, or with ``exact`` all ``size``; less (b"" at
        least) when the client closed or the server is closing."""
        data = b""
        while not self._closed.is_set():
            try:
                chunk = connection.recv(size - len(data))
            except TimeoutError:
                continue
            data += chunk
            if not chunk or not exact or len(data) == size:
                return data
        return data


_DONE = heimdall.CONTROL_DONE + bytes(heimdall.CONTROL_FRAME_BYTES - 4)
"""The control answer: ``FNSD`` and 124 zero bytes (``CtrIfaceServer.run``)."""


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    listener.settimeout(_POLL_S)
    return listener


def plane_wave_samples(
    num_channels: int, cpi_length: int, azimuth_deg: float, snr_db: float, seed: int = 0
) -> SamplesFunction:
    """Frames of one emitter at ``azimuth_deg`` on a half-wavelength ULA (the package's ULA,
    ``bearing.ula``) in white noise at ``snr_db`` per channel; a CAL frame is the same for
    the fake, the client tells them apart by the header."""
    from gnuradio.bearing.array.geometry import steering_matrix, ula

    steering = steering_matrix(ula(num_channels, 0.5).positions_m, [azimuth_deg], 1.0)
    rng = np.random.default_rng(seed)
    noise_scale = 10 ** (-snr_db / 20) / np.sqrt(2)

    def samples(index: int) -> np.ndarray:
        signal = np.exp(2j * np.pi * rng.random(cpi_length))
        noise = noise_scale * (rng.standard_normal((num_channels, cpi_length, 2)) @ np.array([1, 1j]))
        return (steering * signal[np.newaxis, :] + noise).astype(np.complex64)

    return samples


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=5000, help="IQ data port (default 5000)")
    parser.add_argument("--control-port", type=int, default=None, help="control port (default: --port + 1)")
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--cpi-length", type=int, default=4096, help="samples per channel and frame")
    parser.add_argument("--cal-frames", type=int, default=0, help="first frames with the noise source on")
    parser.add_argument("--frequency-hz", type=float, default=433.92e6)
    parser.add_argument("--sample-rate-hz", type=float, default=2.4e6)
    parser.add_argument(
        "--azimuth-deg", type=float, default=None, help="an emitter (default: counting samples)"
    )
    parser.add_argument("--snr-db", type=float, default=20.0)
    args = parser.parse_args(argv)
    samples = None
    if args.azimuth_deg is not None:
        samples = plane_wave_samples(args.channels, args.cpi_length, args.azimuth_deg, args.snr_db)
    daq = FakeHeimdall(
        num_channels=args.channels,
        cpi_length=args.cpi_length,
        samples=samples,
        frame_types=[heimdall.FRAME_TYPE_CAL] * args.cal_frames,
        frequency_hz=args.frequency_hz,
        sample_rate_hz=args.sample_rate_hz,
        iq_port=args.port,
        control_port=args.port + 1 if args.control_port is None else args.control_port,
        frame_interval_s=args.cpi_length / args.sample_rate_hz,
    )
    print(
        f"fake Heimdall DAQ: IQ port {daq.iq_port}, control port {daq.control_port} (Ctrl-C ends)", flush=True
    )
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        daq.close()


if __name__ == "__main__":
    main()
