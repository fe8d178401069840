"""Benchmark: SRS extractor throughput as a multiple of real time, 4 channels replayed from memory.

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/srs_throughput.py [--seconds 2] [--feed vector|tmpfs]

Prints markdown tables (docs/srs.md records the latest run). The input is a simulated
continuous recording (the demo 4-element ULA, noise on, UEs at 20 dB) of ``--recording-slots``
slots from frame 0, slot 0, replayed in a loop from memory into ``srs_extractor`` built from
parameters (carrier, SRS configurations, start at frame 0, slot 0, symbol 0). Each UE sends
comb-2 SRS over the widest C_SRS that fits (48 RB at 20 MHz, 272 RB at 100 MHz) in symbol 13
of every ``T_SRS``-th slot. The run stops at a ``blocks.head`` after the extractor, so no
full-rate copy is added. Feeds: ``vector`` (default), ``blocks.vector_source_c(repeat=True,
vlen=4)``; ``tmpfs``, ``blocks.file_source(repeat=True)`` on a file in /dev/shm.

1. Throughput at 20 MHz (30.72 Msps, n_fft 1024) and 100 MHz (122.88 Msps, n_fft 4096): one
   UE at ``T_SRS`` 10, 2 and 1 slots; two UEs at 10, on two combs and on one comb (cyclic
   shifts 0 and 4: the estimator's cyclic-shift window and fine-timing passes). Real time
   factor: signal duration over the wall time of ``tb.run()`` (setup excluded); the signal
   counted is what the Python estimator consumed (it runs about 127 windows ahead of the
   head, so a row holds more than ``--seconds``), work still buffered upstream is charged to
   the wall time. Python share: time inside the estimator's ``handle_general_work`` and
   ``handle_forecast`` (the gateway's array wrapping included) over the wall time; CPU:
   process CPU time over wall time (2 is both cores busy). Every run checks the number of
   channels out, that no estimate failed, and that every channel matches the simulated one
   (correlation > 0.9).
2. Where the time goes (one UE, ``T_SRS`` 10): the same replay through growing parts of the
   chain: the memory feed alone (into a keep_m_in_n of 1 item per gate period, which stops
   it), plus the SRS window gate, plus the FFT-window gate and the 4 FFTs (C++ only), and the
   full extractor; the feed alone and the full extractor also with the other feed. These
   machines are noisy: compare rows of one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from gnuradio import blocks, fft, gr
from gnuradio.bearing.blocks.srs_extractor import srs_extractor
from gnuradio.bearing.nr.carrier import Carrier
from gnuradio.bearing.nr.channel_estimation import uniform_selection
from gnuradio.bearing.nr.schedule import PeriodicSchedule, check_window, fft_gate, gate_period_slots
from gnuradio.bearing.nr.simulator import SimulatedSrs, SrsUe, demo_srs_scenario, simulate
from gnuradio.bearing.nr.srs import SrsConfig, check_fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.flowgraphs import run_within

CARRIERS = {20: Carrier(mu=1, n_rb=51, n_fft=1024), 100: Carrier(mu=1, n_rb=273, n_fft=4096)}
"""Bandwidth (MHz) -> carrier at 30 kHz: 30.72 and 122.88 Msps."""

FEEDS = ("vector", "tmpfs")
NUM_ELEMENTS = 4
NUM_SUBCARRIERS = 16
AZIMUTHS_DEG = (-20.0, 35.0)
MIN_CORRELATION = 0.9
"""Every output channel must correlate at least this well with the simulated one."""

ITEM = gr.sizeof_gr_complex * NUM_ELEMENTS


@dataclasses.dataclass(frozen=True)
class Run:
    """One timed ``tb.run()``: signal samples the chain's last block consumed, wall and CPU time."""

    samples: int
    wall_s: float
    cpu_s: float
    python_s: float = 0.0
    occasions: int = 0
    correlation: float = float("nan")

    def signal_s(self, carrier: Carrier) -> float:
        return self.samples / carrier.sample_rate_hz

    def realtime(self, carrier: Carrier) -> float:
        return self.signal_s(carrier) / self.wall_s


class PythonTimer:
    """Adds up the time in a Python block's work and forecast handlers (wrapped on the instance)."""

    def __init__(self, block: gr.basic_block) -> None:
        self.seconds = 0.0
        for name in ("handle_general_work", "handle_forecast"):
            setattr(block, name, self._timed(getattr(block, name)))

    def _timed(self, handler: Callable) -> Callable:
        def timed(*args):
            start = time.perf_counter()
            try:
                return handler(*args)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


class Replay:
    """A recording replayed in a loop from memory by a ``vector`` or ``tmpfs`` feed."""

    def __init__(self, simulated: SimulatedSrs, directory: str) -> None:
        self.simulated = simulated
        self.carrier = simulated.scenario.carrier
        self.path = Path(directory) / f"srs_{self.carrier.n_fft}_{id(self)}.c64"

    def source(self, feed: str) -> gr.basic_block:
        if feed == "vector":
            return blocks.vector_source_c(self.simulated.samples.ravel(), True, NUM_ELEMENTS)
        if not self.path.exists():
            self.simulated.samples.tofile(self.path)
        return blocks.file_source(ITEM, str(self.path), True)


def widest_srs(carrier: Carrier, **fields) -> SrsConfig:
    """The SRS configuration with the largest C_SRS (B_SRS = 0: the widest band) that fits the carrier."""
    for c_srs in range(63, -1, -1):
        config = SrsConfig(c_srs=c_srs, **fields)
        try:
            check_fits(config, carrier)
        except ValueError:
            continue
        return config
    raise ValueError(f"no SRS bandwidth fits {carrier}")


def srs_configs(carrier: Carrier, num_ues: int, period: int, one_comb: bool = False) -> list[SrsConfig]:
    """Symbol 13 of every ``period``-th slot from slot 0; UE u on comb offset u, or with
    ``one_comb`` all on comb offset 0 with cyclic shift 4 u."""
    return [
        widest_srs(
            carrier,
            ue=ue,
            k_tc=2,
            t_srs=period,
            comb_offset=0 if one_comb else ue,
            n_cs=4 * ue if one_comb else 0,
        )
        for ue in range(num_ues)
    ]


CASES = {"1": (1, False), "2, combs 0 and 1": (2, False), "2, one comb, cyclic shifts 0 and 4": (2, True)}
"""UEs column of table 1 -> (number of UEs, on one comb)."""


def recording(carrier: Carrier, configs: list[SrsConfig], num_slots: int, directory: str) -> Replay:
    """A continuous noisy recording from frame 0, slot 0: the demo array, one UE per configuration."""
    ues = tuple(SrsUe(srs=c, azimuth_deg=a) for c, a in zip(configs, AZIMUTHS_DEG, strict=False))
    scenario = dataclasses.replace(
        demo_srs_scenario(), carrier=carrier, ues=ues, num_slots=num_slots, continuous=True
    )
    return Replay(simulate(scenario), directory)


def timed(
    tb: gr.top_block, consumed: Callable[[], int], seconds: float, timer: PythonTimer | None = None
) -> Run:
    """Runs ``tb``, timing it; ``consumed()``: the signal samples processed.

    A run that takes over a minute plus 30 times ``seconds`` fails (a Python block that raised
    leaves its flowgraph hanging).
    """
    cpu, start = time.process_time(), time.perf_counter()
    run_within(tb, 60.0 + 30.0 * seconds)
    wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return Run(consumed(), wall_s, cpu_s, timer.seconds if timer else 0.0)


def window_count(carrier: Carrier, period_slots: int, seconds: float) -> int:
    """Gate periods in ``seconds`` of signal."""
    return max(1, round(seconds * carrier.slots_per_frame * 100 / period_slots))


def run_extractor(replay: Replay, configs: list[SrsConfig], seconds: float, feed: str) -> Run:
    """The full extractor on the replayed recording; checks its outputs and returns the timing."""
    carrier = replay.carrier
    extractor = srs_extractor(
        carrier=carrier.to_dict(),
        srs=[c.to_dict() for c in configs],
        num_elements=NUM_ELEMENTS,
        num_subcarriers=NUM_SUBCARRIERS,
        start_frame=0,
        start_slot=0,
        start_symbol=0,
    )
    estimator, schedule = extractor.estimator, extractor.schedule
    windows = window_count(carrier, schedule.period_slots, seconds)
    width = NUM_ELEMENTS * NUM_SUBCARRIERS
    sinks = [blocks.vector_sink_c(width) for _ in configs]
    tb = gr.top_block()
    tb.connect(replay.source(feed), extractor)
    tb.connect((extractor, 0), blocks.head(gr.sizeof_gr_complex * width, windows), sinks[0])
    for ue in range(1, len(configs)):
        tb.connect((extractor, ue), sinks[ue])
    timer = PythonTimer(estimator)
    period_samples = schedule.period_slots * carrier.slot_samples
    run = timed(tb, lambda: estimator.nitems_read(0) // len(schedule.window) * period_samples, seconds, timer)
    consumed = run.samples // period_samples
    outputs = [
        np.array(s.data(), dtype=np.complex64).reshape(-1, NUM_ELEMENTS, NUM_SUBCARRIERS) for s in sinks
    ]
    problems = []
    if len(outputs[0]) != windows:
        problems.append(f"UE 0: {len(outputs[0])} channels out, expected {windows}")
    if estimator.failed_estimates:
        problems.append(f"{estimator.failed_estimates} estimates failed")
    if estimator.occasions != consumed * len(configs):
        problems.append(
            f"{estimator.occasions} occasions from {consumed} windows, expected {consumed * len(configs)}"
        )
    correlation = min(
        truth_correlation(replay.simulated, ue, channels) for ue, channels in enumerate(outputs)
    )
    if not correlation >= MIN_CORRELATION:
        problems.append(f"channels correlate {correlation:.3f} with the simulated ones (< {MIN_CORRELATION})")
    if problems:
        raise SystemExit(
            f"srs_extractor, {carrier}, {len(configs)} UEs, T_SRS {schedule.period_slots}: "
            + "; ".join(problems)
        )
    return dataclasses.replace(run, occasions=estimator.occasions, correlation=correlation)


def truth_correlation(simulated: SimulatedSrs, ue: int, channels: np.ndarray) -> float:
    """Smallest ``|<h, h_true>| / (|h| |h_true|)`` over the ``(count, M, K)`` channels of UE ``ue``."""
    if not channels.size or not np.all(np.isfinite(channels)):
        return float("nan")
    truth = next(o for o in simulated.occasions if o.ue == ue).channel[0]  # (M_sc, M), port 0
    expected = truth[uniform_selection(truth.shape[0], NUM_SUBCARRIERS)].T.ravel()  # the same every occasion
    flat = channels.reshape(len(channels), -1)
    products = np.abs(flat.conj() @ expected) / (np.linalg.norm(flat, axis=1) * np.linalg.norm(expected))
    return float(products.min())


def run_chain(replay: Replay, config: SrsConfig, seconds: float, feed: str, stage: str) -> Run:
    """The replay through the feed alone (``feed``), the SRS gate (``gate``) or up to the FFTs (``fft``)."""
    carrier = replay.carrier
    period, residue = gate_period_slots([config])
    schedule = PeriodicSchedule(carrier, check_window(carrier, [config]), period, residue, 0, 0)
    windows = window_count(carrier, period, seconds)
    gate, stub = schedule.gate()
    if stub:
        raise ValueError("the benchmark's SRS window must not straddle two gate periods")
    tb = gr.top_block()
    source = replay.source(feed)
    if stage in ("feed", "gate"):
        # The feed alone keeps 1 item per gate period: the same buffers as the SRS gate, no copy.
        kept = 1 if stage == "feed" else gate.m
        first = blocks.keep_m_in_n(ITEM, kept, gate.n, 0 if stage == "feed" else gate.offset)
        tb.connect(source, first, blocks.head(ITEM, windows * kept), blocks.null_sink(ITEM))
        return timed(tb, lambda: first.nitems_read(0), seconds)
    first = blocks.keep_m_in_n(ITEM, gate.m, gate.n, gate.offset)
    symbol = fft_gate(carrier, carrier.normal_cp_samples // 2)  # the extractor's default backoff
    split = blocks.vector_to_streams(gr.sizeof_gr_complex, NUM_ELEMENTS)
    tb.connect(source, first, blocks.keep_m_in_n(ITEM, symbol.m, symbol.n, symbol.offset), split)
    spectrum = gr.sizeof_gr_complex * carrier.n_fft
    transforms = [fft.fft_vcc(carrier.n_fft, True, [], False, 1) for _ in range(NUM_ELEMENTS)]
    for element, transform in enumerate(transforms):
        tb.connect((split, element), blocks.stream_to_vector(gr.sizeof_gr_complex, carrier.n_fft), transform)
        tail = [blocks.head(spectrum, windows * len(schedule.window))] if element == 0 else []
        tb.connect(transform, *tail, blocks.null_sink(spectrum))
    symbols = len(schedule.window)
    return timed(tb, lambda: min(t.nitems_read(0) for t in transforms) // symbols * gate.n, seconds)


def throughput_table(
    bandwidths: list[int], periods: list[int], seconds: float, slots: int, feed: str, directory: str
) -> list[str]:
    rows = [
        "| carrier | UEs | T_SRS (slots) | occasions | signal (s) | wall (s) | x real time | Python share "
        "| Python per occasion (ms) | CPU (cores) | worst channel correlation | target 1x |",
        "|" + "---|" * 12,
    ]
    for bandwidth in bandwidths:
        carrier = CARRIERS[bandwidth]
        for ues, period in [("1", p) for p in periods] + [(ues, 10) for ues in CASES if ues != "1"]:
            num_ues, one_comb = CASES[ues]
            configs = srs_configs(carrier, num_ues, period, one_comb)
            run = run_extractor(recording(carrier, configs, slots, directory), configs, seconds, feed)
            realtime = run.realtime(carrier)
            rows.append(
                f"| {bandwidth} MHz, {carrier.sample_rate_hz / 1e6:g} Msps | {ues} | {period} "
                f"| {run.occasions} | {run.signal_s(carrier):.2f} | {run.wall_s:.2f} | {realtime:.2f} "
                f"| {run.python_s / run.wall_s:.0%} | {1e3 * run.python_s / run.occasions:.2f} "
                f"| {run.cpu_s / run.wall_s:.2f} | {run.correlation:.4f} "
                f"| {'met' if realtime >= 1 else 'missed'} |"
            )
    return rows


STAGES = {
    "feed": "memory feed alone (keep_m_in_n of 1 item per period)",
    "gate": "+ SRS window gate (keep_m_in_n)",
    "fft": "+ FFT-window gate, vector_to_streams, 4 x (stream_to_vector, fft_vcc)",
    "extractor": "+ Python channel estimator (the full srs_extractor)",
}


def stage_table(bandwidths: list[int], seconds: float, slots: int, feed: str, directory: str) -> list[str]:
    rows = [
        "| carrier | feed | chain | wall per second of signal (s) | x real time | Python share "
        "| CPU (cores) |",
        "|---|---|---|---|---|---|---|",
    ]
    other = next(f for f in FEEDS if f != feed)
    for bandwidth in bandwidths:
        carrier = CARRIERS[bandwidth]
        configs = srs_configs(carrier, 1, 10)
        replay = recording(carrier, configs, slots, directory)
        runs = [(f, "feed", run_chain(replay, configs[0], seconds, f, "feed")) for f in (other, feed)]
        runs += [
            (feed, stage, run_chain(replay, configs[0], seconds, feed, stage)) for stage in ("gate", "fft")
        ]
        runs += [(f, "extractor", run_extractor(replay, configs, seconds, f)) for f in (feed, other)]
        for source, stage, run in runs:
            rows.append(
                f"| {bandwidth} MHz | {source} | {STAGES[stage]} | {run.wall_s / run.signal_s(carrier):.3f} "
                f"| {run.realtime(carrier):.2f} | {run.python_s / run.wall_s:.0%} "
                f"| {run.cpu_s / run.wall_s:.2f} |"
            )
    return rows


def idle_before(seconds: float = 1.0) -> str:
    """How idle the CPUs were over ``seconds`` (Linux ``/proc/stat``), else the load average."""

    def cpu_times() -> list[int]:
        return [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]

    try:
        before = cpu_times()
        time.sleep(seconds)
        spent = [after - first for first, after in zip(before, cpu_times(), strict=True)]
    except (OSError, ValueError):
        return f"load average {os.getloadavg()[0]:.2f} at the start"
    idle = (spent[3] + spent[4]) / max(sum(spent), 1)  # idle and iowait
    return f"CPUs {idle:.0%} idle in the {seconds:g} s before the start"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="signal per row, seconds (default 2)")
    parser.add_argument(
        "--bandwidths", type=int, nargs="+", choices=sorted(CARRIERS), default=sorted(CARRIERS)
    )
    parser.add_argument("--periods", type=int, nargs="+", default=[10, 2, 1], help="T_SRS of the one-UE rows")
    parser.add_argument(
        "--feed", choices=FEEDS, default="vector", help="memory feed of table 1 (default vector)"
    )
    parser.add_argument(
        "--recording-slots",
        type=int,
        default=20,
        help="slots of the replayed recording, a multiple of every T_SRS (default 20 = 10 ms)",
    )
    args = parser.parse_args()
    slots = args.recording_slots
    if any(slots % period for period in [*args.periods, 10]):
        parser.error(f"--recording-slots {slots} must be a multiple of every T_SRS and of 10")
    print(f"`{' '.join(['python', *sys.argv])}`\n")
    print(
        f"srs_extractor, {NUM_ELEMENTS} channels replayed from memory ({args.feed} feed, {slots}-slot "
        f"recording), K = {NUM_SUBCARRIERS}, at least {args.seconds:g} s of signal per row, "
        f"GNU Radio {gr.version()}, {os.cpu_count()} cores, {idle_before()}\n"
    )
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as directory:
        print(
            "\n".join(
                throughput_table(args.bandwidths, args.periods, args.seconds, slots, args.feed, directory)
            )
        )
        print()
        print("\n".join(stage_table(args.bandwidths, args.seconds, slots, args.feed, directory)))


if __name__ == "__main__":
    main()
