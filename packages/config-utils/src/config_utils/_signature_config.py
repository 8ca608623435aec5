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
from typing import TYPE_CHECKING, Any

from ._cli_types import command_line_type, describe, fits, type_of_default
from ._docstrings import parameter_help, summary
from ._errors import RegistryError
from ._names import nearest_names

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

_SKIPPED_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def config_from_signature(
    target: Any,
    *,
    name: str | None = None,
    exclude: Iterable[str] = (),
    only: Iterable[str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> type:
    """Make a dataclass whose fields are the parameters of `target` (a class or function).

    Field types come from the annotations, defaults from the defaults (mutable ones are
    copied for each instance), help from the docstring (Google or numpy style). `*args`
    and `**kwargs` are left out, and so are:

    - the parameters named in `exclude` (or all but those in `only`): they are supplied
      at build time, when the registry builds a `functools.partial` awaiting them;
    - parameters with a default whose type a command line cannot give (`Any`,
      `Iterable[Tensor]`): the target's default is used; the generated docstring lists
      them. A type that mixes both (`float | Tensor`) keeps its command-line part.

    The class is named `name` (default `<target name>Config`) and set as an attribute of
    the target's module, unless that module already has something else under that name.

    Args:
        target: The class or function.
        name: The config class's name.
        exclude: Parameters to leave out.
        only: Parameters to keep; every other one is left out.
        defaults: New defaults for some parameters, by name.

    Raises:
        RegistryError: The target has no signature; `exclude`, `only` or `defaults`
            name a parameter it does not have; a parameter without a default cannot be
            given on the command line (or is positional-only); or the target's module
            already defines `name`.
    """
    target_name = getattr(target, "__name__", None) or repr(target)
    name = name or f"{target_name}Config"
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError) as exc:
        msg = f"`{target_name}` has no signature Python can read; write its config by hand."
        raise RegistryError(msg, original=exc) from exc
    params = [p for p in signature.parameters.values() if p.kind not in _SKIPPED_KINDS]
    left_out = _left_out(target_name, signature, exclude, only)
    new_defaults = dict(defaults or {})
    _check_names(target_name, signature, "defaults=", new_defaults, left_out)
    hints = _type_hints(target)
    specs: list[tuple[str, Any, Any]] = []
    automatic: list[str] = []
    for param in params:
        if param.name in left_out:
            continue
        default = new_defaults.get(param.name, param.default)
        annotation = _command_line_annotation(target_name, param, hints, default)
        if annotation is None:
            automatic.append(param.name)
            continue
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            msg = (
                f"`{target_name}{signature}` has the positional-only parameter "
                f"`{param.name}`, which a config cannot pass; make it a normal parameter, "
                f'or leave it out with `exclude=("{param.name}",)`.'
            )
            raise RegistryError(msg)
        kw_only = param.kind is inspect.Parameter.KEYWORD_ONLY
        specs.append((param.name, annotation, _field(default, kw_only)))
    _keyword_only_after_defaults(specs)
    module = getattr(target, "__module__", None) or __name__
    config = dataclasses.make_dataclass(name, specs)
    config.__module__ = module
    config.__qualname__ = name
    config.__doc__ = _docstring(target, target_name, [s[0] for s in specs], left_out, automatic)
    _place_in_module(config, module, name)
    return config


def _left_out(
    target_name: str,
    signature: inspect.Signature,
    exclude: Iterable[str],
    only: Iterable[str] | None,
) -> list[str]:
    """The parameters `exclude=` / `only=` leave out, after checking they exist."""
    if isinstance(exclude, str) or isinstance(only, str):
        msg = (
            "`exclude=` and `only=` take a tuple of parameter names, not a string; write "
            f"`({(only if isinstance(only, str) else exclude)!r},)`."
        )
        raise RegistryError(msg)
    excluded = list(exclude)
    if only is not None and excluded:
        msg = f"Pass `exclude=` or `only=` for `{target_name}`, not both."
        raise RegistryError(msg)
    if only is None:
        _check_names(target_name, signature, "exclude=", excluded, ())
        return excluded
    kept = list(only)
    _check_names(target_name, signature, "only=", kept, ())
    return [name for name in signature.parameters if name not in kept]


def _check_names(
    target_name: str,
    signature: inspect.Signature,
    argument: str,
    names: Iterable[str],
    left_out: Iterable[str],
) -> None:
    """Raise for a name in `names` that is no parameter of the target, or is left out."""
    params = [n for n, p in signature.parameters.items() if p.kind not in _SKIPPED_KINDS]
    for name in names:
        if name in left_out:
            msg = (
                f"`{argument}` gives `{name}` a default, but `{target_name}`'s config leaves "
                f"`{name}` out; remove it from `exclude=` (or add it to `only=`)."
            )
            raise RegistryError(msg)
        if name not in params:
            nearest = nearest_names(name, params)
            hint = f" Did you mean {nearest}?" if nearest else ""
            msg = (
                f"`{argument}` names `{name}`, which is not a parameter of `{target_name}` "
                f"(its parameters: {', '.join(params) or 'none'}).{hint}"
            )
            raise RegistryError(msg)


def _command_line_annotation(
    target_name: str, param: inspect.Parameter, hints: dict[str, Any], default: Any
) -> Any:
    """The field type of `param`; `None` when it is left out (no command-line type, a default).

    Raises:
        RegistryError: The parameter has no command-line type and no default.
    """
    raw = hints.get(param.name, param.annotation)
    if raw is inspect.Parameter.empty:
        annotation = Any if default is inspect.Parameter.empty else type_of_default(default)
        if annotation is Any:
            return Any  # unannotated and required: anything a caller passes
    else:
        annotation = command_line_type(raw)
    if annotation is not None and (default is inspect.Parameter.empty or fits(default, annotation)):
        return annotation
    if default is not inspect.Parameter.empty:
        return None
    shown = "no annotation" if raw is inspect.Parameter.empty else f"type `{describe(raw)}`"
    msg = (
        f"Parameter `{param.name}` of `{target_name}` has {shown}, which the command line "
        f'cannot give, and no default; leave it out with `exclude=("{param.name}",)` '
        "(it is then supplied at build time), or give it a default with `defaults=`."
    )
    raise RegistryError(msg)


def _keyword_only_after_defaults(specs: list[tuple[str, Any, Any]]) -> None:
    """Make a required field keyword-only where it follows a field with a default.

    A dataclass refuses that order otherwise; it arises from `defaults=` or left-out
    parameters, and a config passes keywords anyway.
    """
    seen_default = False
    for _, _, field in specs:
        required = (
            field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        )
        if field.kw_only is True:
            continue
        if required and seen_default:
            field.kw_only = True
        seen_default = seen_default or not required


def _field(default: Any, kw_only: bool) -> Any:
    if default is inspect.Parameter.empty:
        return dataclasses.field(kw_only=kw_only)
    if getattr(default, "__hash__", None) is None:  # dataclasses refuse mutable defaults
        return dataclasses.field(
            default_factory=functools.partial(copy.deepcopy, default), kw_only=kw_only
        )
    return dataclasses.field(default=default, kw_only=kw_only)


def _type_hints(target: Any) -> dict[str, Any]:
    """Evaluated annotations of `target` (its `__init__` for a class).

    When one annotation does not resolve (a name imported only for type checkers), the
    others are still evaluated one by one; the unresolved one stays a string, which has
    no command-line type.
    """
    function = typing.cast("Any", target).__init__ if isinstance(target, type) else target
    try:
        return typing.get_type_hints(function, include_extras=True)
    except Exception:  # an unresolvable forward reference: resolve the others one by one
        pass
    namespace = dict(getattr(function, "__globals__", {}))
    hints: dict[str, Any] = {}
    for name, annotation in getattr(function, "__annotations__", {}).items():
        try:
            hints[name] = typing.get_type_hints(
                _Annotated(annotation), namespace, include_extras=True
            )["value"]
        except Exception:  # this one does not resolve: it stays as written
            hints[name] = annotation
    return hints


class _Annotated:
    """An object with one annotation, `value`, for resolving annotations one at a time."""

    def __init__(self, annotation: Any) -> None:
        self.__annotations__ = {"value": annotation}


def _docstring(
    target: Any, target_name: str, fields: list[str], left_out: list[str], automatic: list[str]
) -> str:
    """The config's docstring: the target's summary, then each field's help as `Args:`.

    tyro reads that form for the help of each option; the target's own docstring may be
    in another style (numpy) or full of notes and math that do not belong in `--help`.
    """
    parts = [inspect.getdoc(target) or ""]
    init = vars(target).get("__init__") if isinstance(target, type) else None
    if init is not None and init.__doc__:  # its own docstring only, never object's
        parts.append(inspect.cleandoc(init.__doc__))
    text = "\n\n".join(p for p in parts if p)
    lines = [summary(text) or f"Configuration of `{target_name}` (generated from its signature)."]
    if left_out:
        lines.append(f"Left out, supplied at build time: {', '.join(left_out)}.")
    if automatic:
        lines.append(
            f"Left out automatically (the command line cannot give them; `{target_name}`'s "
            f"defaults are used): {', '.join(automatic)}."
        )
    helps = parameter_help(text)
    entries = [f"    {name}: {helps[name]}" for name in fields if helps.get(name)]
    if entries:
        lines.append("Args:\n" + "\n".join(entries))
    return "\n\n".join(lines) + "\n"


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
