"""A station's estimates to ZeroMQ: Bearing Publisher blocks into gr-zeromq's ZMQ PUB Message
Sink, added to a replay or live flowgraph (``--publish``)."""

from __future__ import annotations

from dataclasses import dataclass

from gnuradio import gr, zeromq

from ..blocks.bearing_publisher import REPORTS_PORT, bearing_publisher
from ..positioning.report import StationPose
from .fusion_service import is_loopback

ZMQ_TIMEOUT_MS = 100


@dataclass(frozen=True)
class PublishSettings:
    """Where and as whom a station publishes (docs/positioning.md).

    ``bind``: the station's PUB socket binds ``address`` (``bearing locate --connect`` comes to
    it), which must be a loopback address: gr-zeromq's sockets have no CURVE; otherwise it
    connects to a ``bearing locate --listen`` at ``address``. ``wait_s``: how long the
    flowgraph waits after making the socket before it starts, so that subscribers are connected
    when the first report goes (a ZeroMQ PUB socket drops what it sends before then).
    ``realtime_start_s``: pace the reports as a live station's (Bearing Publisher)."""

    address: str
    station_id: str
    pose: StationPose
    sample_rate_hz: float
    segment_times: tuple[tuple[int, float], ...] = ()
    azimuth_std_deg: float = 1.0
    elevation_std_deg: float = 1.0
    bind: bool = True
    wait_s: float = 1.0
    realtime_start_s: float | None = None

    def __post_init__(self) -> None:
        if self.bind and not is_loopback(self.address):
            raise ValueError(
                f"--publish {self.address}: a station binds the loopback address only (gr-zeromq's "
                "sockets have no CURVE); reach other machines through an SSH tunnel (docs/positioning.md)"
            )


def add_publisher(
    flowgraph: gr.top_block, outputs: list[tuple], settings: PublishSettings
) -> tuple[list, object]:
    """Connects a Bearing Publisher to each ``(block, port)`` of ``outputs`` (one per estimation
    chain) and all of them to one ZMQ PUB Message Sink; returns the publishers and the sink
    (keep references to them)."""
    publishers = [
        bearing_publisher.for_pose(
            settings.station_id,
            settings.pose,
            settings.sample_rate_hz,
            settings.azimuth_std_deg,
            settings.elevation_std_deg,
            settings.segment_times,
            settings.realtime_start_s,
        )
        for _ in outputs
    ]
    sink = zeromq.pub_msg_sink(settings.address, ZMQ_TIMEOUT_MS, settings.bind)
    for output, publisher in zip(outputs, publishers, strict=True):
        flowgraph.msg_connect(output, (publisher, "bearings"))
        flowgraph.msg_connect((publisher, REPORTS_PORT), (sink, "in"))
    return publishers, sink
