"""Typed building: a config that declares its target, so `build(config)` has its type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from ._registry import Registry

_Target_co = TypeVar("_Target_co", covariant=True)


class Configures(Generic[_Target_co]):
    """Base class of a config dataclass that declares what it builds.

    ```python
    @dataclass
    class ModelConfig(Configures["Model"]):
        width: int = 128

    model = build(ModelConfig())  # mypy and pyright: Model
    ```

    It adds no fields and no behaviour (and has empty `__slots__`, so `slots=True`
    dataclasses stay slotted); the pairing itself is still made by `register_with_config`.
    """

    __slots__ = ()


def build(config: Configures[_Target_co], *, registry: Registry | None = None) -> _Target_co:
    """Build the registered `config` (and its sub-configs) into its target, typed as the target.

    Unlike `configure_submodules`, this refuses configs that would build a
    `functools.partial` or that are registered with `instantiate=False`, so the type
    it promises is the type it returns.

    Args:
        config: An instance of a registered config class.
        registry: The registry to use; the default registry if omitted.

    Raises:
        RegistryError: `config` is not registered, would not build its target, or its
            target raised.
    """
    if registry is None:
        from .registry import registry as default  # here: that module imports this one

        return default.build(config)
    return registry.build(config)


class ConfiguresPartial(Generic[_Target_co]):
    """Base class of a config dataclass that builds a `functools.partial` of its target.

    For targets that need arguments only known at build time (an optimizer's
    parameters): `registry.configure_submodules(config)` is then typed as
    `functools.partial[Target]`, and calling it gives the target. Like `Configures`, it
    adds nothing at run time; a field typed `ConfiguresPartial[Optimizer]` is how
    `config_utils.cli.PartialConfigOf[Optimizer]` looks to a type checker.
    """

    __slots__ = ()
