"""What a geometry resolves, and which side is the front: the frame decides, never the element order."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.field_of_view import GeometryError, default_azimuth_grid, field_of_view
from gnuradio.bearing.array.geometry import ArrayGeometry, azimuth_of, front, uca, ula, ura

HALF = 0.5


def rotated(geometry: ArrayGeometry, angle_deg: float) -> ArrayGeometry:
    """``geometry`` turned clockwise (seen from above) by ``angle_deg`` about the vertical."""
    a = np.deg2rad(angle_deg)
    turn = np.array([[np.cos(a), np.sin(a), 0.0], [-np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    return ArrayGeometry(geometry.positions_m @ turn.T)


def test_front_prefers_boresight_then_up_then_the_clockwise_side():
    np.testing.assert_allclose(front([-2.0, 1.0, 0.0]), np.array([2.0, -1.0, 0.0]) / np.sqrt(5))
    np.testing.assert_allclose(front([0.0, 0.3, -1.0]), np.array([0.0, -0.3, 1.0]) / np.sqrt(1.09))
    np.testing.assert_allclose(front([0.0, 1.0, 0.0]), [0.0, -1.0, 0.0])
    assert azimuth_of(front([0.0, 1.0, 0.0])) == pytest.approx(90.0)
    with pytest.raises(ValueError, match="non-zero 3-vector"):
        front([0.0, 0.0, 0.0])


@pytest.mark.parametrize("order", [1, -1], ids=["element order", "reversed"])
def test_a_ula_resolves_its_front_half_plane_in_either_order(order):
    geometry = ArrayGeometry(ula(8, HALF).positions_m[::order])
    field = field_of_view(geometry)
    assert (field.kind, field.azimuth_deg, field.elevation_deg, field.front_deg) == (
        "linear",
        (-90.0, 90.0),
        None,
        0.0,
    )
    axis = geometry.ula_axis()
    assert (axis.broadside_azimuth_deg, axis.sign) == (0.0, order)
    assert default_azimuth_grid(field) == (-90.0, 90.0, 0.1)


@pytest.mark.parametrize("turn_deg", [-75.0, -30.0, 10.0, 60.0, 89.0, 120.0, 179.0])
def test_a_rotated_ula_faces_the_normal_nearest_boresight(turn_deg):
    field = field_of_view(rotated(ula(6, HALF), turn_deg))
    nearest = (turn_deg + 90.0) % 180.0 - 90.0  # the normal within 90 deg of +x
    assert field.front_deg == pytest.approx(nearest)
    assert field.azimuth_deg == pytest.approx((nearest - 90.0, nearest + 90.0))


def test_a_ula_along_x_faces_azimuth_plus_90():
    geometry = ArrayGeometry(np.column_stack([np.arange(5) * HALF, np.zeros(5), np.zeros(5)]))
    assert field_of_view(geometry).front_deg == pytest.approx(90.0)
    assert geometry.ula_axis().broadside_azimuth_deg == pytest.approx(90.0)


@pytest.mark.parametrize("clockwise", [True, False])
def test_a_uca_resolves_the_full_circle_in_either_numbering(clockwise):
    positions = uca(8, HALF).positions_m
    field = field_of_view(ArrayGeometry(positions if clockwise else positions[::-1]))
    assert field.kind == "planar" and field.full_circle and not field.resolves_elevation
    assert field.contains_azimuth([-179.0, 0.0, 179.9]).all()
    assert field.azimuth_warning(-180.0, 180.0) is None


def test_a_ura_in_the_yz_plane_resolves_its_front_half_space_in_azimuth_and_elevation():
    field = field_of_view(ura(4, 4, HALF, HALF))
    assert (field.kind, field.azimuth_deg, field.elevation_deg) == ("planar", (-90.0, 90.0), (-90.0, 90.0))
    assert field.resolves_elevation


def test_a_3d_array_resolves_every_direction():
    cube = ArrayGeometry([[x, y, z] for x in (0, HALF) for y in (0, HALF) for z in (0, HALF)])
    field = field_of_view(cube)
    assert (field.kind, field.full_circle, field.elevation_deg) == ("volume", True, (-90.0, 90.0))


@pytest.mark.parametrize(
    ("positions", "reason"),
    [
        ([[0.0, 0.0, 0.0]], "all lie at one point"),
        ([[0.0, 0.1, 0.0], [0.0, 0.1, 0.0]], "all lie at one point"),
        ([[0.0, 0.0, z] for z in (0.0, 0.5, 1.0)], "not horizontal"),
        (
            [[x, y, x] for x in (0.0, 0.5) for y in (0.0, 0.5)],
            "tilted out of the horizontal and the vertical",
        ),
    ],
    ids=["one element", "duplicates", "vertical line", "tilted plane"],
)
def test_geometries_that_resolve_no_azimuth_are_refused_with_the_reason(positions, reason):
    with pytest.raises(GeometryError, match=reason):
        field_of_view(ArrayGeometry(positions))


def test_a_search_beyond_a_linear_arrays_half_plane_is_explained():
    field = field_of_view(ula(4, HALF))
    assert field.azimuth_warning(-90.0, 90.0) is None and field.azimuth_warning(-60.0, 60.0) is None
    warning = field.azimuth_warning(-180.0, 180.0)
    assert "mirror image across the array axis" in warning and "-90 .. 90" in warning
    assert field.azimuth_warning(80.0, 120.0) is not None
