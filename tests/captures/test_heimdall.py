"""The Heimdall DAQ's IQ frames and control requests (heimdall_daq_fw iq_header.h, hw_controller.py)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from gnuradio.bearing.captures import heimdall
from gnuradio.bearing.captures.heimdall import HeimdallError, IQHeader

# struct iq_header_struct (Firmware/_daq_core/iq_header.h) as gcc lays it out on x86-64 and ARM:
# field -> (byte offset, struct code); the uint64 fields sit on 8-byte boundaries.
LAYOUT = {
    "sync_word": (0, "I"),
    "frame_type": (4, "I"),
    "unit_id": (24, "I"),
    "active_ant_chs": (28, "I"),
    "ioo_type": (32, "I"),
    "rf_center_freq": (40, "Q"),
    "adc_sampling_freq": (48, "Q"),
    "sampling_freq": (56, "Q"),
    "cpi_length": (64, "I"),
    "time_stamp": (72, "Q"),
    "daq_block_index": (80, "I"),
    "cpi_index": (84, "I"),
    "ext_integration_cntr": (88, "Q"),
    "data_type": (96, "I"),
    "sample_bit_depth": (100, "I"),
    "adc_overdrive_flags": (104, "I"),
    "delay_sync_flag": (236, "I"),
    "iq_sync_flag": (240, "I"),
    "sync_state": (244, "I"),
    "noise_source_state": (248, "I"),
    "header_version": (1020, "I"),
}
HARDWARE_ID_OFFSET = 8
IF_GAINS_OFFSET = 108

VALUES = {
    "sync_word": 0x2BF7B95A,
    "frame_type": heimdall.FRAME_TYPE_CAL,
    "unit_id": 3,
    "active_ant_chs": 5,
    "ioo_type": 1,
    "rf_center_freq": 433_920_000,
    "adc_sampling_freq": 2_400_000,
    "sampling_freq": 1_200_000,
    "cpi_length": 4,
    "time_stamp": 1_700_000_000_123,
    "daq_block_index": 17,
    "cpi_index": 42,
    "ext_integration_cntr": 2**40 + 5,
    "data_type": 3,
    "sample_bit_depth": 32,
    "adc_overdrive_flags": 0b00100,
    "delay_sync_flag": 1,
    "iq_sync_flag": 1,
    "sync_state": 6,
    "noise_source_state": 1,
    "header_version": 7,
}
IF_GAINS = tuple(range(100, 132))


def header_bytes(**changes: int) -> bytearray:
    """A header written field by field at the C struct's offsets (not through the module)."""
    data = bytearray(1024)
    for name, value in (VALUES | changes).items():
        offset, code = LAYOUT[name]
        struct.pack_into("<" + code, data, offset, value)
    data[HARDWARE_ID_OFFSET : HARDWARE_ID_OFFSET + 7] = b"kraken5"
    struct.pack_into("<32I", data, IF_GAINS_OFFSET, *IF_GAINS)
    return data


def test_header_reads_and_writes_the_firmware_layout():
    data = header_bytes()
    header = IQHeader.from_bytes(bytes(data))
    assert {name: getattr(header, name) for name in VALUES} == VALUES
    assert header.hardware_id == "kraken5"
    assert header.if_gains == IF_GAINS
    assert header.frame_type_name == "CAL"
    assert (header.frequency_hz, header.sample_rate_hz) == (433.92e6, 1.2e6)
    assert header.payload_bytes == 4 * 5 * 8
    assert header.to_bytes() == bytes(data)


def test_header_round_trip_from_the_dataclass():
    header = IQHeader(frame_type=heimdall.FRAME_TYPE_DUMMY, hardware_id="kerberos", active_ant_chs=4)
    assert len(header.to_bytes()) == heimdall.HEADER_BYTES
    assert IQHeader.from_bytes(header.to_bytes()) == header
    assert header.payload_bytes == 0


def test_bad_sync_word_is_refused_naming_it():
    with pytest.raises(HeimdallError, match=r"bad sync word 0x12345678 \(expected 0x2bf7b95a\)"):
        IQHeader.from_bytes(bytes(header_bytes(sync_word=0x12345678)))


def test_unknown_version_and_frame_type_are_refused():
    with pytest.raises(HeimdallError, match=r"unsupported IQ header version 6"):
        IQHeader.from_bytes(bytes(header_bytes(header_version=6)))
    with pytest.raises(HeimdallError, match=r"unknown frame type 9"):
        IQHeader.from_bytes(bytes(header_bytes(frame_type=9)))


def test_truncated_header_and_payload_are_refused_with_their_sizes():
    data = bytes(header_bytes())
    with pytest.raises(HeimdallError, match=r"truncated IQ header: 1000 of 1024 bytes"):
        IQHeader.from_bytes(data[:1000])
    payload = bytes(160)
    with pytest.raises(HeimdallError, match=r"truncated IQ payload: 152 of 160 bytes"):
        heimdall.decode_frame(data + payload[:-8])


def test_payload_is_channel_major_and_comes_out_one_row_per_snapshot():
    header = IQHeader(active_ant_chs=3, cpi_length=4)
    # Channel m, sample n: n + 10j m; on the wire all of channel 0 first.
    channel_major = np.arange(4)[np.newaxis, :] + 10j * np.arange(3)[:, np.newaxis]
    payload = channel_major.astype("<c8").tobytes()
    samples = heimdall.decode_payload(header, payload)
    assert samples.shape == (4, 3)
    assert samples.dtype == np.complex64
    assert samples.flags.c_contiguous
    np.testing.assert_array_equal(samples, channel_major.T)
    assert heimdall.encode_payload(samples) == payload
    frame = heimdall.encode_frame(header, samples)
    decoded_header, decoded = heimdall.decode_frame(frame)
    assert decoded_header == header
    np.testing.assert_array_equal(decoded, samples)


def test_only_complex_float32_samples_are_read():
    header = IQHeader(active_ant_chs=2, cpi_length=4, sample_bit_depth=8)
    with pytest.raises(HeimdallError, match=r"unsupported sample_bit_depth 8"):
        heimdall.decode_payload(header, bytes(header.payload_bytes))


def test_status_fields():
    header = IQHeader.from_bytes(bytes(header_bytes(delay_sync_flag=0)))
    assert heimdall.status(header) == {
        "frame_type": "CAL",
        "noise_source": True,
        "sample_sync": False,
        "iq_sync": True,
        "overdrive": True,
        "frequency_hz": 433.92e6,
        "sample_rate_hz": 1.2e6,
    }


def test_frequency_request_is_the_firmware_bytes():
    request = heimdall.frequency_command(915e6)
    assert request == b"FREQ" + struct.pack("<Q", 915_000_000) + bytes(116)
    assert heimdall.decode_frequency(request) == 915_000_000
    with pytest.raises(HeimdallError, match=r"frequency_hz: must be a positive frequency"):
        heimdall.frequency_command(-1.0)


def test_gain_request_takes_only_the_tuner_gains():
    request = heimdall.gain_command([49.6, 0.0, 29.7])
    assert request == b"GAIN" + struct.pack("<3I", 496, 0, 297) + bytes(112)
    assert heimdall.decode_gains(request, 3) == (49.6, 0.0, 29.7)
    with pytest.raises(HeimdallError, match=r"gain 30 dB: the R820T tuner takes only 0, 0.9, .* 49.6 dB"):
        heimdall.gain_command([30])


def test_control_requests_are_128_bytes_of_known_commands():
    assert heimdall.encode_control("EXIT") == b"EXIT" + bytes(124)
    assert heimdall.decode_control(heimdall.encode_control("AGC ")) == ("AGC ", bytes(124))
    with pytest.raises(HeimdallError, match=r"unknown control command 'TUNE'"):
        heimdall.encode_control("TUNE")
    with pytest.raises(HeimdallError, match=r"control message: 128 bytes, got 4"):
        heimdall.decode_control(b"FNSD")
