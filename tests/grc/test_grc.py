"""GNU Radio Companion: every block YAML loads under [Bearing], every example compiles and runs."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from gnuradio import gr
from gnuradio.bearing import ura_capture_path
from gnuradio.bearing.flowgraphs.replay import ReplayFlowgraph
from gnuradio.bearing.flowgraphs.settings import ReplaySettings
from gnuradio.grc.core.platform import Platform
from gnuradio.grc.core.schema_checker import BLOCK_SCHEME, Validator
from helpers.command import BEARING
from helpers.flowgraphs import run_within

ROOT = Path(__file__).resolve().parents[2]
BLOCK_FILES = sorted((ROOT / "grc").rglob("*.block.yml"))
EXAMPLES = sorted((ROOT / "examples").glob("*.grc"))


def grc_platform(block_paths: list[str] | None = None) -> Platform:
    """GRC's block library from ``block_paths`` (None: GRC's own search path, GRC_BLOCKS_PATH included)."""
    platform = Platform(
        prefs=gr.prefs(),
        version=gr.version(),
        version_parts=(gr.major_version(), gr.api_version(), gr.minor_version()),
    )
    platform.build_library(block_paths)
    return platform


@pytest.fixture(scope="module")
def platform() -> Platform:
    return grc_platform()


SUB_CATEGORIES = {
    "sources": "Sources",
    "estimators": "Estimators",
    "mod_dnn": "MoD-DNN",
    "nr": "5G NR",
    "counting_tracking": "Counting and tracking",
    "live": "Live",
    "sinks": "Sinks",
}
"""The GRC sub-category of the blocks in each folder of grc/ (the folders mirror them)."""


@pytest.mark.parametrize("path", BLOCK_FILES, ids=lambda p: p.name)
def test_block_yaml_follows_the_grc_schema(path):
    data = yaml.safe_load(path.read_text())
    validator = Validator(BLOCK_SCHEME)
    assert validator.run(data), validator.messages
    assert not validator.messages, validator.messages
    assert data["category"] == f"[Bearing]/{SUB_CATEGORIES[path.parent.name]}"
    assert data["templates"]["imports"] == "from gnuradio import bearing"
    assert data["documentation"].strip(), "every block documents its parameters"


def test_installed_blocks_load_into_grc_under_bearing(platform):
    """Every block loads, under [Bearing] in the sub-category of its folder (the issue that split the
    package into rooms gave the blocks sub-categories: before, all stood in [Bearing] itself)."""
    expected = {
        yaml.safe_load(path.read_text())["id"]: ("Bearing", SUB_CATEGORIES[path.parent.name])
        for path in BLOCK_FILES
    }
    loaded = {key: block for key, block in platform.blocks.items() if key in expected}
    assert set(loaded) == set(expected), f"GRC did not load {set(expected) - set(loaded)}"
    assert {key: tuple(block.category) for key, block in loaded.items()} == expected


def compile_example(path: Path, out_dir: Path) -> subprocess.CompletedProcess:
    """``grcc -o out_dir path``; the generated Python file is ``out_dir / (path.stem + ".py")``."""
    return subprocess.run(
        [sys.executable, shutil.which("grcc"), "-o", str(out_dir), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_compiles_with_grcc(path, tmp_path):
    result = compile_example(path, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # grcc drops a connection to an unknown port with a traceback and still exits 0.
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert (tmp_path / f"{path.stem}.py").exists()


@pytest.mark.parametrize(
    ("array", "average", "count"), [("ula", 200, 6), ("uca8", 512, 24), ("ura4x4", 256, 13)]
)
def test_headless_example_gives_the_same_bearings_as_the_cli(make_capture, tmp_path, array, average, count):
    """The example searches what the capture's array resolves, as `bearing estimate` does: a
    ULA's front half-plane, a UCA's full circle, a URA's azimuth and elevation."""
    if array == "ula":
        capture = make_capture(azimuths_deg=(-35.0, 15.0, 50.0), segment_length=400)
    elif array == "ura4x4":
        capture = ura_capture_path()
    else:
        out = tmp_path / "uca8"
        subprocess.run([BEARING, "simulate", "--preset", "uca8", "--out", str(out)], check=True, timeout=120)
        capture = out.with_suffix(".sigmf-meta")
    assert compile_example(ROOT / "examples" / "replay_capture_headless.grc", tmp_path).returncode == 0
    arguments = ["--average", str(average)]
    flowgraph = subprocess.run(
        [sys.executable, str(tmp_path / "replay_capture_headless.py"), "--capture", str(capture), *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    cli = subprocess.run(
        [BEARING, "estimate", str(capture), "--json", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    from_example = [json.loads(line) for line in flowgraph.stdout.splitlines() if line.startswith("{")]
    from_cli = [json.loads(line) for line in cli.stdout.splitlines()]
    assert len(from_cli) == count
    assert from_example == from_cli


def grc_block(name: str, block_id: str, **parameters) -> dict:
    return {
        "name": name,
        "id": block_id,
        "parameters": {key: str(value) for key, value in parameters.items()},
        "states": {"coordinate": [8, 8], "rotation": 0, "state": "enabled"},
    }


def mod_dnn_flowgraph(capture: Path, model: Path, whole_json: Path, by_hand_json: Path) -> dict:
    """Capture Source -> MoD-DNN Estimator (JSON lines into ``whole_json``), and the same chain built
    by hand from the Autoencoder Filter, four Covariance Accumulators and Coarray DBFs and the
    MoDL-SSR Estimator (into ``by_hand_json``)."""
    ports = "bearing.mod_dnn_ports(model)"
    blocks = [
        grc_block("model", "variable", value=repr(str(model))),
        grc_block("recording", "variable", value=f"bearing.read_capture({str(capture)!r})"),
        grc_block("source", "bearing_capture_source", path=repr(str(capture)), num_elements=4, repeat=False),
        grc_block(
            "whole",
            "bearing_mod_dnn_estimator",
            model_path="model",
            average=0,
            overlap=0,
            num_sources=1,
            min_separation_deg=2.0,
            subcarrier_offsets_hz="None",
        ),
        grc_block("whole_sink", "blocks_null_sink", type="float", vlen=f"{ports}.grid_size", num_inputs=1),
        grc_block("whole_json", "bearing_json_sink", path=repr(str(whole_json))),
        grc_block(
            "source_2", "bearing_capture_source", path=repr(str(capture)), num_elements=4, repeat=False
        ),
        grc_block(
            "autoencoder", "bearing_autoencoder_filter", model_path="model", subcarrier_offsets_hz="None"
        ),
        grc_block(
            "ssr", "bearing_modl_ssr_estimator", model_path="model", num_sources=1, min_separation_deg=2.0
        ),
        grc_block("ssr_sink", "blocks_null_sink", type="float", vlen=f"{ports}.grid_size", num_inputs=1),
        grc_block("ssr_json", "bearing_json_sink", path=repr(str(by_hand_json))),
    ]
    connections = [
        ["source", "0", "whole", "0"],
        ["whole", "0", "whole_sink", "0"],
        ["whole", "bearings", "whole_json", "bearings"],
        ["source_2", "0", "autoencoder", "0"],
        ["ssr", "0", "ssr_sink", "0"],
        ["ssr", "bearings", "ssr_json", "bearings"],
    ]
    for branch in range(4):
        grid = f"{ports}.subregion_grids_deg[{branch}]"
        blocks += [
            grc_block(
                f"covariance_{branch}",
                "bearing_covariance_accumulator",
                num_elements=4,
                num_subcarriers=1,
                average=4,
                overlap=0,
                forgetting_factor=0.0,
                forward_backward=False,
                subarray_length=0,
            ),
            grc_block(
                f"dbf_{branch}",
                "bearing_coarray_dbf",
                positions_m="recording.geometry.positions_m.tolist()",
                frequency_hz="recording.frequency_hz",
                grid_start_deg=f"{grid}[0]",
                grid_stop_deg=f"{grid}[1]",
                grid_step_deg=f"{grid}[2]",
                remove_noise_floor=True,
            ),
        ]
        connections += [
            ["autoencoder", str(branch), f"covariance_{branch}", "0"],
            [f"covariance_{branch}", "0", f"dbf_{branch}", "0"],
            [f"dbf_{branch}", "0", "ssr", str(branch)],
        ]
    options = {
        "parameters": {
            "id": "mod_dnn_blocks",
            "generate_options": "no_gui",
            "output_language": "python",
            "title": "MoD-DNN blocks",
            "run_options": "run",
            "run": "True",
        },
        "states": {"coordinate": [8, 8], "rotation": 0, "state": "enabled"},
    }
    return {"options": options, "blocks": blocks, "connections": connections, "metadata": {"file_format": 1}}


@pytest.fixture(scope="module")
def source_platform() -> Platform:
    """GRC with this tree's block YAML (not the installed one) beside GNU Radio's own."""
    global_paths = gr.prefs().get_string("grc", "global_blocks_path", "").split(os.pathsep)
    return grc_platform([str(ROOT / "grc"), *global_paths])


def test_mod_dnn_blocks_compile_and_give_the_replay_flowgraphs_bearings(
    source_platform, make_capture, narrowband_model, tmp_path
):
    """The three MoD-DNN YAMLs in one flowgraph: ports sized from the model, parameters passed."""
    capture = make_capture(azimuths_deg=(-30.0, 25.0), segment_length=12)
    whole, by_hand = tmp_path / "whole.jsonl", tmp_path / "by_hand.jsonl"
    path = tmp_path / "mod_dnn_blocks.grc"
    flowgraph = mod_dnn_flowgraph(capture, narrowband_model, whole, by_hand)
    path.write_text(yaml.safe_dump(flowgraph, sort_keys=False))
    _, generated = source_platform.load_and_generate_flow_graph(str(path), str(tmp_path))
    assert generated, "GRC could not load or generate the flowgraph (its report is in the captured output)"
    spec = importlib.util.spec_from_file_location("mod_dnn_blocks", generated)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run_within(module.mod_dnn_blocks())
    settings = ReplaySettings(
        method="mod-dnn", average=4, model_path=str(narrowband_model)
    )  # the model's window
    replay = ReplayFlowgraph(str(capture), settings)
    replay.run()
    assert len(replay.records) == 6
    for records in (whole, by_hand):
        assert [json.loads(line) for line in records.read_text().splitlines()] == replay.records


def test_two_emitter_example_counts_and_tracks_both_emitters_live(tmp_path):
    """examples/two_emitters.grc (QT GUI, run offscreen at 2000 estimates per second for a few
    seconds): the counter's count reaches the estimator, and the tracker reports both emitters
    while b transmits (segments 10 .. 44 of 60) and only a otherwise."""
    assert compile_example(ROOT / "examples" / "two_emitters.grc", tmp_path).returncode == 0
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path))
    with subprocess.Popen(
        [sys.executable, "-u", str(tmp_path / "two_emitters.py"), "--rate", "2000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
    ) as flowgraph:
        records = []
        for line in flowgraph.stdout:
            if line.startswith("{"):
                records.append(json.loads(line))
            if len(records) == 60:  # one pass over the capture: 60 estimates, 35 with b on
                break
        flowgraph.kill()
    assert len(records) == 60
    counts = [record["num_sources"] for record in records]
    truths = [len(record["truth_azimuth_deg"]) for record in records]
    assert counts == truths and set(counts) == {1, 2}
    for record in records:
        assert np.abs(np.asarray(record["azimuth_deg"]) - -30.0).min() < 0.5  # emitter a, always
