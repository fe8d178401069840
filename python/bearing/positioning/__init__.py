"""From bearings to positions: several stations' bearing lines fused into fixes and tracks.

* :mod:`.report`: the bearing report, one station's estimate as a versioned JSON message (what
  the Bearing Publisher sends and ``bearing locate`` reads), and its checks.
* :mod:`.frames`: the local east-north-up frame of a scene (geodetic conversions by pymap3d)
  and the directions of true bearings in it.
* :mod:`.triangulation`: a fix by weighted nonlinear least squares on bearing lines (scipy's
  robust ``least_squares``, outliers gated), in 2-D or 3-D; its covariance, error ellipse and
  geometric dilution of precision; the position CRB from the stations' bearing variances.
* :mod:`.association`: which bearing lines belong to one emitter, for bearings without an id.
* :mod:`.tracking`: a constant-velocity Kalman filter per emitter.
* :mod:`.fusion`: the fusion engine of ``bearing locate``: reports in, time-aligned epochs,
  fixes and tracks out (JSON records and GeoJSON).

No GNU Radio and no network: the ZeroMQ service that feeds the engine is
:mod:`~gnuradio.bearing.flowgraphs.fusion_service`.
"""
