"""Checked by mypy (strict), never run: the typed face of the config-utils registry.

Building a config that declares its target (`Configures[Model]`) is typed as the target;
the decorators return what they decorate, unchanged.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from config_utils import Configures, Registry, RegistryError, build
from config_utils.registry import registry
from typing_extensions import assert_type

if TYPE_CHECKING:
    from collections.abc import Callable


class Model:
    def __init__(self, width: int) -> None:
        self.width = width


@dataclass
class ModelConfig(Configures[Model]):
    width: int = 8


@dataclass(frozen=True, slots=True)
class HeadConfig(Configures["Head"]):
    classes: int = 10


@registry.register_with_config(config=HeadConfig)
class Head:
    def __init__(self, classes: int) -> None:
        self.classes = classes


@dataclass
class LossConfig(Configures[float]):
    scale: float = 1.0


@registry.register_with_config("LossConfig")
def loss(scale: float) -> float:
    return scale


def built_types() -> None:
    # Building is typed as the target: mypy and pyright see `Model`, not `Any`.
    model: Model = build(ModelConfig())
    assert_type(build(ModelConfig()), Model)
    assert_type(registry.build(ModelConfig()), Model)
    assert_type(build(HeadConfig(), registry=Registry()), Head)
    assert_type(build(LossConfig()), float)
    assert model.width == 8


def decorators_keep_types() -> None:
    # The decorators return the class or function itself.
    assert_type(Head, type[Head])
    as_callable: Callable[[float], float] = loss
    assert_type(loss(1.0), float)
    assert as_callable(1.0) == 1.0
    assert_type(registry.register(Model), type[Model])
    assert_type(registry.register_with_config(Model), type[Model])
    assert_type(registry.register_with_generated_config(Model), type[Model])


def lookups() -> None:
    assert_type(registry.config_name(ModelConfig), str)
    assert_type(registry.config_class("ModelConfig"), type)
    assert_type(registry.is_registered_config(ModelConfig), bool)
    assert_type(registry.configure_submodules([ModelConfig()]), Any)
    assert_type(RegistryError("x").path, str | None)


def not_any() -> None:
    # Negative checks without `# type: ignore`: `assert_type` fails if the type were `Any`
    # or the config's own type, so these pin that no build result degrades to `Any`.
    head = build(HeadConfig())
    assert_type(head, Head)
    assert not isinstance(head, Model)
    as_partial = functools.partial(build, ModelConfig())
    assert_type(as_partial(), Model)


@dataclass
class UntypedConfig:
    width: int = 8


def refused() -> None:
    # `build` only takes configs that declare their target; `warn_unused_ignores` (strict)
    # makes these fail the check if they ever type-checked.
    build(UntypedConfig())  # type: ignore[arg-type]
    registry.build(UntypedConfig())  # type: ignore[arg-type]
    wrong: Head = build(ModelConfig())  # type: ignore[assignment]
    assert wrong
