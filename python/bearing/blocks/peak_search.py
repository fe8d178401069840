"""GNU Radio block: bearings of the K strongest peaks of a spatial spectrum."""

from __future__ import annotations

import numpy as np
import pmt
from gnuradio import gr

from ..doa.grid import azimuth_grid, power_to_db
from ..doa.peaks import find_peaks
from ..validation import check_num_sources
from . import messages
from .base import Guarded, window_num_sources


class peak_search(Guarded, gr.sync_block):
    """Finds up to ``num_sources`` peaks, at least ``min_separation_deg`` apart, in each spectrum.

    Input: float32 spectra on the grid ``grid_start_deg .. grid_stop_deg`` (step
    ``grid_step_deg``), in any monotonic scale (linear or dB). Output: a ``bearings`` message
    per spectrum (see :mod:`~gnuradio.bearing.blocks.messages`; ``method`` is the ``method`` argument,
    ``"peak-search"`` by default). ``peak_db`` holds the input values at the peaks for a dB spectrum, or, with
    ``linear``, the peak powers in dB relative to the spectrum's maximum. Use it behind any
    block that outputs a spectrum, such as the estimator (dB) or coarray DBF (linear;
    ``bearing estimate --method coarray-dbf`` names its records ``"coarray-dbf"``), to
    re-count or re-separate peaks. ``num_sources`` 0 (auto) takes each spectrum's count
    from its ``window`` tag, where a source counter upstream put it; 0 counted sources
    give a message without bearings.
    """

    def __init__(
        self,
        grid_start_deg: float = -90.0,
        grid_stop_deg: float = 90.0,
        grid_step_deg: float = 0.1,
        num_sources: int = 1,
        min_separation_deg: float = 2.0,
        method: str = "peak-search",
        linear: bool = False,
    ) -> None:
        self.grid_deg = azimuth_grid(grid_start_deg, grid_stop_deg, grid_step_deg)
        self.set_num_sources(num_sources)
        self._min_separation_deg = float(min_separation_deg)
        self.method = str(method)
        self._linear = bool(linear)
        gr.sync_block.__init__(
            self, name="Bearing Peak Search", in_sig=[(np.float32, len(self.grid_deg))], out_sig=None
        )
        self.message_port_register_out(pmt.intern(messages.BEARINGS_PORT))

    def set_num_sources(self, num_sources: int) -> None:
        """Peaks per spectrum, at least 1, or 0 (auto: each window's counted sources)."""
        self._num_sources = check_num_sources(num_sources, auto=True)

    def work(self, input_items, output_items) -> int:
        spectra = input_items[0]
        first = self.nitems_read(0)
        windows = messages.window_tags(self, len(spectra))
        for index, spectrum in enumerate(spectra):
            if not np.all(np.isfinite(spectrum)):
                self.logger.warn(f"spectrum {first + index} skipped: NaN or infinite values")
                continue
            window = windows.get(first + index)
            try:
                count = window_num_sources(self._num_sources, window)
                peaks = find_peaks(spectrum, self.grid_deg, max(count, 1), self._min_separation_deg)[:count]
            except ValueError as error:
                self.logger.warn(f"spectrum {first + index} skipped: {error}")
                continue
            peak_db = power_to_db(spectrum[peaks], np.max(spectrum)) if self._linear else spectrum[peaks]
            message = messages.bearings_message(self.grid_deg[peaks], peak_db, self.method, window)
            self.message_port_pub(pmt.intern(messages.BEARINGS_PORT), message)
        return len(spectra)
