"""Three stations' captures of one static emitter, written as another tool would write them:
the SigMF core's ``core:geolocation`` and ``core:datetime`` and the spatial extension's
``spatial:aperture_azimuth`` added to each capture's metadata after the simulator wrote it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from gnuradio.bearing.array.geometry import wavelength_m
from gnuradio.bearing.captures.scenario import ArraySpec, Emitter, ImpairmentConfig, Scenario
from gnuradio.bearing.captures.simulation import simulate, write
from gnuradio.bearing.positioning.frames import LocalFrame, true_bearing_deg

FREQUENCY_HZ = 2.4e9
ORIGIN = LocalFrame(48.8566, 2.3522, 35.0)
"""The scene's origin (the emitter stands at its ENU ``EMITTER_ENU``)."""
EMITTER_ENU = np.array([4.0, -3.0, 0.0])
START = "2026-12-07T12:00:00Z"


def station_layout(radius_m: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """ENU positions ``(3, 3)`` of three stations 120 degrees apart about the origin, and their
    headings: each looks 20 degrees to the right of the origin."""
    placement = np.deg2rad([0.0, 120.0, 240.0])
    stations = np.stack((radius_m * np.sin(placement), radius_m * np.cos(placement), np.zeros(3)), axis=1)
    to_origin, _ = true_bearing_deg(-stations)
    return stations, (to_origin - 20.0) % 360.0


def write_station_captures(
    folder: Path, snr_db: float = 10.0, num_segments: int = 8, seed: int = 7
) -> list[Path]:
    """One capture per station (ideal 4-element ULA, 1024 snapshots per segment at 1 MS/s, the
    segments back to back); returns their ``.sigmf-meta`` paths."""
    stations, headings = station_layout()
    geodetic = ORIGIN.to_geodetic(stations)
    true_azimuth, _ = true_bearing_deg(EMITTER_ENU - stations)
    paths = []
    for i in range(3):
        local = float((true_azimuth[i] - headings[i] + 180.0) % 360.0 - 180.0)
        scenario = Scenario(
            array=ArraySpec(kind="ula", num_elements=4, spacing_m=wavelength_m(FREQUENCY_HZ) / 2.0),
            frequency_hz=FREQUENCY_HZ,
            sample_rate_hz=1.0e6,
            emitters=(Emitter(azimuth_deg=local, snr_db=snr_db, label="emitter"),),
            snapshots_per_segment=1024,
            num_segments=num_segments,
            impairments=ImpairmentConfig(rho=0.0),
            seed=seed + i,
        )
        base = folder / f"station-{i + 1}"
        write(simulate(scenario), str(base))
        meta_path = Path(f"{base}.sigmf-meta")
        meta = json.loads(meta_path.read_text())
        lat, lon, alt = geodetic[i]
        meta["global"]["core:geolocation"] = {"type": "Point", "coordinates": [lon, lat, alt]}
        meta["captures"][0]["core:datetime"] = START
        for capture in meta["captures"]:
            capture["spatial:aperture_azimuth"] = float(headings[i])
        meta_path.write_text(json.dumps(meta, indent=2))
        paths.append(meta_path)
    return paths
