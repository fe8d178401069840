"""GNU Radio Companion and the SRS extractor: the headless SRS example gives the replay flowgraph's
bearings (those of `bearing estimate`), and the block's GRC-facing checks. test_grc.py compiles
every example, these included."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gnuradio.bearing import srs_extractor, srs_window_samples
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from helpers.flowgraphs import run_within

ROOT = Path(__file__).resolve().parents[2]
SRS_CAPTURE = ROOT / "examples" / "data" / "srs_ula4.sigmf-meta"
TRUTH_DEG = {0: -20.0, 1: 35.0}  # the bundled capture's UEs
OCCASIONS = 8  # per UE in the bundled capture


def compile_example(name: str, output_dir: Path) -> Path:
    """Compiles ``examples/<name>.grc`` with grcc; returns the generated script."""
    result = subprocess.run(
        [sys.executable, shutil.which("grcc"), "-o", str(output_dir), str(ROOT / "examples" / f"{name}.grc")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # grcc drops a connection to an unknown port with a traceback and still exits 0.
    assert "Traceback" not in output, output
    script = output_dir / f"{name}.py"
    assert script.exists(), output
    return script


def test_headless_srs_example_gives_the_replay_flowgraphs_bearings(tmp_path):
    script = compile_example("srs_replay_headless", tmp_path)
    run = subprocess.run(
        [sys.executable, str(script), "--capture", str(SRS_CAPTURE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # One JSON sink per UE, both on stdout: the order of the UEs' lines is not fixed.
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    from_example = sorted(lines, key=lambda record: (record["sample_start"], record["ue"]))
    replay = ReplayFlowgraph(str(SRS_CAPTURE), ReplaySettings(method="music", average=1))
    run_within(replay, 60)

    assert [record["ue"] for record in from_example] == [0, 1] * OCCASIONS
    assert from_example == replay.records
    for record in from_example:
        truth = TRUTH_DEG[record["ue"]]
        assert record["truth_azimuth_deg"] == [truth]
        assert abs(record["azimuth_deg"][0] - truth) < 0.5, record


def test_srs_window_samples_is_the_extractors_window():
    assert srs_window_samples(str(SRS_CAPTURE)) == srs_extractor(str(SRS_CAPTURE)).window_samples == 4384


def test_a_wrong_number_of_ues_is_refused_naming_both_counts():
    assert srs_extractor(str(SRS_CAPTURE), num_ues=2).output_sizes == [16, 16]
    with pytest.raises(ValueError, match=r"num_ues: .* lists 2 UEs .* expects 3"):
        srs_extractor(str(SRS_CAPTURE), num_ues=3)
