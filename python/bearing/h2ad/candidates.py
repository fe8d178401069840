"""Ambiguous candidate azimuths of one group of a heterogeneous hybrid analog-digital (H2AD) ULA.

Model (Shu et al. 2025, Sec. II; Deng et al. 2025, eqs. (1)-(19)): group ``g`` of the
array is ``K_g`` adjacent subarrays of ``M_g`` adjacent elements, spacing ``d``, along the
y axis as :func:`~gnuradio.bearing.array.geometry.ula` (the element index grows towards
positive azimuth, broadside at azimuth 0, SigMF frame). Each subarray is combined by
analog phase shifters into one RF chain, ``y_k = w_k^H x_k``. The ``K_g`` outputs are a
sparse virtual ULA of spacing ``M_g d``: ``y_k ~ b(az) exp(j k phi) s`` with

    phi = 2 pi M_g d (sin az - sin beam) / lambda  (mod 2 pi).

Steering. Phase shifters that steer every subarray about its own phase centre towards
``steer``, ``w_k[m] = exp(j 2 pi u(steer) . (r_m - c_k) / lambda) / sqrt(M_g)`` (paper eqs.
(5), (15), (16); :meth:`~gnuradio.bearing.array.hybrid.HybridArray.combiner`), repeat the
same weights in every subarray: they shift no phase between subarrays, so ``beam = 0``
whatever ``steer`` is. Phase shifters that form one beam across the whole group,
``w_k[m] = a_{k M_g + m}(beam) / sqrt(M_g)`` (element phases referred to one point of the
array, as ``steering_matrix(subarray_positions, beam)`` gives), shift ``phi`` by ``beam``:
that is ``group_beam_azimuth_deg``, added back here.

ESPRIT on the group's RF-chain covariance estimates ``phi`` per source; ``sin az`` is then
known only modulo ``lambda / (M_g d)``: the candidates are

    sin az_i = sin beam + (phi + 2 pi i) lambda / (2 pi M_g d),  i = 0 .. M_g - 1,

wrapped into one period of the element phase ``2 pi d sin az / lambda``, eq. (17).

The combining gain ``|b(az)| = |sin(M_g v) / (sqrt(M_g) sin v)|``,
``v = pi d (sin az - sin steer) / lambda`` (``steer`` where the subarray beams point, in
either convention), only scales the source's power in the group (the signal eigenvalues,
not the phase). It has nulls at ``sin az - sin steer = n lambda / (M_g d)``, ``n`` not a
multiple of ``M_g``: a source there is invisible to the group. Unsteered at
``d = lambda / 2``, the nulls of a group of ``M_g = 3`` are at +-41.8 deg, of ``M_g = 4``
at +-30 and +-90 deg.

References:
    F. Shu, B. Shi, Y. Chen, J. Bai, Y. Li, T. Liu, Z. Han, X. You, "A new heterogeneous
    hybrid massive MIMO receiver with an intrinsic ability of removing phase ambiguity of
    DOA estimation via machine learning", IEEE TMLCN 3, 17-29, 2025 (arXiv:2308.08100).
    Deng, Bai, ..., Shu, "DNN-based methods of jointly sensing number and directions of
    targets via a green massive H2AD MIMO receiver", 2025 (Sec. II, eqs. (12)-(19)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..array.geometry import UlaAxis
from ..array.hybrid import HybridArray
from ..doa.classical import esprit_phases_rad, ula_azimuth_deg
from ..validation import check_count, check_positive

SPACING_TOLERANCE = 1e-9
"""Relative slack on ``spacing_m <= wavelength_m / 2``, for spacings computed in floating point."""


def group_candidates(
    covariance: ArrayLike,
    num_sources: int,
    subarray_size: int,
    spacing_m: float,
    wavelength_m: float,
    group_beam_azimuth_deg: float = 0.0,
) -> NDArray[np.float64]:
    """Candidate azimuths of each source from one H2AD group's RF-chain covariance, eq. (17).

    TLS-ESPRIT (:func:`~gnuradio.bearing.doa.classical.esprit_phases_rad`) on the virtual ULA
    of the ``K_g`` RF chains gives one phase per source; each phase has ``M_g`` aliases in
    one period of the element phase (see the module docstring, including when
    ``group_beam_azimuth_deg`` is not 0). Only aliases in the visible region ``|sin az| <= 1`` are
    azimuths: at ``d = lambda / 2`` that is all ``M_g`` of them (sines ``2 / M_g`` apart
    in ``[-1, 1)``); at ``d < lambda / 2``, ``floor`` or ``ceil`` of ``2 M_g d / lambda``
    per source, the other entries are NaN. ``d > lambda / 2`` is refused: there even the
    full array is ambiguous.

    Args:
        covariance: covariance of the group's ``K_g`` RF-chain outputs, shape
            ``(K_g, K_g)``, subarrays in element order.
        num_sources: ``K``, ``1 <= K <= K_g - 1``.
        subarray_size: ``M_g``, antennas per subarray (the ambiguity factor).
        spacing_m: ``d``, element spacing in metres, ``lambda / 2`` at most (not the
            virtual spacing ``M_g d``).
        wavelength_m: carrier wavelength in metres.
        group_beam_azimuth_deg: azimuth of a beam formed across the whole group, degrees;
            0 for subarrays steered about their own centres (``HybridArray``), whatever
            their steer.

    Returns:
        azimuths in degrees, shape ``(K, M_g)``, SigMF frame, in ``[-90, 90]``: one row per
        source (rows by increasing ESPRIT phase), each row ascending with NaN last.
    """
    check_count(subarray_size, "subarray_size")
    _check_spacing(spacing_m, wavelength_m)
    if not np.isfinite(group_beam_azimuth_deg):
        raise ValueError(f"group_beam_azimuth_deg must be finite, got {group_beam_azimuth_deg!r}")
    virtual_phase = np.sort(esprit_phases_rad(covariance, num_sources))
    beam_phase = 2.0 * np.pi * spacing_m * np.sin(np.deg2rad(group_beam_azimuth_deg)) / wavelength_m
    element_phase = (
        virtual_phase[:, None] + 2.0 * np.pi * np.arange(subarray_size)
    ) / subarray_size + beam_phase
    element_phase = np.mod(element_phase + np.pi, 2.0 * np.pi) - np.pi
    visible = np.abs(element_phase) * wavelength_m <= 2.0 * np.pi * spacing_m
    azimuth_deg = ula_azimuth_deg(element_phase, UlaAxis(spacing_m, 0.0), wavelength_m)
    return np.sort(np.where(visible, azimuth_deg, np.nan), axis=1)


def _check_spacing(spacing_m: float, wavelength_m: float) -> None:
    check_positive(wavelength_m, "wavelength_m")
    if not (np.isfinite(spacing_m) and 0 < spacing_m <= wavelength_m / 2 * (1 + SPACING_TOLERANCE)):
        raise ValueError(
            f"spacing_m must be in (0, wavelength_m / 2] = (0, {wavelength_m / 2:g}] m (a wider "
            f"spacing makes even the full array ambiguous), got {spacing_m!r}"
        )


def hybrid_group_candidates(
    array: HybridArray, covariance: ArrayLike, num_sources: int, group: int
) -> NDArray[np.float64]:
    """Group ``group``'s ambiguous candidate azimuths, ``(K, M_g)`` degrees (NaN: none), from the
    ``(R, R)`` RF-chain covariance of ``array``: :func:`group_candidates` (ESPRIT, eq. (17)) on
    the group's diagonal block, with subarrays steered about their own centres."""
    chains = np.flatnonzero(array.rf_chain_groups() == group)
    block = np.asarray(covariance)[np.ix_(chains, chains)]
    size = array.layout.subarray_sizes[group]
    return group_candidates(block, num_sources, size, array.spacing_m, array.wavelength_m)
