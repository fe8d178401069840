"""Stream tags and messages exchanged by the gr-bearing blocks (their keys are a public contract).

Stream tags (values are PMT dicts):

* ``segment_start`` on the first sample of each capture segment, from the capture source:
  ``{segment: int, sample_index: int, sample_count: int, global_index: int | None}``.
  ``sample_index`` is the index of that sample in the recording; blocks downstream count
  sample indices from it. ``sample_count`` is the segment's length (a Covariance Accumulator of
  ``average`` 0 makes one window of it; the Window Selector's windows and the Capture Source's
  annotation replay tag theirs too).
* ``truth`` on the first sample of each ground-truth annotation:
  ``{azimuth_deg: float, sample_count: int}`` (plus ``elevation_deg``, ``label`` when known).
* ``srs_occasion`` on each channel item of the SRS extractor: ``{sample_index: int,
  sample_count: int, frame: int, slot: int, ue: int, port: int, timing_offset_s: float}`` (plus
  ``cfo_hz`` when estimated or given): the occasion's first sample in the recording and the
  samples of its SRS symbols, its slot, the UE and port, and the estimated impairments.
* ``window`` on each covariance item, from the covariance accumulator:
  ``{sample_start: int, sample_count: int, truth_azimuth_deg: [float, ...]}`` (plus
  ``truth_elevation_deg: [float, ...]`` when every such annotation has an elevation): the
  samples the estimate rests on and the annotated bearings that overlap them; with ``ue`` added when the
  window's items are SRS channels (then the samples run from the first occasion's first
  sample to the last occasion's last). Coarray DBF adds ``power: float`` to the tag of its
  output, the covariance's mean element power ``trace(R) / M`` in the input's power units
  (the DBF spectrum itself is normalised by it; MoD-DNN's branch energies, Liu et al. 2025,
  Fig. 2), and creates the tag with only ``power`` when a covariance comes without one.
  The source counter adds ``num_sources: int``, its count of emitters in the window; the
  estimator blocks set to "auto" sources (``num_sources`` 0) estimate that many, and the
  blocks between them pass it on with the rest of the tag.
* ``noise_source`` on the first sample at which a live array's shared noise source switches
  on or off: ``{on: bool}`` (Simulated Array Source, KrakenSDR Source); the Window Selector
  puts it on the first sample of every window it keeps while the state is ``on`` and on the
  first window after it went off, and the Coherence Calibrator measures the channel gains on
  the windows marked on.

Messages:

* ``bearings`` (the estimators, MoD-DNN's included, and peak search): a PMT dict with
  ``azimuth_deg`` (f64 vector), ``peak_db`` (f64 vector, spectrum value at each bearing in dB
  relative to the strongest value, on the grid or at a refined peak), ``num_sources``,
  ``method``, ``sample_start``, ``sample_count`` and ``truth_azimuth_deg`` (f64 vector, empty
  when the capture has no annotation there). An estimator of an array that resolves elevation
  (a vertical planar or 3-D array) adds ``elevation_deg`` (f64 vector, one per azimuth) and,
  when the window has it, ``truth_elevation_deg``; azimuth-only arrays never do.
  :func:`bearings_record` turns it into the JSON object that ``bearing estimate --json`` prints.
* ``azimuth`` (the estimators): the pair ``(azimuth_deg . float)`` of the strongest bearing.
* ``elevation`` (the DoA Estimator, for arrays that resolve elevation): the pair
  ``(elevation_deg . float)`` of the strongest bearing.
* ``num_sources`` (the source counter): a PMT dict with ``num_sources``, ``method``,
  ``sample_start``, ``sample_count`` and ``truth_azimuth_deg`` (as in ``bearings``) for every
  covariance it counts.
* ``candidates`` (the H2AD candidate generator): a ``bearings`` message whose
  ``azimuth_deg`` holds every group's ambiguous candidates (NaN-free, group by group),
  with ``weights`` (f64 vector, one per candidate: its group's weight), ``num_sources``
  the count the candidates were made for, ``covariance`` (c32 vector, the ``R x R``
  RF-chain covariance the candidates come from, row-major) and ``hybrid_array`` (the
  array: :meth:`~gnuradio.bearing.array.hybrid.HybridArray.to_dict`, the fields of a
  capture's ``bearing:hybrid``). The OMC-DOA tracker takes it, and plain ``bearings``
  messages alike; it refines its fused bearings on ``covariance`` when there is one.
* ``truth`` (into the Window Selector and the SigMF Array Sink: a turntable's or a beacon's
  known bearing from now on): ``{azimuth_deg: f64 vector, elevation_deg: f64 vector (optional),
  label: str (optional)}``; an empty ``azimuth_deg`` says no emitter is known.
* ``noise_source`` (into the Simulated Array Source; out of the Coherence Calibrator when it
  wants a new calibration): ``{on: bool}``, switch the shared noise source on or off.
* ``calibration`` (out of the Coherence Calibrator, into the SigMF Array Sink and the Live
  Readout): ``{state: "calibrated" | "drift", method: str, coherence: float,
  residual_phase_deg: float, gains_real: f64 vector, gains_imag: f64 vector, time: str (ISO
  8601, UTC)}``, for every calibration (a loaded one at start, each new measurement; ``drift``
  when the phases moved more than the calibrator's threshold since the previous one).
* ``status`` (out of the KrakenSDR Source): the DAQ's state on every change: ``{frame_type: str,
  noise_source: bool, sample_sync: bool, iq_sync: bool, overdrive: bool, frequency_hz: float,
  sample_rate_hz: float}``.
"""

from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr
from numpy.typing import ArrayLike

from ..captures.schema import Truth
from ..validation import check_number

SEGMENT_START = "segment_start"
TRUTH = "truth"
SRS_OCCASION = "srs_occasion"
WINDOW = "window"
BEARINGS_PORT = "bearings"
AZIMUTH_PORT = "azimuth"
ELEVATION_PORT = "elevation"
COVARIANCE_PORT = "covariance"
NUM_SOURCES = "num_sources"
CANDIDATES_PORT = "candidates"
COVARIANCE_FIELD = "covariance"
HYBRID_ARRAY_FIELD = "hybrid_array"
NOISE_SOURCE = "noise_source"
TRUTH_PORT = "truth"
CALIBRATION_PORT = "calibration"
STATUS_PORT = "status"


def truth_value(truth: Truth) -> dict:
    """The ``truth`` tag of a ground-truth annotation (module docstring)."""
    value = {"azimuth_deg": truth.azimuth_deg, "sample_count": truth.sample_count}
    if truth.elevation_deg is not None:
        value["elevation_deg"] = truth.elevation_deg
    if truth.label:
        value["label"] = truth.label
    return value


def truth_bearings(value: object) -> list[dict]:
    """The bearings of a ``truth`` message (already :func:`from_pmt`), checked: one dict per
    emitter with ``azimuth_deg``, ``elevation_deg`` (None: unknown) and ``label`` (None: none),
    the keywords of :meth:`~gnuradio.bearing.captures.writer.CaptureWriter.add_truth`. ValueError
    naming the problem for a malformed message."""
    if not isinstance(value, dict) or "azimuth_deg" not in value:
        raise ValueError(f"a dict with azimuth_deg expected, got {value!r}")
    azimuths = [check_number(azimuth, "azimuth_deg") for azimuth in np.atleast_1d(value["azimuth_deg"])]
    elevations = value.get("elevation_deg")
    if elevations is not None:
        elevations = [
            check_number(elevation, "elevation_deg", -90.0, 90.0) for elevation in np.atleast_1d(elevations)
        ]
        if len(elevations) != len(azimuths):
            raise ValueError(f"{len(azimuths)} azimuths but {len(elevations)} elevations")
    label = value.get("label")
    return [
        {
            "azimuth_deg": azimuth,
            "elevation_deg": None if elevations is None else elevations[index],
            "label": str(label) if label else None,
        }
        for index, azimuth in enumerate(azimuths)
    ]


def to_pmt(value: object) -> pmt.pmt_t:
    """``pmt.to_pmt`` for values that may hold numpy scalars (which it rejects) or arrays."""
    return pmt.to_pmt(_plain(value))


def from_pmt(value: pmt.pmt_t) -> object:
    """``pmt.to_python`` with uniform vectors returned as lists (JSON-ready)."""
    return _listify(pmt.to_python(value))


def window_info(
    sample_start: int,
    sample_count: int,
    truth_azimuth_deg: ArrayLike,
    ue: int | None = None,
    truth_elevation_deg: ArrayLike | None = None,
) -> dict:
    """The ``window`` tag value of a covariance item (``ue``: the UE of SRS channel items;
    ``truth_elevation_deg``: the elevations of the truths, when every one has one)."""
    info = {
        "sample_start": int(sample_start),
        "sample_count": int(sample_count),
        "truth_azimuth_deg": np.asarray(truth_azimuth_deg, dtype=np.float64),
    }
    if truth_elevation_deg is not None:
        info["truth_elevation_deg"] = np.asarray(truth_elevation_deg, dtype=np.float64)
    if ue is not None:
        info["ue"] = int(ue)
    return info


def window_tags(block: gr.basic_block, count: int, port: int = 0) -> dict[int, dict]:
    """The ``window`` tags on the next ``count`` items of ``block``'s input ``port``, by absolute offset."""
    first = block.nitems_read(port)
    return {
        tag.offset: from_pmt(tag.value)
        for tag in block.get_tags_in_range(port, first, first + count, pmt.intern(WINDOW))
    }


def bearings_message(
    azimuth_deg: ArrayLike,
    peak_db: ArrayLike,
    method: str,
    window: dict | None,
    extra: dict | None = None,
    elevation_deg: ArrayLike | None = None,
) -> pmt.pmt_t:
    """The ``bearings`` message for one estimate; ``window`` is the item's ``window`` tag, if any;
    ``extra`` fields are added (or replace the defaults, e.g. ``num_sources`` of a ``candidates``
    message). ``elevation_deg`` (one per azimuth) is given by estimators of arrays that resolve
    elevation, and only then is it in the message (with the window's ``truth_elevation_deg``)."""
    window = window or {}
    fields = {
        "sample_start": window.get("sample_start", -1),
        "sample_count": window.get("sample_count", 0),
        "azimuth_deg": np.asarray(azimuth_deg, dtype=np.float64),
        "peak_db": np.asarray(peak_db, dtype=np.float64),
        "num_sources": len(np.atleast_1d(azimuth_deg)),
        "method": method,
        "truth_azimuth_deg": np.asarray(window.get("truth_azimuth_deg", ()), dtype=np.float64),
    }
    if elevation_deg is not None:
        fields["elevation_deg"] = np.asarray(elevation_deg, dtype=np.float64)
        if "truth_elevation_deg" in window:
            fields["truth_elevation_deg"] = np.asarray(window["truth_elevation_deg"], dtype=np.float64)
    if "ue" in window:
        fields["ue"] = window["ue"]
    return to_pmt(fields | (extra or {}))


def azimuth_pair(azimuth_deg: float) -> pmt.pmt_t:
    """The ``azimuth`` message: ``(azimuth_deg . value)``, the form QT GUI Compass and Number blocks read."""
    return pmt.cons(pmt.intern("azimuth_deg"), pmt.from_double(float(azimuth_deg)))


def elevation_pair(elevation_deg: float) -> pmt.pmt_t:
    """The ``elevation`` message: ``(elevation_deg . value)``, for a QT GUI Number readout."""
    return pmt.cons(pmt.intern("elevation_deg"), pmt.from_double(float(elevation_deg)))


RECORD_KEYS = (
    "sample_start",
    "sample_count",
    "azimuth_deg",
    "num_sources",
    "method",
    "peak_db",
    "truth_azimuth_deg",
    "ue",
)
"""The keys of an estimate's JSON object, in order (``ue``: SRS captures only; see docs/cli.md)."""

RECORD_ORDER = (
    *RECORD_KEYS[:3],
    "elevation_deg",
    *RECORD_KEYS[3:7],
    "truth_elevation_deg",
    *RECORD_KEYS[7:],
)
""":data:`RECORD_KEYS` with the keys of arrays that resolve elevation, each after its azimuth."""


def bearings_record(message: pmt.pmt_t) -> dict:
    """The JSON object of one estimate, keys in the documented order (see docs/cli.md)."""
    fields = from_pmt(message)
    if not isinstance(fields, dict) or "azimuth_deg" not in fields:
        raise ValueError(f"not a bearings message (a dict with azimuth_deg): {str(fields)[:80]}")
    return {key: fields[key] for key in RECORD_ORDER if key in fields}


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _listify(value: object) -> object:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_listify(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
