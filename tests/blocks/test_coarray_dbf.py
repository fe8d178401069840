"""Flowgraph tests of the coarray DBF block."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.doa.coarray import coarray_model
from helpers.flowgraphs import received_windows, run_within, window_tags
from helpers.signals import snapshots

CARRIER_HZ = 2.4e9
GEOMETRY = ula(4, wavelength_m(CARRIER_HZ) / 2)
POSITIONS = GEOMETRY.positions_m.tolist()


def covariances(azimuths_deg, count: int = 3, snr_db: float = 10.0) -> np.ndarray:
    """``count`` sample covariances of 200 snapshots, shape ``(count, M, M)``."""
    x = snapshots(
        GEOMETRY, wavelength_m(CARRIER_HZ), azimuths_deg, snr_db, 200, np.random.default_rng(7), count
    )
    return np.stack([covariance.sample_covariance(trial) for trial in x])


def run_dbf(
    matrices: np.ndarray, tagged: bool = False, **kwargs
) -> tuple[bearing.coarray_dbf, np.ndarray, object]:
    """vector source -> coarray_dbf -> vector sink; ``tagged``: item i has a window at sample 1000 i."""
    dbf = bearing.coarray_dbf(POSITIONS, CARRIER_HZ, **kwargs)
    size = len(dbf.grid_deg)
    tags = window_tags(len(matrices)) if tagged else []
    top = gr.top_block()
    source = blocks.vector_source_c(
        matrices.astype(np.complex64).ravel().tolist(), False, matrices[0].size, tags
    )
    sink = blocks.vector_sink_f(size)
    top.connect(source, dbf, sink)
    run_within(top)
    return dbf, np.asarray(sink.data()).reshape(-1, size), sink


def test_output_is_the_coarray_dbf_spectrum_of_each_covariance():
    matrices = covariances([-20.0, 35.0])
    dbf, spectra, _ = run_dbf(matrices, remove_noise_floor=False)
    model = coarray_model(POSITIONS, CARRIER_HZ, -60.0, 60.0, 0.1)
    assert dbf.grid_deg.size == 1201 and spectra.shape == (3, 1201)
    for matrix, spectrum in zip(matrices.astype(np.complex64), spectra, strict=True):
        np.testing.assert_allclose(spectrum, model.spectrum(matrix), rtol=1e-5, atol=1e-5)
    assert dbf.failed_estimates == 0


def test_noise_floor_removal_is_passed_to_the_model():
    matrices = covariances([-20.0, 35.0], count=2)
    _, spectra, _ = run_dbf(matrices, remove_noise_floor=True)
    model = coarray_model(POSITIONS, CARRIER_HZ, -60.0, 60.0, 0.1)
    for matrix, spectrum in zip(matrices.astype(np.complex64), spectra, strict=True):
        np.testing.assert_allclose(spectrum, model.spectrum(matrix, True), rtol=1e-5, atol=1e-5)
        assert not np.allclose(spectrum, model.spectrum(matrix), rtol=1e-3)


def test_lone_noise_free_source_peaks_at_m_squared_linear():
    a = GEOMETRY.steering([12.3], CARRIER_HZ)
    _, spectra, _ = run_dbf(a @ a.conj().T[None], grid_start_deg=-90, grid_stop_deg=90, grid_step_deg=0.1)
    grid = bearing.azimuth_grid(-90, 90, 0.1)
    assert spectra.shape == (1, 1801)
    assert spectra[0].max() == pytest.approx(16.0, rel=1e-5)  # M^2, linear (not dB)
    assert grid[np.argmax(spectra[0])] == pytest.approx(12.3)


def test_unusable_covariances_are_dropped_counted_and_the_tags_follow_their_items():
    matrices = covariances([12.0], count=4)
    matrices[1, 2, 1] = np.nan
    matrices[2] = 0.0  # no power
    dbf, spectra, sink = run_dbf(matrices, tagged=True)
    assert dbf.failed_estimates == 2
    assert len(spectra) == 2 and np.all(np.isfinite(spectra))
    assert received_windows(sink) == [(0, 0), (1, 3000)]


@pytest.mark.parametrize("tagged", [True, False])
def test_the_window_tag_gains_the_covariance_power(tagged):
    """``power = trace(R) / M``, lost to the spectrum's normalisation; a tag is made when none came."""
    matrices = covariances([12.0], count=3) * np.array([1.0, 4.0, 0.25])[:, None, None]
    _, _, sink = run_dbf(matrices, tagged=tagged)
    windows = [messages.from_pmt(tag.value) for tag in sorted(sink.tags(), key=lambda t: t.offset)]
    expected = np.real(np.trace(matrices.astype(np.complex64), axis1=1, axis2=2)) / 4
    np.testing.assert_allclose([w["power"] for w in windows], expected, rtol=1e-6)
    assert [w.get("sample_start") for w in windows] == ([0, 1000, 2000] if tagged else [None] * 3)


def test_window_tags_from_the_accumulator_reach_the_output(make_capture):
    path = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=400)
    top = gr.top_block()
    source = bearing.capture_source(str(path))
    accumulator = bearing.covariance_accumulator(num_elements=4, average=200)
    dbf = bearing.coarray_dbf(source.capture.geometry.positions_m.tolist(), source.capture.frequency_hz)
    sink = blocks.vector_sink_f(len(dbf.grid_deg))
    top.connect(source, accumulator, dbf, sink)
    run_within(top)
    spectra = np.asarray(sink.data()).reshape(-1, len(dbf.grid_deg))
    assert received_windows(sink) == [(0, 0), (1, 200), (2, 400), (3, 600)]
    np.testing.assert_allclose(dbf.grid_deg[np.argmax(spectra, axis=1)], [-30, -30, 25, 25], atol=1.0)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="positions_m"):
        bearing.coarray_dbf([[0, 0], [0, 1]], CARRIER_HZ)
    with pytest.raises(ValueError, match="frequency_hz"):
        bearing.coarray_dbf(POSITIONS, 0.0)
    with pytest.raises(ValueError, match="grid_step_deg"):
        bearing.coarray_dbf(POSITIONS, CARRIER_HZ, grid_step_deg=0.0)
    with pytest.raises(ValueError, match="grid_stop_deg"):
        bearing.coarray_dbf(POSITIONS, CARRIER_HZ, grid_start_deg=10.0, grid_stop_deg=-10.0)
