"""`--average annotations`: one estimate per annotated burst of a recording, through the real replay
flowgraph (Capture Source replaying the annotations, Covariance Accumulator of average 0)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gnuradio.bearing import cli
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.captures.schema import Truth
from gnuradio.bearing.captures.writer import write_capture

CARRIER_HZ = 2.4e9
GEOMETRY = ula(4, wavelength_m(CARRIER_HZ) / 2)
# (first sample, samples, azimuth): packets of uneven length with noise between them
BURSTS = ((300, 700, -20.0), (1400, 250, 10.0), (2000, 1500, 35.0), (3900, 90, -45.0))
NUM_SAMPLES = 4200


def packets(tmp_path, label_only: bool = False):
    """A recording of one segment: four packets from four directions at 20 dB over noise, each
    annotated with its bearing; with ``label_only`` each packet is annotated twice, by a
    ``packet`` annotation without bearing and by a truth that covers its samples and more."""
    rng = np.random.default_rng(3)
    noise = 0.1 * (rng.standard_normal((NUM_SAMPLES, 4)) + 1j * rng.standard_normal((NUM_SAMPLES, 4)))
    samples = noise / np.sqrt(2)
    for start, count, azimuth in BURSTS:
        waveform = np.exp(2j * np.pi * rng.random(count))
        samples[start : start + count] += waveform[:, None] * GEOMETRY.steering([azimuth], CARRIER_HZ)[:, 0]
    truths = [
        Truth(start - 50 if label_only else start, count + 100 if label_only else count, azimuth)
        for start, count, azimuth in BURSTS
    ]
    path = write_capture(
        tmp_path / "packets",
        samples.astype(np.complex64),
        sample_rate_hz=1e6,
        frequency_hz=CARRIER_HZ,
        geometry=GEOMETRY,
        truths=truths,
    )
    if label_only:
        metadata = json.loads(path.read_text())
        metadata["annotations"] += [
            {"core:sample_start": start, "core:sample_count": count, "core:label": "packet"}
            for start, count, _ in BURSTS
        ]
        metadata["annotations"].sort(key=lambda a: a["core:sample_start"])
        path.write_text(json.dumps(metadata))
    return path


def estimate(capsys, *args: str) -> list[dict]:
    assert cli.main(["estimate", *args, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("method", ["music", "mvdr", "scg"])
def test_one_estimate_per_annotated_packet(tmp_path, capsys, method):
    records = estimate(capsys, str(packets(tmp_path)), "--average", "annotations", "--method", method)
    assert [(r["sample_start"], r["sample_count"]) for r in records] == [(s, c) for s, c, _ in BURSTS]
    assert [r["truth_azimuth_deg"] for r in records] == [[a] for _, _, a in BURSTS]
    errors = [abs(r["azimuth_deg"][0] - r["truth_azimuth_deg"][0]) for r in records]
    assert max(errors) < 1.0, errors


def test_fixed_windows_straddle_the_packets(tmp_path, capsys):
    """What the option is for: 512-sample windows cut the packets and mix them with noise."""
    records = estimate(capsys, str(packets(tmp_path)), "--average", "512")
    assert len(records) == NUM_SAMPLES // 512
    assert not {(r["sample_start"], r["sample_count"]) for r in records} & {b[:2] for b in BURSTS}


def test_annotations_without_bearing_make_the_windows_and_truths_are_cut_to_them(tmp_path, capsys):
    """Each packet is annotated twice (a bearing-less ``packet`` annotation and a longer truth):
    the windows are the distinct annotated spans, each with the truths that overlap it."""
    records = estimate(
        capsys, str(packets(tmp_path, label_only=True)), "--average", "annotations", "--sources", "auto"
    )
    packet_windows = [r for r in records if (r["sample_start"], r["sample_count"]) in {b[:2] for b in BURSTS}]
    assert len(records) == 2 * len(BURSTS) and len(packet_windows) == len(BURSTS)
    for record, (_, _, azimuth) in zip(packet_windows, BURSTS, strict=True):
        assert record["truth_azimuth_deg"] == [azimuth] and record["num_sources"] == 1
        assert abs(record["azimuth_deg"][0] - azimuth) < 1.0


def test_annotations_are_refused_where_there_are_none(tmp_path, capsys):
    bare = write_capture(
        tmp_path / "bare",
        np.ones((64, 4), np.complex64),
        sample_rate_hz=1e6,
        frequency_hz=CARRIER_HZ,
        geometry=GEOMETRY,
    )
    assert cli.main(["estimate", str(bare), "--average", "annotations"]) == 2
    assert "the capture has no annotation of samples to replay" in capsys.readouterr().err
    assert cli.main(["estimate", str(bare), "--average", "annotations", "--overlap", "8"]) == 2
    assert "windows of whole annotations do not overlap" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["estimate", str(bare), "--average", "bursts"])
    assert "expected a positive number of snapshots or 'annotations', got 'bursts'" in capsys.readouterr().err
