"""Which parameter types a command line can give, without importing tyro.

A generated config is only useful if tyro can render each of its fields. Annotations of
code we do not own often mix what a command line can give with what it cannot
(`lr: float | Tensor`, `betas: tuple[float | Tensor, float | Tensor]`); the command-line
part of such a type is kept (`float`, `tuple[float, float]`), and a type with no such part
(`params: Iterable[Tensor]`, `Any`) has none.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import sys
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

_SCALARS: frozenset[Any] = frozenset({int, float, str, bool, bytes, type(None)})
_UNIONS: tuple[Any, ...] = (Union, types.UnionType)
_SEQUENCES: tuple[Any, ...] = (
    list,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
)
_MAPPINGS: tuple[Any, ...] = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_NONE: Any = None  # "no command-line type", spelt apart from the type `None`


def command_line_type(annotation: Any) -> Any:
    """The part of `annotation` a command line can give, or `None` if there is no such part.

    Scalars, enums, paths, literals and dataclasses are kept; unions keep their members
    that are kept (and are dropped when only `None` is left); tuples, lists, sets and
    dicts are kept when each of their arguments has a command-line type.
    """
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        inner = command_line_type(args[0])
        if inner is None:
            return _NONE
        parameters = (inner, *annotation.__metadata__)
        return Annotated[parameters]
    if annotation in _SCALARS:
        return annotation
    if origin is None:
        return annotation if _is_leaf_class(annotation) else _NONE
    if origin is Literal:
        return annotation if all(_is_literal_value(arg) for arg in args) else _NONE
    if origin in _UNIONS:
        kept = [t for t in (command_line_type(arg) for arg in args) if t is not None]
        if not [t for t in kept if t is not type(None)]:
            return _NONE
        return kept[0] if len(kept) == 1 else Union[tuple(kept)]  # noqa: UP007 - built at run time
    if origin is tuple or origin in _SEQUENCES or origin in _MAPPINGS:
        inner_args = [arg if arg is Ellipsis else command_line_type(arg) for arg in args]
        if not args or any(arg is None for arg in inner_args):
            return _NONE
        return origin[tuple(inner_args)] if len(inner_args) > 1 else origin[inner_args[0]]
    return _NONE


def fits(value: Any, annotation: Any) -> bool:
    """Whether the default `value` is a value of the command-line type `annotation`.

    Only the shapes `command_line_type` keeps are checked; a narrowed type (`float` out of
    `float | Tensor`) must not keep a default that was the other member.
    """
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return fits(value, args[0])
    if origin in _UNIONS:
        return any(fits(value, arg) for arg in args)
    if origin is Literal:
        return value in args
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is type(None):
        return value is None
    if isinstance(annotation, type) and origin is None:
        return isinstance(value, annotation)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(fits(item, args[0]) for item in value)
        return len(args) == len(value) and all(map(fits, value, args))
    if origin in _SEQUENCES:
        return isinstance(value, origin) and all(fits(item, args[0]) for item in value)
    if origin in _MAPPINGS:
        return isinstance(value, origin) and all(
            fits(k, args[0]) and fits(v, args[1]) for k, v in value.items()
        )
    return False


def type_of_default(default: Any) -> Any:
    """The command-line type of an unannotated parameter's scalar default, else `None`."""
    kind = type(default)
    return kind if kind in _SCALARS and kind is not type(None) else _NONE


def describe(annotation: Any) -> str:
    """A short spelling of a type for messages: `LinearConfig | None`, `Iterable[Tensor]`."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in _UNIONS:
        return " | ".join(describe(arg) for arg in args)
    if annotation is type(None):
        return "None"
    if origin is Literal:
        return f"Literal[{', '.join(repr(arg) for arg in args)}]"
    if origin is not None and args:
        inner = ", ".join("..." if arg is Ellipsis else describe(arg) for arg in args)
        return f"{getattr(origin, '__name__', origin)}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__qualname__
    if isinstance(annotation, list):  # the parameters of a `Callable`
        return f"[{', '.join(describe(arg) for arg in annotation)}]"
    return str(annotation).replace("typing.", "")


def _is_leaf_class(annotation: Any) -> bool:
    if not isinstance(annotation, type):
        return False
    # A path type exists only once pathlib is imported; not importing it keeps the registry light.
    pathlib = sys.modules.get("pathlib")
    if pathlib is not None and issubclass(annotation, pathlib.PurePath):
        return True
    return issubclass(annotation, enum.Enum) or dataclasses.is_dataclass(annotation)


def _is_literal_value(value: Any) -> bool:
    return value is None or isinstance(value, (int, float, str, bool, bytes, enum.Enum))
