"""Captures: multi-antenna SigMF recordings and the simulator that writes them.

* :mod:`.schema`: the format (keys, encodings) and the types a capture is read into;
  :mod:`.reader` reads and checks one (:func:`~.reader.read_capture`; a live array's description,
  :func:`~.reader.read_array_description`), :mod:`.writer` writes one (at once, or streamed by
  :class:`~.writer.CaptureWriter`).
* :mod:`.scenario`: what to simulate (:class:`~.scenario.Scenario`, from or to a JSON file, with
  :mod:`.scenario_json`); :mod:`.simulation`: the samples and the truth; :mod:`.presets`: the named
  scenarios of ``bearing simulate --preset``; :mod:`.live_simulation`: a scenario streamed as a
  live array (channel offsets, a shared noise source).
* :mod:`.heimdall`: the IQ frames and control commands of a KrakenSDR's Heimdall DAQ.

Reading a capture pulls in no estimator: imports :mod:`~gnuradio.bearing.array` only.
"""
