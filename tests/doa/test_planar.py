"""Azimuth and elevation: 2-D Bartlett, MVDR, MUSIC and unitary ESPRIT, and the 2-D stochastic CRB."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.array.field_of_view import GeometryError
from gnuradio.bearing.array.geometry import (
    ArrayGeometry,
    direction_vectors,
    steering_derivative,
    steering_derivative_elevation,
    steering_matrix,
    uca,
    ula,
    ura,
    wavelength_m,
)
from gnuradio.bearing.array.lattice import ura_lattice
from gnuradio.bearing.doa.crb import NotIdentifiableError, stochastic_crb, stochastic_crb_az_el
from gnuradio.bearing.doa.planar import (
    PLANAR_METHODS,
    PlanarEstimator,
    dominant_eigenvectors,
    find_peaks_2d,
    steering_with_derivatives,
    unitary_esprit_2d,
)
from helpers.signals import noise_power, planar_snapshots
from scipy.spatial.transform import Rotation

WAVELENGTH_M = 1.0
HALF_WAVELENGTH_M = WAVELENGTH_M / 2.0
STEP_DEG = 2.0
AZIMUTH_GRID_DEG = np.arange(-90.0, 90.0 + 1e-9, STEP_DEG)
ELEVATION_GRID_DEG = np.arange(-90.0, 90.0 + 1e-9, STEP_DEG)
TRUTH_DEG = (20.0, 30.0)
SNR_DB = 20.0
NUM_SNAPSHOTS = 256
CARRIER_28_GHZ_M = wavelength_m(28e9)
URA_4X4 = ura(4, 4, HALF_WAVELENGTH_M, HALF_WAVELENGTH_M)


def covariance(
    geometry: ArrayGeometry,
    azimuth_deg,
    elevation_deg,
    seed: int,
    wavelength: float = WAVELENGTH_M,
    snr_db: float = SNR_DB,
) -> np.ndarray:
    x = planar_snapshots(
        geometry, wavelength, azimuth_deg, elevation_deg, snr_db, NUM_SNAPSHOTS, np.random.default_rng(seed)
    )
    return sample_covariance(x[0])


def estimator(
    geometry: ArrayGeometry, method: str, wavelength: float = WAVELENGTH_M, **kwargs
) -> PlanarEstimator:
    return PlanarEstimator(
        geometry, wavelength, AZIMUTH_GRID_DEG, ELEVATION_GRID_DEG, method=method, **kwargs
    )


def assert_directions(estimate, azimuth_deg, elevation_deg, within_deg: float) -> None:
    """Estimates matched to the truth by azimuth order, each angle within ``within_deg``."""
    assert estimate.azimuth_deg.size == len(azimuth_deg)
    order, truth = np.argsort(estimate.azimuth_deg), np.argsort(azimuth_deg)
    np.testing.assert_allclose(estimate.azimuth_deg[order], np.asarray(azimuth_deg)[truth], atol=within_deg)
    np.testing.assert_allclose(
        estimate.elevation_deg[order], np.asarray(elevation_deg)[truth], atol=within_deg
    )


# --- one and two sources --------------------------------------------------------------------------


@pytest.mark.parametrize("method", PLANAR_METHODS)
def test_4x4_ura_one_source_within_half_a_degree(method: str) -> None:
    r = covariance(URA_4X4, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=1)
    estimate = estimator(URA_4X4, method).estimate(r, 1)
    assert_directions(estimate, [TRUTH_DEG[0]], [TRUTH_DEG[1]], 0.5)
    assert estimate.spectrum.shape == (ELEVATION_GRID_DEG.size, AZIMUTH_GRID_DEG.size)
    assert estimate.spectrum.dtype == np.float64
    assert estimate.peak_values.shape == (1,)
    assert estimate.peak_values[0] >= estimate.spectrum.max() * (1 - 1e-12)


@pytest.fixture(scope="module")
def ura_16x16_28ghz() -> tuple[ArrayGeometry, np.ndarray]:
    """The IDL-TLBO paper's array: 16 x 16, half-wavelength at 28 GHz; one source at (20, 30) deg."""
    geometry = ura(16, 16, CARRIER_28_GHZ_M / 2, CARRIER_28_GHZ_M / 2)
    return geometry, covariance(geometry, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=2, wavelength=CARRIER_28_GHZ_M)


@pytest.mark.parametrize("method", PLANAR_METHODS)
def test_16x16_ura_at_28_ghz_one_source_within_half_a_degree(ura_16x16_28ghz, method: str) -> None:
    geometry, r = ura_16x16_28ghz
    estimate = estimator(geometry, method, CARRIER_28_GHZ_M).estimate(r, 1)
    assert_directions(estimate, [TRUTH_DEG[0]], [TRUTH_DEG[1]], 0.5)


@pytest.mark.parametrize(
    ("method", "within_deg"), [("bartlett", 2.0), ("mvdr", 0.5), ("music", 0.5), ("esprit", 0.5)]
)
def test_two_sources_resolved(method: str, within_deg: float) -> None:
    """57 deg apart on a 4 x 4 URA (beam about 26 deg wide): Bartlett's beams still pull on each other."""
    azimuth_deg, elevation_deg = [20.0, -35.0], [30.0, 10.0]
    r = covariance(URA_4X4, azimuth_deg, elevation_deg, seed=3)
    estimate = estimator(URA_4X4, method).estimate(r, 2)
    assert_directions(estimate, azimuth_deg, elevation_deg, within_deg)
    assert np.all(np.diff(estimate.peak_values) <= 0)


def test_esprit_pairs_sources_sharing_an_azimuth_or_an_elevation() -> None:
    """Pairing from the eigenvalues of Upsilon_1 + j Upsilon_2: the right elevation with each azimuth."""
    geometry = ura(6, 6, HALF_WAVELENGTH_M, HALF_WAVELENGTH_M)
    azimuth_deg, elevation_deg = [10.0, -25.0, 10.0], [40.0, 40.0, -15.0]
    r = covariance(geometry, azimuth_deg, elevation_deg, seed=4, snr_db=30.0)
    azimuth, elevation = unitary_esprit_2d(r, 3, ura_lattice(geometry), WAVELENGTH_M)
    found = sorted(zip(np.round(azimuth, 1), np.round(elevation, 1), strict=True))
    expected = sorted(zip(azimuth_deg, elevation_deg, strict=True))
    np.testing.assert_allclose(found, expected, atol=0.3)


def test_noise_free_estimates_are_exact() -> None:
    """Off the grid (20.37, 31.19): the refinement, not the 2-degree grid, sets the accuracy."""
    a = steering_matrix(URA_4X4.positions_m, 20.37, WAVELENGTH_M, 31.19)
    r = a @ a.conj().T + 1e-6 * np.eye(16)
    for method in PLANAR_METHODS:
        estimate = estimator(URA_4X4, method).estimate(r, 1)
        np.testing.assert_allclose(
            [estimate.azimuth_deg[0], estimate.elevation_deg[0]], [20.37, 31.19], atol=2e-4, err_msg=method
        )


def test_without_refinement_the_estimate_is_a_grid_point() -> None:
    r = covariance(URA_4X4, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=5)
    estimate = estimator(URA_4X4, "music", refine=False).estimate(r, 1)
    assert estimate.azimuth_deg[0] in AZIMUTH_GRID_DEG and estimate.elevation_deg[0] in ELEVATION_GRID_DEG
    assert_directions(estimate, [TRUTH_DEG[0]], [TRUTH_DEG[1]], STEP_DEG)


def test_music_with_a_large_source_count_uses_the_noise_subspace() -> None:
    """K > M / 2 on a 3 x 3 URA: the same peaks from E_n as E_s would give."""
    geometry = ura(3, 3, HALF_WAVELENGTH_M, HALF_WAVELENGTH_M)
    azimuth_deg, elevation_deg = [-40.0, -5.0, 30.0, 10.0, -20.0], [0.0, 40.0, -20.0, -50.0, -30.0]
    a = steering_matrix(geometry.positions_m, azimuth_deg, WAVELENGTH_M, elevation_deg)
    r = a @ a.conj().T + 1e-4 * np.eye(9)
    estimate = estimator(geometry, "music").estimate(r, 5)
    assert_directions(estimate, azimuth_deg, elevation_deg, 0.01)


# --- any orientation, any element order --------------------------------------------------------------


def test_esprit_on_a_shuffled_ura_gives_the_same_estimate() -> None:
    permutation = np.random.default_rng(6).permutation(16)
    shuffled = ArrayGeometry(URA_4X4.positions_m[permutation])
    r = covariance(URA_4X4, [20.0, -35.0], [30.0, 10.0], seed=7)
    ordered = estimator(URA_4X4, "esprit").estimate(r, 2)
    mixed = estimator(shuffled, "esprit").estimate(r[np.ix_(permutation, permutation)], 2)
    np.testing.assert_allclose(mixed.azimuth_deg, ordered.azimuth_deg, atol=1e-9)
    np.testing.assert_allclose(mixed.elevation_deg, ordered.elevation_deg, atol=1e-9)
    assert_directions(mixed, [20.0, -35.0], [30.0, 10.0], 0.5)


def test_esprit_on_a_ura_turned_in_its_plane_and_in_space() -> None:
    turned = ArrayGeometry(Rotation.from_euler("x", 37.0, degrees=True).apply(URA_4X4.positions_m))
    r = covariance(turned, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=8)
    assert_directions(estimator(turned, "esprit").estimate(r, 1), [TRUTH_DEG[0]], [TRUTH_DEG[1]], 0.5)
    # Facing azimuth 30 deg and tilted 10 deg up: a source in front of it.
    rotation = Rotation.from_euler("zy", [-30.0, -10.0], degrees=True)
    tilted = ArrayGeometry(rotation.apply(URA_4X4.positions_m))
    r = covariance(tilted, [45.0], [25.0], seed=9)
    azimuth, elevation = unitary_esprit_2d(r, 1, ura_lattice(tilted), WAVELENGTH_M)
    np.testing.assert_allclose([azimuth[0], elevation[0]], [45.0, 25.0], atol=0.5)


def test_horizontal_ura_estimates_the_upper_hemisphere() -> None:
    x, y = np.meshgrid(np.arange(4) * HALF_WAVELENGTH_M, np.arange(4) * HALF_WAVELENGTH_M)
    geometry = ArrayGeometry(np.column_stack([x.ravel(), y.ravel(), np.zeros(16)]))
    r = covariance(geometry, [170.0], [40.0], seed=10)
    azimuth_grid = np.arange(-180.0, 180.0, STEP_DEG)  # circular
    elevation_grid = np.arange(0.0, 90.0 + 1e-9, STEP_DEG)
    for method in PLANAR_METHODS:
        planar = PlanarEstimator(geometry, WAVELENGTH_M, azimuth_grid, elevation_grid, method=method)
        estimate = planar.estimate(r, 1)
        assert -180.0 <= estimate.azimuth_deg[0] < 180.0
        error = (estimate.azimuth_deg[0] - 170.0 + 180.0) % 360.0 - 180.0
        np.testing.assert_allclose([error, estimate.elevation_deg[0]], [0.0, 40.0], atol=0.5, err_msg=method)


def test_a_peak_across_the_seam_of_a_circular_grid() -> None:
    geometry = ArrayGeometry(np.vstack([URA_4X4.positions_m, [[0.7, 0.1, 0.2], [-0.6, 0.3, -0.1]]]))  # 3-D
    r = covariance(geometry, [-179.3], [10.0], seed=11)
    planar = PlanarEstimator(geometry, WAVELENGTH_M, np.arange(-180.0, 180.0, STEP_DEG), ELEVATION_GRID_DEG)
    estimate = planar.estimate(r, 1)
    assert -180.0 <= estimate.azimuth_deg[0] < 180.0
    error = (estimate.azimuth_deg[0] + 179.3 + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose([error, estimate.elevation_deg[0]], [0.0, 10.0], atol=1.0)


# --- the grid's region --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", PLANAR_METHODS)
def test_no_estimate_outside_the_grid(method: str) -> None:
    """Sources at (20, 30) inside and (-40, 10) outside the grid 0 .. 60 x 0 .. 60: only the first."""
    r = covariance(URA_4X4, [20.0, -40.0], [30.0, 10.0], seed=12)
    azimuth_grid, elevation_grid = np.arange(0.0, 60.1, STEP_DEG), np.arange(0.0, 60.1, STEP_DEG)
    planar = PlanarEstimator(URA_4X4, WAVELENGTH_M, azimuth_grid, elevation_grid, method=method)
    estimate = planar.estimate(r, 2)
    assert np.all((estimate.azimuth_deg >= 0.0) & (estimate.azimuth_deg <= 60.0))
    assert np.all((estimate.elevation_deg >= 0.0) & (estimate.elevation_deg <= 60.0))
    nearest = np.argmin(np.hypot(estimate.azimuth_deg - 20.0, estimate.elevation_deg - 30.0))
    np.testing.assert_allclose(
        [estimate.azimuth_deg[nearest], estimate.elevation_deg[nearest]], [20, 30], atol=0.5
    )
    if method == "esprit":
        assert estimate.azimuth_deg.size == 1


@pytest.mark.parametrize("method", PLANAR_METHODS)
@pytest.mark.parametrize("truth_deg", [(20.0, 30.0), (-85.0, -10.0), (60.0, 70.0)])
def test_a_grid_behind_the_plane_never_gives_a_mirror_image(method: str, truth_deg) -> None:
    """A URA in the y-z plane searched over the full circle: the spectrum holds the mirror image
    at 180 - azimuth, as high as the truth, but every estimate lies in front (azimuth -90 .. 90)."""
    r = covariance(URA_4X4, [truth_deg[0]], [truth_deg[1]], seed=13)
    planar = PlanarEstimator(
        URA_4X4, WAVELENGTH_M, np.arange(-180.0, 180.0, STEP_DEG), ELEVATION_GRID_DEG, method=method
    )
    estimate = planar.estimate(r, 1)
    assert_directions(estimate, [truth_deg[0]], [truth_deg[1]], 0.5)
    mirror_deg = (180.0 - truth_deg[0] + 180.0) % 360.0 - 180.0
    mirror = int(np.argmin(np.abs(np.arange(-180.0, 180.0, STEP_DEG) - mirror_deg)))
    row = int(np.argmin(np.abs(ELEVATION_GRID_DEG - truth_deg[1])))
    assert estimate.spectrum[row, mirror] > 0.5 * estimate.spectrum.max()


def test_find_peaks_2d_keeps_to_the_allowed_mask() -> None:
    spectrum = np.zeros((5, 8))
    spectrum[2, 2], spectrum[2, 6] = 2.0, 3.0
    azimuth, elevation = np.arange(-180.0, 180.0, 45.0), np.linspace(-60.0, 60.0, 5)
    allowed = np.ones(spectrum.shape, dtype=bool)
    allowed[:, 5:] = False
    rows, columns = find_peaks_2d(spectrum, azimuth, elevation, 2, 1.0, allowed=allowed)
    assert rows.tolist() == [2] and columns.tolist() == [2]
    with pytest.raises(ValueError, match="allowed must have the spectrum's shape"):
        find_peaks_2d(spectrum, azimuth, elevation, 2, 1.0, allowed=allowed[:, :3])


def test_esprit_clips_an_estimate_within_a_step_of_the_grid() -> None:
    a = steering_matrix(URA_4X4.positions_m, 61.0, WAVELENGTH_M, 30.0)
    planar = PlanarEstimator(URA_4X4, WAVELENGTH_M, np.arange(0.0, 60.1, 2.0), ELEVATION_GRID_DEG, "esprit")
    estimate = planar.estimate(a @ a.conj().T + 1e-3 * np.eye(16), 1)
    np.testing.assert_allclose([estimate.azimuth_deg[0], estimate.elevation_deg[0]], [60.0, 30.0], atol=0.05)


def test_find_peaks_2d_orders_separates_and_skips_the_edges() -> None:
    azimuth, elevation = np.arange(0.0, 50.0, 5.0), np.arange(-20.0, 30.0, 5.0)
    spectrum = np.zeros((elevation.size, azimuth.size))  # flat: no maximum
    spectrum[4, 3], spectrum[4, 4], spectrum[7, 7], spectrum[0, 5], spectrum[5, 0] = 5, 4, 3, 9, 9
    rows, columns = find_peaks_2d(spectrum, azimuth, elevation, 3, min_separation_deg=2.0)
    np.testing.assert_array_equal(rows, [4, 7])  # (4, 4) is next to the stronger (4, 3); edges skipped
    np.testing.assert_array_equal(columns, [3, 7])
    rows, _ = find_peaks_2d(spectrum, azimuth, elevation, 3, min_separation_deg=30.0)
    np.testing.assert_array_equal(rows, [4])


def test_find_peaks_2d_counts_a_pole_row_once() -> None:
    azimuth, elevation = np.arange(-90.0, 91.0, 10.0), np.arange(0.0, 91.0, 10.0)
    spectrum = np.ones((elevation.size, azimuth.size))
    spectrum[-1, :] = 2.0  # the zenith: one direction, whatever the azimuth
    rows, columns = find_peaks_2d(spectrum, azimuth, elevation, 3, min_separation_deg=0.0)
    assert rows.tolist() == [elevation.size - 1] and columns.size == 1


# --- the 2-D stochastic CRB ---------------------------------------------------------------------------


def test_rmse_of_music_and_esprit_near_the_crb() -> None:
    """100 trials, 4 x 4 URA, (20, 30) deg, 20 dB, 256 snapshots: RMSE within 1.5 x sqrt(CRB)."""
    trials = 100
    x = planar_snapshots(
        URA_4X4,
        WAVELENGTH_M,
        [TRUTH_DEG[0]],
        [TRUTH_DEG[1]],
        SNR_DB,
        NUM_SNAPSHOTS,
        np.random.default_rng(13),
        num_trials=trials,
    )
    covariances = [sample_covariance(trial) for trial in x]
    bound = np.sqrt(
        np.diag(
            stochastic_crb_az_el(
                URA_4X4,
                WAVELENGTH_M,
                [TRUTH_DEG[0]],
                [TRUTH_DEG[1]],
                [1.0],
                noise_power(SNR_DB),
                NUM_SNAPSHOTS,
            )
        )
    )
    for method in ("music", "esprit"):
        planar = estimator(URA_4X4, method)
        estimates = np.array(
            [[e.azimuth_deg[0], e.elevation_deg[0]] for e in (planar.estimate(r, 1) for r in covariances)]
        )
        rmse = np.sqrt(np.mean((estimates - TRUTH_DEG) ** 2, axis=0))
        assert np.all(rmse <= 1.5 * bound), f"{method}: RMSE {rmse} deg, sqrt(CRB) {bound} deg"
        assert np.all(rmse >= 0.7 * bound), f"{method}: RMSE {rmse} deg below the bound {bound} deg"


def slepian_bangs_crb_deg2(geometry, azimuth_deg, elevation_deg, p, sigma2, t) -> np.ndarray:
    """Inverse of ``F_ij = T tr(R^-1 dR_i R^-1 dR_j)`` over the azimuths, elevations, every real
    parameter of ``P`` and ``sigma^2``; the angle block in deg^2."""
    positions, k = geometry.positions_m, len(azimuth_deg)
    args = (positions, azimuth_deg, WAVELENGTH_M, elevation_deg)
    a = steering_matrix(*args)
    r = a @ p @ a.conj().T + sigma2 * np.eye(geometry.num_elements)
    derivatives = []
    for d in (steering_derivative(*args), steering_derivative_elevation(*args)):
        for source in range(k):
            dk = np.zeros_like(d)
            dk[:, source] = d[:, source]
            derivatives.append(dk @ p @ a.conj().T + a @ p @ dk.conj().T)
    for i in range(k):
        for j in range(i, k):
            e = np.zeros((k, k), dtype=complex)
            e[i, j] = e[j, i] = 1.0
            derivatives.append(a @ e @ a.conj().T)
            if i != j:
                e[i, j], e[j, i] = 1j, -1j
                derivatives.append(a @ e @ a.conj().T)
    derivatives.append(np.eye(geometry.num_elements))
    whitened = [np.linalg.solve(r, dr) for dr in derivatives]
    fisher = t * np.array([[np.trace(wi @ wj).real for wj in whitened] for wi in whitened])
    return np.linalg.inv(fisher)[: 2 * k, : 2 * k] * np.rad2deg(1.0) ** 2


def test_crb_az_el_equals_the_inverse_fisher_matrix() -> None:
    geometry = ura(3, 4, 0.45, 0.5)
    p = np.array([[1.0, 0.4 + 0.3j], [0.4 - 0.3j, 2.0]])
    azimuth_deg, elevation_deg = [25.0, -40.0], [35.0, -10.0]
    expected = slepian_bangs_crb_deg2(geometry, azimuth_deg, elevation_deg, p, 0.5, 30)
    bound = stochastic_crb_az_el(geometry, WAVELENGTH_M, azimuth_deg, elevation_deg, p, 0.5, 30)
    assert bound.shape == (4, 4)
    np.testing.assert_allclose(bound, expected, rtol=1e-8)


def test_crb_az_el_on_the_horizon_matches_the_azimuth_crb() -> None:
    """A URA symmetric about the horizon decouples azimuth from elevation at el = 0."""
    azimuth_deg = [20.0, -35.0]
    bound = stochastic_crb_az_el(URA_4X4, WAVELENGTH_M, azimuth_deg, 0.0, [1.0, 2.0], 0.1, 100)
    np.testing.assert_allclose(
        bound[:2, :2], stochastic_crb(URA_4X4, WAVELENGTH_M, azimuth_deg, [1.0, 2.0], 0.1, 100), rtol=1e-10
    )
    np.testing.assert_allclose(bound[:2, 2:], 0.0, atol=1e-12 * bound.max())


def test_crb_az_el_refuses_what_the_array_cannot_see() -> None:
    with pytest.raises(NotIdentifiableError, match="singular"):
        stochastic_crb_az_el(uca(8, 0.5), WAVELENGTH_M, [20.0], [0.0], [1.0], 0.1, 100)  # el at the horizon
    with pytest.raises(NotIdentifiableError):
        stochastic_crb_az_el(URA_4X4, WAVELENGTH_M, [20.0], [30.0], [0.0], 0.1, 100)  # no power
    with pytest.raises(ValueError, match="elevation_deg"):
        stochastic_crb_az_el(URA_4X4, WAVELENGTH_M, [20.0, 10.0], [30.0, 0.0, 1.0], [1.0, 1.0], 0.1, 100)
    with pytest.raises(ValueError, match="elevation_deg"):
        stochastic_crb_az_el(URA_4X4, WAVELENGTH_M, [20.0], [95.0], [1.0], 0.1, 100)


# --- helpers and errors -------------------------------------------------------------------------------


def test_steering_with_derivatives_matches_the_array_model() -> None:
    positions = ura(3, 5, 0.5, 0.4).positions_m
    a, derivatives = steering_with_derivatives(positions, 33.0, -21.0, 0.7)
    np.testing.assert_allclose(a[:, 0], steering_matrix(positions, 33.0, 0.7, -21.0)[:, 0], atol=1e-12)
    np.testing.assert_allclose(
        derivatives[:, 0], steering_derivative(positions, 33.0, 0.7, -21.0)[:, 0], atol=1e-12
    )
    np.testing.assert_allclose(
        derivatives[:, 1], steering_derivative_elevation(positions, 33.0, 0.7, -21.0)[:, 0], atol=1e-12
    )


def test_properties_and_method_switching() -> None:
    planar = estimator(URA_4X4, "music")
    assert planar.geometry is URA_4X4 and planar.wavelength_m == WAVELENGTH_M and planar.method == "music"
    np.testing.assert_array_equal(planar.azimuth_grid_deg, AZIMUTH_GRID_DEG)
    np.testing.assert_array_equal(planar.elevation_grid_deg, ELEVATION_GRID_DEG)
    assert not planar.azimuth_grid_deg.flags.writeable
    assert planar.lattice is not None and planar.lattice.shape == (4, 4)
    r = covariance(URA_4X4, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=14)
    for method in PLANAR_METHODS:
        planar.set_method(method)
        assert planar.method == method
        assert_directions(planar.estimate(r, 1), [TRUTH_DEG[0]], [TRUTH_DEG[1]], 0.5)


def test_esprit_refuses_a_geometry_that_is_not_a_ura() -> None:
    with pytest.raises(ValueError, match="uniform rectangular array"):
        estimator(uca(8, 0.5), "esprit")
    planar = estimator(uca(8, 0.5), "music")
    with pytest.raises(ValueError, match="uniform rectangular array"):
        planar.method = "esprit"
    assert planar.method == "music"
    with pytest.raises(ValueError, match="half a wavelength"):
        estimator(ura(4, 4, 0.7, 0.5), "esprit")


def test_a_linear_array_cannot_estimate_elevation() -> None:
    with pytest.raises(GeometryError, match="line"):
        estimator(ula(8, 0.5), "music")


@pytest.mark.parametrize(
    ("azimuth", "elevation", "match"),
    [
        ([10.0], ELEVATION_GRID_DEG, "azimuth_grid_deg must be 1-D with at least 2 values"),
        ([10.0, 5.0], ELEVATION_GRID_DEG, "azimuth_grid_deg must be strictly increasing"),
        (np.arange(-180.0, 200.0, 10.0), ELEVATION_GRID_DEG, "less than 360"),
        (AZIMUTH_GRID_DEG, [0.0, np.nan], "NaN"),
        (AZIMUTH_GRID_DEG, [-95.0, 0.0], "-90 .. 90"),
        (AZIMUTH_GRID_DEG, [[0.0, 1.0]], "elevation_grid_deg must be 1-D with at least 2 values"),
    ],
)
def test_bad_grids(azimuth, elevation, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PlanarEstimator(URA_4X4, WAVELENGTH_M, azimuth, elevation)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        estimator(URA_4X4, "root-music")
    with pytest.raises(ValueError, match="wavelength_m"):
        estimator(URA_4X4, "music", wavelength=0.0)
    with pytest.raises(ValueError, match="min_separation_deg"):
        estimator(URA_4X4, "music", min_separation_deg=-1.0)
    with pytest.raises(ValueError, match="would take"):
        PlanarEstimator(URA_4X4, WAVELENGTH_M, np.arange(-90, 90, 0.01), np.arange(-90, 90, 0.05))


@pytest.mark.parametrize("method", PLANAR_METHODS)
@pytest.mark.parametrize("num_sources", [0, 16, 1.5])
def test_source_count_out_of_range(method: str, num_sources) -> None:
    r = covariance(URA_4X4, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=15)
    with pytest.raises(ValueError, match="num_sources"):
        estimator(URA_4X4, method).estimate(r, num_sources)


def test_esprit_source_count_is_limited_by_the_subarrays() -> None:
    geometry = ura(2, 2, HALF_WAVELENGTH_M, HALF_WAVELENGTH_M)
    r = covariance(geometry, [TRUTH_DEG[0]], [TRUTH_DEG[1]], seed=16)
    with pytest.raises(ValueError, match="at most 2"):
        estimator(geometry, "esprit").estimate(r, 3)


def test_covariance_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="16 elements"):
        estimator(URA_4X4, "music").estimate(np.eye(9), 1)


@pytest.mark.parametrize("count", [1, 3, 32])
def testdominant_eigenvectors_span_the_same_subspace_as_a_full_reduction(count: int) -> None:
    """Lanczos (large arrays, few sources) and eigh (the others) agree on the signal subspace,
    also on pure noise, where Lanczos may not converge and the reduction takes over."""
    rng = np.random.default_rng(count)
    geometry = ura(16, 16, CARRIER_28_GHZ_M / 2, CARRIER_28_GHZ_M / 2)
    for r in (
        covariance(
            geometry, [20.0, -35.0, 50.0], [30.0, 5.0, -20.0], seed=count, wavelength=CARRIER_28_GHZ_M
        ),
        sample_covariance(rng.standard_normal((256, 300)) + 1j * rng.standard_normal((256, 300))),
    ):
        vectors = dominant_eigenvectors(0.5 * (r + r.conj().T), count)
        reference = np.linalg.eigh(r)[1][:, -count:]
        assert vectors.shape == (256, count)
        np.testing.assert_allclose(vectors @ vectors.conj().T, reference @ reference.conj().T, atol=1e-8)


@pytest.mark.parametrize("method", ["bartlett", "mvdr", "music"])
def test_a_ura_with_grating_lobes_reports_only_its_alias_free_cone(method: str) -> None:
    """A URA spaced one wavelength apart confuses directions whose in-plane components differ by
    one: it resolves the cone of 30 deg about its normal. Inside, the truth; outside, nothing (an
    emitter there is aliased into the cone, as no array of that spacing can tell)."""
    geometry = ura(4, 4, WAVELENGTH_M, WAVELENGTH_M)
    planar = estimator(geometry, method)
    normal = np.array([1.0, 0.0, 0.0])
    for truth in ((10.0, 5.0), (-15.0, -12.0), (60.0, 5.0), (20.0, 55.0)):
        estimate = planar.estimate(covariance(geometry, [truth[0]], [truth[1]], seed=21), 1)
        direction = direction_vectors(estimate.azimuth_deg, estimate.elevation_deg)
        assert np.all(direction @ normal >= np.cos(np.deg2rad(30.0)) - 1e-9), (truth, estimate.azimuth_deg)
        if direction_vectors(*truth)[0] @ normal > np.cos(np.deg2rad(30.0)):
            assert_directions(estimate, [truth[0]], [truth[1]], 0.5)


def test_a_3d_array_with_grating_lobes_is_refused() -> None:
    positions = ura(3, 3, WAVELENGTH_M, WAVELENGTH_M).positions_m.copy()
    positions[4, 0] = WAVELENGTH_M  # the centre element steps out of the plane: a 3-D lattice
    with pytest.raises(GeometryError, match="grating lobes"):
        estimator(ArrayGeometry(positions), "music")
