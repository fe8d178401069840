"""The accuracy study's setting: the demo array and carrier, the grids, the methods' names, the
study's sizes and seeds (:class:`StudyConfig`), the data (calibration sweeps, held-out angles)
and the error statistics."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...array.geometry import ula, wavelength_m
from ...array.impairments import Impairments
from ...captures.presets import DEMO_FREQUENCY_HZ
from ...doa import crb
from ...doa.coarray import DEFAULT_FIELD_OF_VIEW_DEG
from ...doa.grid import azimuth_grid
from ...doa.metrics import angle_difference_deg, summarize_errors
from ...learned.training import TrainingOptions
from ...learned.training_data import source_cfrs

TITLE = "The MoD-DNN accuracy study: MoD-DNN against classical and learned baselines on an impaired array."
"""The first line of the package docstring: the study's name in its command line help."""

CARRIER_HZ = DEMO_FREQUENCY_HZ
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
GEOMETRY = ula(4, WAVELENGTH_M / 2.0)
SUBCARRIER_OFFSETS_HZ = np.linspace(-48e6, 48e6, 16)
"""The demo setting: 4-element half-wavelength ULA at 4.85 GHz, K = 16 subcarriers."""

FIELD_OF_VIEW_GRID_DEG = np.round(azimuth_grid(*DEFAULT_FIELD_OF_VIEW_DEG), 6)
"""-60 .. 60 deg at 0.1 deg: the grid of MoD-DNN, coarray DBF, SCG, DeepMUSIC and the table."""
SEARCH_GRID_DEG = azimuth_grid(-90.0, 90.0, 0.1)
"""Grid of MUSIC and DBF: the front half-plane, so that a peak pushed beyond 60 deg is found."""
SPECTRUM_ANGLES_DEG = (-45.0, -15.0, 15.0, 45.0)
"""Sources of the example spectra (Figs. 1c, 4e)."""
RESPONSE_STEP_DEG = 0.5
"""Angle step of the autoencoder responses (Figs. 4a-d)."""
ACCEPTANCE_SNRS_DB = (10.0, 15.0, 20.0, 25.0, 30.0)
"""SNRs of the summary's RMSE / CRB ratios."""

MOD_DNN = "MoD-DNN"
MOD_DNN_II = "MoD-DNN (AE II)"
MOD_DNN_LINEAR = "MoD-DNN (linear dec.)"
MUSIC = "MUSIC"
DBF = "DBF"
COARRAY_DBF = "coarray DBF"
SCG = "SCG"
CALIBRATED_MUSIC = "calibrated MUSIC"
DEEP_MUSIC = "DeepMUSIC"
CNN = "CNN"
TRANSFERRED = "MoD-DNN (array S model)"
ABLATIONS = {MOD_DNN_II: {"shared_weights": True}, MOD_DNN_LINEAR: {"decoder": "linear"}}
"""The MoD-DNN variants trained on array S only: the library's defaults but these fields."""
METHOD_NAMES = (
    MOD_DNN,
    *ABLATIONS,
    MUSIC,
    DBF,
    COARRAY_DBF,
    SCG,
    CALIBRATED_MUSIC,
    DEEP_MUSIC,
    CNN,
)
"""Every method of the study, in the order of the tables (the ablations only on array S)."""


TORCH_THREADS = 1
"""Torch threads of :func:`main`. The models are small: on the 2-core machine, shared with other
jobs, training MoD-DNN on a sweep of 2 items per angle took 3 s with one thread and 28 s with
two (the threads wait for each other on every small operation)."""

PAPER_P80_DEG = {MOD_DNN: 0.15, MUSIC: 3.0}
"""The paper's anechoic-chamber p80 (Sec. 6), for the summary."""
STATISTIC_KEYS = ("rmse_deg", "median_deg", "p80_deg", "p95_deg", "max_deg")
STATISTIC_HEADERS = ("RMSE (deg)", "median", "p80", "p95", "max")
"""The columns of the error tables (:func:`~gnuradio.bearing.doa.metrics.summarize_errors` keys)."""


@dataclass(frozen=True)
class StudyConfig:
    """Sizes and seeds of the study; the defaults are the full run, :meth:`quick` the smoke test.

    Attributes:
        seed: master seed: array S is ``draw_impairments(4, rho, seed)``, the unseen array
            S' uses ``seed + 1``; every data stream is ``default_rng([seed, tag, ...])``; the
            learned methods' training seed.
        sweep_step_deg: calibration sweep step, degrees.
        draws_per_angle: calibration items per sweep angle (array S and the unseen array).
        calibration_snr_db: SNR of the calibration sweep, dB. A calibration campaign
            (turntable, chamber) can run at a high SNR; the paper's is 10 dB.
        paper_calibration_snr_db: MoD-DNN and calibrated MUSIC are also calibrated at this
            SNR, dB (step 3 of the module docstring).
        test_points: held-out test angles.
        snrs_db: test SNRs of Fig. 4f, dB; must hold ``test_snr_db``.
        test_snr_db: SNR of the CDFs, subregions, timing, rho sweep and unseen array, dB.
        rhos: impairment degrees of Fig. 4g.
        rho_draws_per_angle: calibration items per sweep angle in the rho sweep.
        training_repeats: MoD-DNN is also retrained on array S's sweep with the training
            seeds ``seed + 1 .. seed + training_repeats`` (the spread of training).
        epochs: most epochs of every learned method; None keeps the library's defaults.
    """

    seed: int = 0
    sweep_step_deg: float = 0.1
    draws_per_angle: int = 16
    calibration_snr_db: float = 20.0
    paper_calibration_snr_db: float = 10.0
    test_points: int = 1000
    snrs_db: tuple[float, ...] = (-10.0, -5.0, 0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0)
    test_snr_db: float = 20.0
    rhos: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    rho_draws_per_angle: int = 8
    training_repeats: int = 2
    epochs: int | None = None

    def __post_init__(self) -> None:
        if self.test_snr_db not in self.snrs_db:
            raise ValueError(f"test_snr_db {self.test_snr_db} must be one of snrs_db {self.snrs_db}")

    @classmethod
    def quick(cls, seed: int = 0) -> StudyConfig:
        """A 1 deg sweep, 2 draws, 40 test angles, 10 and 20 dB, rho 0 and 1, 2 epochs."""
        return cls(
            seed=seed,
            sweep_step_deg=1.0,
            draws_per_angle=2,
            test_points=40,
            snrs_db=(10.0, 20.0),
            rhos=(0.0, 1.0),
            rho_draws_per_angle=1,
            training_repeats=1,
            epochs=2,
        )

    def training_options(self) -> TrainingOptions:
        """The library's :class:`TrainingOptions` with this study's seed (and epochs, if set)."""
        options = dataclasses.replace(TrainingOptions(), seed=self.seed)
        return options if self.epochs is None else dataclasses.replace(options, epochs=self.epochs)


# --- statistics ----------------------------------------------------------------------------------


def absolute_errors_deg(estimates_deg: ArrayLike, truth_deg: ArrayLike) -> tuple[NDArray[np.float64], int]:
    """Absolute errors, degrees, and the number of missing estimates (NaN, counted as 0 deg)."""
    estimates = np.asarray(estimates_deg, dtype=np.float64)
    missing = ~np.isfinite(estimates)
    errors = np.abs(angle_difference_deg(np.where(missing, 0.0, estimates), truth_deg))
    return errors, int(missing.sum())


def error_statistics(estimates_deg: ArrayLike, truth_deg: ArrayLike) -> dict[str, float | None]:
    """:func:`~gnuradio.bearing.doa.metrics.summarize_errors` of the estimates against the truth (RMSE,
    p80, ...)."""
    return summarize_errors(*absolute_errors_deg(estimates_deg, truth_deg))


def empirical_cdf(errors_deg: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The sorted errors and ``P(error <= x)`` at each, ``i / n`` for the i-th smallest."""
    errors = np.sort(np.asarray(errors_deg, dtype=np.float64).reshape(-1))
    return errors, np.arange(1, errors.size + 1) / errors.size


def crb_rms_deg(azimuths_deg: ArrayLike, snr_db: float, num_snapshots: int) -> float:
    """RMS over the azimuths of the stochastic CRB (degrees) of one unit-power source, ideal array.

    ``crb.stochastic_crb`` with noise power ``10^(-snr/10)`` per element and ``num_snapshots``
    snapshots: the bound of Fig. 4f for an item of ``num_snapshots`` subcarriers.
    """
    noise = 10.0 ** (-snr_db / 10.0)
    variances = [
        crb.stochastic_crb(GEOMETRY, WAVELENGTH_M, [azimuth], [1.0], noise, num_snapshots)[0, 0]
        for azimuth in np.atleast_1d(azimuths_deg)
    ]
    return float(np.sqrt(np.mean(variances)))


def interquartile_range(values: ArrayLike) -> float:
    """75th minus 25th percentile."""
    low, high = np.percentile(np.asarray(values, dtype=np.float64), [25.0, 75.0])
    return float(high - low)


# --- data ----------------------------------------------------------------------------------------


def calibration_sweep(
    impairments: Impairments, step_deg: float, draws: int, snr_db: float, rng: np.random.Generator
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """CFR items ``(N, K, M)`` of a sweep of the field of view, ``draws`` per angle, and their azimuths."""
    azimuths = np.repeat(np.round(azimuth_grid(-60.0, 60.0, step_deg), 6), draws)
    return cfrs(impairments, azimuths, snr_db, rng), azimuths


def cfrs(
    impairments: Impairments, azimuths_deg: ArrayLike, snr_db: float | None, rng: np.random.Generator
) -> NDArray[np.complex128]:
    """One CFR item ``(N, K, M)`` per azimuth in the demo setting
    (:func:`~gnuradio.bearing.learned.training_data.source_cfrs`)."""
    return source_cfrs(GEOMETRY, azimuths_deg, CARRIER_HZ, SUBCARRIER_OFFSETS_HZ, impairments, snr_db, rng)


def item_covariances(items: ArrayLike) -> NDArray[np.complex128]:
    """Each item's covariance over its subcarriers, ``R = 1/K sum_k h_k h_k^H``: ``(N, M, M)``."""
    values = np.asarray(items)
    return np.einsum("nkm,nkl->nml", values, values.conj()) / values.shape[1]


def held_out_angles(count: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Held-out azimuths, uniform in -60 .. 60 deg (off any sweep grid with probability 1)."""
    return rng.uniform(-60.0, 60.0, count)


def study_rng(config: StudyConfig, *tags: int) -> np.random.Generator:
    """The data stream ``tags`` of the study: ``default_rng([seed, *tags])``."""
    return np.random.default_rng([config.seed, *tags])
