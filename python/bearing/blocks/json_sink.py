"""GNU Radio block: write ``bearings`` messages as JSON lines (the `bearing estimate --json` format)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import pmt
from gnuradio import gr

from . import messages


class json_sink(gr.basic_block):
    """Writes one JSON object per ``bearings`` message, one per line (see docs/cli.md).

    Args:
        path: file to write; ``-`` (the default) writes to standard output; empty keeps the
            records in memory only.

    The records are also kept in :attr:`records` for Python callers. A path in a folder that
    does not exist is refused when the block is made.
    """

    def __init__(self, path: str = "-") -> None:
        gr.basic_block.__init__(self, name="Bearing JSON Sink", in_sig=None, out_sig=None)
        self.records: list[dict] = []
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
        self.records.append(record)
        if self._stream is not None:
            self._stream.write(json.dumps(record, allow_nan=False) + "\n")
            self._stream.flush()

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
