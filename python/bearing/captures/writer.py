"""Writing a capture: :func:`write_capture` stores samples, geometry, segments and ground truth
as a SigMF recording in the layout of :mod:`.schema`; :class:`CaptureWriter` records a live
stream in the same layout as it comes, with bounded memory. Both write their metadata with
the same functions, so a recording says the same whichever way it was made."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime as Datetime
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import jsonschema
import numpy as np
import sigmf
from numpy.typing import NDArray
from sigmf.sigmffile import get_sigmf_filenames

from ..array.geometry import ArrayGeometry
from ..array.hybrid import HybridArray
from ..validation import check_integer, check_number, is_positive_number
from .schema import (
    BEARING_EXTENSION,
    BEARING_KEYS,
    CHANNEL_INDEX_KEY,
    COMBINER_KEY,
    ELEMENT_GEOMETRY_KEY,
    ENCODINGS,
    GLOBAL_KEYS,
    HYBRID_KEY,
    NUM_ELEMENTS_KEY,
    SEGMENT_KEYS,
    SIGNAL_AZIMUTH_KEY,
    SIGNAL_BEARING_KEY,
    SPATIAL_EXTENSION,
    TRUTH_KEYS,
    Encoding,
    Segment,
    Truth,
    check_hybrid,
)

CaptureEntry = tuple[int, dict]
"""A ``captures`` entry: its ``core:sample_start`` and its other fields."""
AnnotationEntry = tuple[int, int, dict]
"""An ``annotations`` entry: its ``core:sample_start``, ``core:sample_count`` and other fields."""


def write_capture(
    path: str | Path,
    samples: NDArray[np.complexfloating],
    *,
    sample_rate_hz: float,
    frequency_hz: float,
    geometry: ArrayGeometry,
    segments: list[Segment] | None = None,
    truths: list[Truth] | None = None,
    datatype: str = "cf32_le",
    description: str = "",
    extra_global: dict | None = None,
    hybrid: HybridArray | None = None,
) -> Path:
    """Write ``samples`` (shape ``(N, M)``) as a SigMF recording; returns the ``.sigmf-meta`` path.

    ``path`` may carry a ``.sigmf-meta`` / ``.sigmf-data`` suffix or none; existing files are
    overwritten. ``segments`` must tile ``[0, N)`` in order (default: one segment of all
    samples); every segment gets ``core:frequency`` and ``spatial:element_geometry``.
    Each truth becomes an annotation with ``spatial:signal_azimuth``, or with
    ``spatial:signal_bearing`` when it has an elevation (or extra bearing fields).
    ``extra_global`` is merged into the global object; its ``core:extensions`` entries are
    appended to the ``spatial`` declaration (``bearing`` is declared when a ``bearing:`` field is
    written and no entry declares it), and it must not set fields written here.
    NaN samples are allowed in ``cf32_le`` (tests use them); ``ci16_le`` needs finite samples
    within full scale [-1, 32767/32768] on each component.
    With ``hybrid`` the samples are its RF-chain outputs, shape ``(N, R)``; ``geometry`` must be
    its antennas, and ``bearing:hybrid`` and ``bearing:combiner`` are written.
    Every check is made before a file is written.

    Raises:
        ValueError: samples not of shape ``(N >= 1, M)``, unsupported datatype, non-positive
            rate or carrier, segments that do not tile the samples, ``extra`` fields that clash
            with fields written here, or samples that ``ci16_le`` cannot represent.
    """
    check_hybrid(hybrid, geometry)
    channels = geometry.num_elements if hybrid is None else hybrid.num_rf_chains
    what = f"{channels}-element geometry" if hybrid is None else f"{channels} RF chains of the hybrid array"
    array = _checked_samples(samples, channels, what, min_samples=1)
    if datatype not in ENCODINGS:
        raise ValueError(f"unsupported datatype {datatype!r}; supported: {', '.join(ENCODINGS)}")
    _check_rates(sample_rate_hz, frequency_hz)
    segments = [Segment(0, array.shape[0])] if segments is None else segments
    _check_tiling(segments, array.shape[0])

    global_fields = _global_fields(
        sample_rate_hz, datatype, geometry.num_elements, description, extra_global, hybrid
    )
    points = _element_points(geometry)
    captures = [
        (segment.sample_start, _capture_fields(segment, frequency_hz, points)) for segment in segments
    ]
    annotations = [_annotation_entry(truth) for truth in truths or []]
    data = _encode(array, ENCODINGS[datatype])
    names = get_sigmf_filenames(path)
    _write_metadata(names["meta_fn"], global_fields, hashlib.sha512(data).hexdigest(), captures, annotations)
    names["data_fn"].write_bytes(data)
    return names["meta_fn"]


class CaptureWriter:
    """Records a live stream of M-channel snapshots as a SigMF capture (``cf32_le``), block by block.

    The samples go straight to the ``.sigmf-data`` file and into the ``core:sha512`` checksum as
    they come; nothing of them is kept in memory, only the metadata (segments, truths). The
    ``.sigmf-meta`` is written when the writer is made (an empty recording, which checks the
    fields now) and again by :meth:`close`, with the same fields as :func:`write_capture`
    (which see for ``description`` and ``extra_global``): a recording stopped early, or by an
    exception inside a ``with`` block, still has the metadata of what was written. Existing
    files are overwritten.

    Segments: the recording starts with one at sample 0 (no ``core:global_index``);
    :meth:`start_segment` starts another at the next sample, so that the gaps of a live stream
    are visible. Truths are annotations; :meth:`close` cuts them at the end of the data.

    Args:
        path: the recording (``.sigmf-meta``, ``.sigmf-data`` or their common base name).
        sample_rate_hz: samples per second of each channel, Hz.
        frequency_hz: the carrier, Hz.
        geometry: the array; its M elements are the channels.
        description: ``core:description``, when not empty.
        extra_global: further global fields (the source's settings, ...), as in :func:`write_capture`.

    Every method checks its input (a ValueError names the problem), so that :meth:`close` can
    always write the metadata.

    Raises:
        ValueError: non-positive rate or carrier, ``extra_global`` setting fields written here,
            metadata that SigMF refuses, or a path that cannot be written (its folder missing).
    """

    datatype = "cf32_le"

    def __init__(
        self,
        path: str | Path,
        *,
        sample_rate_hz: float,
        frequency_hz: float,
        geometry: ArrayGeometry,
        description: str = "",
        extra_global: dict | None = None,
    ) -> None:
        _check_rates(sample_rate_hz, frequency_hz)
        self.geometry = geometry
        self._sample_rate_hz = float(sample_rate_hz)
        self._frequency_hz = float(frequency_hz)
        self._description = description
        self._extra_global = dict(extra_global or {})
        self._global = self._global_fields()
        self._points = _element_points(geometry)
        self._captures: list[CaptureEntry] = [(0, _capture_fields(Segment(0, 0), frequency_hz, self._points))]
        self._annotations: list[AnnotationEntry] = []
        self._hash = hashlib.sha512()
        self._samples_written = 0
        names = get_sigmf_filenames(path)
        self.meta_path: Path = names["meta_fn"]
        self.data_path: Path = names["data_fn"]
        self._file = _open_for_writing(self.data_path)
        try:
            self._write_metadata()
        except Exception:
            self._file.close()
            raise

    @property
    def samples_written(self) -> int:
        """M-channel samples written so far: the index of the next sample."""
        return self._samples_written

    @property
    def closed(self) -> bool:
        return self._file.closed

    def append(self, samples: NDArray[np.complexfloating]) -> None:
        """Writes ``samples``, shape ``(n, M)`` (n may be 0), after the samples written so far."""
        self._check_open()
        num_elements = self.geometry.num_elements
        array = _checked_samples(samples, num_elements, f"{num_elements}-element geometry", min_samples=0)
        data = _encode(array, ENCODINGS[self.datatype])
        self._file.write(data)
        self._hash.update(data)
        self._samples_written += array.shape[0]

    def start_segment(self, global_index: int | None = None, datetime: str | None = None) -> None:
        """A new segment from the next sample on: ``core:global_index`` (the sample index on the
        receiver's clock, >= 0) and ``core:datetime`` (ISO 8601 in UTC, ``...Z``), when given.
        It replaces a segment that holds no sample yet."""
        self._check_open()
        segment = Segment(
            self._samples_written,
            0,
            None if global_index is None else check_integer(global_index, "global_index", 0),
            None if datetime is None else _checked_datetime(datetime),
        )
        entry = (segment.sample_start, _capture_fields(segment, self._frequency_hz, self._points))
        if self._captures[-1][0] == segment.sample_start:
            self._captures[-1] = entry
        else:
            self._captures.append(entry)

    def add_truth(
        self,
        sample_start: int,
        sample_count: int,
        azimuth_deg: float,
        elevation_deg: float | None = None,
        label: str | None = None,
        extra: dict | None = None,
    ) -> None:
        """An annotation: one emitter at ``azimuth_deg`` (and ``elevation_deg``, degrees, relative to
        the boresight) over samples ``[sample_start, sample_start + sample_count)``, which may reach
        beyond the samples written so far. ``extra``: further annotation fields, as ``Truth.extra``."""
        self._check_open()
        truth = Truth(
            check_integer(sample_start, "sample_start", 0),
            check_integer(sample_count, "sample_count", 1),
            check_number(azimuth_deg, "azimuth_deg"),
            None if elevation_deg is None else check_number(elevation_deg, "elevation_deg", -90.0, 90.0),
            None if label is None else str(label),
            dict(extra or {}),
        )
        entry = _annotation_entry(truth)
        if truth.extra:  # checked now: a field SigMF refuses would cost the metadata at close
            _recording(self._global, self._hash.hexdigest(), [], [entry])
        self._annotations.append(entry)

    def set_global_field(self, key: str, value: object) -> None:
        """Sets (or replaces) one field of ``extra_global``, e.g. a calibration that changed while
        recording; it is written with the metadata (``bearing`` is declared for a ``bearing:`` key)."""
        self._check_open()
        extra_global = {**self._extra_global, key: value}
        global_fields = self._global_fields(extra_global)
        _recording(global_fields, self._hash.hexdigest(), [], [])  # checked now, not at close
        self._global, self._extra_global = global_fields, extra_global

    def close(self) -> None:
        """Closes the data file and writes the metadata of what was written; a trailing segment
        without samples is dropped, truths are cut at the end of the data. Closing twice does nothing."""
        if self.closed:
            return
        self._file.close()
        self._write_metadata()

    def reopen(self) -> None:
        """Goes on with the recording after :meth:`close`: the next samples follow the last ones
        (a paused stream; start a segment to show the gap). Reopening an open writer does nothing."""
        if self.closed:
            self._file = _open_for_writing(self.data_path, "ab")

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"{self.data_path}: the capture writer is closed")

    def _global_fields(self, extra_global: dict | None = None) -> dict:
        return _global_fields(
            self._sample_rate_hz,
            self.datatype,
            self.geometry.num_elements,
            self._description,
            self._extra_global if extra_global is None else extra_global,
            None,
        )

    def _write_metadata(self) -> None:
        end = self._samples_written
        captures = [entry for entry in self._captures if entry[0] < end] or self._captures[:1]
        annotations = [
            (start, min(count, end - start), fields)
            for start, count, fields in self._annotations
            if start < end
        ]
        _write_metadata(self.meta_path, self._global, self._hash.hexdigest(), captures, annotations)


def _write_metadata(
    meta_path: Path,
    global_fields: dict,
    sha512: str,
    captures: list[CaptureEntry],
    annotations: list[AnnotationEntry],
) -> None:
    """Writes the metadata to ``meta_path`` in one step (a new file replaces the old one, so a
    reader never sees half of it)."""
    text = _recording(global_fields, sha512, captures, annotations).dumps() + "\n"
    partial = meta_path.with_name(f"{meta_path.name}.partial")
    partial.write_text(text)
    os.replace(partial, meta_path)


def _recording(
    global_fields: dict, sha512: str, captures: list[CaptureEntry], annotations: list[AnnotationEntry]
) -> sigmf.SigMFFile:
    """The metadata as sigmf-python holds it (annotations sorted by their start), checked against
    the SigMF schema: a ValueError names the field it refuses."""
    recording = sigmf.SigMFFile(
        metadata={
            "global": {**global_fields, sigmf.SHA512_KEY: sha512},
            "captures": [{**fields, sigmf.SAMPLE_START_KEY: start} for start, fields in captures],
            "annotations": [
                {**fields, sigmf.SAMPLE_START_KEY: start, sigmf.SAMPLE_COUNT_KEY: count}
                for start, count, fields in sorted(annotations, key=lambda entry: entry[0])
            ],
        }
    )
    try:
        recording.validate()
    except jsonschema.ValidationError as error:
        raise ValueError(f"the SigMF schema refuses {error.json_path}: {error.message}") from error
    return recording


def _open_for_writing(data_path: Path, mode: str = "wb") -> BinaryIO:
    """``data_path`` opened for binary writing (``mode`` "wb" or "ab"); ValueError naming the
    folder or the error if it cannot be."""
    folder = data_path.resolve().parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {data_path}: the folder {folder} does not exist")
    try:
        return open(data_path, mode)  # closed by CaptureWriter.close
    except OSError as error:
        raise ValueError(f"cannot write {data_path}: {error.strerror}") from error


def _check_rates(sample_rate_hz: float, frequency_hz: float) -> None:
    if not (is_positive_number(sample_rate_hz) and is_positive_number(frequency_hz)):
        raise ValueError(
            f"sample_rate_hz and frequency_hz must be positive, got {sample_rate_hz!r} and {frequency_hz!r}"
        )


def _checked_datetime(datetime: str) -> str:
    """``datetime`` if it is an ISO 8601 time in UTC ending in ``Z`` (SigMF ``core:datetime``)."""
    try:
        valid = (
            isinstance(datetime, str) and datetime.endswith("Z") and bool(Datetime.fromisoformat(datetime))
        )
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(
            f"datetime: must be ISO 8601 in UTC, e.g. '2024-05-01T12:00:00.000Z', got {datetime!r}"
        )
    return datetime


def _checked_samples(
    samples: NDArray[np.complexfloating], channels: int, what: str, min_samples: int
) -> NDArray:
    array = np.asarray(samples)
    if array.ndim != 2 or array.shape[0] < min_samples or array.shape[1] != channels:
        raise ValueError(
            f"samples must have shape (N, {channels}) with N >= {min_samples} for the {what}, "
            f"got shape {array.shape}"
        )
    return array


def _check_tiling(segments: list[Segment], num_samples: int) -> None:
    """Segments must cover ``[0, num_samples)`` in order, without gaps, overlaps or empty segments."""
    expected_start = 0
    for index, segment in enumerate(segments):
        if segment.sample_start != expected_start or segment.sample_count < 1:
            raise ValueError(
                f"segments[{index}] covers [{segment.sample_start}, "
                f"{segment.sample_start + segment.sample_count}) but must start at {expected_start} and "
                f"hold samples: segments tile the {num_samples} samples in order"
            )
        expected_start += segment.sample_count
    if expected_start != num_samples:
        raise ValueError(f"segments cover {expected_start} samples but samples holds {num_samples}")


def _encode(samples: NDArray, encoding: Encoding) -> bytes:
    """Interleaved I/Q components of ``samples`` (N, M) in the on-disk form of ``encoding``."""
    components = np.ascontiguousarray(samples, dtype=np.complex128).view(np.float64) / encoding.scale
    if encoding.component.kind == "i":
        components = np.round(components)
        limits = np.iinfo(encoding.component)
        if not np.all((components >= limits.min) & (components <= limits.max)):
            raise ValueError(
                f"samples must be finite with components in [{limits.min * encoding.scale}, "
                f"{limits.max * encoding.scale}] to be stored as integers (scale {encoding.scale})"
            )
    return components.astype(encoding.component).tobytes()


def _global_fields(
    sample_rate_hz: float,
    datatype: str,
    num_elements: int,
    description: str,
    extra_global: dict | None,
    hybrid: HybridArray | None,
) -> dict:
    """The ``global`` object without ``core:sha512``; ``bearing`` is declared when a ``bearing:``
    field is written and ``extra_global`` does not declare it."""
    extra = dict(extra_global or {})
    extensions = [dict(SPATIAL_EXTENSION), *extra.pop(sigmf.EXTENSIONS_KEY, [])]
    fields = {
        sigmf.DATATYPE_KEY: datatype,
        sigmf.SAMPLE_RATE_KEY: float(sample_rate_hz),
        sigmf.NUM_CHANNELS_KEY: num_elements,
        sigmf.EXTENSIONS_KEY: extensions,
        NUM_ELEMENTS_KEY: num_elements,
        CHANNEL_INDEX_KEY: 0,
        **_checked_extra(extra, GLOBAL_KEYS, "extra_global"),
    }
    if hybrid is not None:
        fields.update(_hybrid_fields(hybrid))
    if description:
        fields[sigmf.DESCRIPTION_KEY] = description
    namespace = BEARING_EXTENSION["name"]
    declared = any(extension.get("name") == namespace for extension in extensions)
    if not declared and any(key.startswith(f"{namespace}:") for key in fields):
        extensions.append(dict(BEARING_EXTENSION))
    return fields


def _hybrid_fields(hybrid: HybridArray) -> dict:
    """``core:num_channels`` = R, ``bearing:hybrid`` and ``bearing:combiner``."""
    combiner = hybrid.combiner()
    return {
        sigmf.NUM_CHANNELS_KEY: hybrid.num_rf_chains,
        HYBRID_KEY: hybrid.to_dict(),
        COMBINER_KEY: {"real": combiner.real.tolist(), "imag": combiner.imag.tolist()},
    }


def _element_points(geometry: ArrayGeometry) -> list[dict]:
    """``spatial:element_geometry``: one ``{"point": [x, y, z]}`` (metres) per element."""
    return [{"point": position.tolist()} for position in geometry.positions_m]


def _capture_fields(segment: Segment, frequency_hz: float, points: list[dict]) -> dict:
    """The fields of a segment's ``captures`` entry but ``core:sample_start``."""
    fields = {
        **_checked_extra(segment.extra, SEGMENT_KEYS, "Segment.extra"),
        sigmf.FREQUENCY_KEY: float(frequency_hz),
        ELEMENT_GEOMETRY_KEY: points,
    }
    if segment.global_index is not None:
        fields[sigmf.GLOBAL_INDEX_KEY] = segment.global_index
    if segment.datetime is not None:
        fields[sigmf.DATETIME_KEY] = segment.datetime
    return fields


def _annotation_entry(truth: Truth) -> AnnotationEntry:
    """A truth's annotation: one of signal_azimuth or signal_bearing (spatial spec 3)."""
    extra = dict(truth.extra)
    bearing_extra = _checked_extra(
        extra.pop(SIGNAL_BEARING_KEY, {}), BEARING_KEYS, f"Truth.extra[{SIGNAL_BEARING_KEY!r}]"
    )
    fields = _checked_extra(extra, TRUTH_KEYS, "Truth.extra")
    if truth.elevation_deg is None and not bearing_extra:
        fields[SIGNAL_AZIMUTH_KEY] = float(truth.azimuth_deg)
    else:
        bearing = {"azimuth": float(truth.azimuth_deg), **bearing_extra}
        if truth.elevation_deg is not None:
            bearing["elevation"] = float(truth.elevation_deg)
        fields[SIGNAL_BEARING_KEY] = bearing
    if truth.label is not None:
        fields[sigmf.LABEL_KEY] = truth.label
    return truth.sample_start, truth.sample_count, fields


def _checked_extra(extra: dict, reserved: frozenset[str], what: str) -> dict:
    """A copy of ``extra``; ValueError if it sets fields that the writer derives from its arguments."""
    clashes = sorted(reserved & extra.keys())
    if clashes:
        raise ValueError(f"{what} must not set {', '.join(clashes)}: the capture writer writes them")
    return dict(extra)


def write_array_description(
    path: str | Path,
    geometry: ArrayGeometry,
    frequency_hz: float,
    sample_rate_hz: float,
    description: str = "",
) -> Path:
    """Writes a live array's description: the metadata of a recording of no samples (its
    geometry, carrier and sample rate), which `bearing live --array` and
    :func:`~.reader.read_array_description` read; returns the ``.sigmf-meta`` path."""
    writer = CaptureWriter(
        path,
        sample_rate_hz=sample_rate_hz,
        frequency_hz=frequency_hz,
        geometry=geometry,
        description=description,
    )
    writer.close()
    return writer.meta_path
