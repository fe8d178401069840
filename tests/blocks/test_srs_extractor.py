"""The SRS extractor in real flowgraphs: simulated SRS captures in, LS channels out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.blocks.capture_source import capture_source
from gnuradio.bearing.blocks.srs_extractor import srs_extractor
from gnuradio.bearing.captures.schema import CaptureError, Segment
from gnuradio.bearing.captures.writer import write_capture
from gnuradio.bearing.nr import metadata as nr_metadata
from gnuradio.bearing.nr import simulator as srs_simulator
from gnuradio.bearing.nr.carrier import Carrier
from gnuradio.bearing.nr.simulator import SrsScenario, SrsUe
from gnuradio.bearing.nr.srs import SrsConfig
from helpers.flowgraphs import run_within

SAMPLE_RATE_HZ = 30.72e6
CARRIER = Carrier(mu=1, n_rb=51, n_fft=1024)  # 20 MHz at 30 kHz: small and fast
WIDE = dict(c_srs=12, k_tc=2, t_srs=5)  # m_SRS = 48 RB


def scenario(*ues: SrsUe, **changes) -> SrsScenario:
    base = srs_simulator.demo_srs_scenario()
    fields = dict(carrier=CARRIER, ues=ues, num_slots=20, add_noise=False)
    return dataclasses.replace(base, **(fields | changes))


def extract(sim, tmp_path, num_subcarriers: int = 0, **options):
    """Runs capture_source -> srs_extractor -> vector sinks on ``sim``: (block, items, tags) per UE."""
    path = str(srs_simulator.write(sim, tmp_path / "srs"))
    extractor = srs_extractor(path, num_subcarriers=num_subcarriers, **options)
    segmented = len(sim.segments) > 1
    source = capture_source(path, segment_length=extractor.window_samples if segmented else 0)
    sinks = [blocks.vector_sink_c(4 * k) for k in extractor.output_sizes]
    top = gr.top_block()
    top.connect(source, extractor)
    for output, sink in enumerate(sinks):
        top.connect((extractor, output), sink)
    run_within(top)
    items = [
        np.array(sink.data()).reshape(-1, 4, k) for sink, k in zip(sinks, extractor.output_sizes, strict=True)
    ]
    tags = [
        [
            messages.from_pmt(t.value)
            for t in sink.tags()
            if pmt.symbol_to_string(t.key) == messages.SRS_OCCASION
        ]
        for sink in sinks
    ]
    return extractor, items, tags


def truth_channels(sim, ue: int) -> list[np.ndarray]:
    """``(M, M_sc)`` simulated channel of port 0 in each occasion of ``ue``."""
    return [occasion.channel[0].T for occasion in sim.occasions if occasion.ue == ue]


def relative_errors(estimates: np.ndarray, truths: list[np.ndarray]) -> np.ndarray:
    return np.abs(estimates - np.array(truths)) / np.abs(np.array(truths))


def test_noise_free_symbol_gives_the_simulated_channel_on_every_antenna_and_subcarrier(tmp_path):
    sim = srs_simulator.simulate(scenario(SrsUe(SrsConfig(**WIDE), azimuth_deg=25.0, range_m=0.0)))
    extractor, items, tags = extract(sim, tmp_path)
    assert extractor.output_sizes == [48 * 12 // 2]
    assert len(items[0]) == 4  # slots 0, 5, 10, 15
    assert np.max(relative_errors(items[0], truth_channels(sim, 0))) < 1e-5
    assert [tag["slot"] for tag in tags[0]] == [0, 5, 10, 15]
    assert [tag["sample_index"] for tag in tags[0]] == [o.sample_start for o in sim.occasions]
    assert all(abs(tag["timing_offset_s"]) * SAMPLE_RATE_HZ < 1e-3 for tag in tags[0])


def test_at_30_db_the_error_is_the_ls_noise(tmp_path):
    """At 30 dB per time sample the LS estimate per pilot is at 30 + 10 log10(n_fft / M_sc) dB:
    its relative error has that rms (the physics floor; 1e-3 per pilot needs about 60 dB)."""
    ue = SrsUe(SrsConfig(**WIDE), azimuth_deg=25.0, range_m=0.0, snr_db=30.0)
    sim = srs_simulator.simulate(scenario(ue, add_noise=True, num_slots=40))
    _, items, _ = extract(sim, tmp_path)
    errors = relative_errors(items[0], truth_channels(sim, 0))
    per_pilot_snr_db = 30.0 + 10 * np.log10(1024 / 288)
    assert np.sqrt(np.mean(errors**2)) == pytest.approx(10 ** (-per_pilot_snr_db / 20), rel=0.1)


@pytest.mark.parametrize("add_noise", [False, True])
def test_timing_offset_and_cfo_are_estimated_and_removed(tmp_path, add_noise):
    """60 samples of timing error (inside the 72-sample CP) and 1 kHz of CFO, two SRS symbols."""
    config = SrsConfig(c_srs=12, k_tc=2, t_srs=5, l0=12, n_symb=2, repetition=2)
    ue = SrsUe(config, azimuth_deg=-30.0, range_m=15.0, cfo_hz=1000.0, snr_db=30.0)
    sim = srs_simulator.simulate(
        scenario(ue, timing_offset_s=20 / SAMPLE_RATE_HZ, continuous=True, add_noise=add_noise)
    )
    _, items, tags = extract(sim, tmp_path)
    assert len(items[0]) == 4
    delay_samples = (15.0 / srs_simulator.SPEED_OF_LIGHT_M_S + 20 / SAMPLE_RATE_HZ) * SAMPLE_RATE_HZ
    for estimate, truth, tag in zip(items[0], truth_channels(sim, 0), tags[0], strict=True):
        assert tag["timing_offset_s"] * SAMPLE_RATE_HZ == pytest.approx(delay_samples, abs=0.05)
        assert tag["cfo_hz"] == pytest.approx(1000.0, abs=5.0 if add_noise else 1e-3)
        ratio = np.sum(estimate / truth, axis=0)  # phase per pilot, common to the antennas
        common = ratio[0] / abs(ratio[0])
        phase_deg = np.degrees(np.unwrap(np.angle(ratio / common)))
        slope_deg = np.polyfit(np.linspace(0, 1, phase_deg.size), phase_deg, 1)[0]
        assert abs(slope_deg) < 1.0  # residual phase slope across the band, degrees
        if not add_noise:
            assert np.max(np.abs(estimate / common - truth) / np.abs(truth)) < 1e-4


def test_ues_on_other_combs_and_cyclic_shifts_are_separated(tmp_path):
    """Three UEs in one symbol: combs 0 and 1, and a second UE on comb 0 with another cyclic shift."""
    ues = (
        SrsUe(SrsConfig(ue=0, comb_offset=0, n_cs=0, **WIDE), azimuth_deg=-40.0, range_m=0.0),
        SrsUe(SrsConfig(ue=1, comb_offset=1, n_cs=0, **WIDE), azimuth_deg=10.0, range_m=0.0),
        SrsUe(SrsConfig(ue=2, comb_offset=0, n_cs=4, **WIDE), azimuth_deg=50.0, range_m=0.0),
    )
    sim = srs_simulator.simulate(scenario(*ues))
    _, items, tags = extract(sim, tmp_path)
    for ue in range(3):
        assert {tag["ue"] for tag in tags[ue]} == {ue}
        truths = truth_channels(sim, ue)
        # Alone on its comb: exact. Sharing comb 0: the cyclic-shift window's truncation, small.
        bound = 1e-5 if ue == 1 else 0.05
        errors = relative_errors(items[ue], truths)
        assert np.median(errors) < bound / 5 and np.max(errors) < bound


def test_live_parameters_give_the_same_channels_as_the_capture(tmp_path):
    """A continuous stream from a vector source, timing from block parameters (as a live receiver)."""
    config = SrsConfig(**WIDE, t_offset=2)
    sim = srs_simulator.simulate(scenario(SrsUe(config, azimuth_deg=5.0), continuous=True, start_frame=3))
    _, expected, _ = extract(sim, tmp_path, num_subcarriers=16)
    extractor = srs_extractor(
        num_elements=4, num_subcarriers=16, carrier=CARRIER.to_dict(), srs=[config.to_dict()], start_frame=3
    )
    source = blocks.vector_source_c(sim.samples.ravel().tolist(), False, 4)
    sink = blocks.vector_sink_c(4 * 16)
    top = gr.top_block()
    top.connect(source, extractor, sink)
    run_within(top)
    live = np.array(sink.data()).reshape(-1, 4, 16)
    assert len(live) == 4
    np.testing.assert_allclose(live, expected[0], atol=1e-5)


def test_a_segment_cut_in_an_srs_symbol_drops_that_occasion_and_goes_on(tmp_path):
    sim = srs_simulator.simulate(scenario(SrsUe(SrsConfig(**WIDE), azimuth_deg=25.0, range_m=0.0)))
    cut = sim.segments[1]
    keep = cut.sample_count // 2
    samples = np.concatenate(
        [sim.samples[: cut.sample_start + keep], sim.samples[cut.sample_start + cut.sample_count :]]
    )
    segments = [*sim.segments[:1], dataclasses.replace(cut, sample_count=keep)]
    for segment in sim.segments[2:]:
        segments.append(
            dataclasses.replace(segment, sample_start=segment.sample_start - cut.sample_count + keep)
        )
    path = str(
        srs_simulator.write(
            dataclasses.replace(sim, samples=samples, segments=segments, truths=[]), tmp_path / "cut"
        )
    )
    extractor = srs_extractor(path, num_subcarriers=0)
    source = capture_source(path, segment_length=extractor.window_samples)
    sink = blocks.vector_sink_c(4 * extractor.output_sizes[0])
    top = gr.top_block()
    top.connect(source, extractor, sink)
    run_within(top)
    items = np.array(sink.data()).reshape(-1, 4, extractor.output_sizes[0])
    truths = truth_channels(sim, 0)
    assert len(items) == 3
    assert np.max(relative_errors(items, [truths[0], truths[2], truths[3]])) < 1e-5


def test_nan_samples_drop_the_occasion_with_a_count(tmp_path):
    sim = srs_simulator.simulate(scenario(SrsUe(SrsConfig(**WIDE), azimuth_deg=25.0)))
    sim.samples[sim.segments[2].sample_start + 500, 1] = np.nan
    extractor, items, _ = extract(sim, tmp_path)
    assert len(items[0]) == 3 and np.all(np.isfinite(items[0]))
    assert extractor.estimator.failed_estimates == 1


def test_a_capture_without_nr_metadata_is_refused(make_capture):
    with pytest.raises(CaptureError, match="nr:carrier is missing"):
        srs_extractor(str(make_capture()))


def test_bad_nr_metadata_names_the_field(tmp_path):
    sim = srs_simulator.simulate(scenario(SrsUe(SrsConfig(**WIDE), azimuth_deg=25.0)))
    bad = dict(SrsConfig(**WIDE).to_dict(), c_srs=64)
    path = write_capture(
        tmp_path / "bad",
        sim.samples,
        sample_rate_hz=SAMPLE_RATE_HZ,
        frequency_hz=4.85e9,
        geometry=sim.geometry,
        segments=[Segment(0, len(sim.samples), extra=nr_metadata.SymbolTime(0, 0, 13).segment_fields())],
        extra_global={
            "core:extensions": [nr_metadata.NR_EXTENSION],
            nr_metadata.CARRIER_KEY: CARRIER.to_dict(),
            nr_metadata.SRS_KEY: [bad],
        },
    )
    with pytest.raises(CaptureError, match=r"nr:srs\[0\]\.c_srs"):
        srs_extractor(str(path))


def test_live_parameters_are_checked():
    with pytest.raises(ValueError, match="carrier: required"):
        srs_extractor(num_elements=4, srs=[SrsConfig().to_dict()])
    with pytest.raises(ValueError, match="n_cs"):
        srs_extractor(num_elements=4, carrier=CARRIER.to_dict(), srs='[{"k_tc": 2, "n_cs": 9}]')


def test_a_repeated_segmented_capture_starts_its_windows_again(tmp_path):
    sim = srs_simulator.simulate(scenario(SrsUe(SrsConfig(**WIDE), azimuth_deg=25.0, range_m=0.0)))
    path = str(srs_simulator.write(sim, tmp_path / "srs"))
    extractor = srs_extractor(path, num_subcarriers=16)
    source = capture_source(path, repeat=True, segment_length=extractor.window_samples)
    head = blocks.head(gr.sizeof_gr_complex * 4 * 16, 10)
    sink = blocks.vector_sink_c(4 * 16)
    top = gr.top_block()
    top.connect(source, extractor, head, sink)
    run_within(top)
    items = np.array(sink.data()).reshape(-1, 4 * 16)
    assert len(items) == 10 and extractor.estimator.failed_estimates == 0
    np.testing.assert_allclose(items[4:8], items[:4])
