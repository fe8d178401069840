"""Writing a capture: :func:`write_capture` stores samples, geometry, segments and ground truth
as a SigMF recording in the layout of :mod:`.schema`."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import sigmf
from numpy.typing import NDArray
from sigmf.sigmffile import get_sigmf_filenames

from ..array.geometry import ArrayGeometry
from ..array.hybrid import HybridArray
from ..validation import is_positive_number
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
    check_hybrid(hybrid, geometry)
    array = _checked_samples(samples, geometry, hybrid)
    if datatype not in ENCODINGS:
        raise ValueError(f"unsupported datatype {datatype!r}; supported: {', '.join(ENCODINGS)}")
    if not (is_positive_number(sample_rate_hz) and is_positive_number(frequency_hz)):
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
    recording.set_data_file(data_buffer=io.BytesIO(_encode(array, ENCODINGS[datatype])))
    points = [{"point": position.tolist()} for position in geometry.positions_m]
    for segment in segments:
        recording.add_capture(segment.sample_start, metadata=_capture_fields(segment, frequency_hz, points))
    for truth in truths or []:
        recording.add_annotation(truth.sample_start, truth.sample_count, metadata=_annotation_fields(truth))
    meta_path = get_sigmf_filenames(path)["meta_fn"]
    recording.tofile(meta_path, overwrite=True)
    return meta_path


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
        **_checked_extra(segment.extra, SEGMENT_KEYS, "Segment.extra"),
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
    return fields


def _checked_extra(extra: dict, reserved: frozenset[str], what: str) -> dict:
    """A copy of ``extra``; ValueError if it sets fields that the writer derives from its arguments."""
    clashes = sorted(reserved & extra.keys())
    if clashes:
        raise ValueError(f"{what} must not set {', '.join(clashes)}: write_capture writes them")
    return dict(extra)
