"""Checks of the values handed to the module, in one place.

Each check returns the value in its plain Python type (``int``, ``float``) or raises
``ValueError`` with a message that names the parameter, what it must be and what it got.
Every room of the package uses these; this module imports nothing of the package.

One rule decides what counts as an integer (:func:`whole_number`): an ``int`` or a numpy
integer, or a float without a fractional part where the parameter allows it; never a bool.
The checks differ only in the range they accept and in their messages, which tests and users'
scripts match on.
"""

from __future__ import annotations

import numbers

import numpy as np

AUTO_SOURCES = 0
"""``num_sources`` of an estimator set to "auto": the count comes from a source counter upstream."""


def whole_number(value: object, floats: bool = True) -> int | None:
    """``value`` as an int if it is a whole number, else None: an ``int`` or numpy integer, or
    (with ``floats``) a finite float without a fractional part; never a bool. A 0-d array is
    taken as its element."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if floats and isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return None


def check_integer(value: object, name: str, low: int) -> int:
    """``value`` as an int if it is an integer ``>= low`` (integral floats accepted), else a ValueError."""
    number = whole_number(value)
    if number is None or number < low:
        raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
    return number


def check_integer_in(name: str, value: int, low: int, high: int | None, where: str = "") -> int:
    """``value`` as an int in ``low .. high`` (``high`` None: no upper bound), else ValueError naming it.

    Only true integers pass (no floats). ``where`` completes the message, e.g. ``" for k_tc = 2"``.
    """
    number = whole_number(value, floats=False)
    if number is None:
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    if number < low or (high is not None and number > high):
        rule = f"in {low} .. {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name}: must be {rule}{where}, got {number}")
    return number


def check_count(value: int, name: str) -> int:
    """``value`` as an int; ``ValueError`` unless it is a positive integer (a count of elements,
    snapshots, ...)."""
    number = whole_number(value)
    if number is None or number < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return number


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


def is_real_number(value: object) -> bool:
    """Whether ``value`` is a real number and not a bool (a string, None, a list are not): for
    fields read from files."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_positive_number(value: object) -> bool:
    """Whether ``value`` is a real number (not a bool) in ``(0, inf)``: for fields read from files."""
    return is_real_number(value) and bool(0 < value < np.inf)


def check_num_sources(num_sources: int, auto: bool = False) -> int:
    """The sources an estimator reports: a positive integer, or with ``auto``
    :data:`AUTO_SOURCES` (a source counter upstream says how many); ``ValueError`` otherwise."""
    number = whole_number(num_sources)
    if number is None or number < (AUTO_SOURCES if auto else 1):
        wanted = (
            "an integer >= 0 (0: auto, the count of a source counter upstream)"
            if auto
            else "a positive integer"
        )
        raise ValueError(f"num_sources must be {wanted}, got {num_sources!r}")
    return number


def check_subspace_sources(num_sources: int, num_elements: int) -> int:
    """``num_sources`` as an int; ``ValueError`` unless ``1 <= K <= M - 1``: a signal subspace of
    ``K`` dimensions leaves a noise subspace in ``M`` elements."""
    number = whole_number(num_sources)
    if number is None or not 1 <= number <= num_elements - 1:
        raise ValueError(
            f"num_sources must be an integer in [1, M - 1] = [1, {num_elements - 1}] for M = "
            f"{num_elements} elements, got {num_sources!r}"
        )
    return number


def check_source_count(num_sources: int) -> int:
    """A count of emitters, which may be none (the bearings OMC-DOA reports): an integer ``>= 0``.
    Unlike :func:`check_num_sources` with ``auto``, 0 means no source here, not a counter's count."""
    number = whole_number(num_sources)
    if number is None or number < 0:
        raise ValueError(f"num_sources must be an integer >= 0, got {num_sources!r}")
    return number
