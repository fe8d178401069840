"""GNU Radio hierarchical block: a multi-channel SoapySDR device as a stream of M-channel vectors.

:func:`soapy_args` checks the parameters; :func:`open_soapy` opens the device through gr-soapy
and :func:`configure` sets its channels. Every failure of the device becomes an exception whose
message is one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from gnuradio import blocks, gr, soapy

from ..validation import check_integer, check_number
from .device_errors import DeviceNotFoundError, DeviceSetupError


@dataclass(frozen=True)
class SoapyArgs:
    """The block's parameters, checked."""

    device_args: str
    num_channels: int
    sample_rate_hz: float
    frequency_hz: float
    gain_db: float
    antenna: str
    """The antenna of every channel; ``""``: the driver's default."""
    stream_args: str
    tune_args: str
    other_settings: str


def one_line(message: object) -> str:
    """``message`` as one line."""
    return " ".join(str(message).split())


def check_text(value: str, name: str) -> str:
    """``value`` without surrounding blanks if it is a string, else a ValueError naming ``name``."""
    if not isinstance(value, str):
        raise ValueError(f"{name}: must be a string, got {value!r}")
    return value.strip()


def check_positive_number(value: float, name: str) -> float:
    """``value`` as a float if it is a finite number above 0, else a ValueError naming ``name``."""
    number = check_number(value, name)
    if number <= 0:
        raise ValueError(f"{name}: must be a number above 0, got {value!r}")
    return number


def soapy_args(
    device_args: str,
    num_channels: int,
    sample_rate_hz: float,
    frequency_hz: float,
    gain_db: float,
    antenna: str,
    stream_args: str,
    tune_args: str,
    other_settings: str,
) -> SoapyArgs:
    """The :class:`SoapyArgs` of the block's parameters (see :class:`soapy_array_source`); a
    ValueError names the first invalid one."""
    return SoapyArgs(
        device_args=check_text(device_args, "device_args"),
        num_channels=check_integer(num_channels, "num_channels", 2),
        sample_rate_hz=check_positive_number(sample_rate_hz, "sample_rate_hz"),
        frequency_hz=check_positive_number(frequency_hz, "frequency_hz"),
        gain_db=check_number(gain_db, "gain_db"),
        antenna=check_text(antenna, "antenna"),
        stream_args=check_text(stream_args, "stream_args"),
        tune_args=check_text(tune_args, "tune_args"),
        other_settings=check_text(other_settings, "other_settings"),
    )


def driver_name(device_args: str) -> str:
    """The ``driver=`` value of SoapySDR device args (``"driver=rtlsdr,serial=1"``: ``"rtlsdr"``),
    or ``""``."""
    for pair in device_args.split(","):
        key, _, value = pair.partition("=")
        if key.strip() == "driver":
            return value.strip()
    return ""


def not_found_message(device_args: str) -> str:
    """The one line of a device that SoapySDR cannot make: either it is not there or the module
    of its driver is not installed (SoapySDR cannot tell the two apart)."""
    driver = driver_name(device_args)
    module = f"the SoapySDR module of driver {driver!r}" if driver else "the SoapySDR module of its driver"
    return (
        f"SoapySDR: no device found for device args {device_args!r} (is it connected, and is {module} "
        f"installed? SoapySDRUtil --info lists the modules, --find the devices)"
    )


@contextmanager
def device_step(what: str) -> Iterator[None]:
    """Turns gr-soapy's errors in the block into a :class:`DeviceSetupError` of one line on ``what``."""
    try:
        yield
    except (RuntimeError, ValueError) as error:
        raise DeviceSetupError(f"SoapySDR: {what}: {one_line(error)}") from None


def open_soapy(args: SoapyArgs) -> soapy.source:
    """A gr-soapy source of ``args.num_channels`` channels (complex float32);
    :class:`DeviceNotFoundError` if SoapySDR finds no device for ``args.device_args``."""
    try:
        return soapy.source(
            args.device_args,
            "fc32",
            args.num_channels,
            "",
            args.stream_args,
            [args.tune_args],
            [args.other_settings],
        )
    except RuntimeError as error:
        if "no match" in str(error):
            raise DeviceNotFoundError(not_found_message(args.device_args)) from None
        raise DeviceSetupError(
            f"SoapySDR: cannot open device args {args.device_args!r}: {one_line(error)}"
        ) from None
    except ValueError as error:  # gr-soapy's checks: channels, stream or tune arguments, settings
        raise DeviceSetupError(f"SoapySDR: device args {args.device_args!r}: {one_line(error)}") from None


def configure(source: soapy.source, args: SoapyArgs) -> None:
    """Sample rate, antenna (unless the driver's default), gain and frequency of every channel."""
    for channel in range(args.num_channels):
        with device_step(f"sample rate {args.sample_rate_hz} Hz on channel {channel}"):
            source.set_sample_rate(channel, args.sample_rate_hz)
        if args.antenna:
            with device_step(f"antenna {args.antenna!r} on channel {channel}"):
                source.set_antenna(channel, args.antenna)
        with device_step(f"gain {args.gain_db} dB on channel {channel}"):
            source.set_gain(channel, args.gain_db)
    tune(source, args.frequency_hz, args.num_channels)


def tune(source: soapy.source, frequency_hz: float, num_channels: int) -> None:
    """Tunes every channel to ``frequency_hz`` (hertz), one after the other (SoapySDR has no
    timed commands: each retune leaves new channel phase offsets to calibrate)."""
    for channel in range(num_channels):
        with device_step(f"frequency {frequency_hz} Hz on channel {channel}"):
            source.set_frequency(channel, frequency_hz)


class soapy_array_source(gr.hier_block2):
    """The M channels of one SoapySDR device as complex64 vectors of M samples, one vector per
    snapshot: the module's stream, as the capture source's.

    A gr-soapy source of M channels feeds a ``blocks.streams_to_vector``. For direction finding
    the M channels must be coherent, on one clock and one LO (a LimeSDR, a bladeRF 2.0, a USRP
    B210 through SoapyUHD, ...); an RTL-SDR has one channel. The channels' remaining phase
    offsets (and new ones after a retune) are removed downstream by the Coherence Calibrator
    (docs/sdr-sources.md).

    Args:
        device_args: SoapySDR device args (``"driver=lime"``, ``"driver=uhd,type=b200"``).
        num_channels: M, the channels streamed (0 .. M - 1), at least 2.
        sample_rate_hz: sample rate of every channel, hertz.
        frequency_hz: centre frequency of every channel, hertz.
        gain_db: overall gain of every channel, dB (the driver distributes it over its stages).
        antenna: antenna of every channel; empty: the driver's default.
        stream_args: SoapySDR stream args (``"bufflen=16384"``); empty: the driver's.
        tune_args: SoapySDR tune args of every channel (``"OFFSET=1e6"``); empty: none.
        other_settings: SoapySDR settings of every channel (``"biastee=true"``), or gains per
            stage (``"LNA=20,TIA=9"``); empty: none.

    Raises:
        ValueError: a parameter is invalid (the message names it).
        DeviceNotFoundError: no device answers ``device_args``, or its driver's SoapySDR module
            is missing.
        DeviceSetupError: the device refused a setting.

    Attributes:
        soapy: the gr-soapy source (its whole API).
        streams_to_vector: the ``blocks.streams_to_vector`` behind it.
        num_elements: M.
        frequency_hz: the current centre frequency, hertz.
    """

    def __init__(
        self,
        device_args: str = "driver=rtlsdr",
        num_channels: int = 2,
        sample_rate_hz: float = 1e6,
        frequency_hz: float = 2.4e9,
        gain_db: float = 30.0,
        antenna: str = "",
        stream_args: str = "",
        tune_args: str = "",
        other_settings: str = "",
    ) -> None:
        args = soapy_args(
            device_args,
            num_channels,
            sample_rate_hz,
            frequency_hz,
            gain_db,
            antenna,
            stream_args,
            tune_args,
            other_settings,
        )
        gr.hier_block2.__init__(
            self,
            "Bearing SoapySDR Array Source",
            gr.io_signature(0, 0, 0),
            gr.io_signature(1, 1, gr.sizeof_gr_complex * args.num_channels),
        )
        self.num_elements = args.num_channels
        self.soapy = open_soapy(args)
        configure(self.soapy, args)
        self.frequency_hz = args.frequency_hz
        self.streams_to_vector = blocks.streams_to_vector(gr.sizeof_gr_complex, args.num_channels)
        for channel in range(args.num_channels):
            self.connect((self.soapy, channel), (self.streams_to_vector, channel))
        self.connect(self.streams_to_vector, self)

    def retune(self, frequency_hz: float) -> None:
        """Moves every channel to ``frequency_hz`` (hertz), also while running."""
        frequency_hz = check_positive_number(frequency_hz, "frequency_hz")
        tune(self.soapy, frequency_hz, self.num_elements)
        self.frequency_hz = frequency_hz
