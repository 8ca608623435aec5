"""tyro helpers: named subcommands, and subcommands made of every registered config of a kind.

`ConfigOf[Base]` / `PartialConfigOf[Base]` type a field as "any registered config whose
target is a `Base`": tyro offers one subcommand per registration, and a type checker
knows what `configure_submodules` makes of it. This is the only module of config-utils
that imports tyro.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union

import tyro

from ._errors import RegistryError
from ._typed import Configures, ConfiguresPartial
from .registry import registry as default_registry

if TYPE_CHECKING:
    from typing import TypeAlias

    from ._registry import Registry

_T = TypeVar("_T")


_UNSET: Any = object()


def tyro_subcommand(
    config_type: Any,
    *,
    name: str | None = None,
    default: Any = _UNSET,
    description: str | None = None,
    prefix_name: bool = True,
    **subcommand_kwargs: Any,
) -> Any:
    """`config_type` as a tyro subcommand: `Annotated[config_type, tyro.conf.subcommand(...)]`.

    Args:
        config_type: The type the subcommand parses into.
        name: The subcommand's name on the command line.
        default: The value the subcommand starts from.
        description: The subcommand's help text.
        prefix_name: Whether the subcommand name is prefixed with the field's name.
        **subcommand_kwargs: Anything else `tyro.conf.subcommand` accepts.

    Example:
        ```python
        Optimizer = Union[
            tyro_subcommand(AdamConfig, name="adam", default=AdamConfig(lr=1e-3)),
            tyro_subcommand(SgdConfig, name="sgd", description="plain SGD"),
        ]
        ```
    """
    if default is not _UNSET:
        subcommand_kwargs["default"] = default
    marker = tyro.conf.subcommand(
        name, description=description, prefix_name=prefix_name, **subcommand_kwargs
    )
    return Annotated[config_type, marker]


def registered_subcommands(base: type, *, registry: Registry | None = None) -> Any:
    """A tyro marker: offer every registered config whose target makes a `base` as a subcommand.

    Put it in `Annotated` on a field typed as the base's config, so type checkers keep
    seeing that type while tyro offers one subcommand per registered config, named by
    its command-line name (`cli_name=`, a family's names) or else its registry name.
    Targets count when they are `base`, a subclass, or a function annotated to return
    one. The set is computed when the command line is parsed, so configs registered
    after the field was declared count. The field's default picks the default member.

    ```python
    @dataclass
    class TrainConfig:
        model: Annotated[ModelConfig, registered_subcommands(Model)] = field(
            default_factory=ModelConfig
        )
    ```

    Args:
        base: A class; registered configs whose targets make one are offered.
        registry: The registry to ask (the default registry if omitted).
    """

    def union() -> Any:
        source = registry if registry is not None else default_registry
        configs = source.configs_for(base)
        if not configs:
            msg = (
                f"No registered config builds `{base.__qualname__}` or a subclass of it; "
                "register one with `@registry.register_with_config`, or import its module."
            )
            raise RegistryError(msg)
        members = tuple(
            tyro_subcommand(config, name=source.command_line_name(config)) for config in configs
        )
        return members[0] if len(members) == 1 else Union[members]  # noqa: UP007 - built at run time

    return tyro.conf.arg(constructor_factory=union)


def config_field(target: Any, /, *, registry: Registry | None = None, **overrides: Any) -> Any:
    """A dataclass field whose default is the registered config of `target`.

    The default member of a `ConfigOf[...]` field: `optimizer: PartialConfigOf[Optimizer]
    = config_field(torch.optim.Adam, lr=1e-2)`. The config is looked up (and made, with
    `overrides` as its values) each time a default is needed, never at import.

    Args:
        target: A registered class or function with a config.
        registry: The registry to ask (the default registry if omitted).
        **overrides: Values of the config's fields.
    """

    def make() -> Any:
        source = registry if registry is not None else default_registry
        return source.config_for(target)(**overrides)

    return dataclasses.field(default_factory=make)


if TYPE_CHECKING:
    ConfigOf: TypeAlias = Configures[_T]
    PartialConfigOf: TypeAlias = ConfiguresPartial[_T]
else:

    class ConfigOf:
        """`ConfigOf[Base]`: any config of the default registry whose target makes a `Base`.

        On the command line, one subcommand per such registration
        (`registered_subcommands(Base)`); to a type checker, `Configures[Base]`, so
        `registry.configure_submodules(value)` is a `Base`.
        """

        _typed = Configures

        def __class_getitem__(cls, base: type) -> Any:
            return Annotated[cls._typed[base], registered_subcommands(base)]

    class PartialConfigOf(ConfigOf):
        """`PartialConfigOf[Base]`: like `ConfigOf[Base]`, for configs that build partials.

        To a type checker, `ConfiguresPartial[Base]`: `registry.configure_submodules(value)`
        is a `functools.partial` that makes a `Base` once called with what the config
        leaves out (an optimizer's parameters, say).
        """

        _typed = ConfiguresPartial


__all__ = [
    "ConfigOf",
    "PartialConfigOf",
    "config_field",
    "registered_subcommands",
    "tyro_subcommand",
]
