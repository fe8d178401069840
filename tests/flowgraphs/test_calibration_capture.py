"""Calibration captures read through real flowgraphs into labelled items; pinned array realisations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing import cli
from gnuradio.bearing.array.geometry import ula
from gnuradio.bearing.captures.presets import (
    calibration_ula4_scenario,
    demo_ula4_impairments,
    demo_ula4_scenario,
)
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.scenario import ArraySpec, Emitter, ImpairmentConfig, Scenario
from gnuradio.bearing.captures.schema import BEARING_EXTENSION, Truth
from gnuradio.bearing.captures.simulation import simulate, write
from gnuradio.bearing.captures.writer import write_capture
from gnuradio.bearing.flowgraphs.calibration_capture import read_calibration
from gnuradio.bearing.learned.calibration import CalibrationSet
from gnuradio.bearing.nr import simulator as srs_simulator
from gnuradio.bearing.nr.carrier import Carrier
from gnuradio.bearing.nr.simulator import SrsScenario, SrsUe, srs_calibration_ula4_scenario
from gnuradio.bearing.nr.srs import SrsConfig

DEMO_CAPTURE = Path(__file__).resolve().parents[2] / "examples" / "data" / "demo_ula4.sigmf-meta"
SWEEP_DEG = np.linspace(-40.0, 40.0, 9)
SRS_CARRIER = Carrier(mu=1, n_rb=51, n_fft=1024)  # 20 MHz at 30 kHz: small and fast
WIDE = SrsConfig(c_srs=12, k_tc=2, t_srs=2)  # 48 RB: 288 pilots on comb 2, every other slot


def sweep(**changes) -> Scenario:
    """The demo's array (4-element ULA at 4.85 GHz, rho = 1), one emitter over 9 angles, 64 snapshots each."""
    fields = dict(
        emitters=(Emitter(azimuth_deg=-40.0, azimuth_end_deg=40.0, snr_db=10.0),),
        snapshots_per_segment=64,
        num_segments=9,
        gap_samples=100,
        seed=5,
    )
    return dataclasses.replace(demo_ula4_scenario(), **(fields | changes))


def srs_sweep(**changes) -> SrsScenario:
    """One UE over the 9 angles, one per occasion, noise-free through an ideal array."""
    ue = SrsUe(WIDE, azimuth_deg=-40.0, azimuth_end_deg=40.0, range_m=0.0)
    fields = dict(carrier=SRS_CARRIER, ues=(ue,), num_slots=18, add_noise=False)
    return dataclasses.replace(srs_simulator.demo_srs_scenario(), **(fields | changes))


def test_narrowband_items_are_the_capture_samples_with_their_truth(tmp_path):
    path = write(simulate(sweep()), tmp_path / "sweep")
    calibration = read_calibration(path, snapshots_per_window=32)
    samples = read_capture(path).read(0, 9 * 64)
    assert calibration.kind == "narrowband" and calibration.cfrs.shape == (9 * 64, 1, 4)
    assert calibration.cfrs.dtype == np.complex64 and np.array_equal(calibration.cfrs[:, 0], samples)
    assert np.array_equal(calibration.azimuth_deg, np.repeat(SWEEP_DEG, 64))
    assert np.array_equal(calibration.window, np.repeat(np.arange(18), 32))
    assert np.array_equal(calibration.subcarrier_offsets_hz, [0.0])
    assert calibration.frequency_hz == 4.85e9 and calibration.sample_rate_hz == 1e6
    assert np.allclose(calibration.positions_m, demo_ula4_scenario().array.geometry().positions_m)
    assert (calibration.dropped_windows, calibration.dropped_without_truth) == (0, 0)


def test_narrowband_windows_stay_inside_segments(tmp_path):
    """48 of 64 snapshots make one window per segment; the 16 left over are not used, as at inference."""
    path = write(simulate(sweep()), tmp_path / "sweep")
    calibration = read_calibration(path, snapshots_per_window=48)
    assert calibration.num_items == 9 * 48 and calibration.dropped_windows == 0
    assert np.array_equal(calibration.window, np.repeat(np.arange(9), 48))
    samples = read_capture(path).read(64, 48)  # the window of segment 1
    assert np.array_equal(calibration.cfrs[calibration.window == 1, 0], samples)


def test_items_without_truth_and_windows_with_nan_are_dropped_and_counted(tmp_path):
    simulated = simulate(sweep(emitters=(Emitter(azimuth_deg=10.0, snr_db=10.0, first_segment=3),)))
    samples = simulated.samples.copy()
    samples[4 * 64 + 40] = np.nan  # segment 4, second window of 32
    path = write_capture(
        tmp_path / "nan",
        samples,
        sample_rate_hz=1e6,
        frequency_hz=4.85e9,
        geometry=simulated.geometry,
        segments=simulated.segments,
        truths=simulated.truths,
        extra_global={"core:extensions": [BEARING_EXTENSION]},
    )
    calibration = read_calibration(path, snapshots_per_window=32)
    assert calibration.dropped_without_truth == 3 * 64 and calibration.dropped_windows == 1
    assert calibration.num_items == 6 * 64 - 32 and np.all(calibration.azimuth_deg == 10.0)
    assert np.all(np.isfinite(calibration.cfrs)) and np.unique(calibration.window).size == 11


def test_srs_items_are_the_simulated_channels_at_the_selected_pilots(tmp_path):
    simulated = srs_simulator.simulate(srs_sweep())
    path = srs_simulator.write(simulated, tmp_path / "srs")
    calibration = read_calibration(path, num_subcarriers=16)
    assert calibration.kind == "srs" and calibration.cfrs.shape == (9, 16, 4)
    assert np.array_equal(calibration.azimuth_deg, SWEEP_DEG)
    assert [t.azimuth_deg for t in simulated.truths] == pytest.approx(SWEEP_DEG)
    assert np.array_equal(calibration.window, np.arange(9))
    assert calibration.sample_rate_hz == SRS_CARRIER.sample_rate_hz
    for item, occasion in zip(calibration.cfrs, simulated.occasions, strict=True):
        pilots_hz = SRS_CARRIER.subcarrier_offsets_hz(occasion.subcarriers[0])
        chosen = np.searchsorted(pilots_hz, calibration.subcarrier_offsets_hz)
        assert np.array_equal(pilots_hz[chosen], calibration.subcarrier_offsets_hz)
        assert np.array_equal(chosen, (2 * np.arange(16) + 1) * 288 // 32)  # uniform over the band
        truth = occasion.channel[0][chosen]  # (K, M)
        assert np.max(np.abs(item - truth) / np.abs(truth)) < 1e-3
    every_pilot = read_calibration(path, num_subcarriers=0)
    assert every_pilot.cfrs.shape == (9, 288, 4)


def test_srs_frequency_hopping_is_refused(tmp_path):
    hopping = dataclasses.replace(WIDE, b_srs=1, b_hop=0)
    ue = SrsUe(hopping, azimuth_deg=10.0, range_m=0.0)
    path = srs_simulator.write(srs_simulator.simulate(srs_sweep(ues=(ue,))), tmp_path / "hop")
    with pytest.raises(ValueError, match="other subcarriers than the first item"):
        read_calibration(path, num_subcarriers=4)


def test_captures_are_concatenated_with_distinct_windows(tmp_path):
    first = write(simulate(sweep()), tmp_path / "a")
    second = write(simulate(sweep(seed=6, num_segments=2)), tmp_path / "b")
    both = read_calibration([first, second], snapshots_per_window=64)
    assert both.num_items == 11 * 64 and np.array_equal(both.window, np.repeat(np.arange(11), 64))
    srs = read_calibration(srs_simulator.write(srs_simulator.simulate(srs_sweep()), tmp_path / "srs"))
    with pytest.raises(ValueError, match=r"sets\[1\]: its items are srs"):
        CalibrationSet.concatenate([both, srs])


def test_max_windows_keeps_windows_spread_evenly_over_the_captures(tmp_path):
    """Memory is bounded by max_windows: the windows kept are shared by the captures in
    proportion to the windows they hold, spread evenly over each (every angle of a sweep kept)."""
    first = write(simulate(sweep()), tmp_path / "a")  # 9 segments of 64: 18 windows of 32
    second = write(simulate(sweep(seed=6, num_segments=3)), tmp_path / "b")  # 6 windows
    everything = read_calibration([first, second], snapshots_per_window=32)
    kept = read_calibration([first, second], snapshots_per_window=32, max_windows=12)
    assert (everything.num_windows, everything.windows_left_out) == (24, 0)
    assert (kept.num_windows, kept.windows_left_out, kept.num_items) == (12, 12, 12 * 32)
    angles = [np.unique(np.round(kept.azimuth_deg[kept.window == w], 6)) for w in range(12)]
    assert [a.size for a in angles] == [1] * 12
    assert [float(a[0]) for a in angles] == [*SWEEP_DEG, -40.0, 0.0, 40.0]  # 9 of a's 18, 3 of b's 6
    with pytest.raises(ValueError, match="max_windows"):
        read_calibration(first, max_windows=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(array=ArraySpec(kind="ula", num_elements=4, spacing_m=0.05)), "another array than"),
        (dict(frequency_hz=2.4e9), "another carrier than"),
    ],
)
def test_captures_of_another_array_or_carrier_are_refused(tmp_path, changes, message):
    reference = write(simulate(sweep(impairments=ImpairmentConfig())), tmp_path / "a")
    other = write(simulate(sweep(impairments=ImpairmentConfig(), **changes)), tmp_path / "b")
    with pytest.raises(ValueError, match=f"b.sigmf-meta: {message} .*a.sigmf-meta"):
        read_calibration([reference, other], snapshots_per_window=64)


def test_captures_without_truth_or_with_two_sources_are_refused(tmp_path):
    silent = write(simulate(sweep(emitters=())), tmp_path / "silent")
    with pytest.raises(ValueError, match="no ground-truth annotation"):
        read_calibration(silent)
    two = sweep(emitters=(Emitter(azimuth_deg=-10.0, snr_db=10.0), Emitter(azimuth_deg=30.0, snr_db=10.0)))
    with pytest.raises(ValueError, match="two truth annotations"):
        read_calibration(write(simulate(two), tmp_path / "two"), snapshots_per_window=64)
    with pytest.raises(ValueError, match="no window of 65 samples fits in a capture segment"):
        read_calibration(write(simulate(sweep()), tmp_path / "short"), snapshots_per_window=65)
    with pytest.raises(ValueError, match="snapshots_per_window"):
        read_calibration(silent, snapshots_per_window=0)


def test_a_pinned_realisation_is_the_demo_array(tmp_path):
    demo = read_capture(DEMO_CAPTURE).global_info["bearing:impairments"]
    assert demo_ula4_scenario().impairment_realisation().to_dict() == demo
    pinned = sweep(impairments=demo_ula4_impairments())
    assert Scenario.from_json(pinned.to_json()) == pinned
    assert simulate(pinned).impairments.to_dict() == demo
    assert not np.array_equal(
        simulate(pinned).samples, simulate(sweep(seed=6, impairments=pinned.impairments)).samples
    )
    assert (
        srs_simulator.simulate(srs_sweep(impairments=demo_ula4_impairments())).impairments.to_dict() == demo
    )
    meta = json.loads(write(simulate(pinned), tmp_path / "pinned").read_text())
    assert meta["global"]["bearing:scenario"]["impairments"]["realisation"] == demo


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(rho=0.5), "rho: must be the pinned realisation's rho = 1.0"),
        (dict(seed=3), "seed: not used with a pinned realisation"),
        (dict(realisation={"rho": 1.0}), r"realisation\.gain_db: required field is missing"),
    ],
)
def test_bad_pinned_realisations_are_named(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(demo_ula4_impairments(), **changes)


def test_a_pinned_realisation_of_another_element_count_is_refused():
    with pytest.raises(ValueError, match=r"impairments\.realisation: holds 4 elements, the array has 5"):
        sweep(
            array=ArraySpec(kind="ula", num_elements=5, spacing_m=0.03), impairments=demo_ula4_impairments()
        )


def test_calibration_presets_sweep_the_demo_array(tmp_path):
    narrowband = calibration_ula4_scenario()
    assert narrowband.array == demo_ula4_scenario().array and narrowband.seed != demo_ula4_scenario().seed
    angles = [narrowband.emitters[0].azimuth_at(i, narrowband.num_segments) for i in range(1201)]
    assert angles == pytest.approx(np.arange(-60.0, 60.05, 0.1))
    srs = srs_calibration_ula4_scenario()
    assert (
        srs.array == narrowband.array and srs.impairments == narrowband.impairments == demo_ula4_impairments()
    )
    assert srs.num_occasions(srs.ues[0]) == 121 and SrsScenario.from_json(json.dumps(srs.to_dict())) == srs
    assert cli.main(["simulate", "--preset", "calibration_ula4", "--out", str(tmp_path / "cal")]) == 0
    capture = read_capture(tmp_path / "cal.sigmf-meta")
    assert capture.data_path.stat().st_size < 5e6 and len(capture.truths) == 1201


def test_windows_without_truth_are_not_read_and_every_capture_keeps_one(tmp_path):
    """The budget goes to windows with a ground truth (the others are never read, their items
    counted as dropped without truth), and a capture whose share rounds to nothing keeps one."""
    geometry = ula(4, 0.03)
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal((2000 * 16, 4)) + 1j * rng.standard_normal((2000 * 16, 4))).astype(
        np.complex64
    )
    # blocks of 10 windows of 16 samples, every other block annotated; a zero-length truth too
    truths = [Truth(block * 160, 160, float(block % 50)) for block in range(0, 200, 2)] + [Truth(170, 0, 3.0)]
    common = dict(sample_rate_hz=1e6, frequency_hz=4.85e9, geometry=geometry)
    blocks_path = write_capture(tmp_path / "blocks", samples, truths=truths, **common)
    calibration = read_calibration(blocks_path, snapshots_per_window=16, max_windows=100)
    assert (calibration.num_windows, calibration.windows_left_out) == (100, 900)
    assert calibration.dropped_without_truth == 1000 * 16 and not np.any(np.isnan(calibration.azimuth_deg))
    one = write_capture(tmp_path / "one", samples[:16], truths=[Truth(0, 16, 7.0)], **common)
    both = read_calibration([blocks_path, one], snapshots_per_window=16, max_windows=10)
    assert both.num_windows == 10 and 7.0 in both.azimuth_deg


def test_thinned_keeps_whole_windows_spread_evenly_and_renumbers_them():
    """CalibrationSet.thinned, as read_calibration applies it to SRS captures after extraction."""
    rng = np.random.default_rng(0)
    window = np.repeat(np.arange(10), 2)  # 10 windows of 2 items (an occasion's two ports)
    srs = CalibrationSet(
        cfrs=rng.standard_normal((20, 3, 4)).astype(np.complex64),
        azimuth_deg=np.repeat(np.arange(10.0), 2),
        window=window,
        subcarrier_offsets_hz=np.array([-1e6, 0.0, 1e6]),
        frequency_hz=3.5e9,
        positions_m=np.zeros((4, 3)) + np.arange(4)[:, None] * [0, 0.04, 0],
        sample_rate_hz=30.72e6,
        kind="srs",
        windows_left_out=1,
    )
    kept = srs.thinned(4)
    assert (kept.num_windows, kept.windows_left_out, kept.num_items) == (4, 7, 8)
    assert kept.azimuth_deg.tolist() == [0.0, 0.0, 3.0, 3.0, 6.0, 6.0, 9.0, 9.0]
    assert kept.window.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    np.testing.assert_array_equal(kept.cfrs, srs.cfrs[np.isin(window, [0, 3, 6, 9])])
    assert srs.thinned(10) is srs
