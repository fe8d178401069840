"""GNU Radio block: MoD-DNN's last step, MoDL-SSR per subregion and the subregion choice, to bearings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..learned.mod_dnn import ModDnn

import numpy as np
import pmt
from gnuradio import gr

from ..doa.grid import power_to_db
from ..doa.peaks import check_min_separation
from ..resources import load_model
from ..validation import check_num_sources
from . import messages
from .base import BearingsBlock

METHOD = "mod-dnn"
"""The ``method`` of this block's ``bearings`` messages."""

POWER = "power"
"""The ``window`` tag field that holds a branch's power (added by coarray DBF)."""


class modl_ssr_estimator(BearingsBlock):
    """Bearings and the sparse spectrum from the P branches' coarray DBF spectra of a MoD-DNN model.

    Liu et al., ACM TOSN 2025, Fig. 2 and Sec. 4: MoDL-SSR of each subregion turns its
    branch's coarray DBF spectrum into a sparse spectrum; the subregion whose branch has the
    largest energy holds the source (the autoencoder passes a source only through its own
    subregion's decoder) and gives the bearings. A thin wrapper around
    :meth:`~gnuradio.bearing.learned.mod_dnn.ModDnn.estimate_from_spectra`.

    Inputs: P float32 streams; input ``p`` holds the coarray DBF spectra (linear, as
    :class:`~gnuradio.bearing.blocks.coarray_dbf.coarray_dbf` outputs them) of branch ``p`` on
    subregion ``p``'s grid (``model.subregions[p].grid_deg``, :attr:`branch_sizes` points),
    each item tagged ``window`` with the field ``power``, the branch covariance's mean element
    power ``trace(R_p) / M`` (coarray DBF adds it): the branch energies, up to the factor M
    the subregion choice does not see. The items of one estimate window are matched by the
    ``sample_start`` of their ``window`` tags (items without one are matched in order). An
    item that has no partner in another input (that branch could not use the window) is
    dropped with a log line and counted in :attr:`failed_estimates`; so is a window whose
    estimate fails (no ``power``, every branch empty, ...). The flowgraph goes on.

    Output: the sparse spectrum on the model's grid :attr:`grid_deg`, float32, linear: the
    sum of the branches' sparse spectra, each scaled by its share of the energy. It carries
    the ``window`` tag of the window's items, without ``power``. A ``bearings`` message per
    estimate (``method`` ``"mod-dnn"``) and an ``azimuth`` pair of the strongest bearing, as
    the other estimators publish them. ``peak_db`` of each bearing is the chosen branch's
    coarray DBF spectrum (its input) at the bearing, interpolated, in dB relative to that
    spectrum's maximum: the sparse spectrum may be zero at the bearing itself (SCG can put a
    source's power on spikes either side of it, :meth:`~gnuradio.bearing.learned.modl_ssr.ModlSsr.bearings`).

    Args:
        model_path: the model file; empty: the bundled model
            (:func:`~gnuradio.bearing.resources.default_model_path`); or a
            :class:`~gnuradio.bearing.learned.mod_dnn.ModDnn` already loaded (the MoD-DNN
            Estimator shares its one model with its inner blocks).
        num_sources: bearings per estimate, at least 1, strongest first; or 0 (auto): the
            count a source counter on each branch's covariance put in the ``window`` tags,
            the chosen branch's (the sources in its subregion).
        min_separation_deg: peaks closer than this to a stronger one are ignored, degrees.
    """

    def __init__(
        self, model_path: str | ModDnn = "", num_sources: int = 1, min_separation_deg: float = 2.0
    ) -> None:
        self.model = load_model(model_path)
        self.set_num_sources(num_sources)
        self._min_separation_deg = check_min_separation(min_separation_deg)
        self.branch_sizes = [len(sub.grid_deg) for sub in self.model.subregions]
        self.grid_deg = self.model.grid_deg
        gr.basic_block.__init__(
            self,
            name="Bearing MoDL-SSR Estimator",
            in_sig=[(np.float32, size) for size in self.branch_sizes],
            out_sig=[(np.float32, len(self.grid_deg))],
        )
        self.set_tag_propagation_policy(gr.TPP_DONT)
        self.register_bearings_ports()
        self.failed_estimates = 0

    def set_num_sources(self, num_sources: int) -> None:
        """Bearings per estimate, at least 1, or 0 (auto: the count a source counter put in
        the chosen branch's ``window`` tag)."""
        self._num_sources = check_num_sources(num_sources, auto=True)

    def forecast(self, noutput_items: int, ninputs: int) -> list[int]:
        return [1] * ninputs

    def general_work(self, input_items, output_items) -> int:
        out = output_items[0]
        # A window's items leave all inputs together, one output each: a call looks at no
        # more items of each input than the output space and the shortest input hold (reading
        # the tags of the surplus anew on every call took 40 % of the block's time with windows
        # of 16 items). Items dropped for want of a partner may then wait for the next call.
        count = min(len(out), *(len(items) for items in input_items))
        windows = [messages.window_tags(self, count, port) for port in range(len(input_items))]
        firsts = [self.nitems_read(port) for port in range(len(input_items))]
        cursors = [0] * len(input_items)
        produced = 0
        while max(cursors) < count:
            heads = [windows[port].get(firsts[port] + cursor) for port, cursor in enumerate(cursors)]
            keys = [(window or {}).get("sample_start", -1) for window in heads]
            latest = max(keys)
            if all(key == latest for key in keys):
                spectra = [items[cursor] for items, cursor in zip(input_items, cursors, strict=True)]
                if self._estimate(spectra, heads, out[produced]):
                    self.add_item_tag(
                        0,
                        self.nitems_written(0) + produced,
                        pmt.intern(messages.WINDOW),
                        messages.to_pmt(_without_power(heads[0])),
                    )
                    produced += 1
                cursors = [cursor + 1 for cursor in cursors]
                continue
            for port, key in enumerate(keys):
                if key < latest:  # the inputs are in window order: no partner will come
                    self.failed_estimates += 1
                    self.logger.warn(
                        f"dropped the branch {port} spectrum of the window starting at sample {key}: "
                        f"the other branches have none (their next window starts at sample {latest})"
                    )
                    cursors[port] += 1
        for port, cursor in enumerate(cursors):
            self.consume(port, cursor)
        return produced

    def _estimate(self, spectra: list[np.ndarray], windows: list[dict | None], out: np.ndarray) -> bool:
        """Writes one window's spectrum to ``out`` and publishes its bearings; False when it fails."""
        try:
            energies = [_power(window, port) for port, window in enumerate(windows)]
            counts = self._num_sources or [(window or {}).get(messages.NUM_SOURCES) for window in windows]
            estimate = self.model.estimate_from_spectra(spectra, energies, counts, self._min_separation_deg)
            out[:] = estimate.spectrum
            dbf = spectra[estimate.subregion]
            grid_deg = self.model.subregions[estimate.subregion].grid_deg
            peak_db = power_to_db(np.interp(estimate.bearings_deg, grid_deg, dbf), np.max(dbf))
            self.publish_bearings(estimate.bearings_deg, peak_db, METHOD, windows[0])
        except Exception as error:  # any exception escaping general_work hangs the flowgraph
            self.failed_estimates += 1
            first = (windows[0] or {}).get("sample_start", "?")
            self.logger.warn(
                f"no estimate for the window starting at sample {first}: {type(error).__name__}: {error}"
            )
            return False
        return True


def _power(window: dict | None, port: int) -> float:
    if window is None or POWER not in window:
        raise ValueError(
            f"the branch {port} spectrum has no window tag with '{POWER}' (put coarray_dbf in front)"
        )
    return float(window[POWER])


def _without_power(window: dict | None) -> dict | None:
    if window is None:
        return None
    return {key: value for key, value in window.items() if key != POWER}
