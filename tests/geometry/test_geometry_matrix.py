"""The geometry test matrix: every estimator on every kind of array, and the geometry transforms.

Convention (SigMF spatial extension, docs/conventions.md): boresight +x, +y left, +z up; azimuth
clockwise seen from above, elevation above the horizon, degrees. The frame, never the element
order, decides what is in front. Every (geometry, estimator) pair either agrees with the truth or
refuses the geometry with a ValueError that says why; no estimator reports an azimuth outside
``field_of_view(geometry)``.

The estimators: the 1-D ``doa.classical.Estimator`` (Bartlett, MVDR, MUSIC, root-MUSIC, ESPRIT),
coarray DBF and SCG as the replay flowgraph runs them (its search grid, ``doa.coarray`` behind
``flowgraphs.methods.resolve_search``) and the 2-D ``doa.planar.PlanarEstimator``.
Covariances are exact (``A P A^H + sigma^2 I``) unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from gnuradio.bearing.array.field_of_view import FieldOfView, GeometryError, field_of_view
from gnuradio.bearing.array.geometry import (
    ArrayGeometry,
    direction_vectors,
    steering_matrix,
    uca,
    ula,
    ura,
    wavelength_m,
    wrap_deg,
)
from gnuradio.bearing.blocks.coarray_dbf import coarray_dbf, coarray_spectrum_size
from gnuradio.bearing.blocks.doa_estimator import doa_spectrum_size
from gnuradio.bearing.blocks.scg_spectrum import scg_spectrum
from gnuradio.bearing.doa.classical import Estimator
from gnuradio.bearing.doa.coarray import coarray_model
from gnuradio.bearing.doa.peaks import find_peaks, sparse_peak_bearings
from gnuradio.bearing.doa.planar import PlanarEstimator
from gnuradio.bearing.doa.scg import DEFAULT_OPTIONS
from gnuradio.bearing.doa.search import search_grid
from gnuradio.bearing.flowgraphs.methods import METHODS, resolve_search
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from helpers.signals import snapshots
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CARRIER_HZ = 2.4e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
HALF = WAVELENGTH_M / 2.0
SNR_DB = 25.0
TOLERANCE_DEG = 0.25
"""A few tenths of a degree: exact covariances at 25 dB (coarray DBF is limited by its 0.1-degree grid)."""

EXACT_DEG = 2e-6
"""What "changes nothing" means for an exact covariance: the refinement's tolerance (1e-6 deg) twice."""

PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

CLASSICAL = ("bartlett", "mvdr", "music", "root-music", "esprit")
COARRAY = ("coarray-dbf", "scg")
PLANAR = ("planar-bartlett", "planar-mvdr", "planar-music", "planar-esprit")
ESTIMATORS = CLASSICAL + COARRAY + PLANAR


# --- geometry transforms --------------------------------------------------------------------------


def rotation_matrix(angle_deg: float) -> np.ndarray:
    """Turns the array by ``angle_deg`` of azimuth (clockwise seen from above) about the vertical:
    a direction at azimuth ``az`` goes to ``az + angle_deg``."""
    c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def rotated(geometry: ArrayGeometry, angle_deg: float) -> ArrayGeometry:
    return ArrayGeometry(geometry.positions_m @ rotation_matrix(angle_deg).T)


def translated(geometry: ArrayGeometry, offset_m) -> ArrayGeometry:
    return ArrayGeometry(geometry.positions_m + np.asarray(offset_m, dtype=np.float64))


def reordered(geometry: ArrayGeometry, order) -> ArrayGeometry:
    return ArrayGeometry(geometry.positions_m[np.asarray(order)])


def reversed_order(geometry: ArrayGeometry) -> ArrayGeometry:
    return reordered(geometry, np.arange(geometry.num_elements)[::-1])


def turned_about_y(geometry: ArrayGeometry, angle_deg: float) -> ArrayGeometry:
    c, s = np.cos(np.deg2rad(angle_deg)), np.sin(np.deg2rad(angle_deg))
    return ArrayGeometry(geometry.positions_m @ np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]).T)


def exact_covariance(
    geometry: ArrayGeometry, azimuth_deg, elevation_deg=0.0, snr_db: float = SNR_DB
) -> np.ndarray:
    """``A A^H + sigma^2 I`` of unit-power uncorrelated sources at ``snr_db`` per element."""
    a = steering_matrix(geometry.positions_m, np.atleast_1d(azimuth_deg), WAVELENGTH_M, elevation_deg)
    return a @ a.conj().T + 10.0 ** (-snr_db / 10.0) * np.eye(geometry.num_elements)


def angle_error_deg(estimate_deg, truth_deg) -> np.ndarray:
    return np.abs(np.asarray(wrap_deg(np.asarray(estimate_deg, dtype=np.float64) - truth_deg)))


def mirror_across_axis(azimuth_deg: float, front_deg: float) -> float:
    """The direction a horizontal linear array (broadside ``front_deg``) cannot tell from ``azimuth_deg``."""
    return float(wrap_deg(2.0 * front_deg + 180.0 - azimuth_deg))


# --- the geometries -------------------------------------------------------------------------------

ULA8 = ula(8, HALF)
UCA8 = uca(8, HALF)
URA4 = ura(4, 4, HALF, HALF)


def _random_disc(num_elements: int, radius_m: float, seed: int) -> ArrayGeometry:
    rng = np.random.default_rng(seed)
    radius = radius_m * np.sqrt(rng.uniform(0.0, 1.0, num_elements))
    angle = rng.uniform(0.0, 2.0 * np.pi, num_elements)
    return ArrayGeometry(
        np.column_stack([radius * np.cos(angle), radius * np.sin(angle), np.zeros(num_elements)])
    )


@dataclass(frozen=True)
class Case:
    """One array of the matrix: ``kind`` says what the convention expects of it.

    ``ula``: a horizontal ULA in element order (every 1-D method, front half-plane);
    ``linear``: a horizontal line not in element order (grid methods only);
    ``horizontal``: a horizontal planar array (the full circle of azimuth);
    ``vertical``: a planar array in a vertical plane (azimuth and elevation, 2-D only);
    ``ura``: a vertical URA (2-D ESPRIT too); ``volume``: a 3-D array (2-D only);
    the others are refused by everything: ``vertical-line``, ``tilted-line``, ``tilted-plane``,
    ``one-point``.
    """

    geometry: ArrayGeometry
    kind: str


CASES: dict[str, Case] = {
    "ula8": Case(ULA8, "ula"),
    "ula8-reversed": Case(reversed_order(ULA8), "ula"),
    **{
        f"ula8-rotated{angle:+d}": Case(rotated(ULA8, angle), "ula")
        for angle in (30, -45, 60, 90, -90, 120, -150, 180)
    },
    **{
        f"ula8-reversed-rotated{angle:+d}": Case(rotated(reversed_order(ULA8), angle), "ula")
        for angle in (75, -120)
    },
    "ula8-off-centre": Case(translated(ULA8, (3.1, -2.4, 0.7)), "ula"),
    "ula8-reversed-off-centre-rotated+40": Case(
        translated(rotated(reversed_order(ULA8), 40), (-1.3, 0.4, -2.0)), "ula"
    ),
    "ula6-spacing-0.4-rotated-20": Case(rotated(ula(6, 0.4 * WAVELENGTH_M), -20), "ula"),
    "ula6-permuted": Case(reordered(ula(6, HALF), [2, 0, 5, 1, 4, 3]), "linear"),
    "uca8-clockwise": Case(UCA8, "horizontal"),
    "uca8-counter-clockwise": Case(reordered(UCA8, [0, 7, 6, 5, 4, 3, 2, 1]), "horizontal"),
    "uca7-counter-clockwise-rotated+13-off-centre": Case(
        translated(rotated(reversed_order(uca(7, 0.45 * WAVELENGTH_M)), 13), (0.9, 2.2, -0.3)), "horizontal"
    ),
    "random-disc7": Case(_random_disc(7, WAVELENGTH_M, seed=7), "horizontal"),
    "ura4x4": Case(URA4, "ura"),
    "ura4x4-rotated+30": Case(rotated(URA4, 30), "ura"),
    "ura4x3-permuted-off-centre": Case(
        translated(
            reordered(ura(4, 3, HALF, HALF), np.random.default_rng(3).permutation(12)), (1.0, -0.5, 2.0)
        ),
        "ura",
    ),
    "vertical-planar-random": Case(
        ArrayGeometry(
            np.column_stack([np.zeros(7), np.random.default_rng(5).uniform(-1, 1, (7, 2)) * WAVELENGTH_M])
        ),
        "vertical",
    ),
    "volume": Case(
        ArrayGeometry(np.vstack([UCA8.positions_m, [[0.0, 0.0, HALF], [0.0, 0.0, -HALF]]])), "volume"
    ),
    "vertical-line": Case(
        ArrayGeometry(np.column_stack([np.zeros(6), np.zeros(6), np.arange(6) * HALF])), "vertical-line"
    ),
    "tilted-line": Case(turned_about_y(rotated(ULA8, 90), 20), "tilted-line"),
    "tilted-plane": Case(turned_about_y(URA4, 30), "tilted-plane"),
    "one-point": Case(ArrayGeometry(np.tile([[0.2, 0.1, 0.0]], (4, 1))), "one-point"),
}

REFUSED_BY_THE_FRAME = {
    "vertical-line": "not horizontal",
    "tilted-line": "not horizontal",
    "tilted-plane": "tilted",
    "one-point": "one point",
}
"""What field_of_view refuses, and the words of its reason."""


def expected_refusal(kind: str, estimator: str) -> str | None:
    """The words the refusal of ``estimator`` on an array of ``kind`` must contain, None: it must agree."""
    if kind in REFUSED_BY_THE_FRAME:
        if estimator.startswith("planar-"):  # (a tilted plane is the caller's: not in the matrix)
            return "one point" if kind == "one-point" else "line"
        return REFUSED_BY_THE_FRAME[kind]
    if estimator.startswith("planar-"):
        if kind in ("ula", "linear"):
            return "line"
        if estimator == "planar-esprit" and kind != "ura":
            return "uniform rectangular array"
        return None
    if kind in ("vertical", "ura", "volume"):
        return "elevation"
    if estimator in ("root-music", "esprit") and kind != "ula":
        return "uniform linear array in element order"
    return None


def truths(case: Case) -> list[tuple[float, float]]:
    """(azimuth, elevation) of emitters the array resolves, degrees: in front of a linear or vertical
    array (about its front), anywhere on the circle for a horizontal planar one."""
    field = field_of_view(case.geometry)
    if case.kind in ("ula", "linear"):
        return [(float(wrap_deg(field.front_deg + offset)), 0.0) for offset in (-55.0, -20.0, 10.0, 40.0)]
    if case.kind == "horizontal":
        return [(azimuth, 0.0) for azimuth in (-170.0, -100.0, -30.0, 45.0, 120.0, 175.0)]
    if case.kind in ("vertical", "ura"):
        return [
            (float(wrap_deg(field.front_deg + az)), el)
            for az, el in ((20.0, 30.0), (-45.0, -15.0), (60.0, 10.0))
        ]
    return [(150.0, 20.0), (-60.0, -30.0), (10.0, 0.0)]


# --- the estimators, as the library and the replay flowgraph run them ------------------------------


@dataclass(frozen=True)
class Result:
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray | None = None


def classical(geometry: ArrayGeometry, method: str) -> Callable[[np.ndarray, int], Result]:
    """The 1-D Estimator on the array's own grid (its field of view), or on the full circle when
    the frame resolves no azimuth (the estimator must then refuse on its own)."""
    try:
        grid = search_grid(geometry).azimuth_deg
    except GeometryError:
        grid = np.arange(-180.0, 180.0, 0.5)
    estimator = Estimator(geometry, WAVELENGTH_M, grid, method)
    return lambda r, k: Result(estimator.estimate(r, k).azimuth_deg)


def coarray(geometry: ArrayGeometry, method: str) -> Callable[[np.ndarray, int], Result]:
    """Coarray DBF with a peak search, or SCG, as the replay flowgraph builds them: the search grid
    of ``flowgraphs.methods.resolve_search`` and the coarray model the blocks use."""
    search = resolve_search(METHODS[method], ReplaySettings(method=method), geometry, WAVELENGTH_M)
    model = coarray_model(geometry.positions_m, CARRIER_HZ, *search.azimuth_range_in_field())
    grid = model.grid_deg

    def estimate(r: np.ndarray, k: int) -> Result:
        eta_hat = model.spectrum(r, remove_noise_floor=True)  # coarray_dbf.map_item
        if method == "coarray-dbf":  # peak_search
            return Result(grid[find_peaks(eta_hat, grid, k, 2.0)])
        # scg_spectrum.map_item: SCG on the spectrum projected onto the range of P, then its peaks.
        eta = model.sparse_spectrum(model.project_onto_range(eta_hat), DEFAULT_OPTIONS)
        return Result(sparse_peak_bearings(eta, grid, k, 2.0)[1])

    return estimate


def planar(geometry: ArrayGeometry, method: str) -> Callable[[np.ndarray, int], Result]:
    """The 2-D PlanarEstimator on the array's own grid; a horizontal planar array gets the upper
    hemisphere (a direction and its mirror below the horizon look alike), a line the full sphere
    (it must refuse)."""
    try:
        search = search_grid(geometry)
        azimuths, elevations = search.azimuth_deg, search.elevation_deg
    except GeometryError:
        azimuths, elevations = np.arange(-180.0, 180.0, 2.0), None
    if elevations is None:
        azimuths, elevations = np.arange(-180.0, 180.0, 2.0), np.arange(0.0, 90.1, 2.0)
    estimator = PlanarEstimator(geometry, WAVELENGTH_M, azimuths, elevations, method.removeprefix("planar-"))

    def estimate(r: np.ndarray, k: int) -> Result:
        result = estimator.estimate(r, k)
        return Result(result.azimuth_deg, result.elevation_deg)

    return estimate


def build(geometry: ArrayGeometry, estimator: str) -> Callable[[np.ndarray, int], Result]:
    if estimator in CLASSICAL:
        return classical(geometry, estimator)
    if estimator in COARRAY:
        return coarray(geometry, estimator)
    return planar(geometry, estimator)


def matrix_entries() -> list:
    entries = []
    for name, case in CASES.items():
        for estimator in ESTIMATORS:
            if estimator in PLANAR and case.kind == "tilted-plane":
                continue  # the caller's grid decides which side of a tilted plane it searches
            entries.append(pytest.param(name, estimator, id=f"{name}-{estimator}"))
    return entries


# --- the matrix -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("case_name", "estimator"), matrix_entries())
def test_every_estimator_agrees_with_the_truth_or_refuses_the_geometry(
    case_name: str, estimator: str
) -> None:
    case = CASES[case_name]
    refusal = expected_refusal(case.kind, estimator)
    if refusal is not None:
        with pytest.raises(ValueError, match=refusal):
            run = build(case.geometry, estimator)
            run(exact_covariance(case.geometry, 0.0), 1)
        return
    run = build(case.geometry, estimator)
    field = field_of_view(case.geometry)
    two_d = estimator in PLANAR
    for azimuth, elevation in truths(case):
        if two_d and case.kind == "horizontal":
            elevation = 25.0  # the upper hemisphere, away from the grid's edge at the horizon
        result = run(exact_covariance(case.geometry, azimuth, elevation), 1)
        where = f"{case_name} {estimator} truth ({azimuth}, {elevation})"
        assert result.azimuth_deg.size == 1, f"{where}: {result}"
        assert field.contains_azimuth(result.azimuth_deg).all(), (
            f"{where}: {result} outside {field.azimuth_deg}"
        )
        assert angle_error_deg(result.azimuth_deg[0], azimuth) < TOLERANCE_DEG, f"{where}: {result}"
        if two_d:
            assert result.elevation_deg is not None
            assert abs(result.elevation_deg[0] - elevation) < TOLERANCE_DEG, f"{where}: {result}"


def test_the_matrix_covers_every_kind_and_estimator() -> None:
    assert {case.kind for case in CASES.values()} == {
        "ula",
        "linear",
        "horizontal",
        "vertical",
        "ura",
        "volume",
        *REFUSED_BY_THE_FRAME,
    }
    assert set(ESTIMATORS) == {
        *CLASSICAL,
        *COARRAY,
        *(f"planar-{m}" for m in ("bartlett", "mvdr", "music", "esprit")),
    }


@pytest.mark.parametrize(
    "case_name", [name for name, case in CASES.items() if case.kind in REFUSED_BY_THE_FRAME]
)
def test_field_of_view_names_the_reason_of_a_refusal(case_name: str) -> None:
    case = CASES[case_name]
    with pytest.raises(GeometryError, match=REFUSED_BY_THE_FRAME[case.kind]):
        field_of_view(case.geometry)


@pytest.mark.parametrize(
    ("case_name", "method"),
    [
        (name, method)
        for name, case in CASES.items()
        for method in CLASSICAL
        if case.kind == "ula" or (case.kind == "linear" and method not in ("root-music", "esprit"))
    ],
)
def test_an_emitter_behind_a_linear_array_is_reported_as_its_mirror_in_front(
    case_name: str, method: str
) -> None:
    """Even on a full-circle grid, a linear array reports the front image of an emitter behind it."""
    case = CASES[case_name]
    field = field_of_view(case.geometry)
    estimator = Estimator(case.geometry, WAVELENGTH_M, np.arange(-180.0, 180.0, 0.2), method)
    assert estimator.warnings and "front half-plane" in estimator.warnings[0]
    for offset in (-50.0, 15.0, 65.0):
        front = float(wrap_deg(field.front_deg + offset))
        behind = mirror_across_axis(front, field.front_deg)
        assert not field.contains_azimuth(behind)
        result = estimator.estimate(exact_covariance(case.geometry, behind), 1).azimuth_deg
        assert field.contains_azimuth(result).all(), f"{case_name} {method}: {behind} -> {result}"
        assert angle_error_deg(result[0], front) < TOLERANCE_DEG, (
            f"{case_name} {method}: {behind} -> {result}"
        )


def sampled_covariance(geometry: ArrayGeometry, azimuth_deg, snr_db: float, num_snapshots: int, seed: int):
    """The sample covariance of ``num_snapshots`` of unit-power Gaussian sources in white noise."""
    x = snapshots(geometry, WAVELENGTH_M, azimuth_deg, snr_db, num_snapshots, np.random.default_rng(seed))[0]
    return x @ x.conj().T / num_snapshots


@pytest.mark.parametrize("estimator", ["bartlett", "mvdr", "music", "coarray-dbf"])
def test_two_emitters_on_a_counter_clockwise_uca_with_a_sampled_covariance(estimator: str) -> None:
    """Not only exact covariances: 1000 snapshots at 20 dB, two emitters, one by the seam of the grid."""
    geometry = CASES["uca8-counter-clockwise"].geometry
    truth = np.array([-175.0, 110.0])
    for seed in range(3):
        r = sampled_covariance(geometry, truth, 20.0, 1000, seed)
        result = np.sort(build(geometry, estimator)(r, 2).azimuth_deg)
        assert result.size == 2
        np.testing.assert_allclose(
            angle_error_deg(result, np.sort(truth)), 0.0, atol=0.5, err_msg=f"seed {seed}"
        )


@pytest.mark.xfail(
    strict=True,
    reason="SCG splits or moves one of two emitters on a UCA with a sample covariance (1000 snapshots, "
    "20 dB): -175 and 110 come out as -177.8 and 110.1 (seed 0), 110.3 and 179.2 (seed 6); -30 and 45 as "
    "-29.9 and 42.6 (seed 6); exact covariances, single emitters and two emitters on a ULA are fine",
)
def test_scg_two_emitters_on_a_uca_with_a_sampled_covariance() -> None:
    geometry = CASES["uca8-counter-clockwise"].geometry
    failures = []
    for seed, truth in ((0, (-175.0, 110.0)), (6, (-175.0, 110.0)), (6, (-30.0, 45.0))):
        r = sampled_covariance(geometry, np.array(truth), 20.0, 1000, seed)
        result = np.sort(build(geometry, "scg")(r, 2).azimuth_deg)
        if result.size != 2 or np.any(angle_error_deg(result, np.sort(truth)) > 0.5):
            failures.append((seed, truth, result.tolist()))
    assert not failures, failures


# --- no azimuth outside the field of view, whatever grid the caller gives --------------------------


@pytest.mark.parametrize("method", ["bartlett", "mvdr", "music", "esprit"])
def test_planar_estimator_reports_no_azimuth_outside_the_field_of_view(method: str) -> None:
    failures = []
    for case_name in ("ura4x4", "ura4x4-rotated+30"):
        geometry = CASES[case_name].geometry
        field = field_of_view(geometry)
        estimator = PlanarEstimator(
            geometry, WAVELENGTH_M, np.arange(-180.0, 180.0, 2.0), np.arange(-90.0, 90.1, 2.0), method
        )
        for azimuth, elevation in truths(CASES[case_name]):
            result = estimator.estimate(exact_covariance(geometry, azimuth, elevation), 1)
            if (
                not field.contains_azimuth(result.azimuth_deg).all()
                or angle_error_deg(result.azimuth_deg[0], azimuth) > TOLERANCE_DEG
            ):
                failures.append((case_name, azimuth, elevation, result.azimuth_deg.tolist()))
    assert not failures, failures


@pytest.mark.parametrize("case_name", ["ura4x4", "vertical-line", "one-point"])
@pytest.mark.parametrize("block", [coarray_dbf, scg_spectrum], ids=["coarray_dbf", "scg_spectrum"])
def test_coarray_blocks_refuse_what_a_1d_estimator_refuses(block, case_name: str) -> None:
    with pytest.raises(ValueError, match=r"elevation|not horizontal|one point"):
        block(CASES[case_name].geometry.positions_m.tolist(), CARRIER_HZ)


@pytest.mark.parametrize("case_name", ["ula8-rotated+60", "ula8-rotated-45", "ula8-rotated+120"])
def test_coarray_dbf_block_with_its_default_grid_agrees_or_refuses(case_name: str) -> None:
    geometry = CASES[case_name].geometry
    field = field_of_view(geometry)
    dbf = coarray_dbf(geometry.positions_m.tolist(), CARRIER_HZ)
    failures = []
    for azimuth, _ in truths(CASES[case_name]):
        eta_hat = dbf.map_item(exact_covariance(geometry, azimuth).astype(np.complex64).ravel(), None)
        peaks = dbf.grid_deg[find_peaks(eta_hat, dbf.grid_deg, 1, 2.0)]
        if not field.contains_azimuth(peaks).all() or np.any(angle_error_deg(peaks, azimuth) > TOLERANCE_DEG):
            failures.append((azimuth, peaks.tolist()))
    assert not failures, f"field of view {field.azimuth_deg}: {failures}"


def test_a_ula_with_grating_lobes_warns_and_reports_only_what_it_resolves() -> None:
    """A ULA spaced one wavelength apart: sin(az) and sin(az) +- 1 look alike, so it resolves only
    -30 .. 30 about its broadside. Every estimator says so and reports no bearing outside; inside,
    it agrees with the truth. (An emitter beyond is aliased into -30 .. 30: no array can tell.)"""
    geometry = ula(8, WAVELENGTH_M)
    failures = []
    for method in CLASSICAL:
        estimator = Estimator(geometry, WAVELENGTH_M, search_grid(geometry).azimuth_deg, method)
        assert any("grating lobes" in warning for warning in estimator.warnings), method
        for truth in (-50.0, -25.0, -10.0, 20.0, 28.0, 40.0):
            result = estimator.estimate(exact_covariance(geometry, truth), 1).azimuth_deg
            if np.any(np.abs(result) > 30.0 + 1e-6):
                failures.append((method, truth, "outside", result.tolist()))
            elif abs(truth) < 30.0 and angle_error_deg(result[0], truth) > TOLERANCE_DEG:
                failures.append((method, truth, "wrong", result.tolist()))
    assert not failures, failures


def test_the_default_grids_of_a_ula_with_grating_lobes_keep_to_what_it_resolves() -> None:
    """A ULA spaced one wavelength apart resolves -30 .. 30: the search, the DoA Estimator's port
    and the coarray blocks' grid default to that range, with one warning that says so (an
    emitter beyond is reported at its alias)."""
    geometry = ula(8, WAVELENGTH_M)
    positions = geometry.positions_m.tolist()
    search = search_grid(geometry, wavelength_m=WAVELENGTH_M)
    assert search.azimuth_range[:2] == pytest.approx((-30.0, 30.0))
    (warning,) = search.warnings
    assert "grating lobes" in warning and "reported at its alias inside" in warning
    assert doa_spectrum_size(positions, CARRIER_HZ) == search.size
    dbf = coarray_dbf(positions, CARRIER_HZ)
    assert dbf.grid_deg[0] >= -30.0 - 1e-9 and dbf.grid_deg[-1] <= 30.0 + 1e-9
    assert coarray_spectrum_size(positions, CARRIER_HZ) == dbf.grid_deg.size
    assert not dbf.model.field.contains_azimuth([-45.0, 45.0]).any()


# --- property-based: rotation, reversal, permutation, translation ---------------------------------

ROTATIONS = st.one_of(
    st.sampled_from([0.0, 90.0, -90.0, 180.0, -180.0, 45.0]),
    st.floats(-180.0, 180.0, allow_nan=False).filter(lambda a: abs(abs(a) - 90.0) > 1e-3),
)
"""Azimuths to turn an array by; none within 1e-3 deg of +-90 but the exact ones (there the front of a
line along x is decided by the frame's tolerance)."""

OFFSETS = st.floats(-60.0, 60.0, allow_nan=False)
TRANSLATIONS = st.tuples(*(st.floats(-20.0, 20.0, allow_nan=False),) * 3)


def expected_front_deg(angle_deg: float) -> float:
    """The broadside of ``ula()`` turned by ``angle_deg``: of its normals (at ``angle`` and
    ``angle + 180``) the one nearest +x, +90 when both are 90 degrees from it."""
    normal = float(wrap_deg(angle_deg))
    if abs(normal) == 90.0:
        return 90.0
    return normal if abs(normal) < 90.0 else float(wrap_deg(normal + 180.0))


def estimates(geometry: ArrayGeometry, method: str, azimuth_deg: float) -> float:
    run = build(geometry, method)
    result = run(exact_covariance(geometry, azimuth_deg), 1).azimuth_deg
    field = field_of_view(geometry)
    assert result.size == 1 and field.contains_azimuth(result).all(), (method, azimuth_deg, result)
    return float(result[0])


@PROPERTY_SETTINGS
@given(
    angle=ROTATIONS,
    offset=OFFSETS,
    num_elements=st.integers(4, 9),
    reverse=st.booleans(),
    method=st.sampled_from(CLASSICAL),
)
def test_turning_a_ula_and_its_emitter_together_changes_no_error(
    angle, offset, num_elements, reverse, method
) -> None:
    """The estimate of the turned pair minus the turn is the unturned estimate; an emitter that the turn
    puts behind the array (its front flips to the other normal) comes out as its mirror in front."""
    base = ula(num_elements, HALF)
    base = reversed_order(base) if reverse else base
    turned = rotated(base, angle)
    front = expected_front_deg(angle)
    assert field_of_view(turned).front_deg == pytest.approx(front, abs=1e-9)
    unturned = estimates(base, method, offset)
    assert angle_error_deg(unturned, offset) < 1e-3
    truth = float(wrap_deg(offset + angle))
    result = estimates(turned, method, truth)
    if field_of_view(turned).contains_azimuth(truth):
        assert angle_error_deg(result - angle, unturned) < EXACT_DEG
    else:  # the front flipped: the emitter is behind, its mirror is in front
        assert angle_error_deg(result, mirror_across_axis(truth, front)) < EXACT_DEG + 1e-3
        assert angle_error_deg(mirror_across_axis(result, front) - angle, unturned) < EXACT_DEG


@PROPERTY_SETTINGS
@given(
    angle=ROTATIONS,
    azimuth=st.floats(-180.0, 180.0, allow_nan=False),
    method=st.sampled_from(["bartlett", "mvdr", "music", "coarray-dbf"]),
)
def test_turning_a_uca_and_its_emitter_together_changes_no_error(angle, azimuth, method) -> None:
    base = CASES["uca8-counter-clockwise"].geometry
    unturned = estimates(base, method, azimuth)
    result = estimates(rotated(base, angle), method, float(wrap_deg(azimuth + angle)))
    tolerance = (
        0.1 + 1e-6 if method == "coarray-dbf" else EXACT_DEG
    )  # on its grid (0.1 deg): the turn moves it
    assert angle_error_deg(result - angle, unturned) < tolerance


@PROPERTY_SETTINGS
@given(angle=st.floats(-60.0, 60.0, allow_nan=False), method=st.sampled_from(["music", "mvdr", "esprit"]))
def test_turning_a_vertical_ura_and_its_emitter_together_changes_no_error(angle, method) -> None:
    base, truth = URA4, (20.0, 30.0)
    unturned = build(base, f"planar-{method}")(exact_covariance(base, *truth), 1)
    turned = rotated(base, angle)
    result = build(turned, f"planar-{method}")(exact_covariance(turned, truth[0] + angle, truth[1]), 1)
    assert field_of_view(turned).contains_azimuth(result.azimuth_deg).all()
    assert angle_error_deg(result.azimuth_deg[0] - angle, unturned.azimuth_deg[0]) < 1e-5
    assert abs(result.elevation_deg[0] - unturned.elevation_deg[0]) < 1e-5


@PROPERTY_SETTINGS
@given(
    num_elements=st.integers(3, 9),
    angle=ROTATIONS,
    offset=OFFSETS,
    method=st.sampled_from(CLASSICAL),
)
def test_reversing_a_ulas_element_order_changes_nothing(num_elements, angle, offset, method) -> None:
    geometry = rotated(ula(num_elements, HALF), angle)
    truth = float(wrap_deg(field_of_view(geometry).front_deg + offset))
    forward = estimates(geometry, method, truth)
    backward = estimates(reversed_order(geometry), method, truth)
    assert angle_error_deg(forward, truth) < 1e-3
    assert angle_error_deg(backward, forward) < EXACT_DEG


@PROPERTY_SETTINGS
@given(
    order=st.permutations(range(8)),
    azimuth=st.floats(-180.0, 180.0, allow_nan=False),
    method=st.sampled_from(["bartlett", "mvdr", "music", "coarray-dbf"]),
)
def test_permuting_a_ucas_elements_changes_nothing(order, azimuth, method) -> None:
    geometry = CASES["uca8-counter-clockwise"].geometry
    assert (
        angle_error_deg(
            estimates(reordered(geometry, order), method, azimuth), estimates(geometry, method, azimuth)
        )
        < EXACT_DEG
    )


@PROPERTY_SETTINGS
@given(order=st.permutations(range(7)), offset=OFFSETS, method=st.sampled_from(["bartlett", "mvdr", "music"]))
def test_permuting_a_ulas_elements_changes_nothing_for_grid_methods(order, offset, method) -> None:
    geometry = rotated(ula(7, HALF), 25.0)
    truth = float(wrap_deg(25.0 + offset))
    assert (
        angle_error_deg(
            estimates(reordered(geometry, order), method, truth), estimates(geometry, method, truth)
        )
        < EXACT_DEG
    )


@PROPERTY_SETTINGS
@given(
    offset_m=TRANSLATIONS,
    case_name=st.sampled_from(["ula8-rotated+30", "ula8-reversed", "uca8-counter-clockwise", "random-disc7"]),
    method=st.sampled_from((*CLASSICAL, "coarray-dbf")),
    position=st.floats(-1.0, 1.0, allow_nan=False),
)
def test_translating_an_array_changes_nothing(offset_m, case_name, method, position) -> None:
    case = CASES[case_name]
    if method in ("root-music", "esprit") and case.kind != "ula":
        return  # refused (the matrix checks it)
    field = field_of_view(case.geometry)
    truth = (
        float(wrap_deg(field.front_deg + 60.0 * position))
        if field.front_deg is not None
        else 180.0 * position
    )
    moved = translated(case.geometry, offset_m)
    assert (
        angle_error_deg(estimates(moved, method, truth), estimates(case.geometry, method, truth)) < EXACT_DEG
    )


@PROPERTY_SETTINGS
@given(offset_m=TRANSLATIONS, order=st.permutations(range(16)), method=st.sampled_from(["music", "esprit"]))
def test_translating_and_renumbering_a_vertical_ura_changes_nothing(offset_m, order, method) -> None:
    moved = translated(reordered(URA4, order), offset_m)
    truth = (-35.0, 12.0)
    a = build(URA4, f"planar-{method}")(exact_covariance(URA4, *truth), 1)
    b = build(moved, f"planar-{method}")(exact_covariance(moved, *truth), 1)
    assert angle_error_deg(b.azimuth_deg[0], a.azimuth_deg[0]) < 1e-5
    assert abs(b.elevation_deg[0] - a.elevation_deg[0]) < 1e-5


# --- ArrayGeometry.ula_axis under rotation and reversal --------------------------------------------


def test_the_broadside_of_an_axis_along_x_is_plus_90() -> None:
    along_x = ArrayGeometry(np.column_stack([np.arange(5) * HALF, np.zeros(5), np.zeros(5)]))
    for geometry in (along_x, reversed_order(along_x), rotated(ULA8, 90), rotated(ULA8, -90)):
        axis = geometry.ula_axis()
        assert axis is not None and axis.broadside_azimuth_deg == pytest.approx(90.0)
        assert field_of_view(geometry).azimuth_deg == pytest.approx((0.0, 180.0))


def test_turning_the_array_turns_the_direction_vectors() -> None:
    azimuths = np.array([-170.0, -45.0, 0.0, 33.0, 120.0])
    for angle in (-135.0, 20.0, 90.0):
        np.testing.assert_allclose(
            direction_vectors(azimuths) @ rotation_matrix(angle).T,
            direction_vectors(azimuths + angle),
            atol=1e-12,
        )


@PROPERTY_SETTINGS
@given(
    num_elements=st.integers(2, 12),
    spacing=st.floats(0.05, 2.0, allow_nan=False),
    angle=ROTATIONS,
    reverse=st.booleans(),
    offset_m=TRANSLATIONS,
    azimuth_offset=st.floats(-89.0, 89.0, allow_nan=False),
)
def test_ula_axis_broadside_and_sign_under_rotation_and_reversal(
    num_elements, spacing, angle, reverse, offset_m, azimuth_offset
) -> None:
    base = ula(num_elements, spacing)
    geometry = translated(rotated(reversed_order(base) if reverse else base, angle), offset_m)
    axis = geometry.ula_axis()
    assert axis is not None
    front = expected_front_deg(angle)
    assert angle_error_deg(axis.broadside_azimuth_deg, front) < 1e-9
    assert axis.spacing_m == pytest.approx(spacing, rel=1e-9)
    flipped = angle_error_deg(front, angle) > 1.0
    assert axis.sign == (-1 if reverse else 1) * (-1 if flipped else 1)
    # What root-MUSIC and ESPRIT rely on: u . r_m = const + sign m d sin(az - broadside) in front.
    azimuth = front + azimuth_offset
    projections = geometry.positions_m @ direction_vectors(azimuth)[0]
    steps = np.diff(projections)
    np.testing.assert_allclose(steps, axis.sign * spacing * np.sin(np.deg2rad(azimuth_offset)), atol=1e-9)
    assert field_of_view(geometry).front_deg == pytest.approx(axis.broadside_azimuth_deg, abs=1e-9)


def test_ula_axis_is_none_for_a_line_out_of_element_order_or_off_the_horizontal() -> None:
    assert CASES["ula6-permuted"].geometry.ula_axis() is None
    assert CASES["vertical-line"].geometry.ula_axis() is None
    assert CASES["tilted-line"].geometry.ula_axis() is None
    assert UCA8.ula_axis() is None


FIELD_OF_VIEW_KINDS: dict[str, tuple[str, bool, bool]] = {
    "ula": ("linear", False, False),
    "linear": ("linear", False, False),
    "horizontal": ("planar", True, False),
    "vertical": ("planar", False, True),
    "ura": ("planar", False, True),
    "volume": ("volume", True, True),
}


@pytest.mark.parametrize("case_name", [n for n, c in CASES.items() if c.kind in FIELD_OF_VIEW_KINDS])
def test_field_of_view_of_each_geometry(case_name: str) -> None:
    case = CASES[case_name]
    field: FieldOfView = field_of_view(case.geometry)
    kind, full_circle, elevation = FIELD_OF_VIEW_KINDS[case.kind]
    assert (field.kind, field.full_circle, field.resolves_elevation) == (kind, full_circle, elevation)
    if not full_circle:
        assert -90.0 <= field.front_deg <= 90.0  # the front is the side of boresight +x
        assert field.azimuth_deg == pytest.approx((field.front_deg - 90.0, field.front_deg + 90.0))
