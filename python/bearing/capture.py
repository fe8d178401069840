"""SigMF recordings of multi-antenna captures (the SigMF ``spatial`` extension).

INTERFACE DRAFT: the dataclasses below are fixed; the functions are being written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .array_model import ArrayGeometry


class CaptureError(ValueError):
    """A capture that cannot be read; the message names the file and the offending field."""


@dataclass(frozen=True)
class Segment:
    """One SigMF capture segment: a window of contiguous samples.

    ``sample_start`` indexes the samples of the data file (per channel, i.e. one sample
    is one M-channel snapshot); ``global_index`` is the sample index on the receiver's clock
    (``core:global_index``), so that gaps between windows of a recording are visible.
    """

    sample_start: int
    sample_count: int
    global_index: int | None = None
    datetime: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Truth:
    """Ground truth of one emitter over a range of samples (one SigMF annotation)."""

    sample_start: int
    sample_count: int
    azimuth_deg: float
    elevation_deg: float | None = None
    label: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Capture:
    """A multi-channel SigMF recording opened for reading."""

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

    @property
    def num_channels(self) -> int:
        return self.geometry.num_elements

    def read(self, sample_start: int, sample_count: int) -> NDArray[np.complex64]:
        """Samples ``[sample_start, sample_start + sample_count)``, shape ``(count, M)`` complex64."""
        raise NotImplementedError


def read_capture(path: str | Path) -> Capture:
    """Open a SigMF recording (``.sigmf-meta`` or ``.sigmf-data`` path, or the common base name)."""
    raise NotImplementedError


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
) -> Path:
    """Write ``samples`` (shape ``(N, M)``) as a SigMF recording; returns the ``.sigmf-meta`` path."""
    raise NotImplementedError
