"""The `Registry`: names to objects, config classes to targets, config trees to objects."""

from __future__ import annotations

import dataclasses
import sys
import threading
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypedDict, TypeVar, overload

from ._binding import bind
from ._build import Builder, NodeFailure, Recipe, find_cycle, path_of
from ._errors import (
    InvalidNameError,
    RegistryError,
    RegistryWarning,
    UnknownNameError,
    caller_stacklevel,
)
from ._imports import import_lazily, load_entry_points
from ._names import nearest_names, unknown_name_message
from ._records import Registration, defined_names, find_config_class

if TYPE_CHECKING:
    import functools
    from collections.abc import Callable, Iterable, Iterator
    from types import FrameType, ModuleType

    from typing_extensions import Unpack

    from ._typed import Configures, ConfiguresPartial

_T = TypeVar("_T")
_ROOT = "config"  # how the root of a config tree is named in error paths


class _TargetsView(Mapping[str, Any]):
    """`registry._clsname2cls`: registered name -> object, read-only, as the seed documents it.

    A miss imports what the registry may import, then retries (see `Registry.get`).
    """

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __getitem__(self, name: str) -> Any:
        return self._registry.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._registry

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._registry._targets))

    def __len__(self) -> int:
        return len(self._registry._targets)


def _same_definition(old: object, new: object) -> bool:
    """Whether `new` is `old` again: the same object, or the same definition re-run."""
    if old is new:
        return True
    return bool(
        getattr(old, "__module__", None) == getattr(new, "__module__", object())
        and getattr(old, "__qualname__", None) == getattr(new, "__qualname__", object())
    )


def _describe(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _is_config_class(obj: object) -> bool:
    """Whether a positional argument of `register_with_config` names the config, not the target.

    A dataclass named `...Config` is a config (the naming convention of the registry);
    a dataclass target with such a name needs `config_name=`/`config=` instead.
    """
    return (
        isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__name__.endswith("Config")
    )


class ConfigOptions(TypedDict, total=False):
    """The options of `Registry.register_with_config` (documented there)."""

    config: type | None
    name: str | None
    instantiate: bool
    partial: bool


class GeneratedConfigOptions(TypedDict, total=False):
    """The options of `Registry.register_with_generated_config` (documented there)."""

    config_name: str | None
    name: str | None
    instantiate: bool
    partial: bool
    exclude: Iterable[str]
    only: Iterable[str] | None
    defaults: Mapping[str, Any] | None
    cli_name: str | None


class Registry:
    """Pairs config dataclasses with the classes and functions they configure, and builds them.

    Every instance has its own state; `config_utils.registry.registry` is the default one.
    `registry.get(name)` and `name in registry` look registered objects up by name.

    Args:
        strict: Raise `RegistryError` instead of warning when a different object is
            registered under a name that is taken.
        lazy_imports: Modules to import when a name lookup misses, before failing (their
            import registers what they define).
        entry_point_group: An entry-point group whose entry points are loaded (imported)
            when a name lookup misses; distributions announce their registrations there.
    """

    def __init__(
        self,
        *,
        strict: bool = False,
        lazy_imports: Iterable[str] = (),
        entry_point_group: str | None = None,
    ) -> None:
        self.strict = strict
        self.entry_point_group = entry_point_group
        self._lock = threading.RLock()
        # The registry's state: one record per registration, found by target name and by
        # config name (the same record in both when it has a config).
        self._targets: dict[str, Registration] = {}
        self._configs: dict[str, Registration] = {}
        # False while a registration may still wait for its config class: the next build
        # looks for it first and refuses to build without it.
        self._settled = True
        self._lazy_imports: list[str] = list(lazy_imports)
        self._imported: set[str] = set()
        self._entry_points_loaded = False
        self._builder = Builder(self._recipe_for)
        #: The seed's documented name for the lookup: `registry._clsname2cls["Name"]`.
        self._clsname2cls: Mapping[str, Any] = _TargetsView(self)

    def __repr__(self) -> str:
        configs = sum(1 for record in self._configs.values() if record.config is not None)
        return (
            f"Registry({len(self._targets)} names, {configs} configs"
            f"{', strict' if self.strict else ''})"
        )

    def __contains__(self, name: object) -> bool:
        """Whether an object is registered under `name` (a miss imports lazily first)."""
        if not isinstance(name, str):
            return False
        return name in self._targets or (self._import_on_miss() and name in self._targets)

    def get(self, name: str) -> Any:
        """The class or function registered under `name`.

        A miss first imports the registry's lazy imports and entry points.

        Raises:
            UnknownNameError: Nothing is registered under `name`; the message lists what
                is registered and the nearest names.
        """
        if not isinstance(name, str):
            _refuse_argument(name, "`get()`", "a registered name (a `str`)")
        record = self._targets.get(name)
        if record is None and self._import_on_miss():
            record = self._targets.get(name)
        if record is None:
            hint = "Register it with `@registry.register`, or import the module that does."
            raise UnknownNameError(unknown_name_message("name", name, self._targets, hint))
        return record.target

    # Registration -----------------------------------------------------------------------

    @overload
    def register(self, obj: _T, /, *, name: str | None = None) -> _T: ...
    @overload
    def register(self, obj: None = None, /, *, name: str | None = None) -> Callable[[_T], _T]: ...
    def register(self, obj: Any = None, /, *, name: str | None = None) -> Any:
        """Register a class or function under its name (or `name`), without a config.

        Use as `@registry.register` or `@registry.register(name="other")`; the object is
        returned unchanged.

        Raises:
            InvalidNameError: `name` is empty or blank (also a `ValueError`).
        """
        _check_name(name, "name")
        if obj is None:
            return lambda target: self.register(target, name=name)
        target_name = name or _name_of(obj)
        with self._lock:
            old = self._targets.get(target_name)
            if old is not None and old.target is obj:
                return obj  # e.g. `@register` stacked on `@register_with_config`
            self._put_target(Registration(target_name, obj))
        return obj

    @overload
    def register_with_config(
        self, first: str, /, **options: Unpack[ConfigOptions]
    ) -> Callable[[_T], _T]: ...
    @overload
    def register_with_config(
        self,
        first: None = None,
        /,
        *,
        config_name: str | type | None = None,
        **options: Unpack[ConfigOptions],
    ) -> Callable[[_T], _T]: ...
    @overload
    def register_with_config(self, first: _T, /) -> _T: ...
    def register_with_config(
        self,
        first: Any = None,
        /,
        *,
        config_name: str | type | None = None,
        config: type | None = None,
        name: str | None = None,
        instantiate: bool = True,
        partial: bool = False,
    ) -> Any:
        """Register a class or function together with the dataclass that configures it.

        `@registry.register_with_config` pairs `X` with the dataclass `XConfig`;
        `@registry.register_with_config("SomeConfig")`, `config_name="SomeConfig"`, or the
        config class itself (positionally, or as `config=`) name it explicitly. The config
        class may be defined before or after the target, in the same module or the same
        function body; it must exist by the time anything is built.

        Args:
            first: The target when used as a bare decorator; otherwise the config name
                or the config class.
            config_name: The config class's name, or the class itself.
            config: The config class.
            name: The name to register the target under (default: its `__name__`).
            instantiate: `False` keeps such configs as configs when a tree is built (their
                own sub-configs are still built).
            partial: Always build a `functools.partial` of the target.

        Raises:
            InvalidNameError: `name` or the config's name is empty or blank.
            RegistryError: The config has a field the target does not accept (raised when
                the pair is known: now, or when a config defined later is first found).
        """
        _check_name(name, "name")
        _check_name(first if isinstance(first, str) else config_name, "config_name")
        frame = sys._getframe(1)
        if first is not None and not isinstance(first, str) and not _is_config_class(first):
            self._pair(first, name, config_name, config, frame, instantiate, partial)
            return first
        if isinstance(first, str):
            config_name = first
        elif first is not None:
            config = first

        def decorate(target: _T) -> _T:
            self._pair(target, name, config_name, config, frame, instantiate, partial)
            return target

        return decorate

    def _pair(
        self,
        target: Any,
        name: str | None,
        config_name: str | type | None,
        config: type | None,
        frame: FrameType,
        instantiate: bool,
        partial: bool,
    ) -> None:
        if not callable(target):
            msg = f"`{target!r}` is not a class or function; only callables can be registered."
            raise RegistryError(msg)
        target_name = name or _name_of(target)
        if isinstance(config_name, type):
            config, config_name = config_name, None
        if config_name is not None and not isinstance(config_name, str):
            _refuse_argument(config_name, "`config_name=`", "the config's name or class")
        if config is not None:
            if not isinstance(config, type):
                _refuse_argument(config, "`config=`", "the config class")
            config_name = config.__name__
        config_name = config_name or f"{target_name}Config"
        if config is None:
            config = _find_class(config_name, frame)
        record = Registration(
            target_name, target, config_name, config, instantiate, partial,
            home=frame.f_globals.get("__name__"),
        )  # fmt: skip
        if config is not None:
            self._link(record)
            return
        with self._lock:
            previous = self._configs.get(config_name)
            if (
                previous is not None
                and previous.waiting
                and not _same_definition(previous.target, target)
            ):
                self._report_duplicate(
                    f"config `{config_name}` (not defined yet)", _describe(previous.target),
                    _describe(target),
                )  # fmt: skip
            self._put_target(record)
            self._configs[config_name] = record
            self._settled = False

    def _link(self, record: Registration) -> None:
        """Store `record` with its config class: check the pair, then make it buildable."""
        config, config_name = record.config, record.config_name
        if config is None or config_name is None:
            msg = f"`{record.name}` has no config class to link"  # a bug in the registry
            raise AssertionError(msg)
        binding = bind(record.target, config, record.name)
        record.recipe = Recipe(
            record.target, record.name, binding.field_names,
            record.partial or bool(binding.missing), record.instantiate,
        )  # fmt: skip
        with self._lock:
            old = self._configs.get(config_name)
            if (
                old is not None
                and old.config is not None
                and not (
                    _same_definition(old.config, config)
                    and _same_definition(old.target, record.target)
                )
            ):
                self._report_duplicate(
                    f"config `{config_name}`", f"{_describe(old.config)} -> {old.target!r}",
                    f"{_describe(config)} -> {record.target!r}",
                )  # fmt: skip
                self._targets[record.name] = record  # one warning per registration
            else:
                self._put_target(record)
            self._configs[config_name] = record
            self._builder.forget()

    def _put_target(self, record: Registration) -> None:
        """Store `record` under its name, reporting a different object already there."""
        with self._lock:
            old = self._targets.get(record.name)
            if old is not None and not _same_definition(old.target, record.target):
                self._report_duplicate(
                    f"name `{record.name}`", _describe(old.target), _describe(record.target)
                )
            self._targets[record.name] = record
            self._builder.forget()

    def _report_duplicate(self, what: str, old: str, new: str) -> None:
        outcome = "a strict registry refuses it" if self.strict else "it now replaces the old one"
        msg = (
            f"The {what} is already registered ({old}); {new} is a different object, and "
            f"{outcome}. Register one of them under another name (`name=` / `config_name=`)."
        )
        if self.strict:
            raise RegistryError(msg)
        warnings.warn(msg, RegistryWarning, stacklevel=caller_stacklevel())

    @overload
    def register_with_generated_config(
        self, target: _T, /, **options: Unpack[GeneratedConfigOptions]
    ) -> _T: ...
    @overload
    def register_with_generated_config(
        self, target: None = None, /, **options: Unpack[GeneratedConfigOptions]
    ) -> Callable[[_T], _T]: ...
    def register_with_generated_config(
        self,
        target: Any = None,
        /,
        *,
        config_name: str | None = None,
        name: str | None = None,
        instantiate: bool = True,
        partial: bool = False,
        exclude: Iterable[str] = (),
        only: Iterable[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        cli_name: str | None = None,
    ) -> Any:
        """Register `target` with a config dataclass generated from its signature.

        Works for classes and functions you do not own: `exclude=("params",)` leaves out
        what is supplied at build time, and the config then builds a `functools.partial`
        awaiting it (`partial=True` forces one). The config is named `config_name`
        (default `<name>Config`), lives in the target's module (importable, picklable) and
        is returned by `config_for(target)`. See `config_from_signature` for how fields
        are made, and which parameters are left out on their own.

        Args:
            target: The class or function (or nothing, to use this as a decorator factory).
            config_name: The generated config's name.
            name: The name to register the target under (default: its `__name__`).
            instantiate: `False` keeps such configs as configs when a tree is built.
            partial: Always build a `functools.partial` of the target.
            exclude: Parameters to leave out (supplied when the partial is called).
            only: Parameters to keep; every other one is left out.
            defaults: New defaults for some parameters, by name.
            cli_name: The subcommand name of this config on the command line, used by
                `config_utils.cli.registered_subcommands` (default: the config's name).

        Raises:
            InvalidNameError: `name`, `config_name` or `cli_name` is empty or blank.
            RegistryError: An argument names a parameter the target does not have, or a
                parameter without a default cannot be given on the command line.
        """
        for value, where in ((name, "name"), (config_name, "config_name"), (cli_name, "cli_name")):
            _check_name(value, where)
        if target is None:
            return lambda obj: self.register_with_generated_config(
                obj, config_name=config_name, name=name, instantiate=instantiate,
                partial=partial, exclude=exclude, only=only, defaults=defaults,
                cli_name=cli_name,
            )  # fmt: skip
        from ._signature_config import config_from_signature

        target_name = name or _name_of(target)
        config = config_from_signature(
            target, name=config_name or f"{target_name}Config", exclude=exclude, only=only,
            defaults=defaults,
        )  # fmt: skip
        self._link(
            Registration(
                target_name, target, config.__name__, config, instantiate, partial,
                cli_name=cli_name, home=getattr(target, "__module__", None),
            )
        )  # fmt: skip
        return target

    def register_family(
        self,
        base: type,
        members: ModuleType | Iterable[type] | Mapping[type, Mapping[str, Any]],
        *,
        exclude: Iterable[str] = (),
        only: Iterable[str] | None = None,
        partial: bool = False,
        defaults: Mapping[type, Mapping[str, Any]] | None = None,
        names: Mapping[type, str] | None = None,
    ) -> dict[str, type]:
        """Register every subclass of `base` in `members` with a generated config, in one call.

        ```python
        registry.register_family(torch.optim.Optimizer, torch.optim, exclude=("params",))
        registry.register_family(LRScheduler, {StepLR: {"step_size": 5}}, exclude=("optimizer",))
        ```

        Each member gets a config generated as by `register_with_generated_config` and a
        command-line name (its class name in lower case, or `names[member]`), so a field
        typed `config_utils.cli.PartialConfigOf[base]` offers `field:sgd` and so on.
        Members of a module whose config cannot be generated (a parameter without a
        default that the command line cannot give) are skipped with one
        `RegistryWarning` naming each and why; a member listed explicitly must work.

        Args:
            base: The class every member subclasses.
            members: A module (its public subclasses of `base`), a list of classes, or a
                mapping of class -> new defaults for its parameters.
            exclude: Parameters every member leaves out (supplied at build time).
            only: Parameters every member keeps; the others are left out.
            partial: Always build `functools.partial`s.
            defaults: Class -> new defaults for its parameters (with a module or list).
            names: Class -> its command-line name.

        Returns:
            Command-line name -> generated config class, for each registered member.

        Raises:
            RegistryError: No member subclasses `base`, two members share a command-line
                name, or an argument names a parameter or class that is not there.
        """
        from ._family import register_family

        return register_family(
            self, base, members, exclude=exclude, only=only, partial=partial,
            defaults=defaults, names=names,
        )  # fmt: skip

    def add_lazy_import(self, module: str) -> None:
        """Import `module` the next time a name lookup misses (it registers what it defines)."""
        with self._lock:
            if module not in self._lazy_imports:
                self._lazy_imports.append(module)

    # Lookups ----------------------------------------------------------------------------

    def config_name(self, config_type: type) -> str:
        """The registry name of the registered config dataclass `config_type`.

        Raises:
            RegistryError: `config_type` is not a registered config.
        """
        return self._registration(config_type, "config_name()").config_name or ""

    def command_line_name(self, config_type: type) -> str:
        """The subcommand name of the registered config `config_type` on the command line.

        The `cli_name=` (or family name) it was registered with, else its registry name.
        """
        record = self._registration(config_type, "command_line_name()")
        return record.cli_name or record.config_name or ""

    def config_class(self, name: str) -> type:
        """The registered config dataclass called `name`.

        A miss first imports the registry's lazy imports and entry points.

        Raises:
            UnknownNameError: Nothing is registered under `name`; the message lists what is
                registered and the nearest names.
        """
        if not isinstance(name, str):
            _refuse_argument(name, "`config_class()`", "a config's registered name (a `str`)")
        record = self._configs.get(name)
        if record is None or record.config is None:
            if not self._resolve(name) and self._import_on_miss():
                self._resolve(name)
            record = self._configs.get(name)
        if record is not None and record.config is not None:
            return record.config
        raise UnknownNameError(self._unknown_config_message(name))

    def is_registered_config(self, config_type: type) -> bool:
        """Whether `config_type` is a config dataclass paired with a target in this registry.

        A config whose pairing is broken (see `register_with_config`) is not registered;
        `config_name` and building report why.
        """
        if not isinstance(config_type, type):
            _refuse_argument(config_type, "`is_registered_config()`", "a config class")
        try:
            return self._recipe_for(config_type) is not None
        except RegistryError:
            return False

    def target_of(self, config_type: type) -> Callable[..., Any]:
        """The class or function that the registered config `config_type` configures."""
        target: Callable[..., Any] = self._registration(config_type, "target_of()").target
        return target

    def config_for(self, target: object) -> type:
        """The config dataclass paired with the registered class or function `target`.

        Raises:
            RegistryError: `target` has no config in this registry.
        """
        records = [r for r in list(self._targets.values()) if r.target is target]
        never_defined: UnknownNameError | None = None
        for record in records:
            if record.config_name is not None:
                try:
                    return self.config_class(record.config_name)
                except UnknownNameError as exc:  # says which config is missing, and where
                    never_defined = never_defined or exc
        if never_defined is not None:
            raise never_defined
        msg = (
            f"`{_describe(target)}` has no registered config; register it with "
            "`@registry.register_with_config` or `@registry.register_with_generated_config`."
        )
        raise RegistryError(msg)

    def configs_for(self, base: type) -> list[type]:
        """Every registered config whose target makes `base` objects.

        That is `base` itself, a subclass, or a function annotated to return one.
        """
        if not isinstance(base, type):
            _refuse_argument(base, "`configs_for()`", "a target class")
        self._resolve_all()
        return [
            record.config
            for record in list(self._configs.values())
            if record.config is not None and _produces(record.target, base)
        ]

    def _registration(self, config_type: type, where: str) -> Registration:
        """The record of the registered config `config_type`, or a helpful error."""
        if not isinstance(config_type, type):
            _refuse_argument(config_type, f"`{where}`", "a config class")
        record = self._record_for(config_type)
        if record is None:
            msg = (
                f"`{_describe(config_type)}` is not a registered config; pair it with its "
                "target using `@registry.register_with_config`."
            )
            raise RegistryError(msg)
        return record

    def _recipe_for(self, config_type: type) -> Recipe | None:
        record = self._record_for(config_type)
        return None if record is None else record.recipe

    def _record_for(self, config_type: type) -> Registration | None:
        record = self._find_record(config_type)
        if record is None and dataclasses.is_dataclass(config_type):
            if self._import_on_miss():
                # A config is often defined apart from its target (configs.py / models.py):
                # without this, a build would hand back the config unbuilt, silently.
                record = self._find_record(config_type)
            if record is None:
                self._warn_if_subclass_of_config(config_type)
        return record

    def _find_record(self, config_type: type) -> Registration | None:
        """The record pairing `config_type`, pairing it now if it was defined late or re-run."""
        record = self._configs.get(getattr(config_type, "__name__", ""))
        if record is not None and record.config is config_type:
            return record
        if record is None:  # a config registered under a name other than its `__name__`
            return next((r for r in list(self._configs.values()) if r.config is config_type), None)
        if not dataclasses.is_dataclass(config_type):
            return None
        if record.config is None:
            # Defined after its target (maybe in a function body): pair it now.
            if config_type.__module__ in record.modules():
                self._link(dataclasses.replace(record, config=config_type))
        elif _same_definition(record.config, config_type):
            # A re-run definition of a registered config (a notebook cell): without this,
            # its instances would silently stay unbuilt.
            self._link(dataclasses.replace(record, config=config_type))
        found = self._configs.get(config_type.__name__)
        return found if found is not None and found.config is config_type else None

    def _warn_if_subclass_of_config(self, config_type: type) -> None:
        """Warn that an unregistered subclass of a registered config will not be built.

        It looks like a config (a preset with other defaults, say), so keeping it unbuilt
        without a word would surface far from the cause.
        """
        paired = {r.config: r for r in list(self._configs.values()) if r.config is not None}
        base = next((paired[b] for b in config_type.__mro__[1:] if b in paired), None)
        if base is None:
            return
        msg = (
            f"`{_describe(config_type)}` subclasses the registered config "
            f"`{base.config_name}` but is not registered itself, so it is kept as it is, not "
            f"built into `{base.name}`. Register it with "
            f"`register_with_config(config={config_type.__name__})`."
        )
        warnings.warn(msg, RegistryWarning, stacklevel=caller_stacklevel())

    def _resolve(self, config_name: str) -> bool:
        """Look again for the config class of a waiting target; `True` if it was found."""
        record = self._configs.get(config_name)
        if record is None or not record.waiting:
            return False
        found = find_config_class(config_name, record.modules())
        if found is None:
            return False
        self._link(dataclasses.replace(record, config=found))
        return True

    def _resolve_all(self) -> None:
        for name in [n for n, r in list(self._configs.items()) if r.waiting]:
            self._resolve(name)

    def _settle(self) -> None:
        """Before a build: find every config still awaited, or refuse to build.

        A target whose config class was never defined (often a misspelt name) would
        otherwise leave its configs unbuilt without a word.
        """
        self._resolve_all()
        waiting = [r for r in list(self._configs.values()) if r.waiting]
        if not waiting:
            self._settled = True
            return
        record, more = waiting[0], len(waiting) - 1
        others = f" ({more} more target(s) wait for theirs too)" if more else ""
        msg = (
            f"Nothing was built: {self._waiting_message(record)}{others}. Define the "
            f"dataclass `{record.config_name}`, or pass `config_name=` / `config=` to "
            "`register_with_config`."
        )
        raise RegistryError(msg)

    def _waiting_message(self, record: Registration) -> str:
        """Which target waits for which config, where, and the nearest defined names."""
        candidates = defined_names(record.modules()) | {
            name for name, r in self._configs.items() if r.config is not None
        }
        nearest = nearest_names(record.config_name or "", candidates)
        near = f" (nearest defined: {nearest})" if nearest else " (no similar name is defined)"
        return (
            f"`{record.name}` (registered in `{record.home or record.target.__module__}`) "
            f"waits for its config `{record.config_name}`, which was never defined{near}"
        )

    def _import_on_miss(self) -> bool:
        """Import lazy modules and entry points not imported yet; `True` if any was."""
        imported = False
        with self._lock:
            for module in [m for m in self._lazy_imports if m not in self._imported]:
                self._imported.add(module)  # before importing: the module may look up names
                try:
                    import_lazily(module)
                except RegistryError:
                    self._imported.discard(module)  # report it at every miss, not only the first
                    raise
                imported = True
            if self.entry_point_group and not self._entry_points_loaded:
                self._entry_points_loaded = True
                imported = load_entry_points(self.entry_point_group) or imported
        return imported

    def _unknown_config_message(self, name: str) -> str:
        record = self._configs.get(name)
        if record is not None and record.waiting:
            return (
                f"{self._waiting_message(record)}: define a dataclass `{name}` next to "
                f"`{record.name}`, or pass `config_name=` / `config=` to `register_with_config`."
            )
        hint = (
            "Register its target with `@registry.register_with_config`, or import the "
            "module that does (or list it in `Registry(lazy_imports=...)`)."
        )
        return unknown_name_message("config", name, self._configs, hint)

    # Building ---------------------------------------------------------------------------

    @overload
    def configure_submodules(self, struct: ConfiguresPartial[_T]) -> functools.partial[_T]: ...
    @overload
    def configure_submodules(self, struct: Configures[_T]) -> _T: ...
    @overload
    def configure_submodules(self, struct: Any) -> Any: ...
    def configure_submodules(self, struct: Any) -> Any:
        """Build every registered config in the tree `struct` into its target.

        Dataclasses (frozen, slots, kw_only, `init=False` fields), lists, tuples, named
        tuples, dicts, sets and `None` are walked and rebuilt with the same types; other
        values are returned as they are. A registered config becomes its target called
        with the config's fields (sub-configs built first), a function's return value, or
        a `functools.partial` when the config leaves required parameters out.

        A field typed `Configures[X]` (or `ConfiguresPartial[X]`) tells a type checker
        what building it gives: `X` (or a `functools.partial` of `X`).

        Raises:
            RegistryError: A target raised (the message names the node's path, e.g.
                `config.loss.modules[1]`, and the original exception is the cause), the
                tree contains a cycle, or a registered target still waits for a config
                class that was never defined (a misspelt name, often).
        """
        if not self._settled:
            self._settle()
        try:
            return self._builder.walk(struct)
        except NodeFailure as failure:
            original = failure.original
            if isinstance(original, RecursionError):
                self._raise_if_cycle(struct, original)
            path = path_of(failure.chain, _ROOT)
            msg = f"{path}: {failure.target_name}(...) raised {type(original).__name__}: {original}"
            raise RegistryError(msg, path=path, original=original) from original
        except RecursionError as exc:
            self._raise_if_cycle(struct, exc)
            msg = (
                "The config tree is nested deeper than Python's recursion limit "
                f"({sys.getrecursionlimit()}); flatten it or raise the limit."
            )
            raise RegistryError(msg, original=exc) from exc

    def build(self, config: Configures[_T]) -> _T:
        """Build the registered `config` into its target, typed as the target.

        Like `configure_submodules`, but only for a registered config that builds its
        target itself: not a partial, not `instantiate=False`.

        Raises:
            RegistryError: `config` is not such a config, or building it failed.
        """
        kind = type(config)
        recipe = self._recipe_for(kind)
        problem = None
        if recipe is None:
            problem = "is not a registered config"
        elif not recipe.instantiate:
            problem = (
                f"is registered with `instantiate=False`, so it builds no `{recipe.target_name}`"
            )
        elif recipe.partial:
            problem = (
                f"builds a `functools.partial` of `{recipe.target_name}`, not the target itself"
            )
        if problem is not None:
            msg = (
                f"`{_describe(kind)}` {problem}; `build()` needs a config that builds its "
                "target. Use `configure_submodules()` for anything else."
            )
            raise RegistryError(msg)
        built: _T = self.configure_submodules(config)
        return built

    def _raise_if_cycle(self, struct: Any, exc: RecursionError) -> None:
        cycle = find_cycle(struct, _ROOT)
        if cycle is not None:
            msg = (
                f"The config tree has a cycle: `{cycle}` is one of its own ancestors. "
                "A config must be a tree; copy the shared part instead of nesting it in itself."
            )
            raise RegistryError(msg, path=cycle, original=exc) from None


def _check_name(value: object, where: str) -> None:
    """Refuse a `name=`-like argument that cannot be a name (None means "the default")."""
    if value is None or isinstance(value, type) or (isinstance(value, str) and value.strip()):
        return
    msg = f"`{where}={value!r}` is not a name: give a non-empty name, or leave `{where}` out."
    raise InvalidNameError(msg)


def _refuse_argument(value: object, where: str, wanted: str) -> NoReturn:
    """Raise for a value of the wrong kind, with a hint for the usual slips."""
    hint = ""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hint = " (for a config instance, pass its class: `type(config)`)"
    elif isinstance(value, type):
        hint = f" (a class's name is `{value.__name__}`)"
    msg = f"{where} takes {wanted}, not `{value!r}`{hint}."
    raise RegistryError(msg)


def _name_of(obj: object) -> str:
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str):
        msg = f"`{obj!r}` has no `__name__`; register it with an explicit `name=`."
        raise RegistryError(msg)
    return name


def _produces(target: object, base: type) -> bool:
    """Whether `target` makes `base` objects: a subclass, or a function annotated to return one."""
    if isinstance(target, type):
        return issubclass(target, base)
    try:
        import typing

        returned = typing.get_type_hints(target).get("return")
    except Exception:  # unresolvable annotations: nothing is known about what it returns
        return False
    return isinstance(returned, type) and issubclass(returned, base)


def _find_class(name: str, frame: FrameType) -> type | None:
    """The class called `name` visible from `frame`: its locals first, then its module."""
    for space in (frame.f_locals, frame.f_globals):
        found = space.get(name)
        if isinstance(found, type):
            return found
    return None
