"""The GNU Radio blocks: thin wrappers that move items, tags and messages around the algorithms.

One file per block (and one GRC YAML per block under ``grc/``, by sub-category):

* Sources: :mod:`.capture_source`; live arrays: :mod:`.simulated_array_source`,
  :mod:`.zmq_array_source`, :mod:`.uhd_array_source`, :mod:`.soapy_array_source` (their errors
  in :mod:`.device_errors`), :mod:`.krakensdr_source`.
* Live: :mod:`.window_selector`, :mod:`.coherence_calibrator`, :mod:`.live_readout`.
* Estimators: :mod:`.covariance_accumulator`, :mod:`.doa_estimator`, :mod:`.coarray_dbf`,
  :mod:`.scg_spectrum`, :mod:`.peak_search`, :mod:`.idl_tlbo_estimator`.
* MoD-DNN: :mod:`.mod_dnn_estimator`, :mod:`.autoencoder_filter`, :mod:`.modl_ssr_estimator`.
* 5G NR: :mod:`.srs_extractor` (with its inner :mod:`.srs_channel_estimator`).
* Counting and tracking: :mod:`.source_counter`, :mod:`.candidate_generator`,
  :mod:`.omc_doa_tracker`.
* Sinks: :mod:`.json_sink`, :mod:`.sigmf_array_sink`, :mod:`.bearing_publisher` (to `bearing locate`).

:mod:`.base` holds the estimator blocks' base classes (one output item per input item, the
``bearings`` messages), :mod:`.messages` the tags and messages they exchange (a public
contract). The public API (``from gnuradio import bearing``) exports every block.
"""
