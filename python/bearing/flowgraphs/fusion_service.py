"""The ZeroMQ side of ``bearing locate``: subscribe to stations, feed the fusion engine.

One ZeroMQ SUB socket connects to every station's ZMQ PUB Message Sink (``--connect``) and/or
binds an address that stations connect to (``--listen``). Each message is a bearing report
(:mod:`~gnuradio.bearing.positioning.wire`, :mod:`~gnuradio.bearing.positioning.report`);
one that cannot be used is counted by kind, logged (the first few of each kind, then one in a
hundred) and dropped. A socket monitor counts the stations' connections and disconnections;
ZeroMQ reconnects by itself to a station that comes back. Nothing a station sends stops the
service.

Binding: the loopback address only, unless CURVE keys are given (``curve_keys``: a folder made
by ``bearing keys``: ``server.key_secret``, the service's key pair, and ``authorized/``, the
public keys of the stations allowed in); then the socket is a CURVE server and libzmq's ZAP
handler (pyzmq's ``ThreadAuthenticator``) lets only those stations in.
"""

from __future__ import annotations

import collections
import ipaddress
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message

from ..positioning.fusion import FusionEngine
from ..positioning.report import MAX_REPORT_BYTES, ReportError, decode_report
from ..positioning.wire import report_bytes

LOG = logging.getLogger("gr-bearing.locate")
LOGGED_PER_KIND = 5
POLL_MS = 50
SERVER_SECRET = "server.key_secret"
AUTHORIZED = "authorized"


def is_loopback(address: str) -> bool:
    """Whether a ZeroMQ ``tcp://host:port`` (or ``ipc://``, ``inproc://``) address stays on this machine."""
    parsed = urlparse(address)
    if parsed.scheme in ("ipc", "inproc"):
        return True
    host = (parsed.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class FusionService:
    """Stations' reports over ZeroMQ into a :class:`~gnuradio.bearing.positioning.fusion.FusionEngine`.

    Args:
        engine: the fusion engine.
        connect: addresses of stations' PUB sockets to subscribe to.
        listen: an address to bind, for stations that connect (loopback only without ``curve_keys``).
        curve_keys: the CURVE key folder (module docstring).
        max_report_bytes: longer messages are counted (``oversized``) and dropped.
        on_record: called with every fix record as it is made.
    """

    def __init__(
        self,
        engine: FusionEngine,
        connect: Sequence[str] = (),
        listen: str | None = None,
        curve_keys: str | Path | None = None,
        max_report_bytes: int = MAX_REPORT_BYTES,
        on_record: Callable[[dict], None] | None = None,
    ) -> None:
        if not connect and not listen:
            raise ValueError(
                "give a station address to connect to (--connect) or one to listen on (--listen)"
            )
        if curve_keys is not None and connect:
            raise ValueError(
                "--curve-keys: only for --listen (the service is then a CURVE server); the stations of "
                "--connect publish through gr-zeromq, which has no CURVE"
            )
        if listen and not is_loopback(listen) and curve_keys is None:
            raise ValueError(
                f"--listen {listen}: binding beyond the loopback address needs CURVE keys (--curve-keys DIR, "
                "made by `bearing keys DIR`)"
            )
        self.engine = engine
        self.max_report_bytes = max_report_bytes
        self.on_record = on_record or (lambda record: None)
        self.counts: collections.Counter[str] = collections.Counter()
        self.endpoints: dict[str, str] = {}
        """Each station endpoint's state: ``connected`` or ``disconnected``."""
        self._context = zmq.Context()
        self._auth: ThreadAuthenticator | None = None
        self._socket = self._context.socket(zmq.SUB)
        self._socket.setsockopt(zmq.SUBSCRIBE, b"")
        self._socket.setsockopt(zmq.LINGER, 0)
        # libzmq drops (and disconnects) a peer whose message exceeds this: memory stays bounded
        # even before the service sees the message; under it, the service counts the oversized.
        self._socket.setsockopt(zmq.MAXMSGSIZE, 16 * max_report_bytes)
        self._monitor = self._socket.get_monitor_socket(
            zmq.EVENT_CONNECTED
            | zmq.EVENT_DISCONNECTED
            | zmq.EVENT_ACCEPTED
            | zmq.EVENT_HANDSHAKE_FAILED_AUTH
        )
        try:
            if curve_keys is not None:
                self._curve_server(Path(curve_keys))
            if listen:
                self._bind(listen)
            for address in connect:
                self._socket.connect(address)
        except BaseException:
            self.close()
            raise

    def _curve_server(self, folder: Path) -> None:
        secret, authorized = folder / SERVER_SECRET, folder / AUTHORIZED
        if not secret.is_file() or not authorized.is_dir():
            raise ValueError(
                f"--curve-keys {folder}: expected {SERVER_SECRET} and {AUTHORIZED}/ "
                "(make them with `bearing keys`)"
            )
        public, private = zmq.auth.load_certificate(secret)
        self._auth = ThreadAuthenticator(self._context, log=LOG)
        self._auth.start()
        self._auth.configure_curve(domain="*", location=str(authorized))
        self._socket.curve_secretkey = private
        self._socket.curve_publickey = public
        self._socket.curve_server = True

    def _bind(self, address: str) -> None:
        try:
            self._socket.bind(address)
        except zmq.ZMQError as error:
            if error.errno == zmq.EADDRINUSE:
                raise OSError(
                    f"--listen {address}: the address is in use (another `bearing locate` on the same port?)"
                ) from None
            raise ValueError(f"--listen {address}: {error}") from None

    def run(
        self,
        duration_s: float | None = None,
        idle_timeout_s: float | None = None,
        max_fixes: int | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """Receives and fuses until ``duration_s`` passed, or nothing came for ``idle_timeout_s``
        (after the first report), or ``max_fixes`` fixes were made, or Ctrl-C; then closes the
        epochs left (their fixes are made too) and the sockets. ``on_tick`` is called between
        polls (every 50 ms at most; the map's refresh)."""
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        poller.register(self._monitor, zmq.POLLIN)
        start = last = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                if duration_s is not None and now - start >= duration_s:
                    break
                if idle_timeout_s is not None and self.counts["messages"] and now - last >= idle_timeout_s:
                    break
                if max_fixes is not None and self.engine.counts["fixes"] >= max_fixes:
                    break
                events = dict(poller.poll(POLL_MS))
                if self._monitor in events:
                    self._monitor_event()
                while self._socket in events:
                    try:
                        message = self._socket.recv(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    last = time.monotonic()
                    self.receive(message, time.time())
                self._emit(self.engine.poll(time.time()))
                if on_tick is not None:
                    on_tick()
        except KeyboardInterrupt:
            LOG.info("interrupted: closing the epochs left")
        finally:
            self._emit(self.engine.flush())
            self.close()

    def receive(self, message: bytes, wall_s: float) -> None:
        """Takes one ZeroMQ message: decodes it and gives the report to the engine."""
        self.counts["messages"] += 1
        try:
            if len(message) > self.max_report_bytes:
                raise ReportError(
                    "oversized", f"{len(message)} bytes, over the {self.max_report_bytes}-byte limit"
                )
            try:
                text = report_bytes(message)
            except ValueError as error:
                raise ReportError("malformed", str(error)) from None
            report = decode_report(text, self.max_report_bytes)
        except ReportError as error:
            self._drop(error.kind, str(error))
            return
        except Exception as error:  # whatever a station sends, the service goes on
            self._drop("error", f"report not read ({type(error).__name__}: {str(error)[:80]})")
            return
        try:
            records = self.engine.add(report, wall_s)
        except Exception as error:  # a fix that failed in an unforeseen way loses that fix only
            self._drop("error", f"report not fused ({type(error).__name__}: {str(error)[:80]})")
            return
        self._emit(records)

    def _drop(self, kind: str, why: str) -> None:
        """Counts a dropped message by kind; logs the first few of each kind, then one in 100."""
        self.counts[kind] += 1
        if self.counts[kind] <= LOGGED_PER_KIND or self.counts[kind] % 100 == 0:
            LOG.warning("dropped %s (%d so far)", why, self.counts[kind])

    def _emit(self, records: list[dict]) -> None:
        for record in records:
            self.on_record(record)

    def _monitor_event(self) -> None:
        while True:
            try:
                event = recv_monitor_message(self._monitor, zmq.NOBLOCK)
            except zmq.Again:
                return
            endpoint = event["endpoint"].decode(errors="replace")
            if event["event"] in (zmq.EVENT_CONNECTED, zmq.EVENT_ACCEPTED):
                self.counts["connections"] += 1
                if self.endpoints.get(endpoint) == "disconnected":
                    self.counts["reconnections"] += 1
                    LOG.info("station at %s is back", endpoint)
                self.endpoints[endpoint] = "connected"
            elif event["event"] == zmq.EVENT_DISCONNECTED:
                self.counts["disconnections"] += 1
                self.endpoints[endpoint] = "disconnected"
                LOG.warning("station at %s disconnected; its epochs wait no longer than --max-lag", endpoint)
            elif event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                self.counts["refused_peers"] += 1
                LOG.warning("a peer at %s failed CURVE authentication", endpoint)

    def close(self) -> None:
        """Closes the sockets and stops the authenticator (idempotent)."""
        if self._auth is not None:
            self._auth.stop()
            self._auth = None
        self._socket.disable_monitor()
        self._monitor.close(0)
        self._socket.close(0)
        self._context.term()
