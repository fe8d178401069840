"""GNU Radio block: classical direction finding (Bartlett, MVDR, MUSIC, root-MUSIC, ESPRIT), in
azimuth, or in azimuth and elevation for arrays that resolve it."""

from __future__ import annotations

import numpy as np
import pmt

from ..array.field_of_view import GeometryError
from ..array.geometry import ArrayGeometry, wavelength_m
from ..doa.calibrated_music import load_table
from ..doa.classical import DEFAULT_DIAGONAL_LOADING, Estimator, Manifold
from ..doa.grid import power_to_db
from ..doa.planar import PlanarEstimator
from ..doa.search import SearchGrid, search_grid
from ..validation import AUTO_SOURCES
from . import messages
from .base import WindowMapBlock, window_num_sources


class doa_estimator(WindowMapBlock):
    """Estimates bearings from covariance matrices (``L*L`` complex64 vectors, row-major).

    For every input covariance it outputs the spatial spectrum on its search grid as float32 in
    dB relative to its maximum (for QT GUI vector sinks), and publishes a ``bearings`` message
    (see :mod:`~gnuradio.bearing.blocks.messages`). The method can be changed at run time
    (:meth:`set_method`, or a ``method`` message holding the name as a symbol or string). An
    ``azimuth`` message, the pair ``(azimuth_deg . strongest bearing)``, drives a QT GUI Compass
    as a readout.

    The array is described by ``positions_m`` (M x 3, metres, SigMF spatial frame) and the
    carrier ``frequency_hz``. With spatial smoothing upstream, set ``covariance_size`` to the
    subarray length L: the estimator then uses the first L elements.

    The geometry decides the search (:func:`~gnuradio.bearing.doa.search.search_grid`): a grid
    bound left None is the array's own (the front half-plane of a linear array, the full circle
    of a horizontal planar one, step 0.1 deg). A grid reaching beyond what the array resolves
    is logged as a warning that says why, and no bearing is reported there. An array that
    resolves elevation (a vertical planar array such as a URA in the y-z plane, or a 3-D array)
    is searched in azimuth and elevation (:class:`~gnuradio.bearing.doa.planar.PlanarEstimator`,
    elevation -90 .. 90 and step 2 deg by default, peaks refined off the grid; ``esprit`` is
    then 2-D unitary ESPRIT and needs a uniform rectangular array): the output is the 2-D
    spectrum, ``N_el`` rows of ``N_az`` azimuths (an image for the QT raster sink), the
    ``bearings`` messages carry ``elevation_deg``, and an ``elevation`` message, the pair
    ``(elevation_deg . strongest bearing's elevation)``, follows each ``azimuth`` message.

    ``calibration_path``: a calibration table of the array (``bearing calibrate``, an ``.npz``
    file of :func:`~gnuradio.bearing.doa.calibrated_music.save_table`), measured on the same
    element positions and carrier; with it the method ``calibrated-music`` is MUSIC on the
    measured manifold (peaks on the grid, where the calibration covers).

    ``diagonal_loading``: MVDR's relative diagonal loading, ``R + l trace(R) / L I`` (default
    :data:`~gnuradio.bearing.doa.classical.DEFAULT_DIAGONAL_LOADING`, 1e-6); real arrays whose
    covariances are nearly singular (a switched array, strong coherent paths) want more, such
    as 0.1.

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
        grid_start_deg: float | None = None,
        grid_stop_deg: float | None = None,
        grid_step_deg: float | None = None,
        min_separation_deg: float = 2.0,
        covariance_size: int = 0,
        elevation_start_deg: float | None = None,
        elevation_stop_deg: float | None = None,
        elevation_step_deg: float | None = None,
        calibration_path: str = "",
        diagonal_loading: float = DEFAULT_DIAGONAL_LOADING,
    ) -> None:
        geometry, size = _geometry(positions_m, covariance_size)
        self.search = search_grid(
            geometry,
            (grid_start_deg, grid_stop_deg, grid_step_deg),
            (elevation_start_deg, elevation_stop_deg, elevation_step_deg),
            wavelength_m(frequency_hz),
        )
        """The search grid (:class:`~gnuradio.bearing.doa.search.SearchGrid`)."""
        self.grid_deg = self.search.azimuth_deg
        self.elevation_grid_deg = self.search.elevation_deg
        """The elevations of the 2-D spectrum's rows, degrees; None for an azimuth-only array."""
        if self.elevation_grid_deg is None:
            manifold = _manifold(calibration_path, geometry, frequency_hz, self.grid_deg)
            self._estimator = Estimator(
                geometry,
                wavelength_m(frequency_hz),
                self.grid_deg,
                method,
                min_separation_deg,
                manifold=manifold,
                diagonal_loading=diagonal_loading,
            )
        else:
            if calibration_path:
                raise GeometryError(
                    "a calibration table holds azimuths only, but this array resolves elevation too "
                    f"({self.search.field.kind}): leave the calibration file empty"
                )
            self._estimator = PlanarEstimator(
                geometry,
                wavelength_m(frequency_hz),
                self.grid_deg,
                self.elevation_grid_deg,
                method,
                min_separation_deg,
                diagonal_loading=diagonal_loading,
            )
        self._size = size
        self.set_num_sources(num_sources)
        WindowMapBlock.__init__(
            self,
            name="Bearing DoA Estimator",
            in_sig=[(np.complex64, size * size)],
            out_sig=[(np.float32, self.search.size)],
        )
        for warning in self.search.warnings:
            self.logger.warn(warning)
        self.register_bearings_ports()
        self.message_port_register_out(pmt.intern(messages.ELEVATION_PORT))
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
        elevation = None if self.elevation_grid_deg is None else estimate.elevation_deg[:count]
        self.publish_bearings(estimate.azimuth_deg[:count], peak_db, self.method, window, elevation)
        return power_to_db(estimate.spectrum.ravel(), np.max(estimate.spectrum))


def doa_search(
    positions_m: list,
    frequency_hz: float,
    covariance_size: int = 0,
    grid_start_deg: float | None = None,
    grid_stop_deg: float | None = None,
    grid_step_deg: float | None = None,
    elevation_start_deg: float | None = None,
    elevation_stop_deg: float | None = None,
    elevation_step_deg: float | None = None,
) -> SearchGrid:
    """The search grid the DoA Estimator uses for these parameters, without making the block
    (:class:`~gnuradio.bearing.doa.search.SearchGrid`: ``azimuth_range``, ``size``, ...): for
    flowgraphs that size and label their plots from it."""
    geometry, _ = _geometry(positions_m, covariance_size)
    azimuth = (grid_start_deg, grid_stop_deg, grid_step_deg)
    elevation = (elevation_start_deg, elevation_stop_deg, elevation_step_deg)
    return search_grid(geometry, azimuth, elevation, wavelength_m(frequency_hz))


def doa_spectrum_size(
    positions_m: list,
    frequency_hz: float,
    covariance_size: int = 0,
    grid_start_deg: float | None = None,
    grid_stop_deg: float | None = None,
    grid_step_deg: float | None = None,
    elevation_start_deg: float | None = None,
    elevation_stop_deg: float | None = None,
    elevation_step_deg: float | None = None,
) -> int:
    """The length of the DoA Estimator's spectrum output for these parameters (GNU Radio Companion
    sizes the port with it): ``N_az``, or ``N_el * N_az`` for an array that resolves elevation."""
    return doa_search(
        positions_m,
        frequency_hz,
        covariance_size,
        grid_start_deg,
        grid_stop_deg,
        grid_step_deg,
        elevation_start_deg,
        elevation_stop_deg,
        elevation_step_deg,
    ).size


def _manifold(
    calibration_path: str, geometry: ArrayGeometry, frequency_hz: float, grid_deg: np.ndarray
) -> Manifold | None:
    """The measured manifold of a calibration table file on the grid (None without a file);
    ``ValueError`` for a table of another array or carrier."""
    if not calibration_path:
        return None
    table, positions_m, table_frequency_hz = load_table(calibration_path)
    same_array = positions_m.shape == geometry.positions_m.shape and np.allclose(
        positions_m, geometry.positions_m, rtol=0, atol=1e-9
    )
    if not same_array:
        what = (
            f"the table's has {positions_m.shape[0]} elements, this block's {geometry.num_elements}"
            if positions_m.shape != geometry.positions_m.shape
            else "the same number of elements at other positions, or in another order: element "
            f"{int(np.argmax(np.linalg.norm(positions_m - geometry.positions_m, axis=1)))} differs most"
        )
        raise ValueError(f"{calibration_path}: the table was measured on another array ({what})")
    if not np.isclose(table_frequency_hz, frequency_hz, rtol=1e-9, atol=0):
        raise ValueError(
            f"{calibration_path}: the table was measured at {table_frequency_hz:g} Hz, this block's "
            f"carrier is {frequency_hz:g} Hz"
        )
    return table.on_grid(grid_deg)


def _geometry(positions_m: list, covariance_size: int) -> tuple[ArrayGeometry, int]:
    """The array the covariances describe (the first L elements with spatial smoothing) and L."""
    geometry = ArrayGeometry(np.asarray(positions_m, dtype=np.float64))
    size = int(covariance_size) or geometry.num_elements
    return geometry.smoothing_subarray(size), size
