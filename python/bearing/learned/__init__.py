"""Learned estimators (torch): MoD-DNN and the baselines it is compared with.

* MoD-DNN (Liu et al., ACM TOSN 2025): :mod:`.autoencoder` (the spatial filter into
  subregions), :mod:`.modl_ssr` (the calibrator unrolled with SCG, :mod:`.scg_torch`),
  :mod:`.mod_dnn` (the model and its file), :mod:`.mod_dnn_training`.
* Baselines: :mod:`.cnn_doa` (a CNN from the covariance), :mod:`.deep_music` (DeepMUSIC), on
  the features of :mod:`.covariance_features`.
* Training: :mod:`.training` (the one fit loop of every network here and of the source
  counters), :mod:`.training_data` (simulated CFRs), :mod:`.calibration` (calibration sets),
  :mod:`.model_file` (versioned model files, loaded with ``weights_only=True``).

No GNU Radio; imports :mod:`~gnuradio.bearing.doa`, :mod:`~gnuradio.bearing.array` and the
simulator's noise (:mod:`~gnuradio.bearing.captures`).
"""
