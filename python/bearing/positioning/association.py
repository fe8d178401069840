"""Which bearing lines belong to one emitter, when the bearings carry no emitter id.

Bearings with an id (an SRS UE's) are grouped by it and never come here. For the others of one
epoch the rule is a greedy search over association hypotheses (one line or none per station):

1. every hypothesis with lines from at least ``min(3, stations)`` stations is solved
   (:func:`~.triangulation.solve_fix`, no robust loss, no gating);
2. a hypothesis is *consistent* when every one of its lines passes within ``gate_sigma``
   standard deviations of its fix (two lines always cross: with two stations every crossing is
   consistent, and only a third station tells an emitter from a ghost);
3. the consistent hypothesis with the most lines, then the smallest cost (sum of squared
   whitened residuals), is an emitter; its lines are removed, and the search starts again on
   the lines left, until no consistent hypothesis remains.

The number of hypotheses of a search is the product over stations of (lines + 1); over
``max_hypotheses`` in all the searches of an epoch, the epoch's association is refused
(:class:`AssociationError`): label the emitters, or fuse fewer stations per process
(docs/positioning.md).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .triangulation import FixError, Lines, solve_fix

MAX_HYPOTHESES = 4096


class AssociationError(ValueError):
    """Too many hypotheses to search (module docstring)."""


def associate(
    lines: Lines, station_of: ArrayLike, gate_sigma: float = 3.0, max_hypotheses: int = MAX_HYPOTHESES
) -> list[NDArray[np.intp]]:
    """Groups of line indices, one group per emitter found (module docstring); ``station_of``
    ``(L,)`` the station of each line. Lines in no group are left out."""
    station_of = np.asarray(station_of)
    remaining = np.ones(len(lines), dtype=bool)
    groups = []
    searched = 0
    while True:
        options = [
            [*np.flatnonzero(remaining & (station_of == station)), None]
            for station in np.unique(station_of[remaining])
        ]
        if len(options) < 2:
            return groups
        searched += math.prod(len(o) for o in options)
        if searched > max_hypotheses:
            raise AssociationError(
                f"{searched} association hypotheses (over {max_hypotheses} in one epoch): give the bearings "
                "emitter ids or fuse fewer stations per process"
            )
        best = _best_hypothesis(lines, options, min(3, len(options)), gate_sigma)
        if best is None:
            return groups
        groups.append(best)
        remaining[best] = False


def _best_hypothesis(
    lines: Lines, options: list[list], min_lines: int, gate_sigma: float
) -> NDArray[np.intp] | None:
    best, best_key = None, None
    for choice in itertools.product(*options):
        picked = np.array([i for i in choice if i is not None], dtype=np.intp)
        if len(picked) < min_lines or (best_key is not None and len(picked) < best_key[0]):
            continue
        keep = np.zeros(len(lines), dtype=bool)
        keep[picked] = True
        try:
            fix = solve_fix(lines.subset(keep), gate_sigma=math.inf, loss="linear")
        except FixError:
            continue
        if np.max(np.abs(fix.residuals)) > gate_sigma:
            continue
        key = (len(picked), -fix.cost)
        if best_key is None or key > best_key:
            best, best_key = picked, key
    return best
