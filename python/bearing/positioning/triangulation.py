"""A position fix from bearing lines: weighted nonlinear least squares, its covariance, the
error ellipse, the geometric dilution of precision and the position CRB.

Each station ``i`` at ``s_i`` (ENU, metres) measures the true azimuth ``a_i`` (east of north)
and, when its array resolves elevation, the elevation ``e_i`` of the emitter at ``p``, with
standard deviations ``sa_i`` and ``se_i`` (radians). The fix minimises the robust sum of the
whitened angle residuals (Torrieri, "Statistical theory of passive location systems", IEEE
Trans. AES 20(2), 1984, the maximum-likelihood bearings-only fix, eq. (11))::

    r_i = wrap(a_i - atan2(p_e - s_ie, p_n - s_in)) / sa_i
    q_i = (e_i - atan2(p_u - s_iu, rho_i)) / se_i,   rho_i = |(p - s_i)_{e,n}|

with scipy's ``least_squares`` (``soft_l1`` loss: a bearing that misses by much pulls less),
started at the linear least-squares crossing of the lines; then the line with the largest
|residual| over the gate (3 standard deviations by default) is dropped and the fix solved
again, while more than two lines remain. There is no fix (:class:`FixError`) when the lines
left still miss it by more than the gate, or when its 1-sigma error along its worst axis
exceeds its distance to the nearest station (near-parallel lines). A residual of angle (not
of distance) makes each line a ray: a fix behind a station misses its bearing by about 180
degrees and is gated out.

The covariance of the fix is the inverse Fisher information ``(J^T J)^-1`` of the whitened
residuals at the fix; at the true position it is the position CRB for the stations' bearing
variances (Torrieri eq. (26)), :func:`position_crb`. In 2-D the fix is ``(east, north)``
and its height is the mean height of the stations used; in 3-D (every station line with an
elevation counts) it is ``(east, north, up)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import least_squares

ELLIPSE_PROBABILITY = 0.95
"""The probability of the reported error ellipse (2-D Gaussian: scale ``sqrt(-2 ln(1-p))``)."""


class FixError(ValueError):
    """No fix: too few lines, or lines whose geometry fixes no point (parallel, one station)."""


@dataclass(frozen=True)
class Lines:
    """Bearing lines in the scene's ENU frame, one per row (``L`` lines).

    ``stations_enu`` ``(L, 3)`` metres; ``azimuth_rad`` true azimuths east of north and
    ``azimuth_std_rad`` ``(L,)``; ``elevation_rad`` and ``elevation_std_rad`` ``(L,)``, NaN
    where a station does not resolve elevation."""

    stations_enu: NDArray[np.float64]
    azimuth_rad: NDArray[np.float64]
    azimuth_std_rad: NDArray[np.float64]
    elevation_rad: NDArray[np.float64]
    elevation_std_rad: NDArray[np.float64]

    @classmethod
    def from_degrees(
        cls,
        stations_enu: ArrayLike,
        azimuth_deg: ArrayLike,
        azimuth_std_deg: ArrayLike,
        elevation_deg: ArrayLike = np.nan,
        elevation_std_deg: ArrayLike = np.nan,
    ) -> Lines:
        """Lines from true bearings in degrees (broadcast against the stations' count)."""
        stations = np.atleast_2d(np.asarray(stations_enu, dtype=np.float64))
        if stations.shape[1] != 3:
            raise ValueError(f"stations_enu must have shape (L, 3), not {stations.shape}")
        n = len(stations)
        az, sa, el, se = (
            np.broadcast_to(np.deg2rad(np.asarray(v, dtype=np.float64)), (n,)).copy()
            for v in (azimuth_deg, azimuth_std_deg, elevation_deg, elevation_std_deg)
        )
        if np.any(~(sa > 0.0)) or np.any(np.isfinite(el) & ~(se > 0.0)):
            raise ValueError("every bearing needs a positive standard deviation")
        return cls(stations, az, sa, el, se)

    def __len__(self) -> int:
        return len(self.azimuth_rad)

    def subset(self, keep: NDArray[np.bool_]) -> Lines:
        """The lines where ``keep`` is true."""
        return Lines(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    @property
    def has_elevation(self) -> NDArray[np.bool_]:
        return np.isfinite(self.elevation_rad)


@dataclass(frozen=True)
class Fix:
    """A position fix (module docstring).

    ``position_enu`` ``(3,)`` metres; ``covariance`` ``(dims, dims)`` m^2; ``used`` ``(L,)``
    the lines kept by the gate; ``residuals`` ``(L,)`` each line's whitened azimuth residual
    (NaN for a gated line... computed at the fix for every line); ``gdop`` dimensionless."""

    position_enu: NDArray[np.float64]
    covariance: NDArray[np.float64]
    dims: int
    used: NDArray[np.bool_]
    residuals: NDArray[np.float64]
    cost: float
    gdop: float

    def ellipse(self, probability: float = ELLIPSE_PROBABILITY) -> dict:
        """The horizontal error ellipse: semi-axes (metres) and the major axis' azimuth
        (degrees east of north, ``[0, 180)``)."""
        return error_ellipse(self.covariance[:2, :2], probability)


def solve_fix(
    lines: Lines,
    dims: int = 2,
    gate_sigma: float = 3.0,
    loss: str = "soft_l1",
) -> Fix:
    """The fix of ``lines`` in ``dims`` (2 or 3) dimensions (module docstring); FixError when
    the lines fix no point. A line's miss is the larger of its whitened azimuth and (in 3-D)
    elevation residuals."""
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, not {dims}")
    if dims == 3 and np.count_nonzero(lines.has_elevation) == 0:
        raise FixError("a 3-D fix needs at least one line with an elevation")
    used = np.ones(len(lines), dtype=bool)
    while True:
        active = lines.subset(used)
        if len(active) < 2:
            raise FixError(f"{len(active)} bearing line(s) left; a fix needs two stations at least")
        position = _refine(active, dims, _linear_crossing(active, dims), loss)
        misses = _line_misses(lines, position, dims)
        worst = np.argmax(np.where(used, misses, -1.0))
        if misses[worst] <= gate_sigma or len(active) <= 2:
            break
        used[worst] = False
    residuals = _whitened_azimuth(lines, position)
    if np.max(misses[used]) > gate_sigma:
        raise FixError(f"the bearings do not cross within {gate_sigma:g} standard deviations of each other")
    covariance = _covariance(active, position, dims)
    _check_spread(active, position, covariance)
    return Fix(
        position_enu=_with_height(position, active),
        covariance=covariance,
        dims=dims,
        used=used,
        residuals=residuals,
        cost=float(np.sum(_residuals(active, position, dims) ** 2)),
        gdop=_gdop(active, position, dims, covariance),
    )


def position_crb(position_enu: ArrayLike, lines: Lines, dims: int = 2) -> NDArray[np.float64]:
    """The position CRB ``(dims, dims)`` m^2 of an emitter at ``position_enu`` seen by ``lines``
    (their bearings are not used, only their stations and standard deviations; Torrieri eq. (26)).
    Its RMSE bound is ``sqrt(trace)``."""
    return _covariance(lines, np.asarray(position_enu, dtype=np.float64)[:dims], dims)


def error_ellipse(covariance: ArrayLike, probability: float = ELLIPSE_PROBABILITY) -> dict:
    """The ellipse of a 2-D Gaussian ``covariance`` (east, north; m^2) holding ``probability``:
    ``{semi_major_m, semi_minor_m, orientation_deg, probability}``."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    scale = np.sqrt(-2.0 * np.log1p(-probability))
    major = vectors[:, 1]
    return {
        "semi_major_m": float(scale * np.sqrt(max(values[1], 0.0))),
        "semi_minor_m": float(scale * np.sqrt(max(values[0], 0.0))),
        "orientation_deg": float(np.rad2deg(np.arctan2(major[0], major[1])) % 180.0),
        "probability": probability,
    }


def _linear_crossing(lines: Lines, dims: int) -> NDArray[np.float64]:
    """The point nearest to every line in the weighted least-squares sense (the start)."""
    cos_el = np.where(lines.has_elevation, np.cos(lines.elevation_rad), 1.0)
    sin_el = np.where(lines.has_elevation, np.sin(lines.elevation_rad), 0.0)
    u = np.stack((cos_el * np.sin(lines.azimuth_rad), cos_el * np.cos(lines.azimuth_rad), sin_el), axis=1)[
        :, :dims
    ]
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    s = lines.stations_enu[:, :dims]
    projectors = np.eye(dims) - u[:, :, None] * u[:, None, :]  # (L, d, d): off the line
    weights = 1.0 / lines.azimuth_std_rad**2
    a = np.einsum("l,lij->ij", weights, projectors)
    b = np.einsum("l,lij,lj->i", weights, projectors, s)
    return np.linalg.lstsq(a, b, rcond=None)[0]


def _refine(lines: Lines, dims: int, start: NDArray[np.float64], loss: str) -> NDArray[np.float64]:
    result = least_squares(
        lambda p: _residuals(lines, p, dims),
        start,
        jac=lambda p: _jacobian(lines, p, dims),
        loss=loss,
        method="trf",
        x_scale="jac",
    )
    return result.x


def _offsets(lines: Lines, position: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
    d = np.zeros((len(lines), 3))
    d[:, : len(position)] = position - lines.stations_enu[:, : len(position)]
    if len(position) == 2:
        d[:, 2] = 0.0
    return d[:, 0], d[:, 1], d[:, 2]


def _whitened_azimuth(lines: Lines, position: NDArray[np.float64]) -> NDArray[np.float64]:
    de, dn, _ = _offsets(lines, position)
    miss = np.angle(np.exp(1j * (lines.azimuth_rad - np.arctan2(de, dn))))
    return miss / lines.azimuth_std_rad


def _line_misses(lines: Lines, position: NDArray[np.float64], dims: int) -> NDArray[np.float64]:
    """Each line's miss ``(L,)``: its |whitened azimuth residual|, or in 3-D the larger of it and
    its |whitened elevation residual|."""
    misses = np.abs(_whitened_azimuth(lines, position))
    if dims == 3:
        misses[lines.has_elevation] = np.maximum(
            misses[lines.has_elevation], np.abs(_residuals(lines, position, dims)[len(lines) :])
        )
    return misses


def _residuals(lines: Lines, position: NDArray[np.float64], dims: int) -> NDArray[np.float64]:
    azimuth = _whitened_azimuth(lines, position)
    if dims == 2:
        return azimuth
    de, dn, du = _offsets(lines, position)
    has = lines.has_elevation
    elevation = (
        lines.elevation_rad[has] - np.arctan2(du[has], np.hypot(de[has], dn[has]))
    ) / lines.elevation_std_rad[has]
    return np.concatenate((azimuth, elevation))


def _jacobian(lines: Lines, position: NDArray[np.float64], dims: int) -> NDArray[np.float64]:
    """d(whitened residual)/d(position), ``(L [+ L_el], dims)``, per metre (residual =
    measured - predicted angle, over its standard deviation)."""
    de, dn, du = _offsets(lines, position)
    rho2 = np.maximum(de**2 + dn**2, 1e-12)
    rows = (
        -np.stack((dn / rho2, -de / rho2, np.zeros_like(de)), axis=1)[:, :dims]
        / lines.azimuth_std_rad[:, None]
    )
    if dims == 2:
        return rows
    has = lines.has_elevation
    rho = np.sqrt(rho2[has])
    r2 = rho2[has] + du[has] ** 2
    el_rows = np.stack((-du[has] * de[has] / (r2 * rho), -du[has] * dn[has] / (r2 * rho), rho / r2), axis=1)
    return np.concatenate((rows, -el_rows / lines.elevation_std_rad[has, None]))


def _covariance(lines: Lines, position: NDArray[np.float64], dims: int) -> NDArray[np.float64]:
    jacobian = _jacobian(lines, position, dims)
    fisher = jacobian.T @ jacobian
    if np.linalg.cond(fisher) > 1e12:
        raise FixError("the lines fix no point (parallel bearings, or one station)")
    return np.linalg.inv(fisher)


def _check_spread(lines: Lines, position: NDArray[np.float64], covariance: NDArray[np.float64]) -> None:
    """FixError when the fix's 1-sigma error along its worst axis exceeds its distance to the
    nearest station: the lines are near parallel and the 'fix' is anywhere along them."""
    de, dn, du = _offsets(lines, position)
    nearest = float(np.min(np.sqrt(de**2 + dn**2 + du**2)))
    if np.sqrt(np.max(np.linalg.eigvalsh(covariance))) > nearest:
        raise FixError("the lines fix no point: near parallel (the fix's error exceeds its range)")


def _gdop(lines: Lines, position: NDArray[np.float64], dims: int, covariance: NDArray[np.float64]) -> float:
    """``sqrt(trace C) / (sigma * range)``: the fix's RMS error in units of the cross-range
    error of one bearing of the stations' RMS standard deviation at their mean range (1.15 for
    three stations 120 degrees apart around the emitter; large when the lines are near parallel)."""
    de, dn, du = _offsets(lines, position)
    mean_range = float(np.mean(np.sqrt(de**2 + dn**2 + du**2)))
    sigma = float(np.sqrt(np.mean(lines.azimuth_std_rad**2)))
    return float(np.sqrt(np.trace(covariance)) / (sigma * max(mean_range, 1e-9)))


def _with_height(position: NDArray[np.float64], lines: Lines) -> NDArray[np.float64]:
    if len(position) == 3:
        return position.copy()
    return np.array([position[0], position[1], float(np.mean(lines.stations_enu[:, 2]))])
