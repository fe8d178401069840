"""Flowgraphs built from the blocks.

* :mod:`.replay`: capture -> covariance -> estimator -> bearings, the flowgraph of ``bearing
  estimate`` and ``bearing evaluate``; its settings in :mod:`.settings` and its methods, by
  name, in :mod:`.methods` (where a new estimation method goes).
* :mod:`.calibration_capture`: calibration captures through the same front end, as labelled
  training items (``bearing train``).
"""
