"""Model files: one ``torch.save`` dict of plain types and tensors, read back without unpickling code.

A file holds ``format`` (a name such as ``gr-bearing/source-counter``), ``version`` (an
int), ``config`` (a JSON string of the model's configuration dataclass), ``state`` (the
weights, a ``state_dict``) and further JSON strings (``history``, ...). :func:`read_model_file`
loads it with ``torch.load(weights_only=True)`` and refuses, with an error naming the file,
a missing file, a damaged or foreign one, and a newer version.
"""

from __future__ import annotations

import dataclasses
import json
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
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for a damaged or foreign file
        raise ValueError(f"{path}: not a readable {what} file ({type(error).__name__}: {error})") from None
    if not isinstance(data, dict) or data.get("format") != model_format:
        raise ValueError(f"{path}: not a {what} file (no format {model_format!r})")
    version = data.get("version")
    if not isinstance(version, int) or not 1 <= version <= max_version:
        raise ValueError(
            f"{path}: {what} file version {version!r}; this gr-bearing reads versions 1 .. {max_version}"
        )
    return data


def config_from_json(cls: type[Config], text: str) -> Config:
    """The dataclass ``cls`` from its JSON; ``ValueError`` naming unknown fields."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"the configuration is not a JSON object: {text[:80]!r}")
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
        raise ValueError(f"unknown model configuration fields: {', '.join(unknown)}")
    return cls(**data)
