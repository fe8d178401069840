"""The live map of ``bearing locate --http``: a small HTTP server on the loopback address that
serves the page (:mod:`~gnuradio.bearing.positioning.map_page`) and the fusion's state."""

from __future__ import annotations

import errno
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ..positioning.map_page import render
from .fusion_service import is_loopback


class MapServer:
    """Serves ``/`` (the page) and ``/state.json`` (the latest :meth:`publish`-ed state) on
    ``address`` (``HOST:PORT``, a loopback host: the map has no authentication; reach it from
    elsewhere through an SSH tunnel)."""

    def __init__(self, address: str, tile_url: str | None = None) -> None:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--http {address}: expected HOST:PORT, e.g. 127.0.0.1:8080")
        if not is_loopback(f"tcp://{host}:{port}"):
            raise ValueError(
                f"--http {address}: the map binds the loopback address only (an SSH tunnel reaches it)"
            )
        page = render(None, tile_url).encode()
        self._state = json.dumps(
            {"stations": [], "tracks": [], "reports": 0, "fixes": 0, "dropped": ""}
        ).encode()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path in ("/", "/index.html"):
                    self._send(page, "text/html; charset=utf-8")
                elif path == "/state.json":
                    self._send(server._state, "application/json")
                else:
                    self.send_error(404)

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # the page polls twice a second: no log line each time
                return

        try:
            self._server = ThreadingHTTPServer((host, int(port)), Handler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(
                    f"--http {address}: the port is in use (another `bearing locate --http`?)"
                ) from None
            raise
        self._thread = threading.Thread(target=self._server.serve_forever, name="map", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def publish(self, state: dict) -> None:
        """Serves ``state`` (the engine's :meth:`~.FusionEngine.map_state`) from now on."""
        self._state = json.dumps(state, allow_nan=False).encode()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
