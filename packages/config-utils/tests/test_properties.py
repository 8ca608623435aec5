"""Property tests over random nested trees: configs built once each, everything else kept."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, NamedTuple

from config_utils.registry import Registry
from hypothesis import given, settings
from hypothesis import strategies as st

reg = Registry()
calls: list[int] = []


@dataclass
class NodeConfig:
    tag: int
    child: Any = None


@dataclass(frozen=True, slots=True)
class FrozenNodeConfig:
    tag: int


@dataclass(frozen=True)
class Built:
    kind: str
    tag: int
    child: Any = None


@reg.register_with_config
def Node(tag: int, child: Any) -> Built:
    calls.append(tag)
    return Built("node", tag, child)


@reg.register_with_config
def FrozenNode(tag: int) -> Built:
    calls.append(tag)
    return Built("frozen", tag)


class Pair(NamedTuple):
    left: Any
    right: Any


@dataclass
class Plain:
    a: Any
    b: Any = None


@dataclass(frozen=True, slots=True)
class FrozenSlots:
    a: Any


@dataclass(kw_only=True)
class KwOnly:
    a: Any


atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.binary(max_size=5),
)
hashables = st.one_of(atoms, st.builds(FrozenNodeConfig, st.integers()))


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.builds(Pair, children, children),
        st.dictionaries(st.text(max_size=3), children, max_size=4),
        st.frozensets(hashables, max_size=4),
        st.sets(hashables, max_size=4),
        st.builds(Plain, children, children),
        st.builds(FrozenSlots, children),
        st.builds(KwOnly, a=children),
        st.builds(NodeConfig, st.integers(), children),
    )


trees = st.recursive(hashables, extend, max_leaves=25)


def expected(tree: Any) -> Any:
    """The tree with every registered config replaced by what its target returns."""
    if isinstance(tree, NodeConfig):
        return Built("node", tree.tag, expected(tree.child))
    if isinstance(tree, FrozenNodeConfig):
        return Built("frozen", tree.tag)
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        fields = {f.name: expected(getattr(tree, f.name)) for f in dataclasses.fields(tree)}
        return type(tree)(**fields)
    if isinstance(tree, Pair):
        return Pair(expected(tree.left), expected(tree.right))
    if isinstance(tree, (list, tuple, set, frozenset)):
        return type(tree)(expected(v) for v in tree)
    if isinstance(tree, dict):
        return {k: expected(v) for k, v in tree.items()}
    return tree


def count_configs(tree: Any) -> int:
    if isinstance(tree, NodeConfig):
        return 1 + count_configs(tree.child)
    if isinstance(tree, FrozenNodeConfig):
        return 1
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return sum(count_configs(getattr(tree, f.name)) for f in dataclasses.fields(tree))
    if isinstance(tree, (list, tuple, set, frozenset)):
        return sum(count_configs(v) for v in tree)
    if isinstance(tree, dict):
        return sum(count_configs(v) for v in tree.values())
    return 0


def same_types(a: Any, b: Any) -> bool:
    """Whether `a` and `b` have the same type at every node (equality alone ignores types)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Built):
        return same_types(a.child, b.child)
    if dataclasses.is_dataclass(a):
        return all(
            same_types(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, (list, tuple)):
        return all(same_types(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return all(same_types(a[k], b[k]) for k in a)
    return True


@settings(max_examples=300, deadline=None)
@given(trees)
def test_every_config_built_once_everything_else_kept(tree: Any) -> None:
    """Each registered config is built exactly once; the rest of the tree is equal, same types."""
    calls.clear()
    built = reg.configure_submodules(tree)
    assert len(calls) == count_configs(tree)
    want = expected(tree)
    assert built == want
    assert same_types(built, want)


@settings(max_examples=200, deadline=None)
@given(trees.filter(lambda t: count_configs(t) == 0))
def test_trees_without_configs_come_back_equal(tree: Any) -> None:
    """A tree without registered configs comes back equal to itself, with the same types."""
    calls.clear()
    built = reg.configure_submodules(tree)
    assert calls == []
    assert built == tree
    assert same_types(built, tree)
