"""The hybrid analog-digital (H2AD) array's bearings: candidates, fusion, OMC-DOA, refinement.

* :mod:`.candidates`: each group's ambiguous ESPRIT candidates (Shu et al. 2025).
* :mod:`.fusion`: WGMD and WLMD (the baselines) and one-shot OMC-DOA fusion.
* :mod:`.omc_doa`: online micro-clustering of candidates or bearings (Deng et al. 2025), also
  the tracker of any estimator's bearings.
* :mod:`.refine`: fused bearings moved to the MUSIC peak of all RF chains.

The array model itself is :mod:`~gnuradio.bearing.array.hybrid`. No GNU Radio.
"""
