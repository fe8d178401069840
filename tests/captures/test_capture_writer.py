"""The streaming capture writer: the metadata of write_capture, a checksum made while writing,
segments that show the gaps of a live stream, truths, and a recording valid however it ends."""

from __future__ import annotations

import json
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import sigmf
from gnuradio.bearing.array.geometry import ula
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.schema import BEARING_EXTENSION, SPATIAL_EXTENSION, Segment, Truth
from gnuradio.bearing.captures.writer import CaptureWriter, write_capture
from sigmf.hashing import calculate_sha512

GEOMETRY = ula(4, 0.0625)
M = GEOMETRY.num_elements
RATE_HZ = 1e6
CARRIER_HZ = 2.4e9


def _samples(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((count, M)) + 1j * rng.standard_normal((count, M))).astype(np.complex64)


def _writer(path: Path, **kwargs) -> CaptureWriter:
    return CaptureWriter(path, sample_rate_hz=RATE_HZ, frequency_hz=CARRIER_HZ, geometry=GEOMETRY, **kwargs)


def _metadata(meta_path: Path) -> dict:
    return json.loads(Path(meta_path).read_text())


def test_streamed_recording_has_the_files_write_capture_writes(tmp_path):
    samples = _samples(300)
    segments = [
        Segment(0, 120, global_index=5, datetime="2024-05-01T12:00:00.000000Z"),
        Segment(120, 180, global_index=250_000),
    ]
    truths = [
        Truth(150, 100, 35.0, 5.0, "tx2"),
        Truth(0, 120, -20.0, label="tx1", extra={"core:comment": "mast"}),
        Truth(10, 5, 3.0, extra={"spatial:signal_bearing": {"az_error": 1.0}}),
    ]
    settings = {
        "description": "two windows",
        "extra_global": {"core:extensions": [BEARING_EXTENSION], "bearing:source": {"gain_db": 30}},
    }
    expected = write_capture(
        tmp_path / "whole",
        samples,
        sample_rate_hz=RATE_HZ,
        frequency_hz=CARRIER_HZ,
        geometry=GEOMETRY,
        segments=segments,
        truths=truths,
        **settings,
    )

    with _writer(tmp_path / "streamed", **settings) as writer:
        for truth in truths[:2]:  # truths may come before their samples ...
            writer.add_truth(
                truth.sample_start,
                truth.sample_count,
                truth.azimuth_deg,
                truth.elevation_deg,
                truth.label,
                truth.extra,
            )
        for segment in segments:
            writer.start_segment(segment.global_index, segment.datetime)
            stop = segment.sample_start + segment.sample_count
            for first in range(segment.sample_start, stop, 47):  # blocks of any size
                writer.append(samples[first : min(first + 47, stop)])
        extra = truths[2]  # ... or after them
        writer.add_truth(extra.sample_start, extra.sample_count, extra.azimuth_deg, extra=extra.extra)
    assert writer.samples_written == 300

    assert _metadata(writer.meta_path) == _metadata(expected)
    assert writer.data_path.read_bytes() == expected.with_suffix(".sigmf-data").read_bytes()
    assert read_capture(writer.meta_path).truths == sorted(truths, key=lambda truth: truth.sample_start)


def test_checksum_made_while_writing_is_the_one_sigmf_computes(tmp_path):
    with _writer(tmp_path / "rec") as writer:
        for seed in range(5):
            writer.append(_samples(1000 + seed, seed))
    sha512 = _metadata(writer.meta_path)["global"]["core:sha512"]
    assert sha512 == calculate_sha512(filename=writer.data_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sigmf.fromfile(writer.meta_path)  # checks core:sha512 against the data file


def test_segments_carry_the_streams_global_index_and_tile_the_data(tmp_path):
    with _writer(tmp_path / "rec") as writer:
        writer.start_segment(global_index=1000)  # replaces the default segment at 0
        writer.append(_samples(10))
        writer.start_segment(global_index=5000)
        writer.start_segment(global_index=6000)  # no sample in between: replaces the last
        writer.append(_samples(20))
        writer.start_segment()  # no global index: SigMF takes its sample_start
        writer.append(_samples(5))
        writer.start_segment(global_index=9000)  # no sample after it: dropped
    capture = read_capture(writer.meta_path)
    assert [(s.sample_start, s.sample_count, s.global_index) for s in capture.segments] == [
        (0, 10, 1000),
        (10, 20, 6000),
        (30, 5, None),
    ]


def test_truths_of_a_recording_stopped_early_end_with_the_data(tmp_path):
    with _writer(tmp_path / "rec") as writer:
        writer.add_truth(0, 50, 10.0)
        writer.add_truth(20, 1000, -30.0, elevation_deg=4.0, label="beacon")  # runs past the end
        writer.add_truth(40, 10, 50.0)  # starts after the last sample
        writer.append(_samples(30))
    truths = read_capture(writer.meta_path).truths
    assert [(t.sample_start, t.sample_count, t.azimuth_deg, t.elevation_deg, t.label) for t in truths] == [
        (0, 30, 10.0, None, None),
        (20, 10, -30.0, 4.0, "beacon"),
    ]


def test_an_exception_while_recording_leaves_a_valid_capture_of_what_was_written(tmp_path):
    samples = _samples(64)
    with pytest.raises(RuntimeError, match="receiver lost"), _writer(tmp_path / "rec") as writer:
        writer.append(samples)
        raise RuntimeError("receiver lost")
    capture = read_capture(writer.meta_path)
    np.testing.assert_array_equal(capture.read(0, capture.num_samples), samples)


def test_metadata_is_written_when_the_writer_is_made_and_again_when_it_closes(tmp_path):
    writer = _writer(tmp_path / "rec")
    try:
        # A process killed before close() still leaves the array's metadata beside its samples.
        assert _metadata(writer.meta_path)["captures"][0]["spatial:element_geometry"][0] == {
            "point": GEOMETRY.positions_m[0].tolist()
        }
        writer.append(_samples(8))
    finally:
        writer.close()
    writer.close()  # twice does nothing
    assert read_capture(writer.meta_path).num_samples == 8


def test_global_fields_set_while_recording_are_written_and_declared(tmp_path):
    with _writer(tmp_path / "rec", description="live") as writer:
        writer.set_global_field("bearing:calibration", {"state": "collecting"})
        writer.append(_samples(4))
        writer.set_global_field("bearing:calibration", {"state": "calibrated"})
    global_info = _metadata(writer.meta_path)["global"]
    assert global_info["bearing:calibration"] == {"state": "calibrated"}
    assert global_info["core:extensions"] == [SPATIAL_EXTENSION, BEARING_EXTENSION]
    assert global_info["core:description"] == "live"


def test_memory_stays_bounded_whatever_the_length_of_the_recording(tmp_path):
    block = _samples(32_768)  # 1 MiB
    with _writer(tmp_path / "rec") as writer:
        tracemalloc.start()
        try:
            for _ in range(40):
                writer.append(block)
            _, peak_bytes = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert writer.data_path.stat().st_size == 40 * block.nbytes
    assert peak_bytes < 10 * block.nbytes  # a few blocks' worth of temporaries, not 40


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w: w.append(np.zeros((3, M + 1), np.complex64)), r"shape \(N, 4\)"),
        (lambda w: w.append(np.zeros(M, np.complex64)), "shape"),
        (lambda w: w.start_segment(global_index=-1), "global_index"),
        (lambda w: w.start_segment(datetime="yesterday"), "datetime"),
        (lambda w: w.start_segment(datetime="2024-05-01T12:00:00+02:00"), "UTC"),
        (lambda w: w.add_truth(0, 10, float("nan")), "azimuth_deg"),
        (lambda w: w.add_truth(0, 0, 1.0), "sample_count"),
        (lambda w: w.add_truth(-1, 10, 1.0), "sample_start"),
        (lambda w: w.add_truth(0, 10, 1.0, elevation_deg=95.0), "elevation_deg"),
        (lambda w: w.add_truth(0, 10, 1.0, extra={"core:label": "x"}), "core:label"),
        (lambda w: w.set_global_field("core:sample_rate", 2.0), "core:sample_rate"),
        (lambda w: w.set_global_field("core:author", 5), "core:author.*not of type 'string'"),
        (lambda w: w.add_truth(0, 10, 1.0, extra={"core:comment": 5}), "core:comment"),
    ],
)
def test_bad_input_is_refused_naming_the_problem(tmp_path, call, message):
    with _writer(tmp_path / "rec") as writer:
        with pytest.raises(ValueError, match=message):
            call(writer)
        writer.append(_samples(2))
    assert read_capture(writer.meta_path).num_samples == 2  # the recording goes on


def test_bad_settings_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"the folder .*missing does not exist"):
        _writer(tmp_path / "missing" / "rec")
    with pytest.raises(ValueError, match="core:num_channels"):
        _writer(tmp_path / "rec", extra_global={"core:num_channels": 2})
    with pytest.raises(ValueError, match="sample_rate_hz"):
        CaptureWriter(tmp_path / "rec", sample_rate_hz=0.0, frequency_hz=CARRIER_HZ, geometry=GEOMETRY)
    assert not list(tmp_path.iterdir())


def test_a_closed_writer_refuses_samples(tmp_path):
    writer = _writer(tmp_path / "rec")
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.append(_samples(1))


def test_a_reopened_writer_goes_on_after_the_last_sample(tmp_path):
    first, second = _samples(30, 1), _samples(20, 2)
    writer = _writer(tmp_path / "rec")
    writer.append(first)
    writer.close()
    writer.reopen()
    writer.start_segment(global_index=100)
    writer.append(second)
    writer.close()
    capture = read_capture(writer.meta_path)
    np.testing.assert_array_equal(capture.read(0, 50), np.concatenate([first, second]))
    assert [(s.sample_start, s.global_index) for s in capture.segments] == [(0, None), (30, 100)]
    assert _metadata(writer.meta_path)["global"]["core:sha512"] == calculate_sha512(filename=writer.data_path)
