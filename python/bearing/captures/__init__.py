"""Captures: multi-antenna SigMF recordings and the simulator that writes them.

* :mod:`.schema`: the format (keys, encodings) and the types a capture is read into;
  :mod:`.reader` reads and checks one (:func:`~.reader.read_capture`), :mod:`.writer` writes one.
* :mod:`.scenario`: what to simulate (:class:`~.scenario.Scenario`, from or to a JSON file, with
  :mod:`.scenario_json`); :mod:`.simulation`: the samples and the truth; :mod:`.presets`: the named
  scenarios of ``bearing simulate --preset``.

Reading a capture pulls in no estimator: imports :mod:`~gnuradio.bearing.array` only.
"""
