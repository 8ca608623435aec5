"""Config trees to plain data (JSON) and back, tagged by registry name."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import pytest
from config_utils import Registry, RegistryError
from config_utils.serialization import (
    TYPE_KEY,
    SerializationError,
    dumps,
    from_data,
    load,
    loads,
    save,
    to_data,
)
from hypothesis import given
from hypothesis import strategies as st

reg = Registry()


class Color(enum.Enum):
    RED = "red"
    GREEN = 2


@dataclass(frozen=True)
class LinearConfig:
    width: int = 8
    bias: bool = True


@reg.register_with_config
class Linear:
    def __init__(self, width: int, bias: bool) -> None:
        self.width = width


@dataclass(frozen=True)
class ConvConfig:
    channels: tuple[int, ...] = (3,)
    kernel: Literal["3x3", "5x5"] = "3x3"
    color: Color = Color.RED
    scale: float = 1.0


@reg.register_with_config
class Conv:
    def __init__(self, channels: tuple[int, ...], kernel: str, color: Color, scale: float) -> None:
        self.channels = channels


Layer = Union[LinearConfig, ConvConfig, "StackConfig"]


@dataclass(frozen=True)
class StackConfig:
    layers: list[Layer] = field(default_factory=list)
    head: LinearConfig | ConvConfig | None = None
    named: dict[str, Layer] = field(default_factory=dict)


@reg.register_with_config
class Stack:
    def __init__(self, layers: list[Any], head: Any, named: dict[str, Any]) -> None:
        self.layers = layers


@dataclass
class Unregistered:
    a: int = 0


@dataclass
class RunConfig:
    model: LinearConfig | ConvConfig | StackConfig = field(default_factory=LinearConfig)
    out: Path = Path("out")
    lr: int | float = 0.1
    tags: tuple[str, int] = ("a", 1)
    by_id: dict[int, str] = field(default_factory=dict)
    anything: Any = None
    plain: Unregistered | None = None


@dataclass
class OpenConfig:
    mapping: dict[str, Any] = field(default_factory=dict)
    items: list[Any] = field(default_factory=list)
    anything: Any = None
    obj: object = None
    objects: dict[str, object] = field(default_factory=dict)
    nested: list[dict[str, Any]] = field(default_factory=list)
    fixed: tuple[Any, ...] = ()
    either: int | Any = 0


def test_open_fields_holding_containers_round_trip() -> None:
    """`Any`/`object` fields and containers of them holding lists and dicts save and load."""
    config = OpenConfig(
        mapping={"a": [1, 2], "b": {"c": [3]}},
        items=[[1], {"x": [2]}],
        anything=[1, {"a": [2]}],
        obj={"k": [1]},
        objects={"k": [1, [2]]},
        nested=[{"a": [1]}],
        fixed=([1], {"b": 2}),
        either=[1, 2],
    )
    assert loads(OpenConfig, dumps(config, registry=reg), registry=reg) == config


def test_dict_key_naming_config_types_cannot_be_saved() -> None:
    """A plain dict holding the `@type` key is refused on save (it would load as a config)."""
    with pytest.raises(SerializationError, match=r"^config\.anything: cannot save dict key `@"):
        to_data(OpenConfig(anything={TYPE_KEY: "LinearConfig"}), registry=reg)


@dataclass
class ChainConfig:
    child: ChainConfig | None = None


def test_nesting_beyond_the_recursion_limit_is_one_error(tmp_path: Path) -> None:
    """Too deep a tree (saved, loaded, or a file of brackets) is an error saying the limit."""
    chain = ChainConfig()
    for _ in range(5000):
        chain = ChainConfig(chain)
    with pytest.raises(SerializationError, match=r"^the config is nested deeper than Python's rec"):
        dumps(chain, registry=reg)
    target = tmp_path / "config.json"
    target.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(SerializationError, match=r"config\.json: the config is nested deeper"):
        load(OpenConfig, target, registry=reg)
    with pytest.raises(SerializationError, match=r"nested deeper than Python's recursion limit"):
        from_data(ChainConfig, to_data(ChainConfig(ChainConfig())) | {"child": _deep_dict(5000)})


def _deep_dict(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for _ in range(depth):
        data = {"child": data}
    return data


def test_config_that_contains_itself_names_the_place() -> None:
    """A list that contains itself is an error naming where, not a RecursionError."""
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(SerializationError, match=r"^config\.items\[0\]: the config contains it"):
        to_data(OpenConfig(items=looped), registry=reg)


def test_nested_unions_are_tagged_by_registry_name() -> None:
    """A dataclass in a union field carries `@type` with its registry name, not an import path."""
    config = RunConfig(model=StackConfig(layers=[LinearConfig(4), ConvConfig()], head=ConvConfig()))
    data = to_data(config, registry=reg)
    assert data["model"][TYPE_KEY] == "StackConfig"
    assert [layer[TYPE_KEY] for layer in data["model"]["layers"]] == ["LinearConfig", "ConvConfig"]
    assert "config_utils" not in dumps(config, registry=reg)
    assert TYPE_KEY not in data  # the root's type is the one the caller gives


def test_round_trip_keeps_types_exactly() -> None:
    """Path, Enum, Literal, tuples, int keys, int-or-float and Optional come back as they were."""
    config = RunConfig(
        model=ConvConfig(channels=(1, 2), kernel="5x5", color=Color.GREEN, scale=float("inf")),
        out=Path("a/b"),
        lr=3,
        tags=("x", 2),
        by_id={1: "one"},
        anything=LinearConfig(2),
        plain=Unregistered(5),
    )
    back = loads(RunConfig, dumps(config, registry=reg), registry=reg)
    assert back == config
    assert type(back.lr) is int
    assert isinstance(back.out, Path)
    assert back.model.color is Color.GREEN  # type: ignore[union-attr]


def test_file_is_readable_json() -> None:
    """The file is indented JSON with enum names and paths as plain strings."""
    text = dumps(RunConfig(model=ConvConfig()), registry=reg)
    assert text.endswith("}\n")
    assert '\n  "out": "out",' in text
    assert json.loads(text)["model"] == {
        TYPE_KEY: "ConvConfig",
        "channels": [3],
        "kernel": "3x3",
        "color": "RED",
        "scale": 1.0,
    }


def test_unknown_type_name_names_the_path_and_registered_names() -> None:
    """An `@type` nothing is registered under is an error naming its path and what is registered."""
    data = to_data(
        RunConfig(model=StackConfig(layers=[LinearConfig(), ConvConfig()])), registry=reg
    )
    data["model"]["layers"][1][TYPE_KEY] = "ConvConfg"
    with pytest.raises(SerializationError) as caught:
        from_data(RunConfig, data, registry=reg)
    message = str(caught.value)
    assert message.startswith("config.model.layers[1]: unknown config type: `ConvConfg`")
    assert "registered: ConvConfig, LinearConfig, StackConfig" in message
    assert "`ConvConfig`" in message  # the nearest name
    assert caught.value.path == "config.model.layers[1]"
    assert isinstance(caught.value, RegistryError)


def test_removed_field_names_the_path() -> None:
    """A key that is no longer a field is an error naming it and the fields that exist."""
    data = to_data(RunConfig(), registry=reg)
    data["model"]["depth"] = 3
    with pytest.raises(SerializationError, match=r"^config\.model\.depth: `LinearConfig` has no "):
        from_data(RunConfig, data, registry=reg)


def test_missing_field_takes_its_default_or_fails() -> None:
    """A field added since the file was written takes its default; one without a default fails."""
    assert from_data(RunConfig, {}, registry=reg) == RunConfig()

    @dataclass
    class Needs:
        a: int

    with pytest.raises(SerializationError, match=r"^config\.a: missing"):
        from_data(Needs, {}, registry=reg)


def test_wrong_value_type_names_the_path() -> None:
    """A value of the wrong type is an error naming its path and the declared type."""
    with pytest.raises(
        SerializationError, match=r"^config\.tags\[1\]: `\"2\"` is not a valid `int`"
    ):
        from_data(RunConfig, {"tags": ["a", "2"]}, registry=reg)
    with pytest.raises(
        SerializationError, match=r"config\.model\.color: `\"BLUE\"` is not a member"
    ):
        from_data(RunConfig, {"model": {TYPE_KEY: "ConvConfig", "color": "BLUE"}}, registry=reg)


def test_type_that_does_not_fit_the_field_is_an_error() -> None:
    """A registered name whose class is not allowed by the field's type is refused."""
    data = {"model": {TYPE_KEY: "StackConfig"}}

    @dataclass
    class OnlyLinear:
        model: LinearConfig

    with pytest.raises(SerializationError, match=r"`StackConfig` does not fit a field typed"):
        from_data(OnlyLinear, data, registry=reg)


def test_unregistered_dataclass_in_union_cannot_be_saved() -> None:
    """Saving an unregistered dataclass where a union needs its name is an error naming the path."""

    @dataclass
    class Holder:
        value: LinearConfig | Unregistered

    with pytest.raises(SerializationError, match=r"^config\.value: `.*Unregistered` fills a field"):
        to_data(Holder(Unregistered()), registry=reg)


def test_file_helpers_write_atomically_and_prefix_errors(tmp_path: Path) -> None:
    """save/load use a file; load errors start with the file name; bad JSON is one clear error."""
    target = tmp_path / "config.json"
    save(RunConfig(lr=0.5), target, registry=reg)
    assert load(RunConfig, target, registry=reg) == RunConfig(lr=0.5)
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]
    target.write_text("{oops", encoding="utf-8")
    with pytest.raises(SerializationError, match=r"config\.json: not a config file \(invalid JSON"):
        load(RunConfig, target, registry=reg)


def test_default_registry_is_used_without_argument() -> None:
    """Without `registry=`, union members are named from the default registry."""
    assert from_data(Unregistered, to_data(Unregistered(3))) == Unregistered(3)
    with pytest.raises(SerializationError, match=r"config\.model: `LinearConfig` fills a field "):
        to_data(RunConfig())  # registered in `reg`, not in the default registry


# Property tests ---------------------------------------------------------------------------

_texts = st.text(max_size=5)
_ints = st.integers(min_value=-(2**60), max_value=2**60)
_floats = st.floats(allow_nan=False)

_linear = st.builds(LinearConfig, width=_ints, bias=st.booleans())
_conv = st.builds(
    ConvConfig,
    channels=st.lists(_ints, max_size=3).map(tuple),
    kernel=st.sampled_from(["3x3", "5x5"]),
    color=st.sampled_from(Color),
    scale=_floats,
)


def _stacks(children: st.SearchStrategy[Any]) -> st.SearchStrategy[StackConfig]:
    return st.builds(
        StackConfig,
        layers=st.lists(children, max_size=3),
        head=st.none() | _linear | _conv,
        named=st.dictionaries(_texts, children, max_size=2),
    )


_layers = st.recursive(_linear | _conv, _stacks, max_leaves=8)
_run_configs = st.builds(
    RunConfig,
    model=_layers,
    out=st.text(alphabet="ab/", min_size=1, max_size=6).map(Path),
    lr=_ints | _floats,
    tags=st.tuples(_texts, _ints),
    by_id=st.dictionaries(_ints, _texts, max_size=3),
    anything=st.none() | _ints | _texts | _layers,
    plain=st.none() | st.builds(Unregistered, a=_ints),
)


@given(_run_configs)
def test_random_config_trees_round_trip_exactly(config: RunConfig) -> None:
    """Random trees of nested unions of registered configs come back equal, types and all."""
    back = loads(RunConfig, dumps(config, registry=reg), registry=reg)
    assert back == config
    assert type(back.lr) is type(config.lr)
    assert to_data(back, registry=reg) == to_data(config, registry=reg)


_open_leaves = st.none() | st.booleans() | _ints | _floats | _texts | _linear | _conv
_open_values = st.recursive(
    _open_leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(_texts.filter(lambda key: key != TYPE_KEY), children, max_size=3)
    ),
    max_leaves=10,
)
_open_dicts = st.dictionaries(_texts, _open_values, max_size=3)
_open_configs = st.builds(
    OpenConfig,
    mapping=_open_dicts,
    items=st.lists(_open_values, max_size=3),
    anything=_open_values,
    obj=_open_values,
    objects=_open_dicts,
    nested=st.lists(_open_dicts, max_size=2),
    fixed=st.lists(_open_values, max_size=3).map(tuple),
    either=_ints | _open_values,
)


@given(_open_configs)
def test_random_open_trees_round_trip_exactly(config: OpenConfig) -> None:
    """`Any`, `object` and nested containers of them (lists, dicts, configs) come back equal."""
    assert loads(OpenConfig, dumps(config, registry=reg), registry=reg) == config
