"""The replay flowgraph behind `bearing estimate`, for the coarray methods (the CLI tests run the rest)."""

from __future__ import annotations

import numpy as np
import pytest
from gnuradio.bearing.replay import ReplayFlowgraph, ReplaySettings


@pytest.mark.parametrize("method", ["coarray-dbf", "scg"])
def test_coarray_methods_keep_records_counters_and_db_spectra(make_capture, method):
    path = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=400)
    flowgraph = ReplayFlowgraph(str(path), ReplaySettings(method=method, average=200), keep_spectra=True)
    flowgraph.run()
    assert [r["method"] for r in flowgraph.records] == [method] * 4
    assert [r["sample_start"] for r in flowgraph.records] == [0, 200, 400, 600]
    assert flowgraph.skipped_windows == 0 and flowgraph.failed_estimates == 0
    spectra = flowgraph.spectra
    assert spectra.shape == (4, flowgraph.grid_deg.size) == (4, 1801)
    # dB relative to each maximum, for --plot, although the blocks output linear spectra.
    np.testing.assert_allclose(spectra.max(axis=1), 0.0, atol=1e-6)
    assert spectra.min() >= -100.0 and spectra.min() < -10.0
    peaks = flowgraph.grid_deg[np.argmax(spectra, axis=1)]
    np.testing.assert_allclose(peaks, [-30.0, -30.0, 25.0, 25.0], atol=0.5)


def test_coarray_methods_with_spatial_smoothing_model_the_first_elements(make_capture):
    path = make_capture()
    flowgraph = ReplayFlowgraph(str(path), ReplaySettings(method="scg", average=256, subarray_length=3))
    flowgraph.run()
    assert len(flowgraph.records) == 2 and flowgraph.chains[0].dbf.model.num_elements == 3
    assert all(abs(r["azimuth_deg"][0] - 40.0) < 0.5 for r in flowgraph.records)


def test_unknown_methods_are_named(make_capture):
    with pytest.raises(ValueError, match=r"unknown method 'magic'.*coarray-dbf, scg"):
        ReplayFlowgraph(str(make_capture()), ReplaySettings(method="magic"))
