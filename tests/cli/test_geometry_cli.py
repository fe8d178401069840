"""`bearing` on arrays of other geometries: elevation fields, grids that follow the array, refusals,
calibrated MUSIC from a table that `bearing calibrate` measures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gnuradio.bearing import doa_estimator, read_capture, ura_capture_path
from helpers.command import bearing


@pytest.fixture(scope="module")
def ura_capture(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ura") / "ura4x4"
    return Path(bearing("simulate", "--preset", "ura4x4", "--out", out).stdout.strip())


def test_a_ura_capture_is_estimated_in_azimuth_and_elevation(ura_capture):
    lines = bearing("estimate", ura_capture, "--average", "256", "--json").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 13
    for record in records:
        assert list(record)[:4] == ["sample_start", "sample_count", "azimuth_deg", "elevation_deg"]
        assert abs(record["azimuth_deg"][0] - record["truth_azimuth_deg"][0]) < 0.5
        assert abs(record["elevation_deg"][0] - record["truth_elevation_deg"][0]) < 0.5
    text = bearing("estimate", ura_capture, "--average", "256", "--method", "esprit").stdout
    assert "elevation_deg" in text.splitlines()[0] and len(text.splitlines()) == 14


def test_evaluate_reports_elevation_and_great_circle_errors(ura_capture):
    rows = [
        json.loads(line)
        for line in bearing(
            "evaluate", ura_capture, "--average", "256", "--method", "music,esprit", "--json"
        ).stdout.splitlines()
    ]
    assert [row["method"] for row in rows] == ["music", "esprit"]
    for row in rows:
        assert row["count"] == 13 and row["angle_p80_deg"] < 0.5 and row["elevation_rmse_deg"] < 0.5
        assert row["angle_max_deg"] >= max(row["max_deg"] * 0.5, 0.0)


def test_azimuth_only_methods_and_ranges_are_refused_by_name(ura_capture, make_capture):
    result = bearing("estimate", ura_capture, "--method", "root-music", check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "estimates azimuth only" in result.stderr and "resolves elevation" in result.stderr
    result = bearing("estimate", make_capture(), "--elevation-grid", "0", "30", "1", check=False)
    assert result.returncode == 2 and "estimates azimuth only" in result.stderr


def test_a_grid_beyond_a_ulas_half_plane_is_warned_about_and_never_answered(make_capture):
    path = make_capture(azimuths_deg=(-10.0, 10.0), segment_length=600)
    result = bearing("estimate", path, "--grid", "-180", "180", "0.5", "--average", "600", "--json")
    assert "mirror image across the array axis" in result.stderr
    azimuths = [json.loads(line)["azimuth_deg"][0] for line in result.stdout.splitlines()]
    assert azimuths == pytest.approx([-10.0, 10.0], abs=0.5)


def test_calibrated_music_runs_on_the_table_bearing_calibrate_measures(tmp_path, make_capture):
    sweep = make_capture(azimuths_deg=[float(a) for a in range(-60, 61, 10)], segment_length=64, name="sweep")
    table = tmp_path / "table.npz"
    summary = json.loads(bearing("calibrate", sweep, "--out", table, "--json").stdout)
    assert summary["azimuths"] == 13 and summary["span_deg"] == [-60.0, 60.0] and table.is_file()
    path = make_capture(azimuths_deg=(-20.0, 30.0), segment_length=400)
    lines = bearing(
        "estimate", path, "--method", "calibrated-music", "--calibration", table, "--average", "400", "--json"
    ).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["method"] for r in records] == ["calibrated-music"] * 2
    assert [r["azimuth_deg"][0] for r in records] == pytest.approx([-20.0, 30.0], abs=1.0)
    other = make_capture(num_elements=6, name="six")
    result = bearing("estimate", other, "--method", "calibrated-music", "--calibration", table, check=False)
    assert result.returncode == 2 and "measured on another array" in result.stderr
    assert "the table's has 4 elements, this block's 6" in result.stderr
    swept = read_capture(sweep)
    with pytest.raises(ValueError, match="same number of elements at other positions, or in another order"):
        reversed_order = swept.geometry.positions_m[::-1].tolist()
        doa_estimator(reversed_order, swept.frequency_hz, calibration_path=str(table))
    result = bearing("estimate", path, "--calibration", table, check=False)
    assert result.returncode == 2 and "--calibration: the table of --method calibrated-music" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("estimate", "{capture}", "--method", "mod-dnn"),
        ("train", "--captures", "{capture}", "--edges", "-60", "0", "60", "--out", "{out}"),
    ],
    ids=["estimate", "train-with-edges"],
)
def test_mod_dnn_refuses_an_array_that_resolves_elevation(ura_capture, tmp_path, args) -> None:
    """MoD-DNN estimates azimuth only: on a URA it refuses in one line, whatever the options."""
    filled = [arg.format(capture=ura_capture, out=tmp_path / "model.pt") for arg in args]
    result = bearing(*filled, check=False)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("bearing: error:") and "azimuth only" in last and "elevation" in last
    assert not (tmp_path / "model.pt").exists()


def test_the_bundled_ura_capture_is_the_preset(ura_capture):
    """examples/data/ura4x4 is what `bearing simulate --preset ura4x4` writes, sample for sample."""
    bundled = Path(ura_capture_path())
    assert bundled.name == "ura4x4.sigmf-meta"
    data = ".sigmf-data"
    assert bundled.with_suffix(data).read_bytes() == ura_capture.with_suffix(data).read_bytes()


def test_tracking_refuses_an_array_that_resolves_elevation(ura_capture):
    """OMC-DOA tracks azimuths: on a URA `--track` is refused rather than dropping elevation."""
    result = bearing("estimate", ura_capture, "--average", "256", "--track", "3", check=False)
    assert result.returncode == 2 and not result.stdout
    assert "tracking (OMC-DOA) follows azimuths only" in result.stderr.strip().splitlines()[-1]
