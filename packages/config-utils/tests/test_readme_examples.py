"""The original README's registry section and the original nested LossConfig example, as written."""

import functools
from dataclasses import dataclass
from typing import Union

import pytest
import tyro
from config_utils.registry import registry
from tyro.conf import AvoidSubcommands

# --- "Registering an object" -------------------------------------------------------------


@registry.register
class SomeObject:
    pass


# --- "Registering an object with a config and configuring via tyro" ------------------------
# (LossModule1Config / LossModule1 are also the first module of the nested example below.)


@dataclass
class LossModule1Config:
    p1: int
    p2: float


@registry.register_with_config
class LossModule1:
    def __init__(
        self,
        p1,
        p2,
    ) -> None:
        self.p1 = p1
        self.p2 = p2


# --- The original project's nested example (src/test/test_tyro_submodules.py) ---------------


@dataclass
class LossModule2Config:
    p1: int
    p2: float
    p3: list[float]


@dataclass
class LossConfig:
    lam: float
    module: AvoidSubcommands[Union[LossModule1Config, LossModule2Config]]  # noqa: UP007


@registry.register_with_config
class LossModule2:
    def __init__(self, p1, p2, p3) -> None:
        self.p1 = p1
        self.p2 = p2
        self.p3 = p3


@registry.register_with_config("LossConfig")
class Loss:
    def __init__(self, lam: float, module: Union[LossModule1, LossModule2]) -> None:  # noqa: UP007
        self.lam = lam
        self.loss_module = module


# --- "If we had used a function instead ..." -----------------------------------------------


@dataclass
class ScaledSumConfig:
    a: float
    b: float
    scale: float = 2.0


@registry.register_with_config(config_name="ScaledSumConfig")
def scaled_sum(a: float, b: float, scale: float) -> float:
    return (a + b) * scale


# --- The original test_partial_registration.py ---------------------------------------------


@dataclass
class MyClassConfig:
    a: int
    b: int


@registry.register_with_config
class MyClass:
    def __init__(self, a: int, b: int, c: float) -> None:
        self.abc = a * b * c


@dataclass
class Config:
    my_class: MyClassConfig


def test_register_then_look_up_by_name() -> None:
    """`registry._clsname2cls['SomeObject']` gives back the registered class."""
    class_object = registry._clsname2cls["SomeObject"]
    assert class_object is SomeObject


def test_clsname2cls_is_a_real_mapping() -> None:
    """`_clsname2cls` behaves as a dict of name -> registered object."""
    assert "LossModule1" in registry._clsname2cls
    assert dict(registry._clsname2cls)["Loss"] is Loss
    assert registry._clsname2cls.get("NoSuchThing") is None


def test_configure_single_module_from_tyro() -> None:
    """`tyro.cli(LossModule1Config)` then `configure_submodules` builds a LossModule1."""
    loss_config = tyro.cli(LossModule1Config, args=["--p1", "3", "--p2", "0.5"])
    loss_module = registry.configure_submodules(loss_config)
    assert isinstance(loss_module, LossModule1)
    assert (loss_module.p1, loss_module.p2) == (3, 0.5)


@pytest.mark.parametrize(
    ("args", "module_type", "fields"),
    [
        (
            ["--lam", "0.1", "module:loss-module1-config", "--module.p1", "1", "--module.p2", "2"],
            LossModule1,
            {"p1": 1, "p2": 2.0},
        ),
        (
            [
                "--lam", "0.1", "module:loss-module2-config",
                "--module.p1", "1", "--module.p2", "2", "--module.p3", "0.5", "1.5",
            ],
            LossModule2,
            {"p1": 1, "p2": 2.0, "p3": [0.5, 1.5]},
        ),
    ],
)  # fmt: skip
def test_nested_loss_config_through_tyro(
    args: list[str], module_type: type, fields: dict[str, object]
) -> None:
    """The nested LossConfig example: tyro picks a module, configure_submodules builds both."""
    loss_config = tyro.cli(LossConfig, args=args)
    loss_fn = registry.configure_submodules(loss_config)
    assert isinstance(loss_fn, Loss)
    assert loss_fn.lam == 0.1
    assert type(loss_fn.loss_module) is module_type
    assert vars(loss_fn.loss_module) == fields


def test_function_target_returns_its_value() -> None:
    """A function registered with `config_name=` builds into its return value."""
    assert registry.configure_submodules(ScaledSumConfig(a=1, b=2)) == 6.0


def test_missing_required_argument_gives_partial() -> None:
    """The original partial test: a config missing `c` builds a functools.partial."""
    opt = registry.configure_submodules(Config(my_class=MyClassConfig(a=1, b=2)))
    assert isinstance(opt, Config)
    assert isinstance(opt.my_class, functools.partial)
    opt.my_class = opt.my_class(c=3.0)
    assert opt.my_class.abc == 6.0


def test_public_lookups_relate_names_targets_and_configs() -> None:
    """Names, targets and configs are found through the public lookups and the seed alias."""
    assert registry.config_class("LossConfig") is LossConfig
    assert registry.target_of(LossConfig) is Loss
    assert registry.config_for(LossModule2) is LossModule2Config
    assert registry.get("scaled_sum") is scaled_sum
    assert "scaled_sum" in registry
    assert registry._clsname2cls["scaled_sum"] is scaled_sum
