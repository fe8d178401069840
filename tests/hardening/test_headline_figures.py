"""The README's headline figures are what `bearing evaluate` measures on the bundled capture
(issue 20: each figure stated once, with its command, and checked)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gnuradio.bearing import demo_capture_path
from helpers.command import bearing

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_p80_of_music_and_mod_dnn_on_the_bundled_capture():
    text = " ".join(README.read_text().split())
    stated = re.search(r"p80 error from MUSIC's ([\d.]+) deg down to ([\d.]+) deg", text)
    assert stated, "the README's headline sentence moved: update this test with it"
    result = bearing("evaluate", demo_capture_path(), "--method", "music,mod-dnn", "--json")
    p80 = {row["method"]: row["p80_deg"] for row in map(json.loads, result.stdout.splitlines())}
    assert f"{p80['music']:.2f}" == stated.group(1)
    assert f"{p80['mod-dnn']:.2f}" == stated.group(2)
