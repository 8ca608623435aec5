"""Name and type lookups that other packages (serialization) rely on."""

from __future__ import annotations

from dataclasses import dataclass

import config_utils
import pytest
from config_utils.registry import Registry, RegistryError, UnknownNameError


@pytest.fixture
def reg() -> Registry:
    return Registry()


def test_config_name_and_class_round_trip(reg: Registry) -> None:
    """config_name(type) gives the config class's name and config_class(name) gives it back."""

    @dataclass
    class ThingConfig:
        a: int

    @reg.register_with_config
    class Thing:
        def __init__(self, a: int) -> None:
            self.a = a

    assert reg.config_name(ThingConfig) == "ThingConfig"
    assert reg.config_class("ThingConfig") is ThingConfig
    assert reg.is_registered_config(ThingConfig)
    assert reg.target_of(ThingConfig) is Thing


def test_unregistered_config_type_is_an_error(reg: Registry) -> None:
    """config_name of a dataclass that is not paired raises RegistryError naming it."""

    @dataclass
    class LooseConfig:
        a: int

    assert not reg.is_registered_config(LooseConfig)
    with pytest.raises(RegistryError, match=r"`.*LooseConfig` is not a registered config"):
        reg.config_name(LooseConfig)


def test_unknown_config_name_lists_registered_and_nearest(reg: Registry) -> None:
    """config_class of an unknown name lists what is registered and the nearest matches."""

    @dataclass
    class LossModule1Config:
        p1: int

    @reg.register_with_config
    class LossModule1:
        def __init__(self, p1: int) -> None:
            self.p1 = p1

    with pytest.raises(UnknownNameError) as caught:
        reg.config_class("LossModul1Config")
    message = str(caught.value)
    assert "`LossModul1Config` is not a registered config" in message
    assert "registered: LossModule1Config" in message
    assert "Did you mean `LossModule1Config`?" in message
    assert isinstance(caught.value, RegistryError)
    assert isinstance(caught.value, KeyError)


def test_registry_error_is_reexported() -> None:
    """RegistryError is importable from the package root, the same class."""
    assert config_utils.RegistryError is RegistryError


def test_unknown_config_when_only_plain_names_are_registered(reg: Registry) -> None:
    """With names but no configs registered, a config miss says no config is registered."""

    @reg.register
    class Plain:
        pass

    with pytest.raises(UnknownNameError) as caught:
        reg.config_class("PlainConfig")
    assert str(caught.value).startswith("`PlainConfig` is not a registered config (no config is")


def test_instance_instead_of_class_is_explained(reg: Registry) -> None:
    """Passing a config instance where its class is wanted says to pass `type(config)`."""

    @dataclass
    class SlipConfig:
        a: int = 1

    @reg.register_with_config
    class Slip:
        def __init__(self, a: int) -> None: ...

    lookups = [reg.config_name, reg.is_registered_config, reg.target_of]
    for lookup in lookups:
        with pytest.raises(RegistryError, match=r"takes a config class, not `.*SlipConfig\(a=1\)`"):
            lookup(SlipConfig())  # type: ignore[arg-type]
    with pytest.raises(RegistryError, match=r"pass its class: `type\(config\)`"):
        reg.register_with_config(config=SlipConfig())(Slip)  # type: ignore[call-overload]
    with pytest.raises(RegistryError, match=r"^`configs_for\(\)` takes a target class, not"):
        reg.configs_for(Slip(1))  # type: ignore[arg-type]


def test_class_instead_of_name_is_explained(reg: Registry) -> None:
    """`config_class` given a class instead of its name says which name to pass."""

    @dataclass
    class NamedConfig:
        a: int = 1

    with pytest.raises(RegistryError, match=r"registered name \(a `str`\), not .*`NamedConfig`"):
        reg.config_class(NamedConfig)  # type: ignore[arg-type]


def test_get_and_in_find_registered_objects(reg: Registry) -> None:
    """`registry.get(name)` returns the registered object; `in` says whether one is there."""

    @reg.register
    def scaled(x: float) -> float:
        return 2 * x

    assert reg.get("scaled") is scaled
    assert "scaled" in reg
    assert "scald" not in reg
    assert 3 not in reg
    with pytest.raises(UnknownNameError, match=r"^`scald` is not a registered name .* `scaled`"):
        reg.get("scald")


def test_seed_alias_is_the_same_lookup(reg: Registry) -> None:
    """`registry._clsname2cls` (the seed's documented name) reads what `get` reads."""

    @reg.register(name="other")
    class Thing:
        pass

    assert reg._clsname2cls["other"] is reg.get("other") is Thing
    assert dict(reg._clsname2cls) == {"other": Thing}
    assert "other" in reg._clsname2cls
