"""Every station's replay flowgraph on its capture, and their estimates as bearing reports:
``bearing locate --replay DIR`` (the same reports a station sends with ``--publish``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from ..blocks.bearing_publisher import bearing_publisher
from ..captures.reader import as_capture
from ..nr import metadata as nr_metadata
from ..positioning.report import BearingReport, decode_report
from ..positioning.station import capture_pose, capture_segment_times, capture_station_id, station_id_of
from .replay import ReplayFlowgraph
from .settings import ReplaySettings


def station_captures(folder: str | Path) -> list[Path]:
    """The captures of a scene folder (``*.sigmf-meta``, by name); ValueError when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"--replay {folder}: not a folder")
    paths = sorted(folder.glob("*.sigmf-meta"))
    if len(paths) < 2:
        raise ValueError(f"--replay {folder}: {len(paths)} capture(s); a fix needs two stations at least")
    return paths


def station_reports(
    path: Path,
    settings: ReplaySettings,
    azimuth_std_deg: float = 1.0,
    elevation_std_deg: float = 1.0,
) -> list[BearingReport]:
    """The bearing reports of one station's capture (its name is the station's id): its replay
    flowgraph's estimates through a Bearing Publisher's :meth:`~bearing_publisher.report`.
    Without ``settings.average`` an estimate is one capture segment (a scene's window), or one
    SRS occasion of an SRS capture."""
    capture = as_capture(str(path))
    if settings.average is None and nr_metadata.CARRIER_KEY not in capture.global_info:
        settings = dataclasses.replace(settings, average=capture.segments[0].sample_count)
    publisher = bearing_publisher.for_pose(
        capture_station_id(capture),
        capture_pose(capture),
        capture.sample_rate_hz,
        azimuth_std_deg,
        elevation_std_deg,
        capture_segment_times(capture),
    )
    flowgraph = ReplayFlowgraph(capture, settings)
    flowgraph.run()
    texts = (publisher.report(record) for record in flowgraph.records)
    return [decode_report(text) for text in texts if text is not None]


def replay_stations(
    folder: str | Path,
    settings: ReplaySettings,
    azimuth_std_deg: float = 1.0,
    elevation_std_deg: float = 1.0,
    progress: Callable[[str], None] | None = None,
    models: str | Path | None = None,
) -> tuple[list[BearingReport], int]:
    """Every station's reports of a scene folder, in time order (stations interleaved, as they
    would arrive), and the number of stations. ``models``: a folder of one model per station,
    ``<station>.pt`` (each station's MoD-DNN, trained from its own array's calibration)."""
    paths = station_captures(folder)
    reports = []
    for path in paths:
        station_settings = settings
        if models is not None:
            model = Path(models) / f"{station_id_of(path)}.pt"
            if not model.is_file():
                raise ValueError(f"--models {models}: no {model.name} for the station of {path.name}")
            station_settings = dataclasses.replace(settings, model_path=str(model))
        if progress is not None:
            progress(f"{path.name}: {settings.method}")
        reports += station_reports(path, station_settings, azimuth_std_deg, elevation_std_deg)
    return sorted(reports, key=lambda report: report.time_s), len(paths)
