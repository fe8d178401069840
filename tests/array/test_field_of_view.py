"""What a geometry resolves, and which side is the front: the frame decides, never the element order."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.field_of_view import (
    GeometryError,
    aliasing_vector,
    default_azimuth_grid,
    field_of_view,
    resolvable_field,
)
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


# --- at a carrier: extents below a fiftieth of a wavelength, and grating lobes -----------------

WAVELENGTH_M = 1.0


def positions_along_y(*offsets_wavelengths: float) -> ArrayGeometry:
    return ArrayGeometry(np.array([[0.0, -offset * WAVELENGTH_M, 0.0] for offset in offsets_wavelengths]))


@pytest.mark.parametrize(
    ("geometry", "half_deg"),
    [
        (ula(8, WAVELENGTH_M), 30.0),
        (ula(8, 0.6 * WAVELENGTH_M), np.rad2deg(np.arcsin(1 / 1.2))),
        (positions_along_y(0, 1, 3, 4), 30.0),  # a sparse line on a one-wavelength lattice
        (ula(2, 0.8 * WAVELENGTH_M), np.rad2deg(np.arcsin(0.625))),
    ],
    ids=["ula-lambda", "ula-0.6-lambda", "sparse-lambda-lattice", "two-elements-0.8-lambda"],
)
def test_a_line_with_grating_lobes_resolves_broadside_plus_minus_asin_w_over_2(geometry, half_deg):
    field = resolvable_field(geometry, WAVELENGTH_M)
    assert field.azimuth_deg == pytest.approx((-half_deg, half_deg))
    assert "grating lobes" in field.reason
    w = aliasing_vector(geometry, WAVELENGTH_M)
    assert w is not None and np.linalg.norm(w) == pytest.approx(2.0 * np.sin(np.deg2rad(half_deg)))


def test_a_vertical_ura_with_grating_lobes_resolves_a_cone_about_its_normal():
    field = resolvable_field(ura(4, 4, WAVELENGTH_M, WAVELENGTH_M), WAVELENGTH_M)
    assert field.max_off_axis_deg == pytest.approx(30.0)
    assert field.azimuth_deg == pytest.approx((-30.0, 30.0))
    assert field.elevation_deg == pytest.approx((-30.0, 30.0))


@pytest.mark.parametrize(
    "geometry",
    [
        ArrayGeometry(np.array([[0, 0, 0], [0, -1, 0], [0, -2, 0], [1, 0, 0], [2, 0, 0]], dtype=float)),  # L
        ura(3, 3, 1.0, 1.0).subarray(0, 9),
    ],
    ids=["horizontal-l-lambda", "ura-lambda-as-3d"],
)
def test_a_horizontal_planar_or_3d_array_with_grating_lobes_is_refused(geometry):
    if geometry.num_elements == 9:  # the URA lifted into 3-D by one element off its plane
        positions = geometry.positions_m.copy()
        positions[4, 0] = 1.0
        geometry = ArrayGeometry(positions)
    with pytest.raises(GeometryError, match=r"lattice too coarse for the wavelength.*grating"):
        resolvable_field(geometry, WAVELENGTH_M)


@pytest.mark.parametrize(
    "geometry",
    [ula(8, 0.5), uca(8, 1.0), uca(5, 2.0), ura(4, 4, 0.5, 0.5)],
    ids=["ula-half", "uca8-radius-lambda", "uca5-radius-2-lambda", "ura-half"],
)
def test_arrays_without_grating_lobes_keep_their_field(geometry):
    assert aliasing_vector(geometry, WAVELENGTH_M) is None
    assert resolvable_field(geometry, WAVELENGTH_M) == field_of_view(geometry)


def test_random_planar_positions_have_no_grating_lobes():
    rng = np.random.default_rng(0)
    for _ in range(20):
        xy = rng.uniform(-1.0, 1.0, (8, 2))
        geometry = ArrayGeometry(np.column_stack([xy, np.zeros(8)]))
        assert aliasing_vector(geometry, WAVELENGTH_M) is None


def test_positions_typed_to_the_millimetre_keep_a_line_a_line():
    """A ULA turned 30 deg, typed to 1 mm at 2.4 GHz (12.5 cm wavelength), and one with heights
    typed to 1 mm: at the carrier both are level lines (their front half-planes), although their
    extents across the line exceed a thousandth of the aperture."""
    wavelength = 0.125
    turned = rotated(ula(8, wavelength / 2), 30.0)
    typed = ArrayGeometry(np.round(turned.positions_m, 3))
    assert field_of_view(typed).kind == "planar"  # without the carrier: a sliver of a plane
    field = resolvable_field(typed, wavelength)
    assert field.kind == "linear" and field.front_deg == pytest.approx(30.0, abs=0.1)
    lifted = ula(8, wavelength / 2).positions_m.copy()
    lifted[::2, 2] = 0.001
    assert resolvable_field(ArrayGeometry(lifted), wavelength).kind == "linear"
    assert ArrayGeometry(lifted).ula_axis() is not None  # 1 mm of 62.5 mm: within 1 % of the spacing
