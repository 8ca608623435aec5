"""Generate the config dataclass of a class or function from its signature.

Nobody should hand-mirror a signature into a dataclass that then drifts from it. The
generated class is a real dataclass, placed in the target's module under its name so
that it is importable and picklable, with the target's docstring so that tyro shows
each parameter's help.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import sys
import typing
from typing import Any

from ._errors import RegistryError

_SKIPPED_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def config_from_signature(target: Any, *, name: str | None = None) -> type:
    """Make a dataclass whose fields are the parameters of `target` (a class or function).

    Field types come from the annotations (unannotated parameters are `Any`), defaults
    from the defaults (mutable ones are copied for each instance), help from the
    docstring. `*args` and `**kwargs` are left out. The class is named `name` (default
    `<target name>Config`) and set as an attribute of the target's module, unless that
    module already has something else under that name.

    Raises:
        RegistryError: The target has no signature, has a positional-only parameter
            (a config can only pass keywords), or its module already defines `name`.
    """
    target_name = getattr(target, "__name__", None) or repr(target)
    name = name or f"{target_name}Config"
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        msg = f"`{target_name}` has no signature Python can read; write its config by hand."
        raise RegistryError(msg, original=exc) from exc
    hints = _type_hints(target)
    specs: list[tuple[str, Any, Any]] = []
    for param in signature.parameters.values():
        if param.kind in _SKIPPED_KINDS:
            continue
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            msg = (
                f"`{target_name}{signature}` has the positional-only parameter "
                f"`{param.name}`, which a config cannot pass; make it a normal parameter."
            )
            raise RegistryError(msg)
        annotation = hints.get(param.name, param.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        kw_only = param.kind is inspect.Parameter.KEYWORD_ONLY
        specs.append((param.name, annotation, _field(param.default, kw_only)))
    module = getattr(target, "__module__", None) or __name__
    config = dataclasses.make_dataclass(name, specs)
    config.__module__ = module
    config.__qualname__ = name
    config.__doc__ = _docstring(target, target_name)
    _place_in_module(config, module, name)
    return config


def _field(default: Any, kw_only: bool) -> Any:
    if default is inspect.Parameter.empty:
        return dataclasses.field(kw_only=kw_only)
    if getattr(default, "__hash__", None) is None:  # dataclasses refuse mutable defaults
        return dataclasses.field(
            default_factory=functools.partial(copy.deepcopy, default), kw_only=kw_only
        )
    return dataclasses.field(default=default, kw_only=kw_only)


def _type_hints(target: Any) -> dict[str, Any]:
    """Evaluated annotations of `target` (its `__init__` for a class); {} if they do not resolve."""
    function = typing.cast("Any", target).__init__ if isinstance(target, type) else target
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception:  # unresolvable forward references: keep the raw annotations instead
        return {}


def _docstring(target: Any, target_name: str) -> str:
    """The target's documentation (class and `__init__`), which tyro reads for field help."""
    parts = [inspect.getdoc(target) or ""]
    if isinstance(target, type) and "__init__" in vars(target):
        parts.append(inspect.getdoc(vars(target)["__init__"]) or "")
    text = "\n\n".join(p for p in parts if p)
    return text or f"Configuration of `{target_name}` (generated from its signature)."


def _place_in_module(config: type, module: str, name: str) -> None:
    namespace = sys.modules.get(module)
    if namespace is None:
        return
    existing = getattr(namespace, name, None)
    if existing is not None and getattr(existing, "__qualname__", None) != name:
        msg = (
            f"Module `{module}` already has `{name}` ({existing!r}); pass another `name=` "
            "for the generated config."
        )
        raise RegistryError(msg)
    if existing is not None and not getattr(existing, "__generated_from_signature__", False):
        msg = (
            f"Module `{module}` already defines a class `{name}`; register the target with "
            "`@registry.register_with_config` to use it, or pass another `name=`."
        )
        raise RegistryError(msg)
    config.__generated_from_signature__ = True  # type: ignore[attr-defined]
    setattr(namespace, name, config)
