"""The search grid follows the geometry: defaults, elevation, and the warning for a grid beyond it."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.field_of_view import GeometryError
from gnuradio.bearing.array.geometry import ArrayGeometry, uca, ula, ura
from gnuradio.bearing.doa.search import DEFAULT_PLANAR_STEP_DEG, search_grid

HALF = 0.5


def test_a_ula_searches_its_front_half_plane_at_a_tenth_of_a_degree():
    search = search_grid(ula(4, HALF))
    assert search.azimuth_range == (-90.0, 90.0, 0.1) and search.azimuth_deg.size == 1801
    assert search.elevation_deg is None and search.size == 1801 and search.warnings == ()


def test_a_uca_searches_the_full_circle():
    search = search_grid(uca(8, HALF))
    assert search.azimuth_deg[0] == -180.0 and search.azimuth_deg[-1] == pytest.approx(179.9)
    assert search.size == 3600 and search.warnings == ()


def test_a_ura_searches_azimuth_and_elevation_on_a_coarse_grid():
    search = search_grid(ura(4, 4, HALF, HALF))
    assert search.azimuth_range == (-90.0, 90.0, DEFAULT_PLANAR_STEP_DEG)
    assert search.elevation_range == (-90.0, 90.0, DEFAULT_PLANAR_STEP_DEG)
    assert search.size == 91 * 91
    search = search_grid(ura(4, 4, HALF, HALF), (-30.0, 30.0, 1.0), (0.0, 40.0, 0.5))
    np.testing.assert_allclose(search.elevation_deg[[0, -1]], [0.0, 40.0])
    assert search.size == 61 * 81


def test_given_bounds_are_kept_and_a_grid_beyond_the_array_is_explained():
    search = search_grid(ula(4, HALF), (-180.0, 180.0, 1.0))
    assert search.azimuth_deg.size == 360 and len(search.warnings) == 1
    assert "mirror image across the array axis" in search.warnings[0]


def test_elevation_bounds_for_an_azimuth_only_array_are_refused():
    with pytest.raises(GeometryError, match="estimates azimuth only"):
        search_grid(uca(8, HALF), elevation=(0.0, 30.0, 1.0))
    with pytest.raises(ValueError, match=r"elevation range must lie in -90 \.\. 90"):
        search_grid(ura(4, 4, HALF, HALF), elevation=(-100.0, 30.0, 1.0))


def test_a_search_wholly_outside_what_the_array_resolves_is_refused() -> None:
    """A ULA turned by 170 deg resolves -100 .. 80: a search of 100 .. 170 holds no direction it
    can tell from its mirror image, and is refused by name rather than returning nothing."""
    c, s = np.cos(np.deg2rad(170.0)), np.sin(np.deg2rad(170.0))  # clockwise seen from above
    turned = ArrayGeometry(ula(8, 0.5).positions_m @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]]).T)
    with pytest.raises(GeometryError, match=r"azimuth search 100 .. 170 deg lies outside what the array"):
        search_grid(turned, (100.0, 170.0, 0.1))
