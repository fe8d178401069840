"""Data files shipped with gr-bearing (the bundled captures, MoD-DNN model and source counters)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .learned.mod_dnn import ModDnn

DEMO_CAPTURE = "demo_ula4.sigmf-meta"
TWO_EMITTERS_CAPTURE = "two_emitters_ula8.sigmf-meta"
URA_CAPTURE = "ura4x4.sigmf-meta"
SCENE = "scene_three_stations"
DEFAULT_MODEL = "mod_dnn_ula4.pt"

MODELS_DIR = Path(__file__).resolve().parent / "data"
"""The runtime models (MoD-DNN's, the source counters'): the package's ``data`` folder."""


def data_path(name: str) -> Path:
    """Path of a bundled capture file: installed under ``<prefix>/share/gr-bearing/data``, or in
    ``examples/data`` of the source tree when the package runs from there."""
    here = Path(__file__).resolve()
    candidates = [
        here.parents[5] / "share" / "gr-bearing" / "data" / name,
        here.parents[2] / "examples" / "data" / name,
    ]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bundled data file {name} not found in {' or '.join(map(str, candidates))}")


def model_path(name: str) -> Path:
    """Path of a runtime model shipped in the package's ``data`` folder (``counters/dnn_ula8.pt``, ...)."""
    path = MODELS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled model file {name} not found in {MODELS_DIR}")
    return path


def demo_capture_path() -> str:
    """The bundled demo capture: 4-element half-wavelength ULA, one emitter sweeping -60..60 deg."""
    return str(data_path(DEMO_CAPTURE))


def two_emitters_capture_path() -> str:
    """The bundled two-emitter capture (preset ``two_emitters_ula8``): 8-element ULA, one
    emitter throughout and one that switches on, moves and switches off."""
    return str(data_path(TWO_EMITTERS_CAPTURE))


def scene_path() -> str:
    """The bundled multi-station scene (``bearing simulate --preset scene_three_stations``): a
    folder of three station captures, ``scene.json`` and ``truth.json`` (docs/positioning.md)."""
    return str(data_path(SCENE))


def station_capture_path() -> str:
    """The first station's capture of the bundled scene (:func:`scene_path`)."""
    return str(data_path(SCENE) / "station-1.sigmf-meta")


def ura_capture_path() -> str:
    """The bundled URA capture (preset ``ura4x4``): a 4 x 4 URA in the y-z plane, one emitter
    sweeping azimuth -60 .. 60 deg while its elevation falls from 40 to -20 deg."""
    return str(data_path(URA_CAPTURE))


def load_model(model_path: str | Path | ModDnn | None = "") -> ModDnn:
    """The MoD-DNN model in ``model_path`` (empty or None: :func:`default_model_path`), as
    :func:`~gnuradio.bearing.learned.mod_dnn.load` reads it; a model already loaded is returned
    as it is, so that the blocks of one flowgraph share one model and read its file once.

    torch, which takes about a second to import, is imported on the first call, not with
    the package: the blocks and `bearing` commands that need no model start without it.

    Raises:
        TypeError: ``model_path`` is neither a path nor a loaded model.
    """
    from .learned.mod_dnn import ModDnn, load

    if isinstance(model_path, ModDnn):
        return model_path
    if model_path is not None and not isinstance(model_path, str | Path):
        raise TypeError(
            f"model_path: a MoD-DNN model file (or a loaded ModDnn), got {type(model_path).__name__}"
        )
    return load(model_path or default_model_path())


def default_model_path() -> str:
    """The bundled MoD-DNN model of the demo array (Liu et al., ACM TOSN 2025), used without ``--model``.

    Raises:
        FileNotFoundError: the bundled model is not there; the message says to pass ``--model``.
    """
    try:
        return str(model_path(DEFAULT_MODEL))
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"no MoD-DNN model file given (--model, or the block's model_path) and {error}; "
            "train one with `bearing train` and pass it with --model"
        ) from None
