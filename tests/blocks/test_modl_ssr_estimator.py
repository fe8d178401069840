"""Flowgraph tests of the MoDL-SSR estimator block: the model's estimate from branch spectra and powers."""

from __future__ import annotations

import numpy as np
import pmt
import pytest
from gnuradio import bearing, blocks, gr
from gnuradio.bearing.blocks import messages
from gnuradio.bearing.learned.mod_dnn import load
from helpers.flowgraphs import received_windows, run_within
from helpers.mod_dnn_models import cfrs

TRUTHS_DEG = (-42.0, -12.5, 17.0, 48.0)


def branch_spectra(model, truths_deg=TRUTHS_DEG):
    """Per window (one truth each, 4 snapshots): the P float32 spectra and the branch energies."""
    rng = np.random.default_rng(7)
    windows = [model.spectra_of_branches(model.filter(cfrs([t] * 4, (0.0,), 20.0, rng))) for t in truths_deg]
    return [[s.astype(np.float32) for s in spectra] for spectra, _ in windows], [e for _, e in windows]


def window_tag(offset: int, sample_start: int, power: float | None) -> gr.tag_t:
    info = messages.window_info(sample_start, 4, [1.5])
    if power is not None:
        info["power"] = power
    tag = gr.tag_t()
    tag.offset, tag.key, tag.value = offset, pmt.intern(messages.WINDOW), messages.to_pmt(info)
    return tag


def run_estimator(model_path, branches: list[list[tuple[int, np.ndarray, float | None]]], **kwargs):
    """One vector source per branch of (sample_start, spectrum, power) items -> modl_ssr_estimator."""
    block = bearing.modl_ssr_estimator(str(model_path), **kwargs)
    sources = [
        blocks.vector_source_f(
            np.concatenate([spectrum for _, spectrum, _ in items]).tolist(),
            False,
            size,
            [window_tag(index, start, power) for index, (start, _, power) in enumerate(items)],
        )
        for items, size in zip(branches, block.branch_sizes, strict=True)
    ]
    spectra = blocks.vector_sink_f(len(block.grid_deg))
    sink = bearing.json_sink("")
    compass = blocks.message_debug()
    top = gr.top_block()
    for port, source in enumerate(sources):
        top.connect(source, (block, port))
    top.connect(block, spectra)
    top.msg_connect((block, "bearings"), (sink, "bearings"))
    top.msg_connect((block, "azimuth"), (compass, "store"))
    run_within(top)
    return block, np.asarray(spectra.data()).reshape(-1, len(block.grid_deg)), sink.records, compass, spectra


def test_bearings_and_spectrum_are_the_models_estimate_from_the_same_spectra(narrowband_model):
    model = load(narrowband_model)
    spectra, energies = branch_spectra(model)
    num_elements = model.config.num_elements
    branches = [
        [(1000 * w, spectra[w][p], energies[w][p] / num_elements) for w in range(len(spectra))]
        for p in range(len(model.subregions))
    ]
    block, out, records, compass, sink = run_estimator(narrowband_model, branches, num_sources=2)
    assert block.failed_estimates == 0
    np.testing.assert_array_equal(block.grid_deg, model.grid_deg)
    assert [r["sample_start"] for r in records] == [0, 1000, 2000, 3000]
    assert received_windows(sink) == [(0, 0), (1, 1000), (2, 2000), (3, 3000)]
    assert all("power" not in messages.from_pmt(t.value) for t in sink.tags())
    for index, record in enumerate(records):
        expected = model.estimate_from_spectra(spectra[index], energies[index], 2)
        assert record["method"] == "mod-dnn" and record["truth_azimuth_deg"] == [1.5]
        np.testing.assert_allclose(record["azimuth_deg"], expected.bearings_deg, atol=1e-3)
        np.testing.assert_allclose(out[index], expected.spectrum, atol=1e-3 * expected.spectrum.max())
        # peak_db: the chosen branch's DBF spectrum at each bearing, relative to its maximum.
        dbf = spectra[index][expected.subregion]
        at_bearings = np.interp(expected.bearings_deg, model.subregions[expected.subregion].grid_deg, dbf)
        np.testing.assert_allclose(record["peak_db"], 10 * np.log10(at_bearings / dbf.max()), atol=1e-4)
        assert record["peak_db"][0] > -3.0
    last = pmt.to_double(pmt.cdr(compass.get_message(compass.num_messages() - 1)))
    assert last == pytest.approx(records[-1]["azimuth_deg"][0])


def test_the_branch_with_the_largest_power_gives_the_bearings(narrowband_model):
    """Powers that favour another branch move the estimate to that branch's subregion."""
    model = load(narrowband_model)
    spectra, _ = branch_spectra(model, (17.0,))
    powers = [0.1, 0.1, 0.1, 5.0]  # subregion 3 (30 .. 60 deg and a margin), not the source's own
    branches = [[(0, spectra[0][p], powers[p])] for p in range(4)]
    _, _, (record,), _, _ = run_estimator(narrowband_model, branches)
    grid_deg = model.subregions[3].grid_deg
    assert grid_deg[0] <= record["azimuth_deg"][0] <= grid_deg[-1] and grid_deg[0] > 20.0
    expected = model.estimate_from_spectra(spectra[0], powers)
    assert expected.subregion == 3
    np.testing.assert_allclose(record["azimuth_deg"], expected.bearings_deg, atol=1e-3)


def test_items_without_partner_or_power_are_dropped_counted_and_the_flowgraph_finishes(narrowband_model):
    model = load(narrowband_model)
    spectra, energies = branch_spectra(model)
    branches = [[(1000 * w, spectra[w][p], float(energies[w][p])) for w in range(4)] for p in range(4)]
    del branches[1][1]  # branch 1 has no spectrum of window 1000: its partners are dropped
    branches[2][3] = (3000, spectra[3][2], None)  # window 3000 without power on branch 2: no estimate
    block, out, records, _, sink = run_estimator(narrowband_model, branches)
    assert [r["sample_start"] for r in records] == [0, 2000]
    assert received_windows(sink) == [(0, 0), (1, 2000)]
    assert block.failed_estimates == 3 + 1
    assert out.shape == (2, model.grid_deg.size)


@pytest.mark.parametrize(("option", "value"), [("num_sources", -1), ("min_separation_deg", -1.0)])
def test_bad_parameters_are_named(narrowband_model, option, value):
    with pytest.raises(ValueError, match=option):
        bearing.modl_ssr_estimator(str(narrowband_model), **{option: value})
