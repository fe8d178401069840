"""Flowgraphs built from the blocks.

* :mod:`.replay`: capture -> covariance -> estimator -> bearings, the flowgraph of ``bearing
  estimate`` and ``bearing evaluate``; its settings in :mod:`.settings` and its methods, by
  name, in :mod:`.methods` (where a new estimation method goes); :mod:`.chain`, the estimation
  plan and chain it shares with the live flowgraph.
* :mod:`.live`: live source -> window selector -> coherence calibrator -> the same chain, the
  flowgraph of ``bearing live`` and ``bearing record``; its sources by spec in
  :mod:`.live_sources`; :mod:`.live_publisher`, ``bearing simulate-live``.
* :mod:`.calibration_capture`: calibration captures through the same front end, as labelled
  training items (``bearing train``).
"""
