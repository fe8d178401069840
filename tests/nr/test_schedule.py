"""Where SRS windows lie in a stream, and the keep_m_in_n gates that cut them out."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio import blocks, gr
from gnuradio.bearing.nr.carrier import Carrier
from gnuradio.bearing.nr.schedule import (
    PeriodicSchedule,
    check_window,
    fft_gate,
    gate_period_slots,
    window_samples,
    window_symbols,
)
from gnuradio.bearing.nr.srs import SrsConfig

CARRIER = Carrier(mu=1, n_rb=51, n_fft=1024)


def test_window_spans_every_ues_symbols():
    configs = [SrsConfig(l0=13), SrsConfig(ue=1, l0=10, n_symb=2)]
    assert window_symbols(configs) == range(10, 14)
    assert window_samples(CARRIER, range(10, 14)) == 4 * (1024 + 72)


def test_long_cyclic_prefix_symbols_are_refused():
    with pytest.raises(ValueError, match=r"l0: .*symbol 0"):
        check_window(CARRIER, [SrsConfig(l0=0)])


@pytest.mark.parametrize(
    ("periods", "offsets", "expected"),
    [
        ((10,), (3,), (10, 3)),
        ((10, 20), (3, 13), (10, 3)),
        ((10, 20), (3, 4), (1, 0)),
        ((4, 10), (1, 3), (2, 1)),
        ((320,), (7,), (10, 7)),  # capped at MAX_GATE_SLOTS
    ],
)
def test_gate_period_is_the_largest_common_one(periods, offsets, expected):
    configs = [
        SrsConfig(ue=i, t_srs=t, t_offset=o) for i, (t, o) in enumerate(zip(periods, offsets, strict=True))
    ]
    assert gate_period_slots(configs) == expected


def test_fft_gate_keeps_n_fft_samples_backoff_before_the_end_of_the_cp():
    gate = fft_gate(CARRIER, 36)
    assert (gate.m, gate.n, gate.offset) == (1024, 1096, 36)
    with pytest.raises(ValueError, match="backoff_samples"):
        fft_gate(CARRIER, 73)


@pytest.mark.parametrize(("start_slot", "start_symbol"), [(0, 0), (5, 0), (7, 11), (3, 13)])
def test_keep_m_in_n_cuts_exactly_the_scheduled_windows(start_slot, start_symbol):
    """Through a real keep_m_in_n (and skiphead for a window straddling the gate's blocks), the
    gated stream is the scheduled windows back to back, whatever symbol the stream starts at."""
    schedule = PeriodicSchedule(CARRIER, range(12, 14), 4, 2, start_slot, start_symbol)
    gate, stub = schedule.gate()
    length = 9 * 4 * CARRIER.slot_samples
    stream = np.arange(length, dtype=np.float32).astype(np.complex64)
    top = gr.top_block()
    source = blocks.vector_source_c(stream.tolist())
    keep = blocks.keep_m_in_n(gr.sizeof_gr_complex, gate.m, gate.n, gate.offset)
    skip = blocks.skiphead(gr.sizeof_gr_complex, stub)
    sink = blocks.vector_sink_c()
    top.connect(source, keep, skip, sink)
    top.run()
    kept = np.real(np.array(sink.data())).astype(np.int64)
    windows = kept[: len(kept) // gate.m * gate.m].reshape(-1, gate.m)
    assert len(windows) >= 7
    for index, window in enumerate(windows):
        start = schedule.window_start(index)
        assert schedule.window_slot(index) % 4 == 2
        assert schedule.stream_sample(schedule.window_slot(index)) + CARRIER.symbol_start(12) == start
        np.testing.assert_array_equal(window, np.arange(start, start + gate.m))
