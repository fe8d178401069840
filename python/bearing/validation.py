"""Checks of the values handed to the module, in one place.

Each check returns the value in its plain Python type (``int``, ``float``) or raises
``ValueError`` with a message that names the parameter, what it must be and what it got.
Every room of the package uses these; this module imports nothing of the package.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

AUTO_SOURCES = 0
"""``num_sources`` of an estimator set to "auto": the count comes from a source counter upstream."""


def check_integer(value: object, name: str, low: int) -> int:
    """``value`` as an int if it is an integer ``>= low`` (integral floats accepted), else a ValueError."""
    integral = isinstance(value, int | np.integer) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not integral or value < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
    return int(value)


def check_integer_in(name: str, value: int, low: int, high: int | None, where: str = "") -> int:
    """``value`` as an int in ``low .. high`` (``high`` None: no upper bound), else ValueError naming it.

    Only true integers pass (``operator.index``: no floats, no bools). ``where`` completes the
    message, e.g. ``" for k_tc = 2"``.
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name}: must be an integer, got {value!r}") from None
    if value < low or (high is not None and value > high):
        rule = f"in {low} .. {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name}: must be {rule}{where}, got {value}")
    return value


def check_count(value: int, name: str) -> int:
    """``value`` as an int; ``ValueError`` unless it is a positive integer (a count of elements,
    snapshots, ...)."""
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_number(value: object, name: str, low: float = -np.inf, high: float = np.inf) -> float:
    """``value`` as a float if it is a finite number in ``[low, high]``, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name}: must be a number, got {value!r}")
    if not np.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name}: must be a finite number in [{low}, {high}], got {value!r}")
    return float(value)


def check_positive(value: float, name: str) -> float:
    """``value`` as a float; ``ValueError`` unless it is a positive finite number."""
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def is_positive_number(value: object) -> bool:
    """Whether ``value`` is a real number (not a bool) in ``(0, inf)``: for fields read from files."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(0 < value < np.inf)


def check_num_sources(num_sources: int, auto: bool = False) -> int:
    """``num_sources`` as an int; ``ValueError`` unless it is a positive integer (or, with
    ``auto``, :data:`AUTO_SOURCES`)."""
    lowest = AUTO_SOURCES if auto else 1
    if int(num_sources) != num_sources or num_sources < lowest:
        wanted = (
            "an integer >= 0 (0: auto, the count of a source counter upstream)"
            if auto
            else "a positive integer"
        )
        raise ValueError(f"num_sources must be {wanted}, got {num_sources!r}")
    return int(num_sources)


def check_subspace_sources(num_sources: int, num_elements: int) -> int:
    """``num_sources`` as an int; ``ValueError`` unless ``1 <= K <= M - 1``: a signal subspace of
    ``K`` dimensions leaves a noise subspace in ``M`` elements."""
    if int(num_sources) != num_sources or not 1 <= num_sources <= num_elements - 1:
        raise ValueError(
            f"num_sources must be an integer in [1, M - 1] = [1, {num_elements - 1}] for M = "
            f"{num_elements} elements, got {num_sources!r}"
        )
    return int(num_sources)


def check_source_count(num_sources: int) -> int:
    """``num_sources`` as an int; ``ValueError`` unless it is an integer ``>= 0`` (a count of
    emitters, which may be none)."""
    if int(num_sources) != num_sources or num_sources < 0:
        raise ValueError(f"num_sources must be an integer >= 0, got {num_sources!r}")
    return int(num_sources)
