"""Bounded runs of the fuzz targets (issue 20): 20 s each of coverage-guided fuzzing from the seed
corpus in the repository; a finding (an exception other than the documented refusal, a crash,
memory beyond 2 GB) fails the test and leaves its input in the test's folder. The release check
runs each for an hour (docs/hardening.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TARGETS = {"fuzz_metadata.py": "metadata", "fuzz_model_file.py": "model_file"}
SECONDS = 20


@pytest.mark.parametrize("target", TARGETS)
def test_a_bounded_fuzz_run_finds_nothing(tmp_path, target):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / target),
            str(corpus),
            str(HERE / "corpus" / TARGETS[target]),
            f"-max_total_time={SECONDS}",
            "-rss_limit_mb=2048",
            "-timeout=30",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
    )
    findings = sorted(
        path.name for path in tmp_path.iterdir() if path.name.startswith(("crash-", "oom-", "timeout-"))
    )
    assert result.returncode == 0 and not findings, result.stderr[-3000:]
    assert "Done " in result.stderr  # it ran to its time limit
