"""The array's mount: true bearings from the array frame, and the capture keys that give the mount."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gnuradio.bearing.array.orientation import Orientation
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.schema import CaptureError


def test_a_level_array_adds_its_heading_as_the_spatial_spec_example_does():
    azimuth, elevation = Orientation(270.0).to_local([135.0, -20.0, 0.0])
    np.testing.assert_allclose(azimuth, [45.0, 250.0, 270.0], atol=1e-9)
    np.testing.assert_allclose(elevation, 0.0, atol=1e-9)


def test_tilt_raises_the_boresight_and_roll_raises_the_left_side():
    azimuth, elevation = Orientation(30.0, tilt_deg=10.0).to_local(0.0)
    np.testing.assert_allclose([azimuth[0], elevation[0]], [30.0, 10.0], atol=1e-9)
    _, elevation = Orientation(0.0, roll_deg=90.0).to_local([-90.0, 90.0])  # left, right
    np.testing.assert_allclose(elevation, [90.0, -90.0], atol=1e-9)
    azimuth, elevation = Orientation(90.0, tilt_deg=-20.0).to_local(0.0, 20.0)  # looks level again
    np.testing.assert_allclose([azimuth[0], elevation[0]], [90.0, 0.0], atol=1e-9)


def test_a_bad_mount_is_refused_by_name():
    with pytest.raises(ValueError, match="tilt_deg: must be a finite number in"):
        Orientation(0.0, tilt_deg=100.0)
    with pytest.raises(ValueError, match="heading_deg: must be a number"):
        Orientation("north")


def mounted(make_capture, tmp_path, **fields):
    """make_capture's capture with ``fields`` added to its captures segments."""
    path = make_capture(azimuths_deg=(10.0,), segment_length=64)
    metadata = json.loads(path.read_text())
    for segment in metadata["captures"]:
        segment.update(fields)
    path.write_text(json.dumps(metadata))
    return path


def test_a_capture_gives_the_mount_by_aperture_azimuth_or_bearing(make_capture, tmp_path):
    assert read_capture(make_capture(azimuths_deg=(10.0,), segment_length=64)).orientation is None
    assert read_capture(
        mounted(make_capture, tmp_path, **{"spatial:aperture_azimuth": 270.0})
    ).orientation == (Orientation(270.0))
    fields = {
        "spatial:aperture_bearing": {"azimuth": 90.0, "elevation": 5.0},
        "spatial:aperture_rotation": 2.0,
    }
    assert read_capture(mounted(make_capture, tmp_path, **fields)).orientation == Orientation(90.0, 5.0, 2.0)
    same = {
        "spatial:aperture_azimuth": 90.0,
        "spatial:aperture_bearing": {"azimuth": 90.0, "elevation": None},
    }
    assert read_capture(mounted(make_capture, tmp_path, **same)).orientation == Orientation(90.0)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"spatial:aperture_rotation": 3.0}, "a tilt or roll without a heading"),
        ({"spatial:aperture_bearing": 12.0}, "must be a bearing object"),
        (
            {"spatial:aperture_bearing": {"azimuth": 0.0, "elevation": 95.0}},
            r"\(spatial:aperture_bearing\).*tilt_deg",
        ),
        ({"spatial:aperture_azimuth": "north"}, r"\(spatial:aperture_azimuth\): heading_deg"),
        (
            {"spatial:aperture_azimuth": 270.0, "spatial:aperture_bearing": {"azimuth": 90.0}},
            "disagree: give the array's heading once",
        ),
    ],
)
def test_a_bad_mount_in_a_capture_names_the_field(make_capture, tmp_path, fields, message):
    with pytest.raises(CaptureError, match=message):
        read_capture(mounted(make_capture, tmp_path, **fields))
