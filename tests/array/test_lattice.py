"""Uniform rectangular arrays found in any element order and orientation (array.lattice)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import ArrayGeometry, steering_matrix, uca, ula, ura
from gnuradio.bearing.array.lattice import UraLattice, ura_lattice
from scipy.spatial.transform import Rotation


def lattice_points(lattice: UraLattice) -> np.ndarray:
    """``origin + i d_1 e_1 + j d_2 e_2`` for every element, shape ``(M, 3)``."""
    steps = lattice.spacings_m[:, None] * lattice.axes
    return lattice.origin_m + lattice.index @ steps


def assert_describes(lattice: UraLattice | None, geometry: ArrayGeometry, shape, spacings) -> UraLattice:
    assert lattice is not None
    assert sorted(lattice.shape) == sorted(shape)
    np.testing.assert_allclose(np.sort(lattice.spacings_m), np.sort(spacings), atol=1e-12)
    np.testing.assert_allclose(lattice_points(lattice), geometry.positions_m, atol=1e-12)
    np.testing.assert_allclose(lattice.axes @ lattice.axes.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(lattice.axes @ lattice.normal, 0.0, atol=1e-12)
    assert lattice.index.shape == (geometry.num_elements, 2)
    assert np.unique(lattice.lattice_order()).size == geometry.num_elements
    return lattice


def test_ura_in_element_order() -> None:
    geometry = ura(3, 5, 0.5, 0.4)
    lattice = assert_describes(ura_lattice(geometry), geometry, (5, 3), (0.5, 0.4))
    # The shorter step first: the rows, 0.4 m apart along z; axes turned to the front (+z, -y).
    np.testing.assert_allclose(lattice.axes[0], [0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(lattice.axes[1], [0.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(lattice.normal, [1.0, 0.0, 0.0], atol=1e-12)
    assert lattice.shape == (3, 5)


def test_square_ura_takes_the_horizontal_axis_first() -> None:
    lattice = ura_lattice(ura(4, 4, 0.5, 0.5))
    assert lattice is not None
    np.testing.assert_allclose(lattice.axes, [[0.0, -1.0, 0.0], [0.0, 0.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(lattice.normal, [1.0, 0.0, 0.0], atol=1e-12)


def test_shuffled_elements_give_the_same_lattice() -> None:
    geometry = ura(4, 6, 0.5, 0.45)
    permutation = np.random.default_rng(3).permutation(geometry.num_elements)
    shuffled = ArrayGeometry(geometry.positions_m[permutation])
    ordered, mixed = ura_lattice(geometry), ura_lattice(shuffled)
    assert_describes(mixed, shuffled, (6, 4), (0.5, 0.45))
    assert ordered is not None and mixed is not None
    np.testing.assert_allclose(mixed.axes, ordered.axes, atol=1e-12)
    np.testing.assert_allclose(mixed.origin_m, ordered.origin_m, atol=1e-12)
    np.testing.assert_array_equal(mixed.index, ordered.index[permutation])


@pytest.mark.parametrize("angle_deg", [30.0, 45.0, 90.0, 137.0])
def test_ura_rotated_in_its_plane(angle_deg: float) -> None:
    geometry = ura(3, 4, 0.5, 0.5)
    rotated = ArrayGeometry(Rotation.from_euler("x", angle_deg, degrees=True).apply(geometry.positions_m))
    lattice = assert_describes(ura_lattice(rotated), rotated, (4, 3), (0.5, 0.5))
    np.testing.assert_allclose(lattice.normal, [1.0, 0.0, 0.0], atol=1e-12)


def test_ura_rotated_in_space_and_shifted() -> None:
    geometry = ura(5, 3, 0.3, 0.5)
    rotation = Rotation.from_euler("zyx", [25.0, -40.0, 70.0], degrees=True)
    moved = ArrayGeometry(rotation.apply(geometry.positions_m) + np.array([1.0, -2.0, 0.5]))
    lattice = assert_describes(ura_lattice(moved), moved, (3, 5), (0.3, 0.5))
    expected_normal = rotation.apply([1.0, 0.0, 0.0])
    assert abs(abs(lattice.normal @ expected_normal) - 1.0) < 1e-12
    assert lattice.normal[0] > 0  # the front: the side of boresight


def test_horizontal_ura_faces_up() -> None:
    x, y = np.meshgrid(np.arange(3) * 0.5, np.arange(4) * 0.5)
    geometry = ArrayGeometry(np.column_stack([x.ravel(), y.ravel(), np.zeros(x.size)]))
    lattice = assert_describes(ura_lattice(geometry), geometry, (3, 4), (0.5, 0.5))
    np.testing.assert_allclose(lattice.normal, [0.0, 0.0, 1.0], atol=1e-12)
    # Square spacing, both axes horizontal: the one nearest boresight (+x) comes first.
    np.testing.assert_allclose(lattice.axes[0], [1.0, 0.0, 0.0], atol=1e-12)


def test_lattice_order_gives_the_kronecker_steering_vector() -> None:
    geometry = ura(3, 4, 0.5, 0.5)
    shuffled = ArrayGeometry(geometry.positions_m[np.random.default_rng(1).permutation(12)])
    lattice = ura_lattice(shuffled)
    assert lattice is not None
    a = steering_matrix(shuffled.positions_m, 25.0, 1.0, 35.0)[lattice.lattice_order(), 0]
    direction = np.array(
        [
            np.cos(np.deg2rad(25)) * np.cos(np.deg2rad(35)),
            -np.sin(np.deg2rad(25)) * np.cos(np.deg2rad(35)),
            np.sin(np.deg2rad(35)),
        ]
    )
    mu = 2 * np.pi * lattice.spacings_m * (lattice.axes @ direction)
    expected = np.kron(
        np.exp(1j * mu[0] * np.arange(lattice.shape[0])), np.exp(1j * mu[1] * np.arange(lattice.shape[1]))
    )
    ratio = a / expected
    np.testing.assert_allclose(ratio, ratio[0], atol=1e-12)


def test_loose_tolerance_accepts_jittered_positions() -> None:
    geometry = ura(3, 3, 0.5, 0.5)
    jittered = ArrayGeometry(geometry.positions_m + 1e-6 * np.random.default_rng(2).standard_normal((9, 3)))
    assert ura_lattice(jittered) is None
    assert ura_lattice(jittered, tolerance_m=1e-5) is not None


def random_planar() -> ArrayGeometry:
    rng = np.random.default_rng(4)
    return ArrayGeometry(np.column_stack([np.zeros(9), rng.uniform(-1, 1, 9), rng.uniform(-1, 1, 9)]))


def missing_one() -> ArrayGeometry:
    return ArrayGeometry(ura(3, 3, 0.5, 0.5).positions_m[1:])


def duplicated() -> ArrayGeometry:
    positions = ura(2, 2, 0.5, 0.5).positions_m
    return ArrayGeometry(np.vstack([positions, positions[:1]]))


def sheared() -> ArrayGeometry:
    i, j = np.meshgrid(np.arange(3), np.arange(3))
    y, z = 0.5 * i.ravel() + 0.25 * j.ravel(), 0.5 * j.ravel()
    return ArrayGeometry(np.column_stack([np.zeros(9), y, z]))


def stacked() -> ArrayGeometry:
    positions = ura(2, 2, 0.5, 0.5).positions_m
    return ArrayGeometry(np.vstack([positions, positions + np.array([0.5, 0.0, 0.0])]))


def irregular_spacing() -> ArrayGeometry:
    y = np.array([0.0, 0.5, 1.2])
    yy, zz = np.meshgrid(y, [0.0, 0.5])
    return ArrayGeometry(np.column_stack([np.zeros(yy.size), yy.ravel(), zz.ravel()]))


@pytest.mark.parametrize(
    "geometry",
    [
        uca(8, 0.5),
        ula(8, 0.5),
        random_planar(),
        missing_one(),
        duplicated(),
        sheared(),
        stacked(),
        irregular_spacing(),
        ArrayGeometry(np.zeros((1, 3))),
    ],
    ids=["uca", "ula", "random-planar", "missing", "duplicate", "sheared", "3-D", "irregular", "one"],
)
def test_not_a_ura(geometry: ArrayGeometry) -> None:
    assert ura_lattice(geometry) is None


def test_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="tolerance_m"):
        ura_lattice(ura(2, 2, 0.5, 0.5), tolerance_m=-1.0)
