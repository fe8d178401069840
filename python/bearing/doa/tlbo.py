"""Teaching-learning-based optimisation: Rao's TLBO and the inter-disciplinary IDL-TLBO.

* :func:`tlbo`: Rao, Savsani and Vakharia, "Teaching-learning-based optimization: a novel method
  for constrained mechanical design optimization problems", Computer-Aided Design 43 (2011).
  A population of N learners (candidate solutions, rows of ``(N, D)``) within box bounds. Each
  iteration has a **teacher phase**, ``X' = X + r (T - T_F mean(X))`` with the best learner T as
  the teacher, ``T_F`` drawn from {1, 2} per learner and ``r ~ U(0, 1)^D``, and a **learner
  phase**, ``X' = X + r (X - X_j)`` when learner i is better than a random partner j, else
  ``X + r (X_j - X)``; a move is kept only when it improves the learner (greedy selection).
* :func:`idl_tlbo`: Aquino and Vairavel, "A novel TLBO-based antenna array imperfection
  calibration for effective DOA estimation in mmWave mMIMO systems", IJAP 2025, Sec. 5 and
  Table 2. Two disciplines of learners share one objective ``f(u, v)`` of two blocks of
  variables: discipline 1 searches ``u`` with ``v`` fixed at discipline 2's best, discipline 2
  searches ``v`` with ``u`` fixed at discipline 1's best, and each iteration ends with the two
  sharing their best. The paper's update rules (23)-(28) are missing from its text; what is
  built here, and why, is in :func:`idl_tlbo`'s docstring.

The whole population is evaluated in one call of the objective, ``f(X) -> (N,)`` (numpy
broadcasting or torch), so an iteration costs two batched evaluations per discipline. Every
draw comes from one ``numpy.random.Generator`` seeded by ``seed``: a run is deterministic.
Shapes: learners ``(N, D)`` float64, objective values ``(N,)`` float64; lower is better.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

Objective = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""``f(X)``: the objective of every learner, ``(N, D) -> (N,)``; lower is better."""
JointObjective = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]
"""``f(U, V)``: the objective of learners ``(N, D_u)`` and ``(N, D_v)`` paired row by row."""


@dataclass(frozen=True)
class Result:
    """The best learner ``x`` (``(D,)``; for IDL-TLBO the concatenation ``[u, v]``), its value,
    the best value after each iteration (``(iterations + 1,)``, the first: the initial
    population's) and the objective evaluations made (learners evaluated)."""

    x: NDArray[np.float64]
    value: float
    history: NDArray[np.float64] = field(repr=False)
    evaluations: int


def _bounds(lower: ArrayLike, upper: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    low, high = (np.atleast_1d(np.asarray(b, dtype=np.float64)) for b in (lower, upper))
    if low.shape != high.shape or low.ndim != 1 or not np.all(np.isfinite(low) & np.isfinite(high)):
        raise ValueError(
            f"lower and upper: finite bounds of one shape (D,), got {low.shape} and {high.shape}"
        )
    if np.any(high <= low):
        raise ValueError("upper: every bound must lie above its lower bound")
    return low, high


def _check_population(size: int, iterations: int) -> None:
    if int(size) != size or size < 2:
        raise ValueError(f"population: at least 2 learners, got {size!r}")
    if int(iterations) != iterations or iterations < 0:
        raise ValueError(f"iterations: a count >= 0, got {iterations!r}")


def _values(objective: Objective, learners: NDArray[np.float64]) -> NDArray[np.float64]:
    """The objective of every learner, checked: ``(N,)``, NaN counted as worst (infinite)."""
    values = np.asarray(objective(learners), dtype=np.float64).reshape(-1)
    if values.shape != (learners.shape[0],):
        raise ValueError(
            f"the objective must give one value per learner, {learners.shape[0]}, got {values.shape}"
        )
    return np.where(np.isnan(values), np.inf, values)


def teacher_phase(
    learners: NDArray[np.float64],
    values: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Rao's teacher phase: ``X + r (T - T_F mean(X))``, T the best learner, ``T_F`` in {1, 2}."""
    teacher = learners[np.argmin(values)]
    teaching_factor = rng.integers(1, 3, size=(learners.shape[0], 1))
    return learners + rng.random(learners.shape) * (teacher - teaching_factor * learners.mean(axis=0))


def learner_phase(
    learners: NDArray[np.float64],
    values: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Rao's learner phase: each learner moves towards a random other learner that is better,
    away from one that is worse (``X + r (X - X_j)`` or ``X + r (X_j - X)``)."""
    count = learners.shape[0]
    partner = (np.arange(count) + rng.integers(1, count, size=count)) % count  # never itself
    direction = np.where((values < values[partner])[:, None], 1.0, -1.0)
    return learners + rng.random(learners.shape) * direction * (learners - learners[partner])


def tlbo(
    objective: Objective,
    lower: ArrayLike,
    upper: ArrayLike,
    population: int = 50,
    iterations: int = 100,
    seed: int = 0,
    initial: ArrayLike | None = None,
) -> Result:
    """Rao's TLBO (module docstring): minimises ``objective`` over the box ``[lower, upper]``.

    Args:
        objective: ``f(X) -> (N,)`` for learners ``(N, D)``.
        lower, upper: ``(D,)`` bounds; moves are clipped to them.
        population: N learners.
        iterations: teacher and learner phases; each evaluates the population once.
        seed: seeds every draw.
        initial: ``(N0, D)`` learners to start from (the rest drawn uniformly in the box).
    """
    low, high = _bounds(lower, upper)
    _check_population(population, iterations)
    rng = np.random.default_rng(seed)
    learners = _initial(low, high, population, rng, initial)
    values = _values(objective, learners)
    history, evaluations = [values.min()], population
    for _ in range(iterations):
        for phase in (teacher_phase, learner_phase):
            learners, values = _greedy(objective, learners, values, phase(learners, values, rng), low, high)
            evaluations += population
        history.append(values.min())
    best = int(np.argmin(values))
    return Result(learners[best].copy(), float(values[best]), np.asarray(history), evaluations)


def _initial(
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    population: int,
    rng: np.random.Generator,
    initial: ArrayLike | None,
) -> NDArray[np.float64]:
    learners = low + rng.random((population, low.size)) * (high - low)
    if initial is not None:
        given = np.atleast_2d(np.asarray(initial, dtype=np.float64))[:population]
        if given.shape[1] != low.size:
            raise ValueError(f"initial: learners of {low.size} variables, got shape {given.shape}")
        learners[: given.shape[0]] = np.clip(given, low, high)
    return learners


def _greedy(
    objective: Objective,
    learners: NDArray[np.float64],
    values: NDArray[np.float64],
    moved: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Keeps each learner's move (clipped to the box) when it improves its value."""
    moved = np.clip(moved, low, high)
    new_values = _values(objective, moved)
    better = new_values < values
    return np.where(better[:, None], moved, learners), np.where(better, new_values, values)


INERTIA_START, INERTIA_END = 0.9, 0.4
"""The inertia weight of IDL-TLBO's underachievers, decreasing linearly over the iterations
(the usual schedule of particle swarms; the paper gives no values)."""


def _superior(values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The superior learners: a value at or below the mean of the finite values, the best always
    among them (a mean rounded below equal values would leave none; all learners when none is
    finite); the others are the underachievers."""
    finite = np.isfinite(values)
    if not np.any(finite):
        return np.ones(values.shape, dtype=bool)
    return values <= max(values[finite].mean(), values.min())


def _idl_teacher(
    learners: NDArray[np.float64], values: NDArray[np.float64], rng: np.random.Generator, inertia: float
) -> NDArray[np.float64]:
    """IDL-TLBO's teacher phase (our eqs. 23-24): the superior learners move as in Rao's teacher
    phase; the underachievers go straight towards the teacher, ``X + r (T - X)``."""
    teacher = learners[np.argmin(values)]
    direct = learners + rng.random(learners.shape) * (teacher - learners)
    return np.where(_superior(values)[:, None], teacher_phase(learners, values, rng), direct)


def _idl_learner(
    learners: NDArray[np.float64], values: NDArray[np.float64], rng: np.random.Generator, inertia: float
) -> NDArray[np.float64]:
    """IDL-TLBO's learner phase (our eqs. 27-28): the superior learners learn from a random
    neighbour as in Rao's learner phase; an underachiever follows the teacher, weighted by the
    inertia weight ``w``, and a random superior learner: ``X + w r1 (T - X) + r2 (X_s - X)``."""
    superior = _superior(values)
    teacher = learners[np.argmin(values)]
    mentors = np.flatnonzero(superior)
    mentor = learners[mentors[rng.integers(0, mentors.size, size=learners.shape[0])]]
    follow = (
        learners
        + inertia * rng.random(learners.shape) * (teacher - learners)
        + rng.random(learners.shape) * (mentor - learners)
    )
    return np.where(superior[:, None], learner_phase(learners, values, rng), follow)


def idl_tlbo(
    objective: JointObjective,
    bounds_u: tuple[ArrayLike, ArrayLike],
    bounds_v: tuple[ArrayLike, ArrayLike],
    population: int = 50,
    iterations: int = 100,
    seed: int = 0,
    initial_u: ArrayLike | None = None,
    initial_v: ArrayLike | None = None,
    variant: str = "idl",
) -> Result:
    """IDL-TLBO: minimises ``objective(u, v)`` by two disciplines of learners (module docstring).

    Each iteration, for each discipline in turn (1: the ``u`` learners against discipline 2's
    best ``v``; 2: the ``v`` learners against discipline 1's best ``u``): its learners are
    evaluated against the other discipline's current best (which may have moved), then its
    teacher phase and its learner phase each move every learner and keep the moves that
    improve it; then the disciplines share their best (Table 2, lines 25-26).

    The paper's update rules (23)-(28) are missing from its text. ``variant="idl"`` (default)
    is our reading of Sec. 5 and Table 2: each discipline splits its learners at the mean value
    into superior learners and underachievers; the superior learners move by Rao's rules (eqs.
    23 and 27), the underachievers straight towards the teacher in the teacher phase (24) and,
    in the learner phase (28), towards the teacher weighted by an inertia weight falling from
    :data:`INERTIA_START` to :data:`INERTIA_END` and towards a random superior learner.
    ``variant="tlbo"`` runs Rao's plain phases in both disciplines (the two-discipline split of
    the variables alone).

    Args:
        objective: ``f(U, V) -> (N,)`` for learners ``U`` ``(N, D_u)`` and ``V`` ``(N, D_v)``.
        bounds_u, bounds_v: ``(lower, upper)`` of each block, ``(D_u,)`` and ``(D_v,)``.
        population: N learners per discipline.
        iterations: of both disciplines; each evaluates 3 N learners per discipline.
        seed: seeds every draw.
        initial_u, initial_v: learners to start each discipline from (the first row of each is
            also the first shared best); the rest drawn uniformly in the box.
        variant: ``"idl"`` or ``"tlbo"``.

    Returns:
        :class:`Result` with ``x = [u, v]``.
    """
    if variant not in ("idl", "tlbo"):
        raise ValueError(f"variant: 'idl' or 'tlbo', got {variant!r}")
    _check_population(population, iterations)
    rng = np.random.default_rng(seed)
    boxes = [_bounds(*bounds_u), _bounds(*bounds_v)]
    groups = [
        _initial(low, high, population, rng, start)
        for (low, high), start in zip(boxes, (initial_u, initial_v), strict=True)
    ]
    best = [group[0].copy() for group in groups]

    def discipline(index: int) -> Objective:
        other = best[1 - index]

        def evaluate(learners: NDArray[np.float64]) -> NDArray[np.float64]:
            paired = np.broadcast_to(other, (learners.shape[0], other.size))
            return objective(learners, paired) if index == 0 else objective(paired, learners)

        return evaluate

    phases = (
        (lambda x, f, rng, _: teacher_phase(x, f, rng), lambda x, f, rng, _: learner_phase(x, f, rng))
        if variant == "tlbo"
        else (_idl_teacher, _idl_learner)
    )
    history, evaluations, value = [], 0, np.inf
    for iteration in range(iterations + 1):
        inertia = INERTIA_START + (INERTIA_END - INERTIA_START) * iteration / max(iterations, 1)
        for index, (low, high) in enumerate(boxes):
            f = discipline(index)
            values = _values(f, groups[index])
            evaluations += population
            if iteration:
                for phase in phases:
                    moved = phase(groups[index], values, rng, inertia)
                    groups[index], values = _greedy(f, groups[index], values, moved, low, high)
                    evaluations += population
            best[index] = groups[index][np.argmin(values)].copy()
            value = float(values.min())
        history.append(value)
    return Result(np.concatenate(best), value, np.asarray(history), evaluations)
