"""The package as installed: its public API, its rooms, its data, and nothing left over from older layouts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import gnuradio.bearing as bearing
import pytest
from gnuradio.bearing import resources

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "python" / "bearing"
INSTALLED = Path(bearing.__file__).resolve().parent

PUBLIC_NAMES = (
    "ArrayGeometry Capture CaptureError ModDnnPorts autoencoder_filter azimuth_grid candidate_generator "
    "capture_source coarray_dbf covariance_accumulator default_model_path demo_capture_path doa_estimator "
    "json_sink mod_dnn_estimator mod_dnn_ports modl_ssr_estimator omc_doa_tracker peak_search read_capture "
    "scg_spectrum source_counter srs_extractor srs_window_samples steering_matrix two_emitters_capture_path "
    "uca ula ura wavelength_m write_capture"
).split()
"""``gnuradio.bearing.__all__`` before the package was split into rooms: GRC templates and users'
scripts say ``from gnuradio import bearing`` and use these names."""

ROOMS = (
    "array",
    "doa",
    "nr",
    "captures",
    "learned",
    "counting",
    "h2ad",
    "positioning",
    "blocks",
    "flowgraphs",
    "studies",
    "cli",
)


def files(top: Path) -> set[str]:
    """The package's modules and models below ``top``, relative to it."""
    return {str(p.relative_to(top)) for p in top.rglob("*") if p.suffix in (".py", ".pt")}


def test_the_public_api_keeps_every_name():
    assert set(PUBLIC_NAMES) <= set(bearing.__all__)
    missing = [name for name in PUBLIC_NAMES if not hasattr(bearing, name)]
    assert not missing


def test_the_root_holds_the_rooms_and_at_most_six_modules():
    modules = sorted(path.name for path in SOURCE.glob("*.py"))
    assert len(modules) + 1 <= 6, modules  # + the compiled bearing_python
    for room in ROOMS:
        init = SOURCE / room / "__init__.py"
        assert init.is_file(), room
        assert len(init.read_text().strip()) > 80, f"{room}/__init__.py should say what lives there"


@pytest.mark.skipif(INSTALLED == SOURCE, reason="runs against an install")
def test_the_install_is_the_source_tree_and_nothing_else():
    """An install replaces the installed package: no module of an older layout stays behind to be
    imported in place of the one that moved (and the runtime models ship inside the package)."""

    assert files(INSTALLED) == files(SOURCE)


def test_the_build_tree_mirrors_the_source_tree():
    """``PYTHONPATH=<build>/python`` imports the package from the build tree's copies: the copies
    of files that left the source tree are gone there too."""
    build = Path(os.environ.get("BEARING_BUILD_DIR", ROOT / "build")) / "python" / "gnuradio" / "bearing"
    if not build.is_dir():
        pytest.skip(f"no build tree at {build}")
    assert files(build) == files(SOURCE)


def test_the_bundled_models_are_package_data():
    assert Path(resources.default_model_path()).parent == INSTALLED / "data"
    assert resources.model_path("counters/dnn_ula8.pt").is_file()
    with pytest.raises(FileNotFoundError, match=r"bundled model file counters/none\.pt not found"):
        resources.model_path("counters/none.pt")


def test_the_readme_layout_table_matches_the_tree():
    """Every path of README.md's layout table exists, and every room of the package is in it."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Layout") :].split("\n\n")[1]
    paths = [path for row in table.splitlines()[2:] for path in re.findall(r"`([^`]+/)`", row.split("|")[1])]
    missing = [path for path in paths if not (ROOT / path).is_dir()]
    assert not missing
    rooms = {f"python/bearing/{path.name}/" for path in SOURCE.iterdir() if (path / "__init__.py").is_file()}
    assert rooms <= set(paths), rooms - set(paths)


def test_importing_the_core_loads_no_gnu_radio_and_no_block():
    """The layers hold at run time too: the core's modules import neither GNU Radio's runtime nor
    PMT nor a block (the public names of the package are loaded on first use), and the rooms
    without networks do not import torch."""
    core = ("array", "doa", "nr", "captures", "h2ad", "positioning")
    modules = [
        ".".join(("gnuradio", "bearing", *path.relative_to(SOURCE).with_suffix("").parts))
        for room in core
        for path in sorted((SOURCE / room).glob("*.py"))
    ]
    modules += ["gnuradio.bearing.counting.counters", "gnuradio.bearing.validation"]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('gnuradio.gr', 'pmt', 'torch', "
        "'gnuradio.bearing.blocks', 'gnuradio.bearing.flowgraphs'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
