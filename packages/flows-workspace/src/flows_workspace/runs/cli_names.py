"""How the command line names each config type a run used (`optimizer:sgd`, not `SgdConfig`).

Recorded in the manifest when the run starts, so `flow runs` can write a run's config
the way the command line takes it, and a row can be pasted back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
