"""The MoD-DNN accuracy study: MoD-DNN against classical and learned baselines on an impaired array.

Liu et al., ACM TOSN 2025, Sec. 6 (Figs. 1c, 4a-g, 5c, Table 4), re-run on the simulator in
the demo setting: a 4-element half-wavelength ULA at 4.85 GHz, K = 16 subcarriers at
-48 .. 48 MHz from the carrier, the paper's subregions and grid (-60 .. 60 deg at 0.1 deg).
One CFR item (:func:`training_data.source_cfrs`: the impaired array response per subcarrier,
a random gain and delay, white noise; SNR per element and subcarrier) is one estimate.

1. **Calibration.** A sweep of the field of view (``sweep_step_deg``, ``draws_per_angle``
   items per angle, ``calibration_snr_db`` = 20 dB) through the impaired array
   ``draw_impairments(4, rho, seed)`` trains MoD-DNN (the library's default configuration and
   training options: Autoencoder I), two ablations (Autoencoder II, ``shared_weights``; the
   paper's linear decoders of eq. (9), ``decoder="linear"``), DeepMUSIC, the data-driven CNN
   and the table of manifold-calibrated MUSIC. The covariance-based methods see each item's
   covariance over its 16 subcarriers (:func:`item_covariances`).
2. **Test** on held-out angles (uniform in -60 .. 60 deg, off the sweep's grid) of the same
   array with fresh noise and gains: RMSE against SNR with the CRB (Fig. 4f), error CDFs and
   p80 at the test SNR, errors per subregion (Fig. 5c), the autoencoder's responses (Figs.
   4a-d), example spectra (Figs. 1c, 4e), training and test time (Table 4); RMSE against the
   impairment degree rho, every rho with its own array and retrained models (Fig. 4g); and
   the whole train and test on a second impairment draw (the unseen array).
3. **Calibration SNR.** MoD-DNN and calibrated MUSIC are trained once more on the same sweep
   at the paper's 10 dB (``paper_calibration_snr_db``, the same gains and noise draws, scaled)
   and tested at every SNR: the calibration's noise sets the floor of both at high SNR.

Choices, stated in the tables' header and docs: MUSIC and DBF (Bartlett) use the ideal
manifold on a -90 .. 90 deg grid with off-grid refinement (:class:`estimators.Estimator`);
coarray DBF takes the parabola-refined peak of its spectrum (:func:`modl_ssr.peak_bearings`,
as MoD-DNN does on its calibrated spectrum); SCG alone takes the support centroid of its
sparse spectrum, as the SCG block does. An estimator that returns no bearing counts as
answering 0 deg (the centre of the field of view) and is counted in ``missed``. The bound is
the stochastic CRB (:func:`crb.stochastic_crb`) of the ideal array for one unit-power
source and T = 16 snapshots (the item's subcarriers), RMS over the test angles.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from . import crb
from .array_model import ula, wavelength_m
from .autoencoder import DEFAULT_EDGES_DEG, responses, subregion_index
from .calibrated_music import CalibrationTable, calibrated_music
from .cnn_doa import CnnDoa, train_cnn_doa
from .coarray import DEFAULT_FIELD_OF_VIEW_DEG, CoarrayModel, coarray_model
from .deep_music import DeepMusic, train_deep_music
from .estimators import Estimator, azimuth_grid
from .evaluation import angle_difference_deg, summarize_errors
from .impairments import Impairments, draw_impairments
from .mod_dnn import ModDnn, ModDnnConfig
from .mod_dnn_training import TrainingOptions, train_mod_dnn
from .modl_ssr import peak_bearings
from .peaks import sparse_peak_bearings
from .plotting import plot_training_history, plt, save_figure
from .simulator import DEMO_FREQUENCY_HZ
from .study_report import decorate, markdown_table, progress, study_arguments
from .training_data import source_cfrs

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
COLOURS = dict(zip((*METHOD_NAMES, TRANSFERRED), (*plt.get_cmap("tab10").colors, "k"), strict=True))

Result = TypeVar("Result")

TORCH_THREADS = 1
"""Torch threads of :func:`main`. The models are small: on the 2-core machine, shared with other
jobs, training MoD-DNN on a sweep of 2 items per angle took 3 s with one thread and 28 s with
two (the threads wait for each other on every small operation)."""

PAPER_P80_DEG = {MOD_DNN: 0.15, MUSIC: 3.0}
"""The paper's anechoic-chamber p80 (Sec. 6), for the summary."""
STATISTIC_KEYS = ("rmse_deg", "median_deg", "p80_deg", "p95_deg", "max_deg")
STATISTIC_HEADERS = ("RMSE (deg)", "median", "p80", "p95", "max")
"""The columns of the error tables (:func:`evaluation.summarize_errors` keys)."""


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


@dataclass(frozen=True)
class Seconds:
    """A duration: wall time and this process's CPU time (all threads), seconds.

    The machine may be shared: wall time then grows with the other jobs' load, CPU time less so.
    """

    wall: float = 0.0
    cpu: float = 0.0

    def __truediv__(self, count: int) -> Seconds:
        return Seconds(self.wall / count, self.cpu / count)


@dataclass
class Method:
    """A trained estimator: one CFR item ``(K, M)`` in, its bearing in degrees out (NaN: none).

    Attributes:
        name: the method's name in the tables.
        bearing: the estimator.
        train_seconds: its training time (zero for the classical methods).
        model: the MoD-DNN model behind it, if any.
    """

    name: str
    bearing: Callable[[NDArray[np.complex128]], float]
    train_seconds: Seconds = Seconds()
    model: ModDnn | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Evaluation:
    """One method on one test set: its estimates ``(N,)`` (degrees, NaN: none) and its time per estimate."""

    estimates_deg: NDArray[np.float64]
    seconds_per_estimate: Seconds


# --- statistics ----------------------------------------------------------------------------------


def absolute_errors_deg(estimates_deg: ArrayLike, truth_deg: ArrayLike) -> tuple[NDArray[np.float64], int]:
    """Absolute errors, degrees, and the number of missing estimates (NaN, counted as 0 deg)."""
    estimates = np.asarray(estimates_deg, dtype=np.float64)
    missing = ~np.isfinite(estimates)
    errors = np.abs(angle_difference_deg(np.where(missing, 0.0, estimates), truth_deg))
    return errors, int(missing.sum())


def error_statistics(estimates_deg: ArrayLike, truth_deg: ArrayLike) -> dict[str, float | None]:
    """:func:`evaluation.summarize_errors` of the estimates against the truth (RMSE, p80, ...)."""
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
    """One CFR item ``(N, K, M)`` per azimuth in the demo setting (:func:`training_data.source_cfrs`)."""
    return source_cfrs(GEOMETRY, azimuths_deg, CARRIER_HZ, SUBCARRIER_OFFSETS_HZ, impairments, snr_db, rng)


def item_covariances(items: ArrayLike) -> NDArray[np.complex128]:
    """Each item's covariance over its subcarriers, ``R = 1/K sum_k h_k h_k^H``: ``(N, M, M)``."""
    values = np.asarray(items)
    return np.einsum("nkm,nkl->nml", values, values.conj()) / values.shape[1]


def held_out_angles(count: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Held-out azimuths, uniform in -60 .. 60 deg (off any sweep grid with probability 1)."""
    return rng.uniform(-60.0, 60.0, count)


def _rng(config: StudyConfig, *tags: int) -> np.random.Generator:
    """The data stream ``tags`` of the study: ``default_rng([seed, *tags])``."""
    return np.random.default_rng([config.seed, *tags])


# --- methods -------------------------------------------------------------------------------------


def mod_dnn_config(**architecture: object) -> ModDnnConfig:
    """MoD-DNN for the demo setting with the library's defaults but the ``architecture`` fields."""
    return ModDnnConfig(
        GEOMETRY.positions_m,
        CARRIER_HZ,
        tuple(SUBCARRIER_OFFSETS_HZ),
        kind="srs",
        window_items=1,
        **architecture,
    )


def first_bearing(bearings_deg: ArrayLike) -> float:
    """The strongest bearing, or NaN if there is none."""
    values = np.atleast_1d(np.asarray(bearings_deg, dtype=np.float64))
    return float(values[0]) if values.size else float("nan")


def covariance_method(
    name: str, bearings: Callable[[NDArray[np.complex128]], ArrayLike], train_seconds: Seconds = Seconds()
) -> Method:
    """A method of the item covariance: ``bearings(R)`` gives its bearings, strongest first."""
    return Method(name, lambda item: first_bearing(bearings(item_covariances(item[None])[0])), train_seconds)


def sparse_spectrum(model: CoarrayModel, covariance: ArrayLike) -> tuple[NDArray, NDArray]:
    """SCG alone, as the SCG block runs it: the coarray DBF and sparse spectra and the bearing.

    Returns ``(eta_hat, eta)`` on the model's grid; the bearing is
    :func:`~gnuradio.bearing.peaks.sparse_peak_bearings` of ``eta``.
    """
    eta_hat = model.spectrum(covariance, remove_noise_floor=True)
    return eta_hat, model.sparse_spectrum(model.project_onto_range(eta_hat))


def classical_methods() -> list[Method]:
    """MUSIC, DBF, coarray DBF and SCG alone, all on the ideal manifold (nothing to train)."""
    music = Estimator(GEOMETRY, WAVELENGTH_M, SEARCH_GRID_DEG, "music")
    bartlett = Estimator(GEOMETRY, WAVELENGTH_M, SEARCH_GRID_DEG, "bartlett")
    model = coarray_model(GEOMETRY.positions_m, CARRIER_HZ)
    return [
        covariance_method(MUSIC, lambda r: music.estimate(r, 1).azimuth_deg),
        covariance_method(DBF, lambda r: bartlett.estimate(r, 1).azimuth_deg),
        covariance_method(COARRAY_DBF, lambda r: peak_bearings(model.spectrum(r, True), model.grid_deg)),
        covariance_method(
            SCG, lambda r: sparse_peak_bearings(sparse_spectrum(model, r)[1], model.grid_deg, 1, 2.0)[1]
        ),
    ]


def timed(work: Callable[[], Result]) -> tuple[Result, Seconds]:
    """``work()`` and its duration."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, Seconds(time.perf_counter() - wall, time.process_time() - cpu)


def train_mod_dnn_method(
    name: str, items: NDArray, azimuths_deg: NDArray, config: StudyConfig, **architecture: object
) -> Method:
    """MoD-DNN trained on the sweep, one window per item (Sec. 5; the library's defaults)."""
    windows = np.arange(len(items))
    (model, history), seconds = timed(
        lambda: train_mod_dnn(
            items, azimuths_deg, windows, mod_dnn_config(**architecture), config.training_options()
        )
    )
    model.history = history
    return Method(name, lambda item: first_bearing(model.estimate(item[None]).bearings_deg), seconds, model)


def train_methods(
    items: NDArray[np.complex128], azimuths_deg: NDArray[np.float64], config: StudyConfig, ablation: bool
) -> dict[str, Method]:
    """Every method of :data:`METHOD_NAMES` trained (or calibrated) on one sweep of one array.

    Args:
        items: the sweep's CFR items ``(N, K, M)``.
        azimuths_deg: their azimuths ``(N,)``.
        config: the study (seeds, epochs).
        ablation: also train the variants of :data:`ABLATIONS`.
    """
    methods = [train_mod_dnn_method(MOD_DNN, items, azimuths_deg, config)]
    if ablation:
        methods += [
            train_mod_dnn_method(name, items, azimuths_deg, config, **fields)
            for name, fields in ABLATIONS.items()
        ]
    methods += classical_methods()
    covariances = item_covariances(items)
    methods.append(calibrated_music_method(covariances, azimuths_deg))
    deep = DeepMusic(GEOMETRY, CARRIER_HZ, FIELD_OF_VIEW_GRID_DEG, seed=config.seed)
    _, seconds = timed(lambda: train_deep_music(deep, covariances, azimuths_deg, config.training_options()))
    methods.append(covariance_method(DEEP_MUSIC, lambda r: deep.estimate(r[None]), seconds))
    cnn = CnnDoa(GEOMETRY.num_elements, seed=config.seed)
    _, seconds = timed(lambda: train_cnn_doa(cnn, covariances, azimuths_deg, config.training_options()))
    methods.append(covariance_method(CNN, lambda r: cnn.estimate(r[None]), seconds))
    return {method.name: method for method in methods}


def calibrated_music_method(covariances: NDArray[np.complex128], azimuths_deg: NDArray[np.float64]) -> Method:
    """Manifold-calibrated MUSIC with the table of a sweep's item covariances ``(N, M, M)``."""
    table, seconds = timed(lambda: CalibrationTable.fit(covariances, azimuths_deg, FIELD_OF_VIEW_GRID_DEG))
    return covariance_method(CALIBRATED_MUSIC, lambda r: calibrated_music(r, table, 1), seconds)


def evaluate(methods: dict[str, Method], items: NDArray[np.complex128]) -> dict[str, Evaluation]:
    """Every method on every item, one estimate at a time (the time per estimate included)."""
    results = {}
    for name, method in methods.items():
        estimates, seconds = timed(lambda method=method: np.array([method.bearing(item) for item in items]))
        results[name] = Evaluation(estimates, seconds / len(items))
    return results


# --- the study -----------------------------------------------------------------------------------


@dataclass
class StudyResults:
    """Everything the tables and figures are made of (see :func:`run_study`)."""

    config: StudyConfig
    truth_deg: NDArray[np.float64]
    methods: dict[str, Method]
    by_snr: dict[float, dict[str, Evaluation]]
    crb_deg: dict[float, float]
    by_rho: dict[float, dict[str, Evaluation]]
    unseen: dict[str, Evaluation]
    wrong_subregion: dict[float, float]
    repeated: dict[int, Evaluation]
    paper_calibration: dict[float, dict[str, Evaluation]]
    seconds: float = 0.0

    @property
    def at_test_snr(self) -> dict[str, Evaluation]:
        return self.by_snr[self.config.test_snr_db]


def run_study(config: StudyConfig, log: Callable[[str], None] = progress) -> StudyResults:
    """Steps 1-2 of the module docstring; ``log`` gets one line per stage.

    Data streams (``default_rng([seed, tag, ...])``): tag 1 the calibration sweeps (then the
    array's seed and 0, or 1 + the rho index in the rho sweep), 2 the test angles, 3 the test
    items (then the SNR index, or 100 + the rho index, or 200 for the unseen array), 4 and 5
    the figures' items.
    """
    start = time.perf_counter()
    num_elements = GEOMETRY.num_elements
    array_s = draw_impairments(num_elements, 1.0, config.seed)
    truth = held_out_angles(config.test_points, _rng(config, 2))

    log(f"array S (seed {config.seed}): training on {config.draws_per_angle} draws per angle ...")
    sweep = calibration_sweep_of(array_s, config.seed, 0, config.draws_per_angle, config)
    methods = train_methods(*sweep, config, ablation=True)
    trained = [f"{name} {m.train_seconds.wall:.1f} s" for name, m in methods.items() if m.train_seconds.wall]
    log("  trained: " + ", ".join(trained))
    log(f"array S calibrated at {config.paper_calibration_snr_db:.0f} dB: training ...")
    low_sweep = calibration_sweep_of(
        array_s, config.seed, 0, config.draws_per_angle, config, config.paper_calibration_snr_db
    )
    low_methods = {
        MOD_DNN: train_mod_dnn_method(MOD_DNN, *low_sweep, config),
        CALIBRATED_MUSIC: calibrated_music_method(item_covariances(low_sweep[0]), low_sweep[1]),
    }
    by_snr, crb_deg, wrong_subregion, paper_calibration = {}, {}, {}, {}
    for index, snr_db in enumerate(config.snrs_db):
        items = cfrs(array_s, truth, snr_db, _rng(config, 3, index))
        by_snr[snr_db] = evaluate(methods, items)
        paper_calibration[snr_db] = evaluate(low_methods, items)
        crb_deg[snr_db] = crb_rms_deg(truth, snr_db, len(SUBCARRIER_OFFSETS_HZ))
        wrong_subregion[snr_db] = routing_error_rate(methods[MOD_DNN].model, items, truth)
        log(f"  {snr_db:+.0f} dB: MoD-DNN RMSE {rmse(by_snr[snr_db][MOD_DNN], truth):.3f} deg")
        if snr_db == config.test_snr_db:
            test_items = items

    repeats = {
        seed: train_mod_dnn_method(MOD_DNN, *sweep, dataclasses.replace(config, seed=seed))
        for seed in range(config.seed + 1, config.seed + 1 + config.training_repeats)
    }
    repeated = {seed: evaluate({MOD_DNN: method}, test_items)[MOD_DNN] for seed, method in repeats.items()}

    by_rho = {}
    for index, rho in enumerate(config.rhos):
        log(f"rho {rho}: training on {config.rho_draws_per_angle} draws per angle ...")
        array = draw_impairments(num_elements, rho, config.seed)
        sweep = calibration_sweep_of(array, config.seed, index + 1, config.rho_draws_per_angle, config)
        trained = train_methods(*sweep, config, ablation=False)
        by_rho[rho] = evaluate(trained, cfrs(array, truth, config.test_snr_db, _rng(config, 3, 100 + index)))

    unseen_seed = config.seed + 1
    log(f"unseen array S' (seed {unseen_seed}): training on {config.draws_per_angle} draws per angle ...")
    array_u = draw_impairments(num_elements, 1.0, unseen_seed)
    sweep = calibration_sweep_of(array_u, unseen_seed, 0, config.draws_per_angle, config)
    unseen_methods = train_methods(*sweep, config, ablation=False)
    unseen_methods[TRANSFERRED] = dataclasses.replace(
        methods[MOD_DNN], name=TRANSFERRED, train_seconds=Seconds()
    )
    unseen = evaluate(unseen_methods, cfrs(array_u, truth, config.test_snr_db, _rng(config, 3, 200)))
    results = StudyResults(
        config, truth, methods, by_snr, crb_deg, by_rho, unseen, wrong_subregion, repeated, paper_calibration
    )
    results.seconds = time.perf_counter() - start
    return results


def calibration_sweep_of(
    impairments: Impairments,
    array_seed: int,
    stream: int,
    draws: int,
    config: StudyConfig,
    snr_db: float | None = None,
) -> tuple[NDArray[np.complex128], NDArray[np.float64]]:
    """:func:`calibration_sweep` of an array with the data stream ``[seed, 1, array_seed, stream]``,
    at ``snr_db`` (None: ``config.calibration_snr_db``)."""
    return calibration_sweep(
        impairments,
        config.sweep_step_deg,
        draws,
        config.calibration_snr_db if snr_db is None else snr_db,
        _rng(config, 1, array_seed, stream),
    )


def routing_error_rate(model: ModDnn, items: NDArray[np.complex128], truth_deg: ArrayLike) -> float:
    """Share of one-item windows whose largest-energy branch is not the truth's subregion.

    The subregion choice of :meth:`ModDnn.estimate`: branch ``p``'s energy ``trace(R_p)`` is
    the energy of the autoencoder's output ``p`` (:meth:`ModDnn.filter`).
    """
    energies = np.sum(np.abs(model.filter(items)) ** 2, axis=(2, 3))
    return float(np.mean(np.argmax(energies, axis=1) != subregion_index(truth_deg, model.config.edges_deg)))


def rmse(evaluation: Evaluation, truth_deg: ArrayLike) -> float:
    """RMSE of one evaluation, degrees."""
    return float(error_statistics(evaluation.estimates_deg, truth_deg)["rmse_deg"])


def p80(evaluation: Evaluation, truth_deg: ArrayLike) -> float:
    """80th-percentile absolute error of one evaluation, degrees."""
    return float(error_statistics(evaluation.estimates_deg, truth_deg)["p80_deg"])


# --- tables --------------------------------------------------------------------------------------


def header_lines(results: StudyResults, command: str) -> list[str]:
    """Command, setting and seeds of a run (the head of every table file)."""
    config = results.config
    return [
        "# MoD-DNN accuracy study",
        "",
        f"Command: `{command}` ({results.seconds / 60:.1f} min; torch {torch.__version__}, "
        f"torch threads: {torch.get_num_threads()}).",
        "",
        f"Setting: {GEOMETRY.num_elements}-element half-wavelength ULA at {CARRIER_HZ / 1e9:.2f} GHz, "
        f"K = {len(SUBCARRIER_OFFSETS_HZ)} subcarriers {SUBCARRIER_OFFSETS_HZ[0] / 1e6:+.0f} .. "
        f"{SUBCARRIER_OFFSETS_HZ[-1] / 1e6:+.0f} MHz, one CFR item per estimate; subregions "
        f"{list(DEFAULT_EDGES_DEG)} deg, grid -60 .. 60 deg at 0.1 deg. Calibration: sweep step "
        f"{config.sweep_step_deg} deg, {config.draws_per_angle} draws per angle "
        f"({config.rho_draws_per_angle} in the rho sweep) at {config.calibration_snr_db:.0f} dB (and "
        f"at {config.paper_calibration_snr_db:.0f} dB, the paper's, in 'Calibration SNR'); "
        f"{config.test_points} held-out test angles uniform in -60 .. 60 deg; epochs "
        f"{config.epochs or 'library default'}. SNR per element and subcarrier. CRB: the stochastic "
        "CRB of the ideal array, one unit-power source, T = 16 snapshots (the item's subcarriers), "
        "RMS over the test angles. MUSIC and DBF: ideal manifold, -90 .. 90 deg grid, off-grid "
        "refinement; a missing estimate counts as 0 deg.",
        "",
        f"Seeds: --seed {config.seed}: array S = draw_impairments(4, rho, {config.seed}), unseen array "
        f"S' = draw_impairments(4, 1, {config.seed + 1}); data streams default_rng([{config.seed}, tag, "
        f"...]); training seed {config.seed}.",
        "",
    ]


def summary_table(results: StudyResults) -> list[str]:
    """The acceptance figures: p80 of MoD-DNN and MUSIC, RMSE / CRB, calibrated MUSIC, unseen array."""
    config, truth = results.config, results.truth_deg
    test = results.at_test_snr
    snr = f"rho = 1, {config.test_snr_db:.0f} dB"
    rows: list[list[object]] = [
        [f"{name} p80 (deg), {snr}", p80(test[name], truth), PAPER_P80_DEG.get(name, "-")]
        for name in (MOD_DNN, MUSIC, CALIBRATED_MUSIC)
    ]
    for snr_db in ACCEPTANCE_SNRS_DB:
        if snr_db in results.by_snr:
            ratio = rmse(results.by_snr[snr_db][MOD_DNN], truth) / results.crb_deg[snr_db]
            rows.append([f"MoD-DNN RMSE / CRB at {snr_db:.0f} dB", ratio, "-"])
    paper = config.paper_calibration_snr_db
    ratios = [
        rmse(results.paper_calibration[snr_db][MOD_DNN], truth) / results.crb_deg[snr_db]
        for snr_db in ACCEPTANCE_SNRS_DB
        if snr_db in results.paper_calibration
    ]
    if ratios:
        rows.append(
            [f"MoD-DNN largest RMSE / CRB at >= 10 dB, calibrated at {paper:.0f} dB", max(ratios), "-"]
        )
    spread = [p80(e, truth) for e in (test[MOD_DNN], *results.repeated.values())]
    rows.append(
        [
            f"MoD-DNN p80 (deg) over {len(spread)} training seeds, min .. max",
            f"{min(spread):.3f} .. {max(spread):.3f}",
            "-",
        ]
    )
    mine, theirs = test[MOD_DNN], test[CALIBRATED_MUSIC]
    rows.append([f"MoD-DNN p80 / calibrated MUSIC p80, {snr}", p80(mine, truth) / p80(theirs, truth), "-"])
    rows.append(
        [f"MoD-DNN RMSE / calibrated MUSIC RMSE, {snr}", rmse(mine, truth) / rmse(theirs, truth), "-"]
    )
    better = sum(rmse(e[MOD_DNN], truth) < rmse(e[CALIBRATED_MUSIC], truth) for e in results.by_snr.values())
    rows.append(
        ["SNRs where MoD-DNN's RMSE beats calibrated MUSIC's", f"{better} of {len(results.by_snr)}", "-"]
    )
    for name in (MOD_DNN, MUSIC, CALIBRATED_MUSIC):
        value = p80(results.unseen[name], results.truth_deg)
        rows.append([f"{name} p80 (deg), unseen array S', {config.test_snr_db:.0f} dB", value, "-"])
    return markdown_table(["quantity", "this run", "paper (chamber)"], rows)


def snr_table(results: StudyResults) -> list[str]:
    """Fig. 4f: RMSE per method and SNR, the CRB, MoD-DNN's RMSE / CRB and its wrong subregions."""
    names = list(results.methods)
    rows = []
    for snr_db, evaluations in results.by_snr.items():
        values = [rmse(evaluations[name], results.truth_deg) for name in names]
        bound = results.crb_deg[snr_db]
        wrong = f"{100 * results.wrong_subregion[snr_db]:.1f}"
        rows.append([f"{snr_db:+.0f}", bound, *values, values[0] / bound, wrong])
    return markdown_table(["SNR (dB)", "CRB", *names, "MoD-DNN / CRB", "MoD-DNN wrong subregion (%)"], rows)


def calibration_snr_table(results: StudyResults) -> list[str]:
    """RMSE of MoD-DNN and calibrated MUSIC at both calibration SNRs, and MoD-DNN's RMSE / CRB."""
    curves = calibration_snr_curves(results)
    bound = curves.pop("CRB")
    names = list(curves)
    mod_dnn = [name for name in names if name.startswith(MOD_DNN)]
    rows = []
    for index, snr_db in enumerate(results.config.snrs_db):
        values = [curves[name][index] for name in names]
        ratios = [curves[name][index] / bound[index] for name in mod_dnn]
        rows.append([f"{snr_db:+.0f}", bound[index], *values, *ratios])
    header = [
        "test SNR (dB)",
        "CRB",
        *names,
        *(f"{name.replace(MOD_DNN, 'MoD-DNN / CRB')}" for name in mod_dnn),
    ]
    return markdown_table(header, rows)


def repeat_table(results: StudyResults) -> list[str]:
    """MoD-DNN on array S retrained with other training seeds: RMSE and p80 at the test SNR."""
    rows = [[results.config.seed, *_rmse_p80(results.at_test_snr[MOD_DNN], results)]]
    rows += [[seed, *_rmse_p80(evaluation, results)] for seed, evaluation in results.repeated.items()]
    return markdown_table(["training seed", "RMSE (deg)", "p80 (deg)"], rows)


def _rmse_p80(evaluation: Evaluation, results: StudyResults) -> tuple[float, float]:
    return rmse(evaluation, results.truth_deg), p80(evaluation, results.truth_deg)


def rho_table(results: StudyResults) -> list[str]:
    """Fig. 4g: RMSE (p80) per method and impairment degree at the test SNR."""
    names = list(next(iter(results.by_rho.values())))
    rows = [
        [
            f"{rho:.2f}",
            *(
                f"{rmse(e[name], results.truth_deg):.3f} ({p80(e[name], results.truth_deg):.3f})"
                for name in names
            ),
        ]
        for rho, e in results.by_rho.items()
    ]
    return markdown_table(["rho", *names], rows)


def error_table(evaluations: dict[str, Evaluation], truth_deg: NDArray) -> list[str]:
    """Error statistics per method (:func:`error_statistics`)."""
    rows = []
    for name, evaluation in evaluations.items():
        stats = error_statistics(evaluation.estimates_deg, truth_deg)
        rows.append([name, stats["count"], stats["missed"], *(stats[key] for key in STATISTIC_KEYS)])
    return markdown_table(["method", "count", "missed", *STATISTIC_HEADERS], rows)


def subregion_table(results: StudyResults) -> list[str]:
    """Fig. 5c in numbers: median and IQR of the absolute error per subregion, at the test SNR."""
    region = subregion_index(results.truth_deg, DEFAULT_EDGES_DEG)
    edges = DEFAULT_EDGES_DEG
    header = ["method"] + [
        f"[{edges[p]:.0f}, {edges[p + 1]:.0f}) median / IQR" for p in range(len(edges) - 1)
    ]
    rows = []
    for name, evaluation in results.at_test_snr.items():
        errors, _ = absolute_errors_deg(evaluation.estimates_deg, results.truth_deg)
        rows.append(
            [name]
            + [
                f"{np.median(errors[region == p]):.3f} / {interquartile_range(errors[region == p]):.3f}"
                for p in range(len(edges) - 1)
            ]
        )
    rows.append(["max IQR over subregions, MoD-DNN vs CNN", *[""] * (len(edges) - 2), max_iqr_line(results)])
    return markdown_table(header, rows)


def max_iqr_line(results: StudyResults) -> str:
    """``"a / b"``: the largest per-subregion IQR of MoD-DNN and of the CNN (the paper: 0.2 / 1.42 deg)."""
    region = subregion_index(results.truth_deg, DEFAULT_EDGES_DEG)
    values = []
    for name in (MOD_DNN, CNN):
        errors, _ = absolute_errors_deg(results.at_test_snr[name].estimates_deg, results.truth_deg)
        values.append(max(interquartile_range(errors[region == p]) for p in np.unique(region)))
    return f"{values[0]:.3f} / {values[1]:.3f}"


def timing_table(results: StudyResults) -> list[str]:
    """Table 4: training time and time per estimate (wall and CPU), measured in this run."""
    test = results.at_test_snr
    music = test[MUSIC].seconds_per_estimate.cpu
    rows = []
    for name, method in results.methods.items():
        per_estimate = test[name].seconds_per_estimate
        train = method.train_seconds
        rows.append(
            [
                name,
                train.wall,
                train.cpu,
                1e3 * per_estimate.wall,
                1e3 * per_estimate.cpu,
                per_estimate.cpu / music,
            ]
        )
    header = [
        "method",
        "training wall (s)",
        "training CPU (s)",
        "test wall (ms)",
        "test CPU (ms)",
        "CPU ratio to MUSIC",
    ]
    return markdown_table(header, rows)


def unseen_table(results: StudyResults) -> list[str]:
    """Array S beside the unseen array S': RMSE and p80 of every method at the test SNR."""
    rows = []
    for name, evaluation in results.unseen.items():
        seen = results.at_test_snr.get(name)
        rows.append(
            [name, *(_rmse_p80(seen, results) if seen else ("-", "-")), *_rmse_p80(evaluation, results)]
        )
    return markdown_table(["method", "RMSE S", "p80 S", "RMSE S'", "p80 S'"], rows)


def report_sections(results: StudyResults) -> list[tuple[str, list[str]]]:
    """The titled tables of :func:`write_report`, summary first."""
    config = results.config
    snr = f"{config.test_snr_db:.0f} dB"
    return [
        ("Summary (acceptance figures)", summary_table(results)),
        ("RMSE (deg) against SNR, rho = 1, with the stochastic CRB (Fig. 4f)", snr_table(results)),
        (f"Errors at {snr}, rho = 1 (CDF figure)", error_table(results.at_test_snr, results.truth_deg)),
        (f"MoD-DNN retrained on the same sweep with other training seeds, {snr}", repeat_table(results)),
        (
            f"Calibration SNR: RMSE (deg) against the test SNR, calibrated at {config.calibration_snr_db:.0f}"
            f" dB and at {config.paper_calibration_snr_db:.0f} dB (the paper's)",
            calibration_snr_table(results),
        ),
        (f"Errors per subregion at {snr}, rho = 1 (Fig. 5c)", subregion_table(results)),
        (f"RMSE (p80) in degrees against the impairment degree rho at {snr} (Fig. 4g)", rho_table(results)),
        (f"Training and test time (Table 4), test set at {snr}", timing_table(results)),
        (f"Unseen array: train and test on array S' beside array S, {snr}", unseen_table(results)),
    ]


# --- figures -------------------------------------------------------------------------------------


def plot_lines(
    x: Sequence[float],
    curves: dict[str, Sequence[float]],
    xlabel: str,
    title: str,
    path: Path,
    styles: dict[str, dict] | None = None,
) -> Path:
    """RMSE curves on a log scale, one per method (a name ``CRB`` is drawn dashed black).

    ``styles`` gives the matplotlib style of a curve by name; by default a method's colour of
    :data:`COLOURS` with round markers.
    """
    figure, axes = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    for name, values in curves.items():
        style = (styles or {}).get(name) or (
            {"color": "k", "linestyle": "--"} if name == "CRB" else {"color": COLOURS[name], "marker": "o"}
        )
        axes.plot(x, values, label=name, markersize=4, **style)
    decorate(axes, xlabel, "RMSE (deg)", title, yscale="log")
    return save_figure(figure, path)


def plot_cdfs(panels: dict[str, tuple[dict[str, Evaluation], NDArray]], path: Path) -> Path:
    """Error CDFs per method, one panel per test set, the p80 level dotted."""
    figure, axes = plt.subplots(
        1, len(panels), figsize=(6.5 * len(panels), 4.6), squeeze=False, constrained_layout=True
    )
    for panel, (title, (evaluations, truth)) in zip(axes[0], panels.items(), strict=True):
        for name, evaluation in evaluations.items():
            errors, probability = empirical_cdf(absolute_errors_deg(evaluation.estimates_deg, truth)[0])
            panel.step(np.maximum(errors, 1e-3), probability, where="post", label=name, color=COLOURS[name])
        panel.axhline(0.8, color="k", linestyle=":", linewidth=1)
        decorate(panel, "absolute error (deg)", "CDF", title, xscale="log")
    return save_figure(figure, path)


def plot_subregion_boxes(results: StudyResults, path: Path) -> Path:
    """Fig. 5c: box plots of the absolute error per method, one panel per subregion."""
    edges = DEFAULT_EDGES_DEG
    region = subregion_index(results.truth_deg, edges)
    names = list(results.at_test_snr)
    figure, axes = plt.subplots(1, len(edges) - 1, figsize=(16, 4.8), sharey=True, constrained_layout=True)
    for p, panel in enumerate(axes):
        errors = [
            np.maximum(absolute_errors_deg(results.at_test_snr[n].estimates_deg, results.truth_deg)[0], 1e-4)[
                region == p
            ]
            for n in names
        ]
        boxes = panel.boxplot(
            errors, patch_artist=True, flierprops={"markersize": 2}, medianprops={"color": "k"}
        )
        for box, name in zip(boxes["boxes"], names, strict=True):
            box.set_facecolor(COLOURS[name])
        title = f"subregion [{edges[p]:.0f}, {edges[p + 1]:.0f}) deg"
        decorate(panel, "", "absolute error (deg)" if p == 0 else "", title, yscale="log", legend=False)
        panel.set_xticks(range(1, len(names) + 1), names, rotation=60, ha="right", fontsize="small")
    return save_figure(figure, path)


def autoencoder_responses(
    model: ModDnn, impairments: Impairments, rng: np.random.Generator
) -> tuple[NDArray, NDArray, NDArray]:
    """Eq. (33) responses of noise-free CFRs of the array, ``RESPONSE_STEP_DEG`` apart (Figs. 4a-d).

    Returns the angles ``(N,)`` and, per angle and branch ``(N, P)``, the amplitude response
    divided by the input's energy, ``|h^H h_p| / |h|^2`` (1: the branch passes the input
    whole), and the phase response ``|h^H h_p| / (|h| |h_p|)``, both averaged over the
    subcarriers.
    """
    angles = np.round(azimuth_grid(-60.0, 60.0, RESPONSE_STEP_DEG), 6)
    items = cfrs(impairments, angles, None, rng)
    amplitude, phase = responses(model.autoencoder, torch.as_tensor(items, dtype=torch.complex64))
    energy = np.sum(np.abs(items) ** 2, axis=-1)[:, None, :]
    return angles, (amplitude.numpy() / energy).mean(axis=-1), phase.numpy().mean(axis=-1)


def plot_responses(
    variants: dict[str, ModDnn], impairments: Impairments, rng: np.random.Generator, path: Path
) -> Path:
    """Figs. 4a-d: amplitude and phase responses of each branch against the angle, per variant."""
    figure, axes = plt.subplots(
        len(variants), 2, figsize=(12, 3.6 * len(variants)), squeeze=False, constrained_layout=True
    )
    for row, (title, model) in zip(axes, variants.items(), strict=True):
        angles, amplitude, phase = autoencoder_responses(model, impairments, rng)
        for panel, values, kind, formula in (
            (row[0], amplitude, "amplitude", "|h^H h_p| / |h|^2"),
            (row[1], phase, "phase", "|h^H h_p| / (|h| |h_p|)"),
        ):
            for p in range(values.shape[1]):
                panel.plot(angles, values[:, p], label=f"branch {p}")
            for edge in DEFAULT_EDGES_DEG[1:-1]:
                panel.axvline(edge, color="k", linestyle=":", linewidth=1)
            decorate(panel, "azimuth (deg)", formula, f"{title}: {kind} response")
            panel.set_ylim(0.0, 1.05 * max(1.0, float(values.max())))
    return save_figure(figure, path)


def example_spectra(
    model: ModDnn, impairments: Impairments, snr_db: float, rng: np.random.Generator
) -> list[dict[str, tuple[NDArray, NDArray]]]:
    """Figs. 1c, 4e: per angle of :data:`SPECTRUM_ANGLES_DEG`, ``{name: (grid, spectrum)}``.

    One item at ``snr_db``: coarray DBF and SCG alone on the full grid, MoD-DNN's calibrated
    and sparse spectra of its chosen branch on that subregion's grid.
    """
    coarray = model.coarray
    out = []
    for item in cfrs(impairments, SPECTRUM_ANGLES_DEG, snr_db, rng):
        eta_hat, eta = sparse_spectrum(coarray, item_covariances(item[None])[0])
        spectra, energies = model.branch_spectra(item[None])
        chosen = int(np.argmax(energies))
        with torch.no_grad():
            calibrated, sparse = model.ssr[chosen](torch.as_tensor(spectra[chosen][None]))
        grid = model.ssr[chosen].grid_deg
        out.append(
            {
                COARRAY_DBF: (coarray.grid_deg, eta_hat),
                SCG: (coarray.grid_deg, eta),
                "MoD-DNN calibrated": (grid, calibrated[0].numpy()),
                "MoD-DNN sparse": (grid, sparse[0].numpy()),
            }
        )
    return out


def plot_spectra(spectra: list[dict[str, tuple[NDArray, NDArray]]], snr_db: float, path: Path) -> Path:
    """Figs. 1c, 4e: each spectrum scaled to unit peak, one panel per source angle."""
    figure, axes = plt.subplots(1, len(spectra), figsize=(16, 4.2), sharey=True, constrained_layout=True)
    for panel, truth, curves in zip(axes, SPECTRUM_ANGLES_DEG, spectra, strict=True):
        for name, (grid, values) in curves.items():
            panel.plot(grid, values / np.max(np.abs(values)), label=name, linewidth=1.2)
        panel.axvline(truth, color="k", linestyle=":", linewidth=1, label="truth")
        panel.set_xlim(-60, 60)
        title = f"source at {truth:+.0f} deg, {snr_db:.0f} dB"
        decorate(
            panel,
            "azimuth (deg)",
            "spectrum / peak" if panel is axes[0] else "",
            title,
            legend=panel is axes[0],
        )
    return save_figure(figure, path)


FIGURES = {
    "rmse_vs_snr": "fig4f_rmse_vs_snr.png",
    "rmse_vs_rho": "fig4g_rmse_vs_rho.png",
    "cdf": "error_cdf.png",
    "subregions": "fig5c_subregion_errors.png",
    "responses": "fig4a-d_autoencoder_responses.png",
    "spectra": "fig1c_4e_spectra.png",
    "unseen": "unseen_array_cdf.png",
    "training": "mod_dnn_training.png",
    "calibration_snr": "calibration_snr.png",
}
"""The PNG files :func:`write_report` writes, by content."""
TABLES = ("tables.md", "summary.md")
"""The Markdown files :func:`write_report` writes: every table, and the summary alone."""


def write_figures(results: StudyResults, out: Path) -> list[Path]:
    """Every PNG of :data:`FIGURES` into ``out``."""
    config, truth = results.config, results.truth_deg
    snr = f"{config.test_snr_db:.0f} dB"
    array_s = draw_impairments(GEOMETRY.num_elements, 1.0, config.seed)
    snr_curves = {
        name: [rmse(results.by_snr[s][name], truth) for s in config.snrs_db] for name in results.methods
    }
    snr_curves["CRB"] = [results.crb_deg[s] for s in config.snrs_db]
    rho_curves = {
        name: [rmse(results.by_rho[r][name], results.truth_deg) for r in config.rhos]
        for name in next(iter(results.by_rho.values()))
    }
    main = results.methods[MOD_DNN].model
    variants = {
        "Autoencoder I (default)": main,
        "Autoencoder II": results.methods[MOD_DNN_II].model,
        "Autoencoder I, linear decoders": results.methods[MOD_DNN_LINEAR].model,
    }
    return [
        plot_lines(
            config.snrs_db,
            snr_curves,
            "SNR (dB)",
            "RMSE against SNR, rho = 1 (Fig. 4f)",
            out / FIGURES["rmse_vs_snr"],
        ),
        plot_lines(
            config.rhos,
            rho_curves,
            "impairment degree rho",
            f"RMSE against rho, {snr} (Fig. 4g)",
            out / FIGURES["rmse_vs_rho"],
        ),
        plot_cdfs({f"error CDF, rho = 1, {snr}": (results.at_test_snr, truth)}, out / FIGURES["cdf"]),
        plot_subregion_boxes(results, out / FIGURES["subregions"]),
        plot_responses(variants, array_s, _rng(config, 4), out / FIGURES["responses"]),
        plot_spectra(
            example_spectra(main, array_s, config.test_snr_db, _rng(config, 5)),
            config.test_snr_db,
            out / FIGURES["spectra"],
        ),
        plot_cdfs(
            {
                f"array S (seed {config.seed}), {snr}": (results.at_test_snr, truth),
                f"unseen array S' (seed {config.seed + 1}), {snr}": (results.unseen, results.truth_deg),
            },
            out / FIGURES["unseen"],
        ),
        plot_training_history(main.history, out / FIGURES["training"], "MoD-DNN (Autoencoder I) on array S"),
        plot_calibration_snr(results, out / FIGURES["calibration_snr"]),
    ]


def calibration_snr_curves(results: StudyResults) -> dict[str, list[float]]:
    """RMSE against SNR of MoD-DNN and calibrated MUSIC at both calibration SNRs, and the CRB."""
    config, truth = results.config, results.truth_deg
    curves = {}
    for name in (MOD_DNN, CALIBRATED_MUSIC):
        for label, evaluations in (
            (config.calibration_snr_db, results.by_snr),
            (config.paper_calibration_snr_db, results.paper_calibration),
        ):
            curves[f"{name}, calibrated at {label:.0f} dB"] = [
                rmse(evaluations[snr][name], truth) for snr in config.snrs_db
            ]
    curves["CRB"] = [results.crb_deg[snr] for snr in config.snrs_db]
    return curves


def plot_calibration_snr(results: StudyResults, path: Path) -> Path:
    """RMSE against SNR at both calibration SNRs (solid: the study's, dotted: the paper's)."""
    curves = calibration_snr_curves(results)
    styles = {
        name: {"color": COLOURS[name.split(",")[0]], "marker": "o", "linestyle": ":" if index % 2 else "-"}
        for index, name in enumerate(list(curves)[:-1])
    }
    return plot_lines(
        results.config.snrs_db,
        curves,
        "test SNR (dB)",
        "RMSE against SNR by calibration SNR, rho = 1",
        path,
        styles,
    )


def write_report(results: StudyResults, out: str | Path, command: str) -> str:
    """The figures and the Markdown tables (:data:`TABLES`) into ``out``; returns the tables' text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_figures(results, out)
    head = header_lines(results, command)
    sections = report_sections(results)
    text = "\n".join(head + [line for title, table in sections for line in (f"## {title}", "", *table, "")])
    (out / TABLES[0]).write_text(text)
    title, summary = sections[0]
    (out / TABLES[1]).write_text("\n".join([*head, f"## {title}", "", *summary, ""]))
    return text


# --- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, prog: str = "bearing bench accuracy") -> int:
    """``bearing bench accuracy [--quick] [--out DIR] [--seed N]``: run, write and print the tables."""
    args, command = study_arguments(
        argv,
        prog,
        __doc__.splitlines()[0],
        out_default="docs/figures/mod-dnn",
        quick_help="the small configuration (under a minute)",
    )
    config = StudyConfig.quick(args.seed) if args.quick else StudyConfig(seed=args.seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)
    try:
        results = run_study(config)
        print(write_report(results, args.out, command))
    finally:
        torch.set_num_threads(threads)
    return 0
