"""The study's methods: each a :class:`Method` that takes one CFR item to a bearing, the classical
ones on the ideal manifold and the trained ones (MoD-DNN and its ablations, DeepMUSIC, the CNN,
calibrated MUSIC), and their evaluation on a test set."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...doa.calibrated_music import CalibrationTable, calibrated_music
from ...doa.classical import Estimator
from ...doa.coarray import CoarrayModel, coarray_model
from ...doa.peaks import sparse_peak_bearings
from ...learned.cnn_doa import CnnDoa, train_cnn_doa
from ...learned.deep_music import DeepMusic, train_deep_music
from ...learned.mod_dnn import ModDnn, ModDnnConfig
from ...learned.mod_dnn_training import train_mod_dnn
from ...learned.modl_ssr import peak_bearings
from .setting import (
    ABLATIONS,
    CALIBRATED_MUSIC,
    CARRIER_HZ,
    CNN,
    COARRAY_DBF,
    DBF,
    DEEP_MUSIC,
    FIELD_OF_VIEW_GRID_DEG,
    GEOMETRY,
    MOD_DNN,
    MUSIC,
    SCG,
    SEARCH_GRID_DEG,
    SUBCARRIER_OFFSETS_HZ,
    WAVELENGTH_M,
    StudyConfig,
    item_covariances,
)


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


Result = TypeVar("Result")


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
    :func:`~gnuradio.bearing.doa.peaks.sparse_peak_bearings` of ``eta``.
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
