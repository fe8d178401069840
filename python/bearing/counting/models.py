"""Learned source counters: the enhanced DNN, the 1D-CNN and the FCNN baseline, and their file.

All three classify a covariance's eigenvalues (:mod:`~gnuradio.bearing.counting.eigen`) into ``0 ..
K_max`` sources: ``K_max + 1`` classes, trained with the cross-entropy loss (the H2AD
paper, eq. (32)). The networks output logits; the paper's softmax (eq. (31)) is in
:meth:`SourceCounter.probabilities` and, during training, inside the cross-entropy.

* ``dnn``, the enhanced DNN (H2AD paper Sec. III-B, Fig. 4): the 5 features of
  :func:`~gnuradio.bearing.counting.eigen.eigenvalue_features`, standardised by the training set's mean and
  standard deviation (:class:`Standardise`), then three fully connected layers ``5 -> H ->
  H -> K_max + 1``, ReLU and dropout after the first two. Sec. IV-C counts its cost as ``d
  h + h^2 + h c``: three weight matrices, the third the output layer.
* ``cnn1d``, the improved 1D-CNN (Sec. III-C, Fig. 6): the ``M`` log eigenvalues of
  :func:`~gnuradio.bearing.counting.eigen.log_eigenvalues` as a ``1 x M`` sequence; conv 64 filters (kernel
  3, the paper's kernel size was lost from the text) + batch norm + ReLU + max-pool 2; conv
  128 filters (kernel 3) + ReLU; global average pooling; one fully connected layer to
  ``K_max + 1``.
* ``fcnn``, the baseline of Li et al. (Drones 2023), whose multi-layer network classifies
  features of the eigenvalue sequence. Our reading: the ``M`` eigenvalues scaled to unit
  sum (:func:`~gnuradio.bearing.counting.eigen.normalised_eigenvalues`), three layers of 64, the enhanced
  DNN's depth (the H2AD paper aligns their depth, Sec. V), without dropout and without the
  statistics.

A counter is trained for one array size ``M`` (its eigenvalue count) and ``K_max``;
:meth:`SourceCounter.inputs` refuses covariances of another size.

**Model file** (:func:`save`, :func:`load`; :mod:`~gnuradio.bearing.learned.model_file`): ``format``
``gr-bearing/source-counter``, ``version``, ``config`` (JSON of :class:`CounterConfig`:
method, M, K_max, architecture, and the simulation it was trained on), ``state`` (the
weights; the DNN's feature mean and standard deviation too) and ``history`` (the training
epochs, JSON). Version 2 added the DNN's standardisation, version 3 changed two of its
features (:func:`~gnuradio.bearing.counting.eigen.eigenvalue_features`): a DNN file older than version 3 is
refused (retrain it); version-1 and -2 1D-CNN and FCNN files load unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray

from ..learned.model_file import config_from_json, read_model_file, write_model_file
from ..resources import model_path
from .eigen import LEARNED_INPUTS, LEARNED_METHODS, NUM_EIGENVALUE_FEATURES, eigenvalues

MODEL_FORMAT = "gr-bearing/source-counter"
MODEL_VERSION = 3
"""File format name and version; :func:`load` refuses other formats, newer versions and DNN
files older than :data:`DNN_MIN_VERSION`."""
DNN_MIN_VERSION = 3
"""The first version whose DNN takes today's features: version 2 standardised them
(:class:`Standardise`), version 3 compresses the sphericity and the entropy as their distance
from white noise (:func:`~gnuradio.bearing.counting.eigen.eigenvalue_features`)."""

DEFAULT_HIDDEN = {"dnn": 128, "fcnn": 64, "cnn1d": 64}
"""Hidden width of each method's fully connected layers when a :class:`CounterConfig` names
none (the 1D-CNN has none; its entry is only recorded). The DNN's 128 and its dropout 0.1
counted 99.3 % at -14 dB on 192 antennas where 64 and 0.2 counted 98.8 %
(docs/source-counting.md, "Learned counters")."""

CNN_CHANNELS = (64, 128)
"""Filters of the 1D-CNN's two convolutions (H2AD paper, Sec. III-C)."""
CNN_KERNEL = 3
"""Kernel size of both convolutions."""

SHIPPED_ELEMENTS = (4, 8, 192)
"""Array sizes M of the bundled counter models (``data/counters/METHOD_ulaM.pt`` in
the package): K_max = 3 for M = 4, 4 for M = 8 and
M = 192 (the H2AD paper's massive array, :mod:`~gnuradio.bearing.studies.counting`; trained on equal source
powers and -20 .. 10 dB, the paper's setting; the 1D-CNN from -22 dB)."""


@dataclass(frozen=True)
class CounterConfig:
    """Everything a counter needs besides its weights.

    Attributes:
        method: ``"dnn"``, ``"cnn1d"`` or ``"fcnn"``.
        num_elements: ``M``, the eigenvalues per covariance (the array's element count).
        max_sources: ``K_max``, the largest count, ``1 .. M - 1``; the counter answers ``0 ..
            K_max``.
        hidden: width of the DNN's and the FCNN's two hidden layers; None: the method's
            :data:`DEFAULT_HIDDEN`.
        dropout: the enhanced DNN's dropout probability (the FCNN and the 1D-CNN have none).
        trained_on: the simulation the weights were trained on (:mod:`~gnuradio.bearing.counting.training`:
            snapshots, SNR range, examples, seed, ...), for the record.
    """

    method: str
    num_elements: int
    max_sources: int
    hidden: int | None = None
    dropout: float = 0.1
    trained_on: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in LEARNED_METHODS:
            raise ValueError(
                f"method: a learned counter is one of {', '.join(LEARNED_METHODS)}, got {self.method!r}"
            )
        if self.hidden is None:
            object.__setattr__(self, "hidden", DEFAULT_HIDDEN[self.method])
        for name, low in (("num_elements", 2), ("max_sources", 1), ("hidden", 1)):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < low:
                raise ValueError(f"{name}: must be an integer >= {low}, got {value!r}")
        if self.max_sources >= self.num_elements:
            raise ValueError(
                f"max_sources: at most M - 1 = {self.num_elements - 1} sources are countable from "
                f"{self.num_elements} eigenvalues, got {self.max_sources}"
            )
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout: must be in [0, 1), got {self.dropout!r}")
        # as the model file stores it (tuples become lists), so a loaded config equals this one
        object.__setattr__(self, "trained_on", json.loads(json.dumps(self.trained_on)))

    @property
    def num_classes(self) -> int:
        """``K_max + 1``: the counts ``0 .. K_max``."""
        return self.max_sources + 1

    @property
    def input_size(self) -> int:
        """Features per covariance: 5 for the DNN, ``M`` for the 1D-CNN and the FCNN."""
        return NUM_EIGENVALUE_FEATURES if self.method == "dnn" else self.num_elements


class Standardise(torch.nn.Module):
    """``(x - mean) / std`` per feature, ``(N, F)`` to ``(N, F)``: fixed buffers, not trained.

    The DNN's five features (:func:`~gnuradio.bearing.counting.eigen.eigenvalue_features`) differ in offset
    and spread: on 192 antennas and 200 snapshots ``log min p`` averages -13.2 and the log
    sphericity 0.31, their standard deviations 0.99 and 0.50. The buffers, the training split's
    statistics (:meth:`fit`), travel in the state dict. Fresh: mean 0, std 1 (the identity).
    """

    def __init__(self, features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("std", torch.ones(features))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """The standardised inputs, ``(N, F)``."""
        return (inputs - self.mean) / self.std

    def fit(self, inputs: torch.Tensor) -> None:
        """Set mean and std to those of ``inputs`` ``(N, F)`` per feature (a constant feature keeps std 1)."""
        std = inputs.std(dim=0)
        self.mean.copy_(inputs.mean(dim=0))
        self.std.copy_(torch.where(std > 0, std, torch.ones_like(std)))


def fully_connected(inputs: int, hidden: int, classes: int, dropout: float) -> torch.nn.Sequential:
    """``inputs -> hidden -> hidden -> classes`` logits; ReLU (and dropout if > 0) after the hidden layers."""
    layers: list[torch.nn.Module] = []
    for width in (inputs, hidden):
        layers += [torch.nn.Linear(width, hidden), torch.nn.ReLU()]
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
    return torch.nn.Sequential(*layers, torch.nn.Linear(hidden, classes))


def cnn1d(classes: int) -> torch.nn.Sequential:
    """The 1D-CNN: ``(N, M)`` log eigenvalues to ``(N, classes)`` logits (module docstring)."""
    first, second = CNN_CHANNELS
    padding = CNN_KERNEL // 2
    return torch.nn.Sequential(
        torch.nn.Unflatten(1, (1, -1)),
        torch.nn.Conv1d(1, first, CNN_KERNEL, padding=padding),
        torch.nn.BatchNorm1d(first),
        torch.nn.ReLU(),
        torch.nn.MaxPool1d(2, ceil_mode=True),
        torch.nn.Conv1d(first, second, CNN_KERNEL, padding=padding),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool1d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(second, classes),
    )


def network(config: CounterConfig) -> torch.nn.Sequential:
    """The network of ``config.method``, freshly initialised."""
    if config.method == "cnn1d":
        return cnn1d(config.num_classes)
    if config.method == "fcnn":
        return fully_connected(config.input_size, config.hidden, config.num_classes, 0.0)
    layers = fully_connected(config.input_size, config.hidden, config.num_classes, config.dropout)
    return torch.nn.Sequential(Standardise(config.input_size), *layers)


class SourceCounter(torch.nn.Module):
    """A learned counter: its configuration, its network and the eigenvalue input of its method."""

    def __init__(self, config: CounterConfig) -> None:
        super().__init__()
        self.config = config
        self.network = network(config)
        self.history: list[dict] = []
        self.eval()

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits ``(N, K_max + 1)`` of the inputs ``(N, input_size)`` (:meth:`inputs`)."""
        return self.network(inputs)

    def fit_standardisation(self, inputs: torch.Tensor) -> None:
        """Set the DNN's :class:`Standardise` to the statistics of ``inputs`` ``(N, input_size)``,
        the training split's (the 1D-CNN and the FCNN have none)."""
        first = self.network[0]
        if isinstance(first, Standardise):
            first.fit(inputs)

    def inputs(self, covariances: ArrayLike) -> torch.Tensor:
        """The network input of a batch of covariances ``(N, M, M)``: ``(N, input_size)`` float32.

        Raises:
            ValueError: the covariances are not ``M x M`` with the trained ``M``, or invalid
                (:func:`~gnuradio.bearing.counting.eigen.eigenvalues`).
        """
        r = np.asarray(covariances)
        if r.ndim != 3:
            raise ValueError(f"covariances must have shape (N, M, M), got shape {r.shape}")
        self.check_elements(r.shape[-1])
        return self.eigenvalue_inputs(eigenvalues(r))

    def eigenvalue_inputs(self, eigenvalues: ArrayLike) -> torch.Tensor:
        """The network input of a batch of eigenvalue sequences ``(N, M)``: ``(N, input_size)`` float32.

        ``eigenvalues``: each row the descending, positive eigenvalues of one covariance, any
        power unit (:func:`~gnuradio.bearing.counting.eigen.eigenvalues`); the method's input function of
        :data:`~gnuradio.bearing.counting.eigen.LEARNED_INPUTS` makes them unitless.
        """
        values = np.asarray(eigenvalues, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"eigenvalues must have shape (N, M), got shape {values.shape}")
        self.check_elements(values.shape[-1])
        features = LEARNED_INPUTS[self.config.method](values)
        return torch.as_tensor(features, dtype=torch.float32)

    def check_elements(self, num_elements: int) -> None:
        """``ValueError`` unless ``num_elements`` is the trained array size M."""
        if num_elements != self.config.num_elements:
            raise ValueError(
                f"the {self.config.method} source counter was trained for {self.config.num_elements} "
                f"eigenvalues ({self.config.num_elements}-element array); the covariance is "
                f"{num_elements} x {num_elements}"
            )

    def probabilities(self, covariances: ArrayLike) -> NDArray[np.float64]:
        """Softmax over ``0 .. K_max`` sources, ``(N, K_max + 1)``, of covariances ``(N, M, M)``."""
        return self._softmax(self.inputs(covariances))

    def predict(self, covariances: ArrayLike) -> NDArray[np.int64]:
        """The most probable count of each covariance ``(N, M, M)``: ``(N,)`` int64."""
        return self.probabilities(covariances).argmax(axis=1)

    def predict_eigenvalues(self, eigenvalues: ArrayLike) -> NDArray[np.int64]:
        """The most probable count of each eigenvalue sequence ``(N, M)`` (:meth:`eigenvalue_inputs`):
        ``(N,)`` int64, as :meth:`predict` of their covariances, without decomposing them again."""
        return self._softmax(self.eigenvalue_inputs(eigenvalues)).argmax(axis=1)

    def _softmax(self, inputs: torch.Tensor) -> NDArray[np.float64]:
        self.eval()
        with torch.no_grad():
            return torch.softmax(self(inputs), dim=1).double().numpy()

    def count(self, covariance: ArrayLike) -> int:
        """The most probable count of one covariance ``(M, M)``."""
        r = np.asarray(covariance)
        if r.ndim != 2:
            raise ValueError(f"covariance must have shape (M, M), got shape {r.shape}")
        return int(self.predict(r[None])[0])


def save(counter: SourceCounter, path: str | Path) -> Path:
    """Write the model file (module docstring); returns its path."""
    return write_model_file(
        path, MODEL_FORMAT, MODEL_VERSION, counter.config, counter.state_dict(), history=counter.history
    )


def load(path: str | Path) -> SourceCounter:
    """Read a model file; ``FileNotFoundError`` or ``ValueError`` naming the file and what is wrong."""
    data = read_model_file(path, MODEL_FORMAT, MODEL_VERSION, "source counter model")
    try:
        config = config_from_json(CounterConfig, data["config"])
    except (KeyError, TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(f"{path}: damaged source counter model file ({error})") from None
    if config.method == "dnn" and data["version"] < DNN_MIN_VERSION:
        raise ValueError(
            f"{path}: a version-{data['version']} dnn source counter, trained on features this "
            f"gr-bearing no longer computes; it needs version >= {DNN_MIN_VERSION}: retrain it with "
            "`bearing train-counter --method dnn ...`"
        )
    try:
        counter = SourceCounter(config)
        counter.load_state_dict(data["state"], strict=True)
        counter.history = json.loads(data.get("history", "[]"))
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{path}: damaged source counter model file ({error})") from None
    counter.eval()
    return counter


def shipped_model_path(method: str, num_elements: int = 8) -> Path:
    """The bundled counter of ``method`` for an ``num_elements``-element array (:data:`SHIPPED_ELEMENTS`).

    Raises:
        ValueError: no bundled model of that method and size.
        FileNotFoundError: the bundled file is not installed.
    """
    if method not in LEARNED_METHODS or num_elements not in SHIPPED_ELEMENTS:
        raise ValueError(
            f"no bundled {method!r} counter for {num_elements} elements: bundled are "
            f"{', '.join(LEARNED_METHODS)} for M = {', '.join(map(str, SHIPPED_ELEMENTS))}"
        )
    return model_path(f"counters/{method}_ula{num_elements}.pt")
