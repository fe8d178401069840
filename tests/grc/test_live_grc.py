"""GNU Radio Companion, live (issue 19): the live QT GUI examples compile; live_sim.grc,
live_zmq.grc (against a `bearing simulate-live` publisher) and live_krakensdr.grc (against a fake
Heimdall DAQ) run offscreen and estimate the emitter's bearing; the SDR examples stop with their
source's one line without a device; and in no example does a block, its ports or its comment
cover another block."""

from __future__ import annotations

import json
import math
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from gnuradio import gr
from gnuradio.grc.core.platform import Platform
from helpers.command import BEARING
from helpers.fake_heimdall import FakeHeimdall, plane_wave_samples
from helpers.network import free_port
from PIL import ImageFont

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.grc"))
LIVE_EXAMPLES = ("live_sim", "live_zmq", "live_uhd", "live_soapy", "live_krakensdr")
RUN_TIMEOUT_S = 40.0
"""The longest a live example may take to give its estimates, seconds (they come after about
3 s: Python and Qt start, then a second of noise source)."""
SECONDS_TO_FAIL = 15.0
"""A missing device must stop its example faster than this, seconds."""
ESTIMATE_SPACING = 50_000
"""Stream samples between the live examples' windows: 0.05 s at 1 MS/s."""


def offscreen(tmp_path: Path) -> dict:
    """The environment of a QT GUI example without a display."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(runtime))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """``compiled(name)``: the Python file grcc generates from ``examples/<name>.grc`` (once)."""
    out_dir = tmp_path_factory.mktemp("live_examples")
    scripts: dict[str, Path] = {}

    def compile_example(name: str) -> Path:
        if name not in scripts:
            result = subprocess.run(
                [
                    sys.executable,
                    shutil.which("grcc"),
                    "-o",
                    str(out_dir),
                    str(ROOT / "examples" / f"{name}.grc"),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
            output = result.stdout + result.stderr
            assert result.returncode == 0, output
            # grcc drops a connection to an unknown port with a traceback and still exits 0.
            assert "Traceback" not in output, output
            assert (out_dir / f"{name}.py").exists(), output
            scripts[name] = out_dir / f"{name}.py"
        return scripts[name]

    return compile_example


@pytest.mark.parametrize("name", LIVE_EXAMPLES)
def test_live_example_compiles_with_grcc(compiled, name):
    assert compiled(name).stat().st_size > 0


def json_records(command: list[str], tmp_path: Path, count: int, after=None) -> list[dict]:
    """Runs ``command`` offscreen until it printed ``count`` JSON lines, then kills it; ``after``
    runs once the process started. The lines, as dicts; fewer within RUN_TIMEOUT_S fail the test
    with the end of the process's stderr."""
    lines: queue.Queue[str | None] = queue.Queue()
    errors = tmp_path / "stderr.txt"
    with (
        errors.open("w") as stderr,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=offscreen(tmp_path)
        ) as flowgraph,
    ):

        def read() -> None:
            for line in flowgraph.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        try:
            if after is not None:
                after()
            records, deadline = [], time.monotonic() + RUN_TIMEOUT_S
            while len(records) < count and time.monotonic() < deadline:
                try:
                    line = lines.get(timeout=0.5)
                except queue.Empty:
                    continue
                if line is None:
                    break
                if line.startswith("{"):
                    records.append(json.loads(line))
        finally:
            flowgraph.kill()
    tail = "\n".join(errors.read_text().splitlines()[-10:])
    assert len(records) == count, f"{len(records)} estimates of {count}; stderr ends:\n{tail}"
    return records


def assert_follows_the_sweep(records: list[dict], truths_deg: list[float]) -> None:
    """Every window estimated, one every 0.05 s of stream, after the 1 s noise source; MUSIC on
    the demo array: a median error of about 3 deg (its impairments; tens of degrees near +-60)."""
    starts = [record["sample_start"] for record in records]
    assert starts[0] >= 1_000_000  # the first second is the noise source: no estimate on it
    assert set(np.diff(starts)) == {ESTIMATE_SPACING}
    errors = np.abs(np.array([record["azimuth_deg"][0] for record in records]) - np.asarray(truths_deg))
    assert np.median(errors) < 5.0, errors
    assert np.mean(errors < 6.0) >= 0.7, errors


def test_live_sim_example_estimates_the_simulated_emitter(compiled, tmp_path):
    """live_sim.grc offscreen: the Simulated Array Source in real time, calibrated on its noise
    source; the JSON lines on stdout follow the truth."""
    records = json_records([sys.executable, "-u", str(compiled("live_sim"))], tmp_path, count=30)
    truths = [record["truth_azimuth_deg"][0] for record in records]
    assert_follows_the_sweep(records, truths)


def test_live_zmq_example_estimates_a_simulate_live_publisher(compiled, tmp_path):
    """live_zmq.grc offscreen, subscribed to `bearing simulate-live --noise-source 1` (demo_ula4)
    on a free port: it is joined before the publisher streams (its start delay), so the stream's
    sample n is the publisher's, whose emitter stands at -60 + k deg in its k-th 10 ms."""
    address = f"tcp://127.0.0.1:{free_port()}"
    publisher: list[subprocess.Popen] = []

    def publish() -> None:
        command = [BEARING, "simulate-live", "--zmq", address, "--noise-source", "1", "--start-delay", "3"]
        publisher.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    script = [sys.executable, "-u", str(compiled("live_zmq")), "--address", address]
    try:
        records = json_records(script, tmp_path, count=20, after=publish)
    finally:
        for process in publisher:
            process.kill()
            process.wait()
    assert all(record["truth_azimuth_deg"] == [] for record in records)  # no truth over ZeroMQ
    truths = [-60.0 + (record["sample_start"] // 10_000) % 121 for record in records]
    assert_follows_the_sweep(records, truths)


def test_live_krakensdr_example_estimates_a_fake_daqs_emitter(compiled, tmp_path):
    """live_krakensdr.grc (as a 5-element half-wavelength ULA) offscreen against a fake Heimdall
    DAQ streaming one emitter at 30 deg, 20 dB, at 240 kS/s: every estimate within 0.5 deg."""
    rate, cpi_length = 240e3, 4096
    samples = plane_wave_samples(5, cpi_length, 30.0, 20.0)
    with FakeHeimdall(5, cpi_length, samples, sample_rate_hz=rate, frame_interval_s=cpi_length / rate) as daq:
        arguments = ["--iq-port", str(daq.iq_port), "--array-layout", "ula", "--samp-rate", str(rate)]
        command = [sys.executable, "-u", str(compiled("live_krakensdr")), *arguments]
        records = json_records(command, tmp_path, count=10)
    assert set(np.diff([record["sample_start"] for record in records])) == {round(0.05 * rate)}
    assert all(abs(record["azimuth_deg"][0] - 30.0) < 0.5 for record in records), records


@pytest.mark.parametrize(
    ("name", "arguments", "line"),
    [
        (
            "live_uhd",
            ["--device-args", "type=b200,serial=bearing-test-none"],
            "DeviceNotFoundError: UHD: no USRP found for device args 'type=b200,serial=bearing-test-none'",
        ),
        (
            "live_soapy",
            ["--device-args", "driver=rtlsdr,serial=bearing-test-none"],
            "DeviceNotFoundError: SoapySDR: no device found for device args "
            "'driver=rtlsdr,serial=bearing-test-none'",
        ),
        (
            "live_krakensdr",
            ["--iq-port", "{port}"],
            "ConnectionError: KrakenSDR: no Heimdall DAQ at 127.0.0.1:{port}",
        ),
    ],
    ids=["uhd", "soapy", "krakensdr"],
)
def test_sdr_example_without_its_device_stops_with_the_sources_line(
    compiled, tmp_path, name, arguments, line
):
    port = free_port()  # nothing listens there: the DAQ's connection is refused
    arguments = [argument.format(port=port) for argument in arguments]
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(compiled(name)), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=offscreen(tmp_path),
    )
    assert time.monotonic() - start < SECONDS_TO_FAIL
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert line.format(port=port) in last, run.stderr
    assert "Device Address:" not in run.stderr and "no match" not in run.stderr  # no driver dump


# Layout ---------------------------------------------------------------------------------------
#
# GRC (gui/canvas/block.py) draws a block as its title (Sans 8 bold) over one line per parameter
# shown (Sans 7.5: "Label: value", the value cut to max(27 - len(label), 3) characters),
# LABEL_SEPARATION 3 px apart, BLOCK_LABEL_PADDING 7 px around, at least PORT_SEPARATION 32 px
# per port of a side; the size on the 8 px grid (rounded up here: GRC rounds); its ports stick
# out left (inputs) and right (outputs) by their label's width plus 2 x 2 px; its comment (Sans 8)
# hangs 7 px below it.
# Pango is not here: DejaVu Sans (GRC's "Sans" on Linux, bundled with matplotlib) measured by
# Pillow at 96 dpi stands in for it.

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
POINTS_TO_PX = 96 / 72
TITLE_FONT = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 8 * POINTS_TO_PX)
TEXT_FONT = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 8 * POINTS_TO_PX)
PARAM_LABEL_FONT = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 7.5 * POINTS_TO_PX)
PARAM_VALUE_FONT = ImageFont.truetype(str(FONTS / "DejaVuSans.ttf"), 7.5 * POINTS_TO_PX)
TITLE_HEIGHT, PARAM_HEIGHT, PORT_HEIGHT, COMMENT_LINE_HEIGHT = 13, 12, 18, 13
GRID = 8


@pytest.fixture(scope="module")
def platform() -> Platform:
    platform = Platform(
        prefs=gr.prefs(),
        version=gr.version(),
        version_parts=(gr.major_version(), gr.api_version(), gr.minor_version()),
    )
    platform.build_library()
    return platform


def _up_to_grid(value: float) -> int:
    return int(math.ceil(value / GRID) * GRID)


def _shown_value(param) -> str:
    """A parameter's value on the block: its option's name, else the longer of its expression and
    its value, cut as GRC cuts it."""
    if param.value in param.options:
        return param.options[param.value]
    try:
        value = param.get_evaluated()
    except Exception:  # an expression GRC cannot evaluate shows as written
        value = param.value
    if isinstance(value, bool):
        return str(value)
    text = max(str(param.value), str(value), key=len)
    return text[: max(27 - len(param.name), 3)]


def block_areas(flowgraph) -> dict[str, tuple[float, float, float, float]]:
    """``(left, top, right, bottom)`` on the canvas of every block with its ports and comment."""
    areas = {}
    for block in flowgraph.blocks:
        lines = [
            (f"{p.name}:", f" {_shown_value(p)}")
            for p in block.params.values()
            if p.hide not in ("all", "part")
        ]
        width = max(
            [TITLE_FONT.getlength(block.label)]
            + [
                PARAM_LABEL_FONT.getlength(label) + PARAM_VALUE_FONT.getlength(value)
                for label, value in lines
            ]
        )
        height = 14 + TITLE_HEIGHT + (3 + len(lines) * PARAM_HEIGHT + (len(lines) - 1) * 3 if lines else 0)
        sinks = [port for port in block.sinks if not port.hidden]
        sources = [port for port in block.sources if not port.hidden]
        height = max([height, *(16 + 32 * len(ports) - PORT_HEIGHT for ports in (sinks, sources) if ports)])
        width, height = _up_to_grid(width + 14), _up_to_grid(height)
        left = max((4 + TEXT_FONT.getlength(port.name) for port in sinks), default=0)
        right = max((4 + TEXT_FONT.getlength(port.name) for port in sources), default=0)
        comment = block.comment.strip().splitlines()
        comment_width = max((TEXT_FONT.getlength(line) for line in comment), default=0)
        comment_height = 7 + COMMENT_LINE_HEIGHT * len(comment) if comment else 0
        x, y = block.states["coordinate"]
        if block.states.get("rotation", 0) in (90, 270):
            width, height = height, width
        areas[block.name] = (x - left, y, x + max(width + right, comment_width), y + height + comment_height)
    return areas


def overlapping(areas: dict) -> list[tuple[str, str]]:
    names = sorted(areas)
    return [
        (a, b)
        for index, a in enumerate(names)
        for b in names[index + 1 :]
        if areas[a][0] < areas[b][2]
        and areas[b][0] < areas[a][2]
        and areas[a][1] < areas[b][3]
        and areas[b][1] < areas[a][3]
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_no_block_of_an_example_covers_another(platform, path):
    flowgraph = platform.make_flow_graph(str(path))
    flowgraph.rewrite()
    flowgraph.validate()
    assert overlapping(block_areas(flowgraph)) == []
