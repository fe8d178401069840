"""The settings of the replay flowgraph (what `bearing estimate` exposes): :class:`ReplaySettings`."""

from __future__ import annotations

from dataclasses import dataclass

from ..doa.classical import DEFAULT_DIAGONAL_LOADING

DEFAULT_SUBCARRIERS = 16
"""SRS pilots per occasion when ``ReplaySettings.num_subcarriers`` is None (and the method has no model)."""


PER_ANNOTATION = 0
"""``ReplaySettings.average`` of one window per annotation (`--average annotations`)."""


@dataclass(frozen=True)
class ReplaySettings:
    """What `bearing estimate` exposes; defaults match its command line.

    ``method`` is a name of :data:`~gnuradio.bearing.flowgraphs.methods.METHODS`. ``average``
    counts snapshots, or SRS occasions for an SRS capture, whose items hold
    ``num_subcarriers`` subcarriers each (0: all of the UE's pilots; None: 16); None takes
    1024 snapshots, or 1 occasion. ``average`` :data:`PER_ANNOTATION` (0) makes one window of
    each annotation of a narrowband capture (`--average annotations`: one estimate per
    annotated burst or packet), whatever its length.

    Method ``mod-dnn`` reads the model file ``model_path`` (empty: the bundled model,
    :func:`~gnuradio.bearing.resources.default_model_path`). A model of either kind replays
    either kind of capture of its array: each input subcarrier uses the trained encoder
    nearest in frequency. On an SRS capture, an SRS model's K is the only K it accepts
    (``num_subcarriers`` None takes it).

    The grid bounds left None are the array's own (:func:`~gnuradio.bearing.doa.search.search_grid`:
    the front half-plane of a linear array, the full circle of a horizontal planar one, azimuth
    and elevation for an array that resolves both); the replay resolves them from the capture.

    MoD-DNN's grid is the model's (the grid settings do not apply), and it refuses
    ``forward_backward`` and ``subarray_length``: the model was trained on plain covariances.

    Method ``calibrated-music`` reads the calibration table ``calibration_path`` (``bearing
    calibrate``), which must be of the capture's array and carrier.

    ``channel_calibration_path`` (empty: none) is a channel calibration (JSON,
    :mod:`~gnuradio.bearing.array.channel_calibration`: ``bearing calibrate --method idl-tlbo``,
    or a live array's saved calibration) of the capture's array and carrier: the replay removes
    its channel gains from the samples before anything else (every method but
    ``calibrated-music``, whose table holds the uncorrected array's manifold). The live flowgraph
    does not read it: its Coherence Calibrator loads such a file (mode ``file``).

    ``num_sources`` 0 (:data:`~gnuradio.bearing.validation.AUTO_SOURCES`) counts the sources of
    every window with the source counter ``counter`` (a method of
    :data:`~gnuradio.bearing.counting.counters.METHODS`; a learned one reads ``counter_model``,
    empty: the bundled model for the array's size). ``track_drop_after`` N > 0 passes the
    estimates through the OMC-DOA tracker, which drops an emitter after N silent estimates.
    ``diagonal_loading`` is MVDR's relative diagonal loading
    (:data:`~gnuradio.bearing.doa.classical.DEFAULT_DIAGONAL_LOADING`).
    """

    method: str = "music"
    num_sources: int = 1
    average: int | None = None
    overlap: int = 0
    forward_backward: bool = False
    subarray_length: int = 0
    grid_start_deg: float | None = None
    grid_stop_deg: float | None = None
    grid_step_deg: float | None = None
    elevation_start_deg: float | None = None
    elevation_stop_deg: float | None = None
    elevation_step_deg: float | None = None
    min_separation_deg: float = 2.0
    num_subcarriers: int | None = None
    model_path: str = ""
    calibration_path: str = ""
    counter: str = "mdl"
    counter_model: str = ""
    track_drop_after: int = 0
    diagonal_loading: float = DEFAULT_DIAGONAL_LOADING
    channel_calibration_path: str = ""
