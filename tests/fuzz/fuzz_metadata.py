"""Coverage-guided fuzz target (atheris, libFuzzer) of the capture metadata reader.

Each input is the text of a ``.sigmf-meta`` file beside a small valid data file;
``captures.reader.read_capture`` must return a capture or raise ``CaptureError`` (a
``ValueError`` naming the file and the field). Anything else (another exception, a crash, a
hang, memory beyond ``-rss_limit_mb``) is a finding.

    .venv/bin/python tests/fuzz/fuzz_metadata.py /tmp/corpus-meta tests/fuzz/corpus/metadata \\
        -max_total_time=3600 -rss_limit_mb=2048

(the first folder collects the new inputs; docs/hardening.md has the release check.)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

# Our package only: instrumenting numpy, torch and scipy as well takes two minutes at start.
with atheris.instrument_imports(include=["gnuradio.bearing"]):
    from gnuradio.bearing.captures import reader, schema

FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-metadata-"))
META = FOLDER / "capture.sigmf-meta"
(FOLDER / "capture.sigmf-data").write_bytes(bytes(4 * 8 * 64))  # 64 samples of 4 channels, cf32


def test_one_input(data: bytes) -> None:
    META.write_bytes(data)
    try:
        reader.read_capture(META)
    except schema.CaptureError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
