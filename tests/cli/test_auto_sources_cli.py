"""`bearing estimate --sources auto`: the counter's count and bearings, and OMC-DOA tracking."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_cli import bearing

# One segment per source set: 1, 2 and 3 emitters, then 2 again (the third switched off).
SEGMENTS_DEG = ([12.0], [-30.0, 25.0], [-40.0, 5.0, 45.0], [-40.0, 5.0])
SEGMENT = 2048


def _records(capture, *options: str) -> list[dict]:
    result = bearing("estimate", capture, "--json", "--average", "512", *options)
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("counter", ["mdl", "edc", "cnn1d"])
@pytest.mark.parametrize("method", ["music", "esprit", "scg"])
def test_auto_reports_the_right_count_and_bearings_for_1_2_3_emitters(make_capture, counter, method):
    capture = make_capture(SEGMENTS_DEG, segment_length=SEGMENT, num_elements=8)
    records = _records(capture, "--sources", "auto", "--counter", counter, "--method", method)
    assert len(records) == len(SEGMENTS_DEG) * SEGMENT // 512
    for record in records:
        truth = sorted(record["truth_azimuth_deg"])
        assert record["num_sources"] == len(truth), record
        np.testing.assert_allclose(sorted(record["azimuth_deg"]), truth, atol=1.0 if method == "scg" else 0.3)


def test_tracking_drops_a_silent_emitter_after_the_given_estimates(make_capture):
    """Three emitters for 12 estimates, then two: with auto sources the count drops at once and
    the tracker with it (the silent track is the lightest). With a fixed count the silent
    track stays for N - 1 estimates (tests/blocks/test_omc_doa_tracker.py): there the estimator's
    extra, noise bearing may land near it and feed it, so that case is tested with an
    auto-counting estimator in front of a fixed-K tracker."""
    segment = 12 * 512
    capture = make_capture(SEGMENTS_DEG[2:], segment_length=segment, num_elements=8)
    per_segment = segment // 512
    records = _records(capture, "--sources", "auto", "--track", "3")
    assert all(r["method"] == "omc-doa" for r in records)
    assert [r["num_sources"] for r in records] == [3] * per_segment + [2] * per_segment
    np.testing.assert_allclose(sorted(records[-1]["azimuth_deg"]), SEGMENTS_DEG[3], atol=0.1)


def test_bad_sources_and_counters_are_clear_errors(make_capture):
    capture = make_capture(SEGMENTS_DEG[:1], segment_length=SEGMENT, num_elements=6)
    result = bearing("estimate", capture, "--sources", "0", check=False)
    assert (
        result.returncode == 2 and "expected a positive number of emitters or auto, got '0'" in result.stderr
    )
    result = bearing("estimate", capture, "--sources", "auto", "--counter", "cnn1d", check=False)
    assert result.returncode == 2 and "no bundled 'cnn1d' counter for 6 elements" in result.stderr
    result = bearing("estimate", capture, "--sources", "auto", "--counter", "bogus", check=False)
    assert result.returncode == 2 and "invalid choice: 'bogus'" in result.stderr
    result = bearing("estimate", capture, "--counter", "edc", check=False)
    assert (
        result.returncode == 2
        and "--counter: counts the sources of --sources auto, got --sources 1" in result.stderr
    )
    result = bearing("estimate", capture, "--track", "-1", check=False)
    assert result.returncode == 2 and "argument --track: expected a number of estimates >= 0" in result.stderr
