"""Where on the horizon an azimuth-only estimate of a tilted or rolled array points.

An array that does not resolve elevation (:func:`~.field_of_view.field_of_view`) observes only
part of a direction ``u`` of its frame, and its estimate ``az`` (elevation 0 assumed) stands for
every direction with that part:

* a **linear** array, axis ``e`` in the array's horizontal plane perpendicular to its broadside
  ``b``, observes ``u . e``: ``az`` stands for the cone ``u . e = sin(az - b)`` about the axis;
* a **horizontal planar** array (normal ``z``) observes the direction of ``u``'s part in its
  plane: ``az`` stands for the half-plane through the normal at azimuth ``az``.

On a level mount that set crosses the horizon at ``az`` itself (true azimuth ``heading + az``,
:meth:`~.orientation.Orientation.to_local`). On a tilted or rolled mount it does not, and
:meth:`~.orientation.Orientation.to_local` of ``(az, 0)`` is a direction off the horizon whose
azimuth is not the emitter's: an emitter on the horizon 40 deg right of the boresight of a ULA
tilted 10 deg down comes out 0.43 deg off (0.98 deg at 15 deg; a roll turns the axis itself).
A position fix in the horizontal plane takes the emitters at the stations' height, so it needs
the direction where that set meets the horizon: :meth:`Aperture.horizon_azimuth_deg`.
Degrees throughout; the local frame is the orientation module's (north, west, up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..validation import check_number
from .field_of_view import GeometryError, field_of_view
from .geometry import ArrayGeometry, direction_angles_deg, direction_vectors, wavelength_m
from .orientation import Orientation

KINDS = ("linear", "planar")
""":attr:`Aperture.kind`: a linear array, or a planar array in the array's horizontal plane."""

MAX_BROADSIDE_DEG = 360.0
"""The largest magnitude of :attr:`Aperture.broadside_deg` read."""

HORIZON_TOLERANCE = 1e-9
"""A cone that misses the horizon by less than this (as a cosine) is taken to touch it."""


@dataclass(frozen=True)
class Aperture:
    """What an azimuth-only array observes (module docstring).

    Attributes:
        kind: one of :data:`KINDS`.
        broadside_deg: a linear array's broadside, azimuth in the array frame, degrees (its axis
            is 90 degrees from it); None for a planar array.
    """

    kind: str
    broadside_deg: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"aperture kind must be one of {', '.join(KINDS)}, not {str(self.kind)[:40]!r}")
        if self.kind == "planar" and self.broadside_deg is not None:
            raise ValueError("a planar aperture has no broadside_deg")
        if self.kind == "linear":
            value = self.broadside_deg
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not abs(value) <= MAX_BROADSIDE_DEG
            ):
                raise ValueError(
                    f"a linear aperture needs a broadside_deg within +-{MAX_BROADSIDE_DEG:g}, "
                    f"not {str(value)[:40]!r}"
                )
            object.__setattr__(self, "broadside_deg", float(value))

    @classmethod
    def of(cls, geometry: ArrayGeometry, wavelength_m: float | None = None) -> Aperture | None:
        """The aperture of an array that estimates azimuth only; None for one that resolves
        elevation (its bearings need no horizon) or resolves nothing. Give the carrier's
        ``wavelength_m`` when it is known: the estimator judges the geometry at the carrier
        (surveyed positions a millimetre off a plane are still planar there)."""
        try:
            field = field_of_view(geometry, wavelength_m)
        except GeometryError:
            return None
        if field.resolves_elevation or field.kind == "volume":
            return None
        return cls("linear", field.front_deg) if field.kind == "linear" else cls("planar")

    @classmethod
    def given(cls, positions_m: ArrayLike, frequency_hz: float = 0.0) -> Aperture | None:
        """:meth:`of` a block's parameters: the element positions (``(M, 3)`` metres; empty: not
        given, None) and the carrier (hertz; 0: not given, the positions judged as typed)."""
        frequency_hz = check_number(frequency_hz, "frequency_hz", 0.0)
        if not np.size(positions_m):
            return None
        return cls.of(ArrayGeometry(positions_m), wavelength_m(frequency_hz) if frequency_hz > 0 else None)

    def to_dict(self) -> dict:
        """The fields of a JSON-ready dict (a bearing report's ``station.aperture``)."""
        return {"kind": self.kind} | (
            {} if self.broadside_deg is None else {"broadside_deg": self.broadside_deg}
        )

    @classmethod
    def from_dict(cls, fields: dict) -> Aperture:
        """The aperture of :meth:`to_dict`'s fields; ValueError naming what is wrong."""
        if not isinstance(fields, dict):
            raise ValueError("aperture is not a JSON object")
        return cls(fields.get("kind"), fields.get("broadside_deg"))

    def horizon_azimuth_deg(self, orientation: Orientation, azimuth_deg: ArrayLike) -> NDArray[np.float64]:
        """True azimuths (east of true north, ``[0, 360)``), shape ``(N,)``, of the horizontal
        directions for which this array on ``orientation`` estimates ``azimuth_deg`` (array
        frame); NaN where no single horizontal direction gives that estimate (a linear array's
        cone that misses the horizon, or an upright one whose cones all stand on it; a planar
        array mounted on its side).

        A linear array's cone meets the horizon in two directions, mirror images across the
        axis: the one nearer :meth:`~.orientation.Orientation.to_local`'s direction (the
        array's front) is taken. On a level mount both this and that give ``heading + az``.
        """
        rotation = orientation.rotation()
        measured = direction_vectors(np.atleast_1d(np.asarray(azimuth_deg, dtype=np.float64)), 0.0)
        naive = measured @ rotation.T  # (N, 3) local: elevation 0 in the array frame
        if self.kind == "planar":
            normal = rotation[:, 2]
            # The half-plane spanned by the normal and the measured direction, cut by the horizon.
            horizontal = np.sign(normal[2]) * (normal[2] * naive - naive[:, 2:3] * normal)
            lengths = np.linalg.norm(horizontal, axis=1)
            usable = (abs(normal[2]) > HORIZON_TOLERANCE) & (lengths > HORIZON_TOLERANCE)
        else:
            axis_in_array = direction_vectors(self.broadside_deg + 90.0, 0.0)[0]
            axis = rotation @ axis_in_array
            along = measured @ axis_in_array  # u . e, (N,)
            reach = math.hypot(axis[0], axis[1])  # the largest u . e a horizontal direction has
            usable = (reach > HORIZON_TOLERANCE) & (np.abs(along) <= reach + HORIZON_TOLERANCE)
            centre = math.atan2(axis[1], axis[0])
            spread = np.arccos(np.clip(along / max(reach, HORIZON_TOLERANCE), -1.0, 1.0))
            candidates = centre + np.stack([spread, -spread])  # (2, N) angles from north toward west
            nearer = np.argmax(np.cos(candidates) * naive[:, 0] + np.sin(candidates) * naive[:, 1], axis=0)
            angle = np.take_along_axis(candidates, nearer[None], axis=0)[0]
            horizontal = np.stack([np.cos(angle), np.sin(angle), np.zeros_like(angle)], axis=-1)
        return np.where(usable, direction_angles_deg(horizontal)[0] % 360.0, np.nan)
