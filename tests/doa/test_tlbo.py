"""TLBO and IDL-TLBO (doa/tlbo.py): convergence on known objectives, determinism, the batched
evaluation count, bounds and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.doa.tlbo import idl_tlbo, tlbo


def sphere(x):
    return np.sum((x - 0.3) ** 2, axis=1)


def rastrigin(x):
    return 10 * x.shape[1] + np.sum(x**2 - 10 * np.cos(2 * np.pi * x), axis=1)


def coupled(u, v):
    """Two blocks that depend on each other: the best u depends on v and the reverse."""
    return np.sum((u - 1) ** 2, axis=1) + np.sum((v + 2) ** 2, axis=1) + 0.1 * np.sum(u * v, axis=1) ** 2


def test_tlbo_finds_the_minimum_of_a_sphere_within_its_evaluations():
    result = tlbo(sphere, -5 * np.ones(10), 5 * np.ones(10), population=30, iterations=200, seed=1)
    assert result.value < 1e-12 and np.allclose(result.x, 0.3, atol=1e-6)
    assert result.evaluations == 30 * (1 + 2 * 200) and result.history.shape == (201,)
    assert np.all(np.diff(result.history) <= 0)  # greedy: the best never gets worse


def test_tlbo_escapes_most_local_minima_of_rastrigin():
    """Rastrigin in 10-D has 10^10 local minima; random search from 12,000 draws stays near 100."""
    values = [
        tlbo(rastrigin, -5.12 * np.ones(10), 5.12 * np.ones(10), population=40, iterations=300, seed=s).value
        for s in range(3)
    ]
    rng = np.random.default_rng(0)
    random_search = rastrigin(rng.uniform(-5.12, 5.12, (40 * 601, 10))).min()
    assert max(values) < 15 < random_search


@pytest.mark.parametrize("variant", ["idl", "tlbo"])
def test_idl_tlbo_solves_two_coupled_blocks(variant):
    box = (-5 * np.ones(4), 5 * np.ones(4))
    result = idl_tlbo(coupled, box, box, population=20, iterations=100, seed=0, variant=variant)
    reference = tlbo(lambda x: coupled(x[:, :4], x[:, 4:]), -5 * np.ones(8), 5 * np.ones(8), 40, 300, seed=0)
    assert result.value == pytest.approx(reference.value, rel=1e-3)
    assert result.value == pytest.approx(coupled(result.x[None, :4], result.x[None, 4:])[0])
    assert result.evaluations == 2 * 20 * (1 + 3 * 100)


def test_runs_are_deterministic_for_a_seed_and_differ_between_seeds():
    box = (-5 * np.ones(4), 5 * np.ones(4))
    first, again, other = (idl_tlbo(coupled, box, box, iterations=20, seed=s) for s in (3, 3, 4))
    assert np.array_equal(first.x, again.x) and np.array_equal(first.history, again.history)
    assert not np.array_equal(first.x, other.x)


def test_learners_stay_in_their_box_and_a_start_is_used():
    seen = []

    def recording(x):
        seen.append(x.copy())
        return sphere(x)

    result = tlbo(
        recording, [0.5, -1.0], [2.0, 1.0], population=8, iterations=10, seed=0, initial=[[1.0, 0.3]]
    )
    every = np.concatenate(seen)
    assert np.all((every >= [0.5, -1.0]) & (every <= [2.0, 1.0]))
    assert np.allclose(seen[0][0], [1.0, 0.3]) and result.x[0] == pytest.approx(0.5)  # on its bound


def test_nan_objective_values_count_as_worst():
    result = tlbo(lambda x: np.where(x[:, 0] > 0, np.nan, sphere(x)), -np.ones(2), np.ones(2), 10, 30, seed=0)
    assert np.isfinite(result.value) and result.x[0] <= 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population": 1}, "population: at least 2 learners"),
        ({"iterations": -1}, "iterations: a count >= 0"),
        ({"lower": [0, 0], "upper": [1]}, "lower and upper: finite bounds of one shape"),
        ({"lower": [0, 1], "upper": [1, 1]}, "every bound must lie above its lower bound"),
        ({"objective": lambda x: np.zeros(3)}, "one value per learner"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    arguments = {"objective": sphere, "lower": [0, 0], "upper": [1, 1], "population": 5, "iterations": 2}
    with pytest.raises(ValueError, match=message):
        tlbo(**(arguments | kwargs))
    with pytest.raises(ValueError, match="variant: 'idl' or 'tlbo'"):
        idl_tlbo(coupled, ([0], [1]), ([0], [1]), variant="paper")


def test_learners_of_one_value_keep_a_superior_learner() -> None:
    """A mean rounded below equal values must not leave the underachievers without a mentor."""
    from gnuradio.bearing.doa.tlbo import _superior

    values = np.full(30, 40.97352393619469)  # its mean rounds below it
    assert np.any(_superior(values))
    assert _superior(np.array([np.inf, np.inf])).all()
