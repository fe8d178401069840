"""Array-signal simulator: a seeded :class:`Scenario` becomes a multi-channel capture with truth.

Signal model (MoD-DNN, Liu et al., ACM TOSN 2025, eqs. (6), (7), (34)): in snapshot ``t``
and subcarrier ``k`` the array receives

    y_k(t) = sum_e s_e(t, k) sum_p g_{e,p,k} h_k(theta_{e,p}) + n

with ``h_k`` the impaired array response of :func:`~gnuradio.bearing.array.impairments.array_response`,
the sum over the paths ``p`` of emitter ``e`` (direct path and the rays of its multipath clusters)
and ``g`` the complex path gains. Waveforms are unit-power complex Gaussian symbols,
independent between emitters unless an emitter copies another (a coherent source).

* Narrowband (``ofdm`` unset): ``K = 1``; a snapshot is one sample per element.
* Wideband (``ofdm`` set): a snapshot is one OFDM symbol of ``fft_size`` samples
  (no cyclic prefix) with ``K`` active bins spaced ``subcarrier_spacing_hz`` apart; the
  time samples are the orthonormal inverse DFT of the bins. By Parseval, the time-domain
  sample covariance of whole symbols equals the sum over all bins of the per-bin
  covariances: the subcarrier-summed covariance ``R = sum_k h(k) h(k)^H`` of MoD-DNN
  (below eq. (4)) plus the noise of the inactive bins. This is what the covariance block
  computes from the time samples.

SNR: the noise is complex white Gaussian with unit power per element and per sample (at
``sample_rate_hz``); ``snr_db`` of an emitter is the power per sample of its direct path at
an ideal (unit-gain) element. Per active subcarrier the SNR is ``10 log10(fft_size / K)``
dB higher.

Randomness: ``SeedSequence(seed)`` spawns independent streams for the impairments (unless
``impairments.seed`` is set or ``impairments.realisation`` pins them), the ray angles and each
segment; the same scenario gives bit-identical samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..array.geometry import ArrayGeometry
from ..array.hybrid import HybridArray
from ..array.impairments import Impairments, array_response
from ..array.signals import complex_normal
from .scenario import Cluster, Emitter, Scenario, seed_streams
from .schema import BEARING_EXTENSION, Segment, Truth
from .writer import write_capture


@dataclass(eq=False)
class SimulatedCapture:
    """The output of :func:`simulate`.

    Attributes:
        scenario: the scenario that made it.
        geometry: nominal element positions (the impairments are not in it).
        impairments: the drawn impairment realisation (the truth a calibration would find).
        samples: ``(N, C)`` complex64, ``N = num_segments * samples_per_segment``; ``C = M``
            antennas, or ``R`` RF chains of a hybrid array.
        segments: one SigMF capture segment per scenario segment.
        truths: one per active emitter per segment; ``azimuth_deg`` is the direct path's,
            ``extra`` holds ``bearing:emitter_index`` and ``bearing:snr_db``.
    """

    scenario: Scenario
    geometry: ArrayGeometry
    impairments: Impairments
    samples: NDArray[np.complex64]
    segments: list[Segment]
    truths: list[Truth]
    hybrid: HybridArray | None = None
    """The H2AD receiver whose RF-chain outputs ``samples`` holds, or None (one channel per antenna)."""


def simulate(scenario: Scenario) -> SimulatedCapture:
    """Simulate ``scenario``: bit-identical output for the same scenario.

    A hybrid array (``array.hybrid``) draws the antenna samples, noise included, exactly as the
    array without ``hybrid`` does, then keeps the RF-chain outputs ``W^H x`` of
    :meth:`HybridArray.rf_outputs`: with ``W^H W = I`` the noise stays unit-power per RF chain.
    """
    geometry = scenario.array.geometry()
    hybrid = scenario.array.hybrid_array(scenario.frequency_hz)
    segment_seed = seed_streams(scenario.seed)[2]
    impairments = scenario.impairment_realisation()
    ray_offsets_deg = scenario_ray_offsets_deg(scenario)
    length = scenario.samples_per_segment
    channels = geometry.num_elements if hybrid is None else hybrid.num_rf_chains
    samples = np.empty((scenario.num_segments * length, channels), dtype=np.complex64)
    segments, truths = [], []
    for index, seed in enumerate(segment_seed.spawn(scenario.num_segments)):
        rng = np.random.default_rng(seed)
        block = _segment_samples(scenario, geometry, impairments, ray_offsets_deg, index, rng)
        samples[index * length : (index + 1) * length] = block if hybrid is None else hybrid.rf_outputs(block)
        segment = Segment(
            sample_start=index * length,
            sample_count=length,
            global_index=index * (length + scenario.gap_samples),
        )
        segments.append(segment)
        truths.extend(segment_truths(scenario, segment, index))
    return SimulatedCapture(scenario, geometry, impairments, samples, segments, truths, hybrid)


def write(simulated: SimulatedCapture, path: str | Path) -> Path:
    """Write a simulated capture as SigMF; returns the ``.sigmf-meta`` path.

    The global metadata declares the ``bearing`` namespace and carries the scenario
    (``bearing:scenario``, the input of :meth:`Scenario.from_dict`) and the impairment
    realisation (``bearing:impairments``, the input of :meth:`Impairments.from_dict`), so
    the capture says how it was made. Each truth annotation also carries
    ``bearing:emitter_index`` and ``bearing:snr_db``. A hybrid array's structure and combiner
    are written by :func:`~gnuradio.bearing.captures.writer.write_capture` (``bearing:hybrid``,
    ``bearing:combiner``).
    """
    scenario = simulated.scenario
    return write_capture(
        path,
        simulated.samples,
        sample_rate_hz=scenario.sample_rate_hz,
        frequency_hz=scenario.frequency_hz,
        geometry=simulated.geometry,
        segments=simulated.segments,
        truths=simulated.truths,
        description=scenario.description,
        hybrid=simulated.hybrid,
        extra_global={
            "core:extensions": [BEARING_EXTENSION],
            "bearing:scenario": scenario.to_dict(),
            "bearing:impairments": simulated.impairments.to_dict(),
        },
    )


def _segment_samples(
    scenario: Scenario,
    geometry: ArrayGeometry,
    impairments: Impairments,
    ray_offsets_deg: list[list[NDArray[np.float64]]],
    index: int,
    rng: np.random.Generator,
) -> NDArray[np.complex128]:
    """Samples of segment ``index``, ``(samples_per_segment, M)``.

    Draw order (fixed, whatever is active): symbols of every emitter, ray phases of every
    cluster, noise.
    """
    offsets = scenario.subcarrier_offsets_hz()
    shape = (scenario.snapshots_per_segment, offsets.size)
    symbols = [complex_normal(rng, shape) for _ in scenario.emitters]
    ray_phases = draw_ray_phases(scenario, rng)
    spectrum = np.zeros((*shape, geometry.num_elements), dtype=np.complex128)
    channels = segment_channels(scenario, geometry, impairments, ray_offsets_deg, index, ray_phases)
    for number, channel in channels:
        spectrum += emitter_waveform(scenario, symbols, number)[:, :, None] * channel[None, :, :]
    grid = np.zeros((shape[0], scenario.fft_size, geometry.num_elements), dtype=np.complex128)
    grid[:, scenario.subcarrier_bins() % scenario.fft_size, :] = spectrum
    signal = np.fft.ifft(grid, axis=1, norm="ortho").reshape(-1, geometry.num_elements)
    noise = complex_normal(rng, signal.shape)
    return signal + noise if scenario.add_noise else signal


def segment_channels(
    scenario: Scenario,
    geometry: ArrayGeometry,
    impairments: Impairments,
    ray_offsets_deg: list[list[NDArray[np.float64]]],
    index: int,
    ray_phases: list[list[NDArray[np.float64]]],
) -> list[tuple[int, NDArray[np.complex128]]]:
    """``(emitter index, channel)`` of every emitter active in segment ``index``, in emitter order.

    The channel ``(K, M)`` is ``sqrt(P F / K) sum_p g_{e,p,k} h_k(theta_{e,p})`` of the signal
    model (module docstring; MoD-DNN eqs. (6), (7), (34) through ``impairments``): the direct
    path at the emitter's bearing in that segment plus its cluster rays. ``ray_offsets_deg`` comes
    from :func:`scenario_ray_offsets_deg`, ``ray_phases`` from :func:`draw_ray_phases`.
    """
    return [
        (
            number,
            _emitter_channel(
                scenario, geometry, impairments, emitter, index, ray_offsets_deg[number], ray_phases[number]
            ),
        )
        for number, emitter in enumerate(scenario.emitters)
        if emitter.is_active(index, scenario.num_segments)
    ]


def emitter_waveform(scenario: Scenario, symbols: Sequence[NDArray], number: int) -> NDArray:
    """The waveform emitter ``number`` transmits, given every emitter's own symbols ``symbols``
    (one array per emitter, any shape): its own, or for a coherent copy (``coherent_with``) the
    original's times ``exp(j coherent_phase_deg)``."""
    emitter = scenario.emitters[number]
    if emitter.coherent_with is None:
        return symbols[number]
    return symbols[emitter.coherent_with] * np.exp(1j * np.deg2rad(emitter.coherent_phase_deg))


def scenario_ray_offsets_deg(scenario: Scenario) -> list[list[NDArray[np.float64]]]:
    """Azimuth offsets of the rays of every emitter's clusters, degrees (``[emitter][cluster]``,
    ``(num_rays,)`` each): drawn once per scenario from its ray stream (:func:`seed_streams`)."""
    rng = np.random.default_rng(seed_streams(scenario.seed)[1])
    return [
        [c.angle_spread_deg * rng.standard_normal(c.num_rays) for c in e.clusters] for e in scenario.emitters
    ]


def draw_ray_phases(scenario: Scenario, rng: np.random.Generator) -> list[list[NDArray[np.float64]]]:
    """Phases of the rays of every emitter's clusters in one segment (block fading), in turns
    (uniform in [0, 1)): ``[emitter][cluster]``, ``(num_rays,)`` each."""
    return [[rng.random(c.num_rays) for c in e.clusters] for e in scenario.emitters]


def _emitter_channel(
    scenario: Scenario,
    geometry: ArrayGeometry,
    impairments: Impairments,
    emitter: Emitter,
    index: int,
    ray_offsets_deg: list[NDArray[np.float64]],
    ray_phases: list[NDArray[np.float64]],
) -> NDArray[np.complex128]:
    """Per-subcarrier channel of one emitter, ``(K, M)``: direct path plus cluster rays.

    The per-bin amplitude ``sqrt(P fft_size / K)`` makes the time-domain power per sample of
    the direct path ``P = 10^(snr_db / 10)`` at an ideal element.
    """
    offsets = scenario.subcarrier_offsets_hz()
    azimuths, elevations = path_directions(
        emitter.azimuth_at(index, scenario.num_segments),
        emitter.elevation_at(index, scenario.num_segments),
        emitter.clusters,
        ray_offsets_deg,
    )
    phases = [np.exp(2j * np.pi * p) for p in ray_phases]
    gains = path_gains(emitter.clusters, phases, scenario.frequency_hz, offsets)
    response = array_response(geometry, azimuths, scenario.frequency_hz, impairments, offsets, elevations)
    scale = np.sqrt(10.0 ** (emitter.snr_db / 10.0) * scenario.fft_size / offsets.size)
    return scale * np.einsum("kmp,pk->km", response, gains)


def path_directions(
    azimuth_deg: float,
    elevation_deg: float,
    clusters: tuple[Cluster, ...],
    ray_offsets_deg: list[NDArray[np.float64]],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Azimuths and elevations of the P paths, degrees: the direct path, then every cluster's rays."""
    azimuths, elevations = [np.array([azimuth_deg])], [np.array([elevation_deg])]
    for cluster, ray_offsets in zip(clusters, ray_offsets_deg, strict=True):
        azimuths.append(cluster.azimuth_deg + ray_offsets)
        elevations.append(np.full(cluster.num_rays, cluster.elevation_deg))
    return np.concatenate(azimuths), np.concatenate(elevations)


def path_gains(
    clusters: tuple[Cluster, ...],
    ray_phasors: list[NDArray[np.complex128]],
    frequency_hz: float,
    offsets_hz: NDArray[np.float64],
) -> NDArray[np.complex128]:
    """``(P, K)`` complex gains of the paths of :func:`path_directions` at K subcarriers.

    The direct path has gain 1; each ray of a cluster ``sqrt(power / num_rays)`` times its
    phasor and the phase ``exp(-j 2 pi f_k delay_s)`` of the cluster's excess delay.
    """
    gains = [np.ones((1, offsets_hz.size), dtype=np.complex128)]
    for cluster, phasors in zip(clusters, ray_phasors, strict=True):
        amplitude = np.sqrt(10.0 ** (cluster.power_db / 10.0) / cluster.num_rays)
        delay = np.exp(-2j * np.pi * (frequency_hz + offsets_hz) * cluster.delay_s)
        gains.append(amplitude * phasors[:, None] * delay[None, :])
    return np.concatenate(gains)


def segment_truths(scenario: Scenario, segment: Segment, index: int) -> list[Truth]:
    """One truth per emitter active in scenario segment ``index``, over the samples of ``segment``:
    the direct path's azimuth and elevation there, the label, and ``extra``
    ``bearing:emitter_index`` and ``bearing:snr_db``."""
    return [
        Truth(
            sample_start=segment.sample_start,
            sample_count=segment.sample_count,
            azimuth_deg=emitter.azimuth_at(index, scenario.num_segments),
            elevation_deg=emitter.elevation_at(index, scenario.num_segments),
            label=f"emitter{number}" if emitter.label is None else emitter.label,
            extra={"bearing:emitter_index": number, "bearing:snr_db": emitter.snr_db},
        )
        for number, emitter in enumerate(scenario.emitters)
        if emitter.is_active(index, scenario.num_segments)
    ]
