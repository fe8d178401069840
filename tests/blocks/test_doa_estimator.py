"""Flowgraph tests of the estimator, peak search and JSON sink blocks."""

from __future__ import annotations

import json

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.field_of_view import GeometryError
from gnuradio.bearing.array.geometry import uca, ula, ura, wavelength_m
from gnuradio.bearing.blocks import messages
from helpers.signals import snapshots

CARRIER_HZ = 2.4e9
GEOMETRY = ula(6, wavelength_m(CARRIER_HZ) / 2)


def _covariances(azimuths_deg, count: int = 3, snr_db: float = 20.0) -> np.ndarray:
    x = snapshots(
        GEOMETRY, wavelength_m(CARRIER_HZ), azimuths_deg, snr_db, 400, np.random.default_rng(3), count
    )
    return np.stack([covariance.sample_covariance(trial) for trial in x])


def _estimate(matrices: np.ndarray, **kwargs):
    estimator = bearing.doa_estimator(GEOMETRY.positions_m.tolist(), CARRIER_HZ, **kwargs)
    top = gr.top_block()
    source = blocks.vector_source_c(matrices.astype(np.complex64).ravel().tolist(), False, matrices[0].size)
    spectra = blocks.vector_sink_f(len(estimator.grid_deg))
    sink = bearing.json_sink("")
    compass = blocks.message_debug()
    top.connect(source, estimator, spectra)
    top.msg_connect((estimator, "bearings"), (sink, "bearings"))
    top.msg_connect((estimator, "azimuth"), (compass, "store"))
    top.run()
    return estimator, np.asarray(spectra.data()).reshape(-1, len(estimator.grid_deg)), sink.records, compass


# Bartlett's wide beam leaks into the other source's peak: a bias of ~0.5 deg on 6 elements.
TOLERANCE_DEG = {"bartlett": 1.0, "mvdr": 0.3, "music": 0.3, "root-music": 0.3, "esprit": 0.3}


@pytest.mark.parametrize("method", sorted(TOLERANCE_DEG))
def test_every_method_finds_two_sources(method):
    _, spectra, records, compass = _estimate(_covariances([-25.0, 30.0]), method=method, num_sources=2)
    assert spectra.shape == (3, 1801)
    assert np.isclose(spectra.max(), 0.0)  # dB relative to the maximum
    assert len(records) == 3
    for record in records:
        assert record["method"] == method and record["num_sources"] == 2
        np.testing.assert_allclose(sorted(record["azimuth_deg"]), [-25.0, 30.0], atol=TOLERANCE_DEG[method])
    assert compass.num_messages() == 3
    strongest = pmt.to_double(pmt.cdr(compass.get_message(0)))
    assert strongest == pytest.approx(records[0]["azimuth_deg"][0])


def test_method_can_be_switched_by_message_while_running():
    estimator = bearing.doa_estimator(GEOMETRY.positions_m.tolist(), CARRIER_HZ, method="music")
    estimator.handle_method(pmt.intern("esprit"))
    assert estimator.method == "esprit"
    estimator.handle_method(pmt.intern("no-such-method"))  # logged, not raised
    assert estimator.method == "esprit"


def test_a_bad_covariance_is_skipped_and_the_flowgraph_goes_on():
    matrices = _covariances([10.0])
    matrices[1, 0, 0] = np.nan
    _, spectra, records, _ = _estimate(matrices, method="music")
    assert len(records) == 2 and len(spectra) == 2
    assert all(abs(r["azimuth_deg"][0] - 10.0) < 0.5 for r in records)


def test_a_singular_covariance_is_skipped_not_hung():
    """ESPRIT inverts a matrix that is singular for R = I: numpy's LinAlgError is logged and counted."""
    matrices = np.concatenate([np.eye(6, dtype=complex)[None], _covariances([10.0])[:1]])
    estimator, _, records, _ = _estimate(matrices, method="esprit")
    assert estimator.failed_estimates == 1
    assert len(records) == 1 and abs(records[0]["azimuth_deg"][0] - 10.0) < 0.5


def test_bad_parameters_are_named():
    positions = GEOMETRY.positions_m.tolist()
    with pytest.raises(ValueError, match="num_sources"):
        bearing.doa_estimator(positions, CARRIER_HZ, num_sources=6)
    with pytest.raises(ValueError, match="method"):
        bearing.doa_estimator(positions, CARRIER_HZ, method="capon2")
    with pytest.raises(ValueError, match="positions_m"):
        bearing.doa_estimator([[0, 0], [0, 1]], CARRIER_HZ)
    with pytest.raises(ValueError, match="frequency_hz"):
        bearing.doa_estimator(positions, 0.0)


def test_peak_search_reports_separated_peaks(tmp_path):
    grid = np.arange(-90.0, 90.05, 0.5)
    spectrum = np.exp(-(((grid - 20) / 2) ** 2)) + 0.5 * np.exp(-(((grid + 40) / 2) ** 2))
    spectrum += 0.9 * np.exp(-(((grid - 21.5) / 2) ** 2))  # a shoulder closer than min separation
    search = bearing.peak_search(-90.0, 90.0, 0.5, num_sources=2, min_separation_deg=5.0)
    top = gr.top_block()
    source = blocks.vector_source_f(spectrum.astype(np.float32).tolist(), False, len(grid))
    path = tmp_path / "bearings.jsonl"
    sink = bearing.json_sink(str(path))
    top.connect(source, search)
    top.msg_connect((search, "bearings"), (sink, "bearings"))
    top.run()
    sink.stop()
    record = json.loads(path.read_text().splitlines()[0])
    assert record["method"] == "peak-search"
    assert record["azimuth_deg"][1] == -40.0
    assert 20.0 <= record["azimuth_deg"][0] <= 21.5
    assert list(record) == [key for key in messages.RECORD_KEYS if key != "ue"]  # ue: SRS only


def test_peak_search_behind_the_estimator_keeps_the_window(make_capture):
    """The estimator tags its spectra with the covariance window, so peak search can report it."""
    path = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=400)
    top = gr.top_block()
    source = bearing.capture_source(str(path))
    accumulator = bearing.covariance_accumulator(num_elements=4, average=200)
    estimator = bearing.doa_estimator(
        source.capture.geometry.positions_m.tolist(), source.capture.frequency_hz
    )
    search = bearing.peak_search(num_sources=1)
    sink = bearing.json_sink("")
    top.connect(source, accumulator, estimator, search)
    top.msg_connect((search, "bearings"), (sink, "bearings"))
    top.run()
    assert [r["sample_start"] for r in sink.records] == [0, 200, 400, 600]
    assert [r["truth_azimuth_deg"] for r in sink.records] == [[-30.0], [-30.0], [25.0], [25.0]]
    assert all(abs(r["azimuth_deg"][0] - r["truth_azimuth_deg"][0]) < 0.5 for r in sink.records)


def test_full_circle_grid_wraps_and_finds_an_emitter_behind():
    """-180..180 stops one step short of +180, so a UCA finds an emitter at 179.5 deg."""
    assert bearing.azimuth_grid(-180, 180, 1.0).size == 360
    assert bearing.azimuth_grid(-180, 180, 0.7)[-1] == pytest.approx(179.8)
    assert bearing.azimuth_grid(-90, 90, 0.1).size == 1801
    geometry = uca(8, 0.5 * wavelength_m(CARRIER_HZ))
    x = snapshots(geometry, wavelength_m(CARRIER_HZ), [179.5], 20.0, 400, np.random.default_rng(4))[0]
    estimator = bearing.doa_estimator(
        geometry.positions_m.tolist(), CARRIER_HZ, grid_start_deg=-180, grid_stop_deg=180, grid_step_deg=1.0
    )
    top = gr.top_block()
    source = blocks.vector_source_c(
        covariance.sample_covariance(x).astype(np.complex64).ravel().tolist(), False, 64
    )
    spectra = blocks.vector_sink_f(360)
    sink = bearing.json_sink("")
    top.connect(source, estimator, spectra)
    top.msg_connect((estimator, "bearings"), (sink, "bearings"))
    top.run()
    assert sink.records[0]["azimuth_deg"][0] == pytest.approx(179.5, abs=0.3)
    assert sink.records[0]["peak_db"] == [pytest.approx(0.0, abs=1e-6)]


def test_setters_and_grids_are_validated():
    with pytest.raises(ValueError, match="num_sources"):
        bearing.peak_search(num_sources=2).set_num_sources(-1)
    with pytest.raises(ValueError, match="at most 100000"):
        bearing.azimuth_grid(-90, 90, 1e-5)
    with pytest.raises(ValueError, match="uniform linear array"):
        bearing.doa_estimator(uca(6, 0.1).positions_m.tolist(), CARRIER_HZ, covariance_size=4)


def test_json_sink_refuses_a_path_in_a_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="no-such-dir"):
        bearing.json_sink(str(tmp_path / "no-such-dir" / "out.jsonl"))


def test_a_calibration_file_with_an_array_that_resolves_elevation_is_refused(tmp_path) -> None:
    """A calibration table holds azimuths only: with a URA the block refuses it, by name."""
    carrier_hz = 2.4e9
    half = wavelength_m(carrier_hz) / 2.0
    positions = ura(4, 4, half, half).positions_m.tolist()
    with pytest.raises(GeometryError, match=r"calibration table holds azimuths only.*resolves elevation"):
        bearing.doa_estimator(positions, carrier_hz, calibration_path=str(tmp_path / "table.npz"))
