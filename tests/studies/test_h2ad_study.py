"""The H2AD DoA study (OMC-DOA, WGMD, WLMD): its helpers, and the quick study end to end (seconds)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from gnuradio.bearing.array.hybrid import HybridArray
from gnuradio.bearing.studies import h2ad as study

REFINED_OMC = "OMC-DOA" + study.REFINED


@pytest.fixture(scope="module")
def quick():
    return study.run_study(study.StudyConfig.quick(), log=lambda line: None)


def test_the_sources_are_clear_of_ghosts_and_resolved_by_every_group():
    """The module docstring's claims on TRUTH_DEG, from the layout."""
    sine = np.sin(np.deg2rad(study.TRUTH_DEG))
    gap = abs(sine[1] - sine[0])
    sizes = study.LAYOUT.subarray_sizes

    def distance(value: float, period: float) -> float:
        return abs(value - period * round(value / period))

    assert min(distance(m * gap, 2.0) for m in sizes) >= 0.7  # virtual phases >= 0.7 pi apart
    assert min(distance(gap, 2.0 / m) for m in sizes) >= 0.16  # no alias near the other source
    pairs = [(a, b) for i, a in enumerate(sizes) for b in sizes[i + 1 :]]
    assert min(distance(gap, 2.0 / (a * b)) for a, b in pairs) >= 0.03  # no two-group ghost near


def test_bounds_the_crlb_of_all_chains_is_below_the_per_group_reference():
    bounds = study.bounds_deg(HybridArray(study.LAYOUT, study.CARRIER_HZ), 0.0)
    assert bounds[study.CRLB].shape == (len(study.TRUTH_DEG),)
    assert np.all(bounds[study.CRLB] < bounds[study.GROUP_BOUND] / 2), "the phase between groups counts"
    louder = study.bounds_deg(HybridArray(study.LAYOUT, study.CARRIER_HZ), 10.0)
    assert np.all(louder[study.CRLB] < bounds[study.CRLB])


def test_every_method_finds_both_sources_at_10_db(quick):
    accuracy = quick.accuracy
    at_10 = list(accuracy.snrs_db).index(10.0)
    for name in accuracy.errors_deg:
        each, every = accuracy.hit_rate(name)
        assert every[at_10] == 1.0 and np.all(each[at_10] == 1.0), name
        assert not np.isnan(accuracy.errors_deg[name]).any(), f"{name}: every source estimated"


def test_the_refinement_reaches_the_crlb_the_fusions_only_the_groups_reference(quick):
    accuracy = quick.accuracy
    at_10 = list(accuracy.snrs_db).index(10.0)
    crlb = accuracy.bounds_deg[study.CRLB][at_10]
    for name in study.FUSIONS:
        fused, refined = accuracy.rmse_deg(name)[at_10], accuracy.rmse_deg(name + study.REFINED)[at_10]
        assert np.all(refined < study.ACCEPTANCE_CRB_RATIO * crlb), name
        assert np.all(fused > study.ACCEPTANCE_CRB_RATIO * crlb), f"{name}: the groups' apertures only"
        assert np.all(fused > 0.5 * accuracy.bounds_deg[study.GROUP_BOUND][at_10]), name


def test_run_time_of_every_stage_on_every_layout(quick):
    timing = quick.run_time
    assert list(timing.num_elements) == [48, 72]
    for name, microseconds in timing.microseconds.items():
        assert microseconds.shape == (2,) and np.all(microseconds > 0), name
    np.testing.assert_allclose(timing.ratio("OMC-DOA"), 1.0)
    header, rows = study.run_time_rows(timing)
    classes = header.index("WGMD classes")
    assert [row[classes] for row in rows] == [6 * 8 * 10, 10 * 12 * 14]


def test_the_same_seed_gives_the_same_trials():
    config = dataclasses.replace(study.StudyConfig.quick(), trials=3, snrs_db=(0.0,))
    first, again = (study.run_accuracy(config, log=lambda line: None) for _ in range(2))
    other = study.run_accuracy(dataclasses.replace(config, seed=1), log=lambda line: None)
    np.testing.assert_array_equal(first.errors_deg[REFINED_OMC], again.errors_deg[REFINED_OMC])
    assert not np.array_equal(first.errors_deg[REFINED_OMC], other.errors_deg[REFINED_OMC])


def test_found_from_db_is_the_start_of_the_last_run_of_full_hit_rates():
    def accuracy(errors_per_snr: list[list[float]]) -> study.Accuracy:
        errors = np.array(errors_per_snr)[:, :, None]  # (S, trials, 1)
        snrs = np.arange(len(errors_per_snr)) * 5.0 - 10.0
        return study.Accuracy(snrs, {"m": errors}, {})

    assert study.found_from_db(accuracy([[3.0, 0.1], [0.1, 0.2], [2.0, 0.1], [0.1, 0.1]]), "m") == 5.0
    assert study.found_from_db(accuracy([[0.1, 0.1], [0.5, 0.2]]), "m") == -10.0
    assert study.found_from_db(accuracy([[0.1, 0.1], [0.5, np.nan]]), "m") is None


def test_acceptance_rows_follow_the_measurements(quick):
    (hit, ratio, refined_hit, refined_ratio, cheapest) = study.acceptance(quick)
    assert hit[0].startswith("OMC-DOA: every source") and refined_hit[0].startswith(f"{REFINED_OMC}: every")
    assert hit[2] and refined_hit[2], "quick: -10 and 10 dB, both found in every trial"
    assert ratio[0].startswith("OMC-DOA: RMSE") and ratio[2] is False, "the fusion alone: above 2x the CRLB"
    assert refined_ratio[2] is True
    others = np.min([quick.run_time.ratio(name) for name in ("WGMD", "WLMD")], axis=0)
    assert cheapest[2] == bool(np.all(others > 1.0))


def test_main_writes_the_figures_and_tables(tmp_path):
    out = tmp_path / "h2ad"
    assert study.main(["--quick", "--trials", "4", "--out", str(out), "--seed", "2"]) == 0
    for name in (*study.FIGURES.values(), study.TABLES):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (out / study.TABLES).read_text()
    assert "--quick --trials 4" in text and "--seed 2" in text and "4 trials per SNR" in text
    for section in ("## Acceptance", "## RMSE (deg), source at -5 deg", "## Hit rate", "## Run time"):
        assert section in text
    with pytest.raises(SystemExit):
        study.main(["--trials", "0"])
