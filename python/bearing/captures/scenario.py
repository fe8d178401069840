"""What the simulator simulates: a :class:`Scenario` (array, emitters and their multipath
clusters, OFDM numerology, impairments, segments, seed), validated on construction and read
from or written to a JSON scenario file (docs/simulator.md). :mod:`.simulation` turns it into
samples."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray

from ..array.geometry import ArrayGeometry, uca, ula, ura
from ..array.hybrid import HybridArray, HybridLayout
from ..array.impairments import Impairments, ImpairmentSpec, draw_impairments
from ..validation import check_integer, check_number
from .scenario_json import as_list, fields_of, instances, nested, plain, plain_from_dict, set_numbers

_ARRAY_FIELDS: dict[str, tuple[str, ...]] = {
    "ula": ("num_elements", "spacing_m"),
    "uca": ("num_elements", "radius_m"),
    "ura": ("num_rows", "num_columns", "spacing_y_m", "spacing_z_m"),
    "custom": ("positions_m",),
}


@dataclass(frozen=True)
class ArraySpec:
    """Array geometry, built by the :mod:`~gnuradio.bearing.array.geometry` helpers.

    ``kind`` selects the fields that must be set (the others must stay unset):
    ``"ula"``: ``num_elements``, ``spacing_m`` (:func:`~gnuradio.bearing.array.geometry.ula`);
    ``"uca"``: ``num_elements``, ``radius_m`` (:func:`~gnuradio.bearing.array.geometry.uca`);
    ``"ura"``: ``num_rows``, ``num_columns``, ``spacing_y_m``, ``spacing_z_m``
    (:func:`~gnuradio.bearing.array.geometry.ura`);
    ``"custom"``: ``positions_m``, ``M`` rows of ``[x, y, z]`` metres in the SigMF spatial frame.

    ``hybrid`` (optional, ``"ula"`` only) makes the array an H2AD receiver
    (:mod:`~gnuradio.bearing.array.hybrid`):
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
        values = fields_of(cls, data)
        if values.get("hybrid") is not None:
            values["hybrid"] = nested("hybrid", HybridLayout.from_dict, values["hybrid"])
        return cls(**values)

    def hybrid_array(self, frequency_hz: float) -> HybridArray | None:
        """The H2AD receiver at carrier ``frequency_hz``, or None for an array sampled per antenna."""
        if self.hybrid is None:
            return None
        return HybridArray(self.hybrid, frequency_hz, self.spacing_m)

    def geometry(self) -> ArrayGeometry:
        """The nominal element positions."""
        if self.kind == "ula":
            return ula(self.num_elements, self.spacing_m)
        if self.kind == "uca":
            return uca(self.num_elements, self.radius_m)
        if self.kind == "ura":
            return ura(self.num_rows, self.num_columns, self.spacing_y_m, self.spacing_z_m)
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
        set_numbers(
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
        elevation_deg: elevation of the direct path, degrees (at its first active segment).
        elevation_end_deg: elevation at the last active segment, swept as the azimuth is.
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
    elevation_end_deg: float | None = None

    def __post_init__(self) -> None:
        set_numbers(
            self,
            azimuth_deg=(-180.0, 180.0),
            snr_db=(-np.inf, np.inf),
            elevation_deg=(-90.0, 90.0),
            coherent_phase_deg=(-np.inf, np.inf),
        )
        if self.azimuth_end_deg is not None:
            set_numbers(self, azimuth_end_deg=(-180.0, 180.0))
        if self.elevation_end_deg is not None:
            set_numbers(self, elevation_end_deg=(-90.0, 90.0))
        object.__setattr__(self, "first_segment", check_integer(self.first_segment, "first_segment", 0))
        if self.last_segment is not None:
            last = check_integer(self.last_segment, "last_segment", self.first_segment)
            object.__setattr__(self, "last_segment", last)
        if self.coherent_with is not None:
            object.__setattr__(self, "coherent_with", check_integer(self.coherent_with, "coherent_with", 0))
        elif self.coherent_phase_deg != 0.0:
            raise ValueError("coherent_phase_deg: only meaningful together with coherent_with")
        object.__setattr__(self, "clusters", instances(self.clusters, "clusters", Cluster))
        if self.label is not None and not isinstance(self.label, str):
            raise ValueError(f"label: must be a string, got {self.label!r}")

    @classmethod
    def from_dict(cls, data: Mapping) -> Emitter:
        values = fields_of(cls, data)
        clusters = as_list(values.get("clusters", ()), "clusters")
        values["clusters"] = tuple(
            nested(f"clusters[{i}]", plain_from_dict(Cluster), c) for i, c in enumerate(clusters)
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

    def elevation_at(self, segment: int, num_segments: int) -> float:
        """Direct-path elevation in ``segment``, degrees (linear sweep over the active range)."""
        steps = self.last(num_segments) - self.first_segment + 1
        return swept_azimuth_deg(
            self.elevation_deg, self.elevation_end_deg, segment - self.first_segment, steps
        )


def swept_azimuth_deg(azimuth_deg: float, azimuth_end_deg: float | None, step: int, num_steps: int) -> float:
    """Angle at step ``step`` (0 .. ``num_steps - 1``) of a linear sweep from ``azimuth_deg`` to
    ``azimuth_end_deg``, degrees; ``azimuth_deg`` throughout when the end is unset or there is one
    step. Sweeps elevations too."""
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
        set_numbers(self, subcarrier_spacing_hz=(0.0, np.inf))


@dataclass(frozen=True)
class ImpairmentConfig:
    """Impairments of the simulated array (see :mod:`~gnuradio.bearing.array.impairments`).

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
        set_numbers(self, rho=(0.0, 1.0))
        if self.seed is not None:
            object.__setattr__(self, "seed", check_integer(self.seed, "seed", 0))
        if not isinstance(self.spec, ImpairmentSpec):
            raise ValueError(f"spec: must be an ImpairmentSpec, got {self.spec!r}")
        if self.realisation is not None:
            self._check_realisation()

    def _check_realisation(self) -> None:
        """Validates :attr:`realisation` against the other fields and stores it in canonical form."""
        pinned = nested(
            "realisation", lambda d: Impairments.from_dict(fields_of(Impairments, d)), self.realisation
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
        values = fields_of(cls, data)
        if "spec" in values:
            values["spec"] = nested("spec", plain_from_dict(ImpairmentSpec), values["spec"])
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
        set_numbers(self, frequency_hz=(0.0, np.inf), sample_rate_hz=(0.0, np.inf))
        for name in ("frequency_hz", "sample_rate_hz"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be positive, got {getattr(self, name)!r}")
        object.__setattr__(self, "emitters", instances(self.emitters, "emitters", Emitter))
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
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> Scenario:
        """Build and validate a scenario; a bad field raises ValueError naming its path."""
        if not isinstance(data, Mapping):
            raise ValueError(f"scenario: must be a JSON object, got {data!r}")
        values = fields_of(cls, data)
        values["array"] = nested("array", ArraySpec.from_dict, values["array"])
        emitters = as_list(values.get("emitters", ()), "emitters")
        values["emitters"] = tuple(
            nested(f"emitters[{i}]", Emitter.from_dict, e) for i, e in enumerate(emitters)
        )
        if values.get("ofdm") is not None:
            values["ofdm"] = nested("ofdm", plain_from_dict(OfdmSpec), values["ofdm"])
        if "impairments" in values:
            values["impairments"] = nested("impairments", ImpairmentConfig.from_dict, values["impairments"])
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


def _positions(value: object) -> tuple[tuple[float, ...], ...]:
    try:
        positions = ArrayGeometry(np.asarray(value, dtype=np.float64)).positions_m
    except (TypeError, ValueError) as err:
        raise ValueError(f"positions_m: {err}") from None
    return tuple(tuple(row) for row in positions.tolist())


def seed_streams(seed: int) -> list[np.random.SeedSequence]:
    """The three independent streams of a scenario's master ``seed``: impairments, ray angles
    (ports for SRS), segments (slots for SRS)."""
    return np.random.SeedSequence(seed).spawn(3)
