"""Flowgraph tests of the source counter and of "sources: auto" in the estimator blocks."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.array import covariance
from gnuradio.bearing.array.geometry import ula, wavelength_m
from gnuradio.bearing.blocks import messages
from helpers.flowgraphs import run_within, window_tags
from helpers.signals import snapshots

CARRIER_HZ = 2.4e9
SNAPSHOTS = 400
TRUTHS_DEG = ([12.0], [-25.0, 30.0], [-40.0, 5.0, 45.0])


def _covariances(num_elements: int, truths_deg=TRUTHS_DEG, snr_db: float = 20.0, seed: int = 3) -> np.ndarray:
    """One sample covariance per source set of ``truths_deg``, in order."""
    geometry = ula(num_elements, wavelength_m(CARRIER_HZ) / 2)
    rng = np.random.default_rng(seed)
    return np.stack(
        [
            covariance.sample_covariance(
                snapshots(geometry, wavelength_m(CARRIER_HZ), truth, snr_db, SNAPSHOTS, rng)[0]
            )
            for truth in truths_deg
        ]
    )


def _source(matrices: np.ndarray, tagged: bool = True):
    tags = window_tags(len(matrices), sample_count=SNAPSHOTS) if tagged else []
    return blocks.vector_source_c(
        matrices.astype(np.complex64).ravel().tolist(), False, matrices[0].size, tags
    )


def _run(matrices: np.ndarray, counter, estimator, tagged: bool = True):
    """source -> counter -> estimator; returns the estimator's records and the counter's messages."""
    top = gr.top_block()
    source = _source(matrices, tagged)
    spectra = blocks.null_sink(gr.sizeof_float * len(estimator.grid_deg))
    sink = bearing.json_sink("")
    counts = blocks.message_debug()
    top.connect(source, counter, estimator, spectra)
    top.msg_connect((estimator, "bearings"), (sink, "bearings"))
    top.msg_connect((counter, messages.NUM_SOURCES), (counts, "store"))
    run_within(top)
    return sink.records, [messages.from_pmt(counts.get_message(i)) for i in range(counts.num_messages())]


def _estimator(num_elements: int, **kwargs):
    geometry = ula(num_elements, wavelength_m(CARRIER_HZ) / 2)
    return bearing.doa_estimator(geometry.positions_m.tolist(), CARRIER_HZ, num_sources=0, **kwargs)


@pytest.mark.parametrize("method", ["mdl", "aic", "edc", "dnn", "cnn1d", "fcnn"])
def test_auto_sources_estimate_what_the_counter_counts(method):
    matrices = _covariances(8)
    counter = bearing.source_counter(8, method)  # T from the window tags; learned: the bundled M = 8 model
    records, counts = _run(matrices, counter, _estimator(8))
    assert [c["num_sources"] for c in counts] == [1, 2, 3]
    assert all(c["method"] == method and c["sample_count"] == SNAPSHOTS for c in counts)
    assert [c["sample_start"] for c in counts] == [0, 1000, 2000]
    for record, truth in zip(records, TRUTHS_DEG, strict=True):
        assert record["num_sources"] == len(truth)
        np.testing.assert_allclose(sorted(record["azimuth_deg"]), truth, atol=0.5)


def test_the_count_rides_in_the_window_tag_through_coarray_dbf_to_scg():
    matrices = _covariances(6, TRUTHS_DEG[:2])
    geometry = ula(6, wavelength_m(CARRIER_HZ) / 2).positions_m.tolist()
    counter = bearing.source_counter(6, "mdl", num_snapshots=SNAPSHOTS)
    dbf = bearing.coarray_dbf(geometry, CARRIER_HZ)
    scg = bearing.scg_spectrum(geometry, CARRIER_HZ, num_sources=0)
    peaks = bearing.peak_search(*dbf.grid_deg[[0, -1]], 0.1, num_sources=0, linear=True)
    top = gr.top_block()
    source = _source(matrices)
    sparse, peak_sink = bearing.json_sink(""), bearing.json_sink("")
    dbf_sink = blocks.null_sink(gr.sizeof_float * len(scg.grid_deg))
    top.connect(source, counter, dbf, scg, dbf_sink)
    top.connect(dbf, peaks)
    top.msg_connect((scg, "bearings"), (sparse, "bearings"))
    top.msg_connect((peaks, "bearings"), (peak_sink, "bearings"))
    run_within(top)
    assert [r["num_sources"] for r in sparse.records] == [1, 2]
    assert [r["num_sources"] for r in peak_sink.records] == [1, 2]
    np.testing.assert_allclose(sorted(sparse.records[1]["azimuth_deg"]), TRUTHS_DEG[1], atol=1.0)


def test_no_source_gives_a_record_without_bearings():
    geometry = ula(6, wavelength_m(CARRIER_HZ) / 2)
    noise = snapshots(geometry, wavelength_m(CARRIER_HZ), [0.0], -300.0, SNAPSHOTS, np.random.default_rng(1))[
        0
    ]
    matrices = np.stack([covariance.sample_covariance(noise)])
    records, counts = _run(matrices, bearing.source_counter(6, "mdl"), _estimator(6))
    assert counts[0]["num_sources"] == 0
    assert records[0]["num_sources"] == 0 and records[0]["azimuth_deg"] == []


def test_edc_counts_the_groups_of_a_hybrid_covariance():
    """Two independent 'groups' of 5 and 6 elements seeing the same two sources: EDC on the blocks."""
    first, second = _covariances(5, [TRUTHS_DEG[1]]), _covariances(6, [TRUTHS_DEG[1]], seed=4)
    matrix = np.zeros((11, 11), dtype=np.complex128)
    matrix[:5, :5], matrix[5:, 5:] = first[0], second[0]
    counter = bearing.source_counter(11, "edc", SNAPSHOTS, group_sizes=[5, 6])
    assert counter.count(matrix, SNAPSHOTS) == 2
    with pytest.raises(ValueError, match="group_sizes must be positive and sum to num_elements = 11"):
        bearing.source_counter(11, "edc", group_sizes=[5, 5])


def test_a_covariance_without_snapshot_count_passes_without_a_count_and_auto_skips_it():
    counter = bearing.source_counter(6, "mdl")  # T from the window tag, which is missing
    estimator = _estimator(6)
    records, counts = _run(_covariances(6, TRUTHS_DEG[:2]), counter, estimator, tagged=False)
    assert records == [] and counts == []
    assert counter.failed_estimates == 2 and estimator.failed_estimates == 2


def test_bad_parameters_and_models_are_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="unknown source counting method 'music'"):
        bearing.source_counter(4, "music")
    with pytest.raises(ValueError, match="no bundled 'cnn1d' counter for 6 elements"):
        bearing.source_counter(6, "cnn1d")
    with pytest.raises(ValueError, match="trained for 8 eigenvalues"):
        from gnuradio.bearing.counting.models import shipped_model_path

        bearing.source_counter(4, "cnn1d", model_path=str(shipped_model_path("cnn1d", 8)))
    with pytest.raises(ValueError, match="takes no model"):
        bearing.source_counter(4, "mdl", model_path="x.pt")
    with pytest.raises(FileNotFoundError):
        bearing.source_counter(4, "dnn", model_path=str(tmp_path / "missing.pt"))
    with pytest.raises(ValueError, match=r"num_sources must be between 1 and 5 .* or 0 \(auto\)"):
        _estimator(6).set_num_sources(6)


def test_auto_without_a_counter_fails_each_window_with_a_log_not_a_hang():
    estimator = _estimator(6)
    top = gr.top_block()
    source = _source(_covariances(6, TRUTHS_DEG[:2]))
    top.connect(source, estimator, blocks.null_sink(gr.sizeof_float * len(estimator.grid_deg)))
    run_within(top)
    assert estimator.failed_estimates == 2


def _port_messages(port: str, truths_deg) -> list:
    """The messages a 6-element MDL counter publishes on ``port`` for covariances of ``truths_deg``."""
    counter = bearing.source_counter(6, "mdl")
    debug = blocks.message_debug()
    top = gr.top_block()
    source = _source(_covariances(6, truths_deg))
    top.connect(source, counter, blocks.null_sink(gr.sizeof_gr_complex * 36))
    top.msg_connect((counter, port), (debug, "store"))
    run_within(top)
    return [debug.get_message(i) for i in range(debug.num_messages())]


def test_counter_message_is_a_pmt_dict_with_the_documented_fields():
    (message,) = _port_messages(messages.NUM_SOURCES, TRUTHS_DEG[:1])
    assert pmt.is_dict(message)
    assert set(messages.from_pmt(message)) == {
        "num_sources",
        "method",
        "sample_start",
        "sample_count",
        "truth_azimuth_deg",
    }


def test_count_port_gives_the_pair_for_a_qt_edit_box():
    pairs = _port_messages("count", TRUTHS_DEG[:2])
    assert [pmt.symbol_to_string(pmt.car(p)) for p in pairs] == ["num_sources"] * 2
    assert [pmt.to_long(pmt.cdr(p)) for p in pairs] == [1, 2]
