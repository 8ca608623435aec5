"""Checked by mypy (strict), never run: what a type checker knows about `ConfigOf` fields.

A field typed `ConfigOf[Base]` / `PartialConfigOf[Base]` is any registered config whose
target makes a `Base`; `configure_submodules` of it is a `Base` / a partial of a `Base`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from config_utils import Configures, ConfiguresPartial, Registry
from config_utils.cli import ConfigOf, PartialConfigOf, config_field
from config_utils.registry import registry
from typing_extensions import assert_type


class Optimizer:
    def __init__(self, params: list[float], lr: float) -> None:
        self.params, self.lr = params, lr


class SGD(Optimizer):
    pass


class Model:
    def __init__(self, width: int) -> None:
        self.width = width


registry.register_family(Optimizer, [SGD], exclude=("params",))
registry.register_with_generated_config(Model)


@dataclass
class TrainConfig:
    optimizer: PartialConfigOf[Optimizer] = config_field(SGD, lr=0.1)  # noqa: RUF009
    model: ConfigOf[Model] = config_field(Model, width=8)  # noqa: RUF009


def built_fields(config: TrainConfig) -> None:
    make = registry.configure_submodules(config.optimizer)
    assert_type(make, functools.partial[Optimizer])
    assert_type(make([1.0]), Optimizer)
    assert_type(registry.configure_submodules(config.model), Model)
    assert_type(Registry().configure_submodules(config.model), Model)
    # The tree as a whole is not a declared config: nothing is promised about it.
    assert_type(registry.configure_submodules(config), Any)


def aliases(config: TrainConfig) -> None:
    # To a type checker the aliases are the typed bases, so hand-written configs fit too.
    assert_type(config.optimizer, ConfiguresPartial[Optimizer])
    assert_type(config.model, Configures[Model])


def not_any(config: TrainConfig) -> None:
    # Negative checks: a built field is not its config, and not the other field's target.
    wrong: Model = registry.configure_submodules(config.optimizer)  # type: ignore[assignment]
    also_wrong: Optimizer = registry.configure_submodules(config.model)  # type: ignore[assignment]
    assert wrong
    assert also_wrong


def family_returns_configs() -> None:
    assert_type(registry.register_family(Optimizer, [SGD]), dict[str, type])
    assert_type(registry.get("SGD"), Any)
    assert_type("SGD" in registry, bool)
