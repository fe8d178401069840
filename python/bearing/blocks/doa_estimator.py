"""GNU Radio block: classical direction finding (Bartlett, MVDR, MUSIC, root-MUSIC, ESPRIT)."""

from __future__ import annotations

import numpy as np
import pmt

from ..array.geometry import ArrayGeometry, wavelength_m
from ..doa.classical import Estimator
from ..doa.grid import azimuth_grid, power_to_db
from ..validation import AUTO_SOURCES
from . import messages
from .base import WindowMapBlock, window_num_sources


class doa_estimator(WindowMapBlock):
    """Estimates bearings from covariance matrices (``L*L`` complex64 vectors, row-major).

    For every input covariance it outputs the spatial spectrum on the azimuth grid
    ``grid_start_deg .. grid_stop_deg`` (step ``grid_step_deg``) as float32 in dB relative to
    its maximum (for QT GUI vector sinks), and publishes a ``bearings`` message (see
    :mod:`~gnuradio.bearing.blocks.messages`). The method can be changed at run time (:meth:`set_method`, or a
    ``method`` message holding the name as a symbol or string). An ``azimuth`` message,
    the pair ``(azimuth_deg . strongest bearing)``, drives a QT GUI Compass as a readout.

    The array is described by ``positions_m`` (M x 3, metres, SigMF spatial frame) and the
    carrier ``frequency_hz``. With spatial smoothing upstream, set ``covariance_size`` to the
    subarray length L: the estimator then uses the first L elements.

    ``num_sources`` 0 (:data:`~gnuradio.bearing.validation.AUTO_SOURCES`, "auto") estimates, for
    each covariance, the count a source counter upstream wrote into its ``window`` tag (at
    most L - 1; a count of 0 gives the spectrum of one source and no bearings).

    A covariance the method cannot use (NaN, singular, too few elements) is dropped with a log
    line and counted in :attr:`failed_estimates`; the flowgraph goes on.
    """

    def __init__(
        self,
        positions_m: list,
        frequency_hz: float,
        method: str = "music",
        num_sources: int = 1,
        grid_start_deg: float = -90.0,
        grid_stop_deg: float = 90.0,
        grid_step_deg: float = 0.1,
        min_separation_deg: float = 2.0,
        covariance_size: int = 0,
    ) -> None:
        geometry = ArrayGeometry(np.asarray(positions_m, dtype=np.float64))
        size = int(covariance_size) or geometry.num_elements
        geometry = geometry.smoothing_subarray(size)
        self.grid_deg = azimuth_grid(grid_start_deg, grid_stop_deg, grid_step_deg)
        self._estimator = Estimator(
            geometry, wavelength_m(frequency_hz), self.grid_deg, method, min_separation_deg
        )
        self._size = size
        self.set_num_sources(num_sources)
        WindowMapBlock.__init__(
            self,
            name="Bearing DoA Estimator",
            in_sig=[(np.complex64, size * size)],
            out_sig=[(np.float32, len(self.grid_deg))],
        )
        self.register_bearings_ports()
        self.message_port_register_in(pmt.intern("method"))
        self.set_msg_handler(pmt.intern("method"), self.handle_method)

    @property
    def method(self) -> str:
        return self._estimator.method

    def set_method(self, method: str) -> None:
        """Switch the estimation method (one of :data:`~gnuradio.bearing.doa.classical.METHODS`)."""
        self._estimator.set_method(method)

    def set_num_sources(self, num_sources: int) -> None:
        """Bearings per estimate, 1 .. L - 1, or 0 (auto: each window's counted sources)."""
        if int(num_sources) != num_sources or not AUTO_SOURCES <= num_sources <= self._size - 1:
            raise ValueError(
                f"num_sources must be between 1 and {self._size - 1} for a covariance of "
                f"{self._size} elements, or 0 (auto), got {num_sources}"
            )
        self._num_sources = int(num_sources)

    def handle_method(self, message: pmt.pmt_t) -> None:
        name = pmt.cdr(message) if pmt.is_pair(message) else message
        try:
            self.set_method(str(messages.from_pmt(name)))
        except ValueError as error:
            self.logger.error(f"method message ignored: {error}")

    def map_item(self, item: np.ndarray, window: dict | None) -> np.ndarray:
        count = min(window_num_sources(self._num_sources, window), self._size - 1)
        estimate = self._estimator.estimate(item.reshape(self._size, self._size), max(count, 1))
        # Refined peaks may rise above the grid's maximum: the strongest value is the 0 dB reference.
        reference = max(np.max(estimate.spectrum), np.max(estimate.peak_values, initial=0.0))
        peak_db = power_to_db(estimate.peak_values[:count], reference)
        self.publish_bearings(estimate.azimuth_deg[:count], peak_db, self.method, window)
        return power_to_db(estimate.spectrum, np.max(estimate.spectrum))
