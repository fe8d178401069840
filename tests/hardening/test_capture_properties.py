"""Property-based tests (hypothesis) of captures as anyone may write them (issue 20): metadata
built from valid pieces and broken ones (every JSON type, NaN and infinities, strings for
numbers, missing and extra fields, truncated data); the reader returns a capture or refuses with
CaptureError, and `bearing info` / `bearing estimate` work or exit 2 with one line."""

from __future__ import annotations

import json
import math

import numpy as np
from gnuradio.bearing import cli
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.schema import CaptureError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NUM_SAMPLES = 256
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
NUMBER_OR_WORSE = st.one_of(st.floats(-1e3, 1e3), ANY_VALUE)


@st.composite
def metadata(draw) -> dict:
    """A capture's metadata: four channels of cf32, segments, annotations, each field valid or not."""
    points = [
        {"point": [0.0, draw(st.one_of(st.just(m * 0.06), NUMBER_OR_WORSE)) if m else 0.0, 0.0]}
        for m in range(4)
    ]
    starts = sorted(draw(st.lists(st.integers(0, NUM_SAMPLES + 10), min_size=1, max_size=3, unique=True)))
    captures = [
        {
            "core:sample_start": start,
            "core:frequency": draw(st.one_of(st.just(2.4e9), NUMBER_OR_WORSE)),
            "spatial:element_geometry": points,
        }
        for start in starts
    ]
    annotations = [
        {
            "core:sample_start": draw(st.integers(0, NUM_SAMPLES + 10)),
            "core:sample_count": draw(st.integers(1, 64)),
            draw(st.sampled_from(["spatial:signal_azimuth", "spatial:signal_bearing"])): draw(
                st.one_of(NUMBER_OR_WORSE, st.fixed_dictionaries({"azimuth": NUMBER_OR_WORSE}))
            ),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    annotations.sort(key=lambda a: a["core:sample_start"])
    global_info = {
        "core:datatype": draw(st.sampled_from(["cf32_le", "cf32_le", "ci16_le", "ri8", "cf64_le"])),
        "core:sample_rate": draw(st.one_of(st.just(1e6), NUMBER_OR_WORSE)),
        "core:version": "1.2.0",
        "core:num_channels": draw(st.one_of(st.just(4), st.integers(0, 6))),
        "spatial:num_elements": draw(st.one_of(st.just(4), ANY_VALUE)),
        "spatial:channel_index": draw(st.one_of(st.just(0), ANY_VALUE)),
        "core:extensions": [{"name": "spatial", "version": "1.1.0", "optional": True}],
    }
    return {"global": global_info, "captures": captures, "annotations": annotations}


def _write(folder, meta: dict, data_bytes: int) -> str:
    path = folder / "capture.sigmf-meta"
    path.write_text(json.dumps(meta))  # NaN and Infinity written as JS literals, as careless writers do
    (folder / "capture.sigmf-data").write_bytes(np.zeros(data_bytes, np.uint8).tobytes())
    return str(path)


SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(meta=metadata(), truncate=st.integers(0, 7))
def test_the_reader_returns_a_capture_or_refuses_naming_the_file(tmp_path, meta, truncate):
    path = _write(tmp_path, meta, NUM_SAMPLES * 4 * 8 - truncate)
    try:
        capture = read_capture(path)
    except CaptureError as error:
        assert str(error).startswith(str(tmp_path)) and "\n" not in str(error)
        return
    assert math.isfinite(capture.sample_rate_hz) and capture.sample_rate_hz > 0
    assert all(math.isfinite(t.azimuth_deg) and -180 <= t.azimuth_deg <= 360 for t in capture.truths)
    assert all(t.sample_start < capture.num_samples for t in capture.truths)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=metadata())
def test_info_and_estimate_work_or_exit_2_with_one_line(tmp_path, capsys, meta):
    path = _write(tmp_path, meta, NUM_SAMPLES * 4 * 8)
    for command in (["info", path], ["estimate", path, "--average", "32", "--json"]):
        status = cli.main(command)
        out, err = capsys.readouterr()
        assert status in (0, 2), err
        if status == 2:
            assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("bearing: error:")
        else:
            assert all(json.loads(line) for line in out.splitlines()) if command[0] == "estimate" else out
