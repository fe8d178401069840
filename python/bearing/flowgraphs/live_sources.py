"""The live array sources of `bearing live` and `bearing record`, by a one-word spec:
``sim:PRESET`` (or ``sim:SCENARIO.json``), ``zmq:ADDRESS``, ``uhd:ARGS``, ``soapy:ARGS`` or
``kraken:HOST[:IQ_PORT[:CONTROL_PORT]]`` (:func:`open_source`), with the array each one streams
(:class:`LiveSource`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from gnuradio import gr

from ..captures.reader import read_array_description
from ..captures.schema import Capture

KINDS = ("sim", "zmq", "uhd", "soapy", "kraken")
"""The source kinds of a spec ``KIND:ARGUMENT``."""

KRAKEN_IQ_PORT = 5000
"""The Heimdall DAQ firmware's IQ data port, when ``kraken:HOST`` names none (its control port
is the next one)."""


class SourceError(RuntimeError):
    """A live source that cannot be opened or that stopped; its message is one line."""


@dataclass
class LiveSource:
    """An opened live source.

    Attributes:
        spec: the spec it was opened from (``sim:demo_ula4``).
        block: the GNU Radio block (M-channel complex64 vectors out).
        array: the array it streams (geometry, carrier, mount; ``sample_rate_hz`` set), as a
            :class:`~gnuradio.bearing.captures.schema.Capture` of no samples.
        settings: what the source was opened with, for a recording's metadata.
    """

    spec: str
    block: gr.basic_block
    array: Capture
    settings: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.spec.split(":", 1)[0]

    @property
    def sample_rate_hz(self) -> float:
        return self.array.sample_rate_hz

    @property
    def error(self) -> str:
        """The one-line reason a source that stopped by itself gave (empty: none)."""
        return str(getattr(self.block, "error", "") or "")


def open_source(
    spec: str,
    array_path: str = "",
    rate_hz: float = 0.0,
    channel_seed: int | None = None,
    noise_source_s: float = 0.0,
) -> LiveSource:
    """Opens the source of ``spec``.

    Args:
        spec: ``KIND:ARGUMENT`` (:data:`KINDS`).
        array_path: the array description (a SigMF metadata file with ``spatial:element_geometry``
            and ``core:frequency``); required except for ``sim:``, whose array is the preset's.
        rate_hz: the sample rate of zmq and SDR sources, S/s (0: the description's
            ``core:sample_rate``).
        channel_seed: ``sim:`` only, the seed of its per-channel offsets (None: new at every start).
        noise_source_s: ``sim:`` only, seconds of shared noise source at the start.

    Raises:
        ValueError: a malformed spec or option; SourceError: a device that is not there.
    """
    kind, _, argument = spec.partition(":")
    if kind not in KINDS or not argument:
        raise ValueError(f"--source {spec!r}: expected one of {', '.join(k + ':...' for k in KINDS)}")
    if kind == "sim":
        if array_path:
            raise ValueError("--array: a sim: source streams its preset's array; give no --array")
        return _simulated(spec, argument, channel_seed, noise_source_s)
    if channel_seed is not None or noise_source_s:
        raise ValueError(f"--channel-seed and --noise-source are options of sim: sources, not {kind}:")
    if not array_path:
        raise ValueError(f"--source {kind}: needs --array META (the array's geometry and carrier)")
    array = read_array_description(array_path)
    if rate_hz < 0:
        raise ValueError(f"--rate {rate_hz:g}: a sample rate must be positive (S/s)")
    rate = float(rate_hz) or array.sample_rate_hz
    if not rate > 0:
        raise ValueError(f"--rate: the sample rate of a {kind}: source is needed ({array_path} gives none)")
    array = replace(array, sample_rate_hz=rate)
    opener = {"zmq": _zmq, "uhd": _uhd, "soapy": _soapy, "kraken": _kraken}[kind]
    try:
        block, settings = opener(argument, array)
    except (RuntimeError, OSError) as error:  # the device or the server is not there
        raise SourceError(_one_line(error)) from None
    return LiveSource(spec, block, array, {"source": spec, **settings})


def _simulated(spec: str, preset: str, channel_seed: int | None, noise_source_s: float) -> LiveSource:
    from ..blocks.simulated_array_source import simulated_array_source

    scenario_file = preset.endswith(".json")
    if scenario_file and not Path(preset).is_file():
        raise ValueError(f"sim:{preset}: scenario file not found")
    block = simulated_array_source(
        preset="demo_ula4" if scenario_file else preset,
        scenario_path=preset if scenario_file else "",
        channel_seed=-1 if channel_seed is None else int(channel_seed),
        noise_source_s=float(noise_source_s),
    )
    array = Capture(
        meta_path=Path(spec),
        data_path=Path(spec),
        datatype="cf32_le",
        sample_rate_hz=float(block.sample_rate_hz),
        frequency_hz=float(block.frequency_hz),
        geometry=block.geometry,
        segments=[],
        truths=[],
        global_info={},
        num_samples=0,
    )
    settings = {"source": spec, "channel_seed": channel_seed, "noise_source_s": noise_source_s}
    return LiveSource(spec, block, array, settings)


def _zmq(address: str, array: Capture) -> tuple[gr.basic_block, dict]:
    from ..blocks.zmq_array_source import zmq_array_source

    return zmq_array_source(address, array.num_channels), {"address": address}


def _uhd(device_args: str, array: Capture) -> tuple[gr.basic_block, dict]:
    from ..blocks.uhd_array_source import uhd_array_source

    block = uhd_array_source(device_args, array.num_channels, array.sample_rate_hz, array.frequency_hz)
    return block, {"device_args": device_args}


def _soapy(device_args: str, array: Capture) -> tuple[gr.basic_block, dict]:
    from ..blocks.soapy_array_source import soapy_array_source

    block = soapy_array_source(device_args, array.num_channels, array.sample_rate_hz, array.frequency_hz)
    return block, {"device_args": device_args}


def _kraken(address: str, array: Capture) -> tuple[gr.basic_block, dict]:
    """``HOST[:IQ_PORT[:CONTROL_PORT]]``: the Heimdall DAQ's ports (default 5000 and 5001)."""
    from ..blocks.krakensdr_source import krakensdr_source

    name, *ports = address.split(":")
    if len(ports) > 2 or not all(port.isdigit() for port in ports):
        raise ValueError(f"kraken:{address}: expected kraken:HOST[:IQ_PORT[:CONTROL_PORT]]")
    iq_port = int(ports[0]) if ports else KRAKEN_IQ_PORT
    control_port = int(ports[1]) if len(ports) > 1 else iq_port + 1
    block = krakensdr_source(
        name, iq_port, control_port, num_channels=array.num_channels, calibration_frames="pass"
    )
    for what, daq, described, unit in (
        ("tuned to", block.frequency_hz, array.frequency_hz, "Hz"),
        ("sampling at", block.sample_rate_hz, array.sample_rate_hz, "S/s"),
    ):
        if abs(daq - described) > 1.0:
            raise ValueError(
                f"kraken:{address}: the DAQ is {what} {daq:.9g} {unit}, the array description and --rate say "
                f"{described:.9g} {unit}"
            )
    return block, {"host": name, "iq_port": iq_port, "control_port": control_port}


def _one_line(error: BaseException) -> str:
    """The first non-empty line of an error's message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
