"""GNU Radio block: IDL-TLBO, bearings and the array's channel gains together from each covariance
(Aquino and Vairavel, IJAP 2025; docs/idl-tlbo.md)."""

from __future__ import annotations

import numpy as np
import pmt

from ..array.channel_calibration import utc_now
from ..array.coherence import coherence
from ..array.covariance import check_covariance
from ..array.geometry import ArrayGeometry, steering_matrix, wavelength_m
from ..array.impairments import IDL_TLBO_PERTURBATION, perturbation_spec
from ..doa.grid import power_to_db
from ..doa.idl_tlbo_estimator import DEFAULT_ITERATIONS, DEFAULT_POPULATION, IdlTlboEstimator
from ..doa.search import search_grid
from ..validation import AUTO_SOURCES, check_integer, check_number
from . import messages
from .base import WindowMapBlock, window_num_sources

METHOD = "idl-tlbo"
"""The ``method`` of the block's ``bearings`` and ``calibration`` messages."""

RANK_TOLERANCE = float(np.finfo(np.float32).eps)
"""Eigenvalues of an input covariance below this fraction of the largest are the rounding of its
complex64 items (about 4e-9 of the largest for a rank-one covariance of a 16 x 16 URA), not data:
the estimator leaves them out (its ``rank_tolerance``), so that a window of fewer snapshots than
elements keeps its rank (a rank-one window of 256 elements took 100 times longer with them)."""


class idl_tlbo_estimator(WindowMapBlock):
    """Estimates bearings and the array's per-element complex gains from covariance matrices
    (``M*M`` complex64 vectors, row-major, from the Covariance Accumulator), by IDL-TLBO
    (:class:`~gnuradio.bearing.doa.idl_tlbo_estimator.IdlTlboEstimator`: the MAP estimate under a
    Gaussian prior on the gain, phase and position errors, two disciplines of teaching-learning
    optimisation with the closed-form gains).

    Messages, per covariance (:mod:`~gnuradio.bearing.blocks.messages`):

    * ``bearings`` (method ``idl-tlbo``), as every estimator publishes it, with ``elevation_deg``
      for an array that resolves elevation; ``peak_db`` is the Bartlett spectrum's value at each
      bearing in dB relative to its strongest value; ``azimuth`` (and ``elevation``) pairs of the
      first bearing, for a QT GUI Compass or Label;
    * ``calibration``: the estimated gains in the Coherence Calibrator's format, ``{state:
      "calibrated", method: "idl-tlbo", coherence, residual_phase_deg, gains_real, gains_imag, time,
      frequency_hz, positions_m}``. The gains ``g`` (``g_0 = 1``) are the array's own, as the
      calibrator's: ``x = diag(g) y`` with ``x`` what the array records and ``y`` what the nominal
      array would; the correction is ``1 / g`` (the calibrator divides by ``g``). ``coherence`` is
      that of the input covariance (near 1 for one strong source, 1/K for K equal ones: it says
      nothing about the estimate's quality); ``residual_phase_deg`` the largest change of a
      channel's phase since the previous estimate (0 for the first). With one source a gain per
      element fits any direction, so the prior decides them along with the bearing (the bearing is
      then the nominal array's maximum-likelihood one); with two or more the gains are known up to
      a linear phase trend across the array, which is left out (docs/idl-tlbo.md).

    Stream output: IDL-TLBO has no spectrum; the block outputs, per covariance, the Bartlett
    (delay-and-sum) spectrum of the input covariance on its search grid, in dB relative to its
    maximum, the scan the optimiser starts from (for a 2-D search: on the same grid), so that the
    DoA Estimator's plots (QT GUI Vector or Time Raster Sink) show the scene. Its shape is the DoA
    Estimator's for the same grid parameters: ``N_az`` values, or ``N_el`` rows of ``N_az`` for an
    array that resolves elevation (:func:`~gnuradio.bearing.blocks.doa_estimator.doa_spectrum_size`
    sizes it).

    Snapshots: the MAP objective weighs the data by their number of snapshots, taken from each
    covariance's ``window`` tag (``sample_count``: the Covariance Accumulator's window); a
    covariance without a tag, or of SRS channel items (whose ``sample_count`` counts samples of the
    recording, not snapshots), uses ``snapshots``.

    The array is ``positions_m`` (M x 3, metres, SigMF spatial frame) at ``frequency_hz``; the
    geometry decides the search as for the DoA Estimator
    (:func:`~gnuradio.bearing.doa.search.search_grid`): a grid bound left None is the array's own,
    and an array that resolves elevation (a URA in the y-z plane, a 3-D array) is searched in
    azimuth and elevation, at 2 deg by default, the coarse start of the optimiser, which refines
    off the grid. A geometry the search refuses (no azimuth resolved, a horizontal planar or 3-D
    array with grating lobes) raises :class:`~gnuradio.bearing.array.field_of_view.GeometryError`
    here. The prior is ``gain_std_db``, ``phase_std_deg`` and ``position_std_m`` (standard
    deviations; default the paper's reading,
    :data:`~gnuradio.bearing.array.impairments.IDL_TLBO_PERTURBATION`: 0.5 dB, 0.5 rad, 0.5 mm).
    ``population`` learners per discipline run ``iterations`` iterations from ``seed`` (each
    estimate is deterministic); bearings closer than ``min_separation_deg`` start as one.

    ``num_sources`` 0 (:data:`~gnuradio.bearing.validation.AUTO_SOURCES`, "auto") estimates each
    covariance's count from a Source Counter upstream (its ``window`` tag; at most M - 1; a count
    of 0 gives the spectrum, an empty ``bearings`` message and no ``calibration``).

    A covariance it cannot use (NaN, infinite, all zero) is dropped with a log line and counted in
    :attr:`failed_estimates`; the flowgraph goes on.
    """

    def __init__(
        self,
        positions_m: list,
        frequency_hz: float,
        num_sources: int = 1,
        gain_std_db: float = IDL_TLBO_PERTURBATION.gain_std_db,
        phase_std_deg: float = IDL_TLBO_PERTURBATION.phase_std_deg,
        position_std_m: float = IDL_TLBO_PERTURBATION.position_std_m,
        population: int = DEFAULT_POPULATION,
        iterations: int = DEFAULT_ITERATIONS,
        seed: int = 0,
        min_separation_deg: float = 2.0,
        grid_start_deg: float | None = None,
        grid_stop_deg: float | None = None,
        grid_step_deg: float | None = None,
        elevation_start_deg: float | None = None,
        elevation_stop_deg: float | None = None,
        elevation_step_deg: float | None = None,
        snapshots: int = 1,
    ) -> None:
        geometry = ArrayGeometry(np.asarray(positions_m, dtype=np.float64))
        self.frequency_hz = float(frequency_hz)
        wavelength = wavelength_m(self.frequency_hz)
        self.search = search_grid(
            geometry,
            (grid_start_deg, grid_stop_deg, grid_step_deg),
            (elevation_start_deg, elevation_stop_deg, elevation_step_deg),
            wavelength,
        )
        """The search grid (:class:`~gnuradio.bearing.doa.search.SearchGrid`)."""
        self.grid_deg = self.search.azimuth_deg
        self.elevation_grid_deg = self.search.elevation_deg
        """The elevations of the spectrum's rows, degrees; None for an azimuth-only array."""
        prior = perturbation_spec(
            check_number(gain_std_db, "gain_std_db", 0.0),
            check_number(phase_std_deg, "phase_std_deg", 0.0),
            check_number(position_std_m, "position_std_m", 0.0),
        )
        self._estimator = IdlTlboEstimator(
            geometry,
            wavelength,
            prior,
            population=population,
            iterations=iterations,
            seed=check_integer(seed, "seed", 0),
            search=self.search,
            min_separation_deg=check_number(min_separation_deg, "min_separation_deg", 0.0),
            rank_tolerance=RANK_TOLERANCE,
        )
        self.snapshots = check_integer(snapshots, "snapshots", 1)
        self._geometry = geometry
        self._size = geometry.num_elements
        self.set_num_sources(num_sources)
        self.gains: np.ndarray | None = None
        """The last estimate's gains ``(M,)`` (the array's own, ``g_0 = 1``); None before the first."""
        WindowMapBlock.__init__(
            self,
            name="Bearing IDL-TLBO Estimator",
            in_sig=[(np.complex64, self._size * self._size)],
            out_sig=[(np.float32, self.search.size)],
        )
        for warning in self.search.warnings:
            self.logger.warn(warning)
        self.register_bearings_ports()
        self.message_port_register_out(pmt.intern(messages.ELEVATION_PORT))
        self.message_port_register_out(pmt.intern(messages.CALIBRATION_PORT))

    @property
    def method(self) -> str:
        return METHOD

    @property
    def estimator(self) -> IdlTlboEstimator:
        """The estimator (:class:`~gnuradio.bearing.doa.idl_tlbo_estimator.IdlTlboEstimator`)."""
        return self._estimator

    def set_num_sources(self, num_sources: int) -> None:
        """Bearings per estimate, 1 .. M - 1, or 0 (auto: each window's counted sources)."""
        if int(num_sources) != num_sources or not AUTO_SOURCES <= num_sources <= self._size - 1:
            raise ValueError(
                f"num_sources must be between 1 and {self._size - 1} for an array of "
                f"{self._size} elements, or 0 (auto), got {num_sources}"
            )
        self._num_sources = int(num_sources)

    def map_item(self, item: np.ndarray, window: dict | None) -> np.ndarray:
        r = check_covariance(item.reshape(self._size, self._size), self._size).astype(np.complex128)
        r = 0.5 * (r + r.conj().T)
        count = min(window_num_sources(self._num_sources, window), self._size - 1)
        spectrum = self._estimator.bartlett(r).reshape(-1)
        reference = float(np.max(spectrum))
        if not reference > 0:
            raise ValueError("the covariance is zero (no signal): nothing to estimate")
        if count < 1:
            self.publish_bearings([], [], METHOD, window, None if self.elevation_grid_deg is None else [])
            return power_to_db(spectrum, reference)
        estimate = self._estimator.estimate(r, self._window_snapshots(window), count)
        elevation = estimate.elevation_deg
        steering = steering_matrix(
            self._geometry.positions_m,
            estimate.azimuth_deg,
            self._estimator.wavelength_m,
            0.0 if elevation is None else elevation,
        )
        peak = np.real(np.einsum("mk,mn,nk->k", steering.conj(), r, steering))
        reference = max(reference, float(np.max(peak)))  # off the grid a peak may rise above it
        self.publish_bearings(estimate.azimuth_deg, power_to_db(peak, reference), METHOD, window, elevation)
        self._publish_calibration(estimate.gains, r)
        return power_to_db(spectrum, reference)

    def _window_snapshots(self, window: dict | None) -> int:
        """The snapshots of one covariance: its window's ``sample_count``, else ``snapshots``."""
        if window is None or "ue" in window or int(window.get("sample_count", 0)) < 1:
            return self.snapshots
        return int(window["sample_count"])

    def _publish_calibration(self, gains: np.ndarray, r: np.ndarray) -> None:
        drift = 0.0 if self.gains is None else float(np.max(np.abs(np.degrees(np.angle(gains / self.gains)))))
        self.gains = gains
        message = {
            "state": "calibrated",
            "method": METHOD,
            "coherence": coherence(r),
            "residual_phase_deg": drift,
            "gains_real": gains.real.astype(np.float64),
            "gains_imag": gains.imag.astype(np.float64),
            "time": utc_now(),
            "frequency_hz": self.frequency_hz,
            "positions_m": self._geometry.positions_m.tolist(),
        }
        self.message_port_pub(pmt.intern(messages.CALIBRATION_PORT), messages.to_pmt(message))
