"""GNU Radio block: coarray digital beamforming (DBF), the first step of SCG and MoD-DNN."""

from __future__ import annotations

import numpy as np

from ..doa.coarray import coarray_grid_range, coarray_model
from ..doa.grid import azimuth_grid
from .base import WindowMapBlock


class coarray_dbf(WindowMapBlock):
    """Coarray DBF spectrum ``eta_hat = Re(A~^H vec(R / (trace(R) / M)))`` of each covariance.

    Input: covariance matrices as ``M*M`` complex64 vectors (row-major, as the covariance
    accumulator outputs them). Output: ``eta_hat`` on the azimuth grid ``grid_start_deg ..
    grid_stop_deg`` (step ``grid_step_deg``; a bound left None is the array's own,
    :func:`~gnuradio.bearing.doa.coarray.default_coarray_grid`: the paper's -60 .. 60 at 0.1
    degree about a linear array's broadside, the full circle for a UCA) as float32,
    **linear**: the Bartlett power of the covariance normalised to unit mean element power,
    ``M^2`` at the bearing of a lone noise-free source. It is the input of
    :class:`~gnuradio.bearing.blocks.scg_spectrum.scg_spectrum`; a peak search on it gives DBF
    bearings. See :mod:`gnuradio.bearing.doa.coarray`.

    The array is ``positions_m`` (M x 3, metres, SigMF spatial frame) at the carrier
    ``frequency_hz``; the coarray model is computed once per array and grid and shared. An
    array that resolves elevation, or no azimuth, is refused; a grid reaching beyond what the
    array resolves (a ULA's back half-plane) is logged as a warning: the spectrum's peaks there
    are mirror images.
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
        grid_start_deg: float | None = None,
        grid_stop_deg: float | None = None,
        grid_step_deg: float | None = None,
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
        warning = self.model.field.azimuth_warning(float(self.grid_deg[0]), float(self.grid_deg[-1]))
        if warning:  # a peak search behind knows no geometry: say it here
            self.logger.warn(warning)

    def map_item(self, item: np.ndarray, window: dict | None) -> np.ndarray:
        return self.model.spectrum(item.reshape(self._size, self._size), self.remove_noise_floor)

    def window_fields(self, item: np.ndarray) -> dict:
        """``{"power": trace(R) / M}`` of the covariance item (``M*M`` complex64, row-major)."""
        return {"power": float(np.real(np.trace(item.reshape(self._size, self._size)))) / self._size}


def coarray_spectrum_size(
    positions_m: list,
    frequency_hz: float,
    grid_start_deg: float | None = None,
    grid_stop_deg: float | None = None,
    grid_step_deg: float | None = None,
) -> int:
    """The length of the Coarray DBF (and SCG Spectrum) block's spectrum for these parameters
    (GNU Radio Companion sizes the ports with it): the points of the grid, None bounds the
    array's own."""
    grid = coarray_grid_range(positions_m, frequency_hz, grid_start_deg, grid_stop_deg, grid_step_deg)
    return azimuth_grid(*grid).size
