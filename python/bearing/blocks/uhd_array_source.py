"""GNU Radio hierarchical block: a multi-channel USRP (UHD) as a stream of M-channel vectors.

The device logic is split in two: pure functions that check the parameters and turn them into
a plan (:func:`array_plan` from :func:`per_channel`, :func:`sync_plan`, :func:`lo_plan`; and
:func:`tune_plan`), tested without a device, and small functions that hand a plan to a gr-uhd
``usrp_source`` (:func:`open_usrp`, then :func:`configure`: :func:`apply_sync`,
:func:`apply_frontends`, :func:`set_device_time`, :func:`apply_channels`, :func:`apply_lo`,
:func:`tune`). Every failure of the device becomes an exception whose message is one line
(UHD's own are several).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from gnuradio import blocks, gr, uhd

from ..validation import check_integer, check_number
from .device_errors import DeviceNotFoundError, DeviceSetupError

REFERENCE_SOURCES = ("internal", "external", "gpsdo")
"""The clock (10 MHz) and time (PPS) sources a USRP is given: its own oscillator, the front
panel's REF and PPS inputs, or its GPS-disciplined oscillator."""

LO_SOURCES = ("internal", "companion", "external")
"""Where a channel takes its local oscillators from (UHD's names): its own synthesizer, the
companion channel's on the same daughterboard (TwinRX), or the LO input connectors."""

COMMAND_LEAD_S = 0.1
"""How far ahead of the device's clock timed commands are scheduled, seconds (UHD's manual uses
100 ms: an order of magnitude above a command's round trip)."""


@dataclass(frozen=True)
class SyncPlan:
    """The references of every motherboard and how its time is set."""

    clock_source: str
    """The 10 MHz reference: one of :data:`REFERENCE_SOURCES`."""
    time_source: str
    """The PPS: one of :data:`REFERENCE_SOURCES`."""

    @property
    def time_at_next_pps(self) -> bool:
        """Whether the device time is latched on a PPS edge (external or GPSDO time), so that
        every motherboard sharing the PPS counts the same time; else it is set to 0 at once."""
        return self.time_source != "internal"


@dataclass(frozen=True)
class LoPlan:
    """The local oscillator routing of the channels."""

    sources: tuple[str, ...]
    """Per channel, one of :data:`LO_SOURCES`, or ``""``: the device's own choice."""
    export_channel: int | None
    """The channel whose LOs are exported on the LO output connectors (None: none)."""


@dataclass(frozen=True)
class TunePlan:
    """One timed retune of every channel."""

    command_time_s: float
    """The device time at which every channel changes frequency, seconds."""
    frequency_hz: float
    """The new centre frequency of every channel, hertz."""
    channels: tuple[int, ...]
    """The channels tuned, in order."""


@dataclass(frozen=True)
class ArrayPlan:
    """Every setting of the block's USRP, checked."""

    num_channels: int
    sample_rate_hz: float
    frequency_hz: float
    gain_db: float
    subdev_spec: str
    antennas: tuple[str, ...]
    """Per channel; ``""``: the device's default."""
    sync: SyncPlan
    lo: LoPlan


def one_line(message: object) -> str:
    """``message`` (UHD's are several lines, indented) as one line."""
    return " ".join(str(message).split())


def per_channel(
    value: str, num_channels: int, name: str, allowed: tuple[str, ...] | None = None
) -> tuple[str, ...]:
    """One setting per channel from ``value``: ``""`` (the device's default on every channel),
    one name for every channel, or a comma-separated list of exactly ``num_channels`` names.

    ``allowed``: the names accepted (None: any). A ValueError names the parameter.
    """
    if not check_text(value, name).strip():
        return ("",) * num_channels
    names = tuple(part.strip() for part in value.split(","))
    if len(names) not in (1, num_channels) or not all(names):
        raise ValueError(
            f"{name}: give one name for every channel or a comma-separated list of {num_channels} "
            f"(one per channel), got {value!r}"
        )
    unknown = sorted({item for item in names if allowed is not None and item not in allowed})
    if unknown:
        raise ValueError(f"{name}: {', '.join(unknown)} is not one of {', '.join(allowed)} (in {value!r})")
    return names * num_channels if len(names) == 1 else names


def sync_plan(clock_source: str, time_source: str) -> SyncPlan:
    """The :class:`SyncPlan` of the sources, each one of :data:`REFERENCE_SOURCES`."""
    for name, value in (("clock_source", clock_source), ("time_source", time_source)):
        if value not in REFERENCE_SOURCES:
            raise ValueError(f"{name}: must be one of {', '.join(REFERENCE_SOURCES)}, got {value!r}")
    return SyncPlan(clock_source, time_source)


def lo_plan(lo_source: str, lo_export: bool, num_channels: int) -> LoPlan:
    """The :class:`LoPlan`: ``lo_source`` per channel (see :func:`per_channel`; names from
    :data:`LO_SOURCES`), and with ``lo_export`` channel 0's LOs exported.

    One TwinRX (its two channels on one LO): ``"internal,companion"``. Two TwinRX in one X310,
    LO cables from A to B: ``"internal,companion,external,external"`` with ``lo_export``.
    """
    if not isinstance(lo_export, bool | np.bool_):
        raise ValueError(f"lo_export: must be True or False, got {lo_export!r}")
    sources = per_channel(lo_source, num_channels, "lo_source", LO_SOURCES)
    return LoPlan(sources, 0 if lo_export else None)


def tune_plan(
    now_s: float, frequency_hz: float, num_channels: int, lead_s: float = COMMAND_LEAD_S
) -> TunePlan:
    """The :class:`TunePlan` that moves every channel to ``frequency_hz`` at ``now_s + lead_s``
    (device time, seconds), so that their synthesizers are programmed at the same instant."""
    frequency_hz = check_positive_number(frequency_hz, "frequency_hz")
    return TunePlan(float(now_s) + lead_s, frequency_hz, tuple(range(num_channels)))


def check_positive_number(value: float, name: str) -> float:
    """``value`` as a float if it is a finite number above 0, else a ValueError naming ``name``."""
    number = check_number(value, name)
    if number <= 0:
        raise ValueError(f"{name}: must be a number above 0, got {value!r}")
    return number


def check_text(value: str, name: str) -> str:
    """``value`` if it is a string, else a ValueError naming ``name``."""
    if not isinstance(value, str):
        raise ValueError(f"{name}: must be a string, got {value!r}")
    return value


def array_plan(
    num_channels: int,
    sample_rate_hz: float,
    frequency_hz: float,
    gain_db: float,
    subdev_spec: str,
    antenna: str,
    clock_source: str,
    time_source: str,
    lo_source: str,
    lo_export: bool,
) -> ArrayPlan:
    """The :class:`ArrayPlan` of the block's parameters (see :class:`uhd_array_source`); a
    ValueError names the first invalid one."""
    num_channels = check_integer(num_channels, "num_channels", 2)
    return ArrayPlan(
        num_channels=num_channels,
        sample_rate_hz=check_positive_number(sample_rate_hz, "sample_rate_hz"),
        frequency_hz=check_positive_number(frequency_hz, "frequency_hz"),
        gain_db=check_number(gain_db, "gain_db", low=0.0),
        subdev_spec=check_text(subdev_spec, "subdev_spec").strip(),
        antennas=per_channel(antenna, num_channels, "antenna"),
        sync=sync_plan(clock_source, time_source),
        lo=lo_plan(lo_source, lo_export, num_channels),
    )


@contextmanager
def device_step(what: str) -> Iterator[None]:
    """Turns UHD's errors in the block into a :class:`DeviceSetupError` of one line on ``what``."""
    try:
        yield
    except (RuntimeError, LookupError, ValueError) as error:
        raise DeviceSetupError(f"UHD: {what}: {one_line(error)}") from None


def open_usrp(device_args: str, num_channels: int) -> uhd.usrp_source:
    """A gr-uhd ``usrp_source`` of channels ``0 .. num_channels - 1`` (complex float32) on the
    USRP that ``device_args`` find; :class:`DeviceNotFoundError` if none answers."""
    stream_args = uhd.stream_args(cpu_format="fc32", channels=list(range(num_channels)))
    try:
        return uhd.usrp_source(device_args, stream_args)
    except (RuntimeError, LookupError) as error:
        if "no devices found" in str(error).lower():
            raise DeviceNotFoundError(
                f"UHD: no USRP found for device args {device_args!r} (is it connected and powered? "
                f"uhd_find_devices lists the USRPs UHD sees)"
            ) from None
        raise DeviceSetupError(
            f"UHD: cannot open the USRP of device args {device_args!r}: {one_line(error)}"
        ) from None


def apply_sync(usrp: uhd.usrp_source, plan: SyncPlan) -> None:
    """Sets the clock and time sources of every motherboard."""
    with device_step(f"clock source {plan.clock_source!r}"):
        usrp.set_clock_source(plan.clock_source, uhd.ALL_MBOARDS)
    with device_step(f"time source {plan.time_source!r}"):
        usrp.set_time_source(plan.time_source, uhd.ALL_MBOARDS)


def set_device_time(usrp: uhd.usrp_source, plan: SyncPlan) -> None:
    """Sets the device time to 0: on a PPS edge with external or GPSDO time (UHD waits up to
    1.1 s for an edge, latches 0 on the next one on every motherboard and checks that they
    agree: about 2 s; no PPS is an error), else at once."""
    zero = uhd.time_spec(0.0)
    if plan.time_at_next_pps:
        with device_step(f"setting the time on a PPS edge of time source {plan.time_source!r}"):
            usrp.set_time_unknown_pps(zero)
    else:
        with device_step("setting the time"):
            usrp.set_time_now(zero, uhd.ALL_MBOARDS)


def apply_frontends(usrp: uhd.usrp_source, plan: ArrayPlan) -> None:
    """The subdev spec (on every motherboard, unless empty) and the sample rate."""
    if plan.subdev_spec:
        with device_step(f"subdev spec {plan.subdev_spec!r}"):
            usrp.set_subdev_spec(plan.subdev_spec, uhd.ALL_MBOARDS)
    with device_step(f"sample rate {plan.sample_rate_hz} Hz"):
        usrp.set_samp_rate(plan.sample_rate_hz)


def apply_channels(usrp: uhd.usrp_source, plan: ArrayPlan) -> None:
    """The antenna (unless the device's default) and the gain of every channel."""
    for channel, antenna in enumerate(plan.antennas):
        if antenna:
            with device_step(f"antenna {antenna!r} on channel {channel}"):
                usrp.set_antenna(antenna, channel)
        with device_step(f"gain {plan.gain_db} dB on channel {channel}"):
            usrp.set_gain(plan.gain_db, channel)


def apply_lo(usrp: uhd.usrp_source, plan: LoPlan) -> None:
    """Exports the LOs of the export channel, then sets every channel's LO source (all its LO
    stages: ``uhd.ALL_LOS``); channels without a source keep the device's choice."""
    if plan.export_channel is not None:
        with device_step(f"exporting the LOs of channel {plan.export_channel}"):
            usrp.set_lo_export_enabled(True, uhd.ALL_LOS, plan.export_channel)
    for channel, source in enumerate(plan.sources):
        if source:
            with device_step(f"LO source {source!r} on channel {channel}"):
                usrp.set_lo_source(source, uhd.ALL_LOS, channel)


def device_time_s(usrp: uhd.usrp_source) -> float:
    """The time of the first motherboard, seconds."""
    with device_step("reading the device time"):
        return usrp.get_time_now(0).get_real_secs()


def tune(usrp: uhd.usrp_source, plan: TunePlan) -> None:
    """Tunes the plan's channels with timed commands: every synthesizer and DDC is programmed at
    the plan's device time, so that their phase offsets stay the same after each retune."""
    with device_step(f"tuning to {plan.frequency_hz} Hz"):
        usrp.set_command_time(uhd.time_spec(plan.command_time_s), uhd.ALL_MBOARDS)
        try:
            for channel in plan.channels:
                usrp.set_center_freq(plan.frequency_hz, channel)
        finally:
            usrp.clear_command_time(uhd.ALL_MBOARDS)


def configure(usrp: uhd.usrp_source, plan: ArrayPlan) -> None:
    """Applies ``plan`` in the order the references need: clock and time sources, frontends and
    rate, the device time, antennas and gains, LO routing, then one timed tuning of every
    channel (the LOs must be routed before the synthesizers are programmed)."""
    apply_sync(usrp, plan.sync)
    apply_frontends(usrp, plan)
    set_device_time(usrp, plan.sync)
    apply_channels(usrp, plan)
    apply_lo(usrp, plan.lo)
    tune(usrp, tune_plan(device_time_s(usrp), plan.frequency_hz, plan.num_channels))


class uhd_array_source(gr.hier_block2):
    """The M channels of a USRP (or of several USRPs of one device args) as complex64 vectors of
    M samples, one vector per snapshot: the module's stream, as the capture source's.

    A gr-uhd ``usrp_source`` of M channels feeds a ``blocks.streams_to_vector``. The channels
    share the clock and time sources; with external or GPSDO time the device time is latched on
    a PPS edge, so that several motherboards count the same time; LOs are shared where the
    device can (TwinRX, N310/N320 LO inputs); every tuning is a timed command, so that the
    channels' phase offsets stay the same after each retune. The offsets that remain (cables,
    filters, the LO dividers) are removed downstream by the Coherence Calibrator
    (docs/sdr-sources.md).

    Args:
        device_args: UHD device args (``"type=b200"``, ``"addr=192.168.10.2"``,
            ``"addr0=...,addr1=..."`` for several USRPs); empty: the first USRP found.
        num_channels: M, the channels streamed (0 .. M - 1 of the subdev spec), at least 2.
        sample_rate_hz: sample rate of every channel, hertz.
        frequency_hz: centre frequency of every channel, hertz.
        gain_db: gain of every channel, dB (UHD clips it to the device's range).
        subdev_spec: the frontends of the channels (``"A:0 A:1 B:0 B:1"`` for two TwinRX; the
            same spec on every motherboard); empty: the device's default.
        antenna: one antenna for every channel, or one per channel separated by commas
            (``"RX1,RX2"`` on a TwinRX); empty: the device's default.
        clock_source: 10 MHz reference of every motherboard: ``"internal"``, ``"external"``
            (the REF input) or ``"gpsdo"``.
        time_source: PPS of every motherboard, the same names; with ``"external"`` or
            ``"gpsdo"`` the time is set on a PPS edge (a missing PPS is an error).
        lo_source: LO source of every channel (``"internal"``, ``"companion"``,
            ``"external"``), or one per channel separated by commas (see :func:`lo_plan`);
            empty: the device's default (a device without LO selection, B210 for one, needs it
            empty).
        lo_export: export channel 0's LOs on the LO output connectors (TwinRX, N321).

    Raises:
        ValueError: a parameter is invalid (the message names it).
        DeviceNotFoundError: no USRP answers ``device_args``.
        DeviceSetupError: the USRP refused a setting, or no PPS came.

    Attributes:
        usrp: the gr-uhd ``usrp_source`` (its whole API: sensors, gains per stage, ...).
        streams_to_vector: the ``blocks.streams_to_vector`` behind it.
        num_elements: M.
        frequency_hz: the current centre frequency, hertz.
    """

    def __init__(
        self,
        device_args: str = "",
        num_channels: int = 2,
        sample_rate_hz: float = 1e6,
        frequency_hz: float = 2.4e9,
        gain_db: float = 30.0,
        subdev_spec: str = "",
        antenna: str = "RX2",
        clock_source: str = "internal",
        time_source: str = "internal",
        lo_source: str = "",
        lo_export: bool = False,
    ) -> None:
        device_args = check_text(device_args, "device_args")
        plan = array_plan(
            num_channels,
            sample_rate_hz,
            frequency_hz,
            gain_db,
            subdev_spec,
            antenna,
            clock_source,
            time_source,
            lo_source,
            lo_export,
        )
        gr.hier_block2.__init__(
            self,
            "Bearing UHD Array Source",
            gr.io_signature(0, 0, 0),
            gr.io_signature(1, 1, gr.sizeof_gr_complex * plan.num_channels),
        )
        self.num_elements = plan.num_channels
        self.usrp = open_usrp(device_args, plan.num_channels)
        configure(self.usrp, plan)
        self.frequency_hz = plan.frequency_hz
        self.streams_to_vector = blocks.streams_to_vector(gr.sizeof_gr_complex, plan.num_channels)
        for channel in range(plan.num_channels):
            self.connect((self.usrp, channel), (self.streams_to_vector, channel))
        self.connect(self.streams_to_vector, self)

    def retune(self, frequency_hz: float) -> None:
        """Moves every channel to ``frequency_hz`` (hertz) with one timed command,
        :data:`COMMAND_LEAD_S` after the device's current time (also while running)."""
        frequency_hz = check_positive_number(frequency_hz, "frequency_hz")
        tune(self.usrp, tune_plan(device_time_s(self.usrp), frequency_hz, self.num_elements))
        self.frequency_hz = frequency_hz
