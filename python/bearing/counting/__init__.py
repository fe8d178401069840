"""Source counting: how many emitters a covariance holds.

* :mod:`.eigen`: the eigenvalue counters (MDL, AIC, the H2AD paper's EDC) and the eigenvalue
  features of the learned ones; :mod:`.models`: the learned counters (DNN, 1D-CNN, FCNN, torch)
  and their files; :mod:`.training`: simulated covariances and training (through
  :mod:`~gnuradio.bearing.learned.training`).
* :mod:`.counters`: the counters by name and :func:`~.counters.count_sources`, the one entry
  point (it reads a learned model, and imports torch, only when one is asked for).
"""
