"""The source-counting study: its helpers, and the quick configuration end to end (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing.counting import eigen as sc
from gnuradio.bearing.counting import models as counter_models
from gnuradio.bearing.counting.counters import METHODS as COUNTING_METHODS
from gnuradio.bearing.counting.counters import count_sources
from gnuradio.bearing.counting.training import simulate_covariances
from gnuradio.bearing.studies import counting as study

DATA = Path(__file__).resolve().parents[2] / "python" / "bearing" / "data"
"""The bundled models in the source tree."""


@pytest.fixture
def source_tree_models(monkeypatch):
    monkeypatch.setattr(counter_models, "model_path", lambda name: DATA / name)


@pytest.fixture(scope="module")
def quick_results() -> study.StudyResults:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(counter_models, "model_path", lambda name: DATA / name)
        return study.run_study(study.StudyConfig.quick(), log=lambda line: None)


def test_edc_groups_are_contiguous_subarrays():
    assert study.group_sizes(128, 3) == [43, 43, 42] and study.group_sizes(192, 3) == [64, 64, 64]
    r = np.arange(49.0).reshape(7, 7)
    blocks = sc.diagonal_blocks(r, [3, 2, 2])
    assert [b.shape for b in blocks] == [(3, 3), (2, 2), (2, 2)]
    np.testing.assert_array_equal(blocks[1], r[3:5, 3:5])
    np.testing.assert_array_equal(blocks[2], r[5:, 5:])


def test_count_all_counts_as_count_sources(source_tree_models):
    """One eigendecomposition for MDL, AIC and the counters gives count_sources' answers."""
    config = study.StudyConfig(num_elements=8, trials=8)
    counters = study.bundled_counters(8)
    r = simulate_covariances(8, np.arange(8) % 5, -8.0, config.num_snapshots, np.random.default_rng(3))
    counts = study.count_all(r, config, counters)
    assert list(counts) == list(COUNTING_METHODS)
    sizes = study.group_sizes(8, config.edc_groups)
    for method, found in counts.items():
        groups = sc.diagonal_blocks if method == "edc" else (lambda x, _: x)
        expected = [
            count_sources(groups(x, sizes), config.num_snapshots, method, counters.get(method)) for x in r
        ]
        np.testing.assert_array_equal(found, expected)


def test_true_counts_take_turns():
    config = study.StudyConfig(trials=10)
    np.testing.assert_array_equal(config.true_counts(), [1, 2, 3, 4, 1, 2, 3, 4, 1, 2])
    with pytest.raises(ValueError, match="trials >= max_sources"):
        study.StudyConfig(trials=3)


def test_quick_study_shapes_and_clear_cases(quick_results):
    config = quick_results.config
    assert config.num_elements == 192 and config.snrs_db == (-20.0, -14.0, 10.0)
    accuracy, noise = quick_results.accuracy(), quick_results.noise_accuracy()
    assert list(accuracy) == list(COUNTING_METHODS)
    for method in COUNTING_METHODS:
        assert quick_results.counts[method].shape == (3, config.trials)
        assert quick_results.noise_counts[method].shape == (config.trials,)
        assert np.all((accuracy[method] >= 0) & (accuracy[method] <= 1))
    # 10 dB is far above every method's threshold on 192 antennas; MDL never invents a source
    for method in ("mdl", "edc", "dnn", "cnn1d"):
        assert accuracy[method][-1] >= 0.95, method
    assert noise["mdl"] == 1.0
    per_count = quick_results.count_accuracy()
    assert per_count["cnn1d"].shape == (3, config.max_sources)
    np.testing.assert_allclose(per_count["cnn1d"].mean(axis=1), accuracy["cnn1d"])  # balanced counts


def test_report_and_files(quick_results, tmp_path):
    text = study.write_report(quick_results, tmp_path, "bearing bench counting --quick")
    assert (tmp_path / study.TABLES).read_text() == text
    assert (tmp_path / study.FIGURE).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = study.accuracy_table(quick_results)
    assert len(table) == 2 + len(quick_results.config.snrs_db) + 1  # header, rule, SNRs, noise only
    assert table[0] == "| SNR (dB) | mdl | aic | edc | dnn | cnn1d | fcnn |"
    assert "\n".join(table) in text and "`bearing bench counting --quick`" in text
    mdl_at_10_db = float(table[-2].split("|")[2])
    assert mdl_at_10_db == pytest.approx(100 * quick_results.accuracy()["mdl"][-1], abs=5e-3)
    assert study.percent(0.9998) == "99.98" and study.percent(1.0) == "100.00"
    assert "cnn1d at -20 dB" in text and "64, 64, 64 antennas" in text


def test_main_writes_and_prints(source_tree_models, tmp_path, capsys):
    out = tmp_path / "counting"
    assert study.main(["--quick", "--trials", "8", "--out", str(out), "--seed", "3"], prog="counting") == 0
    printed = capsys.readouterr().out
    assert "Command: `counting --quick --trials 8 --out " in printed
    assert "8 trials per SNR" in printed and "default_rng([3, i])" in printed
    assert (out / study.TABLES).exists() and (out / study.FIGURE).exists()
