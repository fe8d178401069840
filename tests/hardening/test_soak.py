"""Two minutes of the soak (tests/bench/soak.py, issue 20): the looped demo capture through MUSIC
and through MoD-DNN, one minute each; resident memory stays flat once the buffers and the
bounded histories have filled (the first half minute)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from soak import soak

SETTLED_S = 30.0
"""Seconds after which the buffers and the bounded histories (the last 1000 records, 4096 window
arrivals, 10000 latencies) are full at these rates."""
GROWTH_MB = 3.0


@pytest.mark.parametrize("method", ["music", "mod-dnn"])
def test_memory_stays_flat_over_a_minute_of_replay(method):
    row = soak(method, 60.0, sample_every_s=5.0)
    settled = [rss for seconds, rss, _ in row["samples"] if seconds >= SETTLED_S]
    assert row["estimates_per_s"] > 20
    assert max(settled) - settled[0] < GROWTH_MB, row["samples"]
