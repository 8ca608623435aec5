"""Decide once per (target, config class) pair how a config becomes a call.

Binding the signature ahead of time means a build never guesses from a `TypeError` raised
inside a constructor, and a config field the target does not accept is reported as soon
as the pair is known.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import TYPE_CHECKING, Any

from ._errors import RegistryError

if TYPE_CHECKING:
    from collections.abc import Callable

_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@dataclasses.dataclass(frozen=True)
class Binding:
    """How instances of one config class are turned into calls of one target.

    Attributes:
        field_names: The config fields passed to the target as keyword arguments.
        missing: Required parameters of the target the config does not provide; when
            there are any, a build returns a `functools.partial`.
    """

    field_names: tuple[str, ...]
    missing: tuple[str, ...]


def target_signature(target: Callable[..., Any]) -> inspect.Signature | None:
    """The signature of `target`, or `None` for callables Python cannot describe."""
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):  # some builtins and C extensions have none
        return None


def bind(target: Callable[..., Any], config: type, target_name: str) -> Binding:
    """Match the fields of the dataclass `config` against the parameters of `target`.

    Fields with `init=False` are derived values of the config: they are passed only
    when the target names them.

    Raises:
        RegistryError: `config` is not a dataclass, or has an init field the target does
            not accept as a keyword argument.
    """
    if not (isinstance(config, type) and dataclasses.is_dataclass(config)):
        msg = (
            f"`{getattr(config, '__qualname__', config)!s}` is not a dataclass; the config "
            f"of `{target_name}` must be a class decorated with `@dataclass`."
        )
        raise RegistryError(msg)
    fields = dataclasses.fields(config)
    signature = target_signature(target)
    if signature is None:
        return Binding(tuple(f.name for f in fields if f.init), ())
    params = signature.parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    keywords = {name for name, p in params.items() if p.kind in _KEYWORD_KINDS}
    rejected = [f.name for f in fields if f.init and f.name not in keywords and not takes_any]
    if rejected:
        accepted = ", ".join(sorted(keywords)) or "no keyword arguments"
        shown = signature.replace(return_annotation=inspect.Signature.empty)
        names = ", ".join(f"`{n}`" for n in rejected)
        msg = (
            f"`{config.__qualname__}` has field(s) {names} that `{target_name}{shown}` "
            f"does not accept (it accepts: {accepted}). Rename or remove the field(s), "
            "or add the parameter(s) to the target."
        )
        raise RegistryError(msg)
    passed = tuple(f.name for f in fields if f.init or f.name in keywords)
    missing = tuple(
        name
        for name, p in params.items()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        and name not in passed
    )
    return Binding(passed, missing)
