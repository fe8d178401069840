"""The array simulator: steering signs, SNR, coherence, multipath, OFDM, truths, JSON, seeds."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from gnuradio.bearing.array.geometry import steering_matrix, wavelength_m
from gnuradio.bearing.array.impairments import ImpairmentSpec, array_response
from gnuradio.bearing.captures.presets import PRESETS, demo_ula4_scenario
from gnuradio.bearing.captures.reader import read_capture
from gnuradio.bearing.captures.scenario import (
    ArraySpec,
    Cluster,
    Emitter,
    ImpairmentConfig,
    OfdmSpec,
    Scenario,
)
from gnuradio.bearing.captures.simulation import simulate, write

CARRIER_HZ = 4.85e9
WAVELENGTH_M = wavelength_m(CARRIER_HZ)
HALF_WAVE_ULA = ArraySpec(kind="ula", num_elements=4, spacing_m=WAVELENGTH_M / 2)
OFDM = OfdmSpec(fft_size=64, num_subcarriers=8, subcarrier_spacing_hz=4e6)  # bins of 1 MHz at 64 MS/s


def scenario(**changes) -> Scenario:
    """A small narrowband scenario: one emitter at 20 deg, 10 dB, ideal array, 2 x 64 snapshots."""
    base = Scenario(
        array=HALF_WAVE_ULA,
        frequency_hz=CARRIER_HZ,
        sample_rate_hz=1e6,
        emitters=(Emitter(azimuth_deg=20.0, snr_db=10.0),),
        snapshots_per_segment=64,
        num_segments=2,
    )
    return dataclasses.replace(base, **changes)


def segment_samples(simulated, index: int) -> np.ndarray:
    segment = simulated.segments[index]
    return simulated.samples[segment.sample_start : segment.sample_start + segment.sample_count].astype(
        complex
    )


def ofdm_bins(simulated) -> np.ndarray:
    """Orthonormal DFT of every OFDM symbol: ``(symbols, fft_size, M)``."""
    fft_size = simulated.scenario.ofdm.fft_size
    symbols = simulated.samples.astype(complex).reshape(-1, fft_size, simulated.geometry.num_elements)
    return np.fft.fft(symbols, axis=1, norm="ortho")


def principal_vector(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and principal eigenvector of the sample covariance of ``x`` (N, M)."""
    values, vectors = np.linalg.eigh(x.T @ x.conj() / len(x))
    return values[::-1], vectors[:, -1]


def test_ula_steering_phases_match_the_closed_form():
    """Pins the sign: element m of array_model.ula leads element 0 by +pi m sin(az).

    From the conventions of array_model: positive azimuths lie towards -y, ula() puts
    element 0 at +y and the index grows towards -y, so a source at positive azimuth is
    reached first by the higher elements, which lead in phase (a = exp(+j 2 pi u.r / lambda)).
    """
    sweep = scenario(
        emitters=(Emitter(azimuth_deg=-80.0, azimuth_end_deg=80.0, snr_db=0.0),),
        num_segments=9,
        add_noise=False,
    )
    simulated = simulate(sweep)
    m = np.arange(4)
    for index, truth in enumerate(simulated.truths):
        x = segment_samples(simulated, index)
        relative = x / x[:, :1]
        expected = np.exp(1j * np.pi * m * np.sin(np.deg2rad(truth.azimuth_deg)))
        assert np.allclose(relative, expected[None, :], atol=1e-5)


def test_uca_steering_phases_match_the_closed_form():
    """UCA of radius R, element m at azimuth 360 m / M: phase 2 pi R cos(az - phi_m) / lambda."""
    radius_m, num = 0.6 * WAVELENGTH_M, 7
    sweep = scenario(
        array=ArraySpec(kind="uca", num_elements=num, radius_m=radius_m),
        emitters=(Emitter(azimuth_deg=-170.0, azimuth_end_deg=170.0, snr_db=0.0),),
        num_segments=11,
        add_noise=False,
    )
    simulated = simulate(sweep)
    phi = 2 * np.pi * np.arange(num) / num
    for index, truth in enumerate(simulated.truths):
        az = np.deg2rad(truth.azimuth_deg)
        expected = np.exp(2j * np.pi * radius_m / WAVELENGTH_M * (np.cos(az - phi) - np.cos(az)))
        x = segment_samples(simulated, index)
        assert np.allclose(x / x[:, :1], expected[None, :], atol=1e-5)


def test_impaired_samples_follow_the_impaired_response():
    impaired = scenario(impairments=ImpairmentConfig(rho=1.0), add_noise=False)
    simulated = simulate(impaired)
    h = array_response(simulated.geometry, [20.0], CARRIER_HZ, simulated.impairments)[0, :, 0]
    x = segment_samples(simulated, 0)
    assert np.allclose(x / x[:, :1], (h / h[0])[None, :], atol=1e-5)
    ideal = steering_matrix(simulated.geometry.positions_m, [20.0], WAVELENGTH_M)[:, 0]
    assert not np.allclose(x / x[:, :1], (ideal / ideal[0])[None, :], atol=1e-2)


def test_snr_is_per_element_per_sample_over_unit_noise():
    long = {"snapshots_per_segment": 20_000, "num_segments": 1}
    noise = simulate(scenario(emitters=(), **long)).samples.astype(complex)
    assert np.allclose(np.mean(np.abs(noise) ** 2, axis=0), 1.0, rtol=0.03)
    assert np.allclose(np.mean(noise.real**2, axis=0), 0.5, rtol=0.03)
    assert np.max(np.abs(noise.T @ noise.conj() / len(noise) - np.eye(4))) < 0.03

    clean = scenario(emitters=(Emitter(azimuth_deg=20.0, snr_db=7.0),), add_noise=False, **long)
    signal = simulate(clean).samples.astype(complex)
    assert np.allclose(np.mean(np.abs(signal) ** 2, axis=0), 10**0.7, rtol=0.03)
    noisy = simulate(dataclasses.replace(clean, add_noise=True)).samples.astype(complex)
    assert np.allclose(np.mean(np.abs(noisy - signal) ** 2, axis=0), 1.0, rtol=0.03)


def test_ofdm_snr_per_sample_and_per_subcarrier():
    """Time domain: P per sample; each active bin: P fft_size / K over unit noise."""
    wideband = scenario(
        emitters=(Emitter(azimuth_deg=-35.0, snr_db=3.0),),
        sample_rate_hz=64e6,
        ofdm=OFDM,
        snapshots_per_segment=2000,
        num_segments=1,
        add_noise=False,
    )
    signal = simulate(wideband)
    power = 10**0.3
    assert np.mean(np.abs(signal.samples.astype(complex)) ** 2) == pytest.approx(power, rel=0.03)
    bins = wideband.subcarrier_bins() % OFDM.fft_size
    per_bin = np.mean(np.abs(ofdm_bins(signal)[:, bins, :]) ** 2)
    assert per_bin == pytest.approx(power * OFDM.fft_size / OFDM.num_subcarriers, rel=0.03)
    noise = simulate(dataclasses.replace(wideband, emitters=(), add_noise=True))
    assert np.mean(np.abs(ofdm_bins(noise)[:, bins, :]) ** 2) == pytest.approx(1.0, rel=0.03)


def test_coherent_sources_are_coherent():
    pair = (
        Emitter(azimuth_deg=-20.0, snr_db=10.0),
        Emitter(azimuth_deg=35.0, snr_db=7.0, coherent_with=0, coherent_phase_deg=60.0),
    )
    x = segment_samples(simulate(scenario(emitters=pair, add_noise=False)), 0)
    values, vector = principal_vector(x)
    assert values[1] / values[0] < 1e-9, "coherent sources give a rank-1 covariance"
    a = steering_matrix(HALF_WAVE_ULA.geometry().positions_m, [-20.0, 35.0], WAVELENGTH_M)
    combined = np.sqrt(10.0) * a[:, 0] + np.sqrt(10**0.7) * np.exp(1j * np.deg2rad(60.0)) * a[:, 1]
    assert abs(np.vdot(vector, combined)) / np.linalg.norm(combined) == pytest.approx(1.0, abs=1e-6)

    independent = tuple(dataclasses.replace(e, coherent_with=None, coherent_phase_deg=0.0) for e in pair)
    values, _ = principal_vector(
        segment_samples(simulate(scenario(emitters=independent, add_noise=False)), 0)
    )
    assert values[1] / values[0] > 0.05


def _path_gains(x: np.ndarray, positions_m, azimuths_deg, wavelength: float) -> np.ndarray:
    """Least-squares gains of the paths at ``azimuths_deg`` in one snapshot ``x`` (M,)."""
    a = steering_matrix(positions_m, azimuths_deg, wavelength)
    gains = np.linalg.lstsq(a, x, rcond=None)[0]
    assert np.linalg.norm(a @ gains - x) < 1e-5 * np.linalg.norm(x)
    return gains


def test_multipath_adds_the_clusters():
    positions_m = HALF_WAVE_ULA.geometry().positions_m
    one_ray = Cluster(delay_s=50e-9, power_db=-3.0, azimuth_deg=-40.0)
    emitter = Emitter(azimuth_deg=10.0, snr_db=10.0, clusters=(one_ray,))
    simulated = simulate(scenario(emitters=(emitter,), num_segments=3, add_noise=False))
    ratios = []
    for index in range(3):
        x = segment_samples(simulated, index)
        assert principal_vector(x)[0][1] < 1e-9 * principal_vector(x)[0][0], "multipath is coherent"
        direct, reflected = _path_gains(x[0], positions_m, [10.0, -40.0], WAVELENGTH_M)
        ratios.append(reflected / direct)
    assert np.allclose(np.abs(ratios), 10 ** (-3 / 20))
    assert np.ptp(np.angle(ratios)) > 0.1, "the ray phases are drawn afresh in every segment"

    many_rays = dataclasses.replace(one_ray, num_rays=10)
    fading = scenario(
        emitters=(dataclasses.replace(emitter, clusters=(many_rays,)),),
        snapshots_per_segment=1,
        num_segments=400,
        add_noise=False,
    )
    x = simulate(fading).samples.astype(complex)
    power = [abs(np.divide(*_path_gains(row, positions_m, [-40.0, 10.0], WAVELENGTH_M))) ** 2 for row in x]
    assert np.mean(power) == pytest.approx(10 ** (-3 / 10), rel=0.2)


def test_angle_spread_spreads_the_rays():
    spread = Cluster(delay_s=0.0, power_db=0.0, azimuth_deg=-40.0, angle_spread_deg=8.0, num_rays=30)
    emitter = Emitter(azimuth_deg=10.0, snr_db=10.0, clusters=(spread,))
    x = simulate(scenario(emitters=(emitter,), snapshots_per_segment=1, add_noise=False)).samples[0]
    a = steering_matrix(HALF_WAVE_ULA.geometry().positions_m, [10.0, -40.0], WAVELENGTH_M)
    _, residual, *_ = np.linalg.lstsq(a, x.astype(complex), rcond=None)
    assert residual[0] > 1e-3 * np.linalg.norm(x) ** 2, "spread rays leave the two-path subspace"


def test_wideband_delay_gives_a_per_subcarrier_phase():
    delay_s = 30e-9
    emitter = Emitter(
        azimuth_deg=15.0,
        snr_db=10.0,
        clusters=(Cluster(delay_s=delay_s, power_db=-2.0, azimuth_deg=-50.0),),
    )
    wideband = scenario(
        emitters=(emitter,), sample_rate_hz=64e6, ofdm=OFDM, snapshots_per_segment=2, add_noise=False
    )
    simulated = simulate(wideband)
    spectrum = ofdm_bins(simulated)[0]
    offsets_hz = wideband.subcarrier_offsets_hz()
    assert np.allclose(offsets_hz, (np.arange(8) - 4) * 4e6)
    ratios = []
    for bin_index, offset_hz in zip(wideband.subcarrier_bins(), offsets_hz, strict=True):
        x = spectrum[bin_index % OFDM.fft_size]
        direct, reflected = _path_gains(
            x, simulated.geometry.positions_m, [15.0, -50.0], wavelength_m(CARRIER_HZ + offset_hz)
        )
        ratios.append(reflected / direct)
    ratios = np.array(ratios)
    expected = np.exp(-2j * np.pi * (offsets_hz - offsets_hz[0]) * delay_s)
    assert np.allclose(ratios / ratios[0], expected, atol=1e-4)


def test_ofdm_time_covariance_is_the_subcarrier_sum_parseval():
    emitters = (
        Emitter(azimuth_deg=-25.0, snr_db=5.0),
        Emitter(
            azimuth_deg=40.0, snr_db=0.0, clusters=(Cluster(delay_s=80e-9, power_db=-6.0, azimuth_deg=0.0),)
        ),
    )
    for add_noise in (False, True):
        wideband = scenario(
            emitters=emitters,
            sample_rate_hz=64e6,
            ofdm=OFDM,
            snapshots_per_segment=32,
            impairments=ImpairmentConfig(rho=1.0),
            add_noise=add_noise,
        )
        simulated = simulate(wideband)
        x = simulated.samples.astype(complex)
        time_covariance = x.T @ x.conj() / len(x)
        spectrum = ofdm_bins(simulated)
        bins = wideband.subcarrier_bins() % OFDM.fft_size if not add_noise else np.arange(OFDM.fft_size)
        per_bin = np.einsum("sbm,sbn->bmn", spectrum[:, bins, :], spectrum[:, bins, :].conj()) / len(x)
        subcarrier_sum = per_bin.sum(axis=0)
        error = np.linalg.norm(time_covariance - subcarrier_sum) / np.linalg.norm(time_covariance)
        assert error < 1e-6


def test_moving_emitter_truths_follow_the_sweep():
    emitters = (
        Emitter(azimuth_deg=-60.0, azimuth_end_deg=60.0, snr_db=10.0, label="ue"),
        Emitter(azimuth_deg=0.0, azimuth_end_deg=40.0, snr_db=10.0, first_segment=3, last_segment=7),
    )
    sweep = scenario(emitters=emitters, num_segments=13, gap_samples=1000, add_noise=False)
    simulated = simulate(sweep)
    moving = [t for t in simulated.truths if t.label == "ue"]
    assert [t.azimuth_deg for t in moving] == pytest.approx(np.linspace(-60, 60, 13))
    assert [t.sample_start for t in moving] == [s.sample_start for s in simulated.segments]
    second = [t for t in simulated.truths if t.label == "emitter1"]
    assert [t.azimuth_deg for t in second] == pytest.approx(np.linspace(0, 40, 5))
    assert [t.sample_start for t in second] == [64 * i for i in range(3, 8)]
    assert [s.global_index for s in simulated.segments] == [i * (64 + 1000) for i in range(13)]
    assert [s.sample_count for s in simulated.segments] == [64] * 13
    values, vector = principal_vector(segment_samples(simulated, 1))
    assert values[1] < 1e-9 * values[0], "segment 1 holds only the first emitter"
    ideal = steering_matrix(simulated.geometry.positions_m, [-50.0], WAVELENGTH_M)[:, 0]
    assert abs(np.vdot(vector, ideal)) / 2 == pytest.approx(1.0, abs=1e-6)


def test_ofdm_segments_count_samples():
    simulated = simulate(scenario(sample_rate_hz=64e6, ofdm=OFDM, snapshots_per_segment=3, gap_samples=10))
    assert simulated.samples.shape == (2 * 3 * 64, 4) and simulated.samples.dtype == np.complex64
    assert [(s.sample_start, s.sample_count, s.global_index) for s in simulated.segments] == [
        (0, 192, 0),
        (192, 192, 202),
    ]


def test_simulation_is_reproducible():
    base = scenario(
        emitters=(Emitter(azimuth_deg=20.0, snr_db=10.0, clusters=(Cluster(1e-8, -3.0, 50.0, 5.0, 4),)),),
        impairments=ImpairmentConfig(rho=1.0),
        seed=3,
    )
    first, again = simulate(base), simulate(Scenario.from_json(base.to_json()))
    assert np.array_equal(first.samples, again.samples)
    assert first.truths == again.truths and first.segments == again.segments
    assert first.impairments.to_dict() == again.impairments.to_dict()
    other = simulate(dataclasses.replace(base, seed=4))
    assert not np.array_equal(first.samples, other.samples)
    assert first.impairments.to_dict() != other.impairments.to_dict()
    pinned = ImpairmentConfig(rho=1.0, seed=99)
    same_array = [simulate(dataclasses.replace(base, seed=s, impairments=pinned)) for s in (3, 4)]
    assert same_array[0].impairments.to_dict() == same_array[1].impairments.to_dict()
    assert not np.array_equal(same_array[0].samples, same_array[1].samples)


FULL_SCENARIO = Scenario(
    array=ArraySpec(kind="custom", positions_m=((0.0, 0.05, 0.0), (0.0, 0.0, 0.01), (0.01, -0.04, 0.0))),
    frequency_hz=3.5e9,
    sample_rate_hz=30.72e6,
    emitters=(
        Emitter(azimuth_deg=-30.0, snr_db=12.0, elevation_deg=5.0, label="ue1"),
        Emitter(
            azimuth_deg=10.0,
            azimuth_end_deg=20.0,
            snr_db=6.0,
            first_segment=1,
            last_segment=2,
            coherent_with=0,
            coherent_phase_deg=45.0,
            clusters=(
                Cluster(delay_s=1e-7, power_db=-4.0, azimuth_deg=70.0, angle_spread_deg=3.0, num_rays=5),
            ),
        ),
    ),
    snapshots_per_segment=4,
    num_segments=3,
    gap_samples=100,
    ofdm=OfdmSpec(fft_size=1024, num_subcarriers=12, subcarrier_spacing_hz=30e3 * 20),
    impairments=ImpairmentConfig(
        rho=0.5, seed=7, spec=ImpairmentSpec(gain_std_db=0.5, coupling_magnitudes=(0.2,))
    ),
    seed=12,
    description="round trip",
)


@pytest.mark.parametrize("original", [FULL_SCENARIO, demo_ula4_scenario(), scenario()])
def test_scenario_json_round_trip(original):
    text = json.dumps(original.to_dict())
    assert Scenario.from_dict(json.loads(text)) == original
    assert Scenario.from_json(original.to_json()) == original


def test_to_dict_leaves_out_unset_fields():
    plain = scenario().to_dict()
    assert "ofdm" not in plain and "seed" not in plain["impairments"]
    assert plain["array"] == {"kind": "ula", "num_elements": 4, "spacing_m": WAVELENGTH_M / 2}
    assert "azimuth_end_deg" not in plain["emitters"][0]


def _set(data: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(data)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("frequency_hz",), -1.0, "frequency_hz"),
        (("sample_rate_hz",), "fast", "sample_rate_hz"),
        (("num_segments",), 0, "num_segments"),
        (("snapshots_per_segment",), 2.5, "snapshots_per_segment"),
        (("gap_samples",), -1, "gap_samples"),
        (("seed",), -3, "seed"),
        (("add_noise",), "yes", "add_noise"),
        (("colour",), "red", "colour"),
        (("frequency_hz",), _DELETE, "frequency_hz"),
        (("array", "kind"), "spiral", "array.kind"),
        (("array", "spacing_m"), _DELETE, "array.spacing_m"),
        (("array", "radius_m"), 0.1, "array.radius_m"),
        (("array", "spacing_m"), 0.0, "array.spacing_m"),
        (("array",), {"kind": "custom", "positions_m": [[0.0, 0.0]]}, "array.positions_m"),
        (("array",), [0.0, 0.0, 0.0], "array"),
        (("emitters",), {"azimuth_deg": 0}, "emitters"),
        (("emitters", 0, "snr_db"), float("nan"), "emitters[0].snr_db"),
        (("emitters", 0, "azimuth_deg"), 200.0, "emitters[0].azimuth_deg"),
        (("emitters", 0, "elevation_deg"), 95.0, "emitters[0].elevation_deg"),
        (("emitters", 1, "coherent_with"), 1, "emitters[1].coherent_with"),
        (("emitters", 1, "coherent_with"), 5, "emitters[1].coherent_with"),
        (("emitters", 0, "coherent_phase_deg"), 30.0, "emitters[0].coherent_phase_deg"),
        (("emitters", 1, "last_segment"), 3, "emitters[1].last_segment"),
        (("emitters", 1, "last_segment"), 0, "emitters[1].last_segment"),
        (("emitters", 0, "first_segment"), 3, "emitters[0].first_segment"),
        (("emitters", 1, "clusters", 0, "num_rays"), 0, "emitters[1].clusters[0].num_rays"),
        (("emitters", 1, "clusters", 0, "delay_s"), -1e-9, "emitters[1].clusters[0].delay_s"),
        (("emitters", 1, "clusters", 0, "width"), 1, "emitters[1].clusters[0].width"),
        (("ofdm", "subcarrier_spacing_hz"), 45e3, "ofdm.subcarrier_spacing_hz"),
        (("ofdm", "num_subcarriers"), 100, "ofdm.num_subcarriers"),
        (("ofdm", "fft_size"), 0, "ofdm.fft_size"),
        (("impairments", "rho"), 1.5, "impairments.rho"),
        (("impairments", "spec", "gain_std_db"), -1.0, "impairments.spec.gain_std_db"),
        (
            ("impairments", "spec", "coupling_magnitudes"),
            [0.1, 2.0],
            "impairments.spec.coupling_magnitudes[1]",
        ),
    ],
)
def test_bad_scenario_fields_raise_value_error_naming_the_field(path, value, field):
    bad = _set(dataclasses.replace(FULL_SCENARIO, array=HALF_WAVE_ULA).to_dict(), path, value)
    with pytest.raises(ValueError, match=re.escape(field)):
        Scenario.from_dict(bad)


def test_demo_preset():
    demo = demo_ula4_scenario()
    geometry = demo.array.geometry()
    assert geometry.num_elements == 4 and demo.array.spacing_m == pytest.approx(wavelength_m(4.85e9) / 2)
    assert demo.impairments.rho == 1.0 and demo.ofdm is None
    size_bytes = demo.num_segments * demo.samples_per_segment * geometry.num_elements * 8
    assert size_bytes < 20e6
    simulated = simulate(demo)
    assert len(simulated.truths) == demo.num_segments == 121
    assert [t.azimuth_deg for t in simulated.truths] == pytest.approx(np.arange(-60.0, 60.5, 1.0))


@pytest.mark.parametrize("side", [8, 16])
def test_perturbed_ura_presets_carry_the_idl_tlbo_perturbations_only(side):
    """Gain, phase and position errors of the paper's sizes; no coupling, no angle-dependent
    phase, no delays; the emitters of Table 4 and two more; more snapshots than channels."""
    scenario = PRESETS[f"ura{side}x{side}_perturbed"]()
    drawn = scenario.impairment_realisation()
    assert drawn.num_elements == side * side and scenario.frequency_hz == 28e9
    assert drawn.coupling.size == 0 and not np.any(drawn.smooth_weight_deg) and not np.any(drawn.delay_s)
    assert not np.any(drawn.ramp_slope_deg_per_deg)
    assert 0.3 < np.std(drawn.gain_db[1:]) < 0.7 and 20 < np.std(drawn.phase_deg[1:]) < 37
    assert 0.3e-3 < np.std(drawn.position_error_m) < 0.7e-3
    assert [(e.azimuth_deg, e.elevation_deg) for e in scenario.emitters] == [(70, 4), (20, 30), (-35, -10)]
    assert scenario.snapshots_per_segment > side * side


def test_write_records_the_scenario_and_the_impairments(tmp_path):
    small = dataclasses.replace(FULL_SCENARIO, snapshots_per_segment=1)
    simulated = simulate(small)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        meta_path = write(simulated, tmp_path / "sim")
    capture = read_capture(meta_path)
    assert np.array_equal(capture.read(0, capture.num_samples), simulated.samples)
    assert capture.sample_rate_hz == small.sample_rate_hz and capture.frequency_hz == small.frequency_hz
    assert np.allclose(capture.geometry.positions_m, simulated.geometry.positions_m)
    assert [s.global_index for s in capture.segments] == [s.global_index for s in simulated.segments]
    assert [(t.sample_start, t.azimuth_deg, t.label) for t in capture.truths] == [
        (t.sample_start, t.azimuth_deg, t.label) for t in simulated.truths
    ]
    assert Scenario.from_dict(capture.global_info["bearing:scenario"]) == small
    assert capture.global_info["bearing:impairments"] == simulated.impairments.to_dict()


def test_the_example_of_the_documentation_is_valid():
    text = (Path(__file__).parents[2] / "docs" / "simulator.md").read_text()
    example = Scenario.from_json(re.search(r"```json\n(.*?)```", text, re.DOTALL).group(1))
    assert example.ofdm.num_subcarriers == 16 and example.emitters[1].coherent_with == 0
    assert example.impairments.spec == ImpairmentSpec(phase_std_deg=5.0)
    per_subcarrier_db = example.emitters[0].snr_db + 10 * np.log10(4096 / 16)
    assert per_subcarrier_db == pytest.approx(14.1, abs=0.05)
