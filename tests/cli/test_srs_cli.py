"""End to end on SRS captures: `bearing simulate` (SRS) then `bearing estimate` / `evaluate`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.nr import metadata as nr_metadata
from gnuradio.bearing.nr.simulator import demo_srs_scenario
from test_cli import bearing


@pytest.fixture(scope="module")
def srs_capture(tmp_path_factory):
    """The srs_ula4 preset: 100 MHz at 30 kHz, comb-2, 4 antennas, ideal array, 20 dB, two UEs."""
    out = tmp_path_factory.mktemp("srs") / "srs"
    bearing("simulate", "--preset", "srs_ula4", "--out", out)
    return out.with_suffix(".sigmf-meta")


def test_simulated_capture_carries_the_nr_namespace(srs_capture):
    capture = read_capture(srs_capture)
    carrier = nr_metadata.read_carrier(capture)
    assert (carrier.mu, carrier.n_rb, carrier.n_fft, capture.sample_rate_hz) == (1, 273, 4096, 122.88e6)
    configs = nr_metadata.read_srs_configs(capture, carrier)
    assert [(c.ue, c.k_tc, c.comb_offset, c.c_srs) for c in configs] == [(0, 2, 0, 63), (1, 2, 1, 63)]
    # Only the SRS windows are stored: one symbol of 4096 + 288 samples every tenth slot.
    assert [s.sample_count for s in capture.segments] == [4384] * 8
    times = [nr_metadata.segment_time(capture, i, carrier) for i in range(8)]
    assert [(t.frame, t.slot, t.symbol) for t in times] == [(i // 2, 10 * (i % 2), 13) for i in range(8)]
    assert capture.segments[1].global_index == 10 * 61440 + 57056
    assert sorted({t.extra[nr_metadata.UE_KEY] for t in capture.truths}) == [0, 1]


def test_music_locates_both_ues_within_0_3_deg_p80(srs_capture):
    records = [json.loads(line) for line in bearing("estimate", srs_capture, "--json").stdout.splitlines()]
    truth = {ue.srs.ue: ue.azimuth_deg for ue in demo_srs_scenario().ues}
    assert sorted(r["ue"] for r in records) == [0] * 8 + [1] * 8
    for ue, azimuth in truth.items():
        errors = [abs(r["azimuth_deg"][0] - azimuth) for r in records if r["ue"] == ue]
        assert np.percentile(errors, 80) < 0.3
        assert all(r["truth_azimuth_deg"] == [azimuth] for r in records if r["ue"] == ue)
    table = bearing("evaluate", srs_capture, "--method", "music,scg").stdout.splitlines()
    music = dict(zip(table[0].split(), table[1].split(), strict=True))
    assert music["count"] == "16" and music["missed"] == "0" and float(music["p80_deg"]) < 0.3


def test_text_output_has_a_ue_column_and_average_counts_occasions(srs_capture):
    lines = bearing("estimate", srs_capture, "--average", "4", "--subcarriers", "8").stdout.splitlines()
    assert lines[0].split()[:2] == ["ue", "sample_start"]
    assert len(lines) == 1 + 4  # two estimates of four occasions per UE
    assert {line.split()[0] for line in lines[1:]} == {"0", "1"}


def test_continuous_recording_gives_the_same_estimates(tmp_path):
    out = tmp_path / "continuous"
    bearing("simulate", "--preset", "srs_ula4", "--continuous", "--out", out)
    capture = read_capture(out.with_suffix(".sigmf-meta"))
    assert len(capture.segments) == 1 and capture.num_samples == 80 * 61440
    records = [
        json.loads(line)
        for line in bearing("estimate", out.with_suffix(".sigmf-meta"), "--json").stdout.splitlines()
    ]
    assert len(records) == 16
    assert all(abs(r["azimuth_deg"][0] - r["truth_azimuth_deg"][0]) < 0.5 for r in records)


def test_an_invalid_srs_scenario_names_the_parameter(tmp_path):
    scenario = json.loads(json.dumps(demo_srs_scenario().to_dict()))
    scenario["ues"][0]["srs"]["n_cs"] = 8
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(scenario))
    result = bearing("simulate", "--scenario", path, "--out", tmp_path / "x", check=False)
    assert result.returncode == 2
    assert "ues[0].srs.n_cs" in result.stderr
