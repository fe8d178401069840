"""GNU Radio block: per SRS occasion, the LS channel of each UE from the symbols' spectra.

The Python half of the SRS extractor (:mod:`~gnuradio.bearing.blocks.srs_extractor` wires the C++ half in
front of it). It runs once per window of SRS symbols, not per sample: the sample rate is carried by
``keep_m_in_n``, ``stream_to_vector`` and ``fft_vcc``.
"""

from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr

from ..captures.schema import Truth
from ..nr import metadata as nr_metadata
from ..nr import srs as nr_srs
from ..nr.carrier import Carrier
from ..nr.channel_estimation import (
    estimate_occasion,
    output_offsets_hz,
    pilot_symbols,
)
from ..nr.schedule import PeriodicSchedule, WindowSchedule
from ..nr.srs import SrsConfig
from . import messages
from .base import Guarded


class srs_channel_estimator(Guarded, gr.basic_block):
    """M inputs of ``n_fft``-point spectra (one per window symbol) in; per UE, M x K channels out.

    Input ``m`` carries, for each window of the schedule, the unnormalised DFT (``fft_vcc``)
    of each window symbol's FFT window on antenna ``m``, in order. Output ``u`` carries one
    ``M*K`` complex64 item per occasion and port of UE ``configs[u]``, channel-major
    (``item[m*K + k]``), tagged ``srs_occasion`` (:mod:`~gnuradio.bearing.blocks.messages`) and, when a
    truth annotation of the UE covers the occasion, ``truth`` (``sample_count`` 1: the covariance accumulator
    counts items).

    An occasion whose estimate fails (NaN samples, for example) is dropped with a log line and
    counted in :attr:`failed_estimates`.
    """

    def __init__(
        self,
        carrier: Carrier,
        configs: list[SrsConfig],
        schedule: PeriodicSchedule | WindowSchedule,
        num_elements: int,
        num_subcarriers: int = 16,
        backoff_samples: int = 0,
        cfo_hz: float | None = None,
        truths: list[Truth] | None = None,
    ) -> None:
        self._carrier, self._configs, self._schedule = carrier, list(configs), schedule
        self._num_elements = int(num_elements)
        self._backoff_s = backoff_samples / carrier.sample_rate_hz
        self._cfo_hz = cfo_hz
        self._window_size = len(schedule.window)
        self._selections = [_num_outputs(carrier, config, num_subcarriers) for config in self._configs]
        self._shared = [_shares_comb(config, self._configs) for config in self._configs]
        self._num_subcarriers = int(num_subcarriers)
        gr.basic_block.__init__(
            self,
            name="Bearing SRS Channel Estimator",
            in_sig=[(np.complex64, carrier.n_fft)] * self._num_elements,
            out_sig=[(np.complex64, self._num_elements * k) for k in self._selections],
        )
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self._truths = _truths_by_ue(truths or [])
        self._window = 0  # index of the next window in the schedule
        self.failed_estimates = 0
        self.occasions = 0

    @property
    def output_sizes(self) -> list[int]:
        """K of each output (the item holds M*K values)."""
        return list(self._selections)

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        return [self._window_size] * ninputs

    def general_work(self, input_items, output_items) -> int:
        available = min(len(items) for items in input_items) // self._window_size
        room = min(len(out) for out in output_items)
        produced = [0] * len(output_items)
        windows = 0
        max_ports = max(config.n_ports for config in self._configs)
        while windows < available and max(produced) + max_ports <= room:
            first = windows * self._window_size
            index, self._window = self._window, self._window + 1
            try:
                time = self._occasion_time(index)
                if time is not None:
                    spectra = np.stack(
                        [items[first : first + self._window_size] for items in input_items], axis=1
                    )
                    self._process(
                        spectra / np.sqrt(self._carrier.n_fft), index, *time, output_items, produced
                    )
            except Exception as error:  # an exception in general_work would hang the flowgraph
                self.failed_estimates += 1
                self.logger.error(f"SRS window {index} dropped: {type(error).__name__}: {error}")
            windows += 1
        self.consume_each(windows * self._window_size)
        for port, count in enumerate(produced):
            self.produce(port, count)
        return gr.WORK_CALLED_PRODUCE

    def _occasion_time(self, index: int) -> tuple[int, int] | None:
        """``(frame, slot)`` of window ``index`` if some UE sounds in it, else None."""
        slot_number = self._schedule.window_slot(index)
        if slot_number is None:
            return None
        frame, slot = self._carrier.frame_and_slot(slot_number)
        if not any(nr_srs.is_occasion(c, self._carrier.mu, frame, slot) for c in self._configs):
            return None
        return frame, slot

    def _process(
        self, spectra: np.ndarray, index: int, frame: int, slot: int, output_items, produced: list[int]
    ) -> None:
        """Window ``index`` in ``(frame, slot)``; ``spectra``: ``(symbols, M, n_fft)``, orthonormal scale."""
        window_start = self._schedule.window_start(index)
        for output, config in enumerate(self._configs):
            if not nr_srs.is_occasion(config, self._carrier.mu, frame, slot):
                continue
            first = self._schedule.window.start
            sample_index = window_start + self._carrier.span_samples(range(first, config.l0))
            rows = [symbol - first for symbol in nr_srs.symbols(config)]
            for port in range(config.n_ports):
                info = {
                    "sample_index": sample_index,
                    "frame": frame,
                    "slot": slot,
                    "ue": config.ue,
                    "port": port,
                }
                try:
                    channel, extra = self._estimate(spectra[rows], config, frame, slot, port)
                except (ValueError, FloatingPointError, np.linalg.LinAlgError) as error:
                    self.failed_estimates += 1
                    self.logger.warn(f"SRS occasion {info} dropped: {error}")
                    continue
                self._emit(output, channel, dict(info, **extra), output_items, produced)

    def _estimate(self, spectra: np.ndarray, config: SrsConfig, frame: int, slot: int, port: int):
        if not np.all(np.isfinite(spectra)):
            raise ValueError("NaN or infinite samples in its SRS symbols")
        carrier = self._carrier
        pilots = pilot_symbols(carrier, config, frame, slot, port, self._backoff_s)
        estimate = estimate_occasion(
            spectra,
            pilots,
            carrier.sample_rate_hz,
            self._backoff_s,
            nr_srs.n_cs_max(config.k_tc),
            self._num_subcarriers,
            self._cfo_hz,
            self._shared[self._configs.index(config)],
        )
        extra = {
            "sample_count": carrier.span_samples(nr_srs.symbols(config)),
            "timing_offset_s": estimate.timing_offset_s,
        }
        if estimate.cfo_hz is not None:
            extra["cfo_hz"] = estimate.cfo_hz
        return estimate.channel, extra

    def _emit(self, output: int, channel: np.ndarray, info: dict, output_items, produced: list[int]) -> None:
        out = output_items[output]
        out[produced[output]] = channel.ravel().astype(np.complex64)
        offset = self.nitems_written(output) + produced[output]
        self.add_item_tag(output, offset, pmt.intern(messages.SRS_OCCASION), messages.to_pmt(info))
        truth = self._truth(info["ue"], info["sample_index"])
        if truth is not None:
            value = {"azimuth_deg": truth.azimuth_deg, "sample_count": 1}
            self.add_item_tag(output, offset, pmt.intern(messages.TRUTH), messages.to_pmt(value))
        produced[output] += 1
        self.occasions += 1

    def _truth(self, ue: int, sample_index: int) -> Truth | None:
        for truth in self._truths.get(ue, ()):
            if truth.sample_start <= sample_index < truth.sample_start + truth.sample_count:
                return truth
        return None


def _num_outputs(carrier: Carrier, config: SrsConfig, num_subcarriers: int) -> int:
    """K of a UE's output: ``num_subcarriers``, or all its pilots of one occasion (0)."""
    frame, slot = carrier.frame_and_slot(config.t_offset)
    return output_offsets_hz(carrier, config, num_subcarriers, frame, slot).size


def _shares_comb(config: SrsConfig, configs: list[SrsConfig]) -> bool:
    """Whether other cyclic shifts may sit on the UE's pilots: its other ports, or another UE on
    the same comb in the same symbols (then the extractor applies the cyclic-shift window)."""
    same_symbols = set(nr_srs.symbols(config))
    return config.n_ports > 1 or any(
        other is not config
        and (other.k_tc, other.comb_offset) == (config.k_tc, config.comb_offset)
        and same_symbols & set(nr_srs.symbols(other))
        for other in configs
    )


def _truths_by_ue(truths: list[Truth]) -> dict[int, list[Truth]]:
    by_ue: dict[int, list[Truth]] = {}
    for truth in truths:
        ue = truth.extra.get(nr_metadata.UE_KEY)
        if isinstance(ue, int):
            by_ue.setdefault(ue, []).append(truth)
    return by_ue
