"""Flowgraph tests of the IDL-TLBO Estimator block: an 8 x 8 URA at 28 GHz with known gain and phase
errors, one source; its bearings, its calibration message, NaN and zero covariances, a bad geometry."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array.coherence import corrected_covariance
from gnuradio.bearing.array.field_of_view import GeometryError
from gnuradio.bearing.array.geometry import ArrayGeometry, steering_matrix, ura, wavelength_m
from gnuradio.bearing.array.impairments import array_response, draw_impairments, perturbation_spec
from gnuradio.bearing.array.signals import complex_normal
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.flowgraphs.methods import METHODS
from helpers.flowgraphs import run_within

CARRIER_HZ = 28e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
GEOMETRY = ura(8, 8, WAVELENGTH_M / 2, WAVELENGTH_M / 2)
TRUTH_DEG = (20.0, 10.0)
"""The source's azimuth and elevation."""
SPEC = perturbation_spec(0.5, 10.0, 0.0)
"""The array's gain and phase errors (standard deviations 0.5 dB and 10 deg), and the block's prior."""
SNAPSHOTS = 16
FAST = {"population": 16, "iterations": 40}
"""Fewer learners and iterations than the paper's 30 and 100: the same bearing here, in a second."""


def _response() -> np.ndarray:
    """The impaired array's steering vector towards the source, ``(M,)``."""
    impairments = draw_impairments(GEOMETRY.num_elements, 1.0, 7, SPEC)
    return array_response(GEOMETRY, [TRUTH_DEG[0]], CARRIER_HZ, impairments, elevation_deg=[TRUTH_DEG[1]])[
        0, :, 0
    ]


def _covariances(count: int, snr_db: float = 10.0) -> np.ndarray:
    """``count`` sample covariances of SNAPSHOTS snapshots of the source, ``(count, M, M)``."""
    a, m = _response(), GEOMETRY.num_elements
    rng = np.random.default_rng(5)
    out = []
    for _ in range(count):
        s = np.sqrt(10 ** (snr_db / 10) / 2) * (
            rng.standard_normal(SNAPSHOTS) + 1j * rng.standard_normal(SNAPSHOTS)
        )
        w = (rng.standard_normal((m, SNAPSHOTS)) + 1j * rng.standard_normal((m, SNAPSHOTS))) / np.sqrt(2)
        y = np.outer(a, s) + w
        out.append(y @ y.conj().T / SNAPSHOTS)
    return np.stack(out)


def _window_tags(count: int) -> list[gr.tag_t]:
    tags = []
    for index in range(count):
        tag = gr.tag_t()
        tag.offset = index
        tag.key = pmt.intern(messages.WINDOW)
        info = messages.window_info(
            1000 * index, SNAPSHOTS, [TRUTH_DEG[0]], truth_elevation_deg=[TRUTH_DEG[1]]
        )
        tag.value = messages.to_pmt(info)
        tags.append(tag)
    return tags


@pytest.fixture(scope="module")
def run():
    """Four covariances, the second with a NaN, the last all zero, through the block in a
    flowgraph: the block, its spectra, its JSON records and its calibration messages."""
    matrices = _covariances(4)
    matrices[1, 0, 0] = np.nan
    matrices[3] = 0.0
    estimator = bearing.idl_tlbo_estimator(
        GEOMETRY.positions_m.tolist(),
        CARRIER_HZ,
        gain_std_db=SPEC.gain_std_db,
        phase_std_deg=SPEC.phase_std_deg,
        position_std_m=SPEC.position_std_m,
        **FAST,
    )
    top = gr.top_block()
    source = blocks.vector_source_c(
        matrices.astype(np.complex64).ravel().tolist(), False, matrices[0].size, _window_tags(4)
    )
    spectra = blocks.vector_sink_f(estimator.search.size)
    sink = bearing.json_sink("")
    calibrations, elevations = blocks.message_debug(), blocks.message_debug()
    top.connect(source, estimator, spectra)
    top.msg_connect((estimator, "bearings"), (sink, "bearings"))
    top.msg_connect((estimator, "calibration"), (calibrations, "store"))
    top.msg_connect((estimator, "elevation"), (elevations, "store"))
    run_within(top, 60.0)
    shaped = np.asarray(spectra.data()).reshape(-1, estimator.search.size)
    published = [messages.from_pmt(calibrations.get_message(i)) for i in range(calibrations.num_messages())]
    return estimator, shaped, sink.records, published, elevations


def test_the_bearing_of_a_perturbed_ura_within_half_a_degree(run):
    estimator, spectra, records, _, elevations = run
    assert len(records) == 2 and spectra.shape == (2, estimator.search.size)
    for record in records:
        assert record["method"] == "idl-tlbo" and record["num_sources"] == 1
        assert record["sample_count"] == SNAPSHOTS and record["truth_elevation_deg"] == [TRUTH_DEG[1]]
        assert abs(record["azimuth_deg"][0] - TRUTH_DEG[0]) < 0.5, record
        assert abs(record["elevation_deg"][0] - TRUTH_DEG[1]) < 0.5, record
        assert record["peak_db"][0] == pytest.approx(0.0, abs=0.5)
    assert elevations.num_messages() == 2
    # The spectrum: the Bartlett scan of the optimiser's start, in dB re its maximum, peaking near the source.
    assert np.isclose(spectra.max(), 0.0, atol=0.5)
    row, column = np.unravel_index(
        np.argmax(spectra[0]), (estimator.elevation_grid_deg.size, estimator.grid_deg.size)
    )
    assert abs(estimator.grid_deg[column] - TRUTH_DEG[0]) <= 4.0
    assert abs(estimator.elevation_grid_deg[row] - TRUTH_DEG[1]) <= 4.0


def test_a_calibration_message_holds_the_arrays_own_gains(run):
    """64 gains, element 0 the reference, in the Coherence Calibrator's format: the array's own
    gains (x = diag(g) y), so that dividing by them makes the array nominal."""
    estimator, _, _, published, _ = run
    assert len(published) == 2
    message = published[0]
    assert message["state"] == "calibrated" and message["method"] == "idl-tlbo"
    assert message["residual_phase_deg"] == 0.0 and published[1]["residual_phase_deg"] >= 0.0
    assert message["frequency_hz"] == CARRIER_HZ and np.shape(message["positions_m"]) == (64, 3)
    assert 0.0 < message["coherence"] <= 1.0 and message["time"].endswith("Z")
    gains = np.asarray(message["gains_real"]) + 1j * np.asarray(message["gains_imag"])
    assert gains.shape == (64,) and gains[0] == pytest.approx(1.0)
    last = published[-1]
    np.testing.assert_allclose(
        np.asarray(last["gains_real"]) + 1j * np.asarray(last["gains_imag"]), estimator.gains
    )
    a = _response()
    true = a / steering_matrix(GEOMETRY.positions_m, [TRUTH_DEG[0]], WAVELENGTH_M, [TRUTH_DEG[1]])[:, 0]
    true /= true[0]
    assert np.median(np.abs(np.degrees(np.angle(gains / true)))) < 5.0  # the errors': 10 deg rms, median 5.5
    # Dividing by them (the calibrator's correction) makes the source's covariance nominal.
    nominal = steering_matrix(GEOMETRY.positions_m, [TRUTH_DEG[0]], WAVELENGTH_M, [TRUTH_DEG[1]])[:, 0]
    r = _covariances(1, snr_db=30.0)[0]

    def fit(matrix: np.ndarray) -> float:
        principal = np.linalg.eigh(matrix)[1][:, -1]
        return float(np.abs(np.vdot(nominal, principal)) ** 2 / 64)

    assert fit(corrected_covariance(r, gains)) > 0.99 > fit(r)
    assert fit(corrected_covariance(r, 1.0 / gains)) < fit(r)


def test_the_coherence_calibrator_applies_the_message(run):
    """The estimator's last message, handed to a real Coherence Calibrator (mode none: gains from
    messages only), divides the next window's samples by the estimated gains."""
    estimator, _, _, published, _ = run
    m, window = GEOMETRY.num_elements, 64
    calibrator = bearing.coherence_calibrator(
        m, window, 1e6, "none", GEOMETRY.positions_m.tolist(), CARRIER_HZ
    )
    calibrator.handle_calibration(messages.to_pmt(published[-1]))
    assert calibrator.refused_calibrations == 0
    samples = complex_normal(np.random.default_rng(2), (2 * window, m)).astype(np.complex64)
    top = gr.top_block()
    source = blocks.vector_source_c(samples.ravel().tolist(), False, m)
    sink = blocks.vector_sink_c(m)
    top.connect(source, calibrator, sink)
    run_within(top, 30.0)
    out = np.asarray(sink.data()).reshape(-1, m)
    assert calibrator.received_calibrations == 1 and calibrator.calibration.method == "idl-tlbo"
    np.testing.assert_allclose(out, samples[: out.shape[0]] / estimator.gains, rtol=1e-4, atol=1e-5)
    assert out.shape[0] >= window


def test_a_nan_or_zero_covariance_is_dropped_counted_and_the_next_estimated(run):
    estimator, _, records, _, _ = run
    assert estimator.failed_estimates == 2
    assert [record["sample_start"] for record in records] == [0, 2000]


def test_a_geometry_the_search_refuses_raises_at_construction():
    """A 3-D array with grating lobes (a cube of two-wavelength spacing) resolves no direction
    unambiguously: refused at construction, naming why."""
    side = np.arange(3) * 2 * WAVELENGTH_M
    cube = np.stack(np.meshgrid(side, side, side), axis=-1).reshape(-1, 3)
    with pytest.raises(GeometryError, match="grating"):
        bearing.idl_tlbo_estimator(cube.tolist(), CARRIER_HZ)


def test_bad_parameters_are_named():
    positions = GEOMETRY.positions_m.tolist()
    with pytest.raises(ValueError, match="num_sources"):
        bearing.idl_tlbo_estimator(positions, CARRIER_HZ, num_sources=64)
    with pytest.raises(ValueError, match="frequency_hz"):
        bearing.idl_tlbo_estimator(positions, 0.0)
    with pytest.raises(ValueError, match="prior"):
        bearing.idl_tlbo_estimator(positions, CARRIER_HZ, gain_std_db=0, phase_std_deg=0, position_std_m=0)
    with pytest.raises(ValueError, match="snapshots"):
        bearing.idl_tlbo_estimator(positions, CARRIER_HZ, snapshots=0)
    with pytest.raises(GeometryError, match="elevation"):  # a ULA estimates azimuth only
        line = ArrayGeometry(GEOMETRY.positions_m[:8])
        bearing.idl_tlbo_estimator(line.positions_m.tolist(), CARRIER_HZ, elevation_start_deg=0.0)


def test_the_method_is_in_the_replays_registry():
    method = METHODS["idl-tlbo"]
    assert method.planar and method.takes_covariance and not method.needs_model
