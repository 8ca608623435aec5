"""Typed building: `build(config)` for configs that declare their target."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from config_utils.registry import Configures, Registry, RegistryError, build, registry

reg = Registry()


class Encoder:
    def __init__(self, width: int) -> None:
        self.width = width


@dataclass
class EncoderConfig(Configures[Encoder]):
    width: int = 2


reg.register_with_config(config=EncoderConfig)(Encoder)


@dataclass(slots=True, frozen=True)
class HeadConfig(Configures["Head"]):
    classes: int


@reg.register_with_config
class Head:
    def __init__(self, classes: int, encoder: Encoder) -> None:
        self.classes = classes


def test_build_returns_the_target() -> None:
    """`build` builds a config declaring its target, with a chosen registry."""
    built = build(EncoderConfig(width=3), registry=reg)
    assert isinstance(built, Encoder)
    assert built.width == 3
    assert reg.build(EncoderConfig()).width == 2


def test_configures_keeps_slots() -> None:
    """`Configures` adds no `__dict__`: slotted configs stay slotted."""
    assert not hasattr(HeadConfig(1), "__dict__")


def test_build_refuses_a_partial() -> None:
    """`build` refuses a config that would give a partial, since the type would lie."""
    with pytest.raises(RegistryError, match=r"`.*HeadConfig` builds a `functools.partial` of"):
        build(HeadConfig(3), registry=reg)


def test_build_refuses_unregistered_config() -> None:
    """`build` with the default registry refuses a config that nothing registered."""
    with pytest.raises(RegistryError, match=r"`.*EncoderConfig` is not a registered config"):
        build(EncoderConfig())
    assert not registry.is_registered_config(EncoderConfig)
