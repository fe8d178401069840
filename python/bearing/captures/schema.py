"""The capture format: SigMF recordings of multi-antenna captures (the SigMF ``spatial`` extension).

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
* a hybrid analog-digital (H2AD) array (:mod:`~gnuradio.bearing.array.hybrid`): the channels are its R RF
  chains, not its N antennas: ``core:num_channels`` = R, ``spatial:num_elements`` = N (the
  points of ``spatial:element_geometry``), ``bearing:hybrid`` = :meth:`HybridArray.to_dict`
  and ``bearing:combiner`` = ``{"real": ..., "imag": ...}``, the N x R combiner ``W``.

Angles and positions are in the SigMF spatial frame used by :mod:`~gnuradio.bearing.array.geometry`
(boresight +x, azimuth clockwise seen from above), so nothing is converted.
``ci16_le`` stores ``round(value * 32768)``: full scale is [-1, 32767/32768].
Checksums (``core:sha512``) are written but not verified on read, which would read the
whole file; ``sigmf_validate`` verifies them.

This module holds the keys, the sample encodings and the types a capture is read into
(:class:`Capture`, :class:`Segment`, :class:`Truth`); :mod:`.reader` reads them and checks
them, :mod:`.writer` writes them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sigmf
from numpy.typing import NDArray

from ..array.geometry import ArrayGeometry
from ..array.hybrid import HybridArray
from ..array.orientation import Orientation

SPATIAL_EXTENSION = {"name": "spatial", "version": "1.1.0", "optional": True}
"""``core:extensions`` entry written for the spatial extension (sigmf/SigMF spatial.sigmf-ext.md v1.1.0)."""

BEARING_EXTENSION = {"name": "bearing", "version": "1.0.0", "optional": True}
"""``core:extensions`` entry declaring the project's ``bearing:`` fields (simulator, hybrid arrays)."""

NUM_ELEMENTS_KEY = "spatial:num_elements"
CHANNEL_INDEX_KEY = "spatial:channel_index"
ELEMENT_GEOMETRY_KEY = "spatial:element_geometry"
SIGNAL_AZIMUTH_KEY = "spatial:signal_azimuth"
SIGNAL_BEARING_KEY = "spatial:signal_bearing"
APERTURE_AZIMUTH_KEY = "spatial:aperture_azimuth"
APERTURE_BEARING_KEY = "spatial:aperture_bearing"
APERTURE_ROTATION_KEY = "spatial:aperture_rotation"
HYBRID_KEY = "bearing:hybrid"
COMBINER_KEY = "bearing:combiner"
CALIBRATION_KEY = "bearing:calibration"
"""The channel calibration a live recording's samples went through (the Coherence Calibrator's
last ``calibration`` message; absent: none was applied)."""

CI16_FULL_SCALE = 32768.0
"""``ci16_le`` components are ``round(value * CI16_FULL_SCALE)`` (the scale sigmf-python reads with)."""


@dataclass(frozen=True)
class Encoding:
    """On-disk form of one complex sample: two components, ``value = component * scale``."""

    component: np.dtype
    scale: float

    @property
    def sample_bytes(self) -> int:
        return 2 * self.component.itemsize


ENCODINGS = {
    "cf32_le": Encoding(np.dtype("<f4"), 1.0),
    "ci16_le": Encoding(np.dtype("<i2"), 1.0 / CI16_FULL_SCALE),
}
SUPPORTED_DATATYPES = tuple(ENCODINGS)

# Fields represented by dataclass attributes (or by Capture) rather than by ``extra``.
SEGMENT_KEYS = frozenset(
    {
        sigmf.SAMPLE_START_KEY,
        sigmf.GLOBAL_INDEX_KEY,
        sigmf.DATETIME_KEY,
        sigmf.FREQUENCY_KEY,
        ELEMENT_GEOMETRY_KEY,
    }
)
TRUTH_KEYS = frozenset(
    {sigmf.SAMPLE_START_KEY, sigmf.SAMPLE_COUNT_KEY, sigmf.LABEL_KEY, SIGNAL_AZIMUTH_KEY, SIGNAL_BEARING_KEY}
)
BEARING_KEYS = frozenset({"azimuth", "elevation"})
GLOBAL_KEYS = frozenset(
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


@dataclass(frozen=True)
class Span:
    """The samples ``[sample_start, sample_start + sample_count)`` of one SigMF annotation (a
    burst, a packet, a ground truth), whatever it says about them; ``label`` its ``core:label``."""

    sample_start: int
    sample_count: int
    label: str | None = None


@dataclass
class Capture:
    """A multi-channel SigMF recording opened for reading.

    ``segments`` tile the data from the first segment's start to ``num_samples``;
    ``truths`` are sorted by ``sample_start``; ``global_info`` is the ``global`` object as read.
    ``hybrid`` is the H2AD receiver whose RF chains the channels are, or None when every
    channel is one antenna of ``geometry``. ``orientation`` is how the array is mounted (from
    ``spatial:aperture_azimuth`` / ``aperture_bearing`` / ``aperture_rotation``), or None.
    ``spans`` are the samples of every annotation (truth or not), sorted by ``sample_start``:
    the windows of ``--average annotations``.
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
    orientation: Orientation | None = None
    spans: list[Span] = field(default_factory=list)

    @functools.cached_property
    def truths_with_samples(self) -> list[Truth]:
        """The truths that hold samples (a count above zero), in order of their first sample."""
        return [truth for truth in self.truths if truth.sample_count > 0]

    @functools.cached_property
    def _truth_index(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """First sample of each of :attr:`truths_with_samples` and the latest end of the truths
        up to each (those before the first that ends after a sample all end before it)."""
        truths = self.truths_with_samples
        first = np.array([t.sample_start for t in truths], dtype=np.int64)
        ends = first + np.array([t.sample_count for t in truths], dtype=np.int64)
        return first, np.maximum.accumulate(ends) if ends.size else ends

    def truths_overlapping(self, start: int, stop: int) -> list[Truth]:
        """The truths holding a sample of ``[start, stop)``, in order of their first sample."""
        first, reach = self._truth_index
        candidates = self.truths_with_samples[
            int(np.searchsorted(reach, start, side="right")) : int(np.searchsorted(first, stop))
        ]
        return [t for t in candidates if t.sample_start + t.sample_count > start]

    def windows_with_truth(self, starts: NDArray[np.int64], length: int) -> NDArray[np.bool_]:
        """``(W,)``: whether a truth holds a sample of each window of ``length`` samples at
        ``starts`` (from the metadata alone)."""
        first, reach = self._truth_index
        if not first.size:
            return np.zeros(np.shape(starts), dtype=bool)
        before = np.searchsorted(first, np.asarray(starts) + length, side="left")  # truths starting earlier
        return (before > 0) & (reach[np.maximum(before - 1, 0)] > starts)

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
        encoding = ENCODINGS[self.datatype]
        raw = np.memmap(
            self.data_path,
            dtype=encoding.component,
            mode="r",
            offset=sample_start * self.num_channels * encoding.sample_bytes,
            shape=(sample_count, self.num_channels, 2),
        )
        components = np.multiply(raw, encoding.scale, dtype=np.float32)
        return components.view(np.complex64).reshape(sample_count, self.num_channels)


def check_hybrid(hybrid: HybridArray | None, geometry: ArrayGeometry) -> None:
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
