"""Benchmark: MoD-DNN inference time per estimate in a flowgraph, beside MUSIC, on one core.

Run from the repository root after `make install` (or with PYTHONPATH=<build dir>/python):

    .venv/bin/python tests/bench/mod_dnn_speed.py [--estimates 400]

The process, GNU Radio's threads and torch are pinned to one core (CPU 0, one torch
thread). Items are fed from memory (a vector source of precomputed items) so that the
capture file plays no part. Each case runs, in the same process and one after the other:

* MoD-DNN: ``mod_dnn_estimator`` (autoencoder filter, P covariance accumulators, P coarray
  DBFs, MoDL-SSR estimator) -> null sink;
* MUSIC: ``covariance_accumulator`` -> ``doa_estimator(method="music")`` (grid -60 .. 60 at
  0.1 deg, the MoD-DNN model's grid) -> null sink;

and prints the wall time per estimate of the streaming (the flowgraph is built and the model
loaded before the clock starts; median of ``--repeats`` runs), the ratio, and the
Python-level time of ``ModDnn.estimate`` (no flowgraph). Cases (Table 4 of Liu et al.,
ACM TOSN 2025, measures one SRS occasion of 16 subcarriers per estimate):

1. the bundled narrowband model (K = 1), windows of 1024 snapshots (the demo's);
2. the same model, windows of 16 snapshots (its training window);
3. an SRS-style model of K = 16 subcarriers (trained here for 10 epochs on a 1-degree
   sweep: it must route as sharply as a real model, whose quiet branches are skipped), one
   item per estimate.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from gnuradio import blocks, gr
from gnuradio.bearing import covariance_accumulator, doa_estimator, mod_dnn_estimator
from gnuradio.bearing.array.impairments import draw_impairments
from gnuradio.bearing.learned.mod_dnn import ModDnn, ModDnnConfig, load, save
from gnuradio.bearing.learned.mod_dnn_training import train_mod_dnn
from gnuradio.bearing.learned.training import TrainingOptions
from gnuradio.bearing.learned.training_data import source_cfrs
from gnuradio.bearing.resources import default_model_path

SRS_OFFSETS_HZ = tuple(np.linspace(-48e6, 48e6, 16))
SNR_DB = 20.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimates", type=int, default=400, help="estimates per run (default 400)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case, median taken (default 3)")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {0})
    torch.set_num_threads(1)
    narrowband = load(default_model_path())
    with tempfile.TemporaryDirectory() as folder:
        srs_path = str(Path(folder) / "srs16.pt")
        save(srs_model(narrowband), srs_path)
        cases = [
            ("narrowband K=1, 1024 snapshots", default_model_path(), 1024),
            ("narrowband K=1, 16 snapshots", default_model_path(), 16),
            ("SRS K=16, 1 occasion", srs_path, 1),
        ]
        print(
            f"one core (CPU 0), torch threads {torch.get_num_threads()}, {args.estimates} estimates per run"
        )
        print()
        print(
            "| case | MoD-DNN ms/estimate | MUSIC ms/estimate | ratio "
            "| ModDnn.estimate ms (Python, no flowgraph) |"
        )
        print("| --- | --- | --- | --- | --- |")
        for name, path, average in cases:
            model = load(path)
            items = case_items(model, args.estimates, average)
            mod_dnn_ms = median_ms(run_mod_dnn, (path, items, average), args)
            music_ms = median_ms(run_music, (model, items, average), args)
            python_ms = python_estimate_ms(model, items, average)
            ratio = mod_dnn_ms / music_ms
            print(f"| {name} | {mod_dnn_ms:.3f} | {music_ms:.3f} | {ratio:.2f} | {python_ms:.3f} |")
    return 0


def srs_model(narrowband: ModDnn) -> ModDnn:
    """A K = 16 model of the bundled model's array (a short training: for timing only)."""
    config = narrowband.config
    geometry = narrowband.geometry
    angles = np.repeat(np.arange(-60.0, 60.01, 1.0), 4)
    impairments = draw_impairments(config.num_elements, 1.0, 7)
    cfrs = source_cfrs(geometry, angles, config.frequency_hz, SRS_OFFSETS_HZ, impairments, SNR_DB, 0)
    srs_config = ModDnnConfig(
        config.positions_m, config.frequency_hz, SRS_OFFSETS_HZ, kind="srs", window_items=1
    )
    model, _ = train_mod_dnn(cfrs, angles, np.arange(angles.size), srs_config, TrainingOptions(epochs=10))
    return model


def case_items(model: ModDnn, estimates: int, average: int) -> np.ndarray:
    """CFR items ``(estimates * average, M*K)`` complex64, channel-major: one source per window."""
    config = model.config
    rng = np.random.default_rng(1)
    angles = np.repeat(rng.uniform(-59.0, 59.0, estimates), average)
    count = angles.size
    impairments = draw_impairments(config.num_elements, 1.0, 7)
    cfrs = source_cfrs(
        model.geometry, angles, config.frequency_hz, config.subcarrier_offsets_hz, impairments, SNR_DB, rng
    )
    return np.ascontiguousarray(np.transpose(cfrs, (0, 2, 1)).reshape(count, -1), dtype=np.complex64)


def run_mod_dnn(path: str, items: np.ndarray, average: int) -> Callable[[], int]:
    estimator = mod_dnn_estimator(path, average=average)
    return run_chain(items, [estimator], len(estimator.grid_deg))


def run_music(model: ModDnn, items: np.ndarray, average: int) -> Callable[[], int]:
    config = model.config
    num_subcarriers = items.shape[1] // config.num_elements
    accumulator = covariance_accumulator(config.num_elements, num_subcarriers, average)
    estimator = doa_estimator(config.positions_m, config.frequency_hz, "music", 1, *config.grid_deg)
    return run_chain(items, [accumulator, estimator], len(estimator.grid_deg))


def run_chain(items: np.ndarray, chain: list[gr.basic_block], spectrum_size: int) -> Callable[[], int]:
    """Builds source -> chain -> sink; returns a function that runs it and counts the spectra.

    The flowgraph (and the source's copy of the items) is built before the clock starts, so
    that only the streaming is timed: model loading and set-up do not count per estimate.
    """
    top = gr.top_block()
    source = blocks.vector_source_c(items.ravel(), False, items.shape[1])
    sink = blocks.null_sink(gr.sizeof_float * spectrum_size)
    top.connect(source, *chain, sink)

    def run() -> int:
        top.run()
        return sink.nitems_read(0)

    run.blocks = (top, source, sink, *chain)  # Python references to every block while it runs
    return run


def median_ms(build: Callable[..., Callable[[], int]], build_args: tuple, args: argparse.Namespace) -> float:
    """Median over ``--repeats`` fresh flowgraphs of the streaming time per estimate, ms."""
    times = []
    for _ in range(args.repeats):
        run = build(*build_args)
        start = time.perf_counter()
        estimates = run()
        elapsed = time.perf_counter() - start
        if estimates != args.estimates:
            sys.exit(f"expected {args.estimates} estimates, got {estimates}")
        times.append(1e3 * elapsed / estimates)
    return float(np.median(times))


def python_estimate_ms(model: ModDnn, items: np.ndarray, average: int) -> float:
    num_subcarriers = items.shape[1] // model.config.num_elements
    windows = np.transpose(items.reshape(-1, model.config.num_elements, num_subcarriers), (0, 2, 1))
    windows = windows.reshape(-1, average, num_subcarriers, model.config.num_elements)
    start = time.perf_counter()
    for window in windows:
        model.estimate(window)
    return 1e3 * (time.perf_counter() - start) / len(windows)


if __name__ == "__main__":
    raise SystemExit(main())
