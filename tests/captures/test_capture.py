"""Tests of SigMF capture reading and writing (gnuradio.bearing.captures.reader)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sigmf
from gnuradio.bearing.array.geometry import uca, ula
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.schema import CI16_FULL_SCALE, SPATIAL_EXTENSION, CaptureError, Segment, Truth
from gnuradio.bearing.captures.writer import write_capture

SAMPLE_RATE_HZ = 1.0e6
FREQUENCY_HZ = 433.92e6
GEOMETRY = uca(5, 0.2)
M = GEOMETRY.num_elements


def _samples(num_samples: int, amplitude: float = 0.5, seed: int = 0) -> np.ndarray:
    """Random complex64 samples, shape (num_samples, M), components in [-amplitude, amplitude]."""
    rng = np.random.default_rng(seed)
    parts = rng.uniform(-amplitude, amplitude, size=(2, num_samples, M))
    return (parts[0] + 1j * parts[1]).astype(np.complex64)


def _write(tmp_path: Path, samples: np.ndarray, **kwargs) -> Path:
    return write_capture(
        tmp_path / "rec",
        samples,
        sample_rate_hz=SAMPLE_RATE_HZ,
        frequency_hz=FREQUENCY_HZ,
        geometry=GEOMETRY,
        **kwargs,
    )


def _load(meta_path: Path) -> dict:
    return json.loads(meta_path.read_text())


def _save(meta_path: Path, metadata: dict) -> None:
    meta_path.write_text(json.dumps(metadata))


# --- round trips ---------------------------------------------------------------------------------


def test_cf32_round_trip_is_exact_and_keeps_nan(tmp_path):
    samples = _samples(64)
    samples[3, 1] = np.nan
    meta_path = _write(tmp_path, samples, description="unit test")
    capture = read_capture(meta_path)

    assert meta_path == tmp_path / "rec.sigmf-meta"
    assert capture.data_path == tmp_path / "rec.sigmf-data"
    assert capture.datatype == "cf32_le"
    assert capture.sample_rate_hz == SAMPLE_RATE_HZ
    assert capture.frequency_hz == FREQUENCY_HZ
    assert capture.num_samples == 64
    assert capture.num_channels == M
    np.testing.assert_array_equal(capture.geometry.positions_m, GEOMETRY.positions_m)
    assert capture.segments == [Segment(0, 64)]
    assert capture.truths == []
    assert capture.global_info["core:description"] == "unit test"
    np.testing.assert_array_equal(capture.read(0, 64), samples)


def test_data_file_is_channel_interleaved_per_sample(tmp_path):
    samples = _samples(8)
    _write(tmp_path, samples)
    raw = np.fromfile(tmp_path / "rec.sigmf-data", dtype="<c8")
    np.testing.assert_array_equal(raw[3 * M + 2], samples[3, 2])


def test_ci16_round_trip_within_quantisation_and_matches_sigmf_reader(tmp_path):
    samples = _samples(100, amplitude=0.99)
    meta_path = _write(tmp_path, samples, datatype="ci16_le")
    capture = read_capture(meta_path)

    assert capture.datatype == "ci16_le"
    assert (tmp_path / "rec.sigmf-data").stat().st_size == 100 * M * 4
    read = capture.read(0, 100)
    assert read.dtype == np.complex64
    np.testing.assert_allclose(read, samples, rtol=0, atol=0.5 / CI16_FULL_SCALE * np.sqrt(2) + 1e-7)
    # sigmf-python autoscales ci16 by 2**-15 too: the two readers must agree exactly.
    np.testing.assert_array_equal(sigmf.fromfile(meta_path).read_samples(), read)


@pytest.mark.parametrize(
    "value", [1.0, -1.0 - 1.0 / CI16_FULL_SCALE, np.nan, 1j * np.inf], ids=["1", "below-1", "nan", "inf"]
)
def test_ci16_refuses_samples_outside_full_scale(tmp_path, value):
    samples = _samples(4)
    samples[1, 0] = value
    with pytest.raises(ValueError, match="finite"):
        _write(tmp_path, samples, datatype="ci16_le")


def test_ci16_full_scale_limits_are_representable(tmp_path):
    samples = np.full((2, M), -1.0 + 1j * (32767 / CI16_FULL_SCALE), dtype=np.complex64)
    np.testing.assert_array_equal(
        read_capture(_write(tmp_path, samples, datatype="ci16_le")).read(0, 2), samples
    )


# --- segments ------------------------------------------------------------------------------------


def test_segments_with_gaps_keep_global_index_and_derive_sample_count(tmp_path):
    segments = [
        Segment(0, 100, 0, datetime="2024-05-01T12:00:00.000000Z", extra={"spatial:phase_offset": 0.0}),
        Segment(100, 50, global_index=1_000_000),
        Segment(150, 30, global_index=5_000_000, extra={"spatial:aperture_azimuth": 270.0}),
    ]
    meta_path = _write(tmp_path, _samples(180), segments=segments)
    captures = _load(meta_path)["captures"]
    assert all("core:sample_count" not in capture for capture in captures)

    capture = read_capture(meta_path)
    assert capture.segments == segments


def test_sample_count_of_last_segment_runs_to_end_of_data(tmp_path):
    meta_path = _write(tmp_path, _samples(30), segments=[Segment(0, 10), Segment(10, 20)])
    with (tmp_path / "rec.sigmf-data").open("ab") as data:
        data.write(np.zeros((5, M), dtype="<c8").tobytes())  # appended samples belong to the last segment
    assert read_capture(meta_path).segments[-1] == Segment(10, 25)


@pytest.mark.parametrize(
    "segments",
    [
        [Segment(1, 9)],
        [Segment(0, 5), Segment(6, 4)],
        [Segment(0, 5), Segment(5, 0), Segment(5, 5)],
        [Segment(0, 5)],
    ],
    ids=["not-at-0", "gap", "empty", "short"],
)
def test_writer_refuses_segments_that_do_not_tile_the_samples(tmp_path, segments):
    with pytest.raises(ValueError, match="segments"):
        _write(tmp_path, _samples(10), segments=segments)


# --- truths --------------------------------------------------------------------------------------


def test_truths_round_trip_with_azimuth_only_and_with_elevation(tmp_path):
    truths = [
        Truth(40, 20, azimuth_deg=-12.5, label="tx-a"),
        Truth(0, 100, azimuth_deg=30.0, elevation_deg=10.0, extra={"core:comment": "mast"}),
        Truth(40, 10, azimuth_deg=75.0, extra={"spatial:signal_bearing": {"az_error": 0.5}}),
    ]
    meta_path = _write(tmp_path, _samples(100), truths=truths)
    annotations = _load(meta_path)["annotations"]
    by_label = {annotation.get("core:label"): annotation for annotation in annotations}
    assert by_label["tx-a"]["spatial:signal_azimuth"] == -12.5
    assert "spatial:signal_bearing" not in by_label["tx-a"]
    with_elevation = next(a for a in annotations if a["core:sample_start"] == 0)
    assert with_elevation["spatial:signal_bearing"] == {"azimuth": 30.0, "elevation": 10.0}
    assert "spatial:signal_azimuth" not in with_elevation

    capture = read_capture(meta_path)
    assert capture.truths == sorted(truths, key=lambda truth: truth.sample_start)


def test_writer_refuses_extra_fields_it_writes_itself(tmp_path):
    with pytest.raises(ValueError, match="core:label"):
        _write(tmp_path, _samples(10), truths=[Truth(0, 1, 0.0, extra={"core:label": "x"})])
    with pytest.raises(ValueError, match="core:frequency"):
        _write(tmp_path, _samples(10), segments=[Segment(0, 10, extra={"core:frequency": 1.0})])
    with pytest.raises(ValueError, match="core:sample_rate"):
        _write(tmp_path, _samples(10), extra_global={"core:sample_rate": 1.0})


def test_reader_follows_spatial_spec_for_hand_written_annotations(tmp_path):
    meta_path = _write(tmp_path, _samples(100), segments=[Segment(0, 60), Segment(60, 40)])
    metadata = _load(meta_path)
    metadata["annotations"] = [
        # signal_bearing has priority over signal_azimuth; extra bearing fields are kept
        {
            "core:sample_start": 10,
            "core:sample_count": 5,
            "spatial:signal_azimuth": 1.0,
            "spatial:signal_bearing": {"azimuth": 2.0, "range": 30.0},
        },
        # no sample_count: runs to the end of its capture segment
        {"core:sample_start": 20, "spatial:signal_azimuth": 3.0},
        # no azimuth: not a ground truth
        {"core:sample_start": 30, "core:sample_count": 5, "core:label": "burst"},
    ]
    _save(meta_path, metadata)
    assert read_capture(meta_path).truths == [
        Truth(10, 5, azimuth_deg=2.0, extra={"spatial:signal_bearing": {"range": 30.0}}),
        Truth(20, 40, azimuth_deg=3.0),
    ]


def test_reader_accepts_carrier_and_geometry_in_global(tmp_path):
    meta_path = _write(tmp_path, _samples(10))
    metadata = _load(meta_path)
    capture_fields = metadata["captures"][0]
    for key in ("core:frequency", "spatial:element_geometry"):
        metadata["global"][key] = capture_fields.pop(key)
    _save(meta_path, metadata)
    capture = read_capture(meta_path)
    assert capture.frequency_hz == FREQUENCY_HZ
    np.testing.assert_array_equal(capture.geometry.positions_m, GEOMETRY.positions_m)


# --- reading windows and paths -------------------------------------------------------------------


def test_read_maps_only_the_requested_window(tmp_path):
    samples = _samples(200)
    capture = read_capture(_write(tmp_path, samples, segments=[Segment(0, 120), Segment(120, 80)]))
    window = capture.read(100, 50)  # across a segment boundary
    assert type(window) is np.ndarray
    assert window.dtype == np.complex64
    assert window.shape == (50, M)
    np.testing.assert_array_equal(window, samples[100:150])
    assert capture.read(200, 0).shape == (0, M)
    for start, count in [(-1, 5), (190, 11), (0, -1)]:
        with pytest.raises(ValueError, match=r"rec\.sigmf-data"):
            capture.read(start, count)


@pytest.mark.parametrize("name", ["rec", "rec.sigmf-meta", "rec.sigmf-data"])
def test_paths_with_or_without_extension(tmp_path, name):
    samples = _samples(3)
    assert write_capture(
        tmp_path / name, samples, sample_rate_hz=1.0, frequency_hz=1.0, geometry=GEOMETRY
    ) == (tmp_path / "rec.sigmf-meta")
    np.testing.assert_array_equal(read_capture(tmp_path / name).read(0, 3), samples)


# --- compliance ----------------------------------------------------------------------------------


def test_written_files_validate_with_sigmf_and_follow_spatial_layout(tmp_path):
    meta_path = _write(
        tmp_path,
        _samples(50),
        segments=[Segment(0, 20, global_index=0), Segment(20, 30, global_index=1000)],
        truths=[Truth(0, 10, 5.0), Truth(20, 10, 6.0, 7.0)],
        extra_global={
            "bearing:scenario": "two emitters",
            "core:extensions": [{"name": "bearing", "version": "0.1.0", "optional": True}],
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. sigmf's warning about undeclared extensions
        recording = sigmf.fromfile(meta_path)  # verifies core:sha512
        recording.validate()
        sigmf.validate.main((str(meta_path),))  # the sigmf_validate command; exits non-zero on failure

    metadata = _load(meta_path)
    global_info = metadata["global"]
    assert global_info["core:extensions"] == [
        SPATIAL_EXTENSION,
        {"name": "bearing", "version": "0.1.0", "optional": True},
    ]
    assert global_info["core:num_channels"] == M
    assert global_info["spatial:num_elements"] == M
    assert global_info["spatial:channel_index"] == 0
    assert global_info["bearing:scenario"] == "two emitters"
    assert "core:sha512" in global_info
    for capture in metadata["captures"]:
        assert capture["core:frequency"] == FREQUENCY_HZ
        assert capture["spatial:element_geometry"] == [{"point": p.tolist()} for p in GEOMETRY.positions_m]


@pytest.mark.parametrize(
    "samples", [np.zeros(M, np.complex64), np.zeros((4, M + 1), np.complex64), np.zeros((0, M), np.complex64)]
)
def test_writer_refuses_samples_not_matching_the_geometry(tmp_path, samples):
    with pytest.raises(ValueError, match="shape"):
        _write(tmp_path, samples)


def test_writer_refuses_unsupported_datatype(tmp_path):
    with pytest.raises(ValueError, match="datatype"):
        _write(tmp_path, _samples(4), datatype="ci8")


# --- bad files -----------------------------------------------------------------------------------


def _edit(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    """A corruption that edits the parsed metadata of the recording at a path."""

    def corrupt(meta_path: Path) -> None:
        metadata = _load(meta_path)
        edit(metadata)
        _save(meta_path, metadata)

    return corrupt


def _truncate(meta_path: Path) -> None:
    data_path = meta_path.with_suffix(".sigmf-data")
    data_path.write_bytes(data_path.read_bytes()[:-3])


def _set_global(key: str, value: object) -> Callable[[Path], None]:
    return _edit(lambda metadata: metadata["global"].__setitem__(key, value))


def _drop_from_captures(key: str) -> Callable[[Path], None]:
    return _edit(lambda metadata: [capture.pop(key) for capture in metadata["captures"]])


BAD_FILES = {
    "no-geometry": (
        _drop_from_captures("spatial:element_geometry"),
        "missing spatial:element_geometry",
        "meta",
    ),
    "unknown-point": (
        _edit(
            lambda m: [c["spatial:element_geometry"].__setitem__(1, {"unknown": True}) for c in m["captures"]]
        ),
        "spatial:element_geometry must list",
        "meta",
    ),
    "num-channels": (_set_global("core:num_channels", M - 1), "core:num_channels", "meta"),
    "num-elements": (_set_global("spatial:num_elements", M + 1), "spatial:num_elements", "meta"),
    "no-num-elements": (
        _edit(lambda m: m["global"].pop("spatial:num_elements")),
        "spatial:num_elements",
        "meta",
    ),
    "channel-index": (_set_global("spatial:channel_index", 2), "spatial:channel_index", "meta"),
    "truncated": (_truncate, f"{40 * M * 8 - 3} bytes", "data"),
    "datatype-cu8": (_set_global("core:datatype", "cu8"), "core:datatype", "meta"),
    "datatype-big-endian": (_set_global("core:datatype", "cf32_be"), "core:datatype", "meta"),
    "no-data-file": (lambda meta: meta.with_suffix(".sigmf-data").unlink(), "data file not found", "data"),
    "no-meta-file": (lambda meta: meta.unlink(), "cannot read the metadata file", "meta"),
    "not-json": (lambda meta: meta.write_text('{"global": '), "JSON", "meta"),
    "schema": (_edit(lambda m: m["global"].pop("core:version")), "SigMF schema", "meta"),
    "schema-order": (
        _edit(lambda m: m["captures"].reverse()),
        "SigMF schema",
        "meta",
    ),
    "no-sample-rate": (_edit(lambda m: m["global"].pop("core:sample_rate")), "core:sample_rate", "meta"),
    "no-frequency": (_drop_from_captures("core:frequency"), "carrier core:frequency", "meta"),
    "frequency-differs": (
        _edit(lambda m: m["captures"][1].__setitem__("core:frequency", 2.4e9)),
        "core:frequency differs",
        "meta",
    ),
    "bad-azimuth": (
        _edit(
            lambda m: m["annotations"].append({"core:sample_start": 30, "spatial:signal_azimuth": "north"})
        ),
        "spatial:signal_azimuth",
        "meta",
    ),
    "capture-beyond-data": (
        _edit(lambda m: m["captures"].append({"core:sample_start": 41})),
        "core:sample_start",
        "meta",
    ),
    "non-conforming": (_set_global("core:trailing_bytes", 8), "non-conforming", "meta"),
}


@pytest.mark.parametrize(("corrupt", "field", "file"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_files_raise_capture_error_naming_file_and_field(tmp_path, corrupt, field, file):
    meta_path = _write(tmp_path, _samples(40), segments=[Segment(0, 20), Segment(20, 20)])
    corrupt(meta_path)
    with pytest.raises(CaptureError) as error:
        read_capture(tmp_path / "rec")
    message = str(error.value)
    assert field in message
    assert str(meta_path.with_suffix(f".sigmf-{file}")) in message


def test_write_accepts_non_contiguous_samples(tmp_path):
    """A transposed (Fortran-ordered) array is written channel-interleaved like any other."""
    geometry = ula(3, 0.05)
    channels_first = (np.arange(12) + 1j * np.arange(12)).reshape(3, 4).astype(np.complex64)
    path = write_capture(
        tmp_path / "transposed", channels_first.T, sample_rate_hz=1e6, frequency_hz=2.4e9, geometry=geometry
    )
    np.testing.assert_array_equal(read_capture(path).read(0, 4), channels_first.T)


def test_empty_data_file_is_named(tmp_path):
    meta_path = _write(tmp_path, _samples(10))
    meta_path.with_suffix(".sigmf-data").write_bytes(b"")
    with pytest.raises(CaptureError, match=r"sigmf-data: data file is empty"):
        read_capture(meta_path)


def test_unreadable_data_file_is_reported_when_opening(tmp_path, monkeypatch):
    """Reading fails at read_capture, not later inside a running flowgraph."""
    import gnuradio.bearing.captures.reader as capture_module

    meta_path = _write(tmp_path, _samples(10))

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(capture_module, "open", refuse, raising=False)
    with pytest.raises(CaptureError, match=r"sigmf-data: data file cannot be read \(Permission denied\)"):
        read_capture(meta_path)


def test_segments_out_of_order_are_refused(tmp_path):
    meta_path = _write(tmp_path, _samples(30), segments=[Segment(0, 10), Segment(10, 20)])
    metadata = _load(meta_path)
    metadata["captures"].reverse()
    meta_path.write_text(json.dumps(metadata))
    with pytest.raises(CaptureError, match="sample start ordering"):  # sigmf's schema check
        read_capture(meta_path)
