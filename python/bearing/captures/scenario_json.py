"""Scenario dataclasses to and from plain, JSON-ready values (scenario files), with errors that
name the field: shared by the narrowband scenarios (:mod:`.scenario`) and the SRS ones
(:mod:`~gnuradio.bearing.nr.simulator`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields, is_dataclass

from ..validation import check_number


def set_numbers(obj: object, **ranges: tuple[float, float]) -> None:
    """Validate and store float fields of a frozen dataclass, each within ``(low, high)`` inclusive."""
    for name, (low, high) in ranges.items():
        object.__setattr__(obj, name, check_number(getattr(obj, name), name, low, high))


def instances(values: object, name: str, kind: type) -> tuple:
    items = as_list(values, name)
    for index, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValueError(
                f"{name}[{index}]: must be a {kind.__name__}, got {item!r} (from_dict converts dictionaries)"
            )
    return tuple(items)


def as_list(values: object, name: str) -> list:
    if not isinstance(values, list | tuple):
        raise ValueError(f"{name}: must be a list, got {values!r}")
    return list(values)


def fields_of(cls: type, data: Mapping) -> dict:
    """``data`` as keyword arguments of dataclass ``cls``: no unknown and no missing fields."""
    known = [f.name for f in fields(cls)]
    unknown = sorted(str(key) for key in data if key not in known)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field; the fields are {', '.join(known)}")
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{missing[0]}: required field is missing")
    return dict(data)


def plain_from_dict(cls: type) -> Callable[[Mapping], object]:
    """``from_dict`` of a dataclass without nested dataclasses."""
    return lambda data: cls(**fields_of(cls, data))


def nested(where: str, build: Callable[[Mapping], object], data: object):
    """``build(data)``, with ``where`` prefixed to the field named by a ValueError."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: must be a JSON object, got {data!r}")
    try:
        return build(data)
    except ValueError as err:
        raise ValueError(f"{where}.{err}") from None


def plain(value: object) -> object:
    """Dataclasses to dictionaries (unset fields left out), tuples to lists."""
    if is_dataclass(value):
        return {
            f.name: plain(getattr(value, f.name)) for f in fields(value) if getattr(value, f.name) is not None
        }
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value
