"""Config differences as flat `key=value` pairs (`model.layers[2].width`)."""

from __future__ import annotations

import json
from typing import Any

from config_utils.serialization import TYPE_KEY

MISSING: Any = object()
"""Stands for a key one side of a difference does not have."""


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of config data by dotted path; a `@type` tag becomes the value of its path."""
    if isinstance(data, dict) and data:
        flat: dict[str, Any] = {}
        if TYPE_KEY in data and prefix:
            flat[prefix] = data[TYPE_KEY]
        for key, value in data.items():
            if key != TYPE_KEY:
                flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list) and data:
        flat = {}
        for index, value in enumerate(data):
            flat.update(flatten(value, f"{prefix}[{index}]"))
        return flat
    return {prefix: data}


def differences(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """`(path, old, new)` for each leaf that differs; a side without the leaf is `MISSING`."""
    old, new = flatten(before), flatten(after)
    changed = []
    # In the order of the newer config, then what it no longer has.
    for key in [*new, *(key for key in old if key not in new)]:
        a, b = old.get(key, MISSING), new.get(key, MISSING)
        if a != b or type(a) is not type(b):
            changed.append((key, a, b))
    return changed


def render_value(value: Any) -> str:
    """A leaf value as it reads on a command line: JSON, but strings unquoted when plain."""
    if value is MISSING:
        return "-"
    if isinstance(value, str) and value and value.strip() == value and " " not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def changes_text(defaults: Any, config: Any) -> str:
    """`key=value` pairs of `config` that differ from `defaults` (all of them if no defaults)."""
    if defaults is None:
        pairs = list(flatten(config).items())
    else:
        pairs = [(key, new) for key, _, new in differences(defaults, config) if new is not MISSING]
    return " ".join(f"{key}={render_value(value)}" for key, value in pairs)
