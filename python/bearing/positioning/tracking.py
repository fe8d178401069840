"""A constant-velocity Kalman filter per emitter, fed with position fixes and their covariances.

State ``x = (position, velocity)`` in the ENU frame (``2 d`` values for a ``d``-dimensional
fix), the continuous white-noise acceleration model (Bar-Shalom, Li and Kirubarajan,
"Estimation with Applications to Tracking and Navigation", 2001, section 6.2.2): over ``dt``
seconds ``F = [[I, dt I], [0, I]]`` and ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]``,
``q`` the acceleration's power spectral density (m^2/s^3). A fix ``z`` with covariance ``R``
updates it with ``H = [I, 0]`` (section 5.2.3), in the Joseph form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_ACCELERATION_PSD = 1.0
"""``q``, m^2/s^3: a walker or a slow car (about 1 m/s^2 over a second)."""


@dataclass
class Track:
    """One emitter's track: ``state`` ``(2 d,)`` and ``covariance`` ``(2 d, 2 d)`` at ``time_s``."""

    track_id: str
    time_s: float
    state: NDArray[np.float64]
    covariance: NDArray[np.float64]
    acceleration_psd: float = DEFAULT_ACCELERATION_PSD
    updates: int = field(default=1)

    @classmethod
    def start(
        cls,
        track_id: str,
        time_s: float,
        position: ArrayLike,
        covariance: ArrayLike,
        speed_std_mps: float = 10.0,
        acceleration_psd: float = DEFAULT_ACCELERATION_PSD,
    ) -> Track:
        """A track at a first fix: its position and covariance, an unknown velocity of
        ``speed_std_mps`` per axis."""
        z = np.asarray(position, dtype=np.float64)
        d = len(z)
        p = np.zeros((2 * d, 2 * d))
        p[:d, :d] = covariance
        p[d:, d:] = np.eye(d) * speed_std_mps**2
        return cls(track_id, float(time_s), np.concatenate((z, np.zeros(d))), p, acceleration_psd)

    @property
    def dims(self) -> int:
        return len(self.state) // 2

    def predicted(self, time_s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The state and covariance predicted to ``time_s`` (not stored)."""
        f, q = self._transition(max(time_s - self.time_s, 0.0))
        return f @ self.state, f @ self.covariance @ f.T + q

    def update(self, time_s: float, position: ArrayLike, covariance: ArrayLike) -> None:
        """Predicts to ``time_s`` and updates with a fix (its position and covariance)."""
        x, p = self.predicted(time_s)
        d = self.dims
        h = np.hstack((np.eye(d), np.zeros((d, d))))
        s = h @ p @ h.T + np.asarray(covariance, dtype=np.float64)
        gain = np.linalg.solve(s, h @ p).T
        x = x + gain @ (np.asarray(position, dtype=np.float64) - h @ x)
        joseph = np.eye(2 * d) - gain @ h
        self.state = x
        self.covariance = joseph @ p @ joseph.T + gain @ covariance @ gain.T
        self.time_s = max(float(time_s), self.time_s)
        self.updates += 1

    def distance2(self, time_s: float, position: ArrayLike, covariance: ArrayLike) -> tuple[float, float]:
        """The squared Mahalanobis distance of a fix from the track's prediction (the gate), and
        ``ln det S`` of the innovation covariance ``S``: a match costs ``d^2 + ln det S`` (the
        negative log-likelihood, so that a track long unseen, whose ``S`` is large, does not
        win over a near one)."""
        x, p = self.predicted(time_s)
        d = self.dims
        innovation = np.asarray(position, dtype=np.float64) - x[:d]
        s = p[:d, :d] + covariance
        return float(innovation @ np.linalg.solve(s, innovation)), float(np.linalg.slogdet(s)[1])

    def _transition(self, dt: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        d = self.dims
        eye = np.eye(d)
        f = np.block([[eye, dt * eye], [np.zeros((d, d)), eye]])
        q = self.acceleration_psd * np.block(
            [[dt**3 / 3 * eye, dt**2 / 2 * eye], [dt**2 / 2 * eye, dt * eye]]
        )
        return f, q
