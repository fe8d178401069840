"""The source counters by name: :data:`METHODS` and :func:`count_sources`, the one entry point
(the H2AD paper's counters and Wax-Kailath's criteria; the methods themselves in
:mod:`.eigen`, the learned ones' networks in :mod:`.models`, read only when a learned method
is asked for: they need torch).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from numpy.typing import ArrayLike

from ..validation import check_count
from .eigen import LEARNED_METHODS, aic, edc, mdl, one_covariance

if TYPE_CHECKING:
    from .models import SourceCounter


METHODS = ("mdl", "aic", "edc", *LEARNED_METHODS)
"""The methods of :func:`count_sources`."""


def count_sources(
    covariances: ArrayLike | Sequence[ArrayLike],
    num_snapshots: int,
    method: str = "mdl",
    model: SourceCounter | str | Path | None = None,
) -> int:
    """The number of sources in a covariance, by one of :data:`METHODS`.

    Args:
        covariances: one ``(M, M)`` Hermitian covariance, or (``edc`` only) a list of the G
            per-group covariances of a hybrid array; a list of one covariance is that
            covariance.
        num_snapshots: ``T``, the snapshots the covariance averages (``mdl``, ``aic`` and
            ``edc`` use it; the learned counters were trained for the ``T`` in their
            configuration and do not take it).
        method: one of :data:`METHODS`.
        model: for ``dnn``, ``cnn1d`` and ``fcnn``: a :class:`~gnuradio.bearing.counting.models.SourceCounter`
            of that method, or the path of its model file (read on every call: load it once
            with :func:`~gnuradio.bearing.counting.models.load` to count many covariances).

    Returns:
        the number of sources: ``0 .. M-1`` for ``mdl``, ``aic`` and ``edc``, ``0 ..
        max_sources`` of the model for the learned methods.

    Raises:
        ValueError: an unknown method, a model missing, given to a classical method or
            trained for another method or array size, a list of groups for a method other
            than ``edc``, or an invalid covariance or ``num_snapshots``.
    """
    check_method(method)
    check_count(num_snapshots, "num_snapshots")
    counter = counter_model(method, model)
    if counter is not None:
        return counter.count(one_covariance(covariances))
    if method == "edc":
        return edc(covariances, num_snapshots)
    return {"mdl": mdl, "aic": aic}[method](one_covariance(covariances), num_snapshots)


def check_method(method: str) -> str:
    """``method``; ``ValueError`` naming the choices unless it is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"unknown source counting method {method!r}; choose one of {', '.join(METHODS)}")
    return method


def counter_model(method: str, model: SourceCounter | str | Path | None) -> SourceCounter | None:
    """The model ``method`` counts with: for ``dnn``, ``cnn1d`` and ``fcnn`` ``model`` (a
    :class:`~gnuradio.bearing.counting.models.SourceCounter`, or the path of its file, read here),
    checked to be of that method; None for ``mdl``, ``aic`` and ``edc``. ``ValueError`` for a learned
    method without a model or with another method's, and for a classical one given a model.
    """
    if method in LEARNED_METHODS:
        return _learned_counter(method, model)
    if model is not None:
        raise ValueError(f"method {method!r} takes no model (only {', '.join(LEARNED_METHODS)} do)")
    return None


def _learned_counter(method: str, model: SourceCounter | str | Path | None) -> SourceCounter:
    if model is None:
        raise ValueError(
            f"method {method!r} needs a trained model (a counter model file, see `bearing train-counter`)"
        )
    source = ""
    if isinstance(model, str | Path):
        from .models import load

        source, model = f"{model}: ", load(model)
    if model.config.method != method:
        raise ValueError(f"{source}the model is a {model.config.method!r} counter, not a {method!r} one")
    return model


def resolve_counter(
    method: str, model: SourceCounter | str | Path | None, num_elements: int
) -> SourceCounter | None:
    """The model ``method`` counts ``num_elements``-element covariances with: ``model`` (a
    :class:`~.models.SourceCounter`, or the path of its file, read here) or, for a learned method
    given none (None or empty), the bundled counter for that M
    (:func:`~.models.shipped_model_path`); checked against M. None for ``mdl``, ``aic`` and
    ``edc``, which refuse a model. A flowgraph resolves its counter once and hands the model to
    every Source Counter block.
    """
    check_method(method)
    if isinstance(model, str) and not model:
        model = None
    if method in LEARNED_METHODS and model is None:
        from .models import shipped_model_path

        model = shipped_model_path(method, num_elements)
    counter = counter_model(method, model)
    if counter is not None:
        counter.check_elements(num_elements)
    return counter
