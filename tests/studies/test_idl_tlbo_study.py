"""The IDL-TLBO study (`bearing bench idl-tlbo`): its statistics, and the quick study end to end."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.studies import idl_tlbo as study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("idl-tlbo")
    assert study.main(["--quick", "--out", str(out)]) == 0
    return out


def test_the_quick_study_writes_every_figure_and_table(quick) -> None:
    for name in study.FIGURES.values():
        assert (quick / name).stat().st_size > 10_000
    text = (quick / study.TABLES).read_text()
    assert "bearing bench idl-tlbo --quick" in text
    for heading in (
        "### Acceptance",
        "### Table 4",
        "### Fig. 7",
        "### Figs. 8-9",
        "### Fig. 10",
        "### Table 5",
    ):
        assert heading in text
    for method in study.METHODS:
        assert f"| {method} |" in text


def test_intervals_hold_their_estimate() -> None:
    rng = np.random.default_rng(0)
    errors = np.abs(rng.standard_normal((400, 2))) * np.array([1.0, 0.1])
    mae, half = study.mae_interval(errors)
    assert np.allclose(mae, errors.mean(axis=0)) and np.all(half > 0)
    rmse, low, high = study.rmse_interval(errors)
    assert np.all((low < rmse) & (rmse < high))
    assert rmse[0] == pytest.approx(1.0, rel=0.15) and rmse[1] == pytest.approx(0.1, rel=0.15)


def test_the_paired_difference_is_positive_when_idl_tlbo_is_better() -> None:
    errors = {name: np.full((10, 2), 0.5) for name in study.METHODS}
    errors[study.TLBO] = np.full((10, 2), 0.8)
    point = study.Point(errors, {}, {}, {}, {})
    difference, _ = study.paired_difference(point, study.TLBO)
    assert np.allclose(difference, 0.3)
    assert np.allclose(study.paired_difference(point, study.MUSIC)[0], 0.0)


def test_the_bounds_with_unknown_perturbations_lie_above_the_known() -> None:
    from gnuradio.bearing.array.geometry import ura

    geometry = ura(6, 6, study.WAVELENGTH_M / 2, study.WAVELENGTH_M / 2)
    bounds = study.bounds_deg(geometry, 10.0, 1)
    assert np.all(bounds[study.UNKNOWN] > bounds[study.KNOWN])
