"""The array: what the antennas are and what they receive.

* :mod:`.geometry`: element positions (:class:`~.geometry.ArrayGeometry`, ULA/UCA/URA
  helpers), steering vectors in the SigMF spatial frame, the wavelength, and the frame's
  rule for what is in front (:func:`~.geometry.front`).
* :mod:`.field_of_view`: what a geometry resolves (a linear array its front half-plane, a
  horizontal planar array the full circle, a vertical planar or 3-D array azimuth and
  elevation) and :class:`~.field_of_view.GeometryError` for what it cannot.
* :mod:`.orientation`: how the array is mounted (heading, tilt, roll) and bearings in the
  local, north-referenced frame.
* :mod:`.lattice`: the rectangular lattice of a URA listed in any order.
* :mod:`.signals`: circular Gaussian waveforms and noise.
* :mod:`.coherence`: a live array's per-channel complex gains from a shared noise source or a
  beacon, their removal, and the coherence figure a calibrator watches;
  :mod:`.channel_calibration`: those gains as a calibration file.
* :mod:`.impairments`: an array's angle- and frequency-dependent gain and phase errors (the
  MoD-DNN paper's eq. (34)) and the impaired array response.
* :mod:`.covariance`: sample covariances, forward-backward averaging, spatial smoothing, and
  the checks of one covariance or a batch.
* :mod:`.hybrid`: the hybrid analog-digital (H2AD) array, its layout and combiner.

Plain numpy; imports only :mod:`~gnuradio.bearing.validation`.
"""
