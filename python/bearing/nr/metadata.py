"""The ``nr`` SigMF extension namespace of gr-bearing's 5G SRS captures (docs/srs.md).

Global fields: ``nr:carrier`` (a :class:`~gnuradio.bearing.nr.carrier.Carrier`: ``mu``, ``n_rb``, ``n_fft``,
``cp``; the sample rate is ``core:sample_rate``) and ``nr:srs`` (one
:class:`~gnuradio.bearing.nr.srs.SrsConfig` object per UE). Every capture segment carries ``nr:frame``,
``nr:slot`` and ``nr:symbol``: the frame, slot and OFDM symbol that start (cyclic prefix
included) at the segment's first sample on the receiver's nominal clock. Truth annotations
carry ``nr:ue``. These names are a contract with other tools that write captures for us.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..captures.schema import Capture, CaptureError, Segment
from .carrier import SYMBOLS_PER_SLOT, Carrier
from .srs import SrsConfig, check_fits

NR_EXTENSION = {"name": "nr", "version": "1.0.0", "optional": True}
"""``core:extensions`` entry declaring the ``nr:`` fields."""

CARRIER_KEY = "nr:carrier"
SRS_KEY = "nr:srs"
FRAME_KEY = "nr:frame"
SLOT_KEY = "nr:slot"
SYMBOL_KEY = "nr:symbol"
UE_KEY = "nr:ue"


@dataclass(frozen=True)
class SymbolTime:
    """A point on the NR timeline: the start (cyclic prefix included) of a symbol."""

    frame: int
    slot: int
    symbol: int

    def segment_fields(self) -> dict:
        """The ``nr:frame``, ``nr:slot`` and ``nr:symbol`` fields of a capture segment."""
        return {FRAME_KEY: self.frame, SLOT_KEY: self.slot, SYMBOL_KEY: self.symbol}


def global_fields(carrier: Carrier, configs: list[SrsConfig]) -> dict:
    """The global ``nr:carrier`` and ``nr:srs`` fields with the extension declaration."""
    return {
        "core:extensions": [NR_EXTENSION],
        CARRIER_KEY: carrier.to_dict(),
        SRS_KEY: [config.to_dict() for config in configs],
    }


def read_carrier(capture: Capture) -> Carrier:
    """The capture's ``nr:carrier``, checked against ``core:sample_rate``.

    Raises:
        CaptureError: the field is missing or invalid, or the sample rate is not ``n_fft``
            times the subcarrier spacing.
    """
    where = f"{capture.meta_path}: global {CARRIER_KEY}"
    if CARRIER_KEY not in capture.global_info:
        raise CaptureError(f"{where} is missing: this is not an NR SRS capture (docs/srs.md)")
    try:
        carrier = Carrier.from_dict(capture.global_info[CARRIER_KEY])
    except (TypeError, ValueError) as error:
        raise CaptureError(f"{where}: {error}") from None
    if abs(carrier.sample_rate_hz - capture.sample_rate_hz) > 1e-6 * carrier.sample_rate_hz:
        raise CaptureError(
            f"{where}: n_fft {carrier.n_fft} at {carrier.subcarrier_spacing_hz / 1e3:g} kHz needs "
            f"core:sample_rate {carrier.sample_rate_hz:g}, the capture has {capture.sample_rate_hz:g}"
        )
    return carrier


def read_srs_configs(capture: Capture, carrier: Carrier) -> list[SrsConfig]:
    """The capture's ``nr:srs`` list; every entry valid (38.211) and inside the carrier.

    Raises:
        CaptureError: naming the entry and parameter, e.g. ``nr:srs[1].c_srs: ...``; or two
            entries with the same ``ue``.
    """
    where = f"{capture.meta_path}: global {SRS_KEY}"
    entries = capture.global_info.get(SRS_KEY)
    if not isinstance(entries, list) or not entries:
        raise CaptureError(f"{where} must be a non-empty list of SRS configurations (docs/srs.md)")
    configs = []
    for index, entry in enumerate(entries):
        try:
            config = SrsConfig.from_dict(entry)
            check_fits(config, carrier)
        except (TypeError, ValueError) as error:
            raise CaptureError(f"{where}[{index}].{error}") from None
        configs.append(config)
    ues = [config.ue for config in configs]
    if len(set(ues)) != len(ues):
        raise CaptureError(f"{where}: ue must be unique, got {ues}")
    return configs


def segment_time(capture: Capture, index: int, carrier: Carrier) -> SymbolTime:
    """``nr:frame``, ``nr:slot`` and ``nr:symbol`` of segment ``index`` (``carrier``: :func:`read_carrier`).

    Raises:
        CaptureError: a field missing or out of range for the carrier.
    """
    segment: Segment = capture.segments[index]
    where = f"{capture.meta_path}: captures[{index}]"
    values = []
    for key, high in (
        (FRAME_KEY, None),
        (SLOT_KEY, carrier.slots_per_frame),
        (SYMBOL_KEY, SYMBOLS_PER_SLOT),
    ):
        value = segment.extra.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or (high and value >= high):
            bound = f"0 .. {high - 1}" if high else "a non-negative integer"
            raise CaptureError(f"{where}: {key} must be {bound}, got {value!r}")
        values.append(value)
    return SymbolTime(*values)
