"""Array-signal simulator: a seeded :class:`Scenario` becomes a multi-channel capture with truth.

Signal model (MoD-DNN, Liu et al., ACM TOSN 2025, eqs. (6), (7), (34)): in snapshot ``t``
and subcarrier ``k`` the array receives

    y_k(t) = sum_e s_e(t, k) sum_p g_{e,p,k} h_k(theta_{e,p}) + n

with ``h_k`` the impaired array response of :func:`impairments.array_response`, the sum
over the paths ``p`` of emitter ``e`` (direct path and the rays of its multipath clusters)
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

import json
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from . import array_model
from .array_model import ArrayGeometry
from .capture import BEARING_EXTENSION, Segment, Truth, write_capture
from .hybrid_array import HybridArray, HybridLayout
from .impairments import (
    Impairments,
    ImpairmentSpec,
    array_response,
    check_integer,
    check_number,
    draw_impairments,
)

_ARRAY_FIELDS: dict[str, tuple[str, ...]] = {
    "ula": ("num_elements", "spacing_m"),
    "uca": ("num_elements", "radius_m"),
    "ura": ("num_rows", "num_columns", "spacing_y_m", "spacing_z_m"),
    "custom": ("positions_m",),
}


@dataclass(frozen=True)
class ArraySpec:
    """Array geometry, built by the :mod:`array_model` helpers.

    ``kind`` selects the fields that must be set (the others must stay unset):
    ``"ula"``: ``num_elements``, ``spacing_m`` (:func:`array_model.ula`);
    ``"uca"``: ``num_elements``, ``radius_m`` (:func:`array_model.uca`);
    ``"ura"``: ``num_rows``, ``num_columns``, ``spacing_y_m``, ``spacing_z_m`` (:func:`array_model.ura`);
    ``"custom"``: ``positions_m``, ``M`` rows of ``[x, y, z]`` metres in the SigMF spatial frame.

    ``hybrid`` (optional, ``"ula"`` only) makes the array an H2AD receiver (:mod:`.hybrid_array`):
    its antennas are grouped into analog subarrays, ``sum_g K_g M_g = num_elements``, and a
    capture holds the outputs of the RF chains instead of the antennas.
    """

    kind: str
    num_elements: int | None = None
    spacing_m: float | None = None
    radius_m: float | None = None
    num_rows: int | None = None
    num_columns: int | None = None
    spacing_y_m: float | None = None
    spacing_z_m: float | None = None
    positions_m: tuple[tuple[float, float, float], ...] | None = None
    hybrid: HybridLayout | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in _ARRAY_FIELDS:
            raise ValueError(f"kind: must be one of {sorted(_ARRAY_FIELDS)}, got {self.kind!r}")
        used = _ARRAY_FIELDS[self.kind]
        for name in (f.name for f in fields(self) if f.name not in ("kind", "hybrid")):
            value = getattr(self, name)
            if name in used and value is None:
                raise ValueError(f"{name}: required for an array of kind {self.kind!r}")
            if name not in used and value is not None:
                raise ValueError(f"{name}: not used by an array of kind {self.kind!r}")
            if value is None:
                continue
            if name.startswith("num_"):
                object.__setattr__(self, name, check_integer(value, name, 1))
            elif name == "positions_m":
                object.__setattr__(self, name, _positions(value))
            elif check_number(value, name) <= 0:
                raise ValueError(f"{name}: must be positive, got {value!r}")
            else:
                object.__setattr__(self, name, float(value))
        if self.hybrid is not None:
            self._check_hybrid()

    def _check_hybrid(self) -> None:
        if not isinstance(self.hybrid, HybridLayout):
            raise ValueError(
                f"hybrid: must be a HybridLayout, got {self.hybrid!r} (from_dict converts dictionaries)"
            )
        if self.kind != "ula":
            raise ValueError(
                f"hybrid: an H2AD receiver splits a ULA; not available for an array of kind {self.kind!r}"
            )
        if self.hybrid.num_elements != self.num_elements:
            raise ValueError(
                f"hybrid: the subarrays hold sum K_g M_g = {self.hybrid.num_elements} antennas, "
                f"the array has num_elements = {self.num_elements}"
            )

    @classmethod
    def from_dict(cls, data: Mapping) -> ArraySpec:
        values = _fields_of(cls, data)
        if values.get("hybrid") is not None:
            values["hybrid"] = _nested("hybrid", HybridLayout.from_dict, values["hybrid"])
        return cls(**values)

    def hybrid_array(self, frequency_hz: float) -> HybridArray | None:
        """The H2AD receiver at carrier ``frequency_hz``, or None for an array sampled per antenna."""
        if self.hybrid is None:
            return None
        return HybridArray(self.hybrid, frequency_hz, self.spacing_m)

    def geometry(self) -> ArrayGeometry:
        """The nominal element positions."""
        if self.kind == "ula":
            return array_model.ula(self.num_elements, self.spacing_m)
        if self.kind == "uca":
            return array_model.uca(self.num_elements, self.radius_m)
        if self.kind == "ura":
            return array_model.ura(self.num_rows, self.num_columns, self.spacing_y_m, self.spacing_z_m)
        return ArrayGeometry(np.array(self.positions_m))


@dataclass(frozen=True)
class Cluster:
    """A multipath cluster of an emitter: ``num_rays`` rays around a mean direction.

    Attributes:
        delay_s: excess delay over the direct path, seconds; gives each subcarrier the phase
            ``exp(-j 2 pi f_k delay_s)`` with ``f_k`` the absolute subcarrier frequency.
        power_db: total power of the cluster relative to the direct path, dB.
        azimuth_deg: mean azimuth of the rays (a fixed scatterer), degrees.
        angle_spread_deg: rms spread of the ray azimuths about the mean (Gaussian), degrees.
        num_rays: number of rays; each carries ``power / num_rays`` and its own random phase,
            drawn afresh in every segment (block fading); the ray azimuths are drawn once.
        elevation_deg: elevation of the rays, degrees.
    """

    delay_s: float
    power_db: float
    azimuth_deg: float
    angle_spread_deg: float = 0.0
    num_rays: int = 1
    elevation_deg: float = 0.0

    def __post_init__(self) -> None:
        _set_numbers(
            self,
            delay_s=(0.0, np.inf),
            power_db=(-np.inf, np.inf),
            azimuth_deg=(-180.0, 180.0),
            angle_spread_deg=(0.0, 180.0),
            elevation_deg=(-90.0, 90.0),
        )
        object.__setattr__(self, "num_rays", check_integer(self.num_rays, "num_rays", 1))


@dataclass(frozen=True)
class Emitter:
    """A transmitter seen by the array.

    Attributes:
        azimuth_deg: direct-path azimuth, degrees in [-180, 180] (at its first active segment).
        snr_db: power per sample of the direct path at an ideal element over the unit noise, dB.
        azimuth_end_deg: azimuth at the last active segment for a moving emitter; the azimuth
            steps linearly from segment to segment and is constant within a segment.
        elevation_deg: elevation of the direct path, degrees.
        first_segment, last_segment: active segment range, inclusive (default: all segments).
        coherent_with: index of another emitter whose waveform this one copies (a coherent
            source, e.g. a specular reflection); that emitter must have its own waveform.
        coherent_phase_deg: phase of the copy relative to the original, degrees; with the
            amplitude ratio of the two ``snr_db`` it forms the complex gain of the copy.
        clusters: multipath clusters added to the direct path.
        label: name written into the truth annotations (default ``"emitter<index>"``).
    """

    azimuth_deg: float
    snr_db: float
    azimuth_end_deg: float | None = None
    elevation_deg: float = 0.0
    first_segment: int = 0
    last_segment: int | None = None
    coherent_with: int | None = None
    coherent_phase_deg: float = 0.0
    clusters: tuple[Cluster, ...] = ()
    label: str | None = None

    def __post_init__(self) -> None:
        _set_numbers(
            self,
            azimuth_deg=(-180.0, 180.0),
            snr_db=(-np.inf, np.inf),
            elevation_deg=(-90.0, 90.0),
            coherent_phase_deg=(-np.inf, np.inf),
        )
        if self.azimuth_end_deg is not None:
            _set_numbers(self, azimuth_end_deg=(-180.0, 180.0))
        object.__setattr__(self, "first_segment", check_integer(self.first_segment, "first_segment", 0))
        if self.last_segment is not None:
            last = check_integer(self.last_segment, "last_segment", self.first_segment)
            object.__setattr__(self, "last_segment", last)
        if self.coherent_with is not None:
            object.__setattr__(self, "coherent_with", check_integer(self.coherent_with, "coherent_with", 0))
        elif self.coherent_phase_deg != 0.0:
            raise ValueError("coherent_phase_deg: only meaningful together with coherent_with")
        object.__setattr__(self, "clusters", _instances(self.clusters, "clusters", Cluster))
        if self.label is not None and not isinstance(self.label, str):
            raise ValueError(f"label: must be a string, got {self.label!r}")

    @classmethod
    def from_dict(cls, data: Mapping) -> Emitter:
        values = _fields_of(cls, data)
        clusters = _list(values.get("clusters", ()), "clusters")
        values["clusters"] = tuple(
            _nested(f"clusters[{i}]", _plain_from_dict(Cluster), c) for i, c in enumerate(clusters)
        )
        return cls(**values)

    def last(self, num_segments: int) -> int:
        """Last active segment of a scenario with ``num_segments`` segments."""
        return num_segments - 1 if self.last_segment is None else self.last_segment

    def is_active(self, segment: int, num_segments: int) -> bool:
        return self.first_segment <= segment <= self.last(num_segments)

    def azimuth_at(self, segment: int, num_segments: int) -> float:
        """Direct-path azimuth in ``segment``, degrees (linear sweep over the active range)."""
        steps = self.last(num_segments) - self.first_segment + 1
        return swept_azimuth_deg(self.azimuth_deg, self.azimuth_end_deg, segment - self.first_segment, steps)


def swept_azimuth_deg(azimuth_deg: float, azimuth_end_deg: float | None, step: int, num_steps: int) -> float:
    """Azimuth at step ``step`` (0 .. ``num_steps - 1``) of a linear sweep from ``azimuth_deg`` to
    ``azimuth_end_deg``, degrees; ``azimuth_deg`` throughout when the end is unset or there is one step."""
    if azimuth_end_deg is None or num_steps < 2:
        return azimuth_deg
    fraction = step / (num_steps - 1)
    return azimuth_deg + fraction * (azimuth_end_deg - azimuth_deg)


@dataclass(frozen=True)
class OfdmSpec:
    """Wideband transmission as OFDM symbols.

    Attributes:
        fft_size: samples per OFDM symbol (one snapshot), no cyclic prefix.
        num_subcarriers: K active bins, at offsets ``(k - K // 2) * subcarrier_spacing_hz``,
            ``k = 0 .. K - 1``, from the carrier.
        subcarrier_spacing_hz: spacing of the active bins, hertz; a positive integer multiple
            of the bin width ``sample_rate_hz / fft_size``.
    """

    fft_size: int
    num_subcarriers: int
    subcarrier_spacing_hz: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "fft_size", check_integer(self.fft_size, "fft_size", 1))
        num = check_integer(self.num_subcarriers, "num_subcarriers", 1)
        object.__setattr__(self, "num_subcarriers", num)
        _set_numbers(self, subcarrier_spacing_hz=(0.0, np.inf))


@dataclass(frozen=True)
class ImpairmentConfig:
    """Impairments of the simulated array (see :mod:`impairments`).

    Attributes:
        rho: impairment degree in [0, 1] (MoD-DNN eq. (34)); 0 is the ideal array.
        seed: seed of the impairment draw; unset, it derives from the scenario seed. Set it
            to keep one array realisation across scenarios with different seeds.
        spec: magnitudes at ``rho = 1``.
        realisation: a pinned realisation, :meth:`Impairments.to_dict` data (for example a
            capture's ``bearing:impairments``), used as it is instead of a draw. It excludes
            ``seed`` and ``spec``, and ``rho`` must be its ``rho`` (it is already scaled).
    """

    rho: float = 0.0
    seed: int | None = None
    spec: ImpairmentSpec = field(default_factory=ImpairmentSpec)
    realisation: dict | None = None

    def __post_init__(self) -> None:
        _set_numbers(self, rho=(0.0, 1.0))
        if self.seed is not None:
            object.__setattr__(self, "seed", check_integer(self.seed, "seed", 0))
        if not isinstance(self.spec, ImpairmentSpec):
            raise ValueError(f"spec: must be an ImpairmentSpec, got {self.spec!r}")
        if self.realisation is not None:
            self._check_realisation()

    def _check_realisation(self) -> None:
        """Validates :attr:`realisation` against the other fields and stores it in canonical form."""
        pinned = _nested(
            "realisation", lambda d: Impairments.from_dict(_fields_of(Impairments, d)), self.realisation
        )
        if self.seed is not None:
            raise ValueError("seed: not used with a pinned realisation; set one or the other")
        if self.spec != ImpairmentSpec():
            raise ValueError("spec: not used with a pinned realisation (its magnitudes are in it)")
        if self.rho != pinned.rho:
            raise ValueError(
                f"rho: must be the pinned realisation's rho = {pinned.rho!r} (it is already scaled), "
                f"got {self.rho!r}"
            )
        object.__setattr__(self, "realisation", pinned.to_dict())

    def check_num_elements(self, num_elements: int) -> None:
        """Raises ValueError when the pinned realisation is not one of ``num_elements`` elements."""
        count = None if self.realisation is None else len(self.realisation["gain_db"])
        if count not in (None, num_elements):
            raise ValueError(f"impairments.realisation: holds {count} elements, the array has {num_elements}")

    def draw(self, num_elements: int, scenario_seed: np.random.SeedSequence) -> Impairments:
        """The realisation: :attr:`realisation` if pinned, else drawn from :attr:`seed` if set, else
        from the scenario's ``scenario_seed``."""
        self.check_num_elements(num_elements)
        if self.realisation is not None:
            return Impairments.from_dict(self.realisation)
        seed = scenario_seed if self.seed is None else self.seed
        return draw_impairments(num_elements, self.rho, seed, self.spec)

    @classmethod
    def from_dict(cls, data: Mapping) -> ImpairmentConfig:
        values = _fields_of(cls, data)
        if "spec" in values:
            values["spec"] = _nested("spec", _plain_from_dict(ImpairmentSpec), values["spec"])
        return cls(**values)


@dataclass(frozen=True)
class Scenario:
    """Everything that determines a simulated capture; JSON via :meth:`to_dict` / :meth:`from_dict`.

    Attributes:
        array: array geometry.
        frequency_hz: carrier frequency, hertz.
        sample_rate_hz: complex sample rate, hertz.
        emitters: the transmitters (may be empty: noise only).
        snapshots_per_segment: snapshots per segment (one estimate window); a snapshot is one
            sample (narrowband) or one OFDM symbol of ``ofdm.fft_size`` samples (wideband).
        num_segments: number of segments (SigMF capture segments), written back to back.
        gap_samples: receiver samples skipped between segments: ``core:global_index`` of
            segment ``i`` is ``i * (samples_per_segment + gap_samples)``.
        ofdm: wideband OFDM transmission; unset for narrowband.
        impairments: impairment degree, seed and magnitudes.
        add_noise: add the unit-power receiver noise (turn off for noiseless tests only).
        seed: master seed (non-negative integer).
        description: free text for the capture's ``core:description``.
    """

    array: ArraySpec
    frequency_hz: float
    sample_rate_hz: float
    emitters: tuple[Emitter, ...] = ()
    snapshots_per_segment: int = 1024
    num_segments: int = 1
    gap_samples: int = 0
    ofdm: OfdmSpec | None = None
    impairments: ImpairmentConfig = field(default_factory=ImpairmentConfig)
    add_noise: bool = True
    seed: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.array, ArraySpec):
            raise ValueError(f"array: must be an ArraySpec, got {self.array!r}")
        _set_numbers(self, frequency_hz=(0.0, np.inf), sample_rate_hz=(0.0, np.inf))
        for name in ("frequency_hz", "sample_rate_hz"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be positive, got {getattr(self, name)!r}")
        object.__setattr__(self, "emitters", _instances(self.emitters, "emitters", Emitter))
        for name, low in (("snapshots_per_segment", 1), ("num_segments", 1), ("gap_samples", 0), ("seed", 0)):
            object.__setattr__(self, name, check_integer(getattr(self, name), name, low))
        if self.ofdm is not None and not isinstance(self.ofdm, OfdmSpec):
            raise ValueError(f"ofdm: must be an OfdmSpec or unset, got {self.ofdm!r}")
        if not isinstance(self.impairments, ImpairmentConfig):
            raise ValueError(f"impairments: must be an ImpairmentConfig, got {self.impairments!r}")
        self.impairments.check_num_elements(self.array.geometry().num_elements)
        if not isinstance(self.add_noise, bool):
            raise ValueError(f"add_noise: must be true or false, got {self.add_noise!r}")
        if not isinstance(self.description, str):
            raise ValueError(f"description: must be a string, got {self.description!r}")
        self._check_emitters()
        self._check_ofdm()

    @property
    def fft_size(self) -> int:
        """Samples per snapshot: ``ofdm.fft_size``, or 1 for narrowband."""
        return 1 if self.ofdm is None else self.ofdm.fft_size

    @property
    def samples_per_segment(self) -> int:
        return self.snapshots_per_segment * self.fft_size

    def subcarrier_bins(self) -> NDArray[np.int64]:
        """DFT bin of each active subcarrier, ``(K,)``, negative below the carrier."""
        if self.ofdm is None:
            return np.zeros(1, dtype=np.int64)
        step = round(self.ofdm.subcarrier_spacing_hz * self.ofdm.fft_size / self.sample_rate_hz)
        k = np.arange(self.ofdm.num_subcarriers)
        return (k - self.ofdm.num_subcarriers // 2) * step

    def subcarrier_offsets_hz(self) -> NDArray[np.float64]:
        """Offsets of the active subcarriers from the carrier, hertz, ``(K,)``."""
        return self.subcarrier_bins() * (self.sample_rate_hz / self.fft_size)

    def impairment_realisation(self) -> Impairments:
        """The array's impairments in :func:`simulate`: pinned, or drawn (without simulating)."""
        return self.impairments.draw(self.array.geometry().num_elements, seed_streams(self.seed)[0])

    def to_dict(self) -> dict:
        """JSON-compatible dictionary; unset optional fields are left out."""
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> Scenario:
        """Build and validate a scenario; a bad field raises ValueError naming its path."""
        if not isinstance(data, Mapping):
            raise ValueError(f"scenario: must be a JSON object, got {data!r}")
        values = _fields_of(cls, data)
        values["array"] = _nested("array", ArraySpec.from_dict, values["array"])
        emitters = _list(values.get("emitters", ()), "emitters")
        values["emitters"] = tuple(
            _nested(f"emitters[{i}]", Emitter.from_dict, e) for i, e in enumerate(emitters)
        )
        if values.get("ofdm") is not None:
            values["ofdm"] = _nested("ofdm", _plain_from_dict(OfdmSpec), values["ofdm"])
        if "impairments" in values:
            values["impairments"] = _nested("impairments", ImpairmentConfig.from_dict, values["impairments"])
        return cls(**values)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        return cls.from_dict(json.loads(text))

    def _check_emitters(self) -> None:
        for index, emitter in enumerate(self.emitters):
            where = f"emitters[{index}]"
            if emitter.first_segment >= self.num_segments:
                raise ValueError(f"{where}.first_segment: must be below num_segments = {self.num_segments}")
            if emitter.last(self.num_segments) >= self.num_segments:
                raise ValueError(f"{where}.last_segment: must be below num_segments = {self.num_segments}")
            source = emitter.coherent_with
            if source is None:
                continue
            if source == index or source >= len(self.emitters):
                raise ValueError(f"{where}.coherent_with: must be the index of another emitter, got {source}")
            if self.emitters[source].coherent_with is not None:
                raise ValueError(
                    f"{where}.coherent_with: emitter {source} copies a waveform itself; "
                    "refer to the emitter with the original waveform"
                )

    def _check_ofdm(self) -> None:
        if self.ofdm is None:
            return
        bin_width_hz = self.sample_rate_hz / self.ofdm.fft_size
        ratio = self.ofdm.subcarrier_spacing_hz / bin_width_hz
        if round(ratio) < 1 or abs(ratio - round(ratio)) > 1e-9 * ratio:
            raise ValueError(
                "ofdm.subcarrier_spacing_hz: must be a positive integer multiple of the bin width "
                f"sample_rate_hz / fft_size = {bin_width_hz!r} Hz, got {self.ofdm.subcarrier_spacing_hz!r}"
            )
        bins = self.subcarrier_bins()
        if bins.min() < -(self.ofdm.fft_size // 2) or bins.max() >= (self.ofdm.fft_size + 1) // 2:
            raise ValueError(
                "ofdm.num_subcarriers: the active subcarriers span more than sample_rate_hz "
                f"(bins {bins.min()} .. {bins.max()} with fft_size {self.ofdm.fft_size})"
            )


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
    _, ray_seed, segment_seed = seed_streams(scenario.seed)
    impairments = scenario.impairment_realisation()
    ray_offsets_deg = _draw_ray_offsets(scenario, np.random.default_rng(ray_seed))
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
        truths.extend(_segment_truths(scenario, segment, index))
    return SimulatedCapture(scenario, geometry, impairments, samples, segments, truths, hybrid)


def seed_streams(seed: int) -> list[np.random.SeedSequence]:
    """The three independent streams of a scenario's master ``seed``: impairments, ray angles
    (ports for SRS), segments (slots for SRS)."""
    return np.random.SeedSequence(seed).spawn(3)


def write(simulated: SimulatedCapture, path: str | Path) -> Path:
    """Write a simulated capture as SigMF; returns the ``.sigmf-meta`` path.

    The global metadata declares the ``bearing`` namespace and carries the scenario
    (``bearing:scenario``, the input of :meth:`Scenario.from_dict`) and the impairment
    realisation (``bearing:impairments``, the input of :meth:`Impairments.from_dict`), so
    the capture says how it was made. Each truth annotation also carries
    ``bearing:emitter_index`` and ``bearing:snr_db``. A hybrid array's structure and combiner
    are written by :func:`capture.write_capture` (``bearing:hybrid``, ``bearing:combiner``).
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


DEMO_FREQUENCY_HZ = 4.85e9
"""Carrier of the bundled demo: the MoD-DNN testbed (4.85 GHz, half-wavelength spacing 3.09 cm)."""


def demo_ula4_scenario() -> Scenario:
    """The bundled demo capture: 4-element half-wavelength ULA at 4.85 GHz, rho = 1.

    One emitter at 10 dB SNR sweeps -60 .. 60 deg in 1 deg steps over 121 segments of
    1024 narrowband snapshots (1 MS/s, one segment every 10 ms): 121 x 1024 x 4 complex64
    samples, about 4 MB of data.
    """
    return Scenario(
        array=ArraySpec(
            kind="ula", num_elements=4, spacing_m=array_model.wavelength_m(DEMO_FREQUENCY_HZ) / 2.0
        ),
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
        array=ArraySpec(
            kind="ula", num_elements=8, spacing_m=array_model.wavelength_m(TWO_EMITTERS_FREQUENCY_HZ) / 2.0
        ),
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


PRESETS: dict[str, Callable[[], Scenario]] = {
    "demo_ula4": demo_ula4_scenario,
    "calibration_ula4": calibration_ula4_scenario,
    "two_emitters_ula8": two_emitters_ula8_scenario,
}
"""Named scenarios, for the command line."""


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
    ray_phases = [[rng.random(c.num_rays) for c in e.clusters] for e in scenario.emitters]
    spectrum = np.zeros((*shape, geometry.num_elements), dtype=np.complex128)
    for number, emitter in enumerate(scenario.emitters):
        if not emitter.is_active(index, scenario.num_segments):
            continue
        channel = _emitter_channel(
            scenario, geometry, impairments, emitter, index, ray_offsets_deg[number], ray_phases[number]
        )
        if emitter.coherent_with is None:
            waveform = symbols[number]
        else:
            waveform = symbols[emitter.coherent_with] * np.exp(1j * np.deg2rad(emitter.coherent_phase_deg))
        spectrum += waveform[:, :, None] * channel[None, :, :]
    grid = np.zeros((shape[0], scenario.fft_size, geometry.num_elements), dtype=np.complex128)
    grid[:, scenario.subcarrier_bins() % scenario.fft_size, :] = spectrum
    signal = np.fft.ifft(grid, axis=1, norm="ortho").reshape(-1, geometry.num_elements)
    noise = complex_normal(rng, signal.shape)
    return signal + noise if scenario.add_noise else signal


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
        emitter.elevation_deg,
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


def _segment_truths(scenario: Scenario, segment: Segment, index: int) -> list[Truth]:
    return [
        Truth(
            sample_start=segment.sample_start,
            sample_count=segment.sample_count,
            azimuth_deg=emitter.azimuth_at(index, scenario.num_segments),
            elevation_deg=emitter.elevation_deg,
            label=f"emitter{number}" if emitter.label is None else emitter.label,
            extra={"bearing:emitter_index": number, "bearing:snr_db": emitter.snr_db},
        )
        for number, emitter in enumerate(scenario.emitters)
        if emitter.is_active(index, scenario.num_segments)
    ]


def _draw_ray_offsets(scenario: Scenario, rng: np.random.Generator) -> list[list[NDArray[np.float64]]]:
    """Azimuth offsets of the rays of every cluster, degrees, drawn once per scenario."""
    return [
        [c.angle_spread_deg * rng.standard_normal(c.num_rays) for c in e.clusters] for e in scenario.emitters
    ]


def complex_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.complex128]:
    """Circular complex Gaussian samples of unit power."""
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)


def _set_numbers(obj: object, **ranges: tuple[float, float]) -> None:
    """Validate and store float fields of a frozen dataclass, each within ``(low, high)`` inclusive."""
    for name, (low, high) in ranges.items():
        object.__setattr__(obj, name, check_number(getattr(obj, name), name, low, high))


def _positions(value: object) -> tuple[tuple[float, ...], ...]:
    try:
        positions = ArrayGeometry(np.asarray(value, dtype=np.float64)).positions_m
    except (TypeError, ValueError) as err:
        raise ValueError(f"positions_m: {err}") from None
    return tuple(tuple(row) for row in positions.tolist())


def _instances(values: object, name: str, kind: type) -> tuple:
    items = _list(values, name)
    for index, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValueError(
                f"{name}[{index}]: must be a {kind.__name__}, got {item!r} (from_dict converts dictionaries)"
            )
    return tuple(items)


def _list(values: object, name: str) -> list:
    if not isinstance(values, list | tuple):
        raise ValueError(f"{name}: must be a list, got {values!r}")
    return list(values)


def _fields_of(cls: type, data: Mapping) -> dict:
    """``data`` as keyword arguments of dataclass ``cls``: no unknown and no missing fields."""
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field; the fields are {', '.join(known)}")
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{missing[0]}: required field is missing")
    return dict(data)


def _plain_from_dict(cls: type) -> Callable[[Mapping], object]:
    """``from_dict`` of a dataclass without nested dataclasses."""
    return lambda data: cls(**_fields_of(cls, data))


def _nested(where: str, build: Callable[[Mapping], object], data: object):
    """``build(data)``, with ``where`` prefixed to the field named by a ValueError."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: must be a JSON object, got {data!r}")
    try:
        return build(data)
    except ValueError as err:
        raise ValueError(f"{where}.{err}") from None


def _plain(value: object) -> object:
    """Dataclasses to dictionaries (unset fields left out), tuples to lists."""
    if is_dataclass(value):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
