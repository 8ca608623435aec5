"""The `Registry`: names to objects, config classes to targets, config trees to objects."""

from __future__ import annotations

import dataclasses
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

from ._binding import bind
from ._build import Builder, NodeFailure, Recipe, find_cycle, path_of
from ._errors import RegistryError, RegistryWarning, UnknownNameError, caller_stacklevel
from ._imports import import_lazily, load_entry_points
from ._names import unknown_name_message

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import FrameType

    from ._typed import Configures

_T = TypeVar("_T")
_ROOT = "config"  # how the root of a config tree is named in error paths


class _NameMap(dict[str, Any]):
    """Registered name -> object; a miss imports what the registry may import, then retries."""

    def __init__(self, on_miss: Callable[[str], Any] | None = None) -> None:
        super().__init__()
        self._on_miss = on_miss  # None in copies, which are plain mappings

    def __missing__(self, key: str) -> Any:
        if self._on_miss is None:
            raise KeyError(key)
        return self._on_miss(key)


@dataclasses.dataclass
class _Pending:
    """A target whose config class was not defined yet when the target was registered."""

    target: Callable[..., Any]
    target_name: str
    frame: FrameType | None  # a function or class body still being run; None at module level
    namespace: dict[str, Any]  # the module globals of the registering code
    instantiate: bool
    partial: bool


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


class Registry:
    """Pairs config dataclasses with the classes and functions they configure, and builds them.

    Every instance has its own state; `config_utils.registry.registry` is the default one.

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
        # The four maps and the set keep the original registry's names and meaning.
        self._clsname2cls: dict[str, Any] = _NameMap(self._missing_name)
        self._cfgname2cfg: dict[str, type] = {}
        self._cfgname2clsname: dict[str, str] = {}
        self._clsname2cfgname: dict[str, str] = {}
        self._no_instantiate: set[str] = set()
        self._recipes: dict[type, Recipe] = {}
        self._config_names: dict[type, str] = {}
        self._options: dict[str, tuple[bool, bool]] = {}  # config name -> (instantiate, partial)
        self._pending: dict[str, _Pending] = {}
        self._lazy_imports: list[str] = list(lazy_imports)
        self._imported: set[str] = set()
        self._entry_points_loaded = False
        self._builder = Builder(self._recipe_for)

    def __repr__(self) -> str:
        return (
            f"Registry({len(self._clsname2cls)} names, {len(self._cfgname2cfg)} configs"
            f"{', strict' if self.strict else ''})"
        )

    # Registration -----------------------------------------------------------------------

    @overload
    def register(self, obj: _T, /, *, name: str | None = None) -> _T: ...
    @overload
    def register(self, obj: None = None, /, *, name: str | None = None) -> Callable[[_T], _T]: ...
    def register(self, obj: Any = None, /, *, name: str | None = None) -> Any:
        """Register a class or function under its name (or `name`), without a config.

        Use as `@registry.register` or `@registry.register(name="other")`; the object is
        returned unchanged.
        """
        if obj is None:
            return lambda target: self.register(target, name=name)
        self._add_name(name or _name_of(obj), obj)
        return obj

    @overload
    def register_with_config(
        self,
        first: str,
        /,
        *,
        config: type | None = None,
        name: str | None = None,
        instantiate: bool = True,
        partial: bool = False,
    ) -> Callable[[_T], _T]: ...
    @overload
    def register_with_config(
        self,
        first: None = None,
        /,
        *,
        config_name: str | type | None = None,
        config: type | None = None,
        name: str | None = None,
        instantiate: bool = True,
        partial: bool = False,
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
        function body; it is looked up when first needed.

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
            RegistryError: The config has a field the target does not accept (raised when
                the pair is known: now, or when a config defined later is first found).
        """
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
        with self._lock:
            if config is None:
                self._check_pending_claim(config_name, target)
                self._add_name(target_name, target)
                in_body = frame.f_code.co_name != "<module>"
                self._pending[config_name] = _Pending(
                    target, target_name, frame if in_body else None,
                    frame.f_globals, instantiate, partial,
                )  # fmt: skip
                self._cfgname2clsname[config_name] = target_name
                self._clsname2cfgname[target_name] = config_name
                return
            self._link(config_name, config, target, target_name, instantiate, partial)

    def _link(
        self,
        config_name: str,
        config: type,
        target: Callable[..., Any],
        target_name: str,
        instantiate: bool,
        partial: bool,
    ) -> None:
        binding = bind(target, config, target_name)
        with self._lock:
            old_config = self._cfgname2cfg.get(config_name)
            old_target = self._clsname2cls.get(self._cfgname2clsname.get(config_name, ""))
            if old_config is not None and not (
                _same_definition(old_config, config)
                and (old_target is None or _same_definition(old_target, target))
            ):
                self._report_duplicate(
                    f"config `{config_name}`", f"{_describe(old_config)} -> {old_target!r}",
                    f"{_describe(config)} -> {target!r}",
                )  # fmt: skip
                self._clsname2cls[target_name] = target  # one warning per registration
            else:
                self._add_name(target_name, target)
            self._pending.pop(config_name, None)
            self._cfgname2cfg[config_name] = config
            self._cfgname2clsname[config_name] = target_name
            self._clsname2cfgname[target_name] = config_name
            self._no_instantiate.discard(target_name)
            if not instantiate:
                self._no_instantiate.add(target_name)
            self._config_names[config] = config_name
            self._options[config_name] = (instantiate, partial)
            self._recipes[config] = Recipe(
                target, target_name, binding.field_names,
                partial or bool(binding.missing), instantiate,
            )  # fmt: skip
            self._builder.forget()

    def _check_pending_claim(self, config_name: str, target: object) -> None:
        """Warn (or raise) when a config not defined yet is claimed by a different target."""
        previous = self._pending.get(config_name)
        if previous is not None and not _same_definition(previous.target, target):
            self._report_duplicate(
                f"config `{config_name}` (not defined yet)", _describe(previous.target),
                _describe(target),
            )  # fmt: skip

    def _add_name(self, name: str, obj: object) -> None:
        with self._lock:
            old = dict.get(self._clsname2cls, name)
            if old is not None and not _same_definition(old, obj):
                self._report_duplicate(f"name `{name}`", _describe(old), _describe(obj))
            self._clsname2cls[name] = obj
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
    def register_with_generated_config(self, target: _T, /) -> _T: ...
    @overload
    def register_with_generated_config(
        self,
        target: None = None,
        /,
        *,
        config_name: str | None = None,
        name: str | None = None,
        instantiate: bool = True,
        partial: bool = False,
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
    ) -> Any:
        """Register `target` with a config dataclass generated from its signature.

        The config is named `config_name` (default `<name>Config`), lives in the target's
        module (importable, picklable) and is returned by `config_for(target)`. See
        `config_from_signature` for how fields are made.
        """
        if target is None:
            return lambda obj: self.register_with_generated_config(
                obj, config_name=config_name, name=name, instantiate=instantiate,
                partial=partial,
            )  # fmt: skip
        from ._signature_config import config_from_signature

        target_name = name or _name_of(target)
        config = config_from_signature(target, name=config_name or f"{target_name}Config")
        self._add_name(target_name, target)
        self._link(config.__name__, config, target, target_name, instantiate, partial)
        return target

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
        if not isinstance(config_type, type):
            _refuse_argument(config_type, "`config_name()`", "a config class")
        if self._recipe_for(config_type) is None:
            msg = (
                f"`{_describe(config_type)}` is not a registered config; pair it with its "
                "target using `@registry.register_with_config`."
            )
            raise RegistryError(msg)
        return self._config_names[config_type]

    def config_class(self, name: str) -> type:
        """The registered config dataclass called `name`.

        A miss first imports the registry's lazy imports and entry points.

        Raises:
            UnknownNameError: Nothing is registered under `name`; the message lists what is
                registered and the nearest names.
        """
        if not isinstance(name, str):
            _refuse_argument(name, "`config_class()`", "a config's registered name (a `str`)")
        found = self._cfgname2cfg.get(name)
        if found is None and (self._resolve(name) or self._import_on_miss()):
            self._resolve(name)
            found = self._cfgname2cfg.get(name)
        if found is not None:
            return found
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
        if not isinstance(config_type, type):
            _refuse_argument(config_type, "`target_of()`", "a config class")
        self.config_name(config_type)  # raises with a helpful message when unknown
        return self._recipes[config_type].target

    def config_for(self, target: object) -> type:
        """The config dataclass paired with the registered class or function `target`.

        Raises:
            RegistryError: `target` has no config in this registry.
        """
        names = [name for name, obj in list(self._clsname2cls.items()) if obj is target]
        never_defined: UnknownNameError | None = None
        for name in names:
            config_name = self._clsname2cfgname.get(name)
            if config_name is not None:
                try:
                    return self.config_class(config_name)
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
        """Every registered config whose target is the class `base` or a subclass of it."""
        if not isinstance(base, type):
            _refuse_argument(base, "`configs_for()`", "a target class")
        self._resolve_all()
        return [
            config
            for config, recipe in list(self._recipes.items())
            if isinstance(recipe.target, type) and issubclass(recipe.target, base)
            and self._cfgname2cfg.get(self._config_names[config]) is config
        ]  # fmt: skip

    def _recipe_for(self, config_type: type) -> Recipe | None:
        recipe = self._recipes.get(config_type)
        if recipe is None:
            self._pair_late(config_type)
            recipe = self._recipes.get(config_type)
        if recipe is None and dataclasses.is_dataclass(config_type):
            if self._import_on_miss():
                # A config is often defined apart from its target (configs.py / models.py):
                # without this, a build would hand back the config unbuilt, silently.
                self._pair_late(config_type)
                recipe = self._recipes.get(config_type)
            if recipe is None:
                self._warn_if_subclass_of_config(config_type)
        return recipe

    def _warn_if_subclass_of_config(self, config_type: type) -> None:
        """Warn that an unregistered subclass of a registered config will not be built.

        It looks like a config (a preset with other defaults, say), so keeping it unbuilt
        without a word would surface far from the cause.
        """
        base = next((b for b in config_type.__mro__[1:] if b in self._recipes), None)
        if base is None:
            return
        msg = (
            f"`{_describe(config_type)}` subclasses the registered config "
            f"`{self._config_names[base]}` but is not registered itself, so it is kept as "
            f"it is, not built into `{self._recipes[base].target_name}`. Register it with "
            f"`register_with_config(config={config_type.__name__})`."
        )
        warnings.warn(msg, RegistryWarning, stacklevel=caller_stacklevel())

    def _pair_late(self, config_type: type) -> None:
        """Pair a config defined after its target, or a re-run definition of a registered one."""
        name = getattr(config_type, "__name__", None)
        if name in self._pending:
            self._resolve(name)
        elif name in self._cfgname2cfg:
            self._adopt_redefinition(name, config_type)

    def _adopt_redefinition(self, config_name: str, config_type: type) -> None:
        """Pair a re-run definition of a registered config (a notebook cell) with its target.

        Without this, instances of the new class would silently stay unbuilt.
        """
        old = self._cfgname2cfg[config_name]
        if old is config_type or not _same_definition(old, config_type):
            return
        if not (isinstance(config_type, type) and dataclasses.is_dataclass(config_type)):
            return
        target, target_name = self._recipes[old].target, self._recipes[old].target_name
        instantiate, partial = self._options[config_name]
        self._link(config_name, config_type, target, target_name, instantiate, partial)

    def _resolve(self, config_name: str) -> bool:
        """Look again for the config class of a pending target; `True` if it was found."""
        pending = self._pending.get(config_name)
        if pending is None:
            return False
        spaces = [pending.namespace, vars(sys.modules.get(pending.target.__module__, sys))]
        if pending.frame is not None:
            spaces.insert(0, dict(pending.frame.f_locals))
        for space in spaces:
            found = space.get(config_name)
            if isinstance(found, type):
                self._link(
                    config_name, found, pending.target, pending.target_name,
                    pending.instantiate, pending.partial,
                )  # fmt: skip
                return True
        return False

    def _resolve_all(self) -> None:
        for config_name in list(self._pending):
            self._resolve(config_name)

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

    def _missing_name(self, name: str) -> Any:
        if self._import_on_miss() and dict.__contains__(self._clsname2cls, name):
            return dict.__getitem__(self._clsname2cls, name)
        hint = "Register it with `@registry.register`, or import the module that does."
        raise UnknownNameError(unknown_name_message("name", name, self._clsname2cls, hint))

    def _unknown_config_message(self, name: str) -> str:
        pending = self._pending.get(name)
        if pending is not None:
            return (
                f"`{name}`, the config of `{pending.target_name}` "
                f"(registered in `{pending.target.__module__}`), was never defined: define "
                f"a dataclass `{name}` next to `{pending.target_name}`, or pass "
                "`config_name=` / `config=` to `register_with_config`."
            )
        hint = (
            "Register its target with `@registry.register_with_config`, or import the "
            "module that does (or list it in `Registry(lazy_imports=...)`)."
        )
        known = [*self._cfgname2cfg, *self._pending]
        return unknown_name_message("config", name, known, hint)

    # Building ---------------------------------------------------------------------------

    def configure_submodules(self, struct: Any) -> Any:
        """Build every registered config in the tree `struct` into its target.

        Dataclasses (frozen, slots, kw_only, `init=False` fields), lists, tuples, named
        tuples, dicts, sets and `None` are walked and rebuilt with the same types; other
        values are returned as they are. A registered config becomes its target called
        with the config's fields (sub-configs built first), a function's return value, or
        a `functools.partial` when the config leaves required parameters out.

        Raises:
            RegistryError: A target raised (the message names the node's path, e.g.
                `config.loss.modules[1]`, and the original exception is the cause), or the
                tree contains a cycle.
        """
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


def _find_class(name: str, frame: FrameType) -> type | None:
    """The class called `name` visible from `frame`: its locals first, then its module."""
    for space in (frame.f_locals, frame.f_globals):
        found = space.get(name)
        if isinstance(found, type):
            return found
    return None
