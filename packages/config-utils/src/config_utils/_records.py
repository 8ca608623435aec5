"""One record per registration, and where a config class defined after its target is found.

A registration is one object (`Registration`): the name, the target, the config class
(or its name while the class is not defined yet) and the options. The registry keeps
them in two maps, by target name and by config name; nothing else is state.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._build import Recipe


@dataclasses.dataclass(eq=False)
class Registration:
    """A target registered under a name, maybe paired with the config class that builds it.

    Attributes:
        name: The name the target is registered under.
        target: The registered class or function.
        config_name: The name of its config class; `None` for `register` (no config).
        config: The config class; `None` while it is not defined yet (or without config).
        instantiate: `False` keeps such configs as configs when a tree is built.
        partial: Always build a `functools.partial` of the target.
        cli_name: The name of its subcommand on the command line, if one was given.
        home: The module the registration was made from, where a config defined after
            its target is looked for (besides the target's own module).
        recipe: How the builder turns a config into a call; set once the pair is known.
    """

    name: str
    target: Any
    config_name: str | None = None
    config: type | None = None
    instantiate: bool = True
    partial: bool = False
    cli_name: str | None = None
    home: str | None = None
    recipe: Recipe | None = None

    @property
    def waiting(self) -> bool:
        """Whether this registration waits for a config class that is not defined yet."""
        return self.config_name is not None and self.config is None

    def modules(self) -> list[str]:
        """The modules where this registration's config class may be defined."""
        found = [self.home, getattr(self.target, "__module__", None)]
        return list(dict.fromkeys(m for m in found if isinstance(m, str)))


def find_config_class(name: str, modules: Iterable[str]) -> type | None:
    """The dataclass called `name` that is defined in one of `modules`, if one exists now.

    Module globals come first. A class defined in a function body (after the target it
    configures) is in no namespace the registry can see without keeping the function's
    frame alive, so living classes are searched next, by name and module; when several
    match, the newest definition (last found) wins.
    """
    modules = list(modules)
    for module in modules:
        found = vars(sys.modules[module]).get(name) if module in sys.modules else None
        if isinstance(found, type):  # pairing a class that is no dataclass says what is wrong
            return found
    matches = [cls for cls in living_classes(modules) if cls.__name__ == name]
    return matches[-1] if matches else None


def defined_names(modules: Iterable[str]) -> set[str]:
    """Names of the dataclasses defined in `modules` (globals and function bodies)."""
    modules = list(modules)
    names = {cls.__name__ for cls in living_classes(modules)}
    for module in modules:
        namespace = vars(sys.modules[module]) if module in sys.modules else {}
        names.update(
            key
            for key, value in namespace.items()
            if isinstance(value, type) and dataclasses.is_dataclass(value)
        )
    return names


def living_classes(modules: list[str]) -> list[type]:
    """Every dataclass that exists now and was defined in one of `modules`.

    Walks the subclass tree from `object` (a few milliseconds even with large libraries
    imported); only a config that is still missing pays for it.
    """
    wanted = set(modules)
    found: list[type] = []
    seen: set[type] = set()
    stack: list[type] = [object]
    while stack:
        cls = stack.pop()
        try:
            subclasses: list[type] = type.__subclasses__(cls)
        except TypeError:  # a metaclass that refuses the unbound call
            continue
        for sub in subclasses:
            if sub in seen:
                continue
            seen.add(sub)
            stack.append(sub)
            if sub.__module__ in wanted and dataclasses.is_dataclass(sub):
                found.append(sub)
    return found
