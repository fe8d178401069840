"""SCG: the C++ kernel against its numpy reference, the issue's acceptance, and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing import bearing_python
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.doa.coarray import coarray_model
from gnuradio.bearing.doa.scg import DEFAULT_OPTIONS, ScgOptions, algorithm1_reference, scg_reference, solve
from helpers.signals import snapshots

CARRIER_HZ = 4.85e9
MODEL = coarray_model(ula(4, wavelength_m(CARRIER_HZ) / 2).positions_m, CARRIER_HZ)  # -60..60 by 0.1
EXACT = ScgOptions(mu=0.0, nonnegative=False, cg_tol=1e-14, cg_iter=400)
"""Plain CG run to convergence: an exact linear solve."""
CONVERGED = ScgOptions(cg_tol=1e-13, cg_iter=400)
"""The default sparse SCG with every inner CG run to convergence. On a full-rank random P the
default 32 CG steps stop short, and then the iterates depend on rounding; on the coarray's
rank-r P, CG preconditioned by D converges in about r + 1 steps and the defaults agree."""


def coarray_spectrum(azimuths_deg, snr_db: float | None = None, seed: int = 0) -> np.ndarray:
    """eta_hat of unit-power sources: exact covariance, or 200 snapshots at ``snr_db``."""
    if snr_db is None:
        a = MODEL.geometry.steering(np.asarray(azimuths_deg, dtype=float), CARRIER_HZ)
        return MODEL.spectrum(a @ a.conj().T)
    x = snapshots(
        MODEL.geometry, wavelength_m(CARRIER_HZ), azimuths_deg, snr_db, 200, np.random.default_rng(seed)
    )[0]
    return MODEL.spectrum(x @ x.conj().T / 200)


def relative_error(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.linalg.norm(actual - expected, axis=-1) / np.linalg.norm(expected, axis=-1)


def half_power_width_deg(spectrum: np.ndarray, grid_deg: np.ndarray) -> float:
    """Width of the contiguous run of grid points at or above half the peak, in degrees."""
    peak = int(np.argmax(spectrum))
    above = spectrum >= spectrum[peak] / 2
    lo = peak
    while lo > 0 and above[lo - 1]:
        lo -= 1
    hi = peak
    while hi < spectrum.size - 1 and above[hi + 1]:
        hi += 1
    step = grid_deg[1] - grid_deg[0]
    return (hi - lo + 1) * step


def random_spd(size: int, rank: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random factor G (rank, size) and b (3, size)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rank, size)), rng.standard_normal((3, size))


@pytest.mark.parametrize(("size", "rank"), [(60, 60), (80, 20), (300, 7)])
@pytest.mark.parametrize("options", [CONVERGED, EXACT], ids=["sparse", "plain-cg"])
def test_kernel_matches_reference_on_random_spd_systems(size, rank, options):
    factor, b = random_spd(size, rank, seed=size + rank)
    dense = factor.T @ factor
    expected, expected_iterations = scg_reference(b, projection=dense, options=options)
    for matrix in ({"projection": dense}, {"factor": factor}):
        eta, iterations = solve(b, options=options, **matrix)
        assert np.all(relative_error(eta, expected) < 1e-6)
        np.testing.assert_array_equal(iterations, expected_iterations)


def test_plain_cg_solves_the_linear_system():
    factor, b = random_spd(80, 20, seed=3)
    system = factor.T @ factor + EXACT.lam * np.eye(80)
    eta, _ = solve(b, factor=factor, options=EXACT)
    np.testing.assert_allclose(eta, np.linalg.solve(system, b.T).T, rtol=1e-8, atol=1e-10)


def test_kernel_matches_reference_on_coarray_problems():
    rng = np.random.default_rng(7)
    b = np.array(
        [coarray_spectrum([az]) for az in rng.uniform(-60, 60, 6)]
        + [coarray_spectrum(rng.uniform(-60, 60, 2)) for _ in range(6)]
        + [coarray_spectrum(rng.uniform(-60, 60, 2), snr_db=10, seed=s) for s in range(6)]
    )
    for options in (DEFAULT_OPTIONS, EXACT):
        eta, iterations = solve(b, factor=MODEL.factor, options=options)
        expected, expected_iterations = scg_reference(b, factor=MODEL.factor, options=options)
        assert np.all(relative_error(eta, expected) < 1e-6)
        np.testing.assert_array_equal(iterations, expected_iterations)


@pytest.mark.parametrize("azimuth_deg", [-45.0, -15.0, 15.0, 45.0, 0.0, -58.0, 57.9])
def test_one_source_gives_a_narrow_peak_at_the_truth(azimuth_deg):
    b = coarray_spectrum([azimuth_deg])
    eta, _ = solve(b, factor=MODEL.factor)
    step = MODEL.grid_deg[1] - MODEL.grid_deg[0]
    assert abs(MODEL.grid_deg[np.argmax(eta)] - azimuth_deg) <= step + 1e-9
    assert half_power_width_deg(eta, MODEL.grid_deg) < 1.0
    assert half_power_width_deg(b, MODEL.grid_deg) > 10.0  # coarray DBF: the paper's wide beam


@pytest.mark.parametrize(
    ("first_deg", "tolerance_deg"),
    [(-45.0, 0.05), (-30.0, 0.05), (-10.0, 0.05), (5.0, 0.05), (25.0, 0.05), (-60.0, 1.5), (40.0, 1.5)],
)
def test_two_sources_20_degrees_apart_are_both_found(first_deg, tolerance_deg):
    """Exact inside +-45 degrees; near the edge of the field of view the truncated manifold biases peaks."""
    truths = np.array([first_deg, first_deg + 20.0])
    eta, _ = solve(coarray_spectrum(truths), factor=MODEL.factor)
    runs = np.flatnonzero(np.diff(np.r_[0, eta > 0.1 * eta.max(), 0]))  # starts, ends of peaks
    centres = [MODEL.grid_deg[s:e][np.argmax(eta[s:e])] for s, e in zip(runs[::2], runs[1::2], strict=True)]
    assert len(centres) == 2
    np.testing.assert_allclose(np.sort(centres), truths, atol=tolerance_deg)


def test_float32_solves_in_float32():
    for azimuth_deg in (-33.3, 20.0):
        b = coarray_spectrum([azimuth_deg])
        eta32, _ = solve(b.astype(np.float32), factor=MODEL.factor)
        eta64, _ = solve(b, factor=MODEL.factor)
        assert eta32.dtype == np.float32
        assert abs(MODEL.grid_deg[np.argmax(eta32)] - MODEL.grid_deg[np.argmax(eta64)]) <= 0.2


def test_noise_floor_removal_keeps_scg_on_the_source():
    """At 10 dB, SCG on the raw covariance splits the source into biased spikes; without the floor, not."""
    errors = {False: [], True: []}
    for seed, azimuth_deg in enumerate(np.linspace(-40, 40, 9)):
        x = snapshots(
            MODEL.geometry, wavelength_m(CARRIER_HZ), [azimuth_deg], 10, 200, np.random.default_rng(seed)
        )
        covariance = x[0] @ x[0].conj().T / 200
        for remove in errors:
            eta, _ = solve(MODEL.spectrum(covariance, remove_noise_floor=remove), factor=MODEL.factor)
            errors[remove].append(MODEL.grid_deg[np.argmax(eta)] - azimuth_deg)
    rmse = {remove: float(np.sqrt(np.mean(np.square(e)))) for remove, e in errors.items()}
    assert rmse[True] < 0.6
    assert rmse[False] > 2 * rmse[True]


def test_batch_and_threads_give_the_same_rows():
    b = np.array([coarray_spectrum([az], snr_db=5, seed=i) for i, az in enumerate(range(-50, 51, 20))])
    one_by_one = np.array([solve(row, factor=MODEL.factor)[0] for row in b])
    for threads in (1, 2):
        eta, iterations = solve(b, factor=MODEL.factor, threads=threads)
        np.testing.assert_array_equal(eta, one_by_one)
        assert iterations.shape == (len(b),) and np.all(iterations >= 1)


def test_any_array_layout_or_real_type_gives_the_same_result():
    factor, b = random_spd(40, 6, seed=11)
    expected, _ = solve(b, factor=factor)
    variants = [
        (np.asfortranarray(b), np.asfortranarray(factor)),
        (np.ascontiguousarray(np.tile(b, (1, 2))[:, ::2]) * 0 + b, factor[:, :]),
        (b[:, ::1], np.tile(factor, (1, 2))[:, ::2] * 0 + factor),
        (b.tolist(), factor.tolist()),
    ]
    for rhs, matrix in variants:
        np.testing.assert_array_equal(solve(rhs, factor=matrix)[0], expected)
    integers = np.arange(40)[None] % 3
    np.testing.assert_allclose(solve(integers, factor=factor)[0], solve(integers * 1.0, factor=factor)[0])


def test_signed_sparse_scg_matches_the_reference():
    options = ScgOptions(nonnegative=False)
    b = np.array([coarray_spectrum([az], snr_db=5, seed=i) for i, az in enumerate((-20.0, 33.0))])
    eta, _ = solve(b, factor=MODEL.factor, options=options)
    assert np.all(relative_error(eta, scg_reference(b, factor=MODEL.factor, options=options)[0]) < 1e-6)


def test_more_threads_than_cores_are_capped():
    b = np.tile(coarray_spectrum([10.0]), (8, 1))
    np.testing.assert_array_equal(
        solve(b, factor=MODEL.factor, threads=10_000)[0], solve(b, factor=MODEL.factor)[0]
    )


def test_mu_zero_is_one_plain_cg_solve():
    _, iterations = solve(coarray_spectrum([10.0]), factor=MODEL.factor, options=EXACT)
    assert iterations == 1


def test_kernel_releases_the_gil():
    b = np.tile(coarray_spectrum([10.0]), (400, 1))
    ticks = 0
    done = threading.Event()

    def work():
        solve(b, factor=MODEL.factor, threads=1)
        done.set()

    worker = threading.Thread(target=work)
    start = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    elapsed = time.perf_counter() - start
    assert elapsed > 0.02  # the solve takes a while (400 solves) ...
    assert ticks > 5  # ... and this thread kept running meanwhile


def native_options(**fields) -> bearing_python.scg_options:
    options = bearing_python.scg_options()
    for name, value in fields.items():
        setattr(options, name, value)
    return options


@pytest.mark.parametrize(
    ("b", "matrix", "factored", "options", "message"),
    [
        (np.ones(5), np.ones((5, 4)), False, {}, r"P must be square \(L, L\), got shape \(5, 4\)"),
        (np.ones(4), np.ones((2, 5)), True, {}, r"L = 5.*got \(4,\)"),
        (np.ones((2, 2, 5)), np.ones((2, 5)), True, {}, r"\(batch, L\).*got \(2, 2, 5\)"),
        (np.ones(5), np.ones(5), True, {}, r"G must be 2-D \(r, L\), got shape \(5,\)"),
        (np.r_[1.0, 1.0, np.nan, 1.0, 1.0], np.ones((2, 5)), True, {}, r"b contains NaN .*column 2"),
        (np.ones((2, 5)) * [[1], [np.inf]], np.ones((2, 5)), True, {}, r"b contains NaN or infinity \(row 1"),
        (np.ones(3), np.diag([1.0, np.nan, 1.0]), False, {}, "projection P contains NaN"),
        (np.ones(5), np.ones((2, 5)), True, {"lam": 0.0}, "lam must be > 0, got 0"),
        (np.ones(5), np.ones((2, 5)), True, {"lam": -1.0}, "lam must be > 0"),
        (np.ones(5), np.ones((2, 5)), True, {"mu": -1.0}, "mu must be >= 0"),
        (np.ones(5), np.ones((2, 5)), True, {"max_iter": 0}, "max_iter must be an integer >= 1"),
        (np.ones(5), np.ones((2, 5)), True, {"prune": 1.0}, r"prune must be in \(0, 1\)"),
        (np.ones(5), np.ones((2, 5)), True, {"prune": 0.0}, r"prune must be in \(0, 1\)"),
        (np.ones(5, dtype=complex), np.ones((2, 5)), True, {}, "real, not complex"),
        (np.array(["a"] * 5), np.ones((2, 5)), True, {}, "could not convert|numeric"),
    ],
)
def test_kernel_rejects_bad_input_with_a_clear_message(b, matrix, factored, options, message):
    with pytest.raises(ValueError, match=message):
        bearing_python.scg(b, matrix, factored, native_options(**options))


def test_options_and_arguments_are_checked_in_python_too():
    with pytest.raises(ValueError, match="lam must be > 0"):
        ScgOptions(lam=0.0)
    with pytest.raises(ValueError, match=r"max_iter must be an integer in \[1, 2147483647\]"):
        ScgOptions(max_iter=2**40)
    assert type(ScgOptions(max_iter=30.0, cg_iter=32.0).max_iter) is int
    with pytest.raises(ValueError, match="threads must be an integer >= 0"):
        solve(np.ones(3), projection=np.eye(3), threads=-1)
    with pytest.raises(ValueError, match="real, not complex"):
        solve(np.ones(3) + 1j, projection=np.eye(3))
    with pytest.raises(ValueError, match="exactly one"):
        solve(np.ones(3))
    with pytest.raises(ValueError, match="exactly one"):
        scg_reference(np.ones(3), projection=np.eye(3), factor=np.eye(3))
    with pytest.raises(ValueError, match="NaN"):
        scg_reference(np.r_[np.nan, 0, 0], projection=np.eye(3))


def test_package_imports_from_the_build_tree():
    """`PYTHONPATH=<build>/python` imports the package and its compiled kernel without installing."""
    build = Path(os.environ.get("BEARING_BUILD_DIR", Path(__file__).resolve().parents[2] / "build"))
    code = (
        "import numpy as np; from gnuradio.bearing import bearing_python; "
        "from gnuradio.bearing.doa import scg; "
        "print(bearing_python.__file__); "
        "print(scg.solve(np.ones(3), projection=np.eye(3), options=scg.ScgOptions(mu=0))[0][0])"
    )
    env = {**os.environ, "PYTHONPATH": str(build / "python")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    path, value = result.stdout.split()
    assert Path(path).resolve().is_relative_to(build.resolve())
    assert float(value) == pytest.approx(1 / 1.1)


def test_algorithm1_as_printed_narrows_the_beam_but_misses_the_peak():
    """The paper-literal variant (for the benchmark's comparison): narrow, but off by grid steps."""
    b = coarray_spectrum([-45.0])
    literal = algorithm1_reference(b, factor=MODEL.factor)
    assert np.all(literal >= 0)
    assert half_power_width_deg(literal, MODEL.grid_deg) < half_power_width_deg(b, MODEL.grid_deg) / 10
    assert 0.1 < abs(MODEL.grid_deg[np.argmax(literal)] + 45.0) < 2.0
    with pytest.raises(ValueError, match="one right-hand side"):
        algorithm1_reference(np.tile(b, (2, 1)), factor=MODEL.factor)
