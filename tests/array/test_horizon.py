"""Azimuth-only estimates of tilted and rolled arrays, turned into horizontal directions: checked
against what a real MUSIC estimate of a ULA and the in-plane azimuth of a UCA give for emitters
on the horizon."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import ArrayGeometry, uca, ula, ura
from gnuradio.bearing.array.horizon import Aperture
from gnuradio.bearing.array.orientation import Orientation
from gnuradio.bearing.doa.classical import Estimator

WAVELENGTH_M = 0.125


def local_direction(true_azimuth_deg: float) -> np.ndarray:
    """A horizontal direction in the local (north, west, up) frame."""
    az = np.deg2rad(true_azimuth_deg)
    return np.array([np.cos(az), -np.sin(az), 0.0])


def wrapped(difference: np.ndarray) -> np.ndarray:
    return (np.asarray(difference) + 180.0) % 360.0 - 180.0


def music_azimuth(geometry, direction_in_array: np.ndarray, grid=(-90.0, 90.0)) -> float:
    """MUSIC's azimuth (elevation 0 assumed) of a noise-free emitter from a 3-D direction."""
    positions = geometry.positions_m
    phases = 2 * np.pi * positions @ direction_in_array / WAVELENGTH_M
    a = np.exp(1j * phases)[:, None]
    covariance = a @ a.conj().T + 1e-6 * np.eye(len(a))
    estimator = Estimator(geometry, WAVELENGTH_M, np.arange(grid[0], grid[1] + 0.01, 0.1))
    return float(estimator.estimate(covariance, 1).azimuth_deg[0])


@pytest.mark.parametrize(
    ("heading", "tilt", "roll"),
    [(30.0, -10.0, 0.0), (200.0, 8.0, 5.0), (75.0, -15.0, -12.0), (0.0, 0.0, 20.0)],
)
def test_a_tilted_ulas_music_bearing_is_put_back_on_the_horizon(heading, tilt, roll):
    orientation = Orientation(heading, tilt, roll)
    geometry = ula(4, WAVELENGTH_M / 2)
    aperture = Aperture.of(geometry)
    assert aperture == Aperture("linear", 0.0)
    truths = heading + np.array([-50.0, -20.0, 0.0, 15.0, 40.0])
    estimates = [music_azimuth(geometry, orientation.rotation().T @ local_direction(t)) for t in truths]
    recovered = aperture.horizon_azimuth_deg(orientation, estimates)
    assert np.abs(wrapped(recovered - truths)).max() < 0.01
    naive, _ = orientation.to_local(estimates)
    assert np.abs(wrapped(naive - truths)).max() > 0.25  # what the horizon mends


def test_a_tilted_ucas_in_plane_azimuth_is_put_back_on_the_horizon():
    orientation = Orientation(120.0, -12.0, 7.0)
    aperture = Aperture.of(uca(8, 0.1))
    assert aperture == Aperture("planar")
    truths = np.arange(0.0, 360.0, 30.0)
    in_array = np.stack([orientation.rotation().T @ local_direction(t) for t in truths])
    estimates = np.rad2deg(np.arctan2(-in_array[:, 1], in_array[:, 0]))  # the in-plane azimuth
    assert np.abs(wrapped(aperture.horizon_azimuth_deg(orientation, estimates) - truths)).max() < 1e-9
    upside_down = Orientation(120.0, 12.0, 180.0)
    in_array = np.stack([upside_down.rotation().T @ local_direction(t) for t in truths])
    estimates = np.rad2deg(np.arctan2(-in_array[:, 1], in_array[:, 0]))
    assert np.abs(wrapped(aperture.horizon_azimuth_deg(upside_down, estimates) - truths)).max() < 1e-9


def test_a_level_mount_gives_heading_plus_azimuth():
    orientation = Orientation(300.0)
    estimates = np.array([-80.0, -10.0, 0.0, 33.0, 89.0])
    expected = (300.0 + estimates) % 360.0
    for aperture in (Aperture("linear", 0.0), Aperture("planar")):
        assert np.allclose(aperture.horizon_azimuth_deg(orientation, estimates), expected, atol=1e-9)


def test_no_horizontal_direction_gives_nan():
    # A ULA rolled 60 deg: its axis rises 60 deg, and its cones past 30 deg miss the horizon.
    rolled = Orientation(0.0, 0.0, 60.0)
    result = Aperture("linear", 0.0).horizon_azimuth_deg(rolled, [-25.0, 29.0, 31.0, -50.0])
    assert np.isfinite(result[:2]).all() and np.isnan(result[2:]).all()
    # Upright, every horizontal direction is at broadside: none is told apart.
    assert np.isnan(
        Aperture("linear", 0.0).horizon_azimuth_deg(Orientation(0.0, 0.0, 90.0), [0.0, 20.0])
    ).all()
    # A UCA standing on its side meets the horizon along its normal whatever the estimate.
    assert np.isnan(Aperture("planar").horizon_azimuth_deg(Orientation(0.0, 90.0), [10.0])).all()


def test_arrays_that_resolve_elevation_need_no_aperture_and_bad_fields_are_named():
    assert Aperture.of(ura(2, 2, 0.06, 0.06)) is None
    assert Aperture.from_dict(Aperture("linear", 90.0).to_dict()) == Aperture("linear", 90.0)
    assert Aperture.from_dict({"kind": "planar"}) == Aperture("planar")
    for fields, message in (
        ({"kind": "ring"}, "aperture kind must be one of linear, planar, not 'ring'"),
        ({"kind": "linear"}, "a linear aperture needs a broadside_deg within \\+-360, not 'None'"),
        ({"kind": "linear", "broadside_deg": "x"}, "a linear aperture needs a broadside_deg within"),
        ({"kind": "linear", "broadside_deg": 1e17}, "a linear aperture needs a broadside_deg within"),
        ({"kind": "planar", "broadside_deg": 3}, "a planar aperture has no broadside_deg"),
        ([1], "aperture is not a JSON object"),
    ):
        with pytest.raises(ValueError, match=message):
            Aperture.from_dict(fields)


def test_a_ula_along_x_and_a_tilted_ucas_music_bearings_come_back_too():
    orientation = Orientation(10.0, -12.0, 6.0)
    along_x = ArrayGeometry(
        np.array([[0.0, 0.0, 0.0], [0.0625, 0.0, 0.0], [0.125, 0.0, 0.0], [0.1875, 0.0, 0.0]])
    )
    aperture = Aperture.of(along_x)
    assert aperture.kind == "linear" and aperture.broadside_deg in (90.0, -90.0)
    truths = 10.0 + aperture.broadside_deg + np.array([-40.0, 0.0, 35.0])
    grid = (aperture.broadside_deg - 90.0, aperture.broadside_deg + 90.0)
    estimates = [music_azimuth(along_x, orientation.rotation().T @ local_direction(t), grid) for t in truths]
    assert np.abs(wrapped(aperture.horizon_azimuth_deg(orientation, estimates) - truths)).max() < 0.01
    ring = uca(8, 0.1)
    truths = np.array([15.0, 100.0, 200.0, 330.0])
    estimates = [
        music_azimuth(ring, orientation.rotation().T @ local_direction(t), (-180.0, 180.0)) for t in truths
    ]
    assert (
        np.abs(wrapped(Aperture.of(ring).horizon_azimuth_deg(orientation, estimates) - truths)).max() < 0.01
    )


def test_surveyed_heights_a_fraction_of_a_millimetre_off_are_judged_at_the_carrier():
    rng = np.random.default_rng(3)
    for array, kind in ((ula(4, WAVELENGTH_M / 2), "linear"), (uca(8, 0.1), "planar")):
        heights = rng.normal(0.0, 0.3e-3, array.num_elements)  # surveyed to a third of a millimetre
        surveyed = ArrayGeometry(array.positions_m + np.outer(heights, [0.0, 0.0, 1.0]))
        assert Aperture.of(surveyed) is None  # taken as typed: a volume, which resolves elevation
        assert Aperture.of(surveyed, WAVELENGTH_M).kind == kind
