"""A report's bytes in one ZeroMQ message of gr-zeromq's ZMQ PUB Message Sink.

The sink sends each message it is given as a serialised PMT. The Bearing Publisher gives it a
PDU: an empty metadata dict and the report's UTF-8 JSON as a u8 vector. Serialised
(``pmt_serial_tags.h``), that is::

    07 06 0a 00 <length: uint32, big-endian> 01 00 <length bytes of JSON>
    pair  null  u8 vector                  npad pad

:func:`report_bytes` takes that, a bare u8 vector (``0a 00 ...``) or a symbol
(``02 <length: uint16> <text>``), and checks that every declared length is the length of
what follows. PMT's own deserialiser trusts a declared length: six bytes on the wire can make
it allocate gigabytes. Anything else raises ValueError.
"""

from __future__ import annotations

PAIR, NULL, SYMBOL, UNIFORM_VECTOR, U8 = 0x07, 0x06, 0x02, 0x0A, 0x00


def report_bytes(message: bytes) -> bytes:
    """The report (JSON bytes) in one ZeroMQ message (module docstring)."""
    if message[:2] == bytes((PAIR, NULL)):
        message = message[2:]
    if message[:2] == bytes((UNIFORM_VECTOR, U8)) and len(message) >= 7:
        length = int.from_bytes(message[2:6], "big")
        npad = message[6]
        data = message[7 + npad :]
        if len(data) != length:
            raise ValueError(f"a u8 vector of {length} bytes declared, {len(data)} sent")
        return data
    if message[:1] == bytes((SYMBOL,)) and len(message) >= 3:
        length = int.from_bytes(message[1:3], "big")
        if len(message) - 3 != length:
            raise ValueError(f"a symbol of {length} bytes declared, {len(message) - 3} sent")
        return message[3:]
    raise ValueError("not a serialised PDU (empty metadata, u8 vector), u8 vector or symbol")
