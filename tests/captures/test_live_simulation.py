"""The simulated live array: seeds, channel gains, the noise source, truths on the receiver's clock,
the simulator's signal model, speed."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from gnuradio.bearing.array.coherence import coherence, noise_source_gains
from gnuradio.bearing.array.covariance import sample_covariance
from gnuradio.bearing.array.geometry import wavelength_m
from gnuradio.bearing.captures.live_simulation import LiveSimulation
from gnuradio.bearing.captures.presets import demo_ula4_scenario
from gnuradio.bearing.captures.scenario import ArraySpec, Emitter, ImpairmentConfig, OfdmSpec
from gnuradio.bearing.captures.simulation import simulate
from gnuradio.bearing.doa.classical import Estimator

DEMO = demo_ula4_scenario()
HYBRID = ArraySpec.from_dict(
    {
        "kind": "ula",
        "num_elements": 5,
        "spacing_m": 0.03,
        "hybrid": {"num_subarrays": [1, 1], "subarray_sizes": [2, 3]},
    }
)


def short_scenario(**changes):
    """The demo array with short periods: 3 segments of 100 snapshots and 50 gap samples (period
    150), the emitter at -60, 0, 60 deg, and a second emitter in segment 1 only."""
    emitters = (
        *DEMO.emitters,
        Emitter(azimuth_deg=25.0, snr_db=5.0, first_segment=1, last_segment=1, label="b"),
    )
    base = dataclasses.replace(
        DEMO, emitters=emitters, snapshots_per_segment=100, num_segments=3, gap_samples=50
    )
    return dataclasses.replace(base, **changes)


def covariance(samples: np.ndarray) -> np.ndarray:
    return sample_covariance(samples.T)


def test_a_seed_gives_the_same_stream_whatever_the_block_lengths_and_none_new_offsets():
    whole = LiveSimulation(DEMO, channel_seed=7, noise_source_s=0.004).next_block(25_000)
    pieces = LiveSimulation(DEMO, channel_seed=7, noise_source_s=0.004)
    parts = [pieces.next_block(count) for count in (1, 3_999, 10_000, 0, 11_000)]
    np.testing.assert_array_equal(np.concatenate([p.samples for p in parts]), whole.samples)
    assert [p.first_sample for p in parts] == [0, 1, 4_000, 14_000, 14_000]
    switches = [switch for p in parts for switch in p.noise_source]
    assert switches == whole.noise_source == [(0, True), (4_000, False)]
    assert whole.samples.dtype == np.complex64 and whole.samples.shape == (25_000, 4)

    fresh = [LiveSimulation(DEMO).channel_gains for _ in range(2)]
    assert not np.allclose(fresh[0], fresh[1])
    assert not np.allclose(LiveSimulation(DEMO, channel_seed=8).channel_gains, pieces.channel_gains)


def test_channel_gains_phase_uniform_with_channel_0_and_gain_spread_in_db():
    many = ArraySpec(kind="uca", num_elements=400, radius_m=1.0)
    gains = LiveSimulation(dataclasses.replace(DEMO, array=many, impairments=ImpairmentConfig()), 1)
    phase_deg = np.angle(gains.channel_gains, deg=True)
    gain_db = 20 * np.log10(np.abs(gains.channel_gains))
    assert abs(phase_deg[0]) > 1.0  # the reference channel has an offset too
    assert phase_deg.min() < -170 and phase_deg.max() > 170
    assert 0.9 < np.std(gain_db) < 1.1
    plain = LiveSimulation(DEMO, channel_seed=1, phase_offsets=False, gain_offset_db=0.0).channel_gains
    np.testing.assert_array_equal(plain, np.ones(4))


def test_noise_source_covariance_gives_the_channel_gains():
    live = LiveSimulation(DEMO, channel_seed=3, noise_source_s=0.02, noise_source_snr_db=20.0)
    block = live.next_block(30_000)
    assert block.noise_source == [(0, True), (20_000, False)]
    on = covariance(block.samples[:20_000])
    np.testing.assert_allclose(noise_source_gains(on), live.channel_gains / live.channel_gains[0], atol=0.02)
    # Each channel: |g|^2 (P_ns + 1), the common noise at 20 dB over the thermal noise.
    power = np.abs(live.channel_gains) ** 2 * 101.0
    np.testing.assert_allclose(np.real(np.diag(on)), power, rtol=0.05)
    assert coherence(on) > 0.98
    # Switched off, the antennas see the emitter again: no longer the gains' direction.
    off = noise_source_gains(covariance(block.samples[20_000:]))
    assert np.max(np.abs(off - live.channel_gains / live.channel_gains[0])) > 0.5


def test_truths_at_every_period_start_with_the_scenario_bearings_wrapping():
    live = LiveSimulation(short_scenario(), channel_seed=1)
    assert live.period_samples == 150
    assert live.next_block(100).truths[0].sample_start == 0
    block = live.next_block(500)  # samples 100 .. 599: periods start at 150, 300, 450
    found = [(t.sample_start, t.sample_count, t.azimuth_deg, t.label) for t in block.truths]
    assert found == [
        (150, 150, 0.0, "ue"),
        (150, 150, 25.0, "b"),
        (300, 150, 60.0, "ue"),
        (450, 150, -60.0, "ue"),
    ]
    assert all(t.elevation_deg == 0.0 and t.extra["bearing:emitter_index"] in (0, 1) for t in block.truths)


def test_the_signal_is_the_simulators_covariance_for_covariance():
    """Live (channel gains removed) and the simulator's capture of the same scenario, with its impaired
    array (rho = 1) and a coherent reflection, have the same covariance in every segment: a live run
    compares with a replay."""
    reflection = Emitter(azimuth_deg=30.0, snr_db=5.0, coherent_with=0, coherent_phase_deg=90.0)
    scenario = dataclasses.replace(
        DEMO,
        emitters=(*DEMO.emitters, reflection),
        snapshots_per_segment=20_000,
        num_segments=3,
        gap_samples=0,
    )
    simulated = simulate(scenario)
    live = LiveSimulation(scenario, channel_seed=2)
    for segment in simulated.segments:
        expected = covariance(simulated.samples[segment.sample_start : segment.sample_start + 20_000])
        x = live.next_block(20_000).samples / live.channel_gains
        error = np.linalg.norm(covariance(x) - expected) / np.linalg.norm(expected)
        assert error < 0.04, segment


def test_music_on_samples_with_the_offsets_removed_finds_the_emitter():
    """The demo's emitter and SNR on an ideal array (the demo's rho = 1 array biases MUSIC by degrees)."""
    scenario = dataclasses.replace(DEMO, impairments=ImpairmentConfig())
    live = LiveSimulation(scenario, channel_seed=4)
    estimator = Estimator(live.geometry, wavelength_m(scenario.frequency_hz), np.arange(-90.0, 90.1, 0.5))
    live.next_block(40 * live.period_samples)  # to segment 40, -20 deg
    for _ in range(3):
        block = live.next_block(live.period_samples)
        truth = block.truths[0].azimuth_deg
        corrected = estimator.estimate(covariance(block.samples / live.channel_gains), 1).azimuth_deg[0]
        raw = estimator.estimate(covariance(block.samples), 1).azimuth_deg[0]
        assert abs(corrected - truth) < 1.0
        assert abs(raw - truth) > 5.0  # the channel offsets are there


def test_set_noise_source_switches_from_the_next_block():
    live = LiveSimulation(DEMO, channel_seed=5, noise_source_s=0.05)
    assert live.next_block(1_000).noise_source == [(0, True)]
    live.set_noise_source(False)
    assert live.next_block(1_000).noise_source == [(1_000, False)]
    live.set_noise_source(True)
    block = live.next_block(20_000)
    assert block.noise_source == [(2_000, True)]  # and stays on: the message cancels noise_source_s's end
    assert coherence(covariance(block.samples)) > 0.98
    live.set_noise_source(False)
    live.set_noise_source(True)
    assert live.next_block(1_000).noise_source == []


def test_set_noise_source_before_the_first_block_is_the_initial_state():
    live = LiveSimulation(DEMO, channel_seed=5, noise_source_s=0.5)
    live.set_noise_source(False)
    assert live.next_block(10).noise_source == [(0, False)]


def test_streams_four_channels_at_1_msps_faster_than_real_time():
    live = LiveSimulation(DEMO, channel_seed=6)
    live.next_block(10_000)
    start = time.perf_counter()
    for _ in range(100):
        live.next_block(10_000)  # 10 ms each
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ofdm": OfdmSpec(fft_size=64, num_subcarriers=8, subcarrier_spacing_hz=1e6 / 64)}, "ofdm"),
        ({"array": HYBRID, "impairments": ImpairmentConfig()}, "array.hybrid"),
    ],
)
def test_wideband_and_hybrid_scenarios_are_refused(change, field):
    with pytest.raises(ValueError, match=f"^{field}: .* not streamed live"):
        LiveSimulation(dataclasses.replace(DEMO, **change))
