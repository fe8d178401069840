"""Accuracy of bearing estimates against ground truth: matching and error statistics.

Azimuth-only estimates are matched to the true azimuths by their absolute azimuth error.
Estimates with elevation (arrays that resolve it) are matched by the great-circle angle between
estimated and true directions (:func:`great_circle_deg`); their statistics then hold the
azimuth errors, the elevation errors (``elevation_*``) and the great-circle angles
(``angle_*``) of the matched pairs.
"""

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


def great_circle_deg(
    azimuth_a_deg: ArrayLike, elevation_a_deg: ArrayLike, azimuth_b_deg: ArrayLike, elevation_b_deg: ArrayLike
) -> NDArray[np.float64]:
    """The angle between directions ``a`` and ``b`` (azimuth, elevation in degrees, broadcast),
    degrees in ``[0, 180]``: the haversine form, accurate for small angles."""
    az_a, el_a, az_b, el_b = (
        np.deg2rad(np.asarray(v, dtype=np.float64))
        for v in (azimuth_a_deg, elevation_a_deg, azimuth_b_deg, elevation_b_deg)
    )
    h = np.sin((el_b - el_a) / 2.0) ** 2 + np.cos(el_a) * np.cos(el_b) * np.sin((az_b - az_a) / 2.0) ** 2
    return np.rad2deg(2.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def matched_direction_errors_deg(
    azimuth_deg: ArrayLike,
    elevation_deg: ArrayLike,
    truth_azimuth_deg: ArrayLike,
    truth_elevation_deg: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int]:
    """Estimates with elevation assigned one-to-one to the true directions, by least total
    great-circle angle (Hungarian algorithm): the absolute azimuth errors, absolute elevation
    errors and great-circle angles of the matched pairs, and the true directions left unmatched."""
    azimuth, elevation = np.atleast_1d(azimuth_deg), np.atleast_1d(elevation_deg)
    truth_az, truth_el = np.atleast_1d(truth_azimuth_deg), np.atleast_1d(truth_elevation_deg)
    if azimuth.size == 0 or truth_az.size == 0:
        return np.empty(0), np.empty(0), np.empty(0), int(truth_az.size)
    cost = great_circle_deg(azimuth[:, None], elevation[:, None], truth_az[None, :], truth_el[None, :])
    rows, cols = linear_sum_assignment(cost)
    az_errors = np.abs(angle_difference_deg(azimuth[rows], truth_az[cols]))
    el_errors = np.abs(
        np.asarray(elevation, dtype=np.float64)[rows] - np.asarray(truth_el, dtype=np.float64)[cols]
    )
    return az_errors, el_errors, cost[rows, cols], int(truth_az.size - cols.size)


def error_statistics(records: Iterable[dict]) -> dict[str, float | None]:
    """RMSE, median, p80, p95 and max absolute error over estimate records with ground truth.

    ``records`` are the JSON objects of `bearing estimate` (``azimuth_deg`` and
    ``truth_azimuth_deg`` lists); records without truth are ignored. When the records carry
    elevations (``elevation_deg`` and ``truth_elevation_deg``), the estimates are matched in
    azimuth and elevation and the result also holds the ``elevation_*`` and ``angle_*``
    (great-circle) statistics.
    """
    records = [record for record in records if record.get("truth_azimuth_deg")]
    if any("elevation_deg" in r and "truth_elevation_deg" in r for r in records):
        return _direction_statistics(records)
    errors: list[NDArray[np.float64]] = []
    missed = 0
    for record in records:
        matched, unmatched = matched_errors_deg(record["azimuth_deg"], record["truth_azimuth_deg"])
        errors.append(matched)
        missed += unmatched
    return summarize_errors(np.concatenate(errors) if errors else np.empty(0), missed)


def _direction_statistics(records: list[dict]) -> dict[str, float | None]:
    """:func:`error_statistics` of records with elevations (records without one count as missed)."""
    azimuth, elevation, angle = [np.empty(0)], [np.empty(0)], [np.empty(0)]
    missed = 0
    for record in records:
        if "elevation_deg" not in record or "truth_elevation_deg" not in record:
            missed += len(record["truth_azimuth_deg"])
            continue
        az_errors, el_errors, angles, unmatched = matched_direction_errors_deg(
            record["azimuth_deg"],
            record["elevation_deg"],
            record["truth_azimuth_deg"],
            record["truth_elevation_deg"],
        )
        azimuth.append(az_errors)
        elevation.append(el_errors)
        angle.append(angles)
        missed += unmatched
    statistics = summarize_errors(np.concatenate(azimuth), missed)
    for name, errors in (("elevation", elevation), ("angle", angle)):
        summary = summarize_errors(np.concatenate(errors), missed)
        statistics |= {f"{name}_{key}": summary[key] for key in STATISTICS[2:]}
    return statistics


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
