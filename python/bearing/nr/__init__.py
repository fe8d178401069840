"""The 5G NR front end: uplink sounding reference signals (3GPP TS 38.211) to per-antenna channels.

* :mod:`.carrier`: the numerology and OFDM timing; :mod:`.sequences`: Zadoff-Chu based
  low-PAPR sequences and the Gold sequence; :mod:`.srs`: an SRS configuration and its resource
  elements; :mod:`.schedule`: when the SRS windows are.
* :mod:`.channel_estimation`: the LS channel of one occasion (timing, CFO, cyclic shifts).
* :mod:`.metadata`: the ``nr:`` keys of an SRS capture; :mod:`.simulator`: SRS captures of
  moving UEs.

No GNU Radio: the SRS Extractor block (:mod:`~gnuradio.bearing.blocks.srs_extractor`) wraps
these. Imports :mod:`~gnuradio.bearing.array` and :mod:`~gnuradio.bearing.captures`.
"""
