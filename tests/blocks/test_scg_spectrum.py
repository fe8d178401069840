"""Flowgraph tests of the SCG spectrum block (behind coarray DBF)."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.doa.coarray import coarray_model
from helpers.flowgraphs import received_windows, run_within, window_tags

CARRIER_HZ = 2.4e9
GEOMETRY = ula(4, wavelength_m(CARRIER_HZ) / 2)
POSITIONS = GEOMETRY.positions_m.tolist()
MODEL = coarray_model(POSITIONS, CARRIER_HZ)  # the blocks' default grid, -60 .. 60 step 0.1


def noise_free_covariance(azimuths_deg) -> np.ndarray:
    a = GEOMETRY.steering(azimuths_deg, CARRIER_HZ)
    return a @ a.conj().T


def run_chain(matrices: np.ndarray, remove_noise_floor: bool = True, **kwargs):
    """covariances -> coarray_dbf -> scg_spectrum -> (sparse spectra, bearings records, azimuth messages)."""
    dbf = bearing.coarray_dbf(POSITIONS, CARRIER_HZ, remove_noise_floor=remove_noise_floor)
    scg = bearing.scg_spectrum(POSITIONS, CARRIER_HZ, **kwargs)
    top = gr.top_block()
    source = blocks.vector_source_c(matrices.astype(np.complex64).ravel().tolist(), False, matrices[0].size)
    spectra = blocks.vector_sink_f(len(scg.grid_deg))
    sink = bearing.json_sink("")
    compass = blocks.message_debug()
    top.connect(source, dbf, scg, spectra)
    top.msg_connect((scg, "bearings"), (sink, "bearings"))
    top.msg_connect((scg, "azimuth"), (compass, "store"))
    run_within(top)
    return np.asarray(spectra.data()).reshape(-1, len(scg.grid_deg)), sink.records, compass


@pytest.mark.parametrize(("truth_deg", "tolerance_deg"), [(12.3, 0.01), (12.34, 0.05), (-47.8, 0.01)])
def test_noise_free_source_on_and_off_the_grid(truth_deg, tolerance_deg):
    spectra, records, compass = run_chain(noise_free_covariance([truth_deg])[None])
    (record,) = records
    assert record["method"] == "scg" and record["num_sources"] == 1 and record["peak_db"] == [0.0]
    assert record["azimuth_deg"][0] == pytest.approx(truth_deg, abs=tolerance_deg)
    # Sparse and linear: the power sits on one or two grid points, about 1 in all.
    assert np.count_nonzero(spectra[0]) <= 2
    assert spectra[0].sum() == pytest.approx(1.0, abs=0.05)
    assert pmt.to_double(pmt.cdr(compass.get_message(0))) == pytest.approx(record["azimuth_deg"][0])


def test_support_centroid_gives_sub_grid_bearings_when_scg_spreads_the_power():
    """A milder attractor leaves an off-grid source on several grid points: their centroid is the bearing."""
    spectra, records, _ = run_chain(noise_free_covariance([12.34])[None], mu=1.0, eps=1.0)
    assert np.count_nonzero(spectra[0]) > 2
    assert records[0]["azimuth_deg"][0] == pytest.approx(12.34, abs=0.01)


@pytest.mark.parametrize("truth_deg", [-60.0, -59.6, 59.8, 60.0])
def test_a_source_at_the_edge_of_the_grid_is_reported(truth_deg):
    """SCG puts a source at the edge of its grid on the end point: that is a peak too."""
    _, (record,), _ = run_chain(noise_free_covariance([truth_deg])[None])
    assert record["azimuth_deg"][0] == pytest.approx(truth_deg, abs=1.0)
    _, (pair,), _ = run_chain(noise_free_covariance([-60.0, -40.0])[None], num_sources=2)
    assert len(pair["azimuth_deg"]) == 2


def test_two_sources_twenty_degrees_apart_are_both_found():
    spectra, records, _ = run_chain(noise_free_covariance([-10.0, 10.0])[None], num_sources=2)
    (record,) = records
    np.testing.assert_allclose(sorted(record["azimuth_deg"]), [-10.0, 10.0], atol=0.1)
    assert record["peak_db"][1] == pytest.approx(0.0, abs=0.5)  # equal powers
    assert np.count_nonzero(spectra[0]) <= 4


def test_noise_floor_removal_in_front_keeps_a_noisy_source_in_one_peak():
    """With white noise in R (10 dB), SCG straddles the source unless DBF removes the noise floor."""
    noisy = (noise_free_covariance([-15.0]) + 0.1 * np.eye(4))[None]
    _, (split,), _ = run_chain(noisy, remove_noise_floor=False, num_sources=2)
    assert all(abs(azimuth + 15.0) > 1.0 for azimuth in split["azimuth_deg"])
    _, (kept,), _ = run_chain(noisy, remove_noise_floor=True, num_sources=2)
    assert kept["azimuth_deg"][0] == pytest.approx(-15.0, abs=0.05)
    assert len(kept["azimuth_deg"]) == 1 or kept["peak_db"][1] < -20.0


def test_capture_windows_give_tagged_spectra_and_bearings(make_capture):
    path = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=400)
    top = gr.top_block()
    source = bearing.capture_source(str(path))
    accumulator = bearing.covariance_accumulator(num_elements=4, average=200)
    positions = source.capture.geometry.positions_m.tolist()
    dbf = bearing.coarray_dbf(positions, source.capture.frequency_hz)
    scg = bearing.scg_spectrum(positions, source.capture.frequency_hz)
    spectra = blocks.vector_sink_f(len(scg.grid_deg))
    sink = bearing.json_sink("")
    top.connect(source, accumulator, dbf, scg, spectra)
    top.msg_connect((scg, "bearings"), (sink, "bearings"))
    run_within(top)
    assert received_windows(spectra) == [(0, 0), (1, 200), (2, 400), (3, 600)]
    assert [r["sample_start"] for r in sink.records] == [0, 200, 400, 600]
    assert [r["truth_azimuth_deg"] for r in sink.records] == [[-30.0], [-30.0], [25.0], [25.0]]
    for record in sink.records:
        assert record["azimuth_deg"][0] == pytest.approx(record["truth_azimuth_deg"][0], abs=0.5)


def test_nan_spectra_are_dropped_counted_and_the_tags_follow_their_items():
    good = MODEL.spectrum(noise_free_covariance([20.0]))
    items = np.stack([good, np.full_like(good, np.nan), good])
    scg = bearing.scg_spectrum(POSITIONS, CARRIER_HZ)
    top = gr.top_block()
    source = blocks.vector_source_f(
        items.astype(np.float32).ravel().tolist(), False, good.size, window_tags(3)
    )
    spectra = blocks.vector_sink_f(good.size)
    sink = bearing.json_sink("")
    top.connect(source, scg, spectra)
    top.msg_connect((scg, "bearings"), (sink, "bearings"))
    run_within(top)
    assert scg.failed_estimates == 1
    assert received_windows(spectra) == [(0, 0), (1, 2000)]
    assert [r["sample_start"] for r in sink.records] == [0, 2000]
    assert all(r["azimuth_deg"] == [pytest.approx(20.0)] for r in sink.records)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("lam", 0.0),
        ("mu", -1.0),
        ("eps", -0.5),
        ("max_iter", 0),
        ("max_iter", 2.5),
        ("num_sources", -1),
        ("min_separation_deg", -1.0),
        ("grid_step_deg", 0.0),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(option, value):
    with pytest.raises(ValueError, match=option):
        bearing.scg_spectrum(POSITIONS, CARRIER_HZ, **{option: value})


def test_options_reach_scg():
    scg = bearing.scg_spectrum(
        POSITIONS, CARRIER_HZ, lam=0.5, mu=1.0, eps=2.0, nonnegative=False, max_iter=7.0
    )
    assert (scg.options.lam, scg.options.mu, scg.options.eps) == (0.5, 1.0, 2.0)
    assert scg.options.nonnegative is False and scg.options.max_iter == 7
    assert isinstance(scg.options.max_iter, int)
