"""Refinement of fused H2AD bearings on the whole array: :func:`refine_bearings` takes each fused
bearing (:mod:`.fusion`, :mod:`.omc_doa`) to the MUSIC peak of the covariance of all RF chains
within ``search_deg`` of it, so that the bearing has the accuracy of the whole aperture
(``N d``) rather than of one group's (see :mod:`.fusion`); :func:`refine_hybrid_bearings` does it
for a :class:`~gnuradio.bearing.array.hybrid.HybridArray`.
"""

from __future__ import annotations

import numpy as np
import scipy
from numpy.typing import ArrayLike, NDArray

from ..array.covariance import check_covariance
from ..array.geometry import as_positions, steering_matrix
from ..array.hybrid import HybridArray, check_combiner
from ..doa.classical import REFINE_TOLERANCE_DEG, music_function
from ..validation import check_subspace_sources

DEFAULT_SEARCH_DEG = 1.0
"""Half-width of the MUSIC search about a fused bearing (:func:`refine_bearings`), degrees:
beyond the fused error of a found source (the H2AD study counts a source found within
1 deg), within the main lobe of the whole array (first null ``asin(lambda / (N d))`` from
boresight: 2.4 deg for N = 48 at half a wavelength)."""
DEFAULT_STEP_DEG = 0.1
"""Grid step of that search; the peak is then refined within one step (bounded Brent)."""


def refine_bearings(
    covariance: ArrayLike,
    bearings_deg: ArrayLike,
    combiner: ArrayLike,
    positions_m: ArrayLike,
    wavelength_m: float,
    search_deg: float = DEFAULT_SEARCH_DEG,
    step_deg: float = DEFAULT_STEP_DEG,
    num_sources: int | None = None,
) -> NDArray[np.float64]:
    """Each fused bearing moved to the MUSIC peak of all RF chains within ``search_deg`` of it.

    MUSIC (Schmidt 1986) on the response of the RF chains, ``b(az) = W^H a(az)`` (H2AD paper
    eq. (12); ``a`` the antennas' steering vector), normalised to unit norm, with ``K =
    len(bearings_deg)`` sources: the pseudo-spectrum on a grid of ``step_deg`` over
    ``bearing +- search_deg`` (clipped to the front half-plane ``[-90, 90]`` of the ULA),
    its maximum refined within one step by a bounded Brent search. See the module docstring
    for why: it recovers the accuracy of the whole array that the groups' candidates lack.

    Args:
        covariance: sample covariance of all ``R`` RF chains, shape ``(R, R)``, in the
            combiner's column order (:meth:`HybridArray.rf_outputs`).
        bearings_deg: fused azimuths in degrees, shape ``(K,)``, ``1 <= K <= R - 1``
            (e.g. from :func:`fuse_candidates`, :func:`wgmd` or :func:`wlmd`).
        combiner: ``W``, shape ``(N, R)`` (:meth:`HybridArray.combiner`).
        positions_m: the antennas' positions, shape ``(N, 3)``, metres, SigMF frame
            (``HybridArray.geometry().positions_m``).
        wavelength_m: carrier wavelength in metres.
        search_deg: half-width of the search about each bearing, degrees, > 0.
        step_deg: grid step, degrees, in ``(0, search_deg]``.
        num_sources: MUSIC's signal subspace, ``1 .. R - 1``; unset, ``len(bearings_deg)``
            (set it when only some of the sources' bearings are to be refined).

    Returns:
        the refined azimuths in degrees, shape ``(K,)``, in the order of ``bearings_deg``.
    """
    positions = as_positions(positions_m)
    w = check_combiner(combiner, positions.shape[0])
    r = check_covariance(covariance)
    if r.shape[0] != w.shape[1]:
        raise ValueError(
            f"covariance is {r.shape[0]} x {r.shape[0]} but the combiner has {w.shape[1]} RF chains"
        )
    bearings = np.atleast_1d(np.asarray(bearings_deg, dtype=np.float64))
    if bearings.ndim != 1 or not np.all(np.isfinite(bearings)):
        raise ValueError(f"bearings_deg must be a 1-D array of finite azimuths, got {bearings_deg!r}")
    subspace = bearings.size if num_sources is None else num_sources
    check_subspace_sources(subspace, r.shape[0])
    if not (np.isfinite(search_deg) and search_deg > 0):
        raise ValueError(f"search_deg must be a positive finite number, got {search_deg!r}")
    if not (np.isfinite(step_deg) and 0 < step_deg <= search_deg):
        raise ValueError(f"step_deg must be in (0, search_deg = {search_deg!r}], got {step_deg!r}")
    spectrum = music_function(r, subspace)

    def rf_spectrum(azimuth_deg: ArrayLike) -> NDArray[np.float64]:
        return spectrum(w.conj().T @ steering_matrix(positions, azimuth_deg, wavelength_m))

    offsets = np.arange(-search_deg, search_deg + step_deg / 2, step_deg)
    refined = []
    for bearing in bearings:
        grid = np.clip(bearing + offsets, -90.0, 90.0)
        best = grid[int(np.argmax(rf_spectrum(grid)))]
        result = scipy.optimize.minimize_scalar(
            lambda azimuth_deg: -float(rf_spectrum(azimuth_deg)[0]),
            bounds=(max(best - step_deg, -90.0), min(best + step_deg, 90.0)),
            method="bounded",
            options={"xatol": REFINE_TOLERANCE_DEG},
        )
        refined.append(float(result.x))
    return np.array(refined, dtype=np.float64)


def refine_hybrid_bearings(
    array: HybridArray,
    covariance: ArrayLike,
    bearings_deg: ArrayLike,
    search_deg: float = DEFAULT_SEARCH_DEG,
    num_sources: int | None = None,
) -> NDArray[np.float64]:
    """Fused bearings moved to the MUSIC peak of all ``R`` RF chains of ``array`` within
    ``search_deg``: :func:`refine_bearings` on the array's combiner and antennas, on a grid of
    :data:`DEFAULT_STEP_DEG` (or ``search_deg``, if smaller).

    Args:
        array: the hybrid array whose RF chains the covariance holds.
        covariance: ``(R, R)`` RF-chain covariance, chains in
            :class:`~gnuradio.bearing.array.hybrid.HybridLayout` order.
        bearings_deg: ``(K,)`` fused azimuths, degrees, ``1 <= K <= R - 1``.
        search_deg: half-width of the search about each bearing, degrees, > 0.
        num_sources: MUSIC's signal subspace, ``1 .. R - 1``; unset, ``K``.

    Returns:
        ``(K,)`` refined azimuths, degrees, in the order of ``bearings_deg``.
    """
    return refine_bearings(
        covariance,
        bearings_deg,
        array.combiner(),
        array.geometry().positions_m,
        array.wavelength_m,
        search_deg,
        min(DEFAULT_STEP_DEG, search_deg),  # a bad search_deg is named before the step is checked
        num_sources,
    )
