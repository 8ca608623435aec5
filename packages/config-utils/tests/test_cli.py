"""tyro helpers: named subcommands and subcommands made of registered configs."""

from dataclasses import dataclass, field
from typing import Annotated, Union

import pytest
import tyro
from config_utils.cli import registered_subcommands, tyro_subcommand
from config_utils.registry import Registry, RegistryError

reg = Registry()


@dataclass
class OptionA:
    arg1: int


@dataclass
class OptionB:
    arg1: str
    arg2: float


@dataclass
class ModelConfig:
    width: int = 4


@reg.register_with_config
class Model:
    def __init__(self, width: int) -> None:
        self.width = width


@dataclass
class TrainConfig:
    model: Annotated[ModelConfig, registered_subcommands(Model, registry=reg)] = field(
        default_factory=ModelConfig
    )
    steps: int = 10


# Registered after TrainConfig was declared: it must still be offered.
@dataclass
class DeepModelConfig(ModelConfig):
    depth: int = 3


@reg.register_with_config
class DeepModel(Model):
    def __init__(self, width: int, depth: int) -> None:
        super().__init__(width)
        self.depth = depth


# Not a Model: must not be offered.
@dataclass
class DataConfig:
    path: str = "."


@reg.register_with_config
class Data:
    def __init__(self, path: str) -> None:
        self.path = path


SubcommandUnion = Union[  # noqa: UP007 - tyro reads the Union at run time
    tyro_subcommand(OptionA, name="a1", default=OptionA(1), description="OptionA with 1"),
    tyro_subcommand(OptionA, name="a2", default=OptionA(2), description="OptionA with 2"),
    tyro_subcommand(OptionB, name="bc2", default=OptionB("c", 2.0), description="B with c, 2"),
]


def test_tyro_subcommand_names_and_defaults() -> None:
    """The original `tyro_subcommand` example: named subcommands with their defaults."""
    assert tyro.cli(SubcommandUnion, args=["a2"]) == OptionA(2)
    assert tyro.cli(SubcommandUnion, args=["bc2", "--arg2", "5"]) == OptionB("c", 5.0)


def test_tyro_subcommand_description_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    """The description given to `tyro_subcommand` shows in the help."""
    with pytest.raises(SystemExit):
        tyro.cli(SubcommandUnion, args=["--help"])
    assert "OptionA with 1" in capsys.readouterr().out


def test_registered_subcommands_default_and_later_registrations() -> None:
    """Every registered Model config is a subcommand, including ones registered later."""
    assert tyro.cli(TrainConfig, args=[]).model == ModelConfig()
    parsed = tyro.cli(TrainConfig, args=["model:DeepModelConfig", "--model.depth", "7"])
    assert parsed.model == DeepModelConfig(width=4, depth=7)
    built = reg.configure_submodules(parsed)
    assert type(built.model) is DeepModel
    assert built.model.depth == 7


def test_registered_subcommands_leave_out_other_targets(capsys: pytest.CaptureFixture[str]) -> None:
    """Configs whose target is not a subclass of the base are not offered."""
    with pytest.raises(SystemExit):
        tyro.cli(TrainConfig, args=["--help"])
    out = capsys.readouterr().out
    assert "model:DeepModelConfig" in out
    assert "DataConfig" not in out


def test_registered_subcommands_with_nothing_registered() -> None:
    """A base with no registered configs is reported when the CLI is parsed."""
    empty = Registry()

    class Nothing:
        pass

    @dataclass
    class Holder:
        thing: Annotated[ModelConfig, registered_subcommands(Nothing, registry=empty)]

    with pytest.raises(RegistryError, match=r"No registered config builds `.*Nothing`"):
        tyro.cli(Holder, args=[])


def test_tyro_subcommand_prefix_name_false() -> None:
    """`prefix_name=False` drops the field's name from a nested subcommand's name."""

    @dataclass
    class Outer:
        opt: Union[  # noqa: UP007
            tyro_subcommand(OptionA, name="plain-a", prefix_name=False),
            tyro_subcommand(OptionB, name="plain-b", prefix_name=False),
        ]

    parsed = tyro.cli(Outer, args=["plain-a", "--opt.arg1", "4"])
    assert parsed.opt == OptionA(4)
