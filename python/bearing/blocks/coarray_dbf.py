"""GNU Radio block: coarray digital beamforming (DBF), the first step of SCG and MoD-DNN."""

from __future__ import annotations

import numpy as np

from ..doa.coarray import DEFAULT_FIELD_OF_VIEW_DEG, coarray_model
from .base import WindowMapBlock


class coarray_dbf(WindowMapBlock):
    """Coarray DBF spectrum ``eta_hat = Re(A~^H vec(R / (trace(R) / M)))`` of each covariance.

    Input: covariance matrices as ``M*M`` complex64 vectors (row-major, as the covariance
    accumulator outputs them). Output: ``eta_hat`` on the azimuth grid ``grid_start_deg ..
    grid_stop_deg`` (step ``grid_step_deg``; the paper's -60 .. 60 at 0.1 degree by default)
    as float32, **linear**: the Bartlett power of the covariance normalised to unit mean
    element power, ``M^2`` at the bearing of a lone noise-free source. It is the input of
    :class:`~gnuradio.bearing.blocks.scg_spectrum.scg_spectrum`; a peak search on it gives DBF
    bearings. See :mod:`gnuradio.bearing.doa.coarray`.

    The array is ``positions_m`` (M x 3, metres, SigMF spatial frame) at the carrier
    ``frequency_hz``; the coarray model is computed once per array and grid and shared.
    With ``remove_noise_floor`` (the default), ``R - lambda_min(R) I`` replaces ``R`` (see
    :meth:`~gnuradio.bearing.doa.coarray.CoarrayModel.coarray_vector`): the DBF peaks stay where
    they are, but SCG behind then no longer splits each source in two on noisy data. Turn it
    off for the paper's raw ``vec(R)``.
    Each output item carries the ``window`` tag of its covariance, with the field ``power``
    added: the covariance's mean element power ``trace(R) / M`` (before the noise floor is
    removed), in the input's power units. The spectrum is normalised by it and so loses
    it; MoD-DNN needs it to choose the subregion (the branch energy, Liu et al., ACM TOSN
    2025, Fig. 2; see :class:`~gnuradio.bearing.blocks.modl_ssr_estimator.modl_ssr_estimator`). A
    covariance without a ``window`` tag gets one holding only ``power``. A covariance that
    cannot be used (NaN or infinite entries, zero trace) is dropped with a log line and
    counted in :attr:`failed_estimates`; the flowgraph goes on.
    """

    def __init__(
        self,
        positions_m: list,
        frequency_hz: float,
        grid_start_deg: float = DEFAULT_FIELD_OF_VIEW_DEG[0],
        grid_stop_deg: float = DEFAULT_FIELD_OF_VIEW_DEG[1],
        grid_step_deg: float = DEFAULT_FIELD_OF_VIEW_DEG[2],
        remove_noise_floor: bool = True,
    ) -> None:
        self.remove_noise_floor = bool(remove_noise_floor)
        self.model = coarray_model(positions_m, frequency_hz, grid_start_deg, grid_stop_deg, grid_step_deg)
        self.grid_deg = self.model.grid_deg
        self._size = self.model.num_elements
        WindowMapBlock.__init__(
            self,
            name="Bearing Coarray DBF",
            in_sig=[(np.complex64, self._size**2)],
            out_sig=[(np.float32, len(self.grid_deg))],
        )

    def map_item(self, item: np.ndarray, window: dict | None) -> np.ndarray:
        return self.model.spectrum(item.reshape(self._size, self._size), self.remove_noise_floor)

    def window_fields(self, item: np.ndarray) -> dict:
        """``{"power": trace(R) / M}`` of the covariance item (``M*M`` complex64, row-major)."""
        return {"power": float(np.real(np.trace(item.reshape(self._size, self._size)))) / self._size}
