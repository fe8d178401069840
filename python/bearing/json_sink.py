"""GNU Radio block: write ``bearings`` messages as JSON lines (the `bearing estimate --json` format)."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import pmt
from gnuradio import gr

from . import messages


class json_sink(gr.basic_block):
    """Writes one JSON object per ``bearings`` message, one per line (see docs/cli.md).

    Args:
        path: file to write; ``-`` (the default) writes to standard output; empty keeps the
            records in memory only.

    The records are also kept in :attr:`records` for Python callers.
    """

    def __init__(self, path: str = "-") -> None:
        gr.basic_block.__init__(self, name="Bearing JSON Sink", in_sig=None, out_sig=None)
        self.records: list[dict] = []
        self._path = path
        self._stream: TextIO | None = None
        self.message_port_register_in(pmt.intern(messages.BEARINGS_PORT))
        self.set_msg_handler(pmt.intern(messages.BEARINGS_PORT), self.handle_bearings)

    def handle_bearings(self, message: pmt.pmt_t) -> None:
        record = messages.bearings_record(message)
        self.records.append(record)
        if not self._path:
            return
        if self._stream is None:
            self._stream = sys.stdout if self._path == "-" else open(self._path, "w")
        self._stream.write(json.dumps(record) + "\n")
        self._stream.flush()

    def stop(self) -> bool:
        if self._stream is not None and self._stream is not sys.stdout:
            self._stream.close()
            self._stream = None
        return True
