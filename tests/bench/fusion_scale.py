"""One fusion process under 100 stations x 10 emitters x 10 estimates per second, on one core.

    .venv/bin/python tests/bench/fusion_scale.py [--stations 100] [--emitters 10] [--rate 10] [--seconds 10]

The reports are made first, as the stations would send them (each a serialised PMT PDU of
the JSON report, what gr-zeromq's ZMQ PUB Message Sink puts on the wire: stations 2 km
around a 1 km square, emitters walking in it, each station's bearings labelled with their
emitter as an SRS UE's, 1 deg noise), in the order they would arrive (time order, stations
interleaved). Then one process reads them as `bearing locate` does (wire format, JSON checks,
the engine with `--stations N`) and the bench prints, side by side: the seconds of CPU per
second of scene (under 1: it keeps up on one core), the reports and fixes per second, and
the latency of a fix: the CPU time from the arrival of the epoch's last report to the fix,
median and maximum. BLAS is held to one thread. The machine is shared: the load average is
printed beside the figures.
"""

from __future__ import annotations

import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pmt  # noqa: E402
from gnuradio.bearing.array.orientation import Orientation  # noqa: E402
from gnuradio.bearing.positioning.frames import LocalFrame, true_bearing_deg  # noqa: E402
from gnuradio.bearing.positioning.fusion import FusionEngine, FusionSettings  # noqa: E402
from gnuradio.bearing.positioning.report import StationPose, decode_report, encode_report  # noqa: E402
from gnuradio.bearing.positioning.wire import report_bytes  # noqa: E402

ORIGIN = LocalFrame(48.8566, 2.3522, 35.0)


def pdu(text: str) -> bytes:
    """The bytes gr-zeromq sends for a PDU of empty metadata and ``text`` as a u8 vector."""
    data = text.encode()
    return pmt.serialize_str(pmt.cons(pmt.make_dict(), pmt.init_u8vector(len(data), list(data))))


def messages(stations: int, emitters: int, rate_hz: float, seconds: float, seed: int = 0) -> list[bytes]:
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, stations)
    enu = np.stack((2000 * np.sin(angle), 2000 * np.cos(angle), np.zeros(stations)), axis=1)
    heading = (np.rad2deg(angle) + 180.0) % 360.0  # each looks at the centre
    geodetic = ORIGIN.to_geodetic(enu)
    start = rng.uniform(-500, 500, (emitters, 2))
    velocity = rng.uniform(-2, 2, (emitters, 2))
    out = []
    for k in range(int(seconds * rate_hz)):
        t = (k + 0.5) / rate_hz
        positions = np.hstack((start + velocity * t, np.zeros((emitters, 1))))
        for s in range(stations):
            azimuth, _ = true_bearing_deg(positions - enu[s])
            local = (azimuth - heading[s] + 180.0) % 360.0 - 180.0 + rng.normal(0, 1.0, emitters)
            pose = StationPose(Orientation(float(heading[s])), tuple(geodetic[s]), True)
            fields = {
                "station": {"id": f"s{s}"} | pose.to_dict(),
                "time_s": t,
                "method": "music",
                "bearings": [
                    {"azimuth_deg": float(a), "azimuth_std_deg": 1.0, "emitter": f"ue-{e}"}
                    for e, a in enumerate(local)
                ],
            }
            out.append(pdu(encode_report(fields)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--emitters", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="estimates per second per station")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of scene")
    args = parser.parse_args()
    wire = messages(args.stations, args.emitters, args.rate, args.seconds)
    engine = FusionEngine(FusionSettings(fix_interval_s=1.0 / args.rate, expected_stations=args.stations))
    latencies = []
    start = time.process_time()
    for message in wire:
        before = time.process_time()
        fixes = engine.add(decode_report(report_bytes(message)))
        if fixes:
            latencies.append(time.process_time() - before)
    engine.flush()
    cpu = time.process_time() - start
    scene = args.seconds
    rows = [
        ("stations x emitters x rate", f"{args.stations} x {args.emitters} x {args.rate:g} Hz"),
        ("reports (bearings)", f"{len(wire)} ({len(wire) * args.emitters})"),
        ("fixes", str(engine.counts["fixes"])),
        ("CPU seconds per second of scene", f"{cpu / scene:.3f}"),
        ("reports per CPU second", f"{len(wire) / cpu:.0f}"),
        ("fixes per CPU second", f"{engine.counts['fixes'] / cpu:.0f}"),
        ("fix latency after the epoch's last report, median ms", f"{1e3 * np.median(latencies):.1f}"),
        ("fix latency, max ms", f"{1e3 * np.max(latencies):.1f}"),
        ("load average (1 min) during the run", f"{os.getloadavg()[0]:.2f}"),
    ]
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
