"""tyro helpers: named subcommands, and subcommands made of every registered config of a kind.

This is the only module of config-utils that imports tyro.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

import tyro

from ._errors import RegistryError
from .registry import registry as default_registry

if TYPE_CHECKING:
    from ._registry import Registry


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
    """A tyro marker: offer every registered config whose target subclasses `base` as a subcommand.

    Put it in `Annotated` on a field typed as the base's config, so type checkers keep
    seeing that type while tyro offers one subcommand per registered config (named by its
    registry name). The set is computed when the command line is parsed, so configs
    registered after the field was declared count.

    ```python
    @dataclass
    class TrainConfig:
        model: Annotated[ModelConfig, registered_subcommands(Model)] = field(
            default_factory=ModelConfig
        )
    ```

    Args:
        base: A registered target class; configs of it and its subclasses are offered.
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
            tyro_subcommand(config, name=source.config_name(config)) for config in configs
        )
        return members[0] if len(members) == 1 else Union[members]  # noqa: UP007 - built at run time

    return tyro.conf.arg(constructor_factory=union)


__all__ = ["registered_subcommands", "tyro_subcommand"]
