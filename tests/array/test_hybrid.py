"""The H2AD receiver: combiner structure, coprime layouts, virtual ULAs, RF outputs, capture metadata."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import steering_matrix, ula, wavelength_m
from gnuradio.bearing.array.hybrid import HybridArray, HybridLayout
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.scenario import ArraySpec, Emitter, Scenario
from gnuradio.bearing.captures.schema import CaptureError
from gnuradio.bearing.captures.simulation import simulate, write
from gnuradio.bearing.captures.writer import write_capture
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings

CARRIER_HZ = 3.5e9
LAYOUT = HybridLayout(num_subarrays=(2, 3, 1), subarray_sizes=(3, 4, 5), steer_azimuth_deg=12.0)
HYBRID = HybridArray(LAYOUT, CARRIER_HZ)  # N = 6 + 12 + 5 = 23 antennas, R = 6 RF chains


def test_sizes_and_group_membership() -> None:
    assert (HYBRID.num_elements, HYBRID.num_rf_chains, LAYOUT.num_groups) == (23, 6, 3)
    np.testing.assert_array_equal(HYBRID.rf_chain_groups(), [0, 0, 1, 1, 1, 2])
    assert HYBRID.spacing_m == pytest.approx(wavelength_m(CARRIER_HZ) / 2)
    np.testing.assert_array_equal(HYBRID.geometry().positions_m, ula(23, HYBRID.spacing_m).positions_m)


def test_combiner_is_block_structured_unit_modulus_and_orthonormal() -> None:
    w = HYBRID.combiner()
    assert w.shape == (23, 6)
    firsts = [0, 3, 6, 10, 14, 18]
    sizes = [3, 3, 4, 4, 4, 5]
    for chain, (first, size) in enumerate(zip(firsts, sizes, strict=True)):
        support = np.flatnonzero(w[:, chain])
        np.testing.assert_array_equal(support, np.arange(first, first + size))
        np.testing.assert_allclose(np.abs(w[support, chain]), 1 / np.sqrt(size), rtol=1e-12)
    np.testing.assert_allclose(w.conj().T @ w, np.eye(6), atol=1e-12)


def test_combiner_steers_every_subarray_beam_to_the_steer_azimuth() -> None:
    """``|w_r^H a(theta)| = sqrt(M_g)`` at the steer azimuth, the largest over azimuth."""
    a = HYBRID.geometry().steering([12.0, 0.0, 30.0], CARRIER_HZ)
    gains = np.abs(HYBRID.combiner().conj().T @ a)
    np.testing.assert_allclose(gains[:, 0], np.sqrt([3, 3, 4, 4, 4, 5]), rtol=1e-12)
    assert np.all(gains[:, 1:] < gains[:, :1])


def test_all_subarrays_of_one_antenna_are_the_digital_array() -> None:
    digital = HybridArray(HybridLayout((8,), (1,), steer_azimuth_deg=40.0), CARRIER_HZ, spacing_m=0.03)
    np.testing.assert_array_equal(digital.combiner(), np.eye(8))


@pytest.mark.parametrize(
    ("num_subarrays", "subarray_sizes", "message"),
    [
        ((2, 2), (4, 6), "subarray_sizes: the M_g must be pairwise coprime.*groups 0 and 1.*factor 2"),
        ((1, 1, 1), (3, 5, 9), "groups 0 and 2 have M = 3 and 9, which share the factor 3"),
        ((2,), (3, 4), "subarray_sizes: one size per group"),
        ((2, 0), (3, 4), r"num_subarrays\[1\]: must be an integer >= 1"),
        ((), (), "num_subarrays: must be a non-empty list"),
        ((2,), (2.5,), r"subarray_sizes\[0\]"),
    ],
)
def test_bad_layouts_raise_value_error_naming_the_parameter(num_subarrays, subarray_sizes, message) -> None:
    with pytest.raises(ValueError, match=message):
        HybridLayout(num_subarrays, subarray_sizes)


def test_bad_physical_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="steer_azimuth_deg"):
        HybridLayout((1,), (2,), steer_azimuth_deg=120.0)
    with pytest.raises(ValueError, match="frequency_hz"):
        HybridArray(LAYOUT, 0.0)
    with pytest.raises(ValueError, match="spacing_m"):
        HybridArray(LAYOUT, CARRIER_HZ, spacing_m=-0.01)


def test_rf_outputs_match_a_direct_sum_over_each_subarray() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 23)) + 1j * rng.standard_normal((5, 23))
    w = HYBRID.combiner()
    expected = np.zeros((5, 6), dtype=complex)
    for chain in range(6):
        for m in np.flatnonzero(w[:, chain]):
            expected[:, chain] += np.conj(w[m, chain]) * x[:, m]
    outputs = HYBRID.rf_outputs(x)
    assert outputs.shape == (5, 6)
    np.testing.assert_allclose(outputs, expected, rtol=1e-12)
    np.testing.assert_allclose(HYBRID.rf_outputs(x[0]), expected[0], rtol=1e-12)
    with pytest.raises(ValueError, match="element_snapshots: the last axis must hold the 23 antennas"):
        HYBRID.rf_outputs(x[:, :6])


def test_each_group_is_a_virtual_ula_of_spacing_m_times_d() -> None:
    """Phase centres are the subarray centroids; a plane wave reaches a group's RF chains as the
    virtual ULA's steering vector times one real beam gain ``b_g(theta)``."""
    positions = HYBRID.geometry().positions_m
    virtual = HYBRID.virtual_ulas()
    assert [v.group for v in virtual] == [0, 1, 2]
    np.testing.assert_array_equal(virtual[1].rf_chains, [2, 3, 4])
    np.testing.assert_allclose(
        virtual[1].phase_centres_m, [positions[f : f + 4].mean(axis=0) for f in (6, 10, 14)]
    )
    y = HYBRID.rf_outputs(HYBRID.geometry().steering(-27.0, CARRIER_HZ)[:, 0])
    for group, size in zip(virtual, (3, 4, 5), strict=True):
        assert group.subarray_size == size
        assert group.spacing_m == pytest.approx(size * HYBRID.spacing_m)
        if len(group.rf_chains) > 1:
            assert group.geometry().ula_axis().spacing_m == pytest.approx(group.spacing_m)
        gain = y[group.rf_chains] / steering_matrix(group.phase_centres_m, -27.0, HYBRID.wavelength_m)[:, 0]
        np.testing.assert_allclose(gain, gain[0].real, atol=1e-12)


def test_dictionaries_round_trip_and_name_bad_fields() -> None:
    assert HybridArray.from_dict(json.loads(json.dumps(HYBRID.to_dict()))) == HYBRID
    assert HybridLayout.from_dict(LAYOUT.to_dict()) == LAYOUT
    with pytest.raises(ValueError, match="colour: unknown field"):
        HybridArray.from_dict({**HYBRID.to_dict(), "colour": 1})
    with pytest.raises(ValueError, match="frequency_hz: required field is missing"):
        HybridArray.from_dict(LAYOUT.to_dict())


def hybrid_scenario(**changes) -> Scenario:
    spacing_m = wavelength_m(CARRIER_HZ) / 2
    base = Scenario(
        array=ArraySpec(kind="ula", num_elements=23, spacing_m=spacing_m, hybrid=LAYOUT),
        frequency_hz=CARRIER_HZ,
        sample_rate_hz=1e6,
        emitters=(Emitter(azimuth_deg=-20.0, snr_db=5.0), Emitter(azimuth_deg=35.0, snr_db=0.0)),
        snapshots_per_segment=16,
        num_segments=2,
        seed=9,
    )
    return dataclasses.replace(base, **changes)


def test_simulated_rf_chains_are_the_combined_antenna_samples() -> None:
    scenario = hybrid_scenario()
    hybrid, antennas = (
        simulate(scenario),
        simulate(dataclasses.replace(scenario, array=ArraySpec("ula", 23, HYBRID.spacing_m))),
    )
    assert (
        hybrid.hybrid == HYBRID and hybrid.samples.shape == (32, 6) and hybrid.samples.dtype == np.complex64
    )
    np.testing.assert_allclose(hybrid.samples, HYBRID.rf_outputs(antennas.samples.astype(complex)), atol=1e-5)


def test_hybrid_metadata_round_trips_through_a_sigmf_file(tmp_path) -> None:
    simulated = simulate(hybrid_scenario())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the bearing namespace is declared
        meta_path = write(simulated, tmp_path / "h2ad")
    capture = read_capture(meta_path)
    assert capture.hybrid == HYBRID and capture.num_channels == 6
    np.testing.assert_array_equal(capture.read(0, capture.num_samples), simulated.samples)
    np.testing.assert_allclose(capture.geometry.positions_m, HYBRID.geometry().positions_m)
    info = capture.global_info
    assert (info["core:num_channels"], info["spatial:num_elements"], info["spatial:channel_index"]) == (
        6,
        23,
        0,
    )
    assert info["bearing:hybrid"] == HYBRID.to_dict()
    combiner = np.array(info["bearing:combiner"]["real"]) + 1j * np.array(info["bearing:combiner"]["imag"])
    np.testing.assert_array_equal(combiner, HYBRID.combiner())
    assert Scenario.from_dict(info["bearing:scenario"]) == hybrid_scenario()


def test_write_capture_declares_the_bearing_namespace_and_checks_the_antennas(tmp_path) -> None:
    samples = np.ones((4, 6), dtype=np.complex64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        meta_path = write_capture(
            tmp_path / "direct",
            samples,
            sample_rate_hz=1e6,
            frequency_hz=CARRIER_HZ,
            geometry=HYBRID.geometry(),
            hybrid=HYBRID,
        )
    assert read_capture(meta_path).hybrid == HYBRID
    with pytest.raises(ValueError, match="not the hybrid array's 23-antenna ULA"):
        write_capture(
            tmp_path / "x",
            samples,
            sample_rate_hz=1e6,
            frequency_hz=CARRIER_HZ,
            geometry=ula(23, 0.01),
            hybrid=HYBRID,
        )
    with pytest.raises(ValueError, match=r"samples must have shape \(N, 6\) with N >= 1 for the 6 RF chains"):
        write_capture(
            tmp_path / "x",
            np.ones((4, 23)),
            sample_rate_hz=1e6,
            frequency_hz=CARRIER_HZ,
            geometry=HYBRID.geometry(),
            hybrid=HYBRID,
        )


def test_a_combiner_that_does_not_match_the_structure_is_refused(tmp_path) -> None:
    meta_path = write(simulate(hybrid_scenario(num_segments=1, snapshots_per_segment=2)), tmp_path / "h2ad")
    metadata = json.loads(meta_path.read_text())
    metadata["global"]["bearing:combiner"]["imag"][0][0] += 0.1
    meta_path.write_text(json.dumps(metadata))
    with pytest.raises(CaptureError, match="bearing:combiner is not the combiner of bearing:hybrid"):
        read_capture(meta_path)


def test_the_element_space_replay_refuses_a_hybrid_capture(tmp_path) -> None:
    meta_path = write(simulate(hybrid_scenario(num_segments=1)), tmp_path / "h2ad")
    with pytest.raises(ValueError, match="the 6 channels are the RF chains of a hybrid array"):
        ReplayFlowgraph(str(meta_path), ReplaySettings(method="music", average=16))


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            {"kind": "ula", "num_elements": 20, "spacing_m": 0.04, "hybrid": LAYOUT.to_dict()},
            "sum K_g M_g = 23",
        ),
        ({"kind": "uca", "num_elements": 23, "radius_m": 0.2, "hybrid": LAYOUT.to_dict()}, "kind 'uca'"),
        (
            {
                "kind": "ula",
                "num_elements": 4,
                "spacing_m": 0.04,
                "hybrid": {"num_subarrays": [2], "subarray_sizes": [2], "x": 1},
            },
            "array.hybrid.x: unknown field",
        ),
        (
            {
                "kind": "ula",
                "num_elements": 8,
                "spacing_m": 0.04,
                "hybrid": {"num_subarrays": [1, 1], "subarray_sizes": [2, 6]},
            },
            "array.hybrid.subarray_sizes: the M_g must be pairwise coprime",
        ),
    ],
)
def test_bad_hybrid_scenarios_are_named(array, message) -> None:
    with pytest.raises(ValueError, match=message):
        Scenario.from_dict({**hybrid_scenario().to_dict(), "array": array})
