"""Classical direction finding on a covariance: spectra, bearings and how good they can be.

* :mod:`.classical`: Bartlett, MVDR, MUSIC, root-MUSIC, ESPRIT and the one
  :class:`~.classical.Estimator` every block and the command line use.
* :mod:`.planar`: azimuth and elevation: 2-D Bartlett, MVDR, MUSIC and unitary ESPRIT
  (:class:`~.planar.PlanarEstimator`).
* :mod:`.search`: the search grid that an array's geometry resolves.
* :mod:`.grid`: azimuth grids; :mod:`.peaks`: peak picking on a spectrum.
* :mod:`.coarray`: the coarray model and its DBF spectrum; :mod:`.scg`: the sparse conjugate
  gradient solver (Python side of the C++ kernel ``bearing_python``).
* :mod:`.calibrated_music`: MUSIC on a measured manifold table.
* :mod:`.crb`: Cramer-Rao bounds; :mod:`.metrics`: errors against ground truth.
* :mod:`.tlbo`: teaching-learning-based optimisation (Rao's TLBO and the IDL-TLBO paper's
  two disciplines), batched over the population, for IDL-TLBO's joint estimation.
* :mod:`.self_calibration`: channel gains and bearings from a covariance alone (the
  eigenstructure method of Weiss and Friedlander).

Plain numpy and scipy, no torch, no GNU Radio; imports :mod:`~gnuradio.bearing.array`.
"""
