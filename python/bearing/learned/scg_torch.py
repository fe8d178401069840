"""SCG in PyTorch: the C++ kernel as an autograd function, and an unrolled pure-torch SCG.

MoD-DNN trains its CNN calibrator through the SCG block (Liu et al. 2025, eq. 32). The
paper names two ways to get the gradient through it (see ``../shared/papers/NOTES.md``),
and this module offers both:

* :class:`ScgSolve` / :func:`~gnuradio.bearing.doa.scg`: the forward pass is the C++ kernel
  (:func:`gnuradio.bearing.doa.scg.solve`); the backward pass is implicit differentiation of
  ``eta = (P + lambda I)^-1 b`` (the paper's "eta_i = (P + lambda I)^-1 (...)" under
  eq. 32), solved by the same kernel. Fast; no graph through the iterations.
* :func:`unrolled_scg`: the SCG algorithm of :mod:`gnuradio.bearing.doa.scg` written in torch
  operations, so that autograd differentiates through every CG step and every reweighting
  ("unrolled"). It needs no kernel and is the torch baseline of
  ``tests/bench/scg_speed.py``.

Both take the system matrix in factored form, ``P = G^T G`` with ``G`` of shape ``(r, L)``
(:attr:`gnuradio.bearing.doa.coarray.CoarrayModel.factor`), and right-hand sides ``b`` of shape
``(L,)`` or ``(batch, L)`` in the units of ``P`` (the coarray DBF spectrum of a covariance
normalised to unit mean element power, see :mod:`gnuradio.bearing.doa.coarray`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch.autograd.function import once_differentiable

from ..doa import scg as _scg
from ..doa.scg import DEFAULT_OPTIONS, ScgOptions


def linear_options(options: ScgOptions) -> ScgOptions:
    """Options of the plain linear solve ``(P + lambda I) x = b`` with ``options``' lambda and CG tolerances.

    ``mu = 0`` stops SCG after its first, unweighted CG solve; ``nonnegative = False``
    keeps that solve linear. :class:`ScgSolve` uses it for its backward pass.
    """
    return replace(options, mu=0.0, nonnegative=False)


class ScgSolve(torch.autograd.Function):
    """SCG with the C++ kernel, differentiable with respect to the right-hand side ``b``.

    ``ScgSolve.apply(b, factor, options)``:

    * forward: :func:`gnuradio.bearing.doa.scg.solve` on ``b`` (detached, moved to the CPU
      as numpy); the kernel computes in float64 whatever the input type, and the result
      has ``b``'s dtype, device and shape (``(L,)`` or ``(batch, L)``).
    * backward: implicit differentiation (paper eq. 32). With ``eta = (P + lambda I)^-1 b``
      and ``P`` symmetric, the vector-Jacobian product is ``g = (P + lambda I)^-1 grad``:
      the same system, solved by the same kernel as plain CG
      (:func:`linear_options`: ``mu = 0``, ``nonnegative = False``, the same ``lam``,
      ``cg_tol`` and ``cg_iter``).

    With ``mu = 0`` and ``nonnegative = False`` the forward pass is that linear solve and the
    gradient is exact (up to the CG tolerance). With ``mu > 0`` (or the non-negative
    projection) the backward pass is the paper's linearisation: the sparsity step is treated
    as converged and ignored, which is not the derivative of the reweighted solution (that
    one would have ``diag(lambda + c)`` on the active entries and zero rows for the pruned
    ones). Use :func:`unrolled_scg` for the gradient of the iteration itself.

    No gradient flows to ``factor`` or ``options`` (both get ``None``). Double backward is
    not supported.
    """

    @staticmethod
    def forward(ctx, b: torch.Tensor, factor: torch.Tensor | ArrayLike, options: ScgOptions) -> torch.Tensor:
        matrix = _as_numpy_factor(factor)
        ctx.matrix, ctx.options = matrix, options
        return _kernel_solve(b, matrix, options)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: torch.Tensor):
        grad_b = None
        if ctx.needs_input_grad[0]:
            grad_b = _kernel_solve(grad_output, ctx.matrix, linear_options(ctx.options))
        return grad_b, None, None


def scg(
    b: torch.Tensor, factor: torch.Tensor | ArrayLike, options: ScgOptions = DEFAULT_OPTIONS
) -> torch.Tensor:
    """Sparse spectrum ``eta`` from the right-hand side ``b`` with the C++ kernel (:class:`ScgSolve`).

    Args:
        b: right-hand sides, shape ``(L,)`` or ``(batch, L)``, a floating tensor in the
            units of ``P`` (``eta_hat`` or ``eta_hat + lambda z``; a noise-free source at
            grid angle ``l`` gives ``b = P e_l`` with peak ``M^2``).
        factor: ``G``, shape ``(r, L)``, with ``P = G^T G`` (a tensor or a numpy array).
        options: SCG parameters.

    Returns:
        ``eta``, a tensor with ``b``'s shape, dtype and device, in units of the source
        power (a lone noise-free on-grid source gives nearly the one-hot ``e_l``: 0.98
        ``e_l`` with the default options, lambda shrinks the peak). Its gradient
        with respect to ``b`` is ``(P + lambda I)^-1`` applied to the incoming gradient.
    """
    return ScgSolve.apply(b, factor, options)


def unrolled_scg(
    b: torch.Tensor, factor: torch.Tensor | ArrayLike, options: ScgOptions = DEFAULT_OPTIONS
) -> torch.Tensor:
    """SCG in torch operations, differentiable by autograd through every step.

    The algorithm of :mod:`gnuradio.bearing.doa.scg` (outer reweighting loop; inner CG on
    ``(P_AA + D) x = b_A`` preconditioned by ``D = diag(lambda + c)`` and warm-started;
    the non-negative projection; pruning; the same stopping rules per right-hand side),
    batched over the rows of ``b``, with two differences of form, not of result:

    * The active set is a mask, not a compacted copy: pruned entries are multiplied by
      zero and stay zero (``x``, the residual and the search direction all vanish there),
      so the products, dot products and norms equal those on the active entries.
    * Each right-hand side stops by its own rules (CG residual, non-positive curvature,
      outer step size, zero peak, ``mu = 0``) through a per-row "done" mask: a finished row
      is no longer updated, and the loops end when every row is done or at ``cg_iter`` /
      ``max_iter``. A batch therefore costs as many steps as its slowest row.

    The result equals the kernel's up to rounding (computed in ``b``'s dtype, where the
    kernel accumulates dot products in double); rounding can flip a pruning decision of
    an entry right at the ``prune`` threshold, so with ``mu > 0`` the two agree closely
    but not to the last digit. With ``mu = 0`` it is plain CG on ``(P + lambda I) eta = b``.
    ``P`` is applied in factored form, ``P x = G^T (G x)``; the ``L x L`` matrix is never
    built.

    Gradients: the comparisons (stopping rules, pruning, the projection's kink) are
    piecewise constant and pass no gradient; ``max |eta|`` passes its subgradient.
    Autograd differentiates the steps that ran, so with ``mu = 0`` the gradient equals
    the implicit one of :class:`ScgSolve`, ``(P + lambda I)^-1``, only when CG's Krylov
    space of ``b`` holds every eigenvalue of ``P + lambda I``: true for a generic ``b``
    such as the MoDL right-hand side ``eta_hat + lambda z``, but not for ``b = eta_hat``
    alone. That ``b`` lies in ``range(P)`` (rank ``r``), CG stops after ``r`` steps, and
    the unrolled gradient misses the null-space part ``1 / lambda`` (on the paper's grid
    it comes out some 2600 times too small). Use :func:`~gnuradio.bearing.doa.scg` there.

    Args:
        b: right-hand sides, shape ``(L,)`` or ``(batch, L)``, a floating tensor in the
            units of ``P`` (see :func:`~gnuradio.bearing.doa.scg`).
        factor: ``G``, shape ``(r, L)``, with ``P = G^T G``; converted to ``b``'s dtype
            and device.
        options: SCG parameters.

    Returns:
        ``eta`` with ``b``'s shape, dtype and device.
    """
    if not torch.is_floating_point(b) or b.ndim not in (1, 2):
        raise ValueError(
            f"b must be a floating tensor of shape (L,) or (batch, L), got {b.dtype} {tuple(b.shape)}"
        )
    g = torch.as_tensor(factor, dtype=b.dtype, device=b.device)
    if g.ndim != 2 or g.shape[1] != b.shape[-1]:
        raise ValueError(f"factor G must have shape (r, L) with L = {b.shape[-1]}, got {tuple(g.shape)}")
    rhs = b.unsqueeze(0) if b.ndim == 1 else b
    eta = torch.zeros_like(rhs)
    mask = torch.ones_like(rhs)
    weights = torch.full_like(rhs, options.lam)
    live = torch.ones(rhs.shape[0], dtype=torch.bool, device=b.device)
    for _ in range(options.max_iter):
        previous = eta
        solved = _masked_pcg(g, mask, weights, rhs, eta, live, options)
        if options.nonnegative:
            solved = solved.clamp(min=0.0)
        eta = torch.where(live[:, None], solved, eta)
        if options.mu == 0:
            break
        peak = eta.abs().amax(dim=-1)
        live = live & (peak.detach() > 0)
        safe_peak = torch.where(live, peak, torch.ones_like(peak))[:, None]
        magnitude = eta.abs()
        keep = (magnitude.detach() > options.prune * safe_peak.detach()) & (mask > 0)
        keep = torch.where(live[:, None], keep, mask > 0)
        mask = keep.to(rhs.dtype)
        eta = eta * mask
        safe_magnitude = torch.where(keep, magnitude, safe_peak)
        reweighted = options.lam + options.mu * safe_peak / (
            safe_magnitude * (1.0 + options.eps * safe_magnitude / safe_peak)
        )
        weights = torch.where(live[:, None] & keep, reweighted, weights)
        with torch.no_grad():
            step = torch.linalg.vector_norm(eta - previous, dim=-1)
            settled = step <= options.tol * torch.linalg.vector_norm(eta, dim=-1)
        live = live & ~settled
        if not bool(live.any()):
            break
    return eta.reshape(b.shape)


def _masked_pcg(
    g: torch.Tensor,
    mask: torch.Tensor,
    diagonal: torch.Tensor,
    b: torch.Tensor,
    x: torch.Tensor,
    live: torch.Tensor,
    options: ScgOptions,
) -> torch.Tensor:
    """CG on ``(P_AA + D) x = b_A`` per row, preconditioned by ``D = diag(diagonal)``, from ``x``.

    The active set ``A`` of a row is where ``mask`` is 1; ``x`` is zero elsewhere and stays
    so. Rows where ``live`` is false are returned unchanged.
    """

    def apply(v: torch.Tensor) -> torch.Tensor:
        return mask * ((v @ g.T) @ g) + diagonal * v

    inverse = mask / diagonal
    residual = mask * b - apply(x)
    z = inverse * residual
    direction = z
    rz = (residual * z).sum(-1)
    with torch.no_grad():
        threshold = options.cg_tol * torch.linalg.vector_norm(mask * b, dim=-1)
    running = live
    for _ in range(options.cg_iter):
        with torch.no_grad():
            running = running & (torch.linalg.vector_norm(residual, dim=-1) > threshold)
        if not bool(running.any()):
            break
        product = apply(direction)
        curvature = (direction * product).sum(-1)
        running = running & (curvature.detach() > 0)
        if not bool(running.any()):
            break
        one = torch.ones_like(rz)
        step = torch.where(running, rz / torch.where(running, curvature, one), torch.zeros_like(rz))[:, None]
        x = x + step * direction
        residual = residual - step * product
        z = inverse * residual
        rz_next = (residual * z).sum(-1)
        beta = torch.where(running, rz_next / torch.where(running, rz, one), torch.zeros_like(rz))[:, None]
        direction = torch.where(running[:, None], z + beta * direction, direction)
        rz = torch.where(running, rz_next, rz)
    return x


def _as_numpy_factor(factor: torch.Tensor | ArrayLike) -> np.ndarray:
    if isinstance(factor, torch.Tensor):
        return factor.detach().cpu().numpy()
    return np.asarray(factor)


def _kernel_solve(b: torch.Tensor, matrix: np.ndarray, options: ScgOptions) -> torch.Tensor:
    """The kernel on a tensor: float32 stays float32, other floating types go through float64."""
    if not torch.is_floating_point(b):
        raise ValueError(f"b must be a floating tensor, got {b.dtype}")
    values = b.detach().to("cpu", torch.float32 if b.dtype == torch.float32 else torch.float64)
    eta, _ = _scg.solve(values.contiguous().numpy(), factor=matrix, options=options)
    return torch.from_numpy(eta).to(device=b.device, dtype=b.dtype)
