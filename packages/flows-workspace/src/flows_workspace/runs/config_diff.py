"""Config differences as flat `key=value` pairs (`model.layers[2].width`)."""

from __future__ import annotations

import json
import math
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
        if not _same(a, b):
            changed.append((key, a, b))
    return changed


def _same(a: Any, b: Any) -> bool:
    """Equal and of one type; NaN is the same as NaN (a config value, not a measurement)."""
    if type(a) is not type(b):
        return False
    return bool(a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def render_value(value: Any) -> str:
    """A leaf value as it reads on a command line: JSON, but strings unquoted when plain."""
    if value is MISSING:
        return "-"
    if isinstance(value, str) and value and value.strip() == value and " " not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def changed_values(
    defaults: Any, config: Any, type_defaults: dict[str, Any] | None = None
) -> list[tuple[str, Any]]:
    """`(path, value)` for each value of `config` that differs from `defaults`.

    Where `config` holds another config type than `defaults` does, its fields are
    compared with that type's own defaults from `type_defaults` (registry name -> data).
    Without `defaults`, every value is listed.
    """
    if defaults is None:
        return list(flatten(config).items())
    rebased = rebase_defaults(defaults, config, type_defaults or {})
    return [(key, new) for key, _, new in differences(rebased, config) if new is not MISSING]


def rebase_defaults(defaults: Any, config: Any, type_defaults: dict[str, Any]) -> Any:
    """`defaults` whose subtrees of a type `config` switched hold that type's default fields."""
    if isinstance(config, dict):
        name = config.get(TYPE_KEY)
        same_type = isinstance(defaults, dict) and defaults.get(TYPE_KEY) == name
        if name is not None and not same_type and name in type_defaults:
            # Keep the old type name, so that the switch itself still shows as a change.
            old_name = defaults.get(TYPE_KEY) if isinstance(defaults, dict) else None
            defaults = {TYPE_KEY: old_name, **type_defaults[name]}
        if not isinstance(defaults, dict):
            return defaults
        return {
            key: rebase_defaults(value, config[key], type_defaults) if key in config else value
            for key, value in defaults.items()
        }
    if isinstance(config, list) and isinstance(defaults, list):
        pairs = zip(defaults, config, strict=False)  # shorter lists are compared as far as they go
        common = [rebase_defaults(d, c, type_defaults) for d, c in pairs]
        return common + defaults[len(config) :]
    return defaults
