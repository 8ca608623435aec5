"""Building config trees: container types, partials, error paths, cycles."""

from __future__ import annotations

import collections
import functools
import sys
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
from config_utils.registry import Registry, RegistryError, RegistryWarning

reg = Registry()


@dataclass
class LeafConfig:
    value: int


@reg.register_with_config
class Leaf:
    def __init__(self, value: int) -> None:
        if value < 0:
            msg = f"value must be >= 0, got {value}"
            raise ValueError(msg)
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is Leaf and other.value == self.value

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class HashableLeafConfig:
    value: int


@reg.register_with_config(config=HashableLeafConfig)
def hashable_leaf(value: int) -> tuple[str, int]:
    return ("leaf", value)


@dataclass
class LossConfig:
    modules: list[Any]
    weight: float = 1.0


@reg.register_with_config
class Loss:
    def __init__(self, modules: list[Any], weight: float) -> None:
        self.modules = modules
        self.weight = weight


@dataclass
class TrainConfig:
    loss: LossConfig
    name: str = "run"


class Pair(NamedTuple):
    left: Any
    right: Any


@dataclass(frozen=True)
class Frozen:
    item: Any


@dataclass(slots=True)
class Slotted:
    item: Any


@dataclass(kw_only=True)
class KwOnly:
    item: Any


@dataclass
class WithDerived:
    item: Any
    derived: Any = field(init=False)

    def __post_init__(self) -> None:
        self.derived = [self.item]


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        ([LeafConfig(1), 2], [Leaf(1), 2]),
        ((LeafConfig(1), "x"), (Leaf(1), "x")),
        (Pair(LeafConfig(1), None), Pair(Leaf(1), None)),
        ({"a": LeafConfig(1), "b": [LeafConfig(2)]}, {"a": Leaf(1), "b": [Leaf(2)]}),
        ({HashableLeafConfig(3)}, {("leaf", 3)}),
        (frozenset({HashableLeafConfig(3), 4}), frozenset({("leaf", 3), 4})),
        (collections.OrderedDict(a=LeafConfig(1)), collections.OrderedDict(a=Leaf(1))),
        (Frozen(LeafConfig(1)), Frozen(Leaf(1))),
        (Slotted(LeafConfig(1)), Slotted(Leaf(1))),
        (KwOnly(item=LeafConfig(1)), KwOnly(item=Leaf(1))),
        (None, None),
    ],
    ids=lambda v: type(v).__name__,
)
def test_containers_keep_their_types(tree: Any, expected: Any) -> None:
    """Every kind of container is rebuilt with its own type around the built configs."""
    built = reg.configure_submodules(tree)
    assert type(built) is type(expected)
    assert built == expected


def test_defaultdict_keeps_its_factory() -> None:
    """A defaultdict is rebuilt with the same default factory."""
    tree = collections.defaultdict(list, {"a": LeafConfig(1)})
    built = reg.configure_submodules(tree)
    assert type(built) is collections.defaultdict
    assert built.default_factory is list
    assert built == {"a": Leaf(1)}


def test_init_false_fields_are_walked_and_kept() -> None:
    """An `init=False` field of a plain dataclass is walked, and `__post_init__` is not re-run."""
    tree = WithDerived(LeafConfig(1))
    tree.derived = [LeafConfig(2)]
    built = reg.configure_submodules(tree)
    assert built.item == Leaf(1)
    assert built.derived == [Leaf(2)]
    assert tree.derived == [LeafConfig(2)], "the input tree is not modified"


def test_constructor_type_error_is_an_error_not_a_partial() -> None:
    """A TypeError raised inside a constructor is reported, never turned into a partial."""
    other = Registry()

    @dataclass
    class PickyConfig:
        a: int

    @other.register_with_config
    class Picky:
        def __init__(self, a: int) -> None:
            raise TypeError("inside the constructor")

    with pytest.raises(RegistryError, match=r"^config: Picky\(\.\.\.\) raised TypeError"):
        other.configure_submodules(PickyConfig(1))


def test_failing_node_path_and_original_exception() -> None:
    """A constructor error names the failing node's path and keeps the original exception."""
    tree = TrainConfig(loss=LossConfig(modules=[LeafConfig(1), LeafConfig(-5)]))
    with pytest.raises(RegistryError) as caught:
        reg.configure_submodules(tree)
    error = caught.value
    assert str(error) == (
        "config.loss.modules[1]: Leaf(...) raised ValueError: value must be >= 0, got -5"
    )
    assert error.path == "config.loss.modules[1]"
    assert isinstance(error.original, ValueError)
    assert error.__cause__ is error.original


def test_failing_path_through_dict_and_tuple() -> None:
    """Paths name dict keys and tuple positions."""
    tree = {"stages": (LeafConfig(0), {"inner": LeafConfig(-1)})}
    with pytest.raises(RegistryError, match=r"^config\['stages'\]\[1\]\['inner'\]: Leaf"):
        reg.configure_submodules(tree)


def test_cycle_is_an_error() -> None:
    """A tree that contains itself is reported as a cycle, with the path that closes it."""
    loop: list[Any] = [LeafConfig(1)]
    loop.append({"again": loop})
    with pytest.raises(RegistryError, match=r"cycle: `config\[1\]\['again'\]` is one of its own"):
        reg.configure_submodules(loop)


def test_cycle_through_a_registered_config_is_an_error() -> None:
    """A registered config that contains itself is reported as a cycle too."""
    loss = LossConfig(modules=[])
    loss.modules.append(loss)
    with pytest.raises(RegistryError, match=r"cycle: `config\.modules\[0\]`"):
        reg.configure_submodules(loss)


def test_deep_tree_beyond_recursion_limit_is_explained() -> None:
    """A tree deeper than the recursion limit (no cycle) says so instead of crashing."""
    deep: Any = LeafConfig(1)
    for _ in range(sys.getrecursionlimit() + 10):
        deep = [deep]
    with pytest.raises(RegistryError, match=r"nested deeper than Python's recursion limit"):
        reg.configure_submodules(deep)


def test_partial_is_decided_by_the_signature() -> None:
    """A config missing required arguments builds a partial holding the config's values."""
    other = Registry()

    @dataclass
    class OptimizerConfig:
        lr: float

    @other.register_with_config
    def Optimizer(params: list[int], lr: float) -> tuple[list[int], float]:
        return params, lr

    built = other.configure_submodules(OptimizerConfig(lr=0.1))
    assert isinstance(built, functools.partial)
    assert built.keywords == {"lr": 0.1}
    assert built([1, 2]) == ([1, 2], 0.1)


def test_target_with_var_keywords_accepts_any_field() -> None:
    """A target taking **kwargs accepts every config field."""
    other = Registry()

    @dataclass
    class BagConfig:
        x: int
        y: str

    @other.register_with_config
    def Bag(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    assert other.configure_submodules(BagConfig(1, "a")) == {"x": 1, "y": "a"}


def test_shared_config_is_built_at_each_place() -> None:
    """A config object appearing twice is built twice: configs are values, like ints."""
    shared = LeafConfig(1)
    first, second = reg.configure_submodules([shared, shared])
    assert first == second
    assert first is not second


def test_unregistered_objects_are_returned_as_is() -> None:
    """Objects that are not containers or dataclasses come back unchanged (same object)."""
    marker = object()
    built = reg.configure_submodules([marker, LeafConfig, Leaf])
    assert built[0] is marker
    assert built[1] is LeafConfig
    assert built[2] is Leaf


def test_unregistered_subclass_of_a_config_warns() -> None:
    """A subclass of a registered config that is not registered itself warns, and is kept."""

    @dataclass
    class BigLeafConfig(LeafConfig):
        value: int = 100

    with pytest.warns(RegistryWarning, match=r"`.*BigLeafConfig` subclasses the registered") as w:
        built = reg.configure_submodules([BigLeafConfig()])
    assert "not built into `Leaf`" in str(w[0].message)
    assert w[0].filename == __file__
    assert built == [BigLeafConfig()]
