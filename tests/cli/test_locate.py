"""`bearing locate` against stations in other processes, on 127.0.0.1: the same fixes as the
fusion of the stations' own records; bad messages, a port in use, binding beyond loopback, CURVE."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
import zmq
import zmq.auth
from gnuradio.bearing.blocks.bearing_publisher import bearing_publisher
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.positioning.fusion import FusionEngine, FusionSettings
from gnuradio.bearing.positioning.report import decode_report
from gnuradio.bearing.positioning.station import capture_pose, capture_segment_times
from helpers.command import BEARING, bearing
from helpers.network import free_port
from helpers.stations import EMITTER_ENU, ORIGIN, write_station_captures

FIX_INTERVAL = "0.002"


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    return write_station_captures(tmp_path_factory.mktemp("stations"))


def locate(*options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [BEARING, "locate", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def expected_fixes(captures) -> list[dict]:
    """The fusion of the stations' `bearing estimate --json` records, in this process."""
    engine = FusionEngine(FusionSettings(fix_interval_s=float(FIX_INTERVAL), expected_stations=3))
    for path in captures:
        capture = read_capture(path)
        pose = capture_pose(capture)
        publisher = bearing_publisher(
            path.name.removesuffix(".sigmf-meta"),
            pose.position,
            True,
            pose.orientation.heading_deg,
            sample_rate_hz=capture.sample_rate_hz,
            segment_times=capture_segment_times(capture),
        )
        out = bearing("estimate", path, "--json", "--average", 1024).stdout
        for line in out.splitlines():
            engine.add(decode_report(publisher.report(json.loads(line))))
    engine.flush()
    return engine.fixes


def test_stations_in_their_own_processes_give_the_fixes_of_their_records(captures):
    ports = [free_port() for _ in captures]
    fusion = locate(
        *(f"--connect=tcp://127.0.0.1:{p}" for p in ports),
        "--stations=3",
        f"--fix-interval={FIX_INTERVAL}",
        "--idle-timeout=3",
        "--duration=60",
    )
    stations = [
        subprocess.Popen(
            [BEARING, "estimate", str(path), "--average", "1024", "--publish", f"tcp://127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path, port in zip(captures, ports, strict=True)
    ]
    for station in stations:
        assert station.wait(timeout=120) == 0, station.stderr.read()
    out, err = fusion.communicate(timeout=60)
    assert fusion.returncode == 0, err
    fixes = [json.loads(line) for line in out.splitlines()]
    expected = expected_fixes(captures)
    assert len(fixes) == len(expected) == 4  # 8 windows of 1.024 ms, in 2 ms epochs
    for got, want in zip(fixes, expected, strict=True):
        assert got["time_s"] == pytest.approx(want["time_s"])
        assert (got["latitude_deg"], got["longitude_deg"]) == pytest.approx(
            (want["latitude_deg"], want["longitude_deg"]), abs=1e-9
        )
        assert got["stations"] == ["station-1", "station-2", "station-3"]
    enu = ORIGIN.to_enu(fixes[-1]["latitude_deg"], fixes[-1]["longitude_deg"], fixes[-1]["altitude_m"])
    assert abs(enu[0] - EMITTER_ENU[0]) < 2.0 and abs(enu[1] - EMITTER_ENU[1]) < 2.0
    assert "24 reports from 3 stations, 4 fixes" in err


def test_bad_messages_are_counted_and_the_service_goes_on():
    """A pyzmq station sends every kind of bad message, then good reports: they are fixed."""
    port = free_port()
    context = zmq.Context.instance()
    station = context.socket(zmq.PUB)
    station.bind(f"tcp://127.0.0.1:{port}")
    monitor = station.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    fusion = locate(
        f"--connect=tcp://127.0.0.1:{port}", "--idle-timeout=1.5", "--duration=30", "--fix-interval=1"
    )
    wait_for_peer(monitor)
    good = {
        "schema": "gr-bearing/bearing-report",
        "version": 1,
        "station": {"id": "a", "heading_deg": 0.0, "east_m": 0.0, "north_m": -100.0},
        "time_s": 0.5,
        "bearings": [{"azimuth_deg": 0.0, "azimuth_std_deg": 1.0, "emitter": "e"}],
    }
    other = good | {"station": {"id": "b", "heading_deg": 0.0, "east_m": -100.0, "north_m": 0.0}}
    other["bearings"] = [{"azimuth_deg": 90.0, "azimuth_std_deg": 1.0, "emitter": "e"}]
    for message in (
        b"\x02\xff\xffgarbage",  # a declared length that lies
        _symbol("x"),  # not JSON
        _symbol("[1, 2]"),  # JSON, not an object
        b"\x0a\x00" + (70000).to_bytes(4, "big") + b"\x01\x00" + b"x" * 70000,  # oversized
        _symbol(json.dumps(good | {"version": 9})),
        _symbol(json.dumps(good | {"station": {"id": "nopose"}})),
        _symbol(json.dumps(good)),
        _symbol(json.dumps(other)),
    ):
        station.send(message)
    out, err = fusion.communicate(timeout=60)
    station.close(0)
    assert fusion.returncode == 0, err
    fixes = [json.loads(line) for line in out.splitlines()]
    assert len(fixes) == 1, err
    assert fixes[0]["east_m"] == pytest.approx(0.0, abs=1e-6)
    assert fixes[0]["north_m"] == pytest.approx(0.0, abs=1e-6)
    for kind in ("malformed 3", "oversized 1", "version 1", "no_pose 1"):
        assert kind in err, err


def wait_for_peer(monitor: zmq.Socket, timeout_s: float = 30.0) -> None:
    """Waits until the monitored socket has a peer (then a moment for its subscription to come):
    a PUB socket drops what it sends before."""
    assert monitor.poll(int(timeout_s * 1000)), "the subscriber never connected"
    monitor.close(0)
    time.sleep(0.3)


def wait_for_listener(port: int, timeout_s: float = 30.0) -> None:
    """Waits until something listens on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def _symbol(text: str) -> bytes:
    data = text.encode()
    return bytes((0x02,)) + len(data).to_bytes(2, "big") + data


def test_a_second_service_on_the_same_port_and_binding_beyond_loopback_are_refused(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    first = locate(f"--listen={address}", "--duration=60")
    wait_for_listener(int(address.rsplit(":", 1)[1]))
    second = bearing("locate", f"--listen={address}", "--duration=1", check=False)
    first.kill()
    first.communicate()
    assert second.returncode == 2 and "in use (another `bearing locate`" in second.stderr
    wide = bearing("locate", "--listen=tcp://0.0.0.0:5999", "--duration=1", check=False)
    assert wide.returncode == 2 and "needs CURVE keys" in wide.stderr
    station = bearing("estimate", "x.sigmf-meta", "--publish", "tcp://0.0.0.0:5999", check=False)
    assert station.returncode == 2


def test_with_curve_keys_only_an_authorised_station_gets_in(tmp_path, captures):
    keys = tmp_path / "keys"
    bearing("keys", keys)
    bearing("keys", keys, "--station", "gnb-1")
    assert bearing("keys", keys, check=False).returncode == 2  # never overwritten
    port = free_port()
    fusion = locate(
        f"--listen=tcp://127.0.0.1:{port}", f"--curve-keys={keys}", "--duration=15", "--fix-interval=1"
    )
    server_public, _ = zmq.auth.load_certificate(keys / "server.key")
    context = zmq.Context.instance()
    sockets = []
    for name, certificate in (("allowed", keys / "gnb-1.key_secret"), ("stranger", None)):
        socket = context.socket(zmq.PUB)
        if certificate is None:
            public, secret = zmq.curve_keypair()
        else:
            public, secret = zmq.auth.load_certificate(certificate)
        socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = public, secret, server_public
        monitor = socket.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        socket.connect(f"tcp://127.0.0.1:{port}")
        sockets.append((name, socket))
        if certificate is not None:
            wait_for_peer(monitor)
        else:
            monitor.close(0)
    for k in range(3):
        for (name, socket), (east, north, azimuth) in zip(
            sockets, ((0, -100, 0.0), (-100, 0, 90.0)), strict=True
        ):
            report = {
                "schema": "gr-bearing/bearing-report",
                "version": 1,
                "station": {"id": name, "heading_deg": 0.0, "east_m": east, "north_m": north},
                "time_s": k + 0.5,
                "bearings": [{"azimuth_deg": azimuth, "azimuth_std_deg": 1.0, "emitter": "e"}],
            }
            socket.send(_symbol(json.dumps(report)))
        time.sleep(0.2)
    out, err = fusion.communicate(timeout=60)
    for _, socket in sockets:
        socket.close(0)
    assert fusion.returncode == 0, err
    assert out == ""  # only one station's reports came in: no fix
    assert "3 reports from 1 stations" in err and "refused_peers" in err, err
