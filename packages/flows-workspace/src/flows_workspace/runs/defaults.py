"""The defaults a run's config is compared with, recorded in its manifest at start.

Recorded rather than recomputed later, so that `flow runs` shows what changed against
the defaults of the code that ran, not of the code as edited since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config_utils import Registry


def defaults_of(config_type: type, registry: Registry | None) -> Any:
    """The plain data of `config_type()`, or None if it needs arguments."""
    from config_utils.serialization import to_data

    try:
        return to_data(config_type(), registry=registry)
    except Exception:  # no defaults is a normal case, not a failure of the run
        return None


def type_defaults(config_data: Any, registry: Registry | None) -> dict[str, Any]:
    """The defaults of every config type named in the saved tree, by registry name.

    `flow runs` compares a field that switched type (`optimizer:momentum`) with that
    type's own defaults, not with the other type's values. Only names the file holds
    are looked up (registered names: lookups that hit, no entry-point scan).
    """
    from config_utils.registry import registry as default_registry

    names = registry or default_registry
    found: dict[str, Any] = {}
    for name in sorted(type_names(config_data)):
        defaults = defaults_of(names.config_class(name), registry)
        if defaults is not None:
            found[name] = defaults
    return found


def type_names(data: Any) -> set[str]:
    """The registry names of the config types the saved tree `data` holds."""
    from config_utils.serialization import TYPE_KEY

    if isinstance(data, dict):
        own = {data[TYPE_KEY]} if isinstance(data.get(TYPE_KEY), str) else set()
        return own.union(*(type_names(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(type_names(item) for item in data))
    return set()
