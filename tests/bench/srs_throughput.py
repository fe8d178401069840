"""Benchmark: SRS extractor throughput as a multiple of real time, 4 channels replayed from memory.

Run from the repository root after `make install`:

    .venv/bin/python tests/bench/srs_throughput.py [--seconds 1] [--bandwidths 20 100] [--periods 10 2 1]

Prints markdown tables (docs/srs.md records the latest run). The input is a simulated
continuous recording (4-element ULA, noise on, UEs at 20 dB) of ``--recording-slots`` slots
from frame 0, slot 0, replayed in a loop by ``blocks.vector_source_c(repeat=True, vlen=4)``
into ``srs_extractor`` built from parameters (carrier, SRS configurations, start at frame 0
slot 0 symbol 0). Each UE sends comb-2 SRS over the widest C_SRS that fits (48 RB at 20 MHz,
272 RB at 100 MHz) in symbol 13 of every ``T_SRS``-th slot; the run stops at a ``blocks.head``
after the extractor (no full-rate copy is added).

1. Throughput: signal duration over the wall time of ``tb.run()`` (setup excluded), at
   20 MHz (30.72 Msps, n_fft 1024) and 100 MHz (122.88 Msps, n_fft 4096), one UE at
   ``T_SRS`` 10, 2 and 1 slots and two UEs at 10. The signal duration counts the SRS windows
   the Python estimator consumed (it runs ahead of the head), so buffered work upstream is
   charged to the wall time. Python share: time inside the estimator's ``handle_general_work``
   and ``handle_forecast`` (array wrapping included) over the wall time; CPU: process CPU
   time over wall time (2 would be both cores busy). Every run checks the output count,
   that no estimate failed, and that each channel matches the simulated one (correlation).
2. Where the time goes (one UE, ``T_SRS`` 10): the same replay through growing parts of the
   chain: the memory feed alone (the source, with a 1-in-a-slot keep_m_in_n to stop it),
   plus the SRS window gate, plus the FFT-window gate and the 4 FFTs (C++ only), and the
   full extractor. Wall time per second of signal; these machines are noisy: compare rows
   of one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from gnuradio import blocks, fft, gr
from gnuradio.bearing.nr_carrier import Carrier
from gnuradio.bearing.nr_srs import SrsConfig, check_fits
from gnuradio.bearing.srs_estimation import uniform_selection
from gnuradio.bearing.srs_extractor import srs_extractor
from gnuradio.bearing.srs_schedule import PeriodicSchedule, check_window, fft_gate, gate_period_slots
from gnuradio.bearing.srs_simulator import SimulatedSrs, SrsUe, demo_srs_scenario, simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from flowgraphs import run_within

CARRIERS = {20: Carrier(mu=1, n_rb=51, n_fft=1024), 100: Carrier(mu=1, n_rb=273, n_fft=4096)}
"""Bandwidth (MHz) -> carrier at 30 kHz: 30.72 and 122.88 Msps."""

NUM_ELEMENTS = 4
NUM_SUBCARRIERS = 16
AZIMUTHS_DEG = (-20.0, 35.0)
MIN_CORRELATION = 0.9
"""Every output channel must correlate at least this well with the simulated one."""


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
    """Wraps a Python block's work and forecast handlers (on the instance) to add up their time."""

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


def srs_configs(carrier: Carrier, num_ues: int, period: int) -> list[SrsConfig]:
    """UE u on comb offset u, symbol 13 of every ``period``-th slot from slot 0."""
    return [widest_srs(carrier, ue=ue, k_tc=2, comb_offset=ue, t_srs=period) for ue in range(num_ues)]


def recording(carrier: Carrier, configs: list[SrsConfig], num_slots: int) -> SimulatedSrs:
    """A continuous noisy recording from frame 0, slot 0: the demo array, one UE per configuration."""
    ues = tuple(SrsUe(srs=c, azimuth_deg=a) for c, a in zip(configs, AZIMUTHS_DEG, strict=False))
    scenario = dataclasses.replace(
        demo_srs_scenario(), carrier=carrier, ues=ues, num_slots=num_slots, continuous=True
    )
    return simulate(scenario)


def timed(tb: gr.top_block, consumed: Callable[[], int], timer: PythonTimer | None = None) -> Run:
    """Runs ``tb`` (failing rather than hanging), timing it; ``consumed()``: signal samples processed."""
    cpu, start = time.process_time(), time.perf_counter()
    run_within(tb, 600.0)
    wall_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return Run(consumed(), wall_s, cpu_s, timer.seconds if timer else 0.0)


def window_count(carrier: Carrier, configs: list[SrsConfig], seconds: float) -> int:
    """SRS windows (gate periods) in ``seconds`` of signal."""
    period = math.gcd(*(c.t_srs for c in configs))
    return max(1, round(seconds * carrier.slots_per_frame * 100 / period))


def run_extractor(simulated: SimulatedSrs, configs: list[SrsConfig], seconds: float) -> Run:
    """The full extractor on the replayed recording; checks its outputs and returns the timing."""
    carrier = simulated.scenario.carrier
    tb = gr.top_block()
    source = blocks.vector_source_c(simulated.samples.ravel(), True, NUM_ELEMENTS)
    extractor = srs_extractor(
        carrier=carrier.to_dict(),
        srs=[c.to_dict() for c in configs],
        num_elements=NUM_ELEMENTS,
        num_subcarriers=NUM_SUBCARRIERS,
        start_frame=0,
        start_slot=0,
        start_symbol=0,
    )
    estimator = extractor.estimator
    schedule = extractor.schedule
    windows = window_count(carrier, configs, seconds)
    item = gr.sizeof_gr_complex * NUM_ELEMENTS * NUM_SUBCARRIERS
    head = blocks.head(item, windows)
    sinks = [blocks.vector_sink_c(NUM_ELEMENTS * NUM_SUBCARRIERS) for _ in configs]
    tb.connect(source, extractor)
    tb.connect((extractor, 0), head, sinks[0])
    for ue in range(1, len(configs)):
        tb.connect((extractor, ue), sinks[ue])
    timer = PythonTimer(estimator)
    period_samples = schedule.period_slots * carrier.slot_samples

    def consumed() -> int:
        return estimator.nitems_read(0) // len(schedule.window) * period_samples

    run = timed(tb, consumed, timer)
    consumed_windows = run.samples // period_samples
    outputs = [np.array(sink.data(), dtype=np.complex64).reshape(-1, NUM_ELEMENTS, NUM_SUBCARRIERS) for sink in sinks]
    problems = []
    if outputs[0].shape[0] != windows:
        problems.append(f"UE 0: {outputs[0].shape[0]} channels out, expected {windows}")
    if estimator.failed_estimates:
        problems.append(f"{estimator.failed_estimates} failed estimates")
    if estimator.occasions != consumed_windows * len(configs):
        problems.append(
            f"{estimator.occasions} occasions estimated from {consumed_windows} windows, expected "
            f"{consumed_windows * len(configs)}"
        )
    correlation = min(truth_correlation(simulated, ue, channels) for ue, channels in enumerate(outputs))
    if not correlation >= MIN_CORRELATION:
        problems.append(f"channels correlate {correlation:.3f} with the simulated ones (< {MIN_CORRELATION})")
    if problems:
        raise SystemExit(f"srs_extractor at {carrier}, {configs}: " + "; ".join(problems))
    return dataclasses.replace(run, occasions=estimator.occasions, correlation=correlation)


def truth_correlation(simulated: SimulatedSrs, ue: int, channels: np.ndarray) -> float:
    """Smallest ``|<h, h_true>| / (|h| |h_true|)`` over the ``(count, M, K)`` channels of UE ``ue``."""
    if not channels.size or not np.all(np.isfinite(channels)):
        return float("nan")
    occasion = next(o for o in simulated.occasions if o.ue == ue)
    truth = occasion.channel[0]  # (M_sc, M) of port 0; every occasion has the same direct path
    expected = truth[uniform_selection(truth.shape[0], NUM_SUBCARRIERS)].T.ravel()
    flat = channels.reshape(channels.shape[0], -1)
    products = np.abs(flat.conj() @ expected) / (np.linalg.norm(flat, axis=1) * np.linalg.norm(expected))
    return float(products.min())


def run_chain(simulated: SimulatedSrs, config: SrsConfig, seconds: float, stage: str) -> Run:
    """The replay through part of the extractor's C++ chain (``feed``, ``gate`` or ``fft``), no Python."""
    carrier = simulated.scenario.carrier
    item = gr.sizeof_gr_complex * NUM_ELEMENTS
    tb = gr.top_block()
    source = blocks.vector_source_c(simulated.samples.ravel(), True, NUM_ELEMENTS)
    windows = window_count(carrier, [config], seconds)
    if stage == "feed":
        slots = windows * config.t_srs
        last = blocks.keep_m_in_n(item, 1, carrier.slot_samples, 0)
        tb.connect(source, last, blocks.head(item, slots), blocks.null_sink(item))
        return timed(tb, lambda: last.nitems_read(0) // carrier.slot_samples * carrier.slot_samples)
    period, residue = gate_period_slots([config])
    schedule = PeriodicSchedule(carrier, check_window(carrier, [config]), period, residue, 0, 0)
    gate, stub = schedule.gate()
    if stub:
        raise ValueError("the benchmark's SRS window must not straddle gate periods")
    period_samples = gate.n
    window_gate = blocks.keep_m_in_n(item, gate.m, gate.n, gate.offset)
    if stage == "gate":
        tb.connect(source, window_gate, blocks.head(item, windows * gate.m), blocks.null_sink(item))
        return timed(tb, lambda: window_gate.nitems_read(0) // gate.n * period_samples)
    symbol = fft_gate(carrier, carrier.normal_cp_samples // 2)
    symbol_gate = blocks.keep_m_in_n(item, symbol.m, symbol.n, symbol.offset)
    split = blocks.vector_to_streams(gr.sizeof_gr_complex, NUM_ELEMENTS)
    tb.connect(source, window_gate, symbol_gate, split)
    spectrum = gr.sizeof_gr_complex * carrier.n_fft
    transforms = []
    for element in range(NUM_ELEMENTS):
        transform = fft.fft_vcc(carrier.n_fft, True, [], False, 1)
        tb.connect((split, element), blocks.stream_to_vector(gr.sizeof_gr_complex, carrier.n_fft), transform)
        transforms.append(transform)
        if element:
            tb.connect(transform, blocks.null_sink(spectrum))
        else:
            tb.connect(transform, blocks.head(spectrum, windows), blocks.null_sink(spectrum))
    symbols = len(schedule.window)
    return timed(tb, lambda: min(t.nitems_read(0) for t in transforms) // symbols * period_samples)


def throughput_table(bandwidths: list[int], periods: list[int], seconds: float, slots: int) -> list[str]:
    rows = [
        "| carrier | UEs | T_SRS (slots) | occasions | signal (s) | wall (s) | x real time | Python share "
        "| Python per occasion (ms) | CPU (cores) | worst channel correlation | target 1x |",
        "|" + "---|" * 12,
    ]
    cases = [(1, p) for p in periods] + [(2, 10)]
    for bandwidth in bandwidths:
        carrier = CARRIERS[bandwidth]
        for num_ues, period in cases:
            configs = srs_configs(carrier, num_ues, period)
            run = run_extractor(recording(carrier, configs, slots), configs, seconds)
            realtime = run.realtime(carrier)
            rows.append(
                f"| {bandwidth} MHz, {carrier.sample_rate_hz / 1e6:g} Msps | {num_ues} | {period} "
                f"| {run.occasions} | {run.signal_s(carrier):.2f} | {run.wall_s:.2f} | {realtime:.2f} "
                f"| {run.python_s / run.wall_s:.0%} | {1e3 * run.python_s / run.occasions:.2f} "
                f"| {run.cpu_s / run.wall_s:.2f} | {run.correlation:.4f} "
                f"| {'met' if realtime >= 1.0 else 'missed'} |"
            )
    return rows


STAGES = {
    "feed": "memory feed (vector_source, 1-in-a-slot keep_m_in_n)",
    "gate": "+ SRS window gate (keep_m_in_n)",
    "fft": "+ FFT-window gate, vector_to_streams, 4 x stream_to_vector + fft_vcc",
}


def stage_table(bandwidths: list[int], seconds: float, slots: int, period: int = 10) -> list[str]:
    rows = [
        "| carrier | chain | wall per second of signal (s) | x real time | Python share |",
        "|---|---|---|---|---|",
    ]
    for bandwidth in bandwidths:
        carrier = CARRIERS[bandwidth]
        configs = srs_configs(carrier, 1, period)
        simulated = recording(carrier, configs, slots)
        runs = {stage: run_chain(simulated, configs[0], seconds, stage) for stage in STAGES}
        runs["extractor"] = run_extractor(simulated, configs, seconds)
        for stage, run in runs.items():
            label = STAGES.get(stage, "+ Python channel estimator: the full srs_extractor")
            rows.append(
                f"| {bandwidth} MHz | {label} | {run.wall_s / run.signal_s(carrier):.3f} "
                f"| {run.realtime(carrier):.2f} | {run.python_s / run.wall_s:.0%} |"
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="signal per row, seconds (default 1)")
    parser.add_argument(
        "--bandwidths", type=int, nargs="+", choices=sorted(CARRIERS), default=sorted(CARRIERS)
    )
    parser.add_argument(
        "--periods", type=int, nargs="+", default=[10, 2, 1], help="T_SRS of the one-UE rows, slots"
    )
    parser.add_argument(
        "--recording-slots",
        type=int,
        default=20,
        help="length of the replayed recording, slots; a multiple of every period (default 20: 10 ms)",
    )
    args = parser.parse_args()
    slots = args.recording_slots
    if any(slots % period for period in [*args.periods, 10]):
        parser.error(f"--recording-slots {slots} must be a multiple of every period and of 10")
    print(f"`{' '.join(['python', *sys.argv])}`\n")
    print(
        f"srs_extractor, {NUM_ELEMENTS} channels replayed from memory ({slots}-slot recording), "
        f"K = {NUM_SUBCARRIERS}, about {args.seconds:g} s of signal per row, GNU Radio {gr.version()}\n"
    )
    print("\n".join(throughput_table(args.bandwidths, args.periods, args.seconds, slots)))
    print()
    print("\n".join(stage_table(args.bandwidths, args.seconds, slots)))


if __name__ == "__main__":
    main()
