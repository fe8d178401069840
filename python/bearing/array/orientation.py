"""How an array is mounted: from the array frame to the local, north-referenced frame.

Bearings are estimated in the array's own frame (SigMF spatial: boresight +x, +y left, +z up;
azimuth clockwise seen from above, elevation above the array's horizontal plane). A capture may
say how the array is mounted, with the SigMF spatial extension's captures fields:

* ``spatial:aperture_azimuth``: the azimuth of the boresight, degrees east of true north (the
  array's *heading*), or
* ``spatial:aperture_bearing``: a bearing object, ``azimuth`` (east of true north) and
  ``elevation`` (the boresight's *tilt* above the horizon, degrees), and
* ``spatial:aperture_rotation`` (spatial v1.1.0): the *roll* of the array about its boresight,
  degrees, clockwise as seen from behind the array looking along boresight (the left side, +y,
  goes up).

The local frame is north (x), west (y), up (z): right-handed like the array frame, so that with
no tilt and no roll it is the array frame turned by the heading about the vertical, and
``true azimuth = heading + azimuth`` (the spatial spec's example: ``(270 + 135) % 360 = 45``).
In general a direction ``u`` of the array frame is ``R_z(-heading) R_y(-tilt) R_x(roll) u`` in
the local frame, whose azimuth (east of true north, clockwise, ``[0, 360)``) and elevation
(above the horizon) are the true bearing. An azimuth-only estimate is taken to lie in the
array's horizontal plane (elevation 0 there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..validation import check_number
from .geometry import direction_angles_deg, direction_vectors


@dataclass(frozen=True)
class Orientation:
    """The mount of an array: heading, tilt and roll in degrees (module docstring)."""

    heading_deg: float
    tilt_deg: float = 0.0
    roll_deg: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "heading_deg", check_number(self.heading_deg, "heading_deg"))
        object.__setattr__(self, "tilt_deg", check_number(self.tilt_deg, "tilt_deg", -90.0, 90.0))
        object.__setattr__(self, "roll_deg", check_number(self.roll_deg, "roll_deg"))

    @property
    def level(self) -> bool:
        """Whether the array is mounted level (no tilt, no roll): only the heading turns it."""
        return self.tilt_deg == 0.0 and self.roll_deg == 0.0

    def rotation(self) -> NDArray[np.float64]:
        """``(3, 3)`` rotation from the array frame to the local (north, west, up) frame."""
        heading, tilt, roll = np.deg2rad([self.heading_deg, self.tilt_deg, self.roll_deg])
        return _rotation_z(-heading) @ _rotation_y(-tilt) @ _rotation_x(roll)

    def to_local(
        self, azimuth_deg: ArrayLike, elevation_deg: ArrayLike = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Directions of the array frame (degrees, broadcast) as true bearings: azimuth east of true
        north in ``[0, 360)`` and elevation above the horizon, degrees, shape ``(N,)`` each."""
        azimuth, elevation = direction_angles_deg(
            direction_vectors(azimuth_deg, elevation_deg) @ self.rotation().T
        )
        return azimuth % 360.0, elevation

    def to_array(self, local: ArrayLike) -> NDArray[np.float64]:
        """Vectors of the local frame ``(N, 3)`` (north, west, up) in the array frame, ``(N, 3)``."""
        return np.asarray(local, dtype=np.float64) @ self.rotation()

    def to_dict(self) -> dict:
        """The fields of a JSON-ready dict (the JSON sink's parameters)."""
        return {"heading_deg": self.heading_deg, "tilt_deg": self.tilt_deg, "roll_deg": self.roll_deg}


def _rotation_x(angle: float) -> NDArray[np.float64]:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rotation_y(angle: float) -> NDArray[np.float64]:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rotation_z(angle: float) -> NDArray[np.float64]:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
