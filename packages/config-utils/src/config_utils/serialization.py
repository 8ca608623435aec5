"""Config trees to plain data and back, exactly, guided by the declared field types.

The file format is JSON (indented, UTF-8), so a saved config is easy to read, diff and
edit by hand:

- a dataclass is an object of its `init` fields; a field missing from the file takes its
  default, a key naming no field is an error;
- where the declared type does not say which dataclass a value is (a union, a base class,
  `Any`), the object carries `"@type": "<registry name>"`, the name its config is
  registered under. Loading looks the name up in the registry and never imports anything
  from the file, so a config file cannot run arbitrary code;
- `Path` is a string, an `Enum` member is its name, a `Literal` is its value, tuples and
  lists are arrays, a dict is an object (keys `str`, `int` or `Enum` names);
- `float` infinities are written `Infinity` / `-Infinity` (as Python's `json` does).

Errors name the place in the file, e.g. ``config.model.layers[2]: unknown config type
`Foo` ...``. Ambiguous unions of string-like types (`str | Path`) load as the first member
that accepts the value.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
import types
import typing
import weakref
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union, get_args, get_origin

from ._cli_types import describe
from ._errors import RegistryError, UnknownNameError
from ._typed import Configures, ConfiguresPartial

if TYPE_CHECKING:
    from ._registry import Registry

_T = TypeVar("_T")

TYPE_KEY = "@type"
"""The key naming the registered config type of a dataclass whose type the field leaves open."""
ROOT = "config"
"""How error paths name the root of the tree."""

_NONE_TYPE = type(None)
_UNION_TYPES: tuple[Any, ...] = (Union, types.UnionType)


class SerializationError(RegistryError):
    """A config that cannot be saved, or data that does not fit the declared types.

    `path` is the place in the tree (``config.model.layers[2]``).
    """


def to_data(config: object, *, registry: Registry | None = None) -> Any:
    """The plain data (dicts, lists, str, numbers, bool, None) of the config tree `config`.

    Args:
        config: A dataclass instance (or any value the format supports).
        registry: Where union members' names come from (default: the default registry).

    Raises:
        SerializationError: a value of an unsupported type, or a dataclass in a union
            that is not a registered config (its type could not be named in the file).
    """
    encoder = _Encoder(_registry_or_default(registry))
    try:
        return encoder.encode(config, type(config), ROOT)
    except RecursionError as error:
        raise _too_deep(config) from error


def from_data(config_type: type[_T], data: Any, *, registry: Registry | None = None) -> _T:
    """Rebuild a `config_type` tree from the plain data `to_data` made.

    Raises:
        SerializationError: unknown type name, removed field, or a value of the wrong type;
            the message starts with the path of the bad value.
    """
    decoder = _Decoder(_registry_or_default(registry))
    try:
        decoded = decoder.decode(data, config_type, ROOT)
    except RecursionError as error:
        raise _too_deep(data) from error
    return typing.cast("_T", decoded)


def dumps(config: object, *, registry: Registry | None = None) -> str:
    """The config file text (indented JSON ending in a newline) of `config`."""
    data = to_data(config, registry=registry)
    try:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    except RecursionError as error:
        raise _too_deep(data) from error


def loads(config_type: type[_T], text: str, *, registry: Registry | None = None) -> _T:
    """Rebuild a `config_type` from config file text.

    Raises:
        SerializationError: the text is not JSON, or does not fit `config_type`.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        msg = f"not a config file (invalid JSON at line {error.lineno}, column {error.colno})"
        raise SerializationError(msg) from error
    except RecursionError as error:
        raise _too_deep(None) from error
    return from_data(config_type, data, registry=registry)


def save(config: object, path: Path, *, registry: Registry | None = None) -> None:
    """Write `config` to the file `path` whole or not at all (temp file, then rename)."""
    import os
    import secrets

    text = dumps(config, registry=registry)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 honours the umask, unlike tempfile.mkstemp (always 0600).
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load(config_type: type[_T], path: Path, *, registry: Registry | None = None) -> _T:
    """Read a `config_type` from the file `path`; errors start with the file's name.

    Raises:
        SerializationError: unreadable file, or data that does not fit `config_type`.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        msg = f"cannot read config file `{path}`: {error.strerror or error}"
        raise SerializationError(msg) from error
    try:
        return loads(config_type, text, registry=registry)
    except SerializationError as error:
        msg = f"{path}: {error.message}"
        raise SerializationError(msg, path=error.path) from error


def _registry_or_default(registry: Registry | None) -> Registry:
    if registry is not None:
        return registry
    from .registry import registry as default

    return default


def _too_deep(tree: object) -> SerializationError:
    """The error for a tree deeper than the recursion limit, or one that contains itself."""
    from ._build import find_cycle

    cycle = find_cycle(tree, ROOT)
    if cycle is not None:
        msg = f"{cycle}: the config contains itself; a config must be a tree"
        return SerializationError(msg, path=cycle)
    msg = (
        f"the config is nested deeper than Python's recursion limit ({sys.getrecursionlimit()}) "
        "allows; flatten it or raise the limit with sys.setrecursionlimit"
    )
    return SerializationError(msg)


def _fail(path: str, message: str) -> typing.NoReturn:
    msg = f"{path}: {message}"
    raise SerializationError(msg, path=path)


# Types ------------------------------------------------------------------------------------


def _strip(declared: Any) -> Any:
    """`declared` without `Annotated[...]` metadata (tyro markers, for one)."""
    while get_origin(declared) is typing.Annotated:
        declared = get_args(declared)[0]
    return declared


def _is_open(declared: Any) -> bool:
    """Whether `declared` leaves the value's class open.

    `Any`, `object`, a type variable, or "any registered config" (`Configures[X]`, which
    `config_utils.cli.ConfigOf[X]` is to a type checker).
    """
    return (
        declared is Any
        or declared is object
        or isinstance(declared, TypeVar)
        or get_origin(declared) in (Configures, ConfiguresPartial)
    )


def _union_members(declared: Any) -> tuple[Any, ...] | None:
    if get_origin(declared) in _UNION_TYPES:
        return tuple(_strip(member) for member in get_args(declared))
    return None


# Weak keys: a config class redefined in a notebook cell must not be kept alive here.
_FIELD_TYPES: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()


def _field_types(cls: type) -> dict[str, Any]:
    """The declared types of the `init` fields of dataclass `cls`, string annotations resolved."""
    cached = _FIELD_TYPES.get(cls)
    if cached is not None:
        return cached
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except Exception as error:
        msg = f"cannot resolve the field types of `{cls.__qualname__}`: {error}"
        raise SerializationError(msg) from error
    resolved = {field.name: hints.get(field.name, Any) for field in _init_fields(cls)}
    _FIELD_TYPES[cls] = resolved
    return resolved


def _init_fields(cls: type) -> list[dataclasses.Field[Any]]:
    return [field for field in dataclasses.fields(cls) if field.init]


def _type_name(declared: Any) -> str:
    """A short spelling of a type for messages: `LinearConfig | ConvConfig`, `list[int]`."""
    return describe(declared)


def _dataclass_candidates(declared: Any) -> list[type] | None:
    """The dataclasses `declared` names, or None when it leaves the class open."""
    declared = _strip(declared)
    if _is_open(declared):
        return None
    members = _union_members(declared) or (declared,)
    candidates: list[type] = []
    for member in members:
        if _is_open(member):
            return None
        if isinstance(member, type) and dataclasses.is_dataclass(member):
            candidates.append(member)
    return candidates


# Encoding ---------------------------------------------------------------------------------


class _Encoder:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def encode(self, value: Any, declared: Any, path: str) -> Any:
        declared = _strip(declared)
        # Enum first: an IntEnum or StrEnum member is also an int or a str.
        if isinstance(value, enum.Enum):
            return value.name
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, PurePath):
            return str(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._dataclass(value, declared, path)
        member = _member_for(value, declared)
        if isinstance(value, (list, tuple)):
            return [
                self.encode(item, _element_type(member, index), f"{path}[{index}]")
                for index, item in enumerate(value)
            ]
        if isinstance(value, dict):
            if TYPE_KEY in value:
                _fail(path, f"cannot save dict key `{TYPE_KEY}`: it names config types in the file")
            _, value_type = _dict_types(member)
            return {
                _encode_key(key, path): self.encode(item, value_type, f"{path}[{key!r}]")
                for key, item in value.items()
            }
        _fail(path, f"cannot save a value of type `{type(value).__qualname__}` in a config file")

    def _dataclass(self, value: Any, declared: Any, path: str) -> dict[str, Any]:
        cls = type(value)
        data: dict[str, Any] = {}
        if _dataclass_candidates(declared) != [cls]:
            if not self.registry.is_registered_config(cls):
                _fail(
                    path,
                    f"`{cls.__qualname__}` fills a field typed `{_type_name(declared)}` but is "
                    "not a registered config, so the file could not name its type; register "
                    "its target with `@registry.register_with_config`",
                )
            data[TYPE_KEY] = self.registry.config_name(cls)
        for name, field_type in _field_types(cls).items():
            data[name] = self.encode(getattr(value, name), field_type, f"{path}.{name}")
        return data


def _member_for(value: Any, declared: Any) -> Any:
    """The member of `declared` (a union, maybe) whose container kind fits `value`."""
    for member in _union_members(declared) or (declared,):
        # On Python 3.11+ `Any` is a class that refuses isinstance(); an open member says
        # nothing about the items, which is what the fallback below says too.
        if _is_open(member):
            continue
        origin = get_origin(member) or member
        if isinstance(origin, type) and isinstance(value, origin):
            return member
    return Any


def _element_type(declared: Any, index: int) -> Any:
    args = get_args(declared)
    if not args:
        return Any
    if get_origin(declared) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[index] if index < len(args) else Any
    return args[0]


def _dict_types(declared: Any) -> tuple[Any, Any]:
    args = get_args(declared)
    if len(args) == 2:
        return _strip(args[0]), args[1]
    return Any, Any


def _encode_key(key: Any, path: str) -> str:
    if isinstance(key, enum.Enum):
        return key.name
    if isinstance(key, str):
        return key
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    _fail(path, f"cannot save dict key `{key!r}`: keys must be str, int or Enum members")


# Decoding ---------------------------------------------------------------------------------


class _Mismatch(SerializationError):
    """The data does not fit one member of a union (the next member may fit)."""


class _Decoder:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def decode(self, data: Any, declared: Any, path: str, *, strict: bool = False) -> Any:
        declared = _strip(declared)
        if _is_open(declared):
            return self._open(data, path)
        members = _union_members(declared)
        if members is not None:
            return self._union(data, declared, members, path)
        if declared is _NONE_TYPE or declared is None:
            return self._expect(data is None, data, declared, path, None)
        if get_origin(declared) is Literal:
            return self._literal(data, declared, path)
        # Generic aliases first: on Python 3.10 `isinstance(list[int], type)` is true.
        origin = get_origin(declared)
        if origin is not None:
            return self._container(data, declared, origin, path)
        if isinstance(declared, type):
            if dataclasses.is_dataclass(declared):
                return self._dataclass(data, declared, path)
            return self._scalar_or_container(data, declared, path, strict=strict)
        _fail(path, f"cannot load a field typed `{_type_name(declared)}`")

    def _open(self, data: Any, path: str) -> Any:
        if isinstance(data, dict):
            if TYPE_KEY in data:
                return self._dataclass(data, object, path)
            return {key: self._open(item, f"{path}[{key!r}]") for key, item in data.items()}
        if isinstance(data, list):
            return [self._open(item, f"{path}[{index}]") for index, item in enumerate(data)]
        return data

    def _union(self, data: Any, declared: Any, members: tuple[Any, ...], path: str) -> Any:
        if data is None and _NONE_TYPE in members:
            return None
        if isinstance(data, dict) and TYPE_KEY in data:
            return self._dataclass(data, declared, path)
        # Strict first so that `1` stays an int in `float | int`; then let ints fill floats.
        for strict in (True, False):
            for member in members:
                if member is _NONE_TYPE:
                    continue
                try:
                    return self.decode(data, member, path, strict=strict)
                except _Mismatch:
                    continue
        msg = f"`{_short(data)}` is not a valid `{_type_name(declared)}`"
        raise _Mismatch(f"{path}: {msg}", path=path)

    def _expect(self, ok: bool, data: Any, declared: Any, path: str, value: Any) -> Any:
        if not ok:
            msg = f"`{_short(data)}` is not a valid `{_type_name(declared)}`"
            raise _Mismatch(f"{path}: {msg}", path=path)
        return value

    def _literal(self, data: Any, declared: Any, path: str) -> Any:
        for choice in get_args(declared):
            if isinstance(choice, enum.Enum) and data == choice.name:
                return choice
            if type(choice) is type(data) and choice == data:
                return choice
        choices = ", ".join(f"`{_short(c)}`" for c in get_args(declared))
        msg = f"`{_short(data)}` is not one of {choices}"
        raise _Mismatch(f"{path}: {msg}", path=path)

    def _scalar_or_container(self, data: Any, declared: type, path: str, *, strict: bool) -> Any:
        if declared is bool:
            return self._expect(type(data) is bool, data, declared, path, data)
        if declared is int:
            return self._expect(type(data) is int, data, declared, path, data)
        if declared is float:
            fits = type(data) is float or (not strict and type(data) is int)
            return self._expect(fits, data, declared, path, float(data) if fits else None)
        if declared is str:
            return self._expect(type(data) is str, data, declared, path, data)
        if issubclass(declared, enum.Enum):
            member = declared.__members__.get(data) if isinstance(data, str) else None
            if member is None:
                names = ", ".join(f"`{name}`" for name in declared.__members__)
                msg = f"`{_short(data)}` is not a member of `{declared.__qualname__}` ({names})"
                raise _Mismatch(f"{path}: {msg}", path=path)
            return member
        if issubclass(declared, PurePath):
            ok = isinstance(data, str)
            return self._expect(ok, data, declared, path, declared(data) if ok else None)
        if declared in (list, tuple, dict):
            return self._container(data, declared, declared, path)
        _fail(path, f"cannot load a field typed `{_type_name(declared)}`")

    def _container(self, data: Any, declared: Any, origin: Any, path: str) -> Any:
        if origin in (list, tuple) or origin in _SEQUENCE_ORIGINS:
            if not isinstance(data, list):
                self._expect(False, data, declared, path, None)
            args = get_args(declared)
            fixed = origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis)
            if fixed and len(args) != len(data):
                expected = f"expected {len(args)} items for `{_type_name(declared)}`"
                msg = f"{path}: {expected}, got {len(data)}"
                raise _Mismatch(msg, path=path)
            items = [
                self.decode(item, _element_type(declared, index), f"{path}[{index}]")
                for index, item in enumerate(data)
            ]
            return tuple(items) if origin is tuple else items
        if origin is dict or origin in _MAPPING_ORIGINS:
            if not isinstance(data, dict):
                self._expect(False, data, declared, path, None)
            key_type, value_type = _dict_types(declared)
            return {
                _decode_key(key, key_type, path): self.decode(item, value_type, f"{path}[{key!r}]")
                for key, item in data.items()
            }
        _fail(path, f"cannot load a field typed `{_type_name(declared)}`")

    def _dataclass(self, data: Any, declared: Any, path: str) -> Any:
        if not isinstance(data, dict):
            self._expect(False, data, declared, path, None)
        cls = self._class_of(data, declared, path)
        field_types = _field_types(cls)
        unknown = [key for key in data if key != TYPE_KEY and key not in field_types]
        if unknown:
            known = ", ".join(f"`{name}`" for name in field_types) or "none"
            _fail(
                f"{path}.{unknown[0]}",
                f"`{cls.__qualname__}` has no field `{unknown[0]}` (its fields: {known}); "
                "remove it from the file or rename it",
            )
        kwargs: dict[str, Any] = {}
        for field in _init_fields(cls):
            if field.name in data:
                field_path = f"{path}.{field.name}"
                kwargs[field.name] = self.decode(
                    data[field.name], field_types[field.name], field_path
                )
            elif (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            ):
                _fail(f"{path}.{field.name}", f"missing; `{cls.__qualname__}` needs a value")
        try:
            return cls(**kwargs)
        except Exception as error:
            _fail(path, f"`{cls.__qualname__}(...)` raised {type(error).__name__}: {error}")

    def _class_of(self, data: dict[str, Any], declared: Any, path: str) -> type:
        candidates = _dataclass_candidates(declared)
        name = data.get(TYPE_KEY)
        if name is None:
            if candidates is not None and len(candidates) == 1:
                return candidates[0]
            raise _Mismatch(
                f"{path}: the object has no `{TYPE_KEY}` naming its config type, and "
                f"`{_type_name(declared)}` does not say which it is",
                path=path,
            )
        if not isinstance(name, str):
            _fail(path, f"`{TYPE_KEY}` must be a string, not `{_short(name)}`")
        try:
            cls = self.registry.config_class(name)
        except UnknownNameError as error:
            _fail(path, f"unknown config type: {error.message}")
        if candidates is not None and not any(issubclass(cls, c) for c in candidates):
            _fail(path, f"config type `{name}` does not fit a field typed `{_type_name(declared)}`")
        return cls


_SEQUENCE_ORIGINS: tuple[Any, ...] = (
    typing.Sequence.__origin__,  # type: ignore[attr-defined]
    typing.MutableSequence.__origin__,  # type: ignore[attr-defined]
)
_MAPPING_ORIGINS: tuple[Any, ...] = (
    typing.Mapping.__origin__,  # type: ignore[attr-defined]
    typing.MutableMapping.__origin__,  # type: ignore[attr-defined]
)


def _decode_key(key: str, key_type: Any, path: str) -> Any:
    if key_type is int:
        try:
            return int(key)
        except ValueError:
            _fail(f"{path}[{key!r}]", "dict key must be an integer")
    if (
        get_origin(key_type) is None
        and isinstance(key_type, type)
        and issubclass(key_type, enum.Enum)
    ):
        if key not in key_type.__members__:
            _fail(f"{path}[{key!r}]", f"not a member of `{key_type.__qualname__}`")
        return key_type[key]
    return key


def _short(value: Any) -> str:
    text = (
        json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
    )
    return text if len(text) <= 60 else text[:57] + "..."
