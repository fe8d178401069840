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
"""

from .array.geometry import ArrayGeometry, steering_matrix, uca, ula, ura, wavelength_m
from .blocks.autoencoder_filter import autoencoder_filter
from .blocks.candidate_generator import candidate_generator
from .blocks.capture_source import capture_source
from .blocks.coarray_dbf import coarray_dbf
from .blocks.covariance_accumulator import covariance_accumulator
from .blocks.doa_estimator import doa_estimator
from .blocks.json_sink import json_sink
from .blocks.mod_dnn_estimator import ModDnnPorts, mod_dnn_estimator, mod_dnn_ports
from .blocks.modl_ssr_estimator import modl_ssr_estimator
from .blocks.omc_doa_tracker import omc_doa_tracker
from .blocks.peak_search import peak_search
from .blocks.scg_spectrum import scg_spectrum
from .blocks.source_counter import source_counter
from .blocks.srs_extractor import srs_extractor, srs_window_samples
from .captures.reader import read_capture
from .captures.schema import Capture, CaptureError
from .captures.writer import write_capture
from .doa.grid import azimuth_grid
from .resources import default_model_path, demo_capture_path, two_emitters_capture_path

__all__ = [
    "ArrayGeometry",
    "Capture",
    "CaptureError",
    "ModDnnPorts",
    "autoencoder_filter",
    "azimuth_grid",
    "candidate_generator",
    "capture_source",
    "coarray_dbf",
    "covariance_accumulator",
    "default_model_path",
    "demo_capture_path",
    "doa_estimator",
    "json_sink",
    "mod_dnn_estimator",
    "mod_dnn_ports",
    "modl_ssr_estimator",
    "omc_doa_tracker",
    "peak_search",
    "read_capture",
    "scg_spectrum",
    "source_counter",
    "srs_extractor",
    "srs_window_samples",
    "steering_matrix",
    "two_emitters_capture_path",
    "uca",
    "ula",
    "ura",
    "wavelength_m",
    "write_capture",
]
