"""Hardware impairments of an antenna array and the impaired array response.

The model combines MoD-DNN (Liu et al., ACM TOSN 2025) eq. (6), the classical
impairments, with eq. (7), angle- and subcarrier-dependent phase errors:

    h_k(theta) = C Gamma (gamma_k(theta) .* a_k(theta; r + dr))

* ``a_k`` is the ideal steering vector of :mod:`~gnuradio.bearing.array.geometry` at the wavelength of
  subcarrier ``k`` (carrier + offset), evaluated at the perturbed positions ``r + dr``.
* ``gamma_{m,k}(theta) = exp(j psi_{m,k}(theta))`` is the angle-dependent phase error of
  eq. (7), shaped like the measurement of Fig. 1b: a smooth fluctuation of a few degrees
  inside +-30 deg and a ramp with a steady, element-dependent slope beyond; it varies
  slowly across subcarriers through a residual channel delay.
* ``Gamma = diag(g_m exp(j phi_m))`` holds the per-channel gain and phase offsets.
* ``C`` is the symmetric mutual-coupling matrix: 1 on the diagonal, ``c_n`` between
  elements at the n-th smallest inter-element distance (for a ULA, ``n`` spacings apart:
  the banded symmetric Toeplitz matrix).

Impairment degree (eq. (34)): every impairment is drawn once at full strength and then
scaled by ``rho`` in [0, 1]: gains in dB, phases, coupling coefficients and position
errors are multiplied by ``rho``, and the phase error of eq. (7) becomes
``gamma = exp(j rho psi)``; this is how we read the "rho Gamma_k" of eq. (34) (a literal
amplitude scaling would attenuate the signal, not the error). ``rho = 0`` is exactly the
ideal array. Element 0 is the reference channel: its gain, phase and angle-dependent
phase errors are zero, as in the measurement of Fig. 1b.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..validation import check_integer, check_number
from .geometry import ArrayGeometry, steering_matrix, wavelength_m


@dataclass(frozen=True)
class ImpairmentSpec:
    """Magnitudes of the impairments at full degree (``rho = 1``); a scenario may override any.

    Attributes:
        gain_std_db: standard deviation of the per-channel gain offsets, dB.
        phase_std_deg: standard deviation of the static per-channel phase offsets, degrees.
        coupling_magnitudes: ``|c_1|, |c_2|, ...``: coupling between elements at the 1st,
            2nd, ... smallest distance (1, 2, ... spacings in a ULA); each coefficient gets
            a uniform random phase.
        position_std_m: standard deviation of the element position errors, metres, per axis.
            The default 1.2 mm is about lambda / 50 at 4.85 GHz; scale it with the carrier.
        smooth_phase_amplitude_deg: bound of the smooth angle-dependent phase error, degrees.
        smooth_phase_harmonics: number of sinusoidal harmonics in that smooth component.
        ramp_knee_deg: |azimuth| beyond which the phase error ramps up (30 deg in Fig. 1b).
        ramp_slope_min_deg_per_deg, ramp_slope_max_deg_per_deg: range of the ramp slope
            magnitude, degrees of phase per degree of azimuth beyond the knee.
        delay_std_s: standard deviation of the residual channel delays that make the phase
            error vary across subcarriers, seconds.
    """

    gain_std_db: float = 1.0
    phase_std_deg: float = 10.0
    coupling_magnitudes: tuple[float, ...] = (0.15, 0.05)
    position_std_m: float = 1.2e-3
    smooth_phase_amplitude_deg: float = 8.0
    smooth_phase_harmonics: int = 3
    ramp_knee_deg: float = 30.0
    ramp_slope_min_deg_per_deg: float = 1.3
    ramp_slope_max_deg_per_deg: float = 1.9
    delay_std_s: float = 1.0e-10

    def __post_init__(self) -> None:
        for name in (
            "gain_std_db",
            "phase_std_deg",
            "position_std_m",
            "smooth_phase_amplitude_deg",
            "ramp_slope_min_deg_per_deg",
            "ramp_slope_max_deg_per_deg",
            "delay_std_s",
        ):
            object.__setattr__(self, name, check_number(getattr(self, name), name, 0.0))
        magnitudes = self.coupling_magnitudes
        if not isinstance(magnitudes, list | tuple):
            raise ValueError(f"coupling_magnitudes: must be a list of numbers, got {magnitudes!r}")
        magnitudes = tuple(
            check_number(c, f"coupling_magnitudes[{n}]", 0.0, 1.0) for n, c in enumerate(magnitudes)
        )
        object.__setattr__(self, "coupling_magnitudes", magnitudes)
        harmonics = check_integer(self.smooth_phase_harmonics, "smooth_phase_harmonics", 1)
        object.__setattr__(self, "smooth_phase_harmonics", harmonics)
        object.__setattr__(
            self, "ramp_knee_deg", check_number(self.ramp_knee_deg, "ramp_knee_deg", 0.0, 90.0)
        )
        if self.ramp_slope_max_deg_per_deg < self.ramp_slope_min_deg_per_deg:
            raise ValueError(
                "ramp_slope_max_deg_per_deg: must not be below ramp_slope_min_deg_per_deg "
                f"({self.ramp_slope_max_deg_per_deg!r} < {self.ramp_slope_min_deg_per_deg!r})"
            )


def perturbation_spec(gain_std_db: float, phase_std_deg: float, position_std_m: float) -> ImpairmentSpec:
    """The array perturbations of IDL-TLBO (Aquino and Vairavel, IJAP 2025, Sec. 3.3) as an
    :class:`ImpairmentSpec`: per-element gain and phase errors and element position errors
    (per axis), combined as ``Gamma a(theta; r + dr)`` with ``Gamma = diag(g exp(j phi))``; no
    mutual coupling, no angle- or subcarrier-dependent phase error."""
    return ImpairmentSpec(
        gain_std_db=gain_std_db,
        phase_std_deg=phase_std_deg,
        coupling_magnitudes=(),
        position_std_m=position_std_m,
        smooth_phase_amplitude_deg=0.0,
        ramp_slope_min_deg_per_deg=0.0,
        ramp_slope_max_deg_per_deg=0.0,
        delay_std_s=0.0,
    )


IDL_TLBO_PERTURBATION = perturbation_spec(0.5, float(np.rad2deg(0.5)), 0.5e-3)
"""The IDL-TLBO paper's perturbations (its Table 3: "SD of position perturbation 0.5, of
inconsistent gain 0.5, of inconsistent phase 0.5", without units), in our reading: 0.5 dB of
gain, 0.5 rad (28.6 deg) of phase and 0.5 mm of position per axis (about lambda / 21 at 28 GHz),
each in its natural unit and of the size of a real uncalibrated millimetre-wave array. A literal
linear gain error of 0.5 would make some amplitudes negative; the study states its results
against this reading (docs/idl-tlbo.md)."""


@dataclass(frozen=True, eq=False)
class Impairments:
    """One drawn realisation of the impairments, already scaled by ``rho`` (M elements).

    Attributes:
        rho: impairment degree the realisation was scaled by (informational).
        gain_db: ``(M,)`` per-channel gain offsets, dB (``g_m = 10^(gain_db / 20)``).
        phase_deg: ``(M,)`` static per-channel phase offsets, degrees.
        coupling: ``(L,)`` complex coupling coefficients ``c_1 .. c_L`` (see :meth:`coupling_matrix`).
        position_error_m: ``(M, 3)`` element position errors, metres, added to the positions.
        smooth_weight_deg: ``(M, Q)`` weights of the smooth phase-error harmonics, degrees.
        smooth_phase_rad: ``(M, Q)`` phases of those harmonics, radians.
        ramp_knee_deg: knee of the phase-error ramp, degrees of azimuth.
        ramp_slope_deg_per_deg: ``(M, 2)`` signed ramp slopes for azimuths below ``-knee``
            (column 0) and above ``+knee`` (column 1).
        delay_s: ``(M,)`` residual channel delays, seconds.
    """

    rho: float
    gain_db: NDArray[np.float64]
    phase_deg: NDArray[np.float64]
    coupling: NDArray[np.complex128]
    position_error_m: NDArray[np.float64]
    smooth_weight_deg: NDArray[np.float64]
    smooth_phase_rad: NDArray[np.float64]
    ramp_knee_deg: float
    ramp_slope_deg_per_deg: NDArray[np.float64]
    delay_s: NDArray[np.float64]

    def __post_init__(self) -> None:
        num = np.shape(self.gain_db)[0] if np.ndim(self.gain_db) == 1 else 0
        harmonics = np.shape(self.smooth_weight_deg)[-1] if np.ndim(self.smooth_weight_deg) == 2 else 0
        shapes = {
            "gain_db": (num,),
            "phase_deg": (num,),
            "position_error_m": (num, 3),
            "smooth_weight_deg": (num, harmonics),
            "smooth_phase_rad": (num, harmonics),
            "ramp_slope_deg_per_deg": (num, 2),
            "delay_s": (num,),
        }
        for name, shape in shapes.items():
            value = np.array(getattr(self, name), dtype=np.float64)
            if num < 1 or value.shape != shape or not np.all(np.isfinite(value)):
                raise ValueError(f"{name}: must be a finite array of shape {shape}, got shape {value.shape}")
            value.flags.writeable = False
            object.__setattr__(self, name, value)
        coupling = np.array(self.coupling, dtype=np.complex128).reshape(-1)
        coupling.flags.writeable = False
        object.__setattr__(self, "coupling", coupling)
        object.__setattr__(self, "rho", check_number(self.rho, "rho", 0.0, 1.0))
        object.__setattr__(
            self, "ramp_knee_deg", check_number(self.ramp_knee_deg, "ramp_knee_deg", 0.0, 90.0)
        )

    @classmethod
    def ideal(cls, num_elements: int) -> Impairments:
        """The ideal array of ``num_elements`` elements (what ``rho = 0`` draws)."""
        zeros = np.zeros(num_elements)
        return cls(
            rho=0.0,
            gain_db=zeros,
            phase_deg=zeros,
            coupling=np.zeros(0, dtype=np.complex128),
            position_error_m=np.zeros((num_elements, 3)),
            smooth_weight_deg=np.zeros((num_elements, 1)),
            smooth_phase_rad=np.zeros((num_elements, 1)),
            ramp_knee_deg=ImpairmentSpec.ramp_knee_deg,
            ramp_slope_deg_per_deg=np.zeros((num_elements, 2)),
            delay_s=zeros,
        )

    @property
    def num_elements(self) -> int:
        return int(self.gain_db.shape[0])

    def channel_gains(self) -> NDArray[np.complex128]:
        """Diagonal of ``Gamma`` in eq. (6): ``10^(gain_db / 20) exp(j phase)``, shape ``(M,)``."""
        return 10.0 ** (self.gain_db / 20.0) * np.exp(1j * np.deg2rad(self.phase_deg))

    def coupling_matrix(self, geometry: ArrayGeometry) -> NDArray[np.complex128]:
        """Mutual-coupling matrix ``C`` of eq. (6), shape ``(M, M)``.

        ``C_ii = 1`` and ``C_ij = c_n`` when ``|r_i - r_j|`` (nominal positions, to the
        nanometre) is the n-th smallest distance between two elements, zero beyond ``n = L``.
        For a ULA this is the banded symmetric Toeplitz matrix of the literature
        (Friedlander and Weiss 1991); for a UCA it is circulant.
        """
        self._check_geometry(geometry)
        positions = geometry.positions_m
        distance_nm = np.rint(1e9 * np.linalg.norm(positions[:, None, :] - positions[None, :, :], axis=-1))
        levels = np.unique(distance_nm[distance_nm > 0])
        order = np.where(distance_nm > 0, np.searchsorted(levels, distance_nm) + 1, 0)
        coupled = (order >= 1) & (order <= self.coupling.size)
        matrix = np.eye(self.num_elements, dtype=np.complex128)
        matrix[coupled] = self.coupling[order[coupled] - 1]
        return matrix

    def phase_error_deg(
        self, azimuth_deg: ArrayLike, subcarrier_offsets_hz: ArrayLike = (0.0,)
    ) -> NDArray[np.float64]:
        """Angle-dependent phase errors ``rho psi_{m,k}(theta)`` of eq. (7), degrees, ``(K, M, N)``.

        ``psi_m(theta) = sum_q w_mq sin(q theta_f + phi_mq)
        + s_m+ max(theta_f - knee, 0) + s_m- max(-theta_f - knee, 0) - 360 tau_m df_k``,
        with ``theta_f = arcsin(sin theta)`` the azimuth folded onto [-90, 90] deg (the cone
        angle of a linear array, which keeps the error continuous around the circle) and
        ``df_k`` the subcarrier offset from the carrier in hertz. The error depends on
        azimuth only, as measured in the horizontal plane in Fig. 1b.
        """
        folded_deg = np.rad2deg(np.arcsin(np.sin(np.deg2rad(np.atleast_1d(azimuth_deg)))))
        folded_deg = np.asarray(folded_deg, dtype=np.float64).reshape(-1)
        order = np.arange(1, self.smooth_weight_deg.shape[1] + 1)
        argument = order[None, :, None] * np.deg2rad(folded_deg)[None, None, :]
        smooth = np.sum(
            self.smooth_weight_deg[:, :, None] * np.sin(argument + self.smooth_phase_rad[:, :, None]), axis=1
        )
        below = np.maximum(-folded_deg - self.ramp_knee_deg, 0.0)
        above = np.maximum(folded_deg - self.ramp_knee_deg, 0.0)
        ramp = self.ramp_slope_deg_per_deg[:, :1] * below + self.ramp_slope_deg_per_deg[:, 1:] * above
        offsets = _as_offsets(subcarrier_offsets_hz)
        drift = -360.0 * offsets[:, None, None] * self.delay_s[None, :, None]
        return (smooth + ramp)[None, :, :] + drift

    def to_dict(self) -> dict:
        """JSON-compatible dictionary of the realisation (complex coupling as ``[re, im]`` pairs)."""
        plain = {f.name: getattr(self, f.name) for f in fields(self)}
        plain["coupling"] = np.column_stack([self.coupling.real, self.coupling.imag])
        return {
            name: value.tolist() if isinstance(value, np.ndarray) else value for name, value in plain.items()
        }

    @classmethod
    def from_dict(cls, data: dict) -> Impairments:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        pairs = np.asarray(values.get("coupling", []), dtype=np.float64).reshape(-1, 2)
        values["coupling"] = pairs[:, 0] + 1j * pairs[:, 1]
        return cls(**values)

    def _check_geometry(self, geometry: ArrayGeometry) -> None:
        if geometry.num_elements != self.num_elements:
            raise ValueError(
                f"impairments are drawn for {self.num_elements} elements, "
                f"the geometry has {geometry.num_elements}"
            )


def draw_impairments(
    num_elements: int,
    rho: float,
    seed_or_rng: int | np.random.SeedSequence | np.random.Generator,
    spec: ImpairmentSpec | None = None,
) -> Impairments:
    """Draw one realisation at full degree from ``seed_or_rng`` and scale it by ``rho``.

    The draws do not depend on ``rho``: the same seed at two degrees gives the same
    impairments, scaled (what eq. (34) sweeps). Element 0 is the reference channel.
    """
    spec = ImpairmentSpec() if spec is None else spec
    m = check_integer(num_elements, "num_elements", 1)
    rho = check_number(rho, "rho", 0.0, 1.0)
    rng = np.random.default_rng(seed_or_rng)
    harmonics = spec.smooth_phase_harmonics
    gain_db = spec.gain_std_db * rng.standard_normal(m)
    phase_deg = spec.phase_std_deg * rng.standard_normal(m)
    magnitudes = np.asarray(spec.coupling_magnitudes, dtype=np.float64)
    coupling = magnitudes * np.exp(2j * np.pi * rng.random(magnitudes.size))
    position_error_m = spec.position_std_m * rng.standard_normal((m, 3))
    weights = rng.random((m, harmonics))
    smooth_weight_deg = spec.smooth_phase_amplitude_deg * weights / weights.sum(axis=1, keepdims=True)
    smooth_phase_rad = 2.0 * np.pi * rng.random((m, harmonics))
    slope_span = spec.ramp_slope_max_deg_per_deg - spec.ramp_slope_min_deg_per_deg
    slopes = spec.ramp_slope_min_deg_per_deg + slope_span * rng.random((m, 2))
    slopes *= rng.choice([-1.0, 1.0], size=(m, 2))
    delay_s = spec.delay_std_s * rng.standard_normal(m)
    for reference_channel in (gain_db, phase_deg, smooth_weight_deg, smooth_phase_rad, slopes, delay_s):
        reference_channel[0] = 0.0
    return Impairments(
        rho=rho,
        gain_db=rho * gain_db,
        phase_deg=rho * phase_deg,
        coupling=rho * coupling,
        position_error_m=rho * position_error_m,
        smooth_weight_deg=rho * smooth_weight_deg,
        smooth_phase_rad=smooth_phase_rad,
        ramp_knee_deg=spec.ramp_knee_deg,
        ramp_slope_deg_per_deg=rho * slopes,
        delay_s=rho * delay_s,
    )


def array_response(
    geometry: ArrayGeometry,
    azimuth_deg: ArrayLike,
    frequency_hz: float,
    impairments: Impairments,
    subcarrier_offsets_hz: ArrayLike = (0.0,),
    elevation_deg: ArrayLike = 0.0,
) -> NDArray[np.complex128]:
    """Impaired array response ``C Gamma (gamma_k(theta) .* a_k(theta; r + dr))``, ``(K, M, N)``.

    MoD-DNN eqs. (6) and (7): ``a_k`` is :func:`~gnuradio.bearing.array.geometry.steering_matrix` at the
    wavelength of ``frequency_hz + subcarrier_offsets_hz[k]`` and the perturbed positions.
    With :meth:`Impairments.ideal` (or ``rho = 0``) the result equals the ideal steering
    matrix exactly.

    Args:
        geometry: nominal element positions.
        azimuth_deg: N azimuths, degrees.
        frequency_hz: carrier frequency, hertz.
        impairments: the realisation, drawn for ``geometry.num_elements`` elements.
        subcarrier_offsets_hz: K subcarrier offsets from the carrier, hertz.
        elevation_deg: elevation(s), degrees, broadcast against ``azimuth_deg``.
    """
    impairments._check_geometry(geometry)
    offsets = _as_offsets(subcarrier_offsets_hz)
    positions = geometry.positions_m + impairments.position_error_m
    ideal = np.stack(
        [
            steering_matrix(positions, azimuth_deg, wavelength_m(frequency_hz + offset), elevation_deg)
            for offset in offsets
        ]
    )
    gamma = np.exp(1j * np.deg2rad(impairments.phase_error_deg(azimuth_deg, offsets)))
    weighted = impairments.channel_gains()[None, :, None] * (gamma * ideal)
    return impairments.coupling_matrix(geometry) @ weighted


def _as_offsets(subcarrier_offsets_hz: ArrayLike) -> NDArray[np.float64]:
    offsets = np.atleast_1d(np.asarray(subcarrier_offsets_hz, dtype=np.float64))
    if offsets.ndim != 1 or offsets.size < 1 or not np.all(np.isfinite(offsets)):
        raise ValueError(f"subcarrier_offsets_hz: must be a non-empty 1-D finite array, got {offsets!r}")
    return offsets
