"""GNU Radio Companion, drawing: every QT GUI example, run offscreen, draws data in every plot within
five seconds of its flowgraph starting.

"Every plot" is every enabled ``qtgui_*`` block of the example's .grc that has a connected input,
stream or message: the QT GUI Vector, Time and Time Raster Sinks, the Compass (fed by messages)
and the Message Edit Box (the live emitter count of two_emitters.grc). The ``variable_qtgui_label``
readouts are variables set through Message Pair to Variable, not sinks: not checked here.

The QT sinks cannot be read back from Python, so tests/helpers/qt_probe.py runs the generated
Python file in a process of its own, through the example's own ``main()`` with a subclass of its
top block that, before starting the flowgraph, taps (fan-out) every output feeding a QT sink and
grabs every sink's widget offscreen; then it polls every 50 ms. A sink has drawn when (1) every
input's tap saw an item or message and the C++ sink itself consumed it (two items on each input
of a Vector Sink: GNU Radio 3.10.5 draws the item after the first it is handed), (2) some value
sent to it was finite and non-zero, and (3) its widget, grabbed again, differs from its image
before the start. A sink fed by a stream that gives nothing fails all three (tried on a copy of
two_emitters.grc with a Skip Head of 10^12 items before its Time Raster Sink: no item, the same
image after 8 s).

The examples run at their defaults, with what they need to stream on 127.0.0.1:

* live_zmq.grc subscribes to a `bearing simulate-live` publisher on a free port (its preset is
  the example's default array), started once the flowgraph runs; a subscriber has nothing to draw
  before its publisher streams, so its five seconds count from the ZMQ source's first item (the
  noise source's second in them: the estimates start after it);
* live_krakensdr.grc reads a fake Heimdall DAQ (tests/helpers/fake_heimdall.py) of 5 channels
  streaming in real time at the example's default rate.

Not run here: live_uhd.grc and live_soapy.grc. Without a USRP or a SoapySDR device their source
raises in the flowgraph's constructor, before any plot exists: they stop with one line, which
test_live_grc.py (test_sdr_example_without_its_device_stops_with_the_sources_line) checks.

The examples are compiled by one grcc run (about 10 s; one run per example, as test_live_grc.py's
``compiled`` fixture does, would cost some 5 s each here).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import qt_probe
from helpers.command import BEARING
from helpers.fake_heimdall import FakeHeimdall, plane_wave_samples
from helpers.network import free_port
from test_live_grc import offscreen

ROOT = Path(__file__).resolve().parents[2]
QT_EXAMPLES = [
    path.stem
    for path in sorted((ROOT / "examples").glob("*.grc"))
    if not path.stem.endswith("_headless") and qt_probe.generate_options(qt_probe.load_grc(path)) == "qt_gui"
]
"""The QT GUI examples: every example but the headless ones."""
WITHOUT_DEVICE = ("live_uhd", "live_soapy")
"""QT examples that stop in their constructor without their SDR (see the module's docstring)."""
PROBED = [name for name in QT_EXAMPLES if name not in WITHOUT_DEVICE]
DRAW_WITHIN_S = 5.0
"""Every plot draws within this many seconds of its flowgraph starting."""
GIVE_UP_S = 8.0
"""How long the probe waits for a late plot (so that a failure says how late), seconds."""
PROBE_TIMEOUT_S = 60.0
"""The longest one example's probe may run (Python, GNU Radio and Qt start, the flowgraph's
construction, a publisher's start, GIVE_UP_S), seconds; then it is killed and the test fails."""
READY_TIMEOUT_S = 40.0
"""The longest an example may take to start its flowgraph, seconds."""
KRAKEN_CHANNELS, KRAKEN_CPI, KRAKEN_RATE = 5, 4096, 2.4e6
"""The fake DAQ: the example's default channels and sample rate, a CPI of 4096 samples."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """The Python file grcc generates from each probed example, by name (one grcc run for all)."""
    out_dir = tmp_path_factory.mktemp("draw_examples")
    paths = [str(ROOT / "examples" / f"{name}.grc") for name in PROBED]
    result = subprocess.run(
        [sys.executable, shutil.which("grcc"), "-o", str(out_dir), *paths],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # grcc drops a connection to an unknown port with a traceback and still exits 0.
    assert "Traceback" not in output, output
    scripts = {name: out_dir / f"{name}.py" for name in PROBED}
    assert all(script.exists() for script in scripts.values()), output
    return scripts


@contextlib.contextmanager
def streaming(name: str):
    """What ``name`` needs to stream: yields (its arguments, the block that starts its clock or
    None, a callable to run once its flowgraph started or None); stops it afterwards."""
    if name == "live_zmq":
        address = f"tcp://127.0.0.1:{free_port()}"
        publishers: list[subprocess.Popen] = []

        def publish() -> None:
            # --start-delay: time for the running subscriber to join before the stream starts.
            command = [BEARING, "simulate-live", "--zmq", address, "--noise-source", "1"]
            command += ["--start-delay", "0.5"]
            publishers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        try:
            yield ["--address", address], "source_0", publish
        finally:
            for publisher in publishers:
                publisher.kill()
                publisher.wait()
    elif name == "live_krakensdr":
        samples = plane_wave_samples(KRAKEN_CHANNELS, KRAKEN_CPI, 30.0, 20.0)
        with FakeHeimdall(
            KRAKEN_CHANNELS,
            KRAKEN_CPI,
            samples,
            sample_rate_hz=KRAKEN_RATE,
            frame_interval_s=KRAKEN_CPI / KRAKEN_RATE,
        ) as daq:
            yield ["--iq-port", str(daq.iq_port)], None, None
    else:
        yield [], None, None


def probe(name: str, script: Path, tmp_path: Path) -> dict:
    """Runs the example ``name`` (its generated ``script``) under tests/helpers/qt_probe.py
    offscreen; its report (see qt_probe). A probe that writes none fails the test with the end of
    its stderr."""
    report, ready, errors = tmp_path / "report.json", tmp_path / "ready", tmp_path / "stderr.txt"
    with streaming(name) as (arguments, clock_from, once_started):
        command = [
            sys.executable,
            qt_probe.__file__,
            *("--grc", str(ROOT / "examples" / f"{name}.grc"), "--script", str(script)),
            *("--report", str(report), "--ready-file", str(ready), "--give-up", str(GIVE_UP_S)),
            *(["--clock-from", clock_from] if clock_from else []),
            "--",
            *arguments,
        ]
        with (
            errors.open("w") as stderr,
            subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=stderr, env=offscreen(tmp_path), cwd=tmp_path
            ) as process,
        ):
            try:
                deadline = time.monotonic() + READY_TIMEOUT_S
                while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                if once_started is not None and ready.exists():
                    once_started()
                process.wait(timeout=PROBE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
            finally:
                process.kill()
    tail = "\n".join(errors.read_text().splitlines()[-15:])
    assert report.exists(), f"{name}: the probe wrote no report; its stderr ends:\n{tail}"
    return json.loads(report.read_text()) | {"stderr": tail}


def describe(name: str, sink: dict) -> str:
    inputs = ", ".join(
        f"{port} <- {'/'.join(entry['from'])}: {entry['tapped']} sent, {entry['consumed']} consumed"
        for port, entry in sink["inputs"].items()
    )
    return (
        f"{name} ({sink['block']}): drawn after {sink['drawn_s']} s; {inputs}; finite non-zero data: "
        f"{sink['finite_nonzero']}; widget changed: {sink['changed']}"
    )


def test_the_probe_covers_every_qt_example():
    """Every QT GUI example is probed here or stops without its device (the module's docstring),
    and each has a QT sink to check: a new example cannot be left out unnoticed."""
    assert set(WITHOUT_DEVICE) <= set(QT_EXAMPLES)
    assert PROBED, "no QT GUI example found"
    for name in QT_EXAMPLES:
        assert qt_probe.qt_sinks(qt_probe.load_grc(ROOT / "examples" / f"{name}.grc")), name


@pytest.mark.parametrize("name", PROBED)
def test_qt_example_draws_in_every_plot_within_five_seconds(generated, tmp_path, name):
    """Every QT sink of the example received finite, non-zero data (every input of it), consumed
    it and changed its picture within DRAW_WITHIN_S of the flowgraph's start (of the stream's, for
    live_zmq): the issue's "Every GRC example, run offscreen, draws data in every plot within five
    seconds"."""
    expected = [sink.name for sink in qt_probe.qt_sinks(qt_probe.load_grc(ROOT / "examples" / f"{name}.grc"))]
    report = probe(name, generated[name], tmp_path)
    assert report["error"] is None, f"{name}: {report['error']}\n{report['stderr']}"
    assert sorted(report["sinks"]) == sorted(expected)
    late = [
        describe(sink_name, sink)
        for sink_name, sink in report["sinks"].items()
        if sink["drawn_s"] is None or sink["drawn_s"] > DRAW_WITHIN_S
    ]
    assert not late, f"{name}: plots without data within {DRAW_WITHIN_S} s:\n" + "\n".join(late)
    for sink in report["sinks"].values():
        assert sink["widget"] and sink["changed"] and sink["finite_nonzero"]
    drawn = {sink_name: round(sink["drawn_s"], 2) for sink_name, sink in report["sinks"].items()}
    print(f"{name}: clock {report['clock']} (+{report['clock_s']:.2f} s), drawn after {drawn} s")
