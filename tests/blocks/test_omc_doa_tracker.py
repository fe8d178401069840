"""Flowgraph tests of the H2AD candidate generator and the OMC-DOA tracker."""

from __future__ import annotations

import time

import numpy as np
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.array.hybrid import HybridArray, HybridLayout
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.doa.crb import hybrid_stochastic_crb
from gnuradio.bearing.h2ad.omc_doa import estimates_to_drop, min_weight_for_drop, steady_state_weight
from helpers.flowgraphs import run_within, window_tags
from helpers.signals import noise_power, snapshots

CARRIER_HZ = 2.4e9
SNAPSHOTS = 400


def _element_covariances(
    num_elements: int, truths_deg: list[list[float]], snr_db: float = 20.0
) -> np.ndarray:
    """One sample covariance of a half-wavelength ULA per source set, in order."""
    geometry = ula(num_elements, wavelength_m(CARRIER_HZ) / 2)
    rng = np.random.default_rng(7)
    return np.stack(
        [
            covariance.sample_covariance(
                snapshots(geometry, wavelength_m(CARRIER_HZ), t, snr_db, SNAPSHOTS, rng)[0]
            )
            for t in truths_deg
        ]
    )


def _source(matrices: np.ndarray):
    tags = window_tags(len(matrices), sample_count=SNAPSHOTS)
    return blocks.vector_source_c(
        matrices.astype(np.complex64).ravel().tolist(), False, matrices[0].size, tags
    )


def _tracked(truths_deg: list[list[float]], **tracker_options) -> list[dict]:
    """6-element ULA windows -> MDL counter -> MUSIC (auto sources) -> OMC-DOA tracker: its records."""
    geometry = ula(6, wavelength_m(CARRIER_HZ) / 2).positions_m.tolist()
    counter = bearing.source_counter(6, "mdl")
    estimator = bearing.doa_estimator(geometry, CARRIER_HZ, num_sources=0)
    tracker = bearing.omc_doa_tracker(**tracker_options)
    top = gr.top_block()
    source = _source(_element_covariances(6, truths_deg))
    sink = bearing.json_sink("")
    top.connect(source, counter, estimator, blocks.null_sink(gr.sizeof_float * len(estimator.grid_deg)))
    top.msg_connect((estimator, "bearings"), (tracker, messages.CANDIDATES_PORT))
    top.msg_connect((tracker, "bearings"), (sink, "bearings"))
    run_within(top)
    return sink.records


def test_tracker_drops_an_emitter_that_switches_off_after_the_configured_estimates():
    """Two emitters for 12 windows, then one: the tracker (K = 2 fixed) keeps the silent track
    for drop_after - 1 estimates and drops it in the drop_after-th."""
    on, off, drop_after = 12, 6, 3
    truths = [[-25.0, 30.0]] * on + [[-25.0]] * off
    records = _tracked(truths, num_sources=2, drop_after_estimates=drop_after)
    assert len(records) == on + off
    assert all(r["method"] == "omc-doa" for r in records)
    assert [r["sample_start"] for r in records] == [1000 * i for i in range(on + off)]
    np.testing.assert_allclose(sorted(records[on - 1]["azimuth_deg"]), [-25.0, 30.0], atol=0.3)
    counts = [r["num_sources"] for r in records]
    assert counts[on : on + drop_after - 1] == [2] * (drop_after - 1)
    assert counts[on + drop_after - 1 :] == [1] * (off - drop_after + 1)
    np.testing.assert_allclose(records[-1]["azimuth_deg"], [-25.0], atol=0.3)
    assert records[-1]["peak_db"] == [0.0]


def test_drop_rule_matches_the_omc_doa_module():
    """The block's min_weight drops a steady source in exactly drop_after_estimates estimates."""
    for drop_after in (1, 3, 7):
        tracker = bearing.omc_doa_tracker(
            drop_after_estimates=drop_after, half_life_estimates=2.0, source_weight=3
        )
        weight = steady_state_weight(2.0, 3)
        assert tracker.tracker._min_weight == pytest.approx(min_weight_for_drop(drop_after, 2.0, weight))
        assert estimates_to_drop(2.0, tracker.tracker._min_weight, weight) == drop_after


def test_h2ad_chain_counts_and_finds_two_sources_from_rf_chains():
    """RF-chain covariances of N = 20 (4 subarrays of 2, 4 of 3): EDC on the groups, candidates
    per group, OMC-DOA with auto sources."""
    array = HybridArray(HybridLayout((4, 4), (2, 3)), CARRIER_HZ)
    truth = [-2.0, 28.0]
    rng = np.random.default_rng(5)
    x = snapshots(array.geometry(), array.wavelength_m, truth, 20.0, SNAPSHOTS, rng, num_trials=5)
    y = array.rf_outputs(np.swapaxes(x, 1, 2))  # (trials, T, R)
    matrices = np.stack([covariance.sample_covariance(trial.T) for trial in y])
    counter = bearing.source_counter(8, "edc", group_sizes=[4, 4])
    candidates = bearing.candidate_generator((4, 4), (2, 3), CARRIER_HZ, num_sources=0)
    tracker = bearing.omc_doa_tracker(num_sources=0, source_weight=2)
    raw, tracked = blocks.message_debug(), bearing.json_sink("")
    top = gr.top_block()
    source = _source(matrices)
    top.connect(source, counter, candidates)
    top.msg_connect((candidates, messages.CANDIDATES_PORT), (raw, "store"))
    top.msg_connect((candidates, messages.CANDIDATES_PORT), (tracker, messages.CANDIDATES_PORT))
    top.msg_connect((tracker, "bearings"), (tracked, "bearings"))
    run_within(top)
    first = messages.from_pmt(raw.get_message(0))
    assert first["num_sources"] == 2 and first["method"] == "h2ad-candidates"
    assert len(first["azimuth_deg"]) == 2 * (2 + 3)  # M_g candidates per source and group
    assert sorted(set(first["weights"])) == [1.0]
    assert len(tracked.records) == 5
    for record in tracked.records:
        np.testing.assert_allclose(sorted(record["azimuth_deg"]), truth, atol=0.5)


def _h2ad_records(matrices: np.ndarray, **tracker_options) -> list[dict]:
    """RF-chain covariances of layout (4, 4, 4) x (3, 4, 5) -> candidates (K = 2) -> OMC-DOA
    (K = 2 and source weight 3 unless given)."""
    candidates = bearing.candidate_generator((4, 4, 4), (3, 4, 5), CARRIER_HZ, num_sources=2)
    tracker = bearing.omc_doa_tracker(**({"num_sources": 2, "source_weight": 3} | tracker_options))
    sink = bearing.json_sink("")
    top = gr.top_block()
    source = _source(matrices)
    top.connect(source, candidates)
    top.msg_connect((candidates, messages.CANDIDATES_PORT), (tracker, messages.CANDIDATES_PORT))
    top.msg_connect((tracker, "bearings"), (sink, "bearings"))
    run_within(top)
    assert tracker.failed_refinements == 0
    return sink.records


def test_refined_h2ad_bearings_reach_the_crlb():
    """The H2AD study's array and sources at 0 dB, 40 windows of 200 snapshots: the tracker's
    refinement on all RF chains brings the RMSE within 2x the CRLB (it is about 1x) and well
    below that of the fused centroids, which have the groups' accuracy."""
    array = HybridArray(HybridLayout((4, 4, 4), (3, 4, 5)), CARRIER_HZ)
    truth, snr_db, num_snapshots = [-5.0, 8.5], 0.0, 200
    x = snapshots(
        array.geometry(), array.wavelength_m, truth, snr_db, num_snapshots, np.random.default_rng(3), 40
    )
    y = array.rf_outputs(np.swapaxes(x, 1, 2))
    matrices = np.stack([covariance.sample_covariance(trial.T) for trial in y])
    crlb_deg = np.sqrt(
        np.diag(
            hybrid_stochastic_crb(
                array.geometry(),
                array.wavelength_m,
                truth,
                np.ones(2),
                noise_power(snr_db),
                num_snapshots,
                array.combiner(),
            )
        )
    )

    def rmse_deg(records: list[dict]) -> np.ndarray:
        estimates = np.array([sorted(r["azimuth_deg"]) for r in records])
        assert estimates.shape == (40, 2)
        return np.sqrt(np.mean((estimates - truth) ** 2, axis=0))

    refined = rmse_deg(_h2ad_records(matrices, refine_search_deg=1.0))
    fused = rmse_deg(_h2ad_records(matrices, refine_search_deg=0.0))
    assert np.all(refined <= 2.0 * crlb_deg)
    assert np.all(refined <= 0.8 * fused)


def test_a_silent_track_keeps_its_centroid():
    """K = 2 fixed, 8.5 deg falls silent after 8 windows at 10 dB: while it is still reported,
    its bearing is its cluster's centroid (the covariance has no peak there to refine to),
    also when a stray candidate of the generator's second, noise root joins it; the live
    source stays refined."""
    array = HybridArray(HybridLayout((4, 4, 4), (3, 4, 5)), CARRIER_HZ)
    rng = np.random.default_rng(3)
    matrices = []
    for truth in [[-5.0, 8.5]] * 8 + [[-5.0]] * 3:
        x = snapshots(array.geometry(), array.wavelength_m, truth, 10.0, 200, rng)[0]
        matrices.append(covariance.sample_covariance(array.rf_outputs(x.T).T))
    refined = _h2ad_records(np.stack(matrices), drop_after_estimates=4)
    centroids = _h2ad_records(np.stack(matrices), drop_after_estimates=4, refine_search_deg=0.0)
    assert [len(r["azimuth_deg"]) for r in refined[8:]] == [2, 2, 2]
    silent = [max(r["azimuth_deg"]) for r in refined[8:]]
    assert silent == [max(r["azimuth_deg"]) for r in centroids[8:]]
    assert silent[0] == silent[1]  # faded, not fed
    assert abs(silent[2] - silent[1]) > 0  # a stray candidate joined the track: not refined either
    np.testing.assert_allclose(silent, 8.5, atol=0.1)
    live = [min(r["azimuth_deg"]) for r in refined]
    assert live != [min(r["azimuth_deg"]) for r in centroids]
    np.testing.assert_allclose(live, -5.0, atol=0.02)


def test_a_refinement_that_fails_is_logged_and_the_centroids_reported():
    tracker = bearing.omc_doa_tracker(num_sources=1)
    fields = {
        "azimuth_deg": [10.0, 10.0],
        "num_sources": 1,
        messages.COVARIANCE_FIELD: np.eye(3, dtype=np.complex64).ravel(),  # the array has 5 chains
        messages.HYBRID_ARRAY_FIELD: HybridArray(HybridLayout((2, 3), (2, 3)), CARRIER_HZ).to_dict(),
    }
    sink = bearing.json_sink("")
    top = gr.top_block()
    top.msg_connect((tracker, "bearings"), (sink, "bearings"))
    top.start()
    tracker.handle_candidates(messages.to_pmt(fields))
    deadline = time.monotonic() + 5.0
    while not sink.records and time.monotonic() < deadline:  # delivered by the sink's thread
        time.sleep(0.01)
    top.stop()
    top.wait()
    assert tracker.failed_refinements == 1 and tracker.failed_estimates == 0
    assert [r["azimuth_deg"] for r in sink.records] == [[10.0]]


def test_candidate_generator_refuses_what_it_cannot_resolve():
    generator = bearing.candidate_generator((2, 3), (2, 3), CARRIER_HZ, num_sources=0)
    with pytest.raises(ValueError, match=r"3 sources: 0 group\(s\) have the K \+ 1 RF chains ESPRIT needs"):
        generator.candidates(np.eye(5), 3)
    with pytest.raises(ValueError, match=r"2 sources: 1 group\(s\) .* two groups are needed"):
        generator.candidates(np.eye(5), 2)
    azimuth, weights = generator.candidates(np.eye(5), 0)
    assert azimuth.size == 0 and weights.size == 0
    with pytest.raises(ValueError, match="pairwise coprime"):
        bearing.candidate_generator((2, 2), (2, 4), CARRIER_HZ)
    with pytest.raises(ValueError, match="group_weights must be 2 positive numbers"):
        bearing.candidate_generator((2, 2), (2, 3), CARRIER_HZ, group_weights=[1.0])


def test_tracker_logs_a_bad_message_and_goes_on():
    tracker = bearing.omc_doa_tracker(num_sources=1)
    tracker.handle_candidates(messages.to_pmt({"azimuth_deg": [float("inf")], "num_sources": 1}))
    assert tracker.failed_estimates == 1
    tracker.handle_candidates(messages.to_pmt({"azimuth_deg": [10.0], "num_sources": 1}))
    assert [c.centroid_deg for c in tracker.tracker.clusters] == [10.0]


def test_auto_tracker_reports_a_new_emitter_before_a_heavier_silent_one():
    """Handover with the count steady at 2: -30 deg stops as 50 deg starts. Auto sources report
    the live tracks at once; K = 2 fixed keeps the heavier silent track until it is dropped."""
    truths = [[-30.0, 20.0]] * 12 + [[20.0, 50.0]] * 4
    auto = _tracked(truths, num_sources=0, drop_after_estimates=3)
    fixed = _tracked(truths, num_sources=2, drop_after_estimates=3)
    for record in auto[12:]:
        np.testing.assert_allclose(sorted(record["azimuth_deg"]), [20.0, 50.0], atol=0.3)
    handover = sorted(fixed[12]["azimuth_deg"])
    np.testing.assert_allclose(handover, [-30.0, 20.0], atol=0.3)
    np.testing.assert_allclose(sorted(fixed[-1]["azimuth_deg"]), [20.0, 50.0], atol=0.3)
