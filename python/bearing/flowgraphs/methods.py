"""The estimation methods of the replay flowgraph, by name: :data:`METHODS`.

Each :class:`Method` builds its estimator blocks behind the stream of a chain (the covariance
accumulator's output, or for MoD-DNN the items themselves) and says what it needs; the replay
flowgraph (:mod:`.replay`) and `bearing estimate` choose a method by looking it up here. A new
method is a builder and one entry of :data:`METHODS`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from gnuradio import gr

from ..array.field_of_view import FieldOfView, GeometryError
from ..array.geometry import ArrayGeometry
from ..blocks.coarray_dbf import coarray_dbf
from ..blocks.doa_estimator import doa_estimator
from ..blocks.idl_tlbo_estimator import idl_tlbo_estimator
from ..blocks.mod_dnn_estimator import mod_dnn_estimator
from ..blocks.peak_search import peak_search
from ..blocks.scg_spectrum import scg_spectrum
from ..captures.schema import Capture
from ..doa.classical import CALIBRATED_MUSIC
from ..doa.classical import METHODS as CLASSICAL_METHODS
from ..doa.planar import PLANAR_METHODS
from ..doa.search import SearchGrid, search_grid
from ..resources import default_model_path, load_model
from .settings import ReplaySettings

if TYPE_CHECKING:
    from ..counting.models import SourceCounter
    from ..learned.mod_dnn import ModDnn


@dataclass(frozen=True)
class ChainInput:
    """What a builder gets besides the flowgraph and the upstream block: the capture, the settings
    (resolved: grid bounds from the capture's geometry), the subcarrier offsets of the items
    (hertz; None: narrowband items of one subcarrier), the model of a method that has one
    (:attr:`Method.needs_model`), the learned source counter of auto sources (None: none, or a
    counter without a model) and the search grid of the capture's array."""

    capture: Capture
    settings: ReplaySettings
    subcarrier_offsets_hz: np.ndarray | None
    model: ModDnn | None = None
    counter: SourceCounter | None = None
    search: SearchGrid | None = None


@dataclass(frozen=True)
class Estimation:
    """The blocks a method added: ``spectrum`` outputs the spectrum, ``size`` values per item on
    its ``grid_deg`` (azimuth), rows of its ``elevation_grid_deg`` if it has one (in dB relative
    to each maximum, or ``linear``), ``bearings`` publishes the ``bearings`` messages, each of
    ``blocks`` counts the windows it could not use in ``failed_estimates``, and ``dbf`` is the
    coarray DBF block of a coarray method (None for the others)."""

    spectrum: gr.basic_block
    bearings: gr.basic_block
    blocks: tuple[gr.basic_block, ...]
    linear: bool
    size: int
    dbf: gr.basic_block | None = None


Builder = Callable[[gr.top_block, object, ChainInput], Estimation]
"""Builds a method's blocks in the flowgraph, behind ``upstream`` (a block or a ``(block, port)``)."""


@dataclass(frozen=True)
class Method:
    """One estimation method of the replay flowgraph.

    Attributes:
        build: adds and connects its blocks.
        takes_covariance: it estimates from the covariance accumulator's output (and the
            source counter's, with auto sources); False: from the items themselves (MoD-DNN,
            which holds its own accumulators).
        needs_model: it reads a model file (``ReplaySettings.model_path``).
        planar: it estimates elevation too, for arrays that resolve it; a method without it
            refuses such an array (its azimuth-only search would misplace an emitter off the
            horizon).
    """

    build: Builder
    takes_covariance: bool = True
    needs_model: bool = False
    planar: bool = False


def classical(flowgraph: gr.top_block, upstream: object, chain: ChainInput) -> Estimation:
    """The classical estimator block: Bartlett, MVDR, MUSIC (spectrum in dB), root-MUSIC, ESPRIT,
    and MUSIC on the calibration table of ``calibration_path``."""
    settings = chain.settings
    estimator = doa_estimator(
        positions_m=chain.capture.geometry.positions_m.tolist(),
        frequency_hz=chain.capture.frequency_hz,
        method=settings.method,
        num_sources=settings.num_sources,
        grid_start_deg=settings.grid_start_deg,
        grid_stop_deg=settings.grid_stop_deg,
        grid_step_deg=settings.grid_step_deg,
        min_separation_deg=settings.min_separation_deg,
        covariance_size=settings.subarray_length,
        elevation_start_deg=settings.elevation_start_deg,
        elevation_stop_deg=settings.elevation_stop_deg,
        elevation_step_deg=settings.elevation_step_deg,
        calibration_path=settings.calibration_path if settings.method == CALIBRATED_MUSIC else "",
        diagonal_loading=settings.diagonal_loading,
    )
    flowgraph.connect(upstream, estimator)
    return Estimation(estimator, estimator, (estimator,), linear=False, size=estimator.search.size)


def coarray_dbf_peaks(flowgraph: gr.top_block, upstream: object, chain: ChainInput) -> Estimation:
    """Coarray DBF and a peak search on its spectrum (records named ``coarray-dbf``)."""
    settings = chain.settings
    dbf = _coarray_dbf(chain)
    peaks = peak_search(
        *_coarray_grid(chain),
        settings.num_sources,
        settings.min_separation_deg,
        method="coarray-dbf",
        linear=True,
    )
    flowgraph.connect(upstream, dbf, peaks)
    return Estimation(dbf, peaks, (dbf,), linear=True, size=len(dbf.grid_deg), dbf=dbf)


def scg(flowgraph: gr.top_block, upstream: object, chain: ChainInput) -> Estimation:
    """Coarray DBF behind SCG's sparse spectrum, the noise floor removed (docs/scg.md)."""
    settings = chain.settings
    dbf = _coarray_dbf(chain)
    estimator = scg_spectrum(
        _positions(chain),
        chain.capture.frequency_hz,
        settings.num_sources,
        *_coarray_grid(chain),
        min_separation_deg=settings.min_separation_deg,
    )
    flowgraph.connect(upstream, dbf, estimator)
    return Estimation(
        estimator, estimator, (dbf, estimator), linear=True, size=len(estimator.grid_deg), dbf=dbf
    )


def idl_tlbo(flowgraph: gr.top_block, upstream: object, chain: ChainInput) -> Estimation:
    """The IDL-TLBO estimator block: bearings (azimuth and elevation for arrays that resolve it)
    and the array's gains with the paper's prior (docs/idl-tlbo.md); its spectrum output is the
    Bartlett scan the optimiser starts from, in dB. It models every element's gain, so it refuses
    forward-backward averaging and spatial smoothing, which mix the elements."""
    settings = chain.settings
    mixing = {
        "forward_backward": ("forward-backward averaging", "--forward-backward"),
        "subarray_length": ("spatial smoothing", "--subarray"),
    }
    for name, (what, option) in mixing.items():
        if getattr(settings, name):
            raise ValueError(
                f"{name}: method {settings.method} estimates a gain per element from the plain "
                f"covariance, whose elements {what} mixes: estimate without {option}"
            )
    items = 1 if chain.subcarrier_offsets_hz is None else chain.subcarrier_offsets_hz.size
    estimator = idl_tlbo_estimator(
        positions_m=chain.capture.geometry.positions_m.tolist(),
        frequency_hz=chain.capture.frequency_hz,
        num_sources=settings.num_sources,
        min_separation_deg=settings.min_separation_deg,
        grid_start_deg=settings.grid_start_deg,
        grid_stop_deg=settings.grid_stop_deg,
        grid_step_deg=settings.grid_step_deg,
        elevation_start_deg=settings.elevation_start_deg,
        elevation_stop_deg=settings.elevation_stop_deg,
        elevation_step_deg=settings.elevation_step_deg,
        snapshots=max(1, settings.average or 1) * items,  # SRS windows: occasions x pilots
    )
    flowgraph.connect(upstream, estimator)
    return Estimation(estimator, estimator, (estimator,), linear=False, size=estimator.search.size)


def mod_dnn(flowgraph: gr.top_block, upstream: object, chain: ChainInput) -> Estimation:
    """The MoD-DNN estimator of the chain's model, on the items (its own accumulators per subregion)."""
    settings = chain.settings
    estimator = mod_dnn_estimator(
        chain.model,
        settings.average,
        settings.num_sources,
        settings.min_separation_deg,
        chain.subcarrier_offsets_hz,
        settings.overlap,
        settings.counter,
        chain.counter or settings.counter_model,
    )
    flowgraph.connect(upstream, estimator)
    return Estimation(estimator, estimator, (estimator,), linear=True, size=len(estimator.grid_deg))


METHODS: dict[str, Method] = {
    **{name: Method(classical, planar=name in PLANAR_METHODS) for name in CLASSICAL_METHODS},
    CALIBRATED_MUSIC: Method(classical),
    "coarray-dbf": Method(coarray_dbf_peaks),
    "scg": Method(scg),
    "mod-dnn": Method(mod_dnn, takes_covariance=False, needs_model=True),
    "idl-tlbo": Method(idl_tlbo, planar=True),
}
"""Every method the replay flowgraph (and so `bearing estimate`) runs, by name."""


def check_method(name: str) -> Method:
    """The method called ``name``; ``ValueError`` naming the choices for an unknown one."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]


def with_model(settings: ReplaySettings, capture: Capture, is_srs: bool) -> tuple[ReplaySettings, ModDnn]:
    """The model of a method that has one (read once: the blocks share it) and ``settings`` with
    the model path and (SRS model) ``num_subcarriers`` resolved from it; ``ValueError`` for a
    capture of another array or carrier, or a setting the model cannot follow."""
    for name in ("forward_backward", "subarray_length"):
        if getattr(settings, name):
            raise ValueError(
                f"{name}: method {settings.method} estimates from the plain covariances its model was "
                f"trained on; got {getattr(settings, name)!r}"
            )
    model_path = settings.model_path or default_model_path()
    model = load_model(model_path)
    config = model.config
    model.check_array(capture.geometry.positions_m, capture.frequency_hz, f"the capture {capture.meta_path}")
    if config.kind != "srs":
        return dataclasses.replace(settings, model_path=model_path), model
    num_subcarriers = len(config.subcarrier_offsets_hz)
    if is_srs and settings.num_subcarriers not in (None, num_subcarriers):
        raise ValueError(
            f"num_subcarriers: the model {model_path} was trained on {num_subcarriers} SRS pilots per "
            f"occasion, got {settings.num_subcarriers}"
        )
    return dataclasses.replace(settings, model_path=model_path, num_subcarriers=num_subcarriers), model


def resolve_search(
    method: Method, settings: ReplaySettings, geometry: ArrayGeometry, wavelength_m: float
) -> SearchGrid:
    """The search grid of ``geometry`` for the settings' grid bounds (None: the array's own);
    :class:`~gnuradio.bearing.array.field_of_view.GeometryError` when the method cannot
    estimate on this array (an azimuth-only method on an array that resolves elevation)."""
    grid = (settings.grid_start_deg, settings.grid_stop_deg, settings.grid_step_deg)
    elevation = (settings.elevation_start_deg, settings.elevation_stop_deg, settings.elevation_step_deg)
    search = search_grid(geometry, grid, elevation, wavelength_m)
    check_geometry(method, settings.method, search.field)
    return search


def check_geometry(method: Method, name: str, field: FieldOfView) -> None:
    """:class:`~gnuradio.bearing.array.field_of_view.GeometryError` when method ``name`` estimates
    azimuth only and the capture's array (its ``field``) resolves elevation too."""
    if field.resolves_elevation and not method.planar:
        planar = ", ".join(method_name for method_name, m in METHODS.items() if m.planar)
        raise GeometryError(
            f"method {name} estimates azimuth only, but the capture's array resolves elevation "
            f"too ({field.kind}, not horizontal): choose one of {planar}"
        )


def _coarray_grid(chain: ChainInput) -> tuple[float, float, float]:
    """The coarray methods' grid: the search's, cut to the azimuths the array resolves, since
    their peak search knows no geometry (the replay has warned about the rest)."""
    assert chain.search is not None  # the replay resolves one for every covariance method
    return chain.search.azimuth_range_in_field()


def _positions(chain: ChainInput) -> list[list[float]]:
    """The element positions the coarray blocks model: the first ``subarray_length`` elements with
    spatial smoothing, as the classical estimator does."""
    geometry = chain.capture.geometry
    return geometry.smoothing_subarray(
        chain.settings.subarray_length or geometry.num_elements
    ).positions_m.tolist()


def _coarray_dbf(chain: ChainInput) -> coarray_dbf:
    # The block removes the noise floor: without it SCG splits each source of noisy data in two.
    return coarray_dbf(_positions(chain), chain.capture.frequency_hz, *_coarray_grid(chain))
