"""Coherence Calibrator: gains from a ``calibration`` message (another calibrator's, the IDL-TLBO
Estimator's), checked against its array and carrier and applied from the next window on, in a
real flowgraph (vector source -> cue -> calibrator -> vector sink); bad messages are dropped."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pmt
from gnuradio import blocks, gr
from gnuradio.bearing import coherence_calibrator, ula, wavelength_m
from gnuradio.bearing.array.channel_calibration import load_calibration
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.blocks import messages

M, WINDOW, RATE, FREQUENCY = 4, 256, 100_000.0, 2.4e9
GEOMETRY = ula(M, wavelength_m(FREQUENCY) / 2)
GAINS = np.array([1.0, 0.8 * np.exp(0.6j), 1.2 * np.exp(-1.1j), 0.9 * np.exp(2.0j)])
LATER = GAINS * np.exp(1j * np.deg2rad([0.0, 1.0, 2.0, 3.0]))


def _message(gains: np.ndarray, **fields) -> dict:
    """A ``calibration`` message as the calibrator publishes it, of ``GEOMETRY`` at ``FREQUENCY``."""
    return {
        "state": "calibrated",
        "method": "idl-tlbo",
        "coherence": 0.4,
        "residual_phase_deg": 0.0,
        "gains_real": gains.real,
        "gains_imag": gains.imag,
        "time": "2026-12-07T01:02:03Z",
        "frequency_hz": FREQUENCY,
        "positions_m": GEOMETRY.positions_m.tolist(),
    } | fields


class _cue(gr.sync_block):
    """Passes the vectors on and publishes ``cues[n]`` (a message, or a callable that makes it) on
    its ``calibration`` port right before sample n, once the calibrator has read every sample
    before n and handled the message: the window from which it applies is then known."""

    def __init__(self, cues: dict[int, list], calibrator: coherence_calibrator) -> None:
        gr.sync_block.__init__(self, name="cue", in_sig=[(np.complex64, M)], out_sig=[(np.complex64, M)])
        self.message_port_register_out(pmt.intern(messages.CALIBRATION_PORT))
        self._cues = dict(sorted(cues.items()))
        self._calibrator = calibrator

    def work(self, input_items, output_items) -> int:
        first = self.nitems_written(0)
        if self._cues and next(iter(self._cues)) == first:
            self._wait(lambda: self._calibrator.nitems_read(0) == first)
            for cue in self._cues.pop(first):
                message = cue() if callable(cue) else cue
                message = messages.to_pmt(message) if isinstance(message, dict) else message
                self.message_port_pub(pmt.intern(messages.CALIBRATION_PORT), message)
            port = pmt.intern(messages.CALIBRATION_PORT)
            self._wait(lambda: self._calibrator.to_basic_block().nmsgs(port) == 0)
        stop = next(iter(self._cues), first + len(output_items[0]))
        count = min(len(output_items[0]), stop - first)
        output_items[0][:count] = input_items[0][:count]
        return count

    @staticmethod
    def _wait(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the calibrator did not catch up")
            time.sleep(0.001)


def _samples(windows: int) -> np.ndarray:
    """An emitter at 20 deg and 20 dB through the channel gains ``GAINS``, ``(N, M)`` complex64."""
    rng = np.random.default_rng(5)
    count = windows * WINDOW
    steering = GEOMETRY.steering(20.0, FREQUENCY)[:, 0]
    clean = 10.0 * complex_normal(rng, (count, 1)) * steering[None, :] + complex_normal(rng, (count, M))
    return (clean * GAINS[None, :]).astype(np.complex64)


def _run(
    samples: np.ndarray, cues: dict[int, list], held: dict | None = None, **options
) -> tuple[np.ndarray, coherence_calibrator, list]:
    """vector source -> cue -> calibrator (mode none unless told) -> vector sink; the calibrator's
    published ``calibration`` messages in a message debug (``held["debug"]``, for the cues)."""
    source = blocks.vector_source_c(samples.ravel().tolist(), False, M)
    calibrator = coherence_calibrator(
        M,
        WINDOW,
        RATE,
        options.pop("mode", "none"),
        GEOMETRY.positions_m.tolist(),
        FREQUENCY,
        **options,
    )
    cue = _cue(cues, calibrator)
    sink = blocks.vector_sink_c(M)
    debug = blocks.message_debug()
    flowgraph = gr.top_block()
    flowgraph.connect(source, cue, calibrator, sink)
    flowgraph.msg_connect((cue, messages.CALIBRATION_PORT), (calibrator, messages.CALIBRATION_PORT))
    flowgraph.msg_connect((calibrator, messages.CALIBRATION_PORT), (debug, "store"))
    if held is not None:
        held["debug"] = debug
    flowgraph.run()
    out = np.asarray(sink.data(), dtype=np.complex64).reshape(-1, M)
    published = [messages.from_pmt(debug.get_message(i)) for i in range(debug.num_messages())]
    return out, calibrator, published


def test_a_calibration_message_applies_from_the_next_window_and_a_bad_one_is_dropped(tmp_path) -> None:
    samples = _samples(16)
    saved = tmp_path / "cal.json"
    switch, bad, later = 4 * WINDOW, 8 * WINDOW, 12 * WINDOW
    other_array = ula(M, wavelength_m(FREQUENCY)).positions_m.tolist()
    cues = {
        switch: [_message(GAINS)],
        bad: [
            _message(GAINS[:3]),  # three gains for four channels
            _message(GAINS, frequency_hz=2.5e9),  # another carrier
            _message(GAINS, positions_m=other_array),  # another array
            pmt.intern("garbage"),
            _message(GAINS * [1, 1, 0, 1]),  # a zero gain
        ],
        later: [_message(LATER, method="file", frequency_hz=None, positions_m=None, coherence=None)],
    }
    out, calibrator, published = _run(samples, cues, save_path=str(saved))
    assert out.shape == samples.shape
    np.testing.assert_array_equal(out[:switch], samples[:switch])  # before the message: unchanged
    np.testing.assert_allclose(out[switch:later], samples[switch:later] / GAINS, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out[later:], samples[later:] / LATER, rtol=1e-5, atol=1e-5)
    assert calibrator.refused_calibrations == 5 and calibrator.received_calibrations == 2
    assert calibrator.calibration_at(switch - 1) == {"calibration": "none"}
    assert calibrator.calibration_at(switch) == {
        "calibration": "idl-tlbo",
        "calibration_time": "2026-12-07T01:02:03Z",
    }
    assert (
        calibrator.calibration_at(later)["calibration"] == "message"
    )  # "file": how it was made is not known
    assert [p["method"] for p in published] == ["idl-tlbo", "message"]
    assert [p["state"] for p in published] == ["calibrated", "calibrated"]  # 3 deg apart: below the threshold
    assert abs(published[1]["residual_phase_deg"] - 3.0) < 1e-6
    assert (
        published[0]["frequency_hz"] == FREQUENCY
        and published[0]["positions_m"] == GEOMETRY.positions_m.tolist()
    )
    np.testing.assert_allclose(published[0]["gains_real"], GAINS.real)
    assert np.isnan(published[1]["coherence"])  # the message gave none
    last = load_calibration(saved)  # every applied calibration is saved; the last stays
    assert last.method == "message" and np.allclose(last.gains, LATER) and np.isnan(last.coherence)


def _published(held: dict, index: int) -> Callable[[], pmt.pmt_t]:
    """A cue: the calibrator's own ``index``-th published message, once its debug holds it."""

    def message() -> pmt.pmt_t:
        _cue._wait(lambda: held["debug"].num_messages() > index)
        return held["debug"].get_message(index)

    return message


def test_the_calibrators_own_message_is_taken_and_the_same_gains_are_not_applied_twice(tmp_path) -> None:
    """A calibrator's own ``calibration`` messages are messages it takes (the format it publishes),
    and gains equal to those applied change nothing: a calibrator fed its own messages does not loop."""
    path = tmp_path / "file.json"
    _run(_samples(2), {WINDOW: [_message(GAINS)]}, save_path=str(path))
    assert load_calibration(path).method == "idl-tlbo"
    samples, held = _samples(8), {}
    cues = {
        2 * WINDOW: [_message(LATER)],
        4 * WINDOW: [_published(held, 0)],  # the file's gains, published at start (method "file")
        6 * WINDOW: [_published(held, 2)],  # the gains applied now
    }
    out, calibrator, published = _run(samples, cues, held, mode="file", calibration_path=str(path))
    for start, stop, gains in ((0, 2, GAINS), (2, 4, LATER), (4, 8, GAINS)):
        rows = slice(start * WINDOW, stop * WINDOW)
        np.testing.assert_allclose(out[rows], samples[rows] / gains, rtol=1e-5, atol=1e-5)
    assert calibrator.received_calibrations == 2 and calibrator.refused_calibrations == 0
    assert [p["method"] for p in published] == ["file", "idl-tlbo", "message"]
    assert calibrator.calibration_at(0)["calibration"] == "file"
