"""Sparse conjugate gradient (SCG): the sparse spectrum solver of MoD-DNN (Liu et al. 2025, Sec. 4.2).

SCG recovers a sparse, non-negative spatial spectrum ``eta`` (one value per grid angle) from
a right-hand side ``b`` by solving the normal equation (paper eq. 21, with the
consistent MoDL right-hand side of ``../shared/papers/NOTES.md``)::

    (P + lambda I) eta = b,        b = eta_hat + lambda z

plus the reweighted zero attractor of eq. (29), applied elementwise as in the cited
Chen, Gu & Hero (ICASSP 2009)::

    f_l(eta) = mu s sgn(eta_l) / (1 + eps |eta_l| / s),      s = max_l |eta_l|

``mu`` and ``eps`` are relative to the current peak ``s``, so SCG does the same thing to a
spectrum whatever its scale. The attractor pulls small entries to zero much harder than
large ones: that is what narrows the beam.

How it is solved (a choice, documented in docs/scg.md). Algorithm 1 of the paper adds
the attractor to each CG step. That is a subgradient method: measured on the 4-element
array it still leaves peaks 2-3 degrees off and several degrees wide after 200 steps.
Here the attractor is written as a diagonal term, ``f_l = c_l eta_l`` with
``c_l = mu s / (|eta_l| (1 + eps |eta_l| / s))`` taken at the previous outer iterate
(lagged reweighting, as in IRLS or FOCUSS). Each outer iteration then solves the linear
system ``(P + D) eta = b``, ``D = diag(lambda + c)``, by conjugate gradients
preconditioned with ``D``, warm-started at the previous solution. The preconditioned
matrix ``I + D^-1/2 P D^-1/2`` is the identity plus rank ``r``, so CG converges in about
``r + 1`` steps however ill-conditioned ``P`` is (a preconditioner built on ``diag(P)``
loses this and leaves the result at the mercy of rounding):

1. Iteration 0 has ``c = 0``: plain CG on ``(P + lambda I) eta = b``. With ``mu = 0``
   SCG stops there and is an exact linear solve (used by the backward pass of
   :mod:`gnuradio.bearing.learned.scg_torch`).
2. With ``nonnegative``, ``eta`` is projected onto ``eta >= 0`` after each solve.
3. Entries with ``|eta_l| <= prune * s`` are set to zero and leave the
   problem (their weight ``c_l`` would be infinite); later solves run on the remaining
   "active" entries only, so they get cheaper as the spectrum becomes sparse.
4. The outer loop stops when the step ``||eta_k - eta_{k-1}||_2 <= tol ||eta_k||_2``
   (the paper's step-size test, made relative) or after ``max_iter`` iterations. Each
   inner CG stops when its residual is below ``cg_tol ||b_active||`` or after ``cg_iter``
   steps.

The system matrix comes either dense, ``P`` of shape ``(L, L)``, or factored,
``P = G^T G`` with ``G`` of shape ``(r, L)`` (see :mod:`gnuradio.bearing.doa.coarray`);
the factored form costs ``O(r L)`` per product instead of ``O(L^2)``.

This module is the numpy **reference**. The C++ kernel (``lib/scg.cc``, exposed as
``gnuradio.bearing.bearing_python``) implements the same steps in the same order, and the
tests check that the two agree to 1e-6 relative. :func:`solve` picks the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

MAX_ITERATIONS = 2**31 - 1
"""Upper bound of the iteration caps (the kernel's ``int``)."""


@dataclass(frozen=True)
class ScgOptions:
    """Parameters of SCG: lambda is the paper's 0.1; the paper gives no mu, and its
    epsilon = 0.5 belongs to its global attractor, not to this peak-relative one, so mu, eps
    and the stopping parameters are this module's choices (docs/scg.md). Iteration counts
    are stored as ``int`` (``30.0`` is accepted).

    Attributes:
        lam: ``lambda`` of eq. (21), ``> 0`` (paper: 0.1). In the units of ``P``.
        mu: attractor strength relative to the current peak, ``>= 0``; 0 gives plain CG.
        eps: attractor reweighting relative to the current peak, ``>= 0``.
        nonnegative: project onto ``eta >= 0`` (a power spectrum is non-negative).
        tol: relative step-size tolerance of the outer loop, ``>= 0``.
        max_iter: cap on outer (reweighting) iterations, ``>= 1``.
        cg_tol: relative residual tolerance of each inner CG solve, ``>= 0``.
        cg_iter: cap on the steps of each inner CG solve, ``>= 1``.
        prune: entries at or below this fraction of the peak are set to zero and leave the
            problem, ``0 < prune < 1`` (0 would leave infinite weights on vanishing entries).
    """

    lam: float = 0.1
    mu: float = 3.0
    eps: float = 10.0
    nonnegative: bool = True
    tol: float = 1e-4
    max_iter: int = 30
    cg_tol: float = 1e-10
    cg_iter: int = 32
    prune: float = 1e-3

    def __post_init__(self) -> None:
        checks = {
            "lam": self.lam > 0,
            "mu": self.mu >= 0,
            "eps": self.eps >= 0,
            "tol": self.tol >= 0,
            "cg_tol": self.cg_tol >= 0,
            "prune": 0 < self.prune < 1,
            "max_iter": int(self.max_iter) == self.max_iter and 1 <= self.max_iter <= MAX_ITERATIONS,
            "cg_iter": int(self.cg_iter) == self.cg_iter and 1 <= self.cg_iter <= MAX_ITERATIONS,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not (ok and np.isfinite(value)):
                bound = {
                    "lam": "> 0",
                    "prune": "in (0, 1)",
                    "max_iter": f"an integer in [1, {MAX_ITERATIONS}]",
                    "cg_iter": f"an integer in [1, {MAX_ITERATIONS}]",
                }
                raise ValueError(f"SCG option {name} must be {bound.get(name, '>= 0')}, got {value!r}")
        for name in ("max_iter", "cg_iter"):
            object.__setattr__(self, name, int(getattr(self, name)))


DEFAULT_OPTIONS = ScgOptions()


def solve(
    b: ArrayLike,
    *,
    projection: ArrayLike | None = None,
    factor: ArrayLike | None = None,
    options: ScgOptions = DEFAULT_OPTIONS,
    threads: int = 0,
) -> tuple[NDArray[np.floating], NDArray[np.int64]]:
    """SCG with the C++ kernel: ``(P + lambda I) eta = b`` plus the sparsity step.

    float32 ``b`` gives a float32 ``eta``, anything else float64; the matrix is used in
    float64 and the kernel's arithmetic is float64 either way (the reweighted systems are too
    ill-conditioned for float32). C-contiguous float64 inputs are passed to the kernel
    without a copy; the GIL is released while it runs.

    Args:
        b: right-hand sides, shape ``(L,)`` or ``(batch, L)``.
        projection: dense ``P``, shape ``(L, L)``.
        factor: ``G`` with ``P = G^T G``, shape ``(r, L)``. Give exactly one of the two.
        options: SCG parameters.
        threads: threads over the right-hand sides of a batch (0, or more than there are
            cores: one per core).

    Returns:
        ``eta`` shaped like ``b``, and the outer iterations per right-hand side.

    Raises:
        ValueError: a bad shape, NaN or infinity in ``b`` or the matrix, a bad option.
    """
    from ..bearing_python import scg as kernel

    matrix, factored = _system_matrix(projection, factor)
    if int(threads) != threads or threads < 0:
        raise ValueError(f"threads must be an integer >= 0, got {threads!r}")
    rhs = np.asarray(b)
    if np.iscomplexobj(rhs) or np.iscomplexobj(matrix):
        raise ValueError("b and the system matrix must be real, not complex")
    if rhs.dtype != np.float32:
        rhs = np.asarray(rhs, dtype=np.float64)
    eta, iterations = kernel(rhs, matrix, factored, _kernel_options(options), int(threads))
    return eta, iterations.reshape(rhs.shape[:-1])


def _kernel_options(options: ScgOptions):
    from ..bearing_python import scg_options

    native = scg_options()
    for name in ("lam", "mu", "eps", "nonnegative", "tol", "max_iter", "cg_tol", "cg_iter", "prune"):
        setattr(native, name, getattr(options, name))
    return native


def scg_reference(
    b: ArrayLike,
    *,
    projection: ArrayLike | None = None,
    factor: ArrayLike | None = None,
    options: ScgOptions = DEFAULT_OPTIONS,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Numpy reference of SCG (see the module docstring for the algorithm).

    Args:
        b: right-hand sides, shape ``(L,)`` or ``(batch, L)``, real.
        projection: dense ``P``, shape ``(L, L)``, symmetric positive semi-definite.
        factor: ``G`` with ``P = G^T G``, shape ``(r, L)``. Give exactly one of the two.
        options: SCG parameters.

    Returns:
        ``eta`` with the shape of ``b`` (float64), and the number of outer iterations per
        right-hand side (shape ``b.shape[:-1]``).
    """
    rhs, matrix, dense = _check_problem(b, projection, factor)
    flat = rhs.reshape(-1, rhs.shape[-1])
    results = [_solve_one(row, matrix, dense, options) for row in flat]
    eta = np.array([r[0] for r in results]).reshape(rhs.shape)
    iterations = np.array([r[1] for r in results], dtype=np.int64).reshape(rhs.shape[:-1])
    return eta, iterations


def algorithm1_reference(
    b: ArrayLike, *, factor: ArrayLike, options: ScgOptions = DEFAULT_OPTIONS, iterations: int = 200
) -> NDArray[np.float64]:
    """Algorithm 1 of the paper as printed, for comparison only (``bearing`` does not use it).

    One CG step (eqs. 22a-22d, Polak-Ribiere ``beta``) with the attractor subtracted from
    each update (eq. 27), step 4's typo fixed (the gradient at ``eta(n + 1)``), the step
    size's denominator ``c^T (P + lambda I) c`` of the system solved (step 2 prints
    ``c^T P c``), the
    attractor elementwise and relative to the peak as in :func:`solve`, the same projection
    onto ``eta >= 0`` and step-size stop; ``iterations`` caps the steps. It is a subgradient
    method, and it narrows the beam far more slowly than the lagged reweighting of
    :func:`solve`: tests/bench/scg_speed.py prints the comparison.

    Args:
        b: one right-hand side, shape ``(L,)``.
        factor: ``G``, shape ``(r, L)``, ``P = G^T G``.
        options: ``lam``, ``mu``, ``eps``, ``nonnegative`` and ``tol`` are used.
        iterations: maximum number of steps.

    Returns:
        ``eta``, shape ``(L,)``, float64.
    """
    rhs, g_factor, _ = _check_problem(b, None, factor)
    if rhs.ndim != 1:
        raise ValueError(f"algorithm1_reference takes one right-hand side of shape (L,), got {rhs.shape}")

    def apply(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return g_factor.T @ (g_factor @ v) + options.lam * v

    eta = np.zeros_like(rhs)
    gradient = -rhs
    direction = rhs.copy()
    for _ in range(iterations):
        product = apply(direction)
        curvature = direction @ product
        if curvature <= 0:
            break
        alpha = -(gradient @ direction) / curvature
        peak = np.max(np.abs(eta))
        attractor = options.mu * peak * np.sign(eta) / (1 + options.eps * np.abs(eta) / peak) if peak else 0.0
        updated = eta + alpha * direction - attractor
        if options.nonnegative:
            np.maximum(updated, 0.0, out=updated)
        next_gradient = apply(updated) - rhs
        beta = (next_gradient - gradient) @ next_gradient / (gradient @ gradient)
        direction = -next_gradient + beta * direction
        step = np.linalg.norm(updated - eta)
        eta, gradient = updated, next_gradient
        if step <= options.tol * np.linalg.norm(eta):
            break
    return eta


def _solve_one(
    b: NDArray[np.float64], matrix: NDArray[np.float64], dense: bool, options: ScgOptions
) -> tuple[NDArray[np.float64], int]:
    size = b.size
    eta = np.zeros(size)
    active = np.arange(size)
    weights = np.full(size, options.lam)
    iterations = 0
    while iterations < options.max_iter:
        iterations += 1
        previous = eta.copy()
        eta[active] = _pcg(matrix, dense, active, weights[active], b[active], eta[active], options)
        if options.nonnegative:
            np.maximum(eta, 0.0, out=eta)
        if options.mu == 0:
            break
        peak = np.max(np.abs(eta))
        if peak == 0:
            break
        magnitude = np.abs(eta[active])
        keep = magnitude > options.prune * peak
        eta[active[~keep]] = 0.0
        active, magnitude = active[keep], magnitude[keep]
        weights[active] = options.lam + options.mu * peak / (
            magnitude * (1.0 + options.eps * magnitude / peak)
        )
        if np.linalg.norm(eta - previous) <= options.tol * np.linalg.norm(eta):
            break
    return eta, iterations


def _pcg(
    matrix: NDArray[np.float64],
    dense: bool,
    active: NDArray[np.intp],
    diagonal: NDArray[np.float64],
    b: NDArray[np.float64],
    x: NDArray[np.float64],
    options: ScgOptions,
) -> NDArray[np.float64]:
    """CG on ``(P_AA + D) x = b`` with ``D = diag(diagonal)`` as preconditioner, from ``x`` (active set A)."""
    sub = matrix[np.ix_(active, active)] if dense else matrix[:, active]

    def apply(v: NDArray[np.float64]) -> NDArray[np.float64]:
        product = sub @ v if dense else sub.T @ (sub @ v)
        return product + diagonal * v

    x = x.copy()
    residual = b - apply(x)
    preconditioner = 1.0 / diagonal
    z = preconditioner * residual
    direction = z.copy()
    rz = residual @ z
    threshold = options.cg_tol * np.linalg.norm(b)
    for _ in range(options.cg_iter):
        if np.linalg.norm(residual) <= threshold:
            break
        product = apply(direction)
        curvature = direction @ product
        if curvature <= 0:
            break
        step = rz / curvature
        x += step * direction
        residual -= step * product
        z = preconditioner * residual
        rz_next = residual @ z
        direction = z + (rz_next / rz) * direction
        rz = rz_next
    return x


def _system_matrix(projection: ArrayLike | None, factor: ArrayLike | None) -> tuple[NDArray, bool]:
    """The one matrix given, as an array, and whether it is the factor ``G``."""
    if (projection is None) == (factor is None):
        raise ValueError("give exactly one of projection (P, shape (L, L)) and factor (G, shape (r, L))")
    return np.asarray(projection if factor is None else factor), factor is not None


def _check_problem(
    b: ArrayLike, projection: ArrayLike | None, factor: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], bool]:
    values, factored = _system_matrix(projection, factor)
    dense = not factored
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2 or (dense and matrix.shape[0] != matrix.shape[1]):
        name = "projection P must be square (L, L)" if dense else "factor G must be 2-D (r, L)"
        raise ValueError(f"{name}, got shape {matrix.shape}")
    rhs = np.asarray(b, dtype=np.float64)
    if rhs.ndim not in (1, 2) or rhs.shape[-1] != matrix.shape[1]:
        raise ValueError(f"b must have shape (L,) or (batch, L) with L = {matrix.shape[1]}, got {rhs.shape}")
    if not np.all(np.isfinite(rhs)):
        raise ValueError("b contains NaN or infinite values")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("the system matrix contains NaN or infinite values")
    return rhs, matrix, dense
