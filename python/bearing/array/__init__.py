"""The array: what the antennas are and what they receive.

* :mod:`.geometry`: element positions (:class:`~.geometry.ArrayGeometry`, ULA/UCA/URA
  helpers), steering vectors in the SigMF spatial frame, the wavelength.
* :mod:`.impairments`: an array's angle- and frequency-dependent gain and phase errors (the
  MoD-DNN paper's eq. (34)) and the impaired array response.
* :mod:`.covariance`: sample covariances, forward-backward averaging, spatial smoothing, and
  the checks of one covariance or a batch.
* :mod:`.hybrid`: the hybrid analog-digital (H2AD) array, its layout and combiner.

Plain numpy; imports only :mod:`~gnuradio.bearing.validation`.
"""
