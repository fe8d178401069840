"""Azimuth grids: the search grids of the spectrum estimators (degrees, SigMF frame), whether a grid
wraps around the full circle, and spectra in dB."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FULL_CIRCLE_DEG = 360.0
"""One turn, degrees: a grid that spans it is circular (its last step wraps to its start)."""


def is_full_circle(grid_deg: NDArray[np.float64]) -> bool:
    """True when a uniform increasing grid covers 360 degrees (the next step wraps to its start)."""
    if grid_deg.size < 3:
        return False
    steps = np.diff(grid_deg)
    return bool(
        np.allclose(steps, steps[0]) and np.isclose(grid_deg[-1] + steps[0] - grid_deg[0], FULL_CIRCLE_DEG)
    )


MAX_GRID_POINTS = 100_000
"""Largest grid :func:`azimuth_grid` makes (0.0036 deg over the full circle)."""


def azimuth_grid(start_deg: float, stop_deg: float, step_deg: float) -> NDArray[np.float64]:
    """Azimuth grid ``start, start + step, ..., stop`` in degrees (stop included when on the grid).

    A grid spanning a full circle or more stops short of ``start + 360`` (``-180 .. 180``
    gives -180 .. 179 at 1 deg), so that peak search treats it as circular.
    """
    if not step_deg > 0:
        raise ValueError(f"grid_step_deg must be positive, got {step_deg}")
    if not stop_deg > start_deg:
        raise ValueError(f"grid_stop_deg ({stop_deg}) must exceed grid_start_deg ({start_deg})")
    on_line = int(np.floor((stop_deg - start_deg) / step_deg + 1e-9)) + 1
    below_full_circle = int(np.ceil(360.0 / step_deg - 1e-9))
    count = min(on_line, below_full_circle)
    if count > MAX_GRID_POINTS:
        raise ValueError(
            f"the azimuth grid {start_deg}..{stop_deg} step {step_deg} deg has {count} points; "
            f"at most {MAX_GRID_POINTS} are supported"
        )
    return start_deg + step_deg * np.arange(count)


def power_to_db(power: ArrayLike, reference: float) -> NDArray[np.float64]:
    """Powers in dB relative to ``reference``, floored at -100 dB (also for reference <= 0)."""
    ratio = np.asarray(power, dtype=np.float64) / reference if reference > 0 else np.zeros(np.shape(power))
    return 10.0 * np.log10(np.maximum(ratio, 1e-10))


def check_grid(grid_deg: ArrayLike) -> NDArray[np.float64]:
    grid = np.array(grid_deg, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2:
        raise ValueError(f"grid_deg must be 1-D with at least 2 azimuths, got shape {grid.shape}")
    if not np.all(np.isfinite(grid)):
        raise ValueError("grid_deg contains NaN or infinite values")
    if not np.all(np.diff(grid) > 0):
        raise ValueError("grid_deg must be strictly increasing")
    grid.flags.writeable = False
    return grid


def within_a_step(values: ArrayLike, grid_deg: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether each value lies within one end step of the grid's range (``grid_deg`` increasing,
    at least two points): where a grid-free estimate still counts as inside the grid."""
    v = np.asarray(values, dtype=np.float64)
    return (v >= grid_deg[0] - (grid_deg[1] - grid_deg[0])) & (
        v <= grid_deg[-1] + (grid_deg[-1] - grid_deg[-2])
    )
