"""The MoD-DNN accuracy study: its statistics helpers, and the quick study end to end (about 40 s)."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from gnuradio.bearing.array.impairments import draw_impairments
from gnuradio.bearing.learned.autoencoder import subregion_index
from gnuradio.bearing.learned.training import TrainingOptions
from gnuradio.bearing.studies import accuracy as study
from gnuradio.bearing.studies.accuracy.command import TABLES
from gnuradio.bearing.studies.accuracy.figures import FIGURES
from gnuradio.bearing.studies.accuracy.methods import train_mod_dnn_method
from gnuradio.bearing.studies.accuracy.run import routing_error_rate
from gnuradio.bearing.studies.accuracy.setting import (
    ABLATIONS,
    METHOD_NAMES,
    TRANSFERRED,
    StudyConfig,
    absolute_errors_deg,
    calibration_sweep,
    cfrs,
    crb_rms_deg,
    empirical_cdf,
    error_statistics,
    held_out_angles,
    interquartile_range,
    item_covariances,
)
from gnuradio.bearing.studies.report import markdown_table

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\d+|nan|inf)", re.IGNORECASE)


def test_missing_estimates_count_as_the_centre_of_the_field_of_view():
    errors, missed = absolute_errors_deg([10.5, np.nan, -179.0], [10.0, -40.0, 179.0])
    np.testing.assert_allclose(errors, [0.5, 40.0, 2.0])  # the last wraps around
    assert missed == 1


def test_error_statistics_give_rmse_and_p80():
    truth = np.zeros(10)
    stats = error_statistics(np.arange(1.0, 11.0), truth)
    assert stats["rmse_deg"] == pytest.approx(np.sqrt(38.5))
    assert stats["p80_deg"] == pytest.approx(8.2)  # linear interpolation between 8 and 9
    assert stats["missed"] == 0 and stats["count"] == 10


def test_empirical_cdf_steps_by_one_over_n():
    errors, probability = empirical_cdf([3.0, 1.0, 2.0, 2.0])
    np.testing.assert_array_equal(errors, [1.0, 2.0, 2.0, 3.0])
    np.testing.assert_allclose(probability, [0.25, 0.5, 0.75, 1.0])


def test_interquartile_range():
    assert interquartile_range(np.arange(101.0)) == pytest.approx(50.0)


def test_item_covariance_is_the_mean_over_subcarriers():
    rng = np.random.default_rng(0)
    items = rng.standard_normal((3, 16, 4)) + 1j * rng.standard_normal((3, 16, 4))
    expected = [sum(np.outer(h, h.conj()) for h in item) / 16 for item in items]
    np.testing.assert_allclose(item_covariances(items), expected)


def test_crb_is_the_closed_form_of_one_source_on_a_half_wavelength_ula():
    """crb.stochastic_crb's docstring: 6 (1 + 1/(M SNR)) / (T SNR M (M^2 - 1) (pi cos az)^2) rad^2."""
    angles, snr, m, t = np.array([-40.0, 0.0, 25.0]), 10.0, 4, 16
    variance = (
        6 * (1 + 1 / (m * snr)) / (t * snr * m * (m**2 - 1) * (np.pi * np.cos(np.deg2rad(angles))) ** 2)
    )
    expected = np.rad2deg(np.sqrt(np.mean(variance)))
    assert crb_rms_deg(angles, 10.0, t) == pytest.approx(expected, rel=1e-9)


def test_held_out_angles_lie_in_the_field_of_view():
    angles = held_out_angles(1000, np.random.default_rng(1))
    assert angles.min() >= -60.0 and angles.max() <= 60.0
    assert np.abs(angles - np.round(angles, 1)).max() > 0.04  # not on the 0.1 deg grid


def test_markdown_table_formats_floats():
    lines = markdown_table(["a", "b"], [["x", 1.23456], ["y", 0.012345]])
    assert lines == ["| a | b |", "|---|---|", "| x | 1.235 |", "| y | 0.0123 |"]


def test_routing_error_rate_is_the_subregion_choice_of_estimate():
    config = StudyConfig.quick()
    array = draw_impairments(4, 1.0, 0)
    method = train_mod_dnn_method(
        "m", *calibration_sweep(array, 2.0, 1, 10.0, np.random.default_rng(0)), config
    )
    truth = held_out_angles(40, np.random.default_rng(2))
    items = cfrs(array, truth, 0.0, np.random.default_rng(3))
    chosen = np.array([method.model.estimate(item[None]).subregion for item in items])
    expected = np.mean(chosen != subregion_index(truth, method.model.config.edges_deg))
    assert routing_error_rate(method.model, items, truth) == pytest.approx(expected)


def test_config_keeps_the_library_training_defaults_but_the_seed_and_epochs():
    options = StudyConfig(seed=7).training_options()
    assert options == dataclasses.replace(TrainingOptions(), seed=7)
    assert StudyConfig.quick(3).training_options().epochs == 2
    with pytest.raises(ValueError, match="test_snr_db"):
        StudyConfig(snrs_db=(10.0,), test_snr_db=20.0)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    assert study.main(["--quick", "--out", str(out), "--seed", "0"]) == 0
    return out


def table_rows(text: str) -> dict[str, list[list[str]]]:
    """The body rows (lists of cells) of every table of a Markdown file, by section title."""
    sections: dict[str, list[list[str]]] = {}
    title = ""
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:]
            sections[title] = []
        elif line.startswith("|") and not line.startswith("|---"):
            sections[title].append([cell.strip() for cell in line.strip("|").split("|")])
    return {name: rows[1:] for name, rows in sections.items()}  # without the header rows


def test_quick_study_writes_every_figure_and_table(quick_run):
    for name in (*FIGURES.values(), *TABLES):
        path = quick_run / name
        assert path.is_file() and path.stat().st_size > 0, name
        if name.endswith(".png"):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (quick_run / "tables.md").read_text()
    assert "--quick" in text and "--seed 0" in text and "draw_impairments(4, 1, 1)" in text
    summary = (quick_run / "summary.md").read_text()
    assert "## Summary" in summary and "MoD-DNN p80" in summary


def test_quick_study_tables_hold_finite_numbers_for_every_method(quick_run):
    sections = table_rows((quick_run / "tables.md").read_text())
    assert len(sections) == 9
    for title, rows in sections.items():
        assert rows, title
        for row in rows:
            numbers = [float(n) for cell in row[1:] for n in NUMBER.findall(cell)]
            assert numbers and np.all(np.isfinite(numbers)), (title, row)
    names_in = {title: {row[0] for row in rows} for title, rows in sections.items()}
    errors = next(title for title in names_in if title.startswith("Errors at"))
    timing = next(title for title in names_in if title.startswith("Training and test time"))
    unseen = next(title for title in names_in if title.startswith("Unseen array"))
    assert set(METHOD_NAMES) <= names_in[errors]
    assert set(METHOD_NAMES) <= names_in[timing]
    assert set(METHOD_NAMES) - set(ABLATIONS) | {TRANSFERRED} <= names_in[unseen]
    snr = next(rows for title, rows in sections.items() if title.startswith("RMSE (deg) against SNR"))
    assert [row[0] for row in snr] == ["+10", "+20"]
    assert all(len(row) == len(METHOD_NAMES) + 4 for row in snr)  # SNR, CRB, methods, ratio, routing
    calibration = next(rows for title, rows in sections.items() if title.startswith("Calibration SNR"))
    assert [row[0] for row in calibration] == ["+10", "+20"]
    assert all(len(row) == 8 for row in calibration)  # SNR, CRB, 2 methods x 2 calibrations, 2 ratios
