"""Coherence Calibrator: channel gains from a shared noise source or a beacon, applied, saved,
loaded, drift reported, in a real flowgraph (window selector -> calibrator -> sink)."""

from __future__ import annotations

import json

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr
from gnuradio.bearing import coherence_calibrator, ula, wavelength_m, window_selector
from gnuradio.bearing.array.channel_calibration import CalibrationFileError, load_calibration
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.doa.classical import Estimator

M, RATE, FREQUENCY = 4, 100_000.0, 2.4e9
GEOMETRY = ula(M, wavelength_m(FREQUENCY) / 2)
WINDOW, PERIOD = 256, 1_000


def _gains(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 10 ** (rng.normal(0, 1.0, M) / 20) * np.exp(1j * rng.uniform(-np.pi, np.pi, M))


def _stream(
    gains: np.ndarray, noise_s: float, signal_azimuth_deg: float, seconds: float, seed: int = 1
) -> np.ndarray:
    """``noise_s`` seconds of a shared noise source (20 dB), then an emitter at 20 dB, all
    through channel gains ``gains``, plus unit thermal noise; ``(N, M)`` complex64."""
    rng = np.random.default_rng(seed)
    count, noise_count = round(seconds * RATE), round(noise_s * RATE)
    common = np.empty((count, M), complex)
    common[:noise_count] = 10.0 * complex_normal(rng, (noise_count, 1))
    steering = GEOMETRY.steering(signal_azimuth_deg, FREQUENCY)[:, 0]
    common[noise_count:] = 10.0 * complex_normal(rng, (count - noise_count, 1)) * steering[None, :]
    return ((common + complex_normal(rng, (count, M))) * gains[None, :]).astype(np.complex64)


def _run(samples: np.ndarray, **options) -> tuple[np.ndarray, list, coherence_calibrator, list]:
    source = blocks.vector_source_c(samples.ravel().tolist(), False, M)
    selector = window_selector(M, WINDOW, PERIOD)
    calibrator = coherence_calibrator(
        M, WINDOW, RATE, positions_m=GEOMETRY.positions_m.tolist(), frequency_hz=FREQUENCY, **options
    )
    sink = blocks.vector_sink_c(M)
    debug = blocks.message_debug()
    flowgraph = gr.top_block()
    flowgraph.connect(source, selector, calibrator, sink)
    flowgraph.msg_connect((calibrator, messages.CALIBRATION_PORT), (debug, "store"))
    flowgraph.run()
    out = np.asarray(sink.data(), dtype=np.complex64).reshape(-1, M)
    published = [messages.from_pmt(debug.get_message(i)) for i in range(debug.num_messages())]
    starts = [
        messages.from_pmt(tag.value)["sample_index"]
        for tag in sink.tags()
        if pmt.symbol_to_string(tag.key) == messages.SEGMENT_START
    ]
    return out, starts, calibrator, published


MUSIC = Estimator(GEOMETRY, wavelength_m(FREQUENCY), np.round(np.arange(-900, 901) / 10.0, 1), "music")


def _music_deg(windows: np.ndarray) -> float:
    covariance = windows.T @ windows.conj() / len(windows)
    return float(MUSIC.estimate(covariance, 1).azimuth_deg[0])


def test_noise_calibration_removes_the_channel_gains(tmp_path) -> None:
    gains = _gains(7)
    samples = _stream(gains, noise_s=0.1, signal_azimuth_deg=20.0, seconds=0.5)
    path = tmp_path / "cal.json"
    out, starts, calibrator, published = _run(samples, mode="noise", calibration_s=0.1, save_path=str(path))
    assert starts[0] == 10_000  # the first 0.1 s were the noise source: measured, not passed on
    np.testing.assert_allclose(calibrator.calibration.gains, gains / gains[0], rtol=0.05, atol=0.05)
    assert abs(_music_deg(out) - 20.0) < 1.0
    raw = samples[starts[0] : starts[0] + WINDOW]
    assert abs(_music_deg(raw) - 20.0) > 5.0  # uncalibrated, the bearing is wrong
    assert published[0]["state"] == "calibrated" and published[0]["coherence"] > 0.95
    assert calibrator.calibration_at(starts[0]) == {
        "calibration": "noise",
        "calibration_time": calibrator.calibration.time,
    }
    saved = load_calibration(path)
    np.testing.assert_allclose(saved.gains, calibrator.calibration.gains)
    assert saved.frequency_hz == FREQUENCY and json.loads(path.read_text())["method"] == "noise"


def test_a_calibration_file_gives_the_same_windows_as_the_run_that_wrote_it(tmp_path) -> None:
    gains = _gains(3)
    samples = _stream(gains, noise_s=0.1, signal_azimuth_deg=-35.0, seconds=0.4)
    path = tmp_path / "cal.json"
    measured, starts, _, _ = _run(samples, mode="noise", calibration_s=0.1, save_path=str(path))
    loaded, loaded_starts, calibrator, _ = _run(samples, mode="file", calibration_path=str(path))
    first = loaded_starts.index(starts[0])
    np.testing.assert_allclose(loaded[first * WINDOW :], measured, rtol=1e-5, atol=1e-5)
    assert calibrator.calibration_at(0)["calibration"] == "file"


def test_beacon_calibration(tmp_path) -> None:
    gains = _gains(11)
    beacon = _stream(gains, noise_s=0.0, signal_azimuth_deg=40.0, seconds=0.1, seed=2)
    scene = _stream(gains, noise_s=0.0, signal_azimuth_deg=-15.0, seconds=0.3, seed=3)
    out, _, calibrator, _ = _run(
        np.concatenate([beacon, scene]), mode="beacon", calibration_s=0.1, beacon_azimuth_deg=40.0
    )
    np.testing.assert_allclose(calibrator.calibration.gains, gains / gains[0], rtol=0.05, atol=0.05)
    assert abs(_music_deg(out) + 15.0) < 1.0


def test_mode_none_passes_windows_unchanged_and_says_so() -> None:
    samples = _stream(_gains(5), noise_s=0.0, signal_azimuth_deg=0.0, seconds=0.1)
    out, starts, calibrator, published = _run(samples, mode="none")
    assert starts == list(range(0, 10_000, PERIOD)) and not published
    np.testing.assert_array_equal(out[:WINDOW], samples[:WINDOW])
    assert calibrator.calibration_at(0) == {"calibration": "none"}


SWITCHES = ((0, True), (10_000, False), (20_000, True), (30_000, False))


def test_drift_between_two_noise_source_periods_is_published() -> None:
    before, after = _gains(1), _gains(1) * np.exp(1j * np.deg2rad([0, 10, -20, 30]))
    first = _stream(before, noise_s=0.1, signal_azimuth_deg=10.0, seconds=0.2, seed=4)
    second = _stream(after, noise_s=0.1, signal_azimuth_deg=10.0, seconds=0.2, seed=5)
    source = blocks.vector_source_c(
        np.concatenate([first, second]).ravel().tolist(),
        False,
        M,
        [_noise_tag(offset, on) for offset, on in SWITCHES],
    )
    selector = window_selector(M, WINDOW, PERIOD)
    calibrator = coherence_calibrator(
        M,
        WINDOW,
        RATE,
        "noise",
        GEOMETRY.positions_m.tolist(),
        FREQUENCY,
        calibration_s=0.0,
        drift_threshold_deg=5.0,
    )
    sink = blocks.vector_sink_c(M)
    flowgraph = gr.top_block()
    flowgraph.connect(source, selector, calibrator, sink)
    flowgraph.run()
    assert calibrator.last_drift_deg == pytest.approx(30.0, abs=3.0)
    np.testing.assert_allclose(calibrator.calibration.gains, after / after[0], rtol=0.05, atol=0.05)


def _noise_tag(offset: int, on: bool) -> gr.tag_t:
    value = messages.to_pmt({"on": on})
    return gr.tag_utils.python_to_tag((offset, pmt.intern(messages.NOISE_SOURCE), value, pmt.intern("test")))


def test_refusals(tmp_path) -> None:
    with pytest.raises(ValueError, match="mode"):
        coherence_calibrator(M, WINDOW, RATE, "magic")
    with pytest.raises(ValueError, match="element positions"):
        coherence_calibrator(M, WINDOW, RATE, "noise")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(CalibrationFileError, match=r"bad\.json: not a usable calibration file"):
        coherence_calibrator(
            M, WINDOW, RATE, "file", GEOMETRY.positions_m.tolist(), FREQUENCY, calibration_path=str(bad)
        )
