"""The Heimdall DAQ firmware's IQ frames and control commands (KrakenSDR, KerberosSDR): bytes only.

The Heimdall DAQ (https://github.com/krakenrf/heimdall_daq_fw, the reference for every layout
here) serves its coherent multi-channel IQ on two TCP ports; this module encodes and decodes what
goes over them, without a socket (the KrakenSDR Source block does the I/O).

**IQ data port** (5000, ``Firmware/_daq_core/iq_server.c`` and ``eth_server.h``): the client
connects and sends ``b"streaming"``; the server answers with one frame, then sends the next frame
each time the client sends ``b"IQDownload"``; anything else (the client sends ``b"q"``,
``krakensdr_doa``'s ``_sdr/_receiver/kraken_sdr_receiver.py``) closes the stream. A frame is a
1024-byte header (:class:`IQHeader`, ``Firmware/_daq_core/iq_header.h``) followed by
``cpi_length * active_ant_chs`` complex samples, little-endian float32 I and Q, channel by channel
(all of channel 0, then channel 1, ...); a DUMMY frame has ``cpi_length`` 0 and no payload.

**Control port** (5001, ``Firmware/_daq_core/hw_controller.py``, ``CtrIfaceServer``): 128-byte
requests, a 4-character ASCII command and 124 bytes of parameters (zero padded); the server
answers ``b"FNSD"`` and 124 zero bytes once the request took effect (``EXIT`` closes the
connection without an answer). ``FREQ``: the RF centre frequency, uint64 in Hz; ``GAIN``: one
uint32 per channel, the IF gain in tenths of a dB, one of :data:`VALID_GAINS_TENTH_DB`;
``AGC ``: automatic gain; ``INIT``: no operation.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

HEADER_BYTES = 1024
"""``IQ_HEADER_LENGTH`` of ``iq_header.h``: the header's size on the wire."""

SYNC_WORD = 0x2BF7B95A
"""``SYNC_WORD`` of ``iq_header.h``: the first field of every header."""

HEADER_VERSION = 7
"""The header version this module reads: the one ``rtl_daq.c`` writes (``iq_header->header_version = 7``;
version 7 introduced the sync word, krakensdr_doa's ``iq_header.py`` history)."""

FRAME_TYPE_DATA = 0
"""A frame of antenna samples (``FRAME_TYPE_DATA``, ``iq_header.h``)."""
FRAME_TYPE_DUMMY = 1
"""A frame without samples, sent while the receivers settle after a change (``cpi_length`` 0)."""
FRAME_TYPE_RAMP = 2
"""A test pattern of the firmware's unit tests (``Firmware/_testing/unit_test/gen_ramp.py``)."""
FRAME_TYPE_CAL = 3
"""A frame taken with the shared noise source on (calibration: ``noise_source_state`` 1)."""
FRAME_TYPE_TRIGW = 4
"""Trigger wait: the squelch holds the stream (``Firmware/_testing/unit_test/test_squelch.py``)."""

FRAME_TYPE_NAMES = {
    FRAME_TYPE_DATA: "DATA",
    FRAME_TYPE_DUMMY: "DUMMY",
    FRAME_TYPE_RAMP: "RAMP",
    FRAME_TYPE_CAL: "CAL",
    FRAME_TYPE_TRIGW: "TRIGW",
}

SAMPLE_BIT_DEPTH = 32
"""``sample_bit_depth`` of the frames the IQ server sends (complex float32, set by ``fir_decimate.c``)."""

STREAMING_REQUEST = b"streaming"
"""What the client sends first on the IQ port (``eth_server.h``, ``iq_stream_con``)."""
FRAME_REQUEST = b"IQDownload"
"""What the client sends for each next frame (``iq_server.c``)."""
QUIT_REQUEST = b"q"
"""What the client sends to end the stream (``kraken_sdr_receiver.py``, ``eth_close``)."""

CONTROL_FRAME_BYTES = 128
"""The size of a control request and of its answer (``hw_controller.py``, ``process_ctr_frame``)."""
CONTROL_DONE = b"FNSD"
"""The answer's command once the request took effect."""
CONTROL_COMMANDS = ("INIT", "FREQ", "GAIN", "AGC ", "STHU", "EXIT")
"""The commands ``hw_controller.py`` knows (``STHU``: squelch threshold, float32)."""

VALID_GAINS_TENTH_DB = (
    *(0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254),
    *(280, 297, 328, 338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496),
)
"""The R820T tuner's IF gains in tenths of a dB, the only ``GAIN`` values the DAQ applies
(``hw_controller.py``, ``HWC.valid_gains``; others are logged there and ignored)."""

# iq_header.h's struct iq_header_struct as the C compiler lays it out: the uint64 fields are
# 8-byte aligned, hence the 4 pad bytes ("4x") before rf_center_freq (offset 40) and before
# time_stamp (72); header_version is at 1020. The firmware's iq_header.py packs with native
# alignment, which gives the same bytes on the x86-64 and ARM machines the DAQ runs on.
_HEADER = struct.Struct("<II16sIII4xQQQI4xQIIQIII32IIIII192II")


class HeimdallError(ValueError):
    """Bytes that are not a valid Heimdall frame or control message (the message is one line)."""


@dataclass
class IQHeader:
    """The 1024-byte header of an IQ frame: ``struct iq_header_struct`` of ``iq_header.h``.

    The fields keep the firmware's names (and its units: Hz, milliseconds, tenths of a dB);
    :attr:`frequency_hz` and :attr:`sample_rate_hz` name the two the blocks use.
    """

    frame_type: int = FRAME_TYPE_DATA
    hardware_id: str = ""
    """The ``[hw] name`` of daq_chain_config.ini, e.g. ``"kraken5"`` (at most 16 bytes)."""
    unit_id: int = 0
    active_ant_chs: int = 0
    """The number of channels in the payload."""
    ioo_type: int = 0
    rf_center_freq: int = 0
    """RF centre frequency, Hz."""
    adc_sampling_freq: int = 0
    """The tuners' sample rate, Hz."""
    sampling_freq: int = 0
    """The payload's sample rate (after decimation), Hz."""
    cpi_length: int = 0
    """Samples per channel in the payload (0 in a DUMMY frame)."""
    time_stamp: int = 0
    """Unix time of the frame, milliseconds."""
    daq_block_index: int = 0
    cpi_index: int = 0
    ext_integration_cntr: int = 0
    data_type: int = 0
    """0 dummy, 1 raw, 2 IQ, 3 decimated IQ (``rtl_daq.c``, ``fir_decimate.c``)."""
    sample_bit_depth: int = SAMPLE_BIT_DEPTH
    adc_overdrive_flags: int = 0
    """Bit m set: channel m's ADC clipped during the frame."""
    if_gains: tuple[int, ...] = (0,) * 32
    """32 IF gains, tenths of a dB (the first ``active_ant_chs`` are used)."""
    delay_sync_flag: int = 0
    """1: the channels are sample-synchronised (``delay_sync.py``)."""
    iq_sync_flag: int = 0
    """1: the channels' phases are calibrated (``delay_sync.py``)."""
    sync_state: int = 0
    """The delay synchroniser's state, 0 .. 6 (5: track, 6: track lock)."""
    noise_source_state: int = 0
    """1: the shared noise source was on during the frame."""
    header_version: int = HEADER_VERSION
    sync_word: int = SYNC_WORD

    @classmethod
    def from_bytes(cls, data: bytes) -> IQHeader:
        """The header in the first 1024 bytes of ``data``; :class:`HeimdallError` on a truncated
        header, a wrong sync word, a header version other than 7 or an unknown frame type."""
        if len(data) < HEADER_BYTES:
            raise HeimdallError(f"truncated IQ header: {len(data)} of {HEADER_BYTES} bytes")
        values = _HEADER.unpack_from(data)
        if values[0] != SYNC_WORD:
            raise HeimdallError(
                f"bad sync word 0x{values[0]:08x} (expected 0x{SYNC_WORD:08x}): not a Heimdall IQ frame, "
                "or the stream lost its alignment"
            )
        header = cls(
            sync_word=values[0],
            frame_type=values[1],
            hardware_id=values[2].split(b"\0", 1)[0].decode("utf-8", "replace"),
            unit_id=values[3],
            active_ant_chs=values[4],
            ioo_type=values[5],
            rf_center_freq=values[6],
            adc_sampling_freq=values[7],
            sampling_freq=values[8],
            cpi_length=values[9],
            time_stamp=values[10],
            daq_block_index=values[11],
            cpi_index=values[12],
            ext_integration_cntr=values[13],
            data_type=values[14],
            sample_bit_depth=values[15],
            adc_overdrive_flags=values[16],
            if_gains=tuple(values[17:49]),
            delay_sync_flag=values[49],
            iq_sync_flag=values[50],
            sync_state=values[51],
            noise_source_state=values[52],
            header_version=values[-1],
        )
        if header.header_version != HEADER_VERSION:
            raise HeimdallError(
                f"unsupported IQ header version {header.header_version} (this reader knows version "
                f"{HEADER_VERSION}, the one of heimdall_daq_fw's rtl_daq.c)"
            )
        if header.frame_type not in FRAME_TYPE_NAMES:
            raise HeimdallError(f"unknown frame type {header.frame_type} (known: {_known_frame_types()})")
        return header

    def to_bytes(self) -> bytes:
        """The 1024 bytes of the header on the wire (reserved words zero)."""
        hardware_id = self.hardware_id.encode()
        if len(hardware_id) > 16:
            raise HeimdallError(f"hardware_id: at most 16 bytes, got {self.hardware_id!r}")
        if len(self.if_gains) != 32:
            raise HeimdallError(f"if_gains: 32 values, got {len(self.if_gains)}")
        try:
            return _HEADER.pack(
                *(self.sync_word, self.frame_type, hardware_id, self.unit_id, self.active_ant_chs),
                *(self.ioo_type, self.rf_center_freq, self.adc_sampling_freq, self.sampling_freq),
                *(self.cpi_length, self.time_stamp, self.daq_block_index, self.cpi_index),
                *(self.ext_integration_cntr, self.data_type, self.sample_bit_depth),
                *(self.adc_overdrive_flags, *self.if_gains, self.delay_sync_flag, self.iq_sync_flag),
                *(self.sync_state, self.noise_source_state, *(0,) * 192, self.header_version),
            )
        except struct.error as error:
            raise HeimdallError(f"IQ header field out of range: {error}") from None

    @property
    def frame_type_name(self) -> str:
        """``"DATA"``, ``"DUMMY"``, ``"RAMP"``, ``"CAL"`` or ``"TRIGW"``."""
        return FRAME_TYPE_NAMES[self.frame_type]

    @property
    def frequency_hz(self) -> float:
        """The RF centre frequency, Hz."""
        return float(self.rf_center_freq)

    @property
    def sample_rate_hz(self) -> float:
        """The payload's sample rate, Hz."""
        return float(self.sampling_freq)

    @property
    def payload_bytes(self) -> int:
        """The size of the payload that follows the header: ``cpi_length * active_ant_chs`` complex
        samples of ``sample_bit_depth`` bits per part (what ``kraken_sdr_receiver.py`` reads)."""
        return self.cpi_length * self.active_ant_chs * 2 * (self.sample_bit_depth // 8)


def decode_payload(header: IQHeader, payload: bytes) -> np.ndarray:
    """The frame's samples as a ``(cpi_length, active_ant_chs)`` complex64 array (one row per
    snapshot of all channels, the package's layout), from the channel-major payload."""
    if header.cpi_length and header.sample_bit_depth != SAMPLE_BIT_DEPTH:
        raise HeimdallError(
            f"unsupported sample_bit_depth {header.sample_bit_depth} (the IQ server sends complex "
            f"float32: {SAMPLE_BIT_DEPTH})"
        )
    if len(payload) != header.payload_bytes:
        raise HeimdallError(
            f"truncated IQ payload: {len(payload)} of {header.payload_bytes} bytes "
            f"({header.active_ant_chs} channels x {header.cpi_length} samples)"
        )
    samples = np.frombuffer(payload, dtype="<c8").reshape(header.active_ant_chs, header.cpi_length)
    return np.ascontiguousarray(samples.T, dtype=np.complex64)


def encode_payload(samples: np.ndarray) -> bytes:
    """The payload of ``samples``, a ``(num_samples, num_channels)`` complex array: channel by
    channel, complex float32 little endian (the inverse of :func:`decode_payload`)."""
    samples = np.asarray(samples)
    if samples.ndim != 2:
        raise HeimdallError(f"samples: a (num_samples, num_channels) array, got shape {samples.shape}")
    return np.ascontiguousarray(samples.T, dtype="<c8").tobytes()


def decode_frame(data: bytes) -> tuple[IQHeader, np.ndarray]:
    """A whole frame (header and payload, nothing after): its header and its samples
    (:func:`decode_payload`)."""
    header = IQHeader.from_bytes(data)
    return header, decode_payload(header, data[HEADER_BYTES:])


def encode_frame(header: IQHeader, samples: np.ndarray) -> bytes:
    """Header and payload on the wire; ``samples`` ``(cpi_length, active_ant_chs)``, as the header says."""
    expected = (header.cpi_length, header.active_ant_chs)
    if np.shape(samples) != expected:
        raise HeimdallError(
            f"samples: shape {expected} (cpi_length, active_ant_chs), got {np.shape(samples)}"
        )
    return header.to_bytes() + encode_payload(samples)


def status(header: IQHeader) -> dict:
    """The DAQ's state in ``header`` as the KrakenSDR Source's ``status`` message fields (see
    ``blocks/messages.py``): frame type name, noise source, sample and IQ sync, ADC overdrive on
    any channel, frequency and sample rate in Hz."""
    return {
        "frame_type": header.frame_type_name,
        "noise_source": bool(header.noise_source_state),
        "sample_sync": bool(header.delay_sync_flag),
        "iq_sync": bool(header.iq_sync_flag),
        "overdrive": bool(header.adc_overdrive_flags),
        "frequency_hz": header.frequency_hz,
        "sample_rate_hz": header.sample_rate_hz,
    }


def encode_control(command: str, parameters: bytes = b"") -> bytes:
    """A 128-byte control request: the 4-character ``command`` and its ``parameters``, zero padded."""
    if command not in CONTROL_COMMANDS:
        known = ", ".join(map(repr, CONTROL_COMMANDS))
        raise HeimdallError(f"unknown control command {command!r} (known: {known})")
    if len(parameters) > CONTROL_FRAME_BYTES - 4:
        raise HeimdallError(
            f"control parameters: at most {CONTROL_FRAME_BYTES - 4} bytes, got {len(parameters)}"
        )
    return command.encode("ascii") + parameters + bytes(CONTROL_FRAME_BYTES - 4 - len(parameters))


def decode_control(frame: bytes) -> tuple[str, bytes]:
    """The command and the 124 parameter bytes of a control request or answer."""
    if len(frame) != CONTROL_FRAME_BYTES:
        raise HeimdallError(f"control message: {CONTROL_FRAME_BYTES} bytes, got {len(frame)}")
    return frame[:4].decode("ascii", "replace"), frame[4:]


def frequency_command(frequency_hz: float) -> bytes:
    """The ``FREQ`` request: the RF centre frequency as a uint64 in Hz (rounded)."""
    frequency_hz = float(frequency_hz)
    if not 0 < frequency_hz < 2.0**64:
        raise HeimdallError(f"frequency_hz: must be a positive frequency in Hz, got {frequency_hz}")
    return encode_control("FREQ", struct.pack("<Q", round(frequency_hz)))


def decode_frequency(frame: bytes) -> int:
    """The frequency in Hz of a ``FREQ`` request."""
    command, parameters = decode_control(frame)
    if command != "FREQ":
        raise HeimdallError(f"not a FREQ request: {command!r}")
    return struct.unpack_from("<Q", parameters)[0]


def gain_command(gains_db: Sequence[float]) -> bytes:
    """The ``GAIN`` request: one IF gain per channel, in dB, each one of :data:`VALID_GAINS_TENTH_DB`
    divided by 10 (sent as uint32 tenths of a dB)."""
    tenths = [round(float(gain) * 10) for gain in gains_db]
    if not tenths or len(tenths) > 31:
        raise HeimdallError(f"gains_db: one gain per channel (1 .. 31 channels), got {len(tenths)}")
    for gain, tenth in zip(gains_db, tenths, strict=True):
        if tenth not in VALID_GAINS_TENTH_DB or abs(float(gain) * 10 - tenth) > 1e-6:
            valid = ", ".join(f"{value / 10:g}" for value in VALID_GAINS_TENTH_DB)
            raise HeimdallError(f"gain {float(gain):g} dB: the R820T tuner takes only {valid} dB")
    return encode_control("GAIN", struct.pack(f"<{len(tenths)}I", *tenths))


def decode_gains(frame: bytes, num_channels: int) -> tuple[float, ...]:
    """The gains in dB of a ``GAIN`` request for ``num_channels`` channels."""
    command, parameters = decode_control(frame)
    if command != "GAIN":
        raise HeimdallError(f"not a GAIN request: {command!r}")
    return tuple(value / 10 for value in struct.unpack_from(f"<{num_channels}I", parameters))


def _known_frame_types() -> str:
    return ", ".join(f"{value} {name}" for value, name in FRAME_TYPE_NAMES.items())
