"""The studies of ``bearing bench``: each reproduces figures of a paper and writes tables and PNGs.

* :mod:`.accuracy` (a package: setting, methods, run, tables, figures, command): MoD-DNN
  against its baselines (docs/mod-dnn.md).
* :mod:`.counting`: source counting against SNR, the H2AD paper's Fig. 8
  (docs/source-counting.md).
* :mod:`.h2ad`: OMC-DOA against WGMD and WLMD with the CRLB (docs/omc-doa.md).
* :mod:`.report`: what they share (command line, Markdown tables, progress lines).

Each module or package has ``main(argv)``. Studies and benchmarks are not tests.
"""
