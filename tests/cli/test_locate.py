"""`bearing locate` against stations in other processes, on 127.0.0.1: the same fixes as the
fusion of the stations' own records; bad messages, a port in use, binding beyond loopback, CURVE."""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import time

import pmt
import pytest
import zmq
import zmq.auth
from gnuradio.bearing.positioning.scene import Scene, three_stations_scene
from helpers.command import BEARING, bearing
from helpers.network import free_port


@pytest.fixture(scope="module")
def scene_folder(tmp_path_factory):
    """Three stations (ideal 4-element ULAs) and one emitter walking, 8 windows 0.1 s apart."""
    folder = tmp_path_factory.mktemp("scene")
    walker(8).write(folder)
    return folder


def walker(windows: int) -> Scene:
    """The preset scene with ideal arrays and its first walker only, ``windows`` windows."""
    preset = three_stations_scene()
    return dataclasses.replace(
        preset,
        stations=tuple(dataclasses.replace(s, rho=0.0) for s in preset.stations),
        emitters=preset.emitters[:1],
        num_windows=windows,
    )


def locate(*options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [BEARING, "locate", *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_stations_in_their_own_processes_give_the_fixes_of_the_replay(scene_folder):
    origin = json.loads((scene_folder / "scene.json").read_text())["origin"]
    origin = f"--origin={origin['latitude_deg']},{origin['longitude_deg']},{origin['altitude_m']}"
    replayed = bearing("locate", "--replay", scene_folder, origin)
    expected = [json.loads(line) for line in replayed.stdout.splitlines()]
    assert "24 reports from 3 stations, 8 fixes" in replayed.stderr
    captures = sorted(scene_folder.glob("*.sigmf-meta"))
    ports = [free_port() for _ in captures]
    fusion = locate(
        *(f"--connect=tcp://127.0.0.1:{p}" for p in ports), "--stations=3", "--idle-timeout=3", origin
    )
    stations = [
        subprocess.Popen(
            [BEARING, "estimate", str(path), "--average=256", "--publish", f"tcp://127.0.0.1:{port}"],
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
    assert len(fixes) == len(expected) == 8
    for got, want in zip(fixes, expected, strict=True):
        assert got["time_s"] == want["time_s"] and got["stations"] == want["stations"]
        assert (got["latitude_deg"], got["longitude_deg"]) == (want["latitude_deg"], want["longitude_deg"])
        assert got["track"] == want["track"]
    assert "24 reports from 3 stations, 8 fixes" in err
    score = json.loads(
        bearing("evaluate-positions", "-", "--truth", scene_folder, "--json", input=out).stdout
    )
    assert score["all"]["fixes"] == 8 and score["all"]["rmse_m"] < 1.0


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
    """``text`` as a serialised PMT symbol, one of the forms a station may send."""
    return pmt.serialize_str(pmt.intern(text))


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
    curve = bearing("locate", "--connect=tcp://127.0.0.1:1", f"--curve-keys={tmp_path}", check=False)
    assert curve.returncode == 2 and "--curve-keys: only for --listen" in curve.stderr
    station = bearing("estimate", "x.sigmf-meta", "--publish", "tcp://0.0.0.0:5999", check=False)
    assert station.returncode == 2


def test_with_curve_keys_only_an_authorised_station_gets_in(tmp_path):
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


def test_killing_and_restarting_a_station_loses_no_fix_of_the_others(tmp_path):
    """Three stations play their captures in real time (8 s); station-3 is killed after 2 s
    and restarted on the same schedule: every epoch still has its fix from the two others,
    and station-3 is back in the last fixes."""
    walker(80).write(tmp_path)
    captures = sorted(tmp_path.glob("*.sigmf-meta"))
    ports = [free_port() for _ in captures]
    fusion = locate(
        *(f"--connect=tcp://127.0.0.1:{p}" for p in ports),
        "--stations=3",
        "--max-lag=3",
        "--idle-timeout=6",
    )
    start_at = time.time() + 8.0  # the stations' start-up (GNU Radio, the capture) takes a few seconds

    def station(index: int) -> subprocess.Popen:
        command = [BEARING, "estimate", str(captures[index]), "--average=256"]
        command += ["--publish", f"tcp://127.0.0.1:{ports[index]}"]
        command += ["--realtime", f"--start-at={start_at}"]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    stations = [station(i) for i in range(3)]
    time.sleep(max(start_at + 2.0 - time.time(), 0.0))
    stations[2].kill()
    stations[2].wait()
    restarted = station(2)
    for process in (*stations[:2], restarted):
        assert process.wait(timeout=120) == 0, process.stderr.read()
    out, err = fusion.communicate(timeout=60)
    assert fusion.returncode == 0, err
    fixes = [json.loads(line) for line in out.splitlines()]
    assert len(fixes) == 80, err  # one per window: none lost while station-3 was away
    assert all({"station-1", "station-2"} <= set(fix["stations"]) for fix in fixes)
    with_three = [i for i, fix in enumerate(fixes) if "station-3" in fix["stations"]]
    assert with_three[0] == 0 and with_three[-1] == 79  # before the kill and after the restart
    assert len(with_three) < 80  # and not while it was away
    assert "disconnections 4" in err and "reconnections 1" in err, err  # the kill, then the three ends


def test_per_station_models_are_checked_before_anything_runs(scene_folder, tmp_path):
    music = bearing("locate", "--replay", scene_folder, "--models", tmp_path, check=False)
    assert music.returncode == 2 and "per-station models are for --method mod-dnn" in music.stderr
    missing = bearing(
        "locate", "--replay", scene_folder, "--method", "mod-dnn", "--models", tmp_path, check=False
    )
    assert (
        missing.returncode == 2
        and "no station-1.pt for the station of station-1.sigmf-meta" in missing.stderr
    )


def test_positions_that_are_not_numbers_are_refused_in_one_line(scene_folder):
    origin = bearing("locate", "--replay", scene_folder, "--origin", "91,2", check=False)
    assert (
        origin.returncode == 2 and "expected LAT,LON[,ALT] in degrees and metres, got '91,2'" in origin.stderr
    )
    capture = scene_folder / "station-1.sigmf-meta"
    for option, text in (("--station-position", "48.8,nan"), ("--station-enu", "1,2,3,4")):
        station = bearing("estimate", capture, "--publish", "tcp://127.0.0.1:1", option, text, check=False)
        assert station.returncode == 2 and f"got '{text}'" in station.stderr
