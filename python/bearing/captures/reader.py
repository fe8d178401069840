"""Reading a capture: :func:`read_capture` opens a SigMF recording and checks every field it uses
against the SigMF core schema and :mod:`.schema`; problems raise :class:`~.schema.CaptureError`
naming the file and the field."""

from __future__ import annotations

import bisect
import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import sigmf
from sigmf.sigmffile import get_sigmf_filenames

from ..array.geometry import ArrayGeometry
from ..array.hybrid import HybridArray
from ..array.orientation import Orientation
from ..validation import is_positive_number, is_real_number
from .schema import (
    APERTURE_AZIMUTH_KEY,
    APERTURE_BEARING_KEY,
    APERTURE_ROTATION_KEY,
    CHANNEL_INDEX_KEY,
    COMBINER_KEY,
    ELEMENT_GEOMETRY_KEY,
    ENCODINGS,
    HYBRID_KEY,
    NUM_ELEMENTS_KEY,
    SEGMENT_KEYS,
    SIGNAL_AZIMUTH_KEY,
    SIGNAL_BEARING_KEY,
    TRUTH_KEYS,
    Capture,
    CaptureError,
    Encoding,
    Segment,
    Span,
    Truth,
    check_hybrid,
)


def as_capture(capture: str | Path | Capture) -> Capture:
    """``capture`` if it is a :class:`Capture` already read, else :func:`read_capture` of that path:
    the blocks and the flowgraphs of one run share one reading of a capture."""
    return capture if isinstance(capture, Capture) else read_capture(capture)


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
    if not is_positive_number(metadata["global"].get(sigmf.SAMPLE_RATE_KEY)):
        raise CaptureError(
            f"{meta_path}: missing or invalid {sigmf.SAMPLE_RATE_KEY} in global (got "
            f"{metadata['global'].get(sigmf.SAMPLE_RATE_KEY)!r}; a positive rate in samples/s is required)"
        )
    array = _read_array(metadata, meta_path, data_path)
    num_samples = _count_samples(data_path, ENCODINGS[array.datatype], array.num_channels)
    segments = _read_segments(metadata["captures"], num_samples, meta_path)
    segment_starts = [segment.sample_start for segment in segments]
    spans = [_read_span(annotation, segment_starts, num_samples) for annotation in metadata["annotations"]]
    truths = [
        truth
        for index, (annotation, span) in enumerate(zip(metadata["annotations"], spans, strict=True))
        if (truth := _read_truth(annotation, index, span, num_samples, meta_path)) is not None
    ]
    array.segments = segments
    array.truths = sorted(truths, key=lambda truth: truth.sample_start)
    array.spans = sorted((span for span in spans if span is not None), key=lambda span: span.sample_start)
    array.num_samples = num_samples
    return array


def read_array_description(path: str | Path) -> Capture:
    """The array of a live receiver, from a SigMF metadata file that describes it: its geometry
    (``spatial:element_geometry``), carrier (``core:frequency``) and mount, checked as
    :func:`read_capture` checks them; no data file is needed (any is ignored).

    The result is a :class:`Capture` of no samples; its ``sample_rate_hz`` is the file's
    ``core:sample_rate``, or 0.0 when the file has none (the live source then gives it).
    """
    names = get_sigmf_filenames(path)
    meta_path = names["meta_fn"]
    if not meta_path.is_file():
        raise CaptureError(f"{meta_path}: array description not found")
    return _read_array(_load_metadata(meta_path), meta_path, names["data_fn"])


def _read_array(metadata: dict, meta_path: Path, data_path: Path) -> Capture:
    """The array, carrier, sample rate and mount of a recording's metadata, as a :class:`Capture`
    of no samples (:func:`read_capture` adds the data's segments and truths)."""
    global_info = metadata["global"]
    datatype = global_info[sigmf.DATATYPE_KEY]
    if datatype not in ENCODINGS:
        raise CaptureError(
            f"{meta_path}: unsupported {sigmf.DATATYPE_KEY} {datatype!r}; supported: {', '.join(ENCODINGS)}"
        )
    frequency_hz = _captures_field(metadata, sigmf.FREQUENCY_KEY, meta_path)
    if not is_positive_number(frequency_hz):
        raise CaptureError(
            f"{meta_path}: missing or invalid carrier {sigmf.FREQUENCY_KEY} in captures "
            f"(got {frequency_hz!r}; a positive frequency in Hz is required)"
        )
    geometry = _read_geometry(metadata, meta_path)
    hybrid = _read_hybrid(global_info, float(frequency_hz), geometry, meta_path)
    num_channels = geometry.num_elements if hybrid is None else hybrid.num_rf_chains
    _check_channels(global_info, geometry.num_elements, num_channels, meta_path)
    return Capture(
        meta_path=meta_path,
        data_path=data_path,
        datatype=datatype,
        sample_rate_hz=_optional_rate(global_info.get(sigmf.SAMPLE_RATE_KEY), meta_path),
        frequency_hz=float(frequency_hz),
        geometry=geometry,
        segments=[],
        truths=[],
        global_info=global_info,
        num_samples=0,
        hybrid=hybrid,
        orientation=_read_orientation(metadata, meta_path),
    )


def _load_metadata(meta_path: Path) -> dict:
    """The parsed metadata, checked against the SigMF core schema."""
    try:
        if not meta_path.is_file():
            why = _not_a_file(meta_path)
            raise CaptureError(f"{meta_path}: cannot read the metadata file: not found{why}")
        if meta_path.stat().st_size > MAX_METADATA_BYTES:
            raise CaptureError(
                f"{meta_path}: the metadata file holds {meta_path.stat().st_size} bytes, more than the "
                f"{MAX_METADATA_BYTES} a capture's metadata may"
            )
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CaptureError(f"{meta_path}: cannot read the metadata file: {err.strerror}") from None
    except RecursionError:
        raise CaptureError(f"{meta_path}: the metadata is nested too deeply to be SigMF") from None
    except ValueError as err:
        raise CaptureError(f"{meta_path}: the metadata is not valid JSON: {err}") from None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("annotations", []), list):
        raise CaptureError(
            f"{meta_path}: the metadata must be a JSON object with global, captures and annotations"
        )
    if len(metadata.get("annotations", [])) > MAX_ANNOTATIONS:
        raise CaptureError(
            f"{meta_path}: {len(metadata['annotations'])} annotations, more than the {MAX_ANNOTATIONS} read"
        )
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
        coordinates = [point["point"] for point in points]
        if not all(is_real_number(value) for point in coordinates for value in point):
            raise ValueError("coordinates must be numbers (not strings)")
        geometry = ArrayGeometry(coordinates)
    except (TypeError, KeyError, ValueError) as err:
        raise CaptureError(
            f"{meta_path}: {ELEMENT_GEOMETRY_KEY} must list one cartesian_point "
            f'{{"point": [x, y, z]}} in metres per element, all known: {err!r}'
        ) from err
    _check_distinct(geometry, meta_path)
    return geometry


def _check_distinct(geometry: ArrayGeometry, meta_path: Path) -> None:
    """CaptureError when two elements share a position (to the micrometre): their channels could
    not be told apart, and every estimate would be wrong."""
    rounded = np.round(geometry.positions_m, 6)
    _, first, counts = np.unique(rounded, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        shared = rounded[first[np.argmax(counts > 1)]]
        elements = np.flatnonzero(np.all(rounded == shared, axis=1)).tolist()
        raise CaptureError(
            f"{meta_path}: {ELEMENT_GEOMETRY_KEY}: elements {elements} share the position "
            f"{shared.tolist()} m; every element needs its own"
        )


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


def _read_orientation(metadata: dict, meta_path: Path) -> Orientation | None:
    """The array's mount from the captures fields ``spatial:aperture_azimuth`` or
    ``spatial:aperture_bearing`` (azimuth east of true north, elevation: the tilt) and
    ``spatial:aperture_rotation`` (the roll), the same in every segment; None without a heading."""
    azimuth = _captures_field(metadata, APERTURE_AZIMUTH_KEY, meta_path)
    bearing = _captures_field(metadata, APERTURE_BEARING_KEY, meta_path)
    rotation = _captures_field(metadata, APERTURE_ROTATION_KEY, meta_path)
    if bearing is not None and not isinstance(bearing, dict):
        raise CaptureError(f"{meta_path}: {APERTURE_BEARING_KEY} must be a bearing object, got {bearing!r}")
    bearing = bearing or {}
    heading, tilt = bearing.get("azimuth"), bearing.get("elevation")
    if heading is not None and azimuth is not None and heading != azimuth:
        raise CaptureError(
            f"{meta_path}: {APERTURE_AZIMUTH_KEY} ({azimuth!r}) and the azimuth of {APERTURE_BEARING_KEY} "
            f"({heading!r}) disagree: give the array's heading once"
        )
    heading = azimuth if heading is None else heading
    if heading is None:
        if tilt is not None or rotation is not None:
            raise CaptureError(
                f"{meta_path}: a tilt or roll without a heading: give {APERTURE_AZIMUTH_KEY} or the "
                f"azimuth of {APERTURE_BEARING_KEY}"
            )
        return None
    keys = (
        f"{APERTURE_AZIMUTH_KEY if azimuth is not None else APERTURE_BEARING_KEY}"
        f"{f', {APERTURE_BEARING_KEY}' if azimuth is not None and bearing else ''}"
        f"{f', {APERTURE_ROTATION_KEY}' if rotation is not None else ''}"
    )
    try:
        return Orientation(heading, 0.0 if tilt is None else tilt, 0.0 if rotation is None else rotation)
    except ValueError as error:
        raise CaptureError(f"{meta_path}: the array's mount ({keys}): {error}") from None


def _read_hybrid(
    global_info: dict, frequency_hz: float, geometry: ArrayGeometry, meta_path: Path
) -> HybridArray | None:
    """The hybrid array of ``bearing:hybrid``, checked against the carrier, the geometry and
    ``bearing:combiner``; None without ``bearing:hybrid``."""
    if HYBRID_KEY not in global_info:
        return None
    try:
        hybrid = HybridArray.from_dict(global_info[HYBRID_KEY])
        check_hybrid(hybrid, geometry)
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


def _count_samples(data_path: Path, encoding: Encoding, num_channels: int) -> int:
    """Number of M-channel samples in the data file."""
    if not data_path.is_file():
        raise CaptureError(f"{data_path}: data file not found{_not_a_file(data_path)}")
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


MAX_METADATA_BYTES = 64 * 2**20
"""The largest metadata file read, bytes (a capture of a million annotations stays below)."""
MAX_ANNOTATIONS = 1_000_000
"""The most annotations read from one capture."""


def _not_a_file(path: Path) -> str:
    """Why ``path`` is not a regular file, when something is there (empty when nothing is)."""
    if path.is_dir():
        return " (it is a folder)"
    if path.exists():
        return " (it is not a regular file: a FIFO, a device or a socket)"
    if path.is_symlink():
        return " (a broken link)"
    return ""


def _optional_rate(rate: object, meta_path: Path) -> float:
    """An array description's ``core:sample_rate``: 0.0 when absent, else a positive rate."""
    if rate is None:
        return 0.0
    if not is_positive_number(rate):
        raise CaptureError(
            f"{meta_path}: invalid {sigmf.SAMPLE_RATE_KEY} {rate!r}: a positive rate in samples/s"
        )
    return float(rate)


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
            extra=_extra_fields(capture, SEGMENT_KEYS),
        )
        for capture, start, stop in zip(captures, starts, [*starts[1:], num_samples], strict=True)
    ]


def _read_span(annotation: dict, segment_starts: list[int], num_samples: int) -> Span | None:
    """The samples of one annotation, or None when it starts beyond the data (a truth that does
    is refused by :func:`_read_truth`). Without ``core:sample_count`` it runs to the end of its
    segment (core spec); one that ends beyond the data is cut at its end."""
    start = annotation[sigmf.SAMPLE_START_KEY]
    if start >= num_samples:
        return None
    later = bisect.bisect_right(segment_starts, start)  # the segments are sorted
    default_count = (segment_starts[later] if later < len(segment_starts) else num_samples) - start
    count = annotation.get(sigmf.SAMPLE_COUNT_KEY, default_count)
    return Span(start, min(count, num_samples - start), annotation.get(sigmf.LABEL_KEY))


def _read_truth(
    annotation: dict, index: int, span: Span | None, num_samples: int, meta_path: Path
) -> Truth | None:
    """The truth in one annotation (its samples: ``span``; None: it starts beyond the data, which a
    truth may not), or None when it carries no azimuth (not a ground truth).
    ``spatial:signal_bearing`` has priority over ``spatial:signal_azimuth`` (spatial spec 3)."""
    where = f"{meta_path}: annotations[{index}]"
    try:
        bearing = dict(annotation.get(SIGNAL_BEARING_KEY, {}))
    except (TypeError, ValueError):
        raise CaptureError(
            f"{where}: {SIGNAL_BEARING_KEY} must be an object with azimuth, elevation"
        ) from None
    azimuth = bearing.pop("azimuth", annotation.get(SIGNAL_AZIMUTH_KEY))
    elevation = bearing.pop("elevation", None)
    if azimuth is None:
        return None
    names = f"{SIGNAL_AZIMUTH_KEY} or {SIGNAL_BEARING_KEY}"
    azimuth_deg = _angle(azimuth, AZIMUTH_RANGE_DEG, f"{where}: the azimuth ({names})")
    elevation_deg = None
    if elevation is not None:
        elevation_deg = _angle(elevation, (-90.0, 90.0), f"{where}: the elevation ({SIGNAL_BEARING_KEY})")
    if span is None:
        raise CaptureError(
            f"{where}: starts at sample {annotation[sigmf.SAMPLE_START_KEY]}, beyond the data's "
            f"{num_samples} samples (a truncated data file?)"
        )
    extra = _extra_fields(annotation, TRUTH_KEYS)
    if bearing:
        extra[SIGNAL_BEARING_KEY] = bearing
    return Truth(
        sample_start=span.sample_start,
        sample_count=span.sample_count,
        azimuth_deg=azimuth_deg,
        elevation_deg=elevation_deg,
        label=annotation.get(sigmf.LABEL_KEY),
        extra=extra,
    )


AZIMUTH_RANGE_DEG = (-180.0, 360.0)
"""The azimuths a truth may state, degrees: the SigMF frame's (-180, 180] or a compass's [0, 360)."""


def _angle(value: object, bounds: tuple[float, float], what: str) -> float:
    """``value`` as a finite angle within ``bounds`` (degrees), else a CaptureError naming ``what``:
    a truth that is not one is never used."""
    number = value if is_real_number(value) else None
    if number is None or not math.isfinite(number) or not bounds[0] <= number <= bounds[1]:
        raise CaptureError(
            f"{what} must be a number of degrees in [{bounds[0]:g}, {bounds[1]:g}], got {value!r}"
        )
    return float(number)


def _extra_fields(entry: dict, represented: frozenset[str]) -> dict:
    """The fields of a metadata entry that no dataclass attribute represents."""
    return {key: value for key, value in entry.items() if key not in represented}
