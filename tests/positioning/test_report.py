"""The bearing report: what a station sends, what the fusion refuses (and why), the wire format."""

from __future__ import annotations

import json
import math

import pmt
import pytest
from gnuradio.bearing.array.orientation import Orientation
from gnuradio.bearing.positioning.report import (
    SCHEMA,
    ReportError,
    StationPose,
    decode_report,
    encode_report,
    report_fields,
    window_time_s,
)
from gnuradio.bearing.positioning.wire import report_bytes
from hypothesis import given
from hypothesis import strategies as st

POSE = StationPose(Orientation(30.0), (48.85, 2.35, 35.0), True)
RECORD = {
    "sample_start": 1000,
    "sample_count": 1024,
    "azimuth_deg": [-10.0, 25.0, math.nan],
    "num_sources": 3,
    "method": "music",
    "peak_db": [-3.0, 0.0, -1.0],
    "truth_azimuth_deg": [],
    "ue": 2,
}


def fields():
    return report_fields(RECORD, "gnb-1", POSE, 12.5, 0.8, 1.0)


def test_a_record_becomes_a_report_strongest_bearing_first_with_its_ue_and_true_bearings():
    report = decode_report(encode_report(fields()))
    assert report.station_id == "gnb-1" and report.time_s == 12.5 and report.method == "music"
    assert [b.azimuth_deg for b in report.bearings] == [25.0, -10.0]  # the NaN bearing left out
    assert [b.emitter for b in report.bearings] == ["ue-2", None]
    assert report.bearings[0].azimuth_std_deg == 0.8 and math.isnan(report.bearings[0].elevation_deg)
    assert report.fields["bearings"][0]["true_azimuth_deg"] == pytest.approx(55.0)
    assert report.pose == POSE and report.fields["schema"] == SCHEMA and report.fields["version"] == 1


def test_an_estimators_own_deviations_and_elevations_are_kept():
    record = {"azimuth_deg": [10.0], "elevation_deg": [5.0], "azimuth_std_deg": [0.3], "peak_db": [0.0]}
    bearing = decode_report(encode_report(report_fields(record, "s", POSE, 0.0, 2.0, 2.0))).bearings[0]
    assert (bearing.azimuth_std_deg, bearing.elevation_deg, bearing.elevation_std_deg) == (0.3, 5.0, 2.0)


def test_a_failed_estimate_gives_no_report():
    assert report_fields({"azimuth_deg": [math.nan], "peak_db": [0.0]}, "s", POSE, 0.0, 1.0, 1.0) is None


def test_the_window_time_is_its_centre():
    assert window_time_s(RECORD, 1e6, 100.0) == pytest.approx(100.0 + 1512e-6)
    assert window_time_s({"sample_start": -1}, 1e6, 0.0) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("x" * 70000, "oversized"),
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        (json.dumps({"schema": "other", "version": 1}), "schema"),
        (json.dumps({"schema": SCHEMA, "version": 2}), "version"),
        (json.dumps({"schema": SCHEMA, "version": 1, "station": {"id": "s"}, "time_s": 0}), "malformed"),
        (
            json.dumps({"schema": SCHEMA, "version": 1, "station": {"id": "s"}, "time_s": 0, "bearings": []}),
            "no_pose",
        ),
        (
            json.dumps(
                {
                    "schema": SCHEMA,
                    "version": 1,
                    "station": {"id": "s", "heading_deg": 0, "east_m": 0, "north_m": 0},
                    "time_s": 0,
                    "bearings": [{"azimuth_deg": 1.0, "azimuth_std_deg": -1}],
                }
            ),
            "malformed",
        ),
    ],
)
def test_what_the_fusion_cannot_use_is_refused_with_its_kind(text, kind):
    with pytest.raises(ReportError) as caught:
        decode_report(text)
    assert caught.value.kind == kind


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_decoding_arbitrary_bytes_raises_only_report_errors(data):
    try:
        decode_report(data)
    except ReportError:
        pass


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=8), c),
        max_leaves=20,
    )
)
def test_decoding_arbitrary_json_in_a_report_envelope_raises_only_report_errors(value):
    envelope = {"schema": SCHEMA, "version": 1, "station": value, "time_s": value, "bearings": value}
    try:
        decode_report(json.dumps(envelope))
    except ReportError:
        pass


@pytest.mark.parametrize("form", ["pdu", "u8vector", "symbol"])
def test_the_wire_format_is_what_gr_zeromq_serialises(form):
    data = encode_report(fields()).encode()
    vector = pmt.init_u8vector(len(data), list(data))
    value = {
        "pdu": pmt.cons(pmt.make_dict(), vector),
        "u8vector": vector,
        "symbol": pmt.intern(data.decode()),
    }[form]
    assert report_bytes(pmt.serialize_str(value)) == data


def test_a_declared_length_that_is_not_the_message_length_is_refused_before_anything_is_allocated():
    with pytest.raises(ValueError, match="declared"):
        report_bytes(bytes.fromhex("0a00ffffffff0100") + b"{}")
    with pytest.raises(ValueError, match="declared"):
        report_bytes(bytes.fromhex("0200ff") + b"{}")
    with pytest.raises(ValueError, match="not a serialised"):
        report_bytes(pmt.serialize_str(pmt.from_double(1.0)))


TILTED = {"id": "s", "heading_deg": 0.0, "tilt_deg": -10.0, "east_m": 0.0, "north_m": 0.0}


def test_a_tilted_station_needs_its_aperture_for_azimuths_only():
    assert decode_report(envelope(TILTED | {"aperture": {"kind": "planar"}})).pose.aperture.kind == "planar"
    with_elevation = [
        {"azimuth_deg": 1.0, "azimuth_std_deg": 1.0, "elevation_deg": 2.0, "elevation_std_deg": 1.0}
    ]
    assert decode_report(envelope(TILTED, bearings=with_elevation)).pose.aperture is None
    level = decode_report(envelope()).pose
    assert level.aperture is None and level.no_aperture_reason() is None
    reason = decode_report(envelope(TILTED, bearings=with_elevation)).pose.no_aperture_reason()
    assert reason.startswith(
        "the array is tilted -10 deg and rolled 0 deg and its bearings have no elevation"
    )


def envelope(station: dict | None = None, **fields) -> str:
    """A report's JSON with ``fields`` replacing the defaults (a pose-carrying station, one bearing)."""
    body = {
        "schema": SCHEMA,
        "version": 1,
        "station": station or {"id": "s", "heading_deg": 0.0, "east_m": 0.0, "north_m": 0.0},
        "time_s": 1.0,
        "bearings": [{"azimuth_deg": 1.0, "azimuth_std_deg": 1.0}],
    } | fields
    return json.dumps(body)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (envelope({"id": "s", "heading_deg": 0.0, "longitude_deg": 2.0}), "no_pose"),  # half a position
        (envelope({"id": "s", "heading_deg": 0.0, "east_m": 1.0}), "no_pose"),
        ("[" * 60000 + "]" * 60000, "malformed"),  # nesting deeper than the JSON parser's recursion
        (envelope(time_s=1e308), "malformed"),
        (envelope().replace('"time_s": 1.0', '"time_s": ' + "9" * 400), "malformed"),  # beyond a float
        (envelope(bearings=[{"azimuth_deg": 1.0, "azimuth_std_deg": 1e-310}]), "malformed"),
        (envelope(bearings=[{"azimuth_deg": 1e300, "azimuth_std_deg": 1.0}]), "malformed"),
        (envelope(TILTED | {"aperture": {"kind": ["linear"]}}), "no_pose"),
        (envelope(TILTED | {"aperture": {"kind": "linear", "broadside_deg": 1e308}}), "no_pose"),
        (envelope(TILTED | {"aperture": {"kind": "linear", "broadside_deg": 10**400}}), "no_pose"),
        (envelope(TILTED | {"aperture": "[" * 900 + "]" * 900}), "no_pose"),
        (envelope(TILTED), "no_aperture"),
    ],
)
def test_reports_that_would_break_the_fusion_are_refused(text, kind):
    """Each of these ended `bearing locate` before (an independent review found them)."""
    with pytest.raises(ReportError) as caught:
        decode_report(text, max_bytes=10**6)
    assert caught.value.kind == kind
