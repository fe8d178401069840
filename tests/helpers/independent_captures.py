"""SigMF recordings written the way others write them, without gr-bearing's writer.

The metadata is built by hand from the SigMF spatial extension's own examples (sigmf/SigMF,
extensions/spatial.sigmf-ext.md): ``core:extensions`` declaring ``spatial``,
``spatial:num_elements``, ``spatial:channel_index`` 0, ``spatial:element_geometry`` (one
``{"point": [x, y, z]}`` per element, metres) in every captures segment, and ground truth as
annotations with ``spatial:signal_azimuth`` or ``spatial:signal_bearing``. The samples are
``cf32_le``, the channels interleaved per sample, written with numpy; the ``sigmf`` package
checks the metadata against the SigMF schema, adds the checksum and writes the ``.sigmf-meta``.
Only numpy and the array model (steering vectors, Gaussian waveforms) come from gr-bearing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sigmf
from gnuradio.bearing.array.geometry import steering_matrix
from gnuradio.bearing.array.signals import complex_normal
from numpy.typing import ArrayLike, NDArray

SPATIAL = {"name": "spatial", "version": "1.0.0", "optional": False}


@dataclass(frozen=True)
class Emitter:
    """One captures segment of ``num_snapshots`` samples: unit-power Gaussian emitters at
    ``azimuth_deg`` (and ``elevation_deg``, None: on the horizon and annotated with
    ``spatial:signal_azimuth``; given: annotated with ``spatial:signal_bearing``) in white noise
    ``snr_db`` below each emitter, per element."""

    azimuth_deg: float
    num_snapshots: int
    snr_db: float = 20.0
    elevation_deg: float | None = None
    segment_fields: dict = field(default_factory=dict)


# --- arrays listed the way the SigMF spatial extension's examples list them ---------------------


def ula_along_plus_y(num_elements: int, spacing_m: float) -> np.ndarray:
    """Elements at increasing y (the spatial spec's ULA along the y axis): element 0 on the right."""
    y = (np.arange(num_elements) - (num_elements - 1) / 2.0) * spacing_m
    return np.column_stack([np.zeros(num_elements), y, np.zeros(num_elements)])


def uca_counter_clockwise(num_elements: int, radius_m: float) -> np.ndarray:
    """Element 0 on boresight +x, then counter-clockwise seen from above (towards +y, the left)."""
    angle = 2.0 * np.pi * np.arange(num_elements) / num_elements
    return radius_m * np.column_stack([np.cos(angle), np.sin(angle), np.zeros(num_elements)])


def ura_column_by_column(size: int, spacing_m: float) -> np.ndarray:
    """A ``size x size`` URA in the y-z plane listed by increasing y, then increasing z."""
    offsets = (np.arange(size) - (size - 1) / 2.0) * spacing_m
    y, z = np.meshgrid(offsets, offsets, indexing="ij")
    return np.column_stack([np.zeros(size * size), y.ravel(), z.ravel()])


def plane_waves(
    positions_m: ArrayLike,
    wavelength_m: float,
    azimuth_deg: float,
    elevation_deg: float,
    snr_db: float,
    num_snapshots: int,
    rng: np.random.Generator,
) -> NDArray[np.complex128]:
    """Samples ``(num_snapshots, M)``: one unit-power circular Gaussian emitter in white noise."""
    a = steering_matrix(positions_m, azimuth_deg, wavelength_m, elevation_deg)  # (M, 1)
    waveform = complex_normal(rng, (1, num_snapshots))
    noise = complex_normal(rng, (a.shape[0], num_snapshots)) * 10.0 ** (-snr_db / 20.0)
    return (a @ waveform + noise).T


def write_recording(
    base: str | Path,
    positions_m: ArrayLike,
    frequency_hz: float,
    emitters: list[Emitter],
    *,
    seed: int = 0,
    sample_rate_hz: float = 1e6,
    positions_written_m: ArrayLike | None = None,
    description: str = "written without gr-bearing's writer",
) -> Path:
    """Writes ``base.sigmf-data`` and ``base.sigmf-meta``: one captures segment per emitter, each
    with the carrier and the element geometry, and one annotation per emitter. Returns the
    ``.sigmf-meta`` path.

    ``positions_m`` is the array the samples are made for; ``positions_written_m`` (default: the
    same) is what the metadata says, e.g. rounded as a person would type them.
    """
    base = Path(base)
    positions = np.asarray(positions_m, dtype=np.float64)
    written = positions if positions_written_m is None else np.asarray(positions_written_m, dtype=np.float64)
    wavelength_m = 299_792_458.0 / frequency_hz
    rng = np.random.default_rng(seed)
    blocks, captures, annotations = [], [], []
    start = 0
    for emitter in emitters:
        elevation = 0.0 if emitter.elevation_deg is None else emitter.elevation_deg
        blocks.append(
            plane_waves(
                positions,
                wavelength_m,
                emitter.azimuth_deg,
                elevation,
                emitter.snr_db,
                emitter.num_snapshots,
                rng,
            )
        )
        captures.append(
            {
                "core:sample_start": start,
                "core:frequency": float(frequency_hz),
                "spatial:element_geometry": [{"point": [float(v) for v in point]} for point in written],
                **emitter.segment_fields,
            }
        )
        annotation = {"core:sample_start": start, "core:sample_count": emitter.num_snapshots}
        if emitter.elevation_deg is None:
            annotation["spatial:signal_azimuth"] = float(emitter.azimuth_deg)
        else:
            annotation["spatial:signal_bearing"] = {
                "azimuth": float(emitter.azimuth_deg),
                "elevation": float(emitter.elevation_deg),
            }
        annotations.append(annotation)
        start += emitter.num_snapshots

    data_path = base.with_name(base.name + ".sigmf-data")
    meta_path = base.with_name(base.name + ".sigmf-meta")
    # cf32_le: little-endian float32 I and Q, the M channels of one sample side by side.
    np.concatenate(blocks).astype("<c8").tofile(data_path)
    metadata = {
        "global": {
            "core:datatype": "cf32_le",
            "core:sample_rate": float(sample_rate_hz),
            "core:num_channels": int(positions.shape[0]),
            "core:version": sigmf.__specification__,
            "core:description": description,
            "core:extensions": [dict(SPATIAL)],
            "spatial:num_elements": int(positions.shape[0]),
            "spatial:channel_index": 0,
        },
        "captures": captures,
        "annotations": annotations,
    }
    recording = sigmf.SigMFFile(metadata=metadata, data_file=str(data_path))
    recording.tofile(str(meta_path), overwrite=True)
    return meta_path
