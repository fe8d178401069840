"""5G NR uplink SRS captures: UEs at known angles, through the array, OFDM-modulated to IQ.

Each UE sends its sounding reference signal (:mod:`~gnuradio.bearing.nr.srs`, 3GPP TS 38.211 6.4.1.4) on its
occasions. Its channel to the M elements is the simulator's (MoD-DNN eqs. (6), (7), (34),
:func:`~gnuradio.bearing.array.impairments.array_response`): the impaired array response at every SRS
subcarrier,
per multipath cluster with its excess delay. On top of that the UE's signal arrives
``range_m / c + timing_offset_s`` late (a linear phase across the subcarriers, exact while the
delay stays inside the cyclic prefix) and offset in frequency by ``cfo_hz`` (applied in the
time domain from sample 0 of the recording, so it also leaks between subcarriers). A moving
UE (``azimuth_end_deg``) steps its azimuth linearly from occasion to occasion. The
OFDM symbols (:mod:`~gnuradio.bearing.nr.carrier`: orthonormal inverse DFT of ``n_fft`` bins, cyclic prefix
prepended) are summed over UEs and ports, and unit-power complex white noise is added.

SNR: as in :mod:`~gnuradio.bearing.captures.simulation`, ``snr_db`` is the power per time sample of the
UE's direct path at an ideal element during its SRS symbols, over the unit noise power per sample. Per SRS
resource element the SNR is ``10 log10(n_fft / M_sc)`` dB higher (M_sc: the UE's SRS
subcarriers; 4.0 dB for comb-2 over 272 RB with n_fft 4096).

Storage: only the SRS windows (``continuous = False``, default) or every sample from frame
``start_frame``, slot 0, symbol 0 (``continuous = True``). A window is the symbols
``first .. last`` of the slot, where ``first`` and ``last`` bound the SRS symbols of every UE,
so every window has the same length; it is one SigMF capture segment, stamped with
``nr:frame``, ``nr:slot``, ``nr:symbol`` (:mod:`~gnuradio.bearing.nr.metadata`) and ``core:global_index`` (its
sample on the receiver's clock from the start of ``start_frame``).

Ports: a UE with ``n_ports`` ports sends each port from its own antenna, co-located with the
others: the same array response, a random phase per port, the power split between ports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from ..array.geometry import ArrayGeometry, wavelength_m
from ..array.impairments import Impairments, array_response
from ..array.signals import complex_normal
from ..captures.presets import CALIBRATION_SNR_DB, demo_ula4_impairments, demo_ula4_scenario
from ..captures.scenario import ArraySpec, Cluster, ImpairmentConfig, seed_streams, swept_azimuth_deg
from ..captures.scenario_json import (
    as_list,
    fields_of,
    instances,
    nested,
    plain,
    plain_from_dict,
    set_numbers,
)
from ..captures.schema import BEARING_EXTENSION, Segment, Truth
from ..captures.simulation import path_directions, path_gains
from ..captures.writer import write_capture
from ..validation import check_integer
from . import metadata as nr_metadata
from . import srs as nr_srs
from .carrier import Carrier
from .schedule import window_symbols
from .srs import SrsConfig

SPEED_OF_LIGHT_M_S = 299_792_458.0


@dataclass(frozen=True)
class SrsUe:
    """A UE sounding the array.

    Attributes:
        srs: its SRS configuration (``srs.ue`` names it in the metadata and annotations).
        azimuth_deg, elevation_deg: direction of the direct path, degrees (the azimuth at the
            UE's first occasion in the recording).
        snr_db: power per sample of the direct path at an ideal element during its SRS
            symbols, over the unit noise power, dB.
        range_m: distance to the array, metres; delays the signal by ``range_m / c``.
        cfo_hz: carrier frequency offset of the UE against the receiver, hertz.
        clusters: multipath clusters (:class:`~gnuradio.bearing.captures.simulation.Cluster`) beside the
            direct path.
        label: annotation label (default ``"ue<srs.ue>"``).
        azimuth_end_deg: azimuth at the UE's last occasion in the recording for a moving UE;
            the azimuth steps linearly from occasion to occasion (a calibration sweep).
        azimuth_track_deg: the azimuth at each of the UE's occasions in the recording, one
            value per occasion (a UE moving along a path, seen from the array: the
            multi-station scenes of docs/positioning.md); replaces ``azimuth_deg`` and
            ``azimuth_end_deg`` (``azimuth_deg`` is then its first value).
    """

    srs: SrsConfig
    azimuth_deg: float
    snr_db: float = 20.0
    elevation_deg: float = 0.0
    range_m: float = 10.0
    cfo_hz: float = 0.0
    clusters: tuple[Cluster, ...] = ()
    label: str | None = None
    azimuth_end_deg: float | None = None
    azimuth_track_deg: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.azimuth_track_deg is not None:
            track = tuple(float(v) for v in self.azimuth_track_deg)
            if not track or any(not -180.0 <= v <= 180.0 for v in track):
                raise ValueError("azimuth_track_deg: must be a non-empty list of degrees in [-180, 180]")
            if self.azimuth_end_deg is not None:
                raise ValueError("azimuth_track_deg: give it or azimuth_end_deg, not both")
            object.__setattr__(self, "azimuth_track_deg", track)
        if not isinstance(self.srs, SrsConfig):
            raise ValueError(f"srs: must be an SrsConfig, got {self.srs!r} (from_dict converts dictionaries)")
        set_numbers(
            self,
            azimuth_deg=(-180.0, 180.0),
            snr_db=(-np.inf, np.inf),
            elevation_deg=(-90.0, 90.0),
            range_m=(0.0, np.inf),
            cfo_hz=(-np.inf, np.inf),
        )
        if self.azimuth_end_deg is not None:
            set_numbers(self, azimuth_end_deg=(-180.0, 180.0))
        object.__setattr__(self, "clusters", instances(self.clusters, "clusters", Cluster))
        if self.label is not None and not isinstance(self.label, str):
            raise ValueError(f"label: must be a string, got {self.label!r}")

    @classmethod
    def from_dict(cls, data: Mapping) -> SrsUe:
        values = fields_of(cls, data)
        values["srs"] = nested("srs", SrsConfig.from_dict, values["srs"])
        clusters = as_list(values.get("clusters", ()), "clusters")
        values["clusters"] = tuple(
            nested(f"clusters[{i}]", plain_from_dict(Cluster), c) for i, c in enumerate(clusters)
        )
        return cls(**values)

    @property
    def name(self) -> str:
        return f"ue{self.srs.ue}" if self.label is None else self.label


@dataclass(frozen=True)
class SrsScenario:
    """Everything that determines a simulated SRS capture; JSON via :meth:`to_dict` / :meth:`from_dict`.

    Attributes:
        array: array geometry.
        frequency_hz: carrier frequency, hertz.
        carrier: NR numerology, bandwidth and FFT size (the sample rate follows from it).
        ues: the UEs, each with its own SRS configuration, direction and range.
        num_slots: length of the recording in slots, from slot 0 of ``start_frame``.
        start_frame: system frame number of the first slot.
        timing_offset_s: the receiver's timing error: every UE arrives this much later than
            its nominal symbol boundaries, seconds (keep it, plus the delays, inside the CP).
        continuous: store every sample (True) or only the SRS windows (False).
        impairments: impairment degree, seed and magnitudes.
        add_noise: add the unit-power receiver noise (turn off for noiseless tests only).
        seed: master seed (non-negative integer).
        description: free text for the capture's ``core:description``.
    """

    array: ArraySpec
    frequency_hz: float
    carrier: Carrier = field(default_factory=Carrier)
    ues: tuple[SrsUe, ...] = ()
    num_slots: int = 20
    start_frame: int = 0
    timing_offset_s: float = 0.0
    continuous: bool = False
    impairments: ImpairmentConfig = field(default_factory=ImpairmentConfig)
    add_noise: bool = True
    seed: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.array, ArraySpec):
            raise ValueError(f"array: must be an ArraySpec, got {self.array!r}")
        if not isinstance(self.carrier, Carrier):
            raise ValueError(f"carrier: must be a Carrier, got {self.carrier!r}")
        set_numbers(self, frequency_hz=(0.0, np.inf), timing_offset_s=(-np.inf, np.inf))
        if self.frequency_hz <= 0:
            raise ValueError(f"frequency_hz: must be positive, got {self.frequency_hz!r}")
        object.__setattr__(self, "ues", instances(self.ues, "ues", SrsUe))
        for name, low in (("num_slots", 1), ("start_frame", 0), ("seed", 0)):
            object.__setattr__(self, name, check_integer(getattr(self, name), name, low))
        for name in ("continuous", "add_noise"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}: must be true or false, got {getattr(self, name)!r}")
        if not isinstance(self.impairments, ImpairmentConfig):
            raise ValueError(f"impairments: must be an ImpairmentConfig, got {self.impairments!r}")
        self.impairments.check_num_elements(self.array.geometry().num_elements)
        if not isinstance(self.description, str):
            raise ValueError(f"description: must be a string, got {self.description!r}")
        self._check_ues()

    def to_dict(self) -> dict:
        """JSON-compatible dictionary; unset optional fields are left out."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> SrsScenario:
        """Build and validate a scenario; a bad field raises ValueError naming its path."""
        if not isinstance(data, Mapping):
            raise ValueError(f"scenario: must be a JSON object, got {data!r}")
        values = fields_of(cls, data)
        values["array"] = nested("array", plain_from_dict(ArraySpec), values["array"])
        if "carrier" in values:
            values["carrier"] = nested("carrier", Carrier.from_dict, values["carrier"])
        ues = as_list(values.get("ues", ()), "ues")
        values["ues"] = tuple(nested(f"ues[{i}]", SrsUe.from_dict, u) for i, u in enumerate(ues))
        if "impairments" in values:
            values["impairments"] = nested("impairments", ImpairmentConfig.from_dict, values["impairments"])
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> SrsScenario:
        return cls.from_dict(json.loads(text))

    def _check_ues(self) -> None:
        names = [ue.srs.ue for ue in self.ues]
        if len(set(names)) != len(names):
            raise ValueError(f"ues: every UE needs its own srs.ue number, got {names}")
        for index, ue in enumerate(self.ues):
            try:
                nr_srs.check_fits(ue.srs, self.carrier)
            except ValueError as error:
                raise ValueError(f"ues[{index}].srs.{error}") from None

    @property
    def window_symbols(self) -> range:
        """The symbols of a stored window: from the first to the last SRS symbol of any UE."""
        return window_symbols([ue.srs for ue in self.ues])

    def slot_time(self, slot_index: int) -> tuple[int, int]:
        """``(frame, slot)`` of slot ``slot_index`` of the recording."""
        return self.carrier.frame_and_slot(self.start_frame * self.carrier.slots_per_frame + slot_index)

    def num_occasions(self, ue: SrsUe) -> int:
        """The occasions of ``ue`` in the recording."""
        mu = self.carrier.mu
        return sum(nr_srs.is_occasion(ue.srs, mu, *self.slot_time(i)) for i in range(self.num_slots))


@dataclass(frozen=True)
class SrsOccasion:
    """The truth of one SRS occasion of one UE, as simulated.

    Attributes:
        ue: the UE's ``srs.ue``.
        frame, slot: where the occasion lies.
        sample_start: first sample of its first SRS symbol (cyclic prefix included) in the
            recording.
        delay_s: ``range_m / c + timing_offset_s``: the delay the channel below leaves out.
        channel: ``(n_ports, M_sc, M)`` complex channel at the UE's SRS subcarriers of its first
            symbol (direct path and clusters, impairments, carrier phase of the delay), without
            the linear phase of the delay across the band and without the CFO.
        subcarriers: ``(n_ports, M_sc)`` carrier subcarriers of ``channel``.
    """

    ue: int
    frame: int
    slot: int
    sample_start: int
    delay_s: float
    channel: NDArray[np.complex128]
    subcarriers: NDArray[np.int64]


@dataclass(eq=False)
class SimulatedSrs:
    """The output of :func:`simulate`: samples ``(N, M)`` complex64 with segments and truths."""

    scenario: SrsScenario
    geometry: ArrayGeometry
    impairments: Impairments
    samples: NDArray[np.complex64]
    segments: list[Segment]
    truths: list[Truth]
    occasions: list[SrsOccasion]


def simulate(scenario: SrsScenario) -> SimulatedSrs:
    """Simulate ``scenario``: bit-identical output for the same scenario."""
    geometry = scenario.array.geometry()
    impairment_seed, port_seed, slot_seed = seed_streams(scenario.seed)
    impairments = scenario.impairments.draw(geometry.num_elements, impairment_seed)
    builder = _Recording(scenario, geometry, impairments, np.random.default_rng(port_seed))
    for slot_index, seed in enumerate(slot_seed.spawn(scenario.num_slots)):
        builder.add_slot(slot_index, np.random.default_rng(seed))
    return builder.result()


def write(simulated: SimulatedSrs, path) -> str:
    """Write a simulated SRS capture as SigMF; returns the ``.sigmf-meta`` path.

    Global metadata: ``nr:carrier`` and ``nr:srs`` (:mod:`~gnuradio.bearing.nr.metadata`), the scenario
    (``bearing:srs_scenario``) and the impairment realisation (``bearing:impairments``).
    """
    scenario = simulated.scenario
    nr_fields = nr_metadata.global_fields(scenario.carrier, [ue.srs for ue in scenario.ues])
    extensions = [BEARING_EXTENSION, *nr_fields.pop("core:extensions")]
    return write_capture(
        path,
        simulated.samples,
        sample_rate_hz=scenario.carrier.sample_rate_hz,
        frequency_hz=scenario.frequency_hz,
        geometry=simulated.geometry,
        segments=simulated.segments,
        truths=simulated.truths,
        description=scenario.description,
        extra_global={
            "core:extensions": extensions,
            **nr_fields,
            "bearing:srs_scenario": scenario.to_dict(),
            "bearing:impairments": simulated.impairments.to_dict(),
        },
    )


class _Recording:
    """Builds the recording slot by slot (see the module docstring for the storage layout)."""

    def __init__(
        self,
        scenario: SrsScenario,
        geometry: ArrayGeometry,
        impairments: Impairments,
        rng: np.random.Generator,
    ) -> None:
        self.scenario, self.geometry, self.impairments = scenario, geometry, impairments
        self.carrier = scenario.carrier
        self.port_phases = [np.exp(2j * np.pi * rng.random(ue.srs.n_ports)) for ue in scenario.ues]
        self.ray_offsets_deg = [
            [c.angle_spread_deg * rng.standard_normal(c.num_rays) for c in ue.clusters] for ue in scenario.ues
        ]
        self.occasion_counts = [scenario.num_occasions(ue) for ue in scenario.ues]
        for i, (ue, count) in enumerate(zip(scenario.ues, self.occasion_counts, strict=True)):
            if ue.azimuth_track_deg is not None and len(ue.azimuth_track_deg) != count:
                raise ValueError(
                    f"ues[{i}].azimuth_track_deg: {len(ue.azimuth_track_deg)} values "
                    f"for the UE's {count} occasions"
                )
        self.occasions_done = [0] * len(scenario.ues)
        self.responses: dict[int, tuple[float, NDArray[np.complex128]]] = {}  # UE -> (azimuth, response)
        self.chunks: list[NDArray[np.complex64]] = []
        self.segments: list[Segment] = []
        self.truths: list[Truth] = []
        self.occasions: list[SrsOccasion] = []
        self.stored = 0  # samples written so far

    def add_slot(self, slot_index: int, rng: np.random.Generator) -> None:
        carrier, scenario = self.carrier, self.scenario
        frame, slot = scenario.slot_time(slot_index)
        active = [
            i for i, ue in enumerate(scenario.ues) if nr_srs.is_occasion(ue.srs, carrier.mu, frame, slot)
        ]
        if scenario.continuous:
            symbols = range(14)
        elif active:
            symbols = scenario.window_symbols
        else:
            return
        first_sample = slot_index * carrier.slot_samples + carrier.symbol_start(symbols[0])
        length = carrier.span_samples(symbols)
        signal = np.zeros((length, self.geometry.num_elements), dtype=np.complex128)
        for index in active:
            self._add_ue(signal, index, frame, slot, symbols, first_sample, rng)
        noise = complex_normal(rng, signal.shape)
        if scenario.add_noise:
            signal += noise
        if not scenario.continuous or slot_index == 0:
            time = nr_metadata.SymbolTime(frame, slot, symbols[0])
            self.segments.append(Segment(self.stored, length, first_sample, extra=time.segment_fields()))
        self.chunks.append(signal.astype(np.complex64))
        self.stored += length

    def _add_ue(
        self,
        signal: NDArray[np.complex128],
        index: int,
        frame: int,
        slot: int,
        window: range,
        first_sample: int,
        rng: np.random.Generator,
    ) -> None:
        """Adds the UE's SRS symbols of this slot to ``signal`` (the window ``window``)."""
        carrier, ue = self.carrier, self.scenario.ues[index]
        delay_s = ue.range_m / SPEED_OF_LIGHT_M_S + self.scenario.timing_offset_s
        if ue.azimuth_track_deg is not None:
            azimuth_deg = ue.azimuth_track_deg[self.occasions_done[index]]
        else:
            azimuth_deg = swept_azimuth_deg(
                ue.azimuth_deg, ue.azimuth_end_deg, self.occasions_done[index], self.occasion_counts[index]
            )
        self.occasions_done[index] += 1
        channel = self._channel(ue, index, azimuth_deg, rng)
        first_channels, first_subcarriers = [], []
        for symbol in nr_srs.symbols(ue.srs):
            offset = carrier.span_samples(range(window.start, symbol))
            bins = np.zeros((carrier.n_fft, self.geometry.num_elements), dtype=np.complex128)
            for port in range(ue.srs.n_ports):
                subcarriers, values = nr_srs.srs_resource(ue.srs, carrier, frame, slot, symbol, port)
                port_channel = channel[subcarriers] * self.port_phases[index][port]
                if symbol == ue.srs.l0:
                    first_channels.append(port_channel)
                    first_subcarriers.append(subcarriers)
                ramp = np.exp(-2j * np.pi * carrier.subcarrier_offsets_hz(subcarriers) * delay_s)
                bins[carrier.fft_bins(subcarriers)] += (values * ramp)[:, None] * port_channel
            samples = _ofdm_symbol(bins, carrier.cp_samples(symbol))
            times = (first_sample + offset + np.arange(samples.shape[0])) / carrier.sample_rate_hz
            signal[offset : offset + samples.shape[0]] += (
                samples * np.exp(2j * np.pi * ue.cfo_hz * times)[:, None]
            )
        start = self.stored + carrier.span_samples(range(window.start, ue.srs.l0))
        self.occasions.append(
            SrsOccasion(
                ue.srs.ue, frame, slot, start, delay_s, np.stack(first_channels), np.stack(first_subcarriers)
            )
        )
        count = carrier.span_samples(nr_srs.symbols(ue.srs))
        self.truths.append(
            Truth(
                sample_start=start,
                sample_count=count,
                azimuth_deg=azimuth_deg,
                elevation_deg=ue.elevation_deg,
                label=ue.name,
                extra={nr_metadata.UE_KEY: ue.srs.ue, "bearing:snr_db": ue.snr_db},
            )
        )

    def _channel(
        self, ue: SrsUe, index: int, azimuth_deg: float, rng: np.random.Generator
    ) -> NDArray[np.complex128]:
        """``(12 n_rb, M)`` channel of one port at every carrier subcarrier, at power ``snr_db``,
        with the direct path at ``azimuth_deg``.

        Direct path plus cluster rays with fresh ray phases (block fading per occasion). The
        per-subcarrier amplitude ``sqrt(P n_fft / (M_sc n_ports))`` makes the power per time
        sample of the direct path ``P = 10^(snr_db / 10)`` at an ideal element.
        """
        carrier, scenario = self.carrier, self.scenario
        offsets = carrier.subcarrier_offsets_hz(np.arange(carrier.num_subcarriers))
        phasors = [np.exp(2j * np.pi * rng.random(cluster.num_rays)) for cluster in ue.clusters]
        gains = path_gains(ue.clusters, phasors, scenario.frequency_hz, offsets)
        carrier_phase = np.exp(-2j * np.pi * scenario.frequency_hz * ue.range_m / SPEED_OF_LIGHT_M_S)
        num_subcarriers = nr_srs.sequence_length(ue.srs)
        scale = np.sqrt(10.0 ** (ue.snr_db / 10.0) * carrier.n_fft / (num_subcarriers * ue.srs.n_ports))
        response = self._response(ue, index, azimuth_deg)
        return scale * carrier_phase * np.einsum("kmp,pk->km", response, gains)

    def _response(self, ue: SrsUe, index: int, azimuth_deg: float) -> NDArray[np.complex128]:
        """``(12 n_rb, M, P)`` impaired array response of the UE's paths with the direct path at
        ``azimuth_deg``; computed again only when the UE's azimuth changes."""
        cached = self.responses.get(index)
        if cached is None or cached[0] != azimuth_deg:
            azimuths, elevations = path_directions(
                azimuth_deg, ue.elevation_deg, ue.clusters, self.ray_offsets_deg[index]
            )
            response = array_response(
                self.geometry,
                azimuths,
                self.scenario.frequency_hz,
                self.impairments,
                self.carrier.subcarrier_offsets_hz(np.arange(self.carrier.num_subcarriers)),
                elevations,
            )
            self.responses[index] = cached = (azimuth_deg, response)
        return cached[1]

    def result(self) -> SimulatedSrs:
        if not self.chunks:
            raise ValueError("num_slots: no SRS occasion of any UE falls inside the recording")
        samples = np.concatenate(self.chunks)
        if self.scenario.continuous:
            self.segments = [Segment(0, samples.shape[0], 0, extra=self.segments[0].extra)]
        return SimulatedSrs(
            self.scenario,
            self.geometry,
            self.impairments,
            samples,
            self.segments,
            self.truths,
            self.occasions,
        )


def _ofdm_symbol(bins: NDArray[np.complex128], cp_samples: int) -> NDArray[np.complex128]:
    """One OFDM symbol per column: orthonormal inverse DFT of ``(n_fft, M)`` bins, CP prepended."""
    body = np.fft.ifft(bins, axis=0, norm="ortho")
    return np.concatenate([body[-cp_samples:], body])


def demo_srs_scenario() -> SrsScenario:
    """The MoD-DNN testbed as an SRS capture: 4-element ULA at 4.85 GHz, 100 MHz at 30 kHz.

    Two UEs, at -20 and 35 deg and 20 dB SNR, each sounding comb-2 over 272 RB (C_SRS = 63),
    on comb offsets 0 and 1, in the last symbol of every tenth slot; ideal array; 80 slots
    (40 ms, 8 occasions per UE), only the SRS windows stored (1.1 MB).
    """
    frequency_hz = 4.85e9
    return SrsScenario(
        array=ArraySpec(kind="ula", num_elements=4, spacing_m=wavelength_m(frequency_hz) / 2.0),
        frequency_hz=frequency_hz,
        carrier=Carrier(mu=1, n_rb=273, n_fft=4096),
        ues=(
            SrsUe(srs=SrsConfig(ue=0, c_srs=63, k_tc=2, comb_offset=0, t_srs=10), azimuth_deg=-20.0),
            SrsUe(srs=SrsConfig(ue=1, c_srs=63, k_tc=2, comb_offset=1, t_srs=10), azimuth_deg=35.0),
        ),
        num_slots=80,
        seed=1,
        description="gr-bearing SRS demo: 4-element ULA at 4.85 GHz, 100 MHz NR carrier at 30 kHz, two UEs",
    )


def srs_calibration_ula4_scenario() -> SrsScenario:
    """A calibration sweep of the demo capture's array (``demo_ula4``: its impaired realisation at
    4.85 GHz) as an SRS capture, on the carrier and SRS of ``srs_ula4``.

    One UE at 20 dB sweeps -60 .. 60 deg in 1 deg steps, one step per occasion: 121 occasions,
    one every tenth slot (1210 slots, 605 ms); only the SRS windows stored (17 MB).
    """
    demo = demo_ula4_scenario()
    return replace(
        demo_srs_scenario(),
        array=demo.array,
        frequency_hz=demo.frequency_hz,
        ues=(
            SrsUe(
                srs=SrsConfig(ue=0, c_srs=63, k_tc=2, t_srs=10),
                azimuth_deg=-60.0,
                azimuth_end_deg=60.0,
                snr_db=CALIBRATION_SNR_DB,
                label="ue",
            ),
        ),
        num_slots=1210,
        impairments=demo_ula4_impairments(),
        seed=487,
        description="gr-bearing SRS calibration sweep of the demo array: -60..60 deg in 1 deg steps, rho = 1",
    )


SRS_PRESETS: dict[str, Callable[[], SrsScenario]] = {
    "srs_ula4": demo_srs_scenario,
    "srs_calibration_ula4": srs_calibration_ula4_scenario,
}
"""Named SRS scenarios, for the command line."""
