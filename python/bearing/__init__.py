"""gr-bearing: direction finding (angle of arrival) with phase-coherent antenna arrays.

The package is in rooms by concern (docs/architecture.md). The core never imports GNU Radio:
:mod:`.array` (geometry, impairments, covariance, the hybrid array), :mod:`.doa` (classical
estimators, coarray and SCG, CRB, metrics), :mod:`.nr` (5G SRS), :mod:`.captures` (SigMF
captures and the simulator), :mod:`.learned` (MoD-DNN and the learned baselines, torch),
:mod:`.counting` (source counters) and :mod:`.h2ad` (hybrid arrays' candidates and OMC-DOA).
On top: :mod:`.blocks` (the GNU Radio blocks, thin wrappers that move items, tags and
messages), :mod:`.flowgraphs`, :mod:`.studies` and :mod:`.cli` (the ``bearing`` command).
At the root: this public API, :mod:`.resources` (bundled captures and models),
:mod:`.plotting`, :mod:`.validation` and the compiled kernel ``bearing_python``.

The public names (:data:`__all__`: the blocks, the capture reader and writer, the array
helpers) are imported on first use (PEP 562), so ``import gnuradio.bearing.doa.classical``
or reading a capture loads neither GNU Radio's runtime nor the blocks; ``from gnuradio import
bearing`` and ``bearing.capture_source(...)``, as GRC writes them, work as always.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ArrayGeometry": ".array.geometry",
    "Capture": ".captures.schema",
    "CaptureError": ".captures.schema",
    "ModDnnPorts": ".blocks.mod_dnn_estimator",
    "autoencoder_filter": ".blocks.autoencoder_filter",
    "azimuth_grid": ".doa.grid",
    "candidate_generator": ".blocks.candidate_generator",
    "bearing_publisher": ".blocks.bearing_publisher",
    "capture_pose": ".positioning.station",
    "capture_segment_times": ".positioning.station",
    "capture_source": ".blocks.capture_source",
    "scene_path": ".resources",
    "station_capture_path": ".resources",
    "coarray_dbf": ".blocks.coarray_dbf",
    "coarray_spectrum_size": ".blocks.coarray_dbf",
    "coherence_calibrator": ".blocks.coherence_calibrator",
    "covariance_accumulator": ".blocks.covariance_accumulator",
    "default_model_path": ".resources",
    "demo_capture_path": ".resources",
    "doa_estimator": ".blocks.doa_estimator",
    "doa_search": ".blocks.doa_estimator",
    "doa_spectrum_size": ".blocks.doa_estimator",
    "idl_tlbo_estimator": ".blocks.idl_tlbo_estimator",
    "json_sink": ".blocks.json_sink",
    "krakensdr_source": ".blocks.krakensdr_source",
    "live_readout": ".blocks.live_readout",
    "mod_dnn_estimator": ".blocks.mod_dnn_estimator",
    "mod_dnn_ports": ".blocks.mod_dnn_estimator",
    "modl_ssr_estimator": ".blocks.modl_ssr_estimator",
    "omc_doa_tracker": ".blocks.omc_doa_tracker",
    "peak_search": ".blocks.peak_search",
    "read_capture": ".captures.reader",
    "scg_spectrum": ".blocks.scg_spectrum",
    "sigmf_array_sink": ".blocks.sigmf_array_sink",
    "simulated_array_source": ".blocks.simulated_array_source",
    "soapy_array_source": ".blocks.soapy_array_source",
    "source_counter": ".blocks.source_counter",
    "srs_extractor": ".blocks.srs_extractor",
    "srs_window_samples": ".blocks.srs_extractor",
    "steering_matrix": ".array.geometry",
    "two_emitters_capture_path": ".resources",
    "uca": ".array.geometry",
    "uhd_array_source": ".blocks.uhd_array_source",
    "ula": ".array.geometry",
    "ura": ".array.geometry",
    "ura_capture_path": ".resources",
    "wavelength_m": ".array.geometry",
    "window_selector": ".blocks.window_selector",
    "write_capture": ".captures.writer",
    "zmq_array_source": ".blocks.zmq_array_source",
}
"""Where each public name lives (relative module)."""

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> object:
    """A public name, or a subpackage or module of the package, imported on first use."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
