"""The scene's local frame: east, north, up (metres) about a geodetic origin (WGS-84, pymap3d).

Positions are fused in one local east-north-up (ENU) frame; stations that report a geodetic
position are placed in it by :meth:`LocalFrame.to_enu`, and fixes are reported back in
geodetic coordinates by :meth:`LocalFrame.to_geodetic`. A true bearing (azimuth east of true
north, elevation above the horizon; :mod:`~gnuradio.bearing.array.orientation`) is the ENU
direction :func:`direction_enu`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray

from .report import StationPose


@dataclass(frozen=True)
class LocalFrame:
    """An ENU frame about ``(latitude_deg, longitude_deg, altitude_m)``."""

    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0

    def to_enu(
        self, latitude_deg: ArrayLike, longitude_deg: ArrayLike, altitude_m: ArrayLike
    ) -> NDArray[np.float64]:
        """Geodetic points as ENU positions, metres, shape ``(..., 3)``."""
        e, n, u = pymap3d.geodetic2enu(
            latitude_deg, longitude_deg, altitude_m, self.latitude_deg, self.longitude_deg, self.altitude_m
        )
        return np.stack(np.broadcast_arrays(e, n, u), axis=-1).astype(np.float64)

    def to_geodetic(self, enu_m: ArrayLike) -> NDArray[np.float64]:
        """ENU positions ``(..., 3)`` as ``(latitude_deg, longitude_deg, altitude_m)``, shape ``(..., 3)``."""
        enu = np.asarray(enu_m, dtype=np.float64)
        lat, lon, alt = pymap3d.enu2geodetic(
            enu[..., 0], enu[..., 1], enu[..., 2], self.latitude_deg, self.longitude_deg, self.altitude_m
        )
        return np.stack(np.broadcast_arrays(lat, lon, alt), axis=-1).astype(np.float64)

    def station_enu(self, pose: StationPose) -> NDArray[np.float64]:
        """A station's position in this frame, metres, shape ``(3,)``."""
        if pose.geodetic:
            return self.to_enu(*pose.position)
        return np.asarray(pose.position, dtype=np.float64)

    @classmethod
    def at(cls, pose: StationPose) -> LocalFrame | None:
        """The frame about a geodetic station (the fusion's default origin: the first station
        heard); None for a station given in local coordinates (the scene has no geodetic origin)."""
        return cls(*pose.position) if pose.geodetic else None


def direction_enu(true_azimuth_deg: ArrayLike, elevation_deg: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Unit ENU vectors of true bearings, shape ``(..., 3)``: ``(cos el sin az, cos el cos az, sin el)``."""
    az, el = np.broadcast_arrays(np.deg2rad(true_azimuth_deg), np.deg2rad(elevation_deg))
    return np.stack((np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)), axis=-1)


def true_bearing_deg(vector_enu: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The true azimuth (``[0, 360)``) and elevation, degrees, of ENU vectors ``(..., 3)``."""
    v = np.asarray(vector_enu, dtype=np.float64)
    azimuth = np.rad2deg(np.arctan2(v[..., 0], v[..., 1])) % 360.0
    elevation = np.rad2deg(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return azimuth, elevation
