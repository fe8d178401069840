"""The one training loop of the package's networks: :func:`fit` (Adam, a halving learning rate,
mini-batches, early stopping on a validation split), its :class:`TrainingOptions`, the
train/validation split (:func:`split_indices`) and the training history's report
(:func:`progress_line`, :func:`stage_summary`: rows ``{stage, epoch, train_loss, val_loss, lr,
seconds}``, docs/cli.md).

MoD-DNN (:mod:`.mod_dnn_training`), the CNN and DeepMUSIC baselines and the source counters
(:mod:`~gnuradio.bearing.counting.training`) all train through :func:`fit`.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

Progress = Callable[[dict], None]
"""Called after every epoch with that epoch's history row."""


@dataclass(frozen=True)
class TrainingOptions:
    """Optimiser settings: the paper's Adam, learning rate and batch, a longer schedule, early stopping.

    The paper trains 30 epochs and halves the learning rate every 5. Here a stage runs up to
    60 epochs and halves it every 10: on the accuracy study's sweep (docs/mod-dnn.md) the
    paper's schedule, or an early stop after 5 or 10 stale epochs, left the subregion
    calibrators short of their accuracy (MoD-DNN's RMSE at 30 dB 1.7 .. 1.9x the CRB, against
    1.3x after 60 epochs). The validation loss is noisy from one epoch to the next, hence the
    long ``patience``.

    Attributes:
        epochs: most epochs per stage (the paper: 30).
        lr: Adam's initial learning rate.
        lr_halving_epochs: the learning rate halves every this many epochs (the paper: 5).
        batch_size: mini-batch size.
        validation_fraction: share of the windows held out for validation.
        patience: stop a stage after this many epochs without a better validation loss.
        seed: seeds the split, the initial weights and the batch order.
        autoencoder_items: the autoencoder learns from at most this many items with their
            noisy copies, drawn at random from the training and the validation windows: it
            only has to route, and a narrowband sweep holds hundreds of thousands of
            snapshots. The subregion stages use every window.
        routing_snrs_db: the autoencoder also learns from one noisier copy of every item per
            value: white noise added to bring the item to this SNR (dB, relative to the
            item's mean power per element and subcarrier). It must route at lower SNRs than a
            calibration's; the subregion calibrators learn from the clean windows only, whose
            low noise sets their precision (docs/mod-dnn.md, "Calibration SNR").
    """

    epochs: int = 60
    lr: float = 0.01
    lr_halving_epochs: int = 10
    batch_size: int = 64
    validation_fraction: float = 0.2
    patience: int = 30
    seed: int = 0
    autoencoder_items: int = 16384
    routing_snrs_db: tuple[float, ...] = (10.0, 0.0)

    def __post_init__(self) -> None:
        for name in ("epochs", "lr_halving_epochs", "batch_size", "patience", "autoencoder_items"):
            value = getattr(self, name)
            if int(value) != value or value < 1:
                raise ValueError(f"{name}: must be a positive integer, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr: must be positive, got {self.lr!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction: must be in (0, 1), got {self.validation_fraction!r}")
        if not np.all(np.isfinite(np.asarray(self.routing_snrs_db, dtype=np.float64))):
            raise ValueError(f"routing_snrs_db: must be finite SNRs in dB, got {self.routing_snrs_db!r}")


def fit(
    module: torch.nn.Module,
    loss: Callable[..., torch.Tensor],
    train: tuple,
    validation: tuple,
    options: TrainingOptions,
    stage: str,
    progress: Progress | None = None,
) -> list[dict]:
    """Adam with the step schedule and early stopping; ``loss(*batch)`` on batches of ``train``.

    ``train`` and ``validation`` are tuples of equally long tensors or arrays (batched along
    the first axis). The module ends with the weights of its best validation epoch.
    """
    count = len(train[0])
    if count == 0 or len(validation[0]) == 0:
        raise ValueError(
            f"{stage}: no training or no validation data (subregion without calibration angles?)"
        )
    optimiser = torch.optim.Adam(module.parameters(), lr=options.lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimiser, options.lr_halving_epochs, 0.5)
    generator = torch.Generator().manual_seed(options.seed)
    best, best_state, stale, history = np.inf, copy.deepcopy(module.state_dict()), 0, []
    for epoch in range(options.epochs):
        start = time.perf_counter()
        module.train()
        total = 0.0
        for batch in torch.randperm(count, generator=generator).split(options.batch_size):
            value = loss(*(_take(part, batch) for part in train))
            optimiser.zero_grad()
            value.backward()
            optimiser.step()
            total += value.item() * len(batch)
        lr = schedule.get_last_lr()[0]
        schedule.step()
        module.eval()
        with torch.no_grad():
            val_loss = float(loss(*validation))
        row = {
            "stage": stage,
            "epoch": epoch + 1,
            "train_loss": total / count,
            "val_loss": val_loss,
            "lr": lr,
            "seconds": time.perf_counter() - start,
        }
        history.append(row)
        if progress:
            progress(row)
        if val_loss < best:
            best, best_state, stale = val_loss, copy.deepcopy(module.state_dict()), 0
        else:
            stale += 1
            if stale >= options.patience:
                break
    module.load_state_dict(best_state)
    return history


def split_indices(count: int, validation_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random split of ``range(count)`` into training and validation indices.

    Args:
        count: number of samples, ``>= 2``.
        validation_fraction: share held out, in ``(0, 1)``; at least one sample goes to
            each side.
        seed: seeds the permutation.

    Returns:
        ``(training, validation)``, int64 tensors, disjoint, together ``range(count)``.
    """
    if int(count) != count or count < 2:
        raise ValueError(f"training needs at least 2 labelled samples, got {count!r}")
    order = torch.randperm(int(count), generator=torch.Generator().manual_seed(seed))
    held_out = min(max(1, round(validation_fraction * count)), int(count) - 1)
    return order[held_out:], order[:held_out]


def _take(part: object, index: torch.Tensor) -> object:
    if isinstance(part, torch.Tensor):
        return part[index]
    return np.asarray(part)[index.numpy()]


PROGRESS_BAR_WIDTH = 20
"""Characters of the text progress bar of :func:`progress_line`."""


def progress_line(row: dict, max_epochs: int, overall: tuple[int, int, float] | None = None) -> str:
    """One epoch of training as a line of text with a progress bar over the stage's epochs and
    the time the stage still needs at most (its remaining epochs at this epoch's pace; an early
    stop ends it sooner); with ``overall`` ``(stage number, stages, seconds left in all)``
    (:class:`TrainingClock`) the stage's number and the time every stage still needs at most.

    ``autoencoder   [####----------------]   6/30  train_loss 1.2345e-01  val_loss
    1.3456e-01  lr 1.00e-02  2.41 s  stage left <= 58 s  stage 1/5  all left <= 580 s``
    (one line).
    """
    done = round(PROGRESS_BAR_WIDTH * min(row["epoch"], max_epochs) / max_epochs)
    bar = "#" * done + "-" * (PROGRESS_BAR_WIDTH - done)
    left_s = max(max_epochs - row["epoch"], 0) * row["seconds"]
    line = (
        f"{row['stage']:<13} [{bar}] {row['epoch']:>3}/{max_epochs:<3} "
        f"train_loss {row['train_loss']:.4e}  val_loss {row['val_loss']:.4e}  "
        f"lr {row['lr']:.2e}  {row['seconds']:.3f} s  stage left <= {left_s:.0f} s"
    )
    if overall is None:
        return line
    number, stages, all_left_s = overall
    return f"{line}  stage {number}/{stages}  all left <= {all_left_s:.0f} s"


class TrainingClock:
    """The time a training of several stages (``stages``: their names in training order, each
    up to ``max_epochs`` epochs) still needs at most, from the epochs seen so far: the rest of
    the current stage at its last epoch's pace, and every later stage's epochs at the mean of
    the last-epoch paces of the other stages of its kind seen so far (a name's first word:
    ``subregion``), or at the current pace before one has run. An early stop ends a stage
    sooner: an upper bound, rough while the first stage of a kind runs."""

    def __init__(self, stages: list[str], max_epochs: int) -> None:
        self.stages, self.max_epochs = list(stages), int(max_epochs)
        self._paces: dict[str, float] = {}

    def update(self, row: dict) -> tuple[int, int, float]:
        """``(stage number, stages, seconds left in all)`` after the epoch ``row``."""
        self._paces[row["stage"]] = row["seconds"]
        index = self.stages.index(row["stage"])
        left_s = max(self.max_epochs - row["epoch"], 0) * row["seconds"]
        for later in self.stages[index + 1 :]:
            kind = later.split()[0]
            seen = [
                pace
                for stage, pace in self._paces.items()
                if stage.split()[0] == kind and stage != row["stage"]
            ]
            left_s += self.max_epochs * (sum(seen) / len(seen) if seen else row["seconds"])
        return index + 1, len(self.stages), left_s


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
