"""The flowgraph of `bearing simulate-live --zmq`: a simulated live array published over ZeroMQ
(gr-zeromq PUB, raw complex64 vectors of M channels, no tags), so that `bearing live --source
zmq:ADDRESS` or any flowgraph with a ZeroMQ Array Source in another process or on another
machine can take it as it would an SDR host."""

from __future__ import annotations

import time

from gnuradio import blocks, gr, zeromq

from ..blocks.simulated_array_source import simulated_array_source
from ..blocks.zmq_array_source import check_zmq_address


class SimulationPublisher(gr.top_block):
    """simulated_array_source -> [head] -> zeromq.pub_sink.

    Args:
        preset: the simulator preset (``bearing simulate --preset``).
        address: the endpoint the publisher binds (``tcp://127.0.0.1:5555``).
        seconds: stop after this many seconds of stream (0: until stopped).
        channel_seed: the seed of the per-channel offsets (None: new at every start).
        noise_source_s: seconds of shared noise source at the start.
    """

    def __init__(
        self,
        preset: str,
        address: str,
        seconds: float = 0.0,
        channel_seed: int | None = None,
        noise_source_s: float = 0.0,
    ) -> None:
        gr.top_block.__init__(self, "Bearing simulated live array publisher", catch_exceptions=False)
        self.source = simulated_array_source(
            preset=preset,
            channel_seed=-1 if channel_seed is None else int(channel_seed),
            noise_source_s=float(noise_source_s),
        )
        channels = self.source.num_elements
        self.publisher = zeromq.pub_sink(
            gr.sizeof_gr_complex, channels, check_zmq_address(address), 100, False, -1
        )
        upstream = self.source
        if seconds:
            self.head = blocks.head(
                gr.sizeof_gr_complex * channels, round(seconds * self.source.sample_rate_hz)
            )
            self.connect(upstream, self.head)
            upstream = self.head
        self.connect(upstream, self.publisher)

    def publish(self, start_delay_s: float = 0.0) -> None:
        """Waits ``start_delay_s`` (the socket is bound already: subscribers connect meanwhile, and
        a subscriber receives only what is published after it joined), then streams until the
        end or Ctrl-C."""
        try:
            time.sleep(start_delay_s)
            self.start()
            self.wait()
        except KeyboardInterrupt:
            self.stop()
            self.wait()
