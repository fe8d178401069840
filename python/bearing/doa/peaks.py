"""Peak picking on an azimuth spectrum."""

from __future__ import annotations

import numpy as np
import scipy.signal
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import wrap_deg
from ..validation import check_num_sources
from .grid import FULL_CIRCLE_DEG, is_full_circle


def find_peaks(
    spectrum: ArrayLike,
    grid_deg: ArrayLike,
    num_sources: int,
    min_separation_deg: float,
    include_ends: bool = False,
    allowed: NDArray[np.bool_] | None = None,
) -> NDArray[np.intp]:
    """Indices of up to ``num_sources`` local maxima of a spectrum, strongest first.

    Local maxima come from :func:`scipy.signal.find_peaks`. A grid that covers the full
    circle (:func:`is_full_circle`) wraps around. Otherwise the grid ends are not maxima (a
    smooth spectrum still rising at the edge of its grid has its peak beyond it), unless
    ``include_ends``: a sparse spectrum (SCG) puts a source at the edge on the end point
    itself. They are then taken greedily, strongest first, skipping any peak closer
    than ``min_separation_deg`` (angular distance, modulo 360 degrees) to one already taken.
    Fewer than ``num_sources`` indices are returned when there are fewer such peaks.

    Args:
        spectrum: shape ``(N,)``, real, linear or dB (only the order matters).
        grid_deg: shape ``(N,)``, the azimuths of ``spectrum`` in degrees, increasing.
        num_sources: maximum number of peaks, ``>= 1``.
        min_separation_deg: minimum angular distance between returned peaks, ``>= 0``.
        include_ends: let the first and last grid points count as maxima of a grid that
            does not cover the full circle.
        allowed: shape ``(N,)``, the grid points whose maxima may be returned (None: all): the
            azimuths the array resolves (:class:`~gnuradio.bearing.array.field_of_view.FieldOfView`);
            a maximum elsewhere (a mirror image of one inside) is never returned.

    Returns:
        indices into ``spectrum``, shape ``(<= num_sources,)``, by decreasing value.
    """
    values, grid = _check_spectrum(spectrum, grid_deg)
    check_num_sources(num_sources)
    check_min_separation(min_separation_deg)

    candidates = _local_maxima(values, circular=is_full_circle(grid), include_ends=include_ends)
    if allowed is not None:
        candidates = candidates[np.asarray(allowed, dtype=bool)[candidates]]
    candidates = candidates[np.argsort(values[candidates], kind="stable")[::-1]]
    selected: list[int] = []
    for index in candidates:
        if all(angular_distance_deg(grid[index], grid[s]) >= min_separation_deg for s in selected):
            selected.append(int(index))
            if len(selected) == num_sources:
                break
    return np.asarray(selected, dtype=np.intp)


def check_min_separation(min_separation_deg: float) -> float:
    """``min_separation_deg`` as a float; ``ValueError`` unless it is ``>= 0`` degrees."""
    if not min_separation_deg >= 0:
        raise ValueError(f"min_separation_deg must be >= 0, got {min_separation_deg!r}")
    return float(min_separation_deg)


def support_centroids(
    spectrum: ArrayLike, grid_deg: ArrayLike, peak_indices: ArrayLike
) -> NDArray[np.float64]:
    """Sub-grid bearings of the peaks of a sparse spectrum: the centroid of each peak's support.

    A sparse spectrum (SCG) puts a source's power on one grid point, or on a few adjacent
    ones when the source lies between them. For each peak this takes the contiguous run of
    positive values around it that does not rise again (it stops at a zero or negative
    value, at a grid end, or at the valley between two peaks) and returns the
    power-weighted mean azimuth ``sum(p_i theta_i) / sum(p_i)`` over that run. On a grid
    covering the full circle (:func:`is_full_circle`) runs continue across the ends and the
    result lies in ``[grid_deg[0], grid_deg[0] + 360)``.

    Args:
        spectrum: shape ``(N,)``, real, linear power (the weights).
        grid_deg: shape ``(N,)``, the azimuths of ``spectrum`` in degrees, increasing.
        peak_indices: indices into ``spectrum`` (from :func:`find_peaks`), each with a
            positive value.

    Returns:
        azimuths in degrees, shape ``(len(peak_indices),)``, in the order of ``peak_indices``.
    """
    values, grid = _check_spectrum(spectrum, grid_deg)
    peaks = np.asarray(peak_indices, dtype=np.intp).reshape(-1)
    if np.any((peaks < 0) | (peaks >= values.size)):
        raise ValueError(f"peak_indices must lie in [0, {values.size}), got {peaks.tolist()}")
    if np.any(values[peaks] <= 0):
        raise ValueError("every peak must have a positive spectrum value")
    circular = is_full_circle(grid)
    centroids = np.empty(peaks.size)
    for number, peak in enumerate(peaks):
        run = _support(values, int(peak), circular)
        offsets = grid[run] - grid[peak]
        if circular:
            offsets = wrap_deg(offsets)
        centroid = grid[peak] + float(values[run] @ offsets / values[run].sum())
        if circular:
            centroid = grid[0] + (centroid - grid[0]) % FULL_CIRCLE_DEG
        centroids[number] = centroid
    return centroids


def sparse_peak_bearings(
    spectrum: ArrayLike,
    grid_deg: ArrayLike,
    num_sources: int,
    min_separation_deg: float,
    allowed: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Bearings of a sparse spectrum (SCG): its positive peaks, each at its support's centroid.

    :func:`find_peaks` with the grid ends included (and ``allowed``, the azimuths the array
    resolves); a peak at or below zero power is no source; :func:`support_centroids` refines
    each. Returns the peak indices and their bearings in degrees, strongest first.
    """
    values = np.asarray(spectrum, dtype=np.float64)
    peaks = find_peaks(values, grid_deg, num_sources, min_separation_deg, include_ends=True, allowed=allowed)
    peaks = peaks[values[peaks] > 0]
    return peaks, support_centroids(values, grid_deg, peaks)


def angular_distance_deg(a_deg: ArrayLike, b_deg: ArrayLike) -> NDArray[np.float64]:
    """Absolute angle between azimuths, modulo 360, in ``[0, 180]`` degrees."""
    return np.abs(wrap_deg(np.asarray(a_deg, dtype=np.float64) - b_deg))


def _support(values: NDArray[np.float64], peak: int, circular: bool) -> list[int]:
    """Indices of the run of positive values around ``peak`` that never rises going outwards."""
    run = [peak]
    for step in (-1, 1):
        current = peak
        while len(run) < values.size:
            following = current + step
            if circular:
                following %= values.size
            elif not 0 <= following < values.size:
                break
            if not 0 < values[following] <= values[current]:
                break
            run.append(following)
            current = following
    return run


def _check_spectrum(
    spectrum: ArrayLike, grid_deg: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    values = np.asarray(spectrum, dtype=np.float64)
    grid = np.asarray(grid_deg, dtype=np.float64)
    if values.ndim != 1 or grid.shape != values.shape:
        raise ValueError(
            "spectrum and grid_deg must be 1-D of the same length, "
            f"got shapes {values.shape} and {grid.shape}"
        )
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(grid))):
        raise ValueError("spectrum or grid_deg contains NaN or infinite values")
    return values, grid


def _local_maxima(values: NDArray[np.float64], circular: bool, include_ends: bool) -> NDArray[np.intp]:
    if circular:
        padded = np.concatenate([values[-1:], values, values[:1]])
    elif include_ends:
        padded = np.concatenate([[-np.inf], values, [-np.inf]])
    else:
        return scipy.signal.find_peaks(values)[0]
    return scipy.signal.find_peaks(padded)[0] - 1
