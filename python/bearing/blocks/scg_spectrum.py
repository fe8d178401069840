"""GNU Radio block: sparse spatial spectrum by SCG (sparse conjugate gradient) from coarray DBF."""

from __future__ import annotations

import numpy as np

from ..doa.coarray import coarray_model
from ..doa.grid import power_to_db
from ..doa.peaks import check_min_separation, sparse_peak_bearings
from ..doa.scg import DEFAULT_OPTIONS, ScgOptions
from ..validation import check_num_sources
from .base import WindowMapBlock, window_num_sources

METHOD = "scg"
"""The ``method`` of this block's ``bearings`` messages."""


class scg_spectrum(WindowMapBlock):
    """Sparse spectrum ``eta`` solving ``(P + lam I) eta = eta_hat`` with SCG's sparsity step.

    Input: coarray DBF spectra ``eta_hat`` (float32, linear) on the azimuth grid
    ``grid_start_deg .. grid_stop_deg`` (step ``grid_step_deg``; None bounds the array's own,
    as in the Coarray DBF block), as
    :class:`~gnuradio.bearing.blocks.coarray_dbf.coarray_dbf` outputs them for the same array and
    grid (with ``remove_noise_floor`` on noisy data: SCG otherwise splits each source into
    two peaks). Output: the sparse spectrum ``eta`` on the same grid (float32, linear: a lone
    noise-free source gives about 1 at its grid angle and 0 elsewhere), tagged with the
    input's ``window`` tag. See :mod:`gnuradio.bearing.doa.scg` for the algorithm and its
    options ``lam``, ``mu``, ``eps``, ``nonnegative`` and ``max_iter`` (the others keep
    :class:`~gnuradio.bearing.doa.scg.ScgOptions`' defaults). The input is first projected onto
    the range of ``P`` (:meth:`~gnuradio.bearing.doa.coarray.CoarrayModel.project_onto_range`)
    and SCG runs in float64.

    Bearings: the ``num_sources`` strongest peaks of ``eta`` at least ``min_separation_deg``
    apart, each refined to the power-weighted centroid of its support (the adjacent grid
    angles that share the source's power, :func:`~gnuradio.bearing.doa.peaks.support_centroids`),
    published as a ``bearings`` message (``method`` ``"scg"``, ``peak_db`` the peak values
    relative to the spectrum's maximum) and as an ``azimuth`` pair of the strongest.
    ``num_sources`` 0 (auto) takes each spectrum's count from its ``window`` tag, where a
    source counter upstream put it (coarray DBF passes the tag on).

    The array is ``positions_m`` (M x 3, metres, SigMF spatial frame) at the carrier
    ``frequency_hz``: SCG needs the coarray model's ``P`` (shared with coarray DBF). Bad
    parameters raise ``ValueError`` here. A spectrum SCG cannot use (NaN or infinite
    values) is dropped with a log line and counted in :attr:`failed_estimates`; the
    flowgraph goes on.
    """

    def __init__(
        self,
        positions_m: list,
        frequency_hz: float,
        num_sources: int = 1,
        grid_start_deg: float | None = None,
        grid_stop_deg: float | None = None,
        grid_step_deg: float | None = None,
        min_separation_deg: float = 2.0,
        lam: float = DEFAULT_OPTIONS.lam,
        mu: float = DEFAULT_OPTIONS.mu,
        eps: float = DEFAULT_OPTIONS.eps,
        nonnegative: bool = DEFAULT_OPTIONS.nonnegative,
        max_iter: int = DEFAULT_OPTIONS.max_iter,
    ) -> None:
        self.model = coarray_model(positions_m, frequency_hz, grid_start_deg, grid_stop_deg, grid_step_deg)
        self.grid_deg = self.model.grid_deg
        self._allowed = self.model.field.contains_azimuth(self.grid_deg)
        warning = self.model.field.azimuth_warning(float(self.grid_deg[0]), float(self.grid_deg[-1]))
        self.set_num_sources(num_sources)
        self._min_separation_deg = check_min_separation(min_separation_deg)
        self.options = ScgOptions(
            lam=float(lam), mu=float(mu), eps=float(eps), nonnegative=bool(nonnegative), max_iter=max_iter
        )
        WindowMapBlock.__init__(
            self,
            name="Bearing SCG Spectrum",
            in_sig=[(np.float32, len(self.grid_deg))],
            out_sig=[(np.float32, len(self.grid_deg))],
        )
        if warning:
            self.logger.warn(warning)
        self.register_bearings_ports()

    def set_num_sources(self, num_sources: int) -> None:
        """Bearings per estimate, at least 1, or 0 (auto: each window's counted sources)."""
        self._num_sources = check_num_sources(num_sources, auto=True)

    def map_item(self, item: np.ndarray, window: dict | None) -> np.ndarray:
        right_hand_side = self.model.project_onto_range(item)  # float64
        eta = self.model.sparse_spectrum(right_hand_side, self.options)
        count = window_num_sources(self._num_sources, window)
        peaks, azimuth_deg = sparse_peak_bearings(
            eta, self.grid_deg, max(count, 1), self._min_separation_deg, self._allowed
        )
        peaks, azimuth_deg = peaks[:count], azimuth_deg[:count]
        self.publish_bearings(azimuth_deg, power_to_db(eta[peaks], np.max(eta)), METHOD, window)
        return eta
