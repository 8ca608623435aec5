"""Config values as the command line takes them: `optimizer:sgd`, `--optimizer.lr=0.1`.

Each config type's command-line name is recorded in the manifest when the run starts
(`cli_names`), so `flow runs` can write a run's config so that a row can be pasted back.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config_utils.serialization import TYPE_KEY

if TYPE_CHECKING:
    from config_utils import Registry


def cli_names(type_names: set[str], registry: Registry | None) -> dict[str, str]:
    """The subcommand name tyro gives each registered config type in `type_names`.

    A type tyro cannot name (or that is not registered) keeps its registry name.
    """
    from config_utils.registry import registry as default_registry

    names = registry or default_registry
    found: dict[str, str] = {}
    for name in sorted(type_names):
        try:
            config_class = names.config_class(name)
            # tyro's own rule (an explicit `subcommand(name=...)`, else the class name in
            # kebab case); private, hence the fallback below.
            from tyro._strings import subparser_name_from_type

            found[name] = subparser_name_from_type("", config_class)
        except Exception:  # a name the command line cannot give is shown as recorded
            found[name] = name
    return found


@dataclass(frozen=True)
class ConfigValue:
    """One config value and how to give it on the command line."""

    value: Any
    selection: bool = False
    """Whether the value names a config type (`optimizer:sgd`)."""

    def token(self, key: str) -> str:
        """The value as command-line argument(s): `optimizer:sgd`, `--optimizer.lr=0.1`.

        Field names are spelled as tyro's `--help` shows them, `_` as `-`.
        """
        key = key.replace("_", "-")
        if self.selection:
            return f"{key}:{self.value}"
        value = self.value
        if isinstance(value, bool):
            head, _, last = key.rpartition(".")
            return (
                f"--{head}.{'' if value else 'no-'}{last}"
                if head
                else f"--{'' if value else 'no-'}{last}"
            )
        if isinstance(value, list):
            return " ".join([f"--{key}", *(shlex.quote(_plain(item)) for item in value)])
        return f"--{key}={shlex.quote(_plain(value))}"


def _plain(value: Any) -> str:
    if value is None:
        return "None"
    return str(value)


def config_values(data: Any, cli_names: dict[str, str], prefix: str = "") -> dict[str, ConfigValue]:
    """The config's values by dotted path, union members named as the command line names them."""
    found: dict[str, ConfigValue] = {}
    if isinstance(data, dict):
        name = data.get(TYPE_KEY)
        if isinstance(name, str) and prefix:
            found[prefix] = ConfigValue(cli_names.get(name, name), selection=True)
        for key, value in data.items():
            if key == TYPE_KEY:
                continue
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                found.update(config_values(value, cli_names, path))
            else:
                found[path] = ConfigValue(value)
    elif prefix:
        found[prefix] = ConfigValue(data)
    return found
