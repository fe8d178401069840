"""Coverage-guided fuzz target (atheris, libFuzzer) of the model-file loaders.

Each input is the bytes of a ``.pt`` file; ``learned.mod_dnn.load`` and
``counting.models.load`` must return a model or raise ``ValueError`` (one line naming the file).
Anything else, and above all any code that a file's pickle would run, is a finding: the loaders
read with ``torch.load(weights_only=True)`` and check the weights' checksum.

    .venv/bin/python tests/fuzz/fuzz_model_file.py /tmp/corpus-model tests/fuzz/corpus/model_file \\
        -max_total_time=3600 -rss_limit_mb=2048
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

# Our package only: instrumenting all of numpy, torch and scipy takes two minutes at start, and
# even torch's unpickler alone a minute (torch.load still runs every input, uninstrumented).
with atheris.instrument_imports(include=["gnuradio.bearing"]):
    from gnuradio.bearing.counting import models as counter_models
    from gnuradio.bearing.learned import mod_dnn, model_file

MODEL = Path(tempfile.mkdtemp(prefix="fuzz-model-")) / "model.pt"


def test_one_input(data: bytes) -> None:
    MODEL.write_bytes(data)
    for load in (mod_dnn.load, counter_models.load):
        try:
            load(MODEL)
        except ValueError:
            pass


if __name__ == "__main__":
    del model_file  # instrumented with the loaders it serves
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
