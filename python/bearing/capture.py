"""SigMF recordings of multi-antenna captures (the SigMF ``spatial`` extension).

A recording is a ``.sigmf-meta`` / ``.sigmf-data`` pair holding the M channels of an
antenna array interleaved per sample (sample ``n`` of channel ``m`` at index ``n * M + m``).
One *sample* is one M-channel snapshot; every sample index here (segments, truths,
:meth:`Capture.read`) counts snapshots in the data file.

Metadata layout (see docs/capture-format.md for the full description and the spec reference):

* global: ``core:datatype`` (``cf32_le`` or ``ci16_le``), ``core:sample_rate``,
  ``core:num_channels`` = M, ``core:extensions`` declaring ``spatial``,
  ``spatial:num_elements`` = M and ``spatial:channel_index`` = 0;
* each ``captures`` segment: ``core:sample_start``, ``core:frequency`` (carrier, Hz),
  ``spatial:element_geometry`` (a list of ``{"point": [x, y, z]}`` in metres), optionally
  ``core:global_index`` and ``core:datetime``;
* ground truth: one annotation per emitter and time window with ``spatial:signal_azimuth``
  (degrees) or ``spatial:signal_bearing`` = ``{"azimuth": ..., "elevation": ...}``;
* a hybrid analog-digital (H2AD) array (:mod:`.hybrid_array`): the channels are its R RF
  chains, not its N antennas: ``core:num_channels`` = R, ``spatial:num_elements`` = N (the
  points of ``spatial:element_geometry``), ``bearing:hybrid`` = :meth:`HybridArray.to_dict`
  and ``bearing:combiner`` = ``{"real": ..., "imag": ...}``, the N x R combiner ``W``.

Angles and positions are in the SigMF spatial frame used by :mod:`.array_model`
(boresight +x, azimuth clockwise seen from above), so nothing is converted.
``ci16_le`` stores ``round(value * 32768)``: full scale is [-1, 32767/32768].
Checksums (``core:sha512``) are written but not verified on read, which would read the
whole file; ``sigmf_validate`` verifies them.
"""

from __future__ import annotations

import io
import json
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import numpy as np
import sigmf
from numpy.typing import NDArray
from sigmf.sigmffile import get_sigmf_filenames

from .array_model import ArrayGeometry
from .hybrid_array import HybridArray

SPATIAL_EXTENSION = {"name": "spatial", "version": "1.1.0", "optional": True}
"""``core:extensions`` entry written for the spatial extension (sigmf/SigMF spatial.sigmf-ext.md v1.1.0)."""

BEARING_EXTENSION = {"name": "bearing", "version": "1.0.0", "optional": True}
"""``core:extensions`` entry declaring the project's ``bearing:`` fields (simulator, hybrid arrays)."""

NUM_ELEMENTS_KEY = "spatial:num_elements"
CHANNEL_INDEX_KEY = "spatial:channel_index"
ELEMENT_GEOMETRY_KEY = "spatial:element_geometry"
SIGNAL_AZIMUTH_KEY = "spatial:signal_azimuth"
SIGNAL_BEARING_KEY = "spatial:signal_bearing"
HYBRID_KEY = "bearing:hybrid"
COMBINER_KEY = "bearing:combiner"

CI16_FULL_SCALE = 32768.0
"""``ci16_le`` components are ``round(value * CI16_FULL_SCALE)`` (the scale sigmf-python reads with)."""


@dataclass(frozen=True)
class _Encoding:
    """On-disk form of one complex sample: two components, ``value = component * scale``."""

    component: np.dtype
    scale: float

    @property
    def sample_bytes(self) -> int:
        return 2 * self.component.itemsize


_ENCODINGS = {
    "cf32_le": _Encoding(np.dtype("<f4"), 1.0),
    "ci16_le": _Encoding(np.dtype("<i2"), 1.0 / CI16_FULL_SCALE),
}
SUPPORTED_DATATYPES = tuple(_ENCODINGS)

# Fields represented by dataclass attributes (or by Capture) rather than by ``extra``.
_SEGMENT_KEYS = frozenset(
    {
        sigmf.SAMPLE_START_KEY,
        sigmf.GLOBAL_INDEX_KEY,
        sigmf.DATETIME_KEY,
        sigmf.FREQUENCY_KEY,
        ELEMENT_GEOMETRY_KEY,
    }
)
_TRUTH_KEYS = frozenset(
    {sigmf.SAMPLE_START_KEY, sigmf.SAMPLE_COUNT_KEY, sigmf.LABEL_KEY, SIGNAL_AZIMUTH_KEY, SIGNAL_BEARING_KEY}
)
_BEARING_KEYS = frozenset({"azimuth", "elevation"})
_GLOBAL_KEYS = frozenset(
    {
        sigmf.DATATYPE_KEY,
        sigmf.SAMPLE_RATE_KEY,
        sigmf.NUM_CHANNELS_KEY,
        sigmf.DESCRIPTION_KEY,
        sigmf.VERSION_KEY,
        sigmf.SHA512_KEY,
        NUM_ELEMENTS_KEY,
        CHANNEL_INDEX_KEY,
        HYBRID_KEY,
        COMBINER_KEY,
    }
)


class CaptureError(ValueError):
    """A capture that cannot be read; the message names the file and the offending field."""


@dataclass(frozen=True)
class Segment:
    """One SigMF capture segment: a window of contiguous samples.

    ``sample_start`` indexes the samples of the data file (per channel, i.e. one sample
    is one M-channel snapshot); ``global_index`` is the sample index on the receiver's clock
    (``core:global_index``), so that gaps between windows of a recording are visible.
    ``global_index`` is None when the file does not give it (SigMF then treats it as equal to
    ``sample_start``). ``extra`` holds the other fields of the ``captures`` entry.
    """

    sample_start: int
    sample_count: int
    global_index: int | None = None
    datetime: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Truth:
    """Ground truth of one emitter over a range of samples (one SigMF annotation).

    Angles are in degrees in the SigMF spatial frame, relative to the array boresight.
    ``extra`` holds the other fields of the annotation; bearing fields other than azimuth
    and elevation (``az_error``, ``range``, ...) are kept in ``extra["spatial:signal_bearing"]``.
    """

    sample_start: int
    sample_count: int
    azimuth_deg: float
    elevation_deg: float | None = None
    label: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Capture:
    """A multi-channel SigMF recording opened for reading.

    ``segments`` tile the data from the first segment's start to ``num_samples``;
    ``truths`` are sorted by ``sample_start``; ``global_info`` is the ``global`` object as read.
    ``hybrid`` is the H2AD receiver whose RF chains the channels are, or None when every
    channel is one antenna of ``geometry``.
    """

    meta_path: Path
    data_path: Path
    datatype: str
    sample_rate_hz: float
    frequency_hz: float
    geometry: ArrayGeometry
    segments: list[Segment]
    truths: list[Truth]
    global_info: dict
    num_samples: int
    hybrid: HybridArray | None = None

    @property
    def num_channels(self) -> int:
        """Channels per sample: the antennas, or the RF chains of a hybrid array."""
        return self.geometry.num_elements if self.hybrid is None else self.hybrid.num_rf_chains

    def read(self, sample_start: int, sample_count: int) -> NDArray[np.complex64]:
        """Samples ``[sample_start, sample_start + sample_count)``, shape ``(count, M)`` complex64.

        Only that window is mapped from the data file (``numpy.memmap``); the result is a copy.
        The window may span several segments: the data file is contiguous.
        """
        if sample_start < 0 or sample_count < 0 or sample_start + sample_count > self.num_samples:
            raise ValueError(
                f"{self.data_path}: cannot read samples [{sample_start}, {sample_start + sample_count}) "
                f"of a capture holding {self.num_samples} samples"
            )
        if sample_count == 0:
            return np.empty((0, self.num_channels), dtype=np.complex64)
        encoding = _ENCODINGS[self.datatype]
        raw = np.memmap(
            self.data_path,
            dtype=encoding.component,
            mode="r",
            offset=sample_start * self.num_channels * encoding.sample_bytes,
            shape=(sample_count, self.num_channels, 2),
        )
        components = np.multiply(raw, encoding.scale, dtype=np.float32)
        return components.view(np.complex64).reshape(sample_count, self.num_channels)


def read_capture(path: str | Path) -> Capture:
    """Open a SigMF recording (``.sigmf-meta`` or ``.sigmf-data`` path, or the common base name).

    The metadata is checked against the SigMF core schema (sigmf-python) and against what
    this module needs; any problem raises :class:`CaptureError` naming the file and the field.
    Sample data is not read here (see :meth:`Capture.read`), but the data file is opened once so
    that a missing, unreadable, empty or truncated file is reported now.
    """
    names = get_sigmf_filenames(path)
    meta_path, data_path = names["meta_fn"], names["data_fn"]
    metadata = _load_metadata(meta_path)
    global_info = metadata["global"]
    datatype = global_info[sigmf.DATATYPE_KEY]
    if datatype not in _ENCODINGS:
        raise CaptureError(
            f"{meta_path}: unsupported {sigmf.DATATYPE_KEY} {datatype!r}; supported: {', '.join(_ENCODINGS)}"
        )
    if sigmf.SAMPLE_RATE_KEY not in global_info:
        raise CaptureError(f"{meta_path}: missing {sigmf.SAMPLE_RATE_KEY} in global")
    frequency_hz = _captures_field(metadata, sigmf.FREQUENCY_KEY, meta_path)
    if not _is_positive_number(frequency_hz):
        raise CaptureError(
            f"{meta_path}: missing or invalid carrier {sigmf.FREQUENCY_KEY} in captures "
            f"(got {frequency_hz!r}; a positive frequency in Hz is required)"
        )
    geometry = _read_geometry(metadata, meta_path)
    hybrid = _read_hybrid(global_info, float(frequency_hz), geometry, meta_path)
    num_channels = geometry.num_elements if hybrid is None else hybrid.num_rf_chains
    _check_channels(global_info, geometry.num_elements, num_channels, meta_path)
    num_samples = _count_samples(data_path, _ENCODINGS[datatype], num_channels)
    segments = _read_segments(metadata["captures"], num_samples, meta_path)
    truths = [
        truth
        for index, annotation in enumerate(metadata["annotations"])
        if (truth := _read_truth(annotation, index, segments, num_samples, meta_path)) is not None
    ]
    return Capture(
        meta_path=meta_path,
        data_path=data_path,
        datatype=datatype,
        sample_rate_hz=float(global_info[sigmf.SAMPLE_RATE_KEY]),
        frequency_hz=float(frequency_hz),
        geometry=geometry,
        segments=segments,
        truths=sorted(truths, key=lambda truth: truth.sample_start),
        global_info=global_info,
        num_samples=num_samples,
        hybrid=hybrid,
    )


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
    appended to the ``spatial`` declaration, and it must not set fields written here.
    NaN samples are allowed in ``cf32_le`` (tests use them); ``ci16_le`` needs finite samples
    within full scale [-1, 32767/32768] on each component.
    With ``hybrid`` the samples are its RF-chain outputs, shape ``(N, R)``; ``geometry`` must be
    its antennas, and ``bearing:hybrid`` and ``bearing:combiner`` are written (the ``bearing``
    extension is declared unless ``extra_global`` declares it).

    Raises:
        ValueError: samples not of shape ``(N >= 1, M)``, unsupported datatype, non-positive
            rate or carrier, segments that do not tile the samples, ``extra`` fields that clash
            with fields written here, or samples that ``ci16_le`` cannot represent.
    """
    _check_hybrid(hybrid, geometry)
    array = _checked_samples(samples, geometry, hybrid)
    if datatype not in _ENCODINGS:
        raise ValueError(f"unsupported datatype {datatype!r}; supported: {', '.join(_ENCODINGS)}")
    if not (_is_positive_number(sample_rate_hz) and _is_positive_number(frequency_hz)):
        raise ValueError(
            f"sample_rate_hz and frequency_hz must be positive, got {sample_rate_hz!r} and {frequency_hz!r}"
        )
    segments = [Segment(0, array.shape[0])] if segments is None else segments
    _check_tiling(segments, array.shape[0])

    recording = sigmf.SigMFFile(
        global_info=_global_fields(
            sample_rate_hz, datatype, geometry.num_elements, description, extra_global, hybrid
        )
    )
    recording.set_data_file(data_buffer=io.BytesIO(_encode(array, _ENCODINGS[datatype])))
    points = [{"point": position.tolist()} for position in geometry.positions_m]
    for segment in segments:
        recording.add_capture(segment.sample_start, metadata=_capture_fields(segment, frequency_hz, points))
    for truth in truths or []:
        recording.add_annotation(truth.sample_start, truth.sample_count, metadata=_annotation_fields(truth))
    meta_path = get_sigmf_filenames(path)["meta_fn"]
    recording.tofile(meta_path, overwrite=True)
    return meta_path


def _load_metadata(meta_path: Path) -> dict:
    """The parsed metadata, checked against the SigMF core schema."""
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CaptureError(f"{meta_path}: cannot read the metadata file: {err}") from err
    except ValueError as err:
        raise CaptureError(f"{meta_path}: the metadata is not valid JSON: {err}") from err
    try:
        sigmf.validate.validate(metadata)
    except jsonschema.ValidationError as err:
        raise CaptureError(f"{meta_path}: fails the SigMF schema at {err.json_path}: {err.message}") from err
    global_info = metadata["global"]
    if (
        sigmf.DATASET_KEY in global_info
        or global_info.get(sigmf.TRAILING_BYTES_KEY, 0)
        or any(capture.get(sigmf.HEADER_BYTES_KEY, 0) for capture in metadata["captures"])
    ):
        raise CaptureError(
            f"{meta_path}: non-conforming datasets ({sigmf.DATASET_KEY}, {sigmf.HEADER_BYTES_KEY}, "
            f"{sigmf.TRAILING_BYTES_KEY}) are not supported"
        )
    return metadata


def _captures_field(metadata: dict, key: str, meta_path: Path) -> object:
    """A captures-scope field that must be the same in every segment defining it.

    Falls back to the global object (not where SigMF defines these fields; accepted for
    leniency) and to None when absent.
    """
    values = [capture[key] for capture in metadata["captures"] if key in capture]
    if any(value != values[0] for value in values[1:]):
        raise CaptureError(f"{meta_path}: {key} differs between captures segments; a Capture holds one value")
    return values[0] if values else metadata["global"].get(key)


def _read_geometry(metadata: dict, meta_path: Path) -> ArrayGeometry:
    """Element positions from ``spatial:element_geometry`` (cartesian_point objects, metres)."""
    points = _captures_field(metadata, ELEMENT_GEOMETRY_KEY, meta_path)
    if points is None:
        raise CaptureError(f"{meta_path}: missing {ELEMENT_GEOMETRY_KEY} (element positions) in captures")
    try:
        return ArrayGeometry([point["point"] for point in points])
    except (TypeError, KeyError, ValueError) as err:
        raise CaptureError(
            f"{meta_path}: {ELEMENT_GEOMETRY_KEY} must list one cartesian_point "
            f'{{"point": [x, y, z]}} in metres per element, all known: {err!r}'
        ) from err


def _check_channels(global_info: dict, num_elements: int, num_channels: int, meta_path: Path) -> None:
    """All channels (the M elements of the geometry, or the RF chains of a hybrid array) must be
    interleaved in this one dataset."""
    checks = (
        (sigmf.NUM_CHANNELS_KEY, global_info.get(sigmf.NUM_CHANNELS_KEY, 1), num_channels),
        (NUM_ELEMENTS_KEY, global_info.get(NUM_ELEMENTS_KEY, "missing"), num_elements),
        (CHANNEL_INDEX_KEY, global_info.get(CHANNEL_INDEX_KEY, "missing"), 0),
    )
    what = "elements" if num_channels == num_elements else f"RF chains of the {num_elements} elements"
    for key, value, expected in checks:
        if value != expected:
            raise CaptureError(
                f"{meta_path}: {key} is {value}, expected {expected}: the {num_channels} {what} of "
                f"{ELEMENT_GEOMETRY_KEY} must all be interleaved in this dataset"
            )


def _read_hybrid(
    global_info: dict, frequency_hz: float, geometry: ArrayGeometry, meta_path: Path
) -> HybridArray | None:
    """The hybrid array of ``bearing:hybrid``, checked against the carrier, the geometry and
    ``bearing:combiner``; None without ``bearing:hybrid``."""
    if HYBRID_KEY not in global_info:
        return None
    try:
        hybrid = HybridArray.from_dict(global_info[HYBRID_KEY])
        _check_hybrid(hybrid, geometry)
        combiner = np.asarray(global_info[COMBINER_KEY]["real"]) + 1j * np.asarray(
            global_info[COMBINER_KEY]["imag"]
        )
    except (KeyError, TypeError, ValueError) as err:
        raise CaptureError(f"{meta_path}: {HYBRID_KEY} / {COMBINER_KEY}: {err}") from err
    if not np.isclose(hybrid.frequency_hz, frequency_hz, rtol=1e-12, atol=0):
        raise CaptureError(
            f"{meta_path}: {HYBRID_KEY}.frequency_hz {hybrid.frequency_hz} is not the carrier "
            f"{sigmf.FREQUENCY_KEY} {frequency_hz}"
        )
    expected = hybrid.combiner()
    if combiner.shape != expected.shape or not np.allclose(combiner, expected, rtol=0, atol=1e-9):
        raise CaptureError(
            f"{meta_path}: {COMBINER_KEY} is not the combiner of {HYBRID_KEY} (shape {combiner.shape}, "
            f"expected {expected.shape}); only the steered weights of hybrid_array are supported"
        )
    return hybrid


def _check_hybrid(hybrid: HybridArray | None, geometry: ArrayGeometry) -> None:
    """ValueError unless ``geometry`` is the antennas of ``hybrid`` (when given)."""
    if hybrid is None:
        return
    positions = hybrid.geometry().positions_m
    if positions.shape != geometry.positions_m.shape or not np.allclose(
        positions, geometry.positions_m, rtol=0, atol=1e-9
    ):
        raise ValueError(
            f"the element geometry ({geometry.num_elements} elements) is not the hybrid array's "
            f"{hybrid.num_elements}-antenna ULA of spacing {hybrid.spacing_m} m"
        )


def _count_samples(data_path: Path, encoding: _Encoding, num_channels: int) -> int:
    """Number of M-channel samples in the data file."""
    if not data_path.is_file():
        raise CaptureError(f"{data_path}: data file not found")
    try:
        with open(data_path, "rb"):  # fail here, not later inside a running flowgraph
            pass
    except OSError as error:
        raise CaptureError(f"{data_path}: data file cannot be read ({error.strerror})") from None
    size = data_path.stat().st_size
    if size == 0:
        raise CaptureError(f"{data_path}: data file is empty")
    sample_bytes = num_channels * encoding.sample_bytes
    count, remainder = divmod(size, sample_bytes)
    if remainder:
        raise CaptureError(
            f"{data_path}: {size} bytes is not a whole number of samples of {sample_bytes} bytes "
            f"({sigmf.NUM_CHANNELS_KEY} = {num_channels} x {encoding.sample_bytes} bytes of "
            f"{sigmf.DATATYPE_KEY}); {remainder} bytes left over, is the file truncated?"
        )
    return count


def _read_segments(captures: list[dict], num_samples: int, meta_path: Path) -> list[Segment]:
    """Segments from ``captures`` entries, each running to the next one or to the end of the data."""
    captures = captures or [{sigmf.SAMPLE_START_KEY: 0}]  # SigMF: no captures means one at 0
    starts = [capture[sigmf.SAMPLE_START_KEY] for capture in captures]
    if starts[-1] > num_samples:
        raise CaptureError(
            f"{meta_path}: captures {sigmf.SAMPLE_START_KEY} {starts[-1]} lies beyond the end of "
            f"the data ({num_samples} samples)"
        )
    return [
        Segment(
            sample_start=start,
            sample_count=stop - start,
            global_index=capture.get(sigmf.GLOBAL_INDEX_KEY),
            datetime=capture.get(sigmf.DATETIME_KEY),
            extra=_extra_fields(capture, _SEGMENT_KEYS),
        )
        for capture, start, stop in zip(captures, starts, [*starts[1:], num_samples], strict=True)
    ]


def _read_truth(
    annotation: dict, index: int, segments: list[Segment], num_samples: int, meta_path: Path
) -> Truth | None:
    """The truth in one annotation, or None when it carries no azimuth (not a ground truth).

    ``spatial:signal_bearing`` has priority over ``spatial:signal_azimuth`` (spatial spec 3).
    Without ``core:sample_count`` the annotation runs to the end of its segment (core spec).
    """
    try:
        bearing = dict(annotation.get(SIGNAL_BEARING_KEY, {}))
        azimuth = bearing.pop("azimuth", annotation.get(SIGNAL_AZIMUTH_KEY))
        elevation = bearing.pop("elevation", None)
        azimuth_deg = None if azimuth is None else float(azimuth)
        elevation_deg = None if elevation is None else float(elevation)
    except (TypeError, ValueError) as err:
        raise CaptureError(
            f"{meta_path}: annotations[{index}] has a malformed {SIGNAL_AZIMUTH_KEY} or "
            f"{SIGNAL_BEARING_KEY}: {err}"
        ) from err
    if azimuth_deg is None:
        return None
    start = annotation[sigmf.SAMPLE_START_KEY]
    later_starts = [segment.sample_start for segment in segments if segment.sample_start > start]
    default_count = max((later_starts[0] if later_starts else num_samples) - start, 0)
    extra = _extra_fields(annotation, _TRUTH_KEYS)
    if bearing:
        extra[SIGNAL_BEARING_KEY] = bearing
    return Truth(
        sample_start=start,
        sample_count=annotation.get(sigmf.SAMPLE_COUNT_KEY, default_count),
        azimuth_deg=azimuth_deg,
        elevation_deg=elevation_deg,
        label=annotation.get(sigmf.LABEL_KEY),
        extra=extra,
    )


def _extra_fields(entry: dict, represented: frozenset[str]) -> dict:
    """The fields of a metadata entry that no dataclass attribute represents."""
    return {key: value for key, value in entry.items() if key not in represented}


def _is_positive_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(0 < value < np.inf)


def _checked_samples(
    samples: NDArray[np.complexfloating], geometry: ArrayGeometry, hybrid: HybridArray | None
) -> NDArray:
    array = np.asarray(samples)
    num_elements = geometry.num_elements
    channels = num_elements if hybrid is None else hybrid.num_rf_chains
    what = (
        f"{num_elements}-element geometry" if hybrid is None else f"{channels} RF chains of the hybrid array"
    )
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] != channels:
        raise ValueError(
            f"samples must have shape (N, {channels}) with N >= 1 for the {what}, got shape {array.shape}"
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


def _encode(samples: NDArray, encoding: _Encoding) -> bytes:
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
    extra = dict(extra_global or {})
    extensions = [dict(SPATIAL_EXTENSION), *extra.pop(sigmf.EXTENSIONS_KEY, [])]
    fields = {
        sigmf.DATATYPE_KEY: datatype,
        sigmf.SAMPLE_RATE_KEY: float(sample_rate_hz),
        sigmf.NUM_CHANNELS_KEY: num_elements,
        sigmf.EXTENSIONS_KEY: extensions,
        NUM_ELEMENTS_KEY: num_elements,
        CHANNEL_INDEX_KEY: 0,
        **_checked_extra(extra, _GLOBAL_KEYS, "extra_global"),
    }
    if hybrid is not None:
        fields.update(_hybrid_fields(hybrid, extensions))
    if description:
        fields[sigmf.DESCRIPTION_KEY] = description
    return fields


def _hybrid_fields(hybrid: HybridArray, extensions: list[dict]) -> dict:
    """``core:num_channels`` = R, ``bearing:hybrid`` and ``bearing:combiner``; declares ``bearing``."""
    if not any(extension.get("name") == BEARING_EXTENSION["name"] for extension in extensions):
        extensions.append(dict(BEARING_EXTENSION))
    combiner = hybrid.combiner()
    return {
        sigmf.NUM_CHANNELS_KEY: hybrid.num_rf_chains,
        HYBRID_KEY: hybrid.to_dict(),
        COMBINER_KEY: {"real": combiner.real.tolist(), "imag": combiner.imag.tolist()},
    }


def _capture_fields(segment: Segment, frequency_hz: float, points: list[dict]) -> dict:
    fields = {
        **_checked_extra(segment.extra, _SEGMENT_KEYS, "Segment.extra"),
        sigmf.FREQUENCY_KEY: float(frequency_hz),
        ELEMENT_GEOMETRY_KEY: points,
    }
    if segment.global_index is not None:
        fields[sigmf.GLOBAL_INDEX_KEY] = segment.global_index
    if segment.datetime is not None:
        fields[sigmf.DATETIME_KEY] = segment.datetime
    return fields


def _annotation_fields(truth: Truth) -> dict:
    """Annotation fields of a truth: one of signal_azimuth or signal_bearing (spatial spec 3)."""
    extra = dict(truth.extra)
    bearing_extra = _checked_extra(
        extra.pop(SIGNAL_BEARING_KEY, {}), _BEARING_KEYS, f"Truth.extra[{SIGNAL_BEARING_KEY!r}]"
    )
    fields = _checked_extra(extra, _TRUTH_KEYS, "Truth.extra")
    if truth.elevation_deg is None and not bearing_extra:
        fields[SIGNAL_AZIMUTH_KEY] = float(truth.azimuth_deg)
    else:
        bearing = {"azimuth": float(truth.azimuth_deg), **bearing_extra}
        if truth.elevation_deg is not None:
            bearing["elevation"] = float(truth.elevation_deg)
        fields[SIGNAL_BEARING_KEY] = bearing
    if truth.label is not None:
        fields[sigmf.LABEL_KEY] = truth.label
    return fields


def _checked_extra(extra: dict, reserved: frozenset[str], what: str) -> dict:
    """A copy of ``extra``; ValueError if it sets fields that the writer derives from its arguments."""
    clashes = sorted(reserved & extra.keys())
    if clashes:
        raise ValueError(f"{what} must not set {', '.join(clashes)}: write_capture writes them")
    return dict(extra)
