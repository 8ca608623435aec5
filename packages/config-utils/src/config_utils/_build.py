"""Walk a config tree and build every registered config in it into its target.

Speed matters (trees of tens of thousands of nodes are built at every start), so each
type gets a plan once, cached by type: which fields to walk, what to call, whether the
result is a partial. Walking a node is then a dict lookup and a call. Paths for error
messages are not tracked while walking: a failure collects the chain of nodes on its
way out, and the path is spelled out from that chain only when an error is reported.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

# Values that never contain configs; checked before any plan lookup.
_ATOMS: frozenset[type] = frozenset(
    {int, float, str, bool, bytes, complex, type(None), type(Ellipsis)}
)
_ABSENT = object()
Plan = Callable[[Any], Any]


class Recipe(NamedTuple):
    """What the registry knows about a registered config class, as the builder needs it."""

    target: Callable[..., Any]
    target_name: str
    field_names: tuple[str, ...]
    partial: bool
    instantiate: bool


class NodeFailure(Exception):
    """A node failed to build; `chain` holds the failing node, then each parent up to the root.

    Internal: the registry turns it into a `RegistryError` with the node's path.
    """

    def __init__(self, node: object, target_name: str, original: BaseException) -> None:
        super().__init__(target_name)
        self.chain: list[object] = [node]
        self.target_name = target_name
        self.original = original


class Builder:
    """Builds config trees with per-type plans; `recipe_for` says which types are configs."""

    def __init__(self, recipe_for: Callable[[type], Recipe | None]) -> None:
        self._recipe_for = recipe_for
        plans: dict[type, Plan] = {}
        self._plans = plans
        atoms = _ATOMS
        plan_for = self._plan_for

        # A closure over locals rather than a method: it runs once per node, and local
        # lookups are what keeps a node at a dict lookup and a call.
        def walk(obj: Any) -> Any:
            kind = type(obj)
            if kind in atoms:
                return obj
            plan = plans.get(kind)
            if plan is None:
                plan = plan_for(kind)
            return plan(obj)

        self.walk: Callable[[Any], Any] = walk

    def forget(self) -> None:
        """Drop every cached plan (a registration may have changed what a type means)."""
        self._plans.clear()

    def _plan_for(self, kind: type) -> Plan:
        plan = self._make_plan(kind)
        self._plans[kind] = plan
        return plan

    def _make_plan(self, kind: type) -> Plan:
        recipe = self._recipe_for(kind)
        if recipe is not None and recipe.instantiate:
            return self._config_plan(recipe)
        if dataclasses.is_dataclass(kind):
            return self._dataclass_plan(kind)
        if issubclass(kind, list):
            return self._sequence_plan(kind, kind)
        if issubclass(kind, tuple):
            make: Callable[[Any], Any] = getattr(kind, "_make", kind)  # named tuples
            return self._sequence_plan(kind, make)
        if issubclass(kind, (set, frozenset)):
            return self._sequence_plan(kind, kind)
        if issubclass(kind, dict):
            return self._dict_plan(kind)
        return _same

    def _config_plan(self, recipe: Recipe) -> Plan:
        walk, atoms, names = self.walk, _ATOMS, recipe.field_names
        make = functools.partial(functools.partial, recipe.target) if recipe.partial else None
        target, target_name = recipe.target, recipe.target_name

        def build(obj: Any) -> Any:
            kwargs = {}
            try:
                for name in names:
                    value = getattr(obj, name)
                    kwargs[name] = value if type(value) in atoms else walk(value)
            except NodeFailure as failure:
                failure.chain.append(obj)
                raise
            if make is not None:
                return make(**kwargs)
            try:
                return target(**kwargs)
            except Exception as exc:  # any constructor error is reported with its node's path
                raise NodeFailure(obj, target_name, exc) from exc

        return build

    def _dataclass_plan(self, kind: type) -> Plan:
        walk, atoms = self.walk, _ATOMS
        names = tuple(f.name for f in dataclasses.fields(kind))

        def rebuild(obj: Any) -> Any:
            # A copy keeps frozen, slots and init=False fields and skips __post_init__,
            # which already ran on the config and may not expect built objects.
            new = copy.copy(obj)
            try:
                for name in names:
                    value = getattr(obj, name, _ABSENT)
                    if value is not _ABSENT and type(value) not in atoms:
                        object.__setattr__(new, name, walk(value))
            except NodeFailure as failure:
                failure.chain.append(obj)
                raise
            return new

        return rebuild

    def _sequence_plan(self, kind: type, construct: Callable[[Any], Any]) -> Plan:
        walk, atoms = self.walk, _ATOMS
        if kind is list:  # the common case: the comprehension is already the result

            def walk_list(obj: Any) -> Any:
                try:
                    return [v if type(v) in atoms else walk(v) for v in obj]
                except NodeFailure as failure:
                    failure.chain.append(obj)
                    raise

            return walk_list

        def walk_items(obj: Any) -> Any:
            try:
                items = [v if type(v) in atoms else walk(v) for v in obj]
            except NodeFailure as failure:
                failure.chain.append(obj)
                raise
            return construct(items)

        return walk_items

    def _dict_plan(self, kind: type) -> Plan:
        walk, atoms = self.walk, _ATOMS
        construct: Any = kind  # dict subclasses take different arguments

        def walk_dict(obj: Any) -> Any:
            try:
                items = {k: v if type(v) in atoms else walk(v) for k, v in obj.items()}
            except NodeFailure as failure:
                failure.chain.append(obj)
                raise
            if kind is dict:
                return items
            if issubclass(kind, collections.defaultdict):
                return construct(obj.default_factory, items)
            return construct(items)

        return walk_dict


def _same(obj: Any) -> Any:
    return obj


def path_of(chain: list[object], root: str) -> str:
    """Spell out the path from the root to the failing node (`config.loss.modules[1]`).

    Args:
        chain: The failing node first, then each parent, the root last.
        root: The name the root is shown as.
    """
    path = root
    for parent, child in zip(reversed(chain), reversed(chain[:-1]), strict=False):
        path += _step(parent, child)
    return path


def _step(parent: object, child: object) -> str:
    if dataclasses.is_dataclass(parent):
        for f in dataclasses.fields(parent):
            if getattr(parent, f.name, _ABSENT) is child:
                return f".{f.name}"
    elif isinstance(parent, dict):
        for key, value in parent.items():
            if value is child:
                return f"[{key!r}]"
    elif isinstance(parent, (list, tuple)):
        for index, value in enumerate(parent):
            if value is child:
                return f"[{index}]"
    return "[…]"  # a set member has no position


def find_cycle(root: object, root_name: str) -> str | None:
    """The path of a node that contains one of its own ancestors, or `None` if there is none."""
    stack: list[tuple[object, str, frozenset[int]]] = [(root, root_name, frozenset())]
    while stack:
        node, path, ancestors = stack.pop()
        if id(node) in ancestors:
            return path
        children = _children(node)
        if children:
            inner = ancestors | {id(node)}
            stack.extend((child, path + step, inner) for step, child in children)
    return None


def _children(node: object) -> list[tuple[str, object]]:
    if type(node) in _ATOMS:
        return []
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [(f".{f.name}", getattr(node, f.name, None)) for f in dataclasses.fields(node)]
    if isinstance(node, dict):
        return [(f"[{k!r}]", v) for k, v in node.items()]
    if isinstance(node, (list, tuple)):
        return [(f"[{i}]", v) for i, v in enumerate(node)]
    if isinstance(node, (set, frozenset)):
        return [("[…]", v) for v in node]
    return []
