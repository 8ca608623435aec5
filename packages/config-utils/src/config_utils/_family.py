"""Register a family of classes (every optimizer of `torch.optim`, say) in one call."""

from __future__ import annotations

import types
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._errors import RegistryError, RegistryWarning, caller_stacklevel

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ._registry import Registry


def register_family(
    registry: Registry,
    base: type,
    members: types.ModuleType | Iterable[type] | Mapping[type, Mapping[str, Any]],
    *,
    exclude: Iterable[str],
    only: Iterable[str] | None,
    partial: bool,
    defaults: Mapping[type, Mapping[str, Any]] | None,
    names: Mapping[type, str] | None,
) -> dict[str, type]:
    """See `Registry.register_family`."""
    if not isinstance(base, type):
        msg = f"`register_family()` takes the family's base class first, not `{base!r}`."  # type: ignore[unreachable]
        raise RegistryError(msg)
    from_module = isinstance(members, types.ModuleType)
    classes = _members(base, members)
    overrides: dict[type, dict[str, Any]] = {cls: {} for cls in classes}
    pairs = list(members.items()) if isinstance(members, Mapping) else []
    for cls, values in [*pairs, *(defaults or {}).items()]:
        _check_member(cls, classes, base, "defaults=")
        overrides[cls].update(values)
    cli_names = {cls: cls.__name__.lower() for cls in classes}
    for cls, cli_name in (names or {}).items():
        _check_member(cls, classes, base, "names=")
        cli_names[cls] = cli_name
    _refuse_shared_names(base, cli_names)
    exclude, only = tuple(exclude), None if only is None else tuple(only)
    registered: dict[str, type] = {}
    skipped: list[str] = []
    failures: list[RegistryError] = []
    for cls in classes:
        try:
            registry.register_with_generated_config(
                cls, partial=partial, exclude=exclude, only=only,
                defaults=overrides[cls], cli_name=cli_names[cls],
            )  # fmt: skip
        except RegistryError as exc:
            if not from_module:  # a member listed by hand must work
                raise
            skipped.append(f"{cls.__name__} ({exc})")
            failures.append(exc)
            continue
        registered[cli_names[cls]] = registry.config_for(cls)
    if not registered:  # nothing could be generated: the arguments are wrong, not a member
        raise failures[0]
    if skipped:
        msg = (
            f"`register_family({base.__qualname__})` skipped {len(skipped)} member(s) the "
            f"command line cannot configure: {'; '.join(skipped)}"
        )
        warnings.warn(msg, RegistryWarning, stacklevel=caller_stacklevel())
    return registered


def _members(base: type, members: Any) -> list[type]:
    """The classes of the family: a module's public subclasses of `base`, or those listed."""
    if isinstance(members, types.ModuleType):
        found = [
            value
            for key, value in vars(members).items()
            if not key.startswith("_")
            and isinstance(value, type)
            and issubclass(value, base)
            and value is not base
        ]
        classes = list(dict.fromkeys(found))
        where = f"module `{members.__name__}`"
    else:
        classes = list(dict.fromkeys(members))
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                msg = (
                    f"`register_family({base.__qualname__})` got `{cls!r}`, which is not a "
                    f"subclass of `{base.__qualname__}`; list only its subclasses."
                )
                raise RegistryError(msg)
        where = "the list"
    if not classes:
        msg = (
            f"`register_family()` found no subclass of `{base.__qualname__}` in {where}; "
            "pass the module (or list) that holds the family's classes."
        )
        raise RegistryError(msg)
    return classes


def _check_member(cls: object, classes: list[type], base: type, argument: str) -> None:
    if cls not in classes:
        msg = (
            f"`{argument}` names `{getattr(cls, '__qualname__', cls)!s}`, which is not a "
            f"member of this `{base.__qualname__}` family; use one of the classes registered."
        )
        raise RegistryError(msg)


def _refuse_shared_names(base: type, cli_names: dict[type, str]) -> None:
    """Two members under one command-line name would make one of them unreachable."""
    seen: dict[str, type] = {}
    for cls, cli_name in cli_names.items():
        if cli_name in seen:
            msg = (
                f"`{seen[cli_name].__qualname__}` and `{cls.__qualname__}` would both be "
                f"`{cli_name}` on the command line; give one another name with "
                f"`names={{{cls.__qualname__}: ...}}`."
            )
            raise RegistryError(msg)
        seen[cli_name] = cls
