"""Does a QT GUI flowgraph draw? A driver that runs a grcc-generated QT example offscreen and reports,
for every QT sink of its .grc, whether and when it received data and redrew.

The QT sinks have no read-back API in Python, so each sink is watched three ways, all from inside
the example's own process (the generated ``main()`` runs as is, with a subclass of its top block
that does the watching):

* what the sink consumed: ``nitems_read(port)`` of every stream input of a C++ sink (the QT GUI
  Vector Sink of GNU Radio 3.10.5 draws the item after the first it is handed, so it needs two
  items per input; the other sinks one);
* what it was sent: a tap on the output feeding each of its inputs (fan-out; a Python block that
  counts the items or messages and notes whether any value was finite and non-zero, a message's
  value being its number or the ``cdr`` of a pair);
* what it shows: the sink's widget (the generated ``self._<id>_win``) grabbed into an image
  offscreen, once settled before the flowgraph starts and again at every poll: a sink that drew
  data looks different. (A widget that receives nothing grabs the same image over and over:
  the Qt offscreen platform renders them like a screen.)

A sink counts as drawn at the first poll (every 50 ms) at which all three hold; its time is
counted from the flowgraph's start (``top_block.start()`` returned) or, with ``--clock-from
BLOCK``, from the first item of that block's output 0 (a subscriber has nothing to draw before
its publisher streams; no item within ``--wait-clock`` seconds of the start is an error). The
driver stops at the first poll at which every sink has drawn, or ``--give-up`` seconds on the
clock, writes the report (JSON, below) to ``--report`` and ends the process at once
(``os._exit``: stopping a flowgraph of Python blocks may hang; nothing is left to flush). The
example's stdout is left to it (its JSON lines); an example that raises before its event loop
(e.g. in its constructor) is reported with that error, its traceback on stderr.

Run as a script::

    python tests/helpers/qt_probe.py --grc examples/replay_capture.grc \\
        --script out/replay_capture.py --report report.json [--ready-file F] [--clock-from BLOCK] \\
        [--give-up S] [--wait-clock S] -- EXAMPLE-ARGS

The report: ``{"error": str | None, "clock": "start" | "first item of BLOCK", "clock_s":
seconds from the flowgraph's start to the clock's start, "elapsed_s": seconds watched on the
clock, "sinks": {sink id: {"block": its GRC block id, "inputs": {port: {"from": [block, port],
"message": bool, "tapped": items or messages the tap saw, "consumed": the sink's nitems_read or
None for a message port}}, "finite_nonzero": bool, "widget": bool (it has one), "changed":
bool, "drawn_s": seconds on the clock or None}}}``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

POLL_MS = 50
"""How often the driver looks at the sinks, milliseconds."""
SETTLE_GRABS = 20
"""At most this many grabs (with Qt events processed between them) for a widget's image to settle
before the flowgraph starts."""
VECTOR_SINK_ITEMS = 2
"""Items a QT GUI Vector Sink must consume on an input before it has drawn one (3.10.5 draws the
item after the first it is handed)."""

STREAM_DTYPES = {"float": "float32", "complex": "complex64", "int": "int32", "short": "int16", "byte": "int8"}
"""A QT sink's ``type`` parameter -> the numpy type of its stream items."""


@dataclass
class SinkInput:
    """One connected input of a QT sink: its port and the output that feeds it."""

    port: str
    source: str
    source_port: str

    @property
    def message(self) -> bool:
        return not self.port.isdigit()


@dataclass
class QtSink:
    """A QT GUI block of a flowgraph that takes data: its id, GRC block id, ``type`` parameter."""

    name: str
    block_id: str
    type: str
    inputs: list[SinkInput] = field(default_factory=list)

    @property
    def dtype(self) -> str:
        """The numpy type of its stream items."""
        if self.block_id.endswith("_c"):
            return "complex64"
        return STREAM_DTYPES.get(self.type, "float32")

    @property
    def min_items(self) -> int:
        """Items each stream input must consume before the sink has drawn."""
        return VECTOR_SINK_ITEMS if self.block_id.startswith("qtgui_vector_sink") else 1


def load_grc(path: Path) -> dict:
    return yaml.safe_load(Path(path).read_text())


def generate_options(grc: dict) -> str:
    return grc["options"]["parameters"]["generate_options"]


def qt_sinks(grc: dict) -> list[QtSink]:
    """The enabled ``qtgui_*`` blocks of a flowgraph that have a connected input (stream or message),
    with the outputs that feed them, in the order of the .grc file."""
    enabled = {
        block["name"]: block
        for block in grc["blocks"]
        if block.get("states", {}).get("state", "enabled") == "enabled"
    }
    sinks = {
        name: QtSink(name, block["id"], str(block.get("parameters", {}).get("type", "")))
        for name, block in enabled.items()
        if block["id"].startswith("qtgui_")
    }
    for source, source_port, sink, port in grc.get("connections", []):
        if sink in sinks and source in enabled:
            sinks[sink].inputs.append(SinkInput(str(port), source, str(source_port)))
    return [sink for sink in sinks.values() if sink.inputs]


def _finite_nonzero(values) -> bool:
    import numpy as np

    values = np.asarray(values)
    if values.dtype.kind not in "biufc":
        return False
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(np.any(finite != 0))


def _message_value(message):
    """A message's number(s): the message itself, or the ``cdr`` of a pair; None if not numeric."""
    import pmt

    if pmt.is_pair(message) and not pmt.is_dict(message):
        message = pmt.cdr(message)
    try:
        value = pmt.to_python(message)
    except Exception:  # a PMT to_python cannot convert (a blob, a foreign object) has no number
        return None
    if isinstance(value, bool) or value is None:
        return None
    return value


def _stream_tap(itemsize: int, dtype: str):
    """A sync block that counts the items of a stream of ``itemsize`` bytes (``dtype`` values)."""
    import numpy as np
    from gnuradio import gr

    class StreamTap(gr.sync_block):
        def __init__(self) -> None:
            gr.sync_block.__init__(self, "qt_probe_stream_tap", in_sig=[(np.uint8, itemsize)], out_sig=[])
            self.count = 0
            self.first_s: float | None = None
            self.finite_nonzero = False

        def work(self, input_items, output_items) -> int:
            items = input_items[0]
            if self.first_s is None:
                self.first_s = time.monotonic()
            if not self.finite_nonzero:
                self.finite_nonzero = _finite_nonzero(np.ascontiguousarray(items).view(dtype))
            self.count += len(items)
            return len(items)

    return StreamTap()


def _message_tap():
    """A block that counts the messages published to its ``in`` port."""
    import pmt
    from gnuradio import gr

    class MessageTap(gr.basic_block):
        def __init__(self) -> None:
            gr.basic_block.__init__(self, "qt_probe_message_tap", in_sig=[], out_sig=[])
            self.message_port_register_in(pmt.intern("in"))
            self.set_msg_handler(pmt.intern("in"), self.handle)
            self.count = 0
            self.first_s: float | None = None
            self.finite_nonzero = False

        def handle(self, message) -> None:
            if self.first_s is None:
                self.first_s = time.monotonic()
            if not self.finite_nonzero:
                value = _message_value(message)
                self.finite_nonzero = value is not None and _finite_nonzero(value)
            self.count += 1

    return MessageTap()


def _output_itemsize(block, port: int) -> int:
    return block.output_signature().sizeof_stream_item(port)


class Probe:
    """Watches the QT sinks of one running top block (see the module's docstring)."""

    def __init__(
        self, sinks: list[QtSink], report: Path, give_up_s: float, clock_from: str | None, wait_clock_s: float
    ) -> None:
        self.sinks = sinks
        self.report_path = report
        self.give_up_s = give_up_s
        self.clock_from = clock_from
        self.wait_clock_s = wait_clock_s
        self.taps: dict[tuple[str, str], object] = {}  # (sink, port) -> tap; keeps the Python blocks
        self.clock_tap = None
        self.baseline: dict[str, object] = {}
        self.drawn_s: dict[str, float] = {}
        self.changed: dict[str, bool] = {}
        self.started: float | None = None
        self.top_block = None
        self.timer = None

    def attach(self, top_block) -> None:
        """Connects a tap beside every input of every QT sink (and the clock's tap)."""
        self.top_block = top_block
        for sink in self.sinks:
            for sink_input in sink.inputs:
                source = getattr(top_block, sink_input.source)
                if sink_input.message:
                    tap = _message_tap()
                    top_block.msg_connect((source, sink_input.source_port), (tap, "in"))
                else:
                    itemsize = _output_itemsize(source, int(sink_input.source_port))
                    tap = _stream_tap(itemsize, sink.dtype)
                    top_block.connect((source, int(sink_input.source_port)), (tap, 0))
                self.taps[(sink.name, sink_input.port)] = tap
        if self.clock_from is not None:
            source = getattr(top_block, self.clock_from)
            self.clock_tap = _stream_tap(_output_itemsize(source, 0), "uint8")
            top_block.connect((source, 0), (self.clock_tap, 0))

    def widget(self, name: str):
        return getattr(self.top_block, f"_{name}_win", None)

    def grab(self, name: str):
        return self.widget(name).grab().toImage()

    def settle(self, application) -> None:
        """The image of every sink's widget before any data: grabbed until two grabs agree."""
        for sink in self.sinks:
            if self.widget(sink.name) is None:
                continue
            previous = None
            for _ in range(SETTLE_GRABS):
                application.processEvents()
                image = self.grab(sink.name)
                if previous is not None and image == previous:
                    break
                previous = image
            self.baseline[sink.name] = image

    def clock_start(self) -> float | None:
        if self.clock_tap is None:
            return self.started
        return self.clock_tap.first_s

    def consumed(self, sink: QtSink, port: str) -> int | None:
        block = getattr(self.top_block, sink.name)
        if not port.isdigit() or not hasattr(block, "nitems_read"):
            return None  # a message port, or a Python sink (its tap counts for it)
        return block.nitems_read(int(port))

    def has_drawn(self, sink: QtSink) -> bool:
        for sink_input in sink.inputs:
            if self.taps[(sink.name, sink_input.port)].count == 0:
                return False
            consumed = self.consumed(sink, sink_input.port)
            if consumed is not None and consumed < sink.min_items:
                return False
        if not any(self.taps[(sink.name, i.port)].finite_nonzero for i in sink.inputs):
            return False
        if sink.name in self.baseline:
            self.changed[sink.name] = self.grab(sink.name) != self.baseline[sink.name]
            return self.changed[sink.name]
        return True

    def poll(self) -> None:
        now = time.monotonic()
        clock = self.clock_start()
        if clock is None:  # the clock's block gave nothing yet
            if now - self.started > self.wait_clock_s:
                self.finish(f"no item from {self.clock_from} within {self.wait_clock_s} s of the start")
            return
        for sink in self.sinks:
            if sink.name not in self.drawn_s and self.has_drawn(sink):
                self.drawn_s[sink.name] = now - clock
        if len(self.drawn_s) == len(self.sinks) or now - clock > self.give_up_s:
            self.finish(None)

    def report(self, error: str | None) -> dict:
        clock = self.clock_start()
        now = time.monotonic()
        sinks = {}
        for sink in self.sinks:
            inputs = {}
            for sink_input in sink.inputs:
                tap = self.taps.get((sink.name, sink_input.port))
                inputs[sink_input.port] = {
                    "from": [sink_input.source, sink_input.source_port],
                    "message": sink_input.message,
                    "tapped": None if tap is None else tap.count,
                    "consumed": None if self.top_block is None else self.consumed(sink, sink_input.port),
                }
            if sink.name in self.baseline and sink.name not in self.changed:
                self.changed[sink.name] = self.grab(sink.name) != self.baseline[sink.name]
            sinks[sink.name] = {
                "block": sink.block_id,
                "inputs": inputs,
                "finite_nonzero": any(
                    getattr(self.taps.get((sink.name, i.port)), "finite_nonzero", False) for i in sink.inputs
                ),
                "widget": sink.name in self.baseline,
                "changed": self.changed.get(sink.name, False),
                "drawn_s": self.drawn_s.get(sink.name),
            }
        started = self.started
        return {
            "error": error,
            "clock": "start" if self.clock_from is None else f"first item of {self.clock_from}",
            "clock_s": None if clock is None or started is None else clock - started,
            "elapsed_s": None if clock is None else now - clock,
            "sinks": sinks,
        }

    def finish(self, error: str | None) -> None:
        report = self.report(error)
        temporary = self.report_path.with_suffix(".part")
        temporary.write_text(json.dumps(report, indent=1))
        temporary.replace(self.report_path)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0 if error is None else 1)


def probed_class(top_block_class, probe: Probe, ready_file: Path | None):
    """A subclass of the example's top block whose ``start()`` connects the taps, shows the window,
    settles its widgets' images, starts the flowgraph and the polling."""
    from PyQt5 import Qt

    class Probed(top_block_class):
        def start(self, *args, **kwargs):
            probe.attach(self)
            self.show()
            probe.settle(Qt.QApplication.instance())
            super().start(*args, **kwargs)
            probe.started = time.monotonic()
            if ready_file is not None:
                ready_file.write_text("started\n")
            probe.timer = Qt.QTimer()
            probe.timer.timeout.connect(probe.poll)
            probe.timer.start(POLL_MS)

    return Probed


def load_script(path: Path):
    """The generated Python file as a module."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grc", type=Path, required=True, help="the example's .grc file")
    parser.add_argument("--script", type=Path, required=True, help="the Python file grcc generated from it")
    parser.add_argument("--report", type=Path, required=True, help="where to write the JSON report")
    parser.add_argument("--ready-file", type=Path, help="written once the flowgraph started")
    parser.add_argument("--clock-from", help="count the seconds from the first item of this block's output 0")
    parser.add_argument("--give-up", type=float, default=8.0, help="seconds on the clock to wait")
    parser.add_argument(
        "--wait-clock", type=float, default=20.0, help="seconds to wait for --clock-from's first item"
    )
    parser.add_argument("example_args", nargs="*", help="the example's arguments (after --)")
    args = parser.parse_args(argv)

    grc = load_grc(args.grc)
    probe = Probe(qt_sinks(grc), args.report, args.give_up, args.clock_from, args.wait_clock)
    try:
        module = load_script(args.script)
        top_block_class = getattr(module, grc["options"]["parameters"]["id"])
        options = module.argument_parser().parse_args(args.example_args)
        sys.argv = [str(args.script), *args.example_args]
        module.main(top_block_cls=probed_class(top_block_class, probe, args.ready_file), options=options)
    except BaseException as error:  # the example stopped before its event loop: report it
        import traceback

        traceback.print_exc()
        probe.finish(f"{type(error).__name__}: {error}")
    probe.finish("the example's event loop ended before the probe did")


if __name__ == "__main__":
    main()
