"""GNU Radio block: a live array's M-channel stream from a ZeroMQ publisher (gr-zeromq SUB)."""

from __future__ import annotations

import re

from gnuradio import gr, zeromq

from ..validation import check_integer

ADDRESS_PATTERN = re.compile(r"^(tcp://[^\s:/]+:\d{1,5}|ipc://\S+|inproc://\S+)$")
"""What a ZeroMQ endpoint looks like here: ``tcp://HOST:PORT``, ``ipc://PATH`` or ``inproc://NAME``."""


def check_zmq_address(address: str) -> str:
    """``address`` if it is a ZeroMQ endpoint (:data:`ADDRESS_PATTERN`), else a ValueError naming it."""
    if not isinstance(address, str) or not ADDRESS_PATTERN.match(address):
        raise ValueError(
            f"ZeroMQ address {address!r}: expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:5555), "
            "ipc://PATH or inproc://NAME"
        )
    return address


class zmq_array_source(gr.hier_block2):
    """Subscribes to a ZeroMQ PUB socket that sends raw ``complex64`` items of ``num_elements``
    channels, interleaved per snapshot (sample ``n`` of channel ``m`` at ``n * M + m``), with no
    tags: an SDR host, ``bearing simulate-live --zmq`` or any program in another process or on
    another machine. GNU Radio's own ``zeromq.sub_source`` does the work.

    A subscriber receives what is published after it connected: start the flowgraph before the
    publisher streams (``bearing simulate-live --start-delay``) when sample indices matter. A
    publisher that stops simply stops the items; the live flowgraph's watchdog ends the run
    (``bearing live``).

    Args:
        address: the publisher's endpoint (:data:`ADDRESS_PATTERN`), connected to.
        num_elements: M, channels per item.
        timeout_ms: receive poll timeout, milliseconds (how often the block checks for a stop).
        hwm: ZeroMQ high-water mark in messages (-1: ZeroMQ's default).
    """

    def __init__(
        self,
        address: str = "tcp://127.0.0.1:5555",
        num_elements: int = 4,
        timeout_ms: int = 100,
        hwm: int = -1,
    ):
        num_elements = check_integer(num_elements, "num_elements", 2)
        gr.hier_block2.__init__(
            self,
            "Bearing ZeroMQ Array Source",
            gr.io_signature(0, 0, 0),
            gr.io_signature(1, 1, gr.sizeof_gr_complex * num_elements),
        )
        self.address = check_zmq_address(address)
        self.subscriber = zeromq.sub_source(
            gr.sizeof_gr_complex,
            num_elements,
            self.address,
            check_integer(timeout_ms, "timeout_ms", 1),
            False,
            int(hwm),
        )
        self.connect(self.subscriber, self)
