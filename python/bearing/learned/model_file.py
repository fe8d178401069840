"""Model files: one ``torch.save`` dict of plain types and tensors, read back without unpickling code.

A file holds ``format`` (a name such as ``gr-bearing/source-counter``), ``version`` (an
int), ``config`` (a JSON string of the model's configuration dataclass), ``state`` (the
weights, a ``state_dict``), ``checksum`` (:func:`weights_checksum` of ``state``) and further
JSON strings (``history``, ...). :func:`read_model_file` loads it with
``torch.load(weights_only=True)`` (no code in a file ever runs) and refuses, with one line
naming the file, a missing file, a damaged or foreign one (one holding code or objects
included), weights that do not match their checksum (flipped bits), and a newer version. A file
written before checksums existed has none and is read as it is.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import warnings
from pathlib import Path
from typing import Any, TypeVar

import torch

Config = TypeVar("Config")


def write_model_file(
    path: str | Path, model_format: str, version: int, config: Any, state: dict, **records: Any
) -> Path:
    """Write a model file: ``config`` (a dataclass) as JSON, ``records`` each as JSON; returns its path."""
    path = Path(path)
    torch.save(
        {
            "format": model_format,
            "version": version,
            "config": json.dumps(dataclasses.asdict(config)),
            "state": state,
            "checksum": weights_checksum(state),
            **{name: json.dumps(value) for name, value in records.items()},
        },
        path,
    )
    return path


def read_model_file(path: str | Path, model_format: str, max_version: int, what: str) -> dict:
    """The dict of a model file of ``model_format``, versions ``1 .. max_version``.

    Args:
        path: the file.
        model_format: the ``format`` the file must have.
        max_version: the newest version this code reads.
        what: the kind of file for the messages (``"source counter model"``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not readable by ``torch.load(weights_only=True)``, another format, or a
            version outside ``1 .. max_version``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such {what} file")
    try:
        with warnings.catch_warnings():  # torch warns of odd pickle protocols: the refusal says enough
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "weights only load failed" in str(error).lower():  # torch's advice is the unsafe way round
            raise ValueError(
                f"{path}: not a readable {what} file: it holds code or objects that a model file never does "
                "(refused, and nothing of it ran)"
            ) from None
        first = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        raise ValueError(f"{path}: not a readable {what} file (UnpicklingError: {first})") from None
    except Exception as error:  # torch raises several types for a damaged or foreign file
        first_line = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        raise ValueError(
            f"{path}: not a readable {what} file ({type(error).__name__}: {first_line})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != model_format:
        raise ValueError(f"{path}: not a {what} file (no format {model_format!r})")
    if "checksum" in data and data["checksum"] != weights_checksum(data.get("state", {})):
        raise ValueError(f"{path}: damaged {what} file: its weights do not match their checksum")
    version = data.get("version")
    if not isinstance(version, int) or not 1 <= version <= max_version:
        raise ValueError(
            f"{path}: {what} file version {version!r}; this gr-bearing reads versions 1 .. {max_version}"
        )
    return data


def weights_checksum(state: dict) -> str:
    """SHA-256 of a ``state_dict``'s names, dtypes, shapes and values, in name order (hex)."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name]
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def config_from_json(cls: type[Config], text: str) -> Config:
    """The dataclass ``cls`` from its JSON; ``ValueError`` naming unknown fields."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"the configuration is not a JSON object: {text[:80]!r}")
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ValueError(f"unknown model configuration fields: {', '.join(unknown)}")
    return cls(**data)
