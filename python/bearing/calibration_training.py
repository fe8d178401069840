"""MoD-DNN from calibration captures: the model configuration, progress lines and summary of `bearing train`.

:func:`model_config` turns what :func:`calibration_data.read_calibration` read (the array,
carrier, subcarriers and kind of the captures) into the :class:`ModDnnConfig` that
:func:`mod_dnn_training.train_mod_dnn` builds; :func:`progress_line` and
:func:`stage_summary` format the training history (rows ``{stage, epoch, train_loss,
val_loss, lr, seconds}``) for the command line (docs/cli.md).
"""

from __future__ import annotations

import math

from .calibration_data import CalibrationSet
from .mod_dnn import ModDnnConfig

PROGRESS_BAR_WIDTH = 20
"""Characters of the text progress bar of :func:`progress_line`."""


def model_config(calibration: CalibrationSet, snapshots_per_window: int, **architecture) -> ModDnnConfig:
    """The configuration of a model for the array, carrier and subcarriers of ``calibration``.

    Args:
        calibration: the training items, as :func:`calibration_data.read_calibration` returns them.
        snapshots_per_window: the narrowband window length the items were grouped by (the
            ``snapshots_per_window`` of ``read_calibration``); an SRS window is one occasion.
        architecture: further :class:`ModDnnConfig` fields (``edges_deg``, ``grid_deg``,
            ``calibrator``, ``shared_weights``, ...).

    Returns:
        the configuration; for SRS items its ``srs`` record holds the number of pilots per item
        (``num_subcarriers``), empty for narrowband.
    """
    srs = calibration.kind == "srs"
    return ModDnnConfig(
        positions_m=calibration.positions_m,
        frequency_hz=calibration.frequency_hz,
        subcarrier_offsets_hz=tuple(calibration.subcarrier_offsets_hz),
        kind=calibration.kind,
        window_items=1 if srs else int(snapshots_per_window),
        srs={"num_subcarriers": int(calibration.subcarrier_offsets_hz.size)} if srs else {},
        **architecture,
    )


def progress_line(row: dict, max_epochs: int) -> str:
    """One epoch of training as a line of text with a progress bar over the stage's epochs.

    ``autoencoder   [####----------------]   6/30  train_loss 1.2345e-01  val_loss
    1.3456e-01  lr 1.00e-02  2.41 s`` (one line).
    """
    done = round(PROGRESS_BAR_WIDTH * min(row["epoch"], max_epochs) / max_epochs)
    bar = "#" * done + "-" * (PROGRESS_BAR_WIDTH - done)
    return (
        f"{row['stage']:<13} [{bar}] {row['epoch']:>3}/{max_epochs:<3} "
        f"train_loss {row['train_loss']:.4e}  val_loss {row['val_loss']:.4e}  "
        f"lr {row['lr']:.2e}  {row['seconds']:.3f} s"
    )


def by_stage(history: list[dict]) -> dict[str, list[dict]]:
    """The history's rows grouped by ``stage``, stages in training order."""
    stages: dict[str, list[dict]] = {}
    for row in history:
        stages.setdefault(row["stage"], []).append(row)
    return stages


def best_epoch(rows: list[dict]) -> dict | None:
    """The row of a stage with the lowest finite validation loss (the first of equals): the
    epoch whose weights training keeps; None when no validation loss is finite."""
    finite = [row for row in rows if math.isfinite(row["val_loss"])]
    return min(finite, key=lambda row: row["val_loss"]) if finite else None


def stage_summary(history: list[dict]) -> list[dict]:
    """Per stage, in training order: ``stage``, ``epochs`` run, ``best_epoch`` and
    ``best_val_loss`` (None when no validation loss was finite)."""
    summary = []
    for stage, rows in by_stage(history).items():
        best = best_epoch(rows)
        summary.append(
            {
                "stage": stage,
                "epochs": len(rows),
                "best_epoch": best["epoch"] if best else None,
                "best_val_loss": best["val_loss"] if best else None,
            }
        )
    return summary


def finite_or_none(value: float) -> float | None:
    """``value``, or None when it is NaN or infinite (strict JSON has neither)."""
    return value if math.isfinite(value) else None
