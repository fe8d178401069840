"""GNU Radio block: a simulated live array, the simulator's scenarios streamed in real time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pmt
from gnuradio import gr

from ..array.geometry import ArrayGeometry
from ..captures.live_simulation import LiveSimulation
from ..captures.presets import PRESETS
from ..captures.scenario import Scenario
from . import messages
from .base import Guarded

CHUNK_S = 0.01
"""The longest stretch of samples one ``work`` call produces, seconds (the source's latency)."""

CHUNK_BYTES = 1 << 22
"""...and at most this many bytes (4 MiB), for arrays of many channels."""


class simulated_array_source(Guarded, gr.sync_block):
    """Streams a scenario of the simulator as a live M-channel receiver would: complex64 vectors of
    M channels, paced to the sample rate, with new per-channel phase and gain offsets at every start
    and a shared noise source (:class:`~gnuradio.bearing.captures.live_simulation.LiveSimulation`
    has the signal model). A live demo without hardware: put it where a KrakenSDR source would be.

    The scenario repeats without end; its emitters stand at their bearings of segment ``k`` during
    each segment period of ``samples_per_segment + gap_samples`` samples. Tags (see
    :mod:`~gnuradio.bearing.blocks.messages`): ``truth`` ``{azimuth_deg, sample_count[,
    elevation_deg][, label]}`` on the first sample of every period, one per active emitter, as the
    Capture Source puts them (``sample_count`` the period); ``noise_source`` ``{on}`` on the first
    sample and at every switch of the noise source. Message input ``noise_source`` ``{on: bool}``
    switches the noise source from the next chunk on (the Coherence Calibrator asks for it).

    Args:
        preset: a scenario of ``bearing simulate --preset``
            (:data:`~gnuradio.bearing.captures.presets.PRESETS`).
        scenario_path: a scenario JSON file, as ``bearing simulate --scenario`` reads it
            (docs/simulator.md); when given it replaces ``preset``. Narrowband scenarios only.
        channel_seed: seed of the channel offsets, waveforms and noise (>= 0, the same stream at
            every start); -1 draws new offsets at every start, as a real receiver has.
        noise_source_s: the noise source is on for the first ``noise_source_s`` seconds.
        noise_source_snr_db: the noise source's power over each channel's thermal noise, dB.
        realtime: pace the output to the sample rate (sample ``n`` leaves no earlier than
            ``start_time + n / sample_rate_hz``); False produces samples as fast as it can.
        num_elements: the vector length the flowgraph expects (GRC draws the port with it); 0
            takes the scenario's. Another count than the scenario's raises ValueError.
    """

    def __init__(
        self,
        preset: str = "demo_ula4",
        scenario_path: str = "",
        channel_seed: int = -1,
        noise_source_s: float = 0.0,
        noise_source_snr_db: float = 20.0,
        realtime: bool = True,
        num_elements: int = 0,
    ) -> None:
        self.simulation = LiveSimulation(
            load_scenario(preset, scenario_path),
            channel_seed=None if channel_seed == -1 else channel_seed,
            noise_source_s=noise_source_s,
            noise_source_snr_db=noise_source_snr_db,
        )
        channels = self.simulation.num_channels
        if num_elements and int(num_elements) != channels:
            raise ValueError(
                f"num_elements: the scenario's array has {channels} elements, the block wants {num_elements}"
            )
        gr.sync_block.__init__(
            self, name="Bearing Simulated Array Source", in_sig=None, out_sig=[(np.complex64, channels)]
        )
        item_bytes = channels * np.dtype(np.complex64).itemsize
        self._chunk = max(1, min(round(CHUNK_S * self.sample_rate_hz), CHUNK_BYTES // item_bytes))
        self.set_min_output_buffer(2 * self._chunk)
        self._realtime = bool(realtime)
        self._start: tuple[float, float] | None = None  # (time.time(), time.monotonic()) of sample 0
        self.message_port_register_in(pmt.intern(messages.NOISE_SOURCE))
        self.set_msg_handler(pmt.intern(messages.NOISE_SOURCE), self.handle_noise_source)

    @property
    def geometry(self) -> ArrayGeometry:
        """The scenario's nominal element positions (without its impairments and the channel offsets)."""
        return self.simulation.geometry

    @property
    def frequency_hz(self) -> float:
        return self.simulation.frequency_hz

    @property
    def sample_rate_hz(self) -> float:
        return self.simulation.sample_rate_hz

    @property
    def num_elements(self) -> int:
        return self.simulation.num_channels

    @property
    def channel_gains(self) -> np.ndarray:
        """The per-channel complex gains of this start, ``(M,)`` complex128 (the truth a coherence
        calibration should find, up to the factor ``1 / g_0``)."""
        return self.simulation.channel_gains

    @property
    def start_time(self) -> float | None:
        """Wall-clock time of sample 0 (``time.time()`` at the first ``work`` call), None before."""
        return None if self._start is None else self._start[0]

    def handle_noise_source(self, message: pmt.pmt_t) -> None:
        """``noise_source`` ``{on: bool}``: switches the shared noise source from the next chunk on."""
        value = messages.from_pmt(message)
        if not isinstance(value, dict) or not isinstance(value.get("on"), bool):
            self.logger.error(f"noise_source message ignored: expected {{on: bool}}, got {value!r}")
            return
        self.simulation.set_noise_source(value["on"])

    def work(self, input_items, output_items) -> int:
        out = output_items[0]
        if self._start is None:
            self._start = (time.time(), time.monotonic())
        block = self.simulation.next_block(min(len(out), self._chunk))
        count = len(block.samples)
        out[:count] = block.samples
        for truth in block.truths:
            self._add_tag(truth.sample_start, messages.TRUTH, messages.truth_value(truth))
        for sample, on in block.noise_source:
            self._add_tag(sample, messages.NOISE_SOURCE, {"on": on})
        if self._realtime:
            self._wait_for(block.first_sample + count - 1)
        return count

    def _wait_for(self, sample: int) -> None:
        """Sleeps until ``sample`` is due, ``start + sample / sample_rate_hz``: at most a chunk."""
        delay = self._start[1] + sample / self.sample_rate_hz - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def _add_tag(self, offset: int, key: str, value: dict) -> None:
        self.add_item_tag(0, offset, messages.to_pmt(key), messages.to_pmt(value))


def load_scenario(preset: str = "demo_ula4", scenario_path: str = "") -> Scenario:
    """The scenario of ``scenario_path`` (a JSON file, docs/simulator.md) if given, else the preset
    ``preset``; ValueError naming the presets, or the file and the field."""
    if scenario_path:
        path = Path(scenario_path)
        try:
            return Scenario.from_dict(json.loads(path.read_text()))
        except (json.JSONDecodeError, ValueError) as error:
            raise ValueError(f"{path}: {error}") from None
    if preset not in PRESETS:
        raise ValueError(
            f"preset: {preset!r} is not a scenario; the presets are {', '.join(sorted(PRESETS))}"
        )
    return PRESETS[preset]()
