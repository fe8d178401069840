"""Bad input as a new user or an attacker gives it (issue 20): one line and exit status 2, or a
quiet end where a Unix tool ends quietly; never an abort, a traceback or a silent wrong answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from gnuradio.bearing import demo_capture_path
from helpers.command import BEARING, bearing

DEMO = Path(demo_capture_path())


def _copy(tmp_path: Path, edit: Callable[[dict], None] | None = None, text: str | None = None) -> Path:
    """The demo capture in ``tmp_path``, its metadata edited by ``edit`` or replaced by ``text``."""
    meta = tmp_path / "capture.sigmf-meta"
    shutil.copy(DEMO.with_suffix(".sigmf-data"), tmp_path / "capture.sigmf-data")
    if text is None:
        metadata = json.loads(DEMO.read_text())
        if edit is not None:
            edit(metadata)
        text = json.dumps(metadata)
    meta.write_text(text)
    return meta


def _bearing_annotation(metadata: dict, field: str, value: object) -> None:
    metadata["annotations"][3]["spatial:signal_bearing"][field] = value


CASES = {
    "nan-azimuth": (lambda m: _bearing_annotation(m, "azimuth", float("nan")), "annotations[3]: the azimuth"),
    "infinite-azimuth": (
        lambda m: _bearing_annotation(m, "azimuth", float("inf")),
        "annotations[3]: the azimuth",
    ),
    "string-azimuth": (lambda m: _bearing_annotation(m, "azimuth", "north"), "annotations[3]: the azimuth"),
    "azimuth-720": (lambda m: _bearing_annotation(m, "azimuth", 720.0), "in [-180, 360], got 720.0"),
    "elevation-95": (lambda m: _bearing_annotation(m, "elevation", 95.0), "annotations[3]: the elevation"),
    "annotation-beyond-data": (
        lambda m: m["annotations"].append({"core:sample_start": 10**9, "spatial:signal_azimuth": 5.0}),
        "beyond the data",
    ),
    "nan-sample-rate": (
        lambda m: m["global"].__setitem__("core:sample_rate", float("nan")),
        "core:sample_rate",
    ),
    "string-coordinates": (
        lambda m: [
            c["spatial:element_geometry"][1].__setitem__("point", ["0", "0.03", "0"]) for c in m["captures"]
        ],
        "not strings",
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["estimate", "info"])
def test_malformed_metadata_is_one_line_and_status_2(tmp_path, case, command):
    edit, message = CASES[case]
    meta = _copy(tmp_path, edit)
    result = bearing(command, meta, check=False)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and result.stdout == ""
    assert len(lines) == 1 and lines[0].startswith("bearing: error:") and message in lines[0]


def test_metadata_nested_100000_deep_is_one_line(tmp_path):
    meta = _copy(tmp_path, text="[" * 100_000 + "]" * 100_000)
    result = bearing("info", meta, check=False)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        f"bearing: error: {meta}: the metadata is nested too deeply to be SigMF"
    ]


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_data_file_that_is_no_file_says_what_it_is(tmp_path, kind):
    meta = _copy(tmp_path)
    data = tmp_path / "capture.sigmf-data"
    data.unlink()
    if kind == "folder":
        data.mkdir()
    else:
        os.mkfifo(data)
    result = bearing("estimate", meta, check=False)
    expected = "it is a folder" if kind == "folder" else "not a regular file"
    assert result.returncode == 2 and expected in result.stderr


@pytest.mark.parametrize("json_output", [True, False])
def test_a_closed_standard_output_ends_quietly(json_output):
    """The reader goes away at once (`| true`, which reads nothing), so that the first write meets a
    closed pipe whatever the output's size (a pipe buffers 64 kB: `| head -1` may leave none)."""
    command = [BEARING, "estimate", str(DEMO), *(["--json"] if json_output else [])]
    shell = subprocess.run(
        f"{' '.join(command)} | true; echo status=${{PIPESTATUS[0]}} >&2",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.stderr.strip() == "status=141"  # as a Unix tool killed by SIGPIPE, and not a word


def test_all_zero_samples_give_no_bearing_and_no_model(tmp_path):
    meta = _copy(tmp_path)
    data = tmp_path / "capture.sigmf-data"
    data.write_bytes(bytes(data.stat().st_size))
    result = bearing("estimate", meta, "--json", check=False)
    assert result.returncode == 0 and result.stdout == ""
    assert "121 windows dropped: NaN, infinite or all-zero samples" in result.stderr
    trained = bearing("train", "--captures", meta, "--out", tmp_path / "model.pt", check=False)
    assert trained.returncode == 2 and "no window holds signal" in trained.stderr
    assert not (tmp_path / "model.pt").exists()
    evaluated = bearing("evaluate", meta, check=False)
    assert evaluated.returncode == 2 and "no window was estimated" in evaluated.stderr


def test_duplicate_element_positions_are_refused(tmp_path):
    def duplicate(metadata: dict) -> None:
        for capture in metadata["captures"]:
            geometry = capture["spatial:element_geometry"]
            geometry[2]["point"] = list(geometry[1]["point"])

    result = bearing("estimate", _copy(tmp_path, duplicate), check=False)
    assert result.returncode == 2 and "elements [1, 2] share the position" in result.stderr


def test_evaluate_of_several_captures_adds_an_overall_row(tmp_path):
    result = bearing("evaluate", DEMO, DEMO, "--method", "music", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["capture"] for row in rows] == [DEMO.name, DEMO.name, "(all)"]
    assert rows[2]["count"] == rows[0]["count"] + rows[1]["count"]
    assert rows[2]["p80_deg"] == pytest.approx(rows[0]["p80_deg"])
