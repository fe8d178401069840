"""The map of `bearing locate` in a real headless browser (Debian's chromium and its driver):
live from --http while a station publishes, and the static report of a replay."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import zmq
from helpers.command import BEARING, bearing
from helpers.network import free_port

pytest.importorskip("selenium.webdriver", reason="python3-selenium (make test installs it)")
from helpers.browser import headless_chromium
from selenium.webdriver.support.ui import WebDriverWait


@pytest.fixture
def browser():
    driver = headless_chromium()
    yield driver
    driver.quit()


def report(station: str, east: float, north: float, heading: float, azimuth: float, time_s: float) -> bytes:
    fields = {
        "schema": "gr-bearing/bearing-report",
        "version": 1,
        "station": {
            "id": station,
            "heading_deg": heading,
            "latitude_deg": 48.8566 + north / 111_200,
            "longitude_deg": 2.3522 + east / 73_200,
            "altitude_m": 35.0,
        },
        "time_s": time_s,
        "bearings": [{"azimuth_deg": azimuth, "azimuth_std_deg": 1.0, "emitter": "ue-1"}],
    }
    data = json.dumps(fields).encode()
    return bytes((0x02,)) + len(data).to_bytes(2, "big") + data


def count(driver, selector: str) -> int:
    return len(driver.find_elements("css selector", selector))


def test_the_live_map_shows_the_stations_and_a_fix(browser, tmp_path):
    """Three stations at 100 m south, west and north of an emitter (each looking at it): the
    page served by --http shows three stations and the emitter's fix in its readout."""
    zmq_port, http_port = free_port(), free_port()
    station = zmq.Context.instance().socket(zmq.PUB)
    station.bind(f"tcp://127.0.0.1:{zmq_port}")
    monitor = station.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    fusion = subprocess.Popen(
        [
            BEARING,
            "locate",
            f"--connect=tcp://127.0.0.1:{zmq_port}",
            f"--http=127.0.0.1:{http_port}",
            "--duration=60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert monitor.poll(30_000), "the fusion never subscribed"
        time.sleep(0.3)
        for k in range(20):
            for name, east, north, heading in (
                ("s", 0, -100, 0.0),
                ("w", -100, 0, 90.0),
                ("n", 0, 100, 180.0),
            ):
                station.send(report(name, east, north, heading, 0.0, k * 0.1 + 0.05))
            time.sleep(0.05)
        browser.get(f"http://127.0.0.1:{http_port}/")
        WebDriverWait(browser, 20).until(
            lambda d: count(d, "circle.station") == 3 and count(d, "circle.fix") >= 1
        )
        rows = browser.find_elements("css selector", "#readout tbody tr")
        assert len(rows) == 1 and "ue-1" in rows[0].text and "48.8566" in rows[0].text
        assert "3 stations" in browser.find_element("id", "status").text
        browser.save_screenshot(str(tmp_path / "map.png"))
        assert (tmp_path / "map.png").stat().st_size > 10_000
        second = bearing(
            "locate", "--connect=tcp://127.0.0.1:1", f"--http=127.0.0.1:{http_port}", check=False
        )
        assert second.returncode == 2 and "port is in use" in second.stderr
        wide = bearing("locate", "--connect=tcp://127.0.0.1:1", "--http=0.0.0.0:8999", check=False)
        assert wide.returncode == 2 and "loopback address only" in wide.stderr
    finally:
        fusion.kill()
        fusion.communicate()
        monitor.close(0)
        station.close(0)


def test_a_replay_writes_the_same_page_as_a_static_report(browser, tmp_path):
    scene = tmp_path / "scene"
    bearing("simulate", "--preset", "scene_three_stations", "--out", scene, "--rho", "0")
    bearing(
        "locate",
        "--replay",
        scene,
        "--sources",
        "2",
        "--html",
        tmp_path / "map.html",
        "--out",
        tmp_path / "f",
    )
    browser.get((tmp_path / "map.html").as_uri())
    WebDriverWait(browser, 20).until(
        lambda d: count(d, "circle.station") == 3 and count(d, "circle.fix") == 2
    )
    assert len(browser.find_elements("css selector", "#readout tbody tr")) == 2
    assert "200 fixes" in browser.find_element("id", "status").text
