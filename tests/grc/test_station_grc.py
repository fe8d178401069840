"""examples/station_publisher.grc: one station of `bearing locate`, compiled by grcc and run on a
scene's station capture (a mast-mounted array, tilted and rolled); its reports over ZeroMQ
(127.0.0.1) carry the capture's pose, the array's aperture and bearings near the truth."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import zmq
from gnuradio.bearing.positioning.frames import true_bearing_deg
from gnuradio.bearing.positioning.scene import three_stations_scene
from gnuradio.bearing.positioning.wire import report_bytes
from helpers.network import free_port
from test_grc import compile_example

ROOT = Path(__file__).resolve().parents[2]


def test_the_station_example_publishes_reports_with_its_pose(tmp_path):
    preset = three_stations_scene()
    stations = list(preset.stations)
    stations[1] = dataclasses.replace(stations[1], tilt_deg=-10.0, roll_deg=3.0)
    scene = dataclasses.replace(
        preset, stations=tuple(stations), emitters=preset.emitters[:1], num_windows=15
    )
    scene.write(tmp_path / "scene")
    assert compile_example(ROOT / "examples" / "station_publisher.grc", tmp_path).returncode == 0
    port = free_port()
    subscriber = zmq.Context.instance().socket(zmq.SUB)
    subscriber.setsockopt(zmq.SUBSCRIBE, b"")
    subscriber.connect(f"tcp://127.0.0.1:{port}")
    station = subprocess.Popen(
        [
            sys.executable,
            str(tmp_path / "station_publisher.py"),
            "--capture",
            str(tmp_path / "scene" / "station-2.sigmf-meta"),
            "--address",
            f"tcp://127.0.0.1:{port}",
            "--station-id",
            "gnb-2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    reports = []
    try:
        while len(reports) < 15 and subscriber.poll(20_000):
            reports.append(json.loads(report_bytes(subscriber.recv())))
    finally:
        station.wait(timeout=60)
        subscriber.close(0)
    assert station.returncode == 0, station.stderr.read()
    assert len(reports) == 15  # paced: none sent before the subscriber joined
    station_2 = scene.stations[1]
    lat, lon, _ = scene.origin.to_geodetic(station_2.enu_m)
    first = reports[0]
    assert first["station"]["id"] == "gnb-2" and first["station"]["heading_deg"] == station_2.heading_deg
    assert (first["station"]["tilt_deg"], first["station"]["roll_deg"]) == (-10.0, 3.0)
    assert first["station"]["aperture"] == {"kind": "linear", "broadside_deg": 0.0}
    assert (first["station"]["latitude_deg"], first["station"]["longitude_deg"]) == (lat, lon)
    times = np.array([r["time_s"] for r in reports]) - scene.start_time_s
    assert np.allclose(times, scene.window_times_s(), atol=1e-3)
    truth = true_bearing_deg(
        scene.emitters[0].positions(scene.window_times_s()) - np.asarray(station_2.enu_m)
    )[0]
    measured = np.array([r["bearings"][0]["true_azimuth_deg"] for r in reports])
    assert np.max(np.abs((measured - truth + 180) % 360 - 180)) < 5.0  # the array is impaired (rho 1)
