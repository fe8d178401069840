"""SCG in torch: the kernel's autograd function (implicit gradient) and the unrolled SCG."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.doa import scg
from gnuradio.bearing.doa.coarray import coarray_model
from gnuradio.bearing.learned.scg_torch import ScgSolve, linear_options, unrolled_scg
from gnuradio.bearing.learned.scg_torch import scg as scg_solve
from helpers.signals import snapshots

CARRIER_HZ = 4.85e9  # the paper's 4-element half-wavelength ULA
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
GEOMETRY = ula(4, WAVELENGTH_M / 2)
EXACT = scg.ScgOptions(mu=0.0, nonnegative=False, cg_tol=1e-14, cg_iter=200)
"""Plain CG run to machine precision: an exact solve of ``(P + lambda I) eta = b``."""


def relative(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def model():
    """The paper's grid: -60 .. 60 deg at 0.1 deg, L = 1201, rank 7."""
    return coarray_model(GEOMETRY.positions_m, CARRIER_HZ)


@pytest.fixture(scope="module")
def spectra(model):
    """Coarray DBF spectra of 1-2 random sources at 10 dB, 200 snapshots, shape (8, 1201)."""
    rng = np.random.default_rng(7)
    rows = []
    for count in (1, 2, 1, 2, 2, 1, 2, 2):
        x = snapshots(GEOMETRY, WAVELENGTH_M, rng.uniform(-55, 55, count), 10.0, 200, rng)[0]
        rows.append(model.spectrum(covariance.sample_covariance(x)))
    return np.array(rows)


@pytest.fixture(scope="module")
def modl_rhs(model, spectra):
    """MoDL right-hand sides ``eta_hat + lambda z`` with a non-negative random ``z`` (a calibrator output)."""
    z = np.abs(np.random.default_rng(8).standard_normal(spectra[:4].shape))
    return spectra[:4] + scg.DEFAULT_OPTIONS.lam * z


def test_gradcheck_on_a_coarse_coarray_problem():
    factor = torch.from_numpy(coarray_model(GEOMETRY.positions_m, CARRIER_HZ, -60, 60, 2).factor)
    b = torch.randn(3, factor.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    b.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x: ScgSolve.apply(x, factor, EXACT), (b,), eps=1e-6, atol=1e-7, rtol=1e-6
    )


def test_gradcheck_on_a_random_spd_problem():
    generator = torch.Generator().manual_seed(2)
    factor = torch.randn(5, 12, dtype=torch.float64, generator=generator)
    for shape in ((12,), (2, 12)):
        b = torch.randn(*shape, dtype=torch.float64, generator=generator).requires_grad_()
        assert torch.autograd.gradcheck(
            lambda x: ScgSolve.apply(x, factor, EXACT), (b,), eps=1e-6, atol=1e-8, rtol=1e-7
        )


def test_implicit_gradient_is_the_dense_solve_on_a_dbf_spectrum(model, spectra):
    """b = eta_hat lies in range(P); the gradient still has the 1/lambda part of the null space."""
    b = torch.tensor(spectra[:3], requires_grad=True)
    weights = np.random.default_rng(3).standard_normal(b.shape)
    (scg_solve(b, model.factor, scg.DEFAULT_OPTIONS) * torch.from_numpy(weights)).sum().backward()
    system = model.projection() + scg.DEFAULT_OPTIONS.lam * np.eye(model.factor.shape[1])
    assert relative(b.grad.numpy(), np.linalg.solve(system, weights.T).T) < 1e-9


def test_implicit_gradient_equals_autograd_through_unrolled_cg(model, modl_rhs):
    weights = torch.from_numpy(np.random.default_rng(4).standard_normal(modl_rhs.shape))
    gradients = []
    for solver in (scg_solve, unrolled_scg):
        b = torch.tensor(modl_rhs, requires_grad=True)
        (solver(b, model.factor, EXACT) * weights).sum().backward()
        gradients.append(b.grad.numpy())
    assert relative(gradients[1], gradients[0]) < 1e-8


def test_backward_is_the_linear_solve_also_with_the_sparsity_step(model, modl_rhs):
    """With mu > 0 the backward pass is the paper's linearisation, (P + lambda I)^-1."""
    weights = torch.from_numpy(np.random.default_rng(5).standard_normal(modl_rhs.shape))
    b = torch.tensor(modl_rhs, requires_grad=True)
    (scg_solve(b, model.factor) * weights).sum().backward()
    expected = scg.solve(weights.numpy(), factor=model.factor, options=linear_options(scg.DEFAULT_OPTIONS))[0]
    np.testing.assert_array_equal(b.grad.numpy(), expected)
    assert linear_options(scg.DEFAULT_OPTIONS) == scg.ScgOptions(mu=0.0, nonnegative=False)


def test_unrolled_plain_cg_matches_the_kernel(model, spectra, modl_rhs):
    options = scg.ScgOptions(mu=0.0, nonnegative=False)
    for rhs in (spectra, modl_rhs):
        kernel = scg.solve(rhs, factor=model.factor, options=options)[0]
        unrolled = unrolled_scg(torch.from_numpy(rhs), model.factor, options).numpy()
        assert relative(unrolled, kernel) < 1e-8


@pytest.mark.parametrize(
    "options",
    # The defaults run these rows to max_iter = 30; with 200 they stop on the step
    # test, each at its own iteration (31 to 60).
    [scg.DEFAULT_OPTIONS, scg.ScgOptions(max_iter=200)],
    ids=["default", "max_iter=200"],
)
def test_unrolled_scg_matches_the_kernel_with_the_sparsity_step(model, spectra, options):
    kernel, iterations = scg.solve(spectra, factor=model.factor, options=options)
    assert (options.max_iter == 30) == bool(np.all(iterations == 30))
    unrolled = unrolled_scg(torch.from_numpy(spectra), model.factor, options).numpy()
    np.testing.assert_array_equal(unrolled.argmax(axis=1), kernel.argmax(axis=1))
    # Measured: 2e-8 at worst over these rows (rounding order only: same steps, same stops).
    assert max(relative(u, k) for u, k in zip(unrolled, kernel, strict=True)) < 1e-6
    np.testing.assert_array_equal(unrolled > 0, kernel > 0)


def test_unrolled_single_rhs_is_the_batched_row(model, spectra):
    batched = unrolled_scg(torch.from_numpy(spectra[:3]), model.factor)
    single = unrolled_scg(torch.from_numpy(spectra[1]), model.factor)
    assert single.shape == (model.factor.shape[1],)
    torch.testing.assert_close(single, batched[1], rtol=1e-12, atol=1e-12)


def test_unrolled_sparsity_step_is_differentiable(model, modl_rhs):
    b = torch.tensor(modl_rhs[:2], requires_grad=True)
    eta = unrolled_scg(b, model.factor)
    eta.square().sum().backward()
    assert b.grad.shape == b.shape
    assert torch.all(torch.isfinite(b.grad)) and torch.any(b.grad != 0)


@pytest.mark.parametrize("solver", [scg_solve, unrolled_scg])
def test_float32_in_float32_out_and_gradient_shapes(model, spectra, solver):
    options = scg.ScgOptions(mu=0.0, nonnegative=False)
    reference = scg.solve(spectra[:2], factor=model.factor, options=options)[0]
    for rhs in (spectra[0], spectra[:2]):
        b = torch.tensor(rhs, dtype=torch.float32, requires_grad=True)
        eta = solver(b, torch.from_numpy(model.factor), options)
        assert eta.dtype == torch.float32 and eta.shape == b.shape
        eta.sum().backward()
        assert b.grad.dtype == torch.float32 and b.grad.shape == b.shape
    # float32 carries the condition number of P + lambda I (about 1e5): 3e-3 measured.
    assert relative(eta.detach().numpy(), reference) < 2e-2


def test_scg_solve_keeps_float64_and_takes_numpy_or_tensor_factor(model, spectra):
    b = torch.from_numpy(spectra[:2])
    from_numpy = scg_solve(b, model.factor)
    from_tensor = scg_solve(b, torch.from_numpy(model.factor))
    assert from_numpy.dtype == torch.float64
    torch.testing.assert_close(from_numpy, from_tensor, rtol=0, atol=0)
    np.testing.assert_array_equal(from_numpy.numpy(), scg.solve(spectra[:2], factor=model.factor)[0])


def test_unrolled_rejects_a_mismatched_factor(model, spectra):
    with pytest.raises(ValueError, match="factor G"):
        unrolled_scg(torch.from_numpy(spectra[:, :100]), model.factor)


def test_unrolled_gradient_misses_the_null_space_when_b_is_in_range_p(model, spectra):
    """The documented limit of autograd through CG: b = eta_hat stops CG after rank(P) steps."""
    weights = torch.from_numpy(np.random.default_rng(6).standard_normal(spectra[:2].shape))
    gradients = []
    for solver in (scg_solve, unrolled_scg):
        b = torch.tensor(spectra[:2], requires_grad=True)
        (solver(b, model.factor, EXACT) * weights).sum().backward()
        gradients.append(b.grad.numpy())
    assert np.linalg.norm(gradients[1]) < 0.01 * np.linalg.norm(gradients[0])
