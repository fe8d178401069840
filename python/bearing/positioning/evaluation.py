"""Fixes scored against the truth of a scene (``bearing evaluate-positions``).

Each fix is placed in the truth's ENU frame (from its latitude and longitude) and compared
with the truth at its time (linear interpolation between the truth's samples): with its
emitter when it carries an id the truth knows, otherwise with the emitter its track matches
most often (each fix's nearest emitter votes for its track's), so that a track that swaps
emitters counts its errors. The error is horizontal (east, north), metres. Beside it, the
fix's own covariance: the inverse Fisher information of the stations' bearing variances at
the fix, which is the position CRB at the fix (not at the truth: close to it when the error
is small against the range), and the filtered track's error when the fixes carry one.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from .frames import LocalFrame

SUMMARY_KEYS = ("fixes", "rmse_m", "p50_m", "p80_m", "p95_m", "crb_rmse_m", "rmse_over_crb", "track_rmse_m")


@dataclass(frozen=True)
class Truth:
    """A scene's truth: ``time_s`` ``(T,)`` and each emitter's ENU positions ``(T, 2)`` about ``origin``."""

    origin: LocalFrame
    time_s: np.ndarray
    positions: dict[str, np.ndarray]

    @classmethod
    def from_dict(cls, fields: dict) -> Truth:
        """A ``truth.json`` of :meth:`~gnuradio.bearing.positioning.scene.Scene.truth`."""
        try:
            origin = LocalFrame(**fields["origin"])
            time_s = np.asarray(fields["time_s"], dtype=np.float64)
            positions = {
                name: np.stack((np.asarray(e["east_m"], float), np.asarray(e["north_m"], float)), axis=1)
                for name, e in fields["emitters"].items()
            }
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a truth file ({type(error).__name__}: {error})") from None
        if not positions or any(len(p) != len(time_s) for p in positions.values()):
            raise ValueError("not a truth file: every emitter needs one position per time")
        return cls(origin, time_s, positions)

    def at(self, time_s: float) -> dict[str, np.ndarray]:
        """Every emitter's position ``(2,)`` at ``time_s``."""
        return {
            name: np.array([np.interp(time_s, self.time_s, p[:, 0]), np.interp(time_s, self.time_s, p[:, 1])])
            for name, p in self.positions.items()
        }


def score_fixes(fixes: list[dict], truth: Truth) -> dict[str, dict]:
    """Summaries (``SUMMARY_KEYS``) per emitter and over all (``"all"``); ValueError when a fix
    has no geodetic position."""
    placed = []
    for fix in fixes:
        if "latitude_deg" not in fix:
            raise ValueError(
                "a fix without latitude_deg/longitude_deg: give `bearing locate` a geodetic origin"
            )
        enu = truth.origin.to_enu(fix["latitude_deg"], fix["longitude_deg"], fix.get("altitude_m", 0.0))[:2]
        placed.append((fix, enu, truth.at(fix["time_s"])))
    votes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for fix, enu, truths in placed:
        nearest = min(truths, key=lambda name: np.linalg.norm(truths[name] - enu))
        votes[fix["track_id"]][nearest] += 1
    rows: dict[str, list] = collections.defaultdict(list)
    for fix, enu, truths in placed:
        emitter = fix.get("emitter")
        if emitter not in truths:
            emitter = votes[fix["track_id"]].most_common(1)[0][0]
        track_error = np.nan
        track = fix.get("track", {})
        if "latitude_deg" in track:
            track_enu = truth.origin.to_enu(track["latitude_deg"], track["longitude_deg"], 0.0)[:2]
            track_error = float(np.linalg.norm(track_enu - truths[emitter]))
        covariance = np.asarray(fix["covariance_m2"], dtype=np.float64)[:2, :2]
        rows[emitter].append(
            (float(np.linalg.norm(enu - truths[emitter])), float(np.trace(covariance)), track_error)
        )
    summaries = {name: _summary(values) for name, values in sorted(rows.items())}
    summaries["all"] = _summary([row for values in rows.values() for row in values])
    return summaries


def _summary(rows: list[tuple[float, float, float]]) -> dict:
    errors, variances, track_errors = (np.asarray(column) for column in zip(*rows, strict=True))
    rmse = float(np.sqrt(np.mean(errors**2)))
    crb = float(np.sqrt(np.mean(variances)))
    finite = track_errors[np.isfinite(track_errors)]
    return {
        "fixes": len(errors),
        "rmse_m": rmse,
        "p50_m": float(np.percentile(errors, 50)),
        "p80_m": float(np.percentile(errors, 80)),
        "p95_m": float(np.percentile(errors, 95)),
        "crb_rmse_m": crb,
        "rmse_over_crb": rmse / crb,
        "track_rmse_m": float(np.sqrt(np.mean(finite**2))) if finite.size else None,
    }
