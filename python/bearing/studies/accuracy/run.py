"""Running the study (:func:`run_study`): calibrate, train, test at every SNR, sweep rho, repeat on
the unseen array; the results in :class:`StudyResults`."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...array.impairments import Impairments, draw_impairments
from ...learned.autoencoder import subregion_index
from ...learned.mod_dnn import ModDnn
from ..report import progress
from .methods import (
    Evaluation,
    Method,
    Seconds,
    calibrated_music_method,
    evaluate,
    train_methods,
    train_mod_dnn_method,
)
from .setting import (
    CALIBRATED_MUSIC,
    GEOMETRY,
    MOD_DNN,
    SUBCARRIER_OFFSETS_HZ,
    TRANSFERRED,
    StudyConfig,
    calibration_sweep,
    cfrs,
    crb_rms_deg,
    error_statistics,
    held_out_angles,
    item_covariances,
    study_rng,
)


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
    truth = held_out_angles(config.test_points, study_rng(config, 2))

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
        items = cfrs(array_s, truth, snr_db, study_rng(config, 3, index))
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
        by_rho[rho] = evaluate(
            trained, cfrs(array, truth, config.test_snr_db, study_rng(config, 3, 100 + index))
        )

    unseen_seed = config.seed + 1
    log(f"unseen array S' (seed {unseen_seed}): training on {config.draws_per_angle} draws per angle ...")
    array_u = draw_impairments(num_elements, 1.0, unseen_seed)
    sweep = calibration_sweep_of(array_u, unseen_seed, 0, config.draws_per_angle, config)
    unseen_methods = train_methods(*sweep, config, ablation=False)
    unseen_methods[TRANSFERRED] = dataclasses.replace(
        methods[MOD_DNN], name=TRANSFERRED, train_seconds=Seconds()
    )
    unseen = evaluate(unseen_methods, cfrs(array_u, truth, config.test_snr_db, study_rng(config, 3, 200)))
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
        study_rng(config, 1, array_seed, stream),
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
