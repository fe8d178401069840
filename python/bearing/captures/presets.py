"""The named scenarios of ``bearing simulate --preset`` (:data:`PRESETS`): the demo array of the
MoD-DNN paper with its impairments, its calibration sweep, the two-emitter capture, and ideal
arrays of other geometries: a UCA (azimuth on the full circle) and two URAs in the y-z plane
(azimuth and elevation), the larger one the IDL-TLBO paper's 16 x 16 at 28 GHz; and that
paper's 16 x 16 and an 8 x 8 at 28 GHz with its gain, phase and position errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..array.geometry import wavelength_m
from ..array.impairments import IDL_TLBO_PERTURBATION
from .scenario import ArraySpec, Emitter, ImpairmentConfig, Scenario

DEMO_FREQUENCY_HZ = 4.85e9
"""Carrier of the bundled demo: the MoD-DNN testbed (4.85 GHz, half-wavelength spacing 3.09 cm)."""


def demo_ula4_scenario() -> Scenario:
    """The bundled demo capture: 4-element half-wavelength ULA at 4.85 GHz, rho = 1.

    One emitter at 10 dB SNR sweeps -60 .. 60 deg in 1 deg steps over 121 segments of
    1024 narrowband snapshots (1 MS/s, one segment every 10 ms): 121 x 1024 x 4 complex64
    samples, about 4 MB of data.
    """
    return Scenario(
        array=ArraySpec(kind="ula", num_elements=4, spacing_m=wavelength_m(DEMO_FREQUENCY_HZ) / 2.0),
        frequency_hz=DEMO_FREQUENCY_HZ,
        sample_rate_hz=1.0e6,
        emitters=(Emitter(azimuth_deg=-60.0, azimuth_end_deg=60.0, snr_db=10.0, label="ue"),),
        snapshots_per_segment=1024,
        num_segments=121,
        gap_samples=10_000 - 1024,
        impairments=ImpairmentConfig(rho=1.0),
        seed=485,
        description="gr-bearing demo: 4-element ULA at 4.85 GHz, one emitter sweeping -60..60 deg, rho = 1",
    )


def demo_ula4_impairments() -> ImpairmentConfig:
    """The array realisation of the bundled demo capture, pinned (the calibration presets' array)."""
    demo = demo_ula4_scenario()
    return ImpairmentConfig(rho=demo.impairments.rho, realisation=demo.impairment_realisation().to_dict())


CALIBRATION_SNR_DB = 20.0
"""SNR of the calibration sweeps ``calibration_ula4`` and ``srs_calibration_ula4``, dB."""


def calibration_ula4_scenario() -> Scenario:
    """A calibration sweep of the demo's array: its emitter and impaired array realisation.

    The emitter sweeps -60 .. 60 deg in 0.1 deg steps over 1201 segments of 128 snapshots at
    20 dB (one segment every 10 ms); another master seed than the demo's, so that no waveform
    or noise is shared with it. 1201 x 128 x 4 complex64 samples, about 4.9 MB of data: the
    training set of the bundled MoD-DNN model (docs/mod-dnn.md). A calibration runs at a
    higher SNR than the demo's 10 dB, as a turntable campaign would: the calibration's noise
    sets the floor of what MoD-DNN learns (docs/mod-dnn.md, "Calibration SNR").
    """
    demo = demo_ula4_scenario()
    return replace(
        demo,
        emitters=tuple(replace(emitter, snr_db=CALIBRATION_SNR_DB) for emitter in demo.emitters),
        snapshots_per_segment=128,
        num_segments=1201,
        gap_samples=10_000 - 128,
        impairments=demo_ula4_impairments(),
        seed=486,
        description="gr-bearing calibration sweep of the demo array: -60..60 deg in 0.1 deg steps, rho = 1",
    )


TWO_EMITTERS_FREQUENCY_HZ = 2.4e9
"""Carrier of the bundled two-emitter capture."""


def two_emitters_ula8_scenario() -> Scenario:
    """The bundled two-emitter capture: an ideal 8-element half-wavelength ULA at 2.4 GHz.

    Emitter ``a`` at -30 deg and 10 dB SNR transmits throughout; emitter ``b`` at 5 dB
    switches on in segment 10, moves from 10 to 40 deg and switches off after segment 44.
    60 segments of 512 narrowband snapshots (1 MS/s, one segment every 10 ms): about 2 MB.
    For source counting and tracking (docs/source-counting.md, examples/two_emitters.grc).
    """
    return Scenario(
        array=ArraySpec(kind="ula", num_elements=8, spacing_m=wavelength_m(TWO_EMITTERS_FREQUENCY_HZ) / 2.0),
        frequency_hz=TWO_EMITTERS_FREQUENCY_HZ,
        sample_rate_hz=1.0e6,
        emitters=(
            Emitter(azimuth_deg=-30.0, snr_db=10.0, label="a"),
            Emitter(
                azimuth_deg=10.0,
                azimuth_end_deg=40.0,
                snr_db=5.0,
                first_segment=10,
                last_segment=44,
                label="b",
            ),
        ),
        snapshots_per_segment=512,
        num_segments=60,
        gap_samples=10_000 - 512,
        seed=2026,
        description="gr-bearing two emitters: 8-element ULA at 2.4 GHz, a at -30 deg, b moving 10..40 deg "
        "in segments 10..44",
    )


def uca8_scenario() -> Scenario:
    """An ideal 8-element UCA of radius one wavelength at 2.4 GHz (element 0 on boresight, clockwise):
    one emitter at 10 dB steps round the full circle, -180 .. 165 deg in 15 deg steps, 24 segments
    of 512 snapshots (1 MS/s, one segment every 10 ms), about 0.8 MB."""
    return Scenario(
        array=ArraySpec(kind="uca", num_elements=8, radius_m=wavelength_m(TWO_EMITTERS_FREQUENCY_HZ)),
        frequency_hz=TWO_EMITTERS_FREQUENCY_HZ,
        sample_rate_hz=1.0e6,
        emitters=(Emitter(azimuth_deg=-180.0, azimuth_end_deg=165.0, snr_db=10.0, label="e"),),
        snapshots_per_segment=512,
        num_segments=24,
        gap_samples=10_000 - 512,
        seed=8,
        description="gr-bearing UCA: 8 elements, radius lambda at 2.4 GHz, one emitter round the full circle",
    )


def ura4x4_scenario() -> Scenario:
    """An ideal 4 x 4 half-wavelength URA in the y-z plane at 4.85 GHz (azimuth and elevation):
    one emitter at 10 dB sweeps azimuth -60 .. 60 deg while its elevation falls from 40 to -20 deg,
    13 segments of 256 snapshots (1 MS/s, one segment every 10 ms), about 0.4 MB."""
    return Scenario(
        array=_ura(4, DEMO_FREQUENCY_HZ),
        frequency_hz=DEMO_FREQUENCY_HZ,
        sample_rate_hz=1.0e6,
        emitters=(
            Emitter(
                azimuth_deg=-60.0,
                azimuth_end_deg=60.0,
                elevation_deg=40.0,
                elevation_end_deg=-20.0,
                snr_db=10.0,
                label="e",
            ),
        ),
        snapshots_per_segment=256,
        num_segments=13,
        gap_samples=10_000 - 256,
        seed=44,
        description="gr-bearing URA: 4 x 4 in the y-z plane at 4.85 GHz, one emitter sweeping azimuth "
        "-60..60 deg and elevation 40..-20 deg",
    )


URA16_FREQUENCY_HZ = 28.0e9
"""Carrier of the 16 x 16 URA preset: the IDL-TLBO paper's millimetre-wave array."""


def ura16x16_scenario() -> Scenario:
    """An ideal 16 x 16 half-wavelength URA in the y-z plane at 28 GHz (the IDL-TLBO paper's array):
    an emitter at azimuth 70, elevation 4 deg (the paper's Table 4) and one at (20, 30) deg, each
    alone in turn, 10 dB, 4 segments of 256 snapshots; 256 channels, about 2.1 MB."""
    return Scenario(
        array=_ura(16, URA16_FREQUENCY_HZ),
        frequency_hz=URA16_FREQUENCY_HZ,
        sample_rate_hz=1.0e6,
        emitters=(
            Emitter(azimuth_deg=70.0, elevation_deg=4.0, snr_db=10.0, last_segment=1, label="a"),
            Emitter(azimuth_deg=20.0, elevation_deg=30.0, snr_db=10.0, first_segment=2, label="b"),
        ),
        snapshots_per_segment=256,
        num_segments=4,
        gap_samples=10_000 - 256,
        seed=1616,
        description="gr-bearing URA: 16 x 16 in the y-z plane at 28 GHz, emitters at (70, 4), (20, 30) deg",
    )


def ura_perturbed_scenario(side: int) -> Scenario:
    """A ``side`` x ``side`` half-wavelength URA in the y-z plane at 28 GHz with the IDL-TLBO
    paper's perturbations (:data:`~gnuradio.bearing.array.impairments.IDL_TLBO_PERTURBATION`:
    gain, phase and position errors, pinned by their own seed): one emitter at the paper's Table 4
    bearing (azimuth 70, elevation 4 deg) at 10 dB, then two at (20, 30) and (-35, -10) deg,
    4 segments of 512 snapshots each, more than the 256 channels of ``side`` 16 (which counting
    the sources needs; about 4.2 MB)."""
    return Scenario(
        array=_ura(side, URA16_FREQUENCY_HZ),
        frequency_hz=URA16_FREQUENCY_HZ,
        sample_rate_hz=1.0e6,
        emitters=(
            Emitter(azimuth_deg=70.0, elevation_deg=4.0, snr_db=10.0, last_segment=1, label="a"),
            Emitter(azimuth_deg=20.0, elevation_deg=30.0, snr_db=10.0, first_segment=2, label="b"),
            Emitter(azimuth_deg=-35.0, elevation_deg=-10.0, snr_db=10.0, first_segment=2, label="c"),
        ),
        snapshots_per_segment=512,
        num_segments=4,
        gap_samples=10_000 - 512,
        impairments=ImpairmentConfig(rho=1.0, seed=2025, spec=IDL_TLBO_PERTURBATION),
        seed=2800 + side,
        description=f"gr-bearing URA: {side} x {side} in the y-z plane at 28 GHz with the IDL-TLBO "
        "paper's gain, phase and position errors",
    )


def _ura(side: int, frequency_hz: float) -> ArraySpec:
    """A square half-wavelength URA of ``side`` x ``side`` elements at ``frequency_hz``."""
    half_wavelength_m = wavelength_m(frequency_hz) / 2.0
    return ArraySpec(
        kind="ura",
        num_rows=side,
        num_columns=side,
        spacing_y_m=half_wavelength_m,
        spacing_z_m=half_wavelength_m,
    )


PRESETS: dict[str, Callable[[], Scenario]] = {
    "demo_ula4": demo_ula4_scenario,
    "calibration_ula4": calibration_ula4_scenario,
    "two_emitters_ula8": two_emitters_ula8_scenario,
    "uca8": uca8_scenario,
    "ura4x4": ura4x4_scenario,
    "ura16x16": ura16x16_scenario,
    "ura16x16_perturbed": lambda: ura_perturbed_scenario(16),
    "ura8x8_perturbed": lambda: ura_perturbed_scenario(8),
}
"""Named scenarios, for the command line."""
