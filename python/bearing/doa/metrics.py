"""Accuracy of bearing estimates against ground truth: matching and error statistics."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from ..array.geometry import wrap_deg

STATISTICS = ("count", "missed", "rmse_deg", "median_deg", "p80_deg", "p95_deg", "max_deg")


def angle_difference_deg(a_deg: ArrayLike, b_deg: ArrayLike) -> NDArray[np.float64]:
    """Signed difference ``a - b`` wrapped to [-180, 180) degrees."""
    return np.asarray(wrap_deg(np.asarray(a_deg, dtype=np.float64) - np.asarray(b_deg, dtype=np.float64)))


def matched_errors_deg(estimated_deg: ArrayLike, truth_deg: ArrayLike) -> tuple[NDArray[np.float64], int]:
    """Absolute errors of the estimates assigned one-to-one to the true bearings.

    The assignment minimises the total absolute error (Hungarian algorithm). Returns the
    errors of the matched pairs (in the order of the estimates) and the number of true
    bearings left without an estimate.
    """
    errors, _, cols, num_truth = _assignment(estimated_deg, truth_deg)
    return errors, num_truth - len(cols)


def truth_errors_deg(estimated_deg: ArrayLike, truth_deg: ArrayLike) -> NDArray[np.float64]:
    """Absolute error of each true bearing's estimate, shape ``(K,)`` in the order of ``truth_deg``.

    The assignment of :func:`matched_errors_deg`; NaN for a true bearing left without an estimate.
    """
    errors, _, cols, num_truth = _assignment(estimated_deg, truth_deg)
    per_truth = np.full(num_truth, np.nan)
    per_truth[cols] = errors
    return per_truth


def _assignment(
    estimated_deg: ArrayLike, truth_deg: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], int]:
    """Least-total-error assignment: errors of the pairs, their estimate and truth indices, ``K``."""
    estimated = np.atleast_1d(np.asarray(estimated_deg, dtype=np.float64))
    truth = np.atleast_1d(np.asarray(truth_deg, dtype=np.float64))
    if estimated.size == 0 or truth.size == 0:
        none = np.empty(0, dtype=np.intp)
        return np.empty(0), none, none, int(truth.size)
    cost = np.abs(angle_difference_deg(estimated[:, None], truth[None, :]))
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols], rows, cols, int(truth.size)


def error_statistics(records: Iterable[dict]) -> dict[str, float | None]:
    """RMSE, median, p80, p95 and max absolute error over estimate records with ground truth.

    ``records`` are the JSON objects of `bearing estimate` (``azimuth_deg`` and
    ``truth_azimuth_deg`` lists); records without truth are ignored.
    """
    errors: list[NDArray[np.float64]] = []
    missed = 0
    for record in records:
        if record.get("truth_azimuth_deg"):
            matched, unmatched = matched_errors_deg(record["azimuth_deg"], record["truth_azimuth_deg"])
            errors.append(matched)
            missed += unmatched
    return summarize_errors(np.concatenate(errors) if errors else np.empty(0), missed)


def summarize_errors(errors_deg: ArrayLike, missed: int = 0) -> dict[str, float | None]:
    """The :data:`STATISTICS` of a set of absolute errors in degrees (None when there are none)."""
    errors = np.abs(np.asarray(errors_deg, dtype=np.float64))
    if errors.size == 0:
        return {"count": 0, "missed": missed, **dict.fromkeys(STATISTICS[2:])}
    return {
        "count": int(errors.size),
        "missed": int(missed),
        "rmse_deg": float(np.sqrt(np.mean(errors**2))),
        "median_deg": float(np.median(errors)),
        "p80_deg": float(np.percentile(errors, 80)),
        "p95_deg": float(np.percentile(errors, 95)),
        "max_deg": float(np.max(errors)),
    }
