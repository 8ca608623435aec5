"""Configs generated for classes we don't own, families, and `PartialConfigOf` fields (no torch)."""

import dataclasses
import functools
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
import tyro
from config_utils import ConfiguresPartial, config_from_signature
from config_utils.cli import config_field, registered_subcommands
from config_utils.registry import Registry, RegistryError, RegistryWarning
from config_utils.serialization import dumps, loads


@pytest.fixture(scope="module")
def lib() -> Any:
    """The stand-in library, imported as a real module (its generated configs land there)."""
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        yield importlib.import_module("standin_optim")
    finally:
        sys.path.remove(str(Path(__file__).parent))
        sys.modules.pop("standin_optim", None)


@pytest.fixture
def reg() -> Registry:
    return Registry()


def _fields(config: type) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(config)}


def test_excluded_parameter_builds_a_partial_awaiting_it(lib: Any, reg: Registry) -> None:
    """`exclude=("params",)` leaves `params` out; the build is a partial that takes it."""
    reg.register_with_generated_config(lib.SGD, exclude=("params",))
    config = reg.config_for(lib.SGD)
    assert "params" not in _fields(config)
    make = reg.configure_submodules(config(lr=0.1, momentum=0.9))
    assert isinstance(make, functools.partial)
    built = make([lib.Tensor()])
    by_hand = lib.SGD([lib.Tensor()], lr=0.1, momentum=0.9)
    assert type(built) is lib.SGD
    assert built.defaults == by_hand.defaults
    assert len(built.params) == 1


def test_mixed_annotations_keep_their_command_line_part(lib: Any) -> None:
    """`float | Tensor` becomes `float`, and a tuple of such unions a tuple of floats."""
    config = config_from_signature(lib.Adam, exclude=("params",), name="AdamMixedConfig")
    fields = _fields(config)
    assert fields["lr"].type is float
    assert fields["betas"].type == tuple[float, float]
    assert fields["betas"].default == (0.9, 0.999)


def test_unrenderable_parameters_with_defaults_are_left_out_and_listed(lib: Any) -> None:
    """A parameter the command line cannot give but that has a default is left out, by name."""
    config = config_from_signature(lib.SGD, exclude=("params",), name="SGDListedConfig")
    assert list(_fields(config)) == ["lr", "momentum", "nesterov", "foreach"]
    doc = config.__doc__ or ""
    assert "Left out, supplied at build time: params." in doc
    assert "Left out automatically (the command line cannot give them" in doc
    assert doc.rstrip().count("hook") == 1


def test_unrenderable_parameter_without_default_is_one_clear_error(lib: Any) -> None:
    """A required parameter the command line cannot give names itself and the way out."""
    with pytest.raises(RegistryError) as caught:
        config_from_signature(lib.SGD, name="SGDNoExcludeConfig")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("Parameter `params` of `SGD` has type `Iterable[Tensor] | ")
    assert 'leave it out with `exclude=("params",)`' in message


def test_exclude_naming_no_parameter_is_refused(lib: Any, reg: Registry) -> None:
    """`exclude=` with a misspelt parameter names it, the parameters, and the nearest one."""
    with pytest.raises(RegistryError) as caught:
        reg.register_with_generated_config(lib.SGD, exclude=("parms",))
    assert str(caught.value) == (
        "`exclude=` names `parms`, which is not a parameter of `SGD` (its parameters: "
        "params, lr, momentum, nesterov, foreach, hook). Did you mean `params`?"
    )
    assert "SGD" not in reg


def test_only_keeps_the_named_parameters(lib: Any, reg: Registry) -> None:
    """`only=("lr",)` keeps `lr`; the optional rest take the target's defaults."""
    reg.register_with_generated_config(lib.SGD, only=("lr",), config_name="SGDLrConfig")
    config = reg.config_class("SGDLrConfig")
    assert list(_fields(config)) == ["lr"]
    built = reg.configure_submodules(config(lr=0.5))([])
    assert built.defaults == {"lr": 0.5, "momentum": 0, "nesterov": False}


def test_exclude_and_only_together_are_refused(lib: Any) -> None:
    """Both `exclude=` and `only=` is ambiguous and refused."""
    with pytest.raises(RegistryError, match=r"^Pass `exclude=` or `only=` for `SGD`, not both"):
        config_from_signature(lib.SGD, exclude=("params",), only=("lr",))


def test_a_string_for_exclude_is_refused(lib: Any) -> None:
    """`exclude="params"` (a string, not a tuple) says how to write it."""
    with pytest.raises(RegistryError, match=r"not a string; write `\('params',\)`"):
        config_from_signature(lib.SGD, exclude="params")


def test_defaults_override_and_make_required_parameters_optional(lib: Any) -> None:
    """`defaults=` sets new defaults, also for a parameter that had none."""
    config = config_from_signature(
        lib.StepLR, exclude=("optimizer",), defaults={"step_size": 5}, name="StepFiveConfig"
    )
    assert config() == config(step_size=5, gamma=0.1)
    with pytest.raises(RegistryError, match=r"`defaults=` names `gama`.* Did you mean `gamma`"):
        config_from_signature(lib.StepLR, exclude=("optimizer",), defaults={"gama": 0.5})
    with pytest.raises(RegistryError, match=r"leaves `optimizer` out; remove it from `exclude=`"):
        config_from_signature(lib.StepLR, exclude=("optimizer",), defaults={"optimizer": None})


def test_help_comes_from_google_and_numpy_docstrings(
    lib: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tyro shows each field's help from a Google (SGD) and a numpy (Adam) docstring."""
    sgd = config_from_signature(lib.SGD, exclude=("params",), name="SGDHelpConfig")
    adam = config_from_signature(lib.Adam, exclude=("params",), name="AdamHelpConfig")
    with pytest.raises(SystemExit):
        tyro.cli(sgd, args=["--help"])
    sgd_help = " ".join(capsys.readouterr().out.split())
    assert "learning rate (default: 0.001)" in sgd_help, "the doc's own default is dropped"
    assert "enables Nesterov momentum. (default: False)" in sgd_help
    assert "A long explanation" not in sgd_help
    with pytest.raises(SystemExit):
        tyro.cli(adam, args=["--help"])
    adam_help = " ".join(capsys.readouterr().out.split())
    assert "Coefficients of the running averages." in adam_help
    assert "Added to the denominator." in adam_help
    assert "Nothing here is a parameter" not in adam_help


def test_tuple_fields_parse_from_the_command_line(lib: Any, reg: Registry) -> None:
    """`--betas 0.8 0.9` fills the tuple field, and the built object gets the tuple."""
    reg.register_with_generated_config(lib.Adam, exclude=("params",))
    parsed = tyro.cli(reg.config_for(lib.Adam), args=["--betas", "0.8", "0.9", "--lr", "0.01"])
    built = reg.configure_submodules(parsed)([])
    assert built.defaults == lib.Adam([], lr=0.01, betas=(0.8, 0.9)).defaults


def test_family_from_a_module_registers_each_member_and_skips_in_one_line(
    lib: Any, reg: Registry
) -> None:
    """A module family names members by class in lower case; the unconfigurable one is skipped."""
    with pytest.warns(RegistryWarning) as caught:
        configs = reg.register_family(lib.Optimizer, lib, exclude=("params",))
    assert sorted(configs) == ["adam", "sgd"]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "\n" not in message
    assert message.startswith("`register_family(Optimizer)` skipped 1 member(s) the command")
    assert "LBFGS (Parameter `closure` of `LBFGS` has type `Callable[[], float]`" in message
    assert reg.command_line_name(configs["sgd"]) == "sgd"


def test_family_with_per_member_defaults_and_names(lib: Any, reg: Registry) -> None:
    """A mapping gives each member its own defaults; `names=` its command-line name."""
    configs = reg.register_family(
        lib.Optimizer,
        {lib.SGD: {"lr": 0.1, "momentum": 0.9}, lib.Adam: {"lr": 0.01}},
        exclude=("params",),
        names={lib.Adam: "adam-default"},
    )
    assert set(configs) == {"sgd", "adam-default"}
    assert configs["sgd"]().lr == 0.1
    assert configs["adam-default"]().lr == 0.01


def test_family_bad_input_is_one_clear_error_each(lib: Any, reg: Registry) -> None:
    """No member, a shared command-line name, a listed non-member: one line each."""
    with pytest.raises(
        RegistryError, match=r"^`register_family\(\)` found no subclass of `Tensor`"
    ):
        reg.register_family(lib.Tensor, lib)
    with pytest.raises(RegistryError) as caught:
        reg.register_family(
            lib.Optimizer, [lib.SGD, lib.Adam], exclude=("params",), names={lib.Adam: "sgd"}
        )
    assert str(caught.value) == (
        "`SGD` and `Adam` would both be `sgd` on the command line; give one another name "
        "with `names={Adam: ...}`."
    )
    with pytest.raises(RegistryError, match=r"got `<class 'standin_optim.StepLR'>`, which is not"):
        reg.register_family(lib.Optimizer, [lib.SGD, lib.StepLR], exclude=("params",))
    with pytest.raises(RegistryError, match=r"^`defaults=` names `StepLR`, which is not a member"):
        reg.register_family(
            lib.Optimizer, [lib.SGD], exclude=("params",), defaults={lib.StepLR: {}}
        )
    with pytest.raises(RegistryError, match=r"^`exclude=` names `parms`"):
        reg.register_family(lib.Optimizer, lib, exclude=("parms",))
    assert "SGD" not in reg, "nothing was registered by the failed calls"


def _train_config(lib: Any, reg: Registry) -> type:
    """A config whose `optimizer` is any registered `Optimizer` config of `reg`, Adam by default."""

    @tyro.conf.configure(tyro.conf.CascadeSubcommandArgs)
    @dataclass
    class Train:
        optimizer: Annotated[
            ConfiguresPartial[lib.Optimizer], registered_subcommands(lib.Optimizer, registry=reg)
        ] = config_field(lib.Adam, registry=reg, lr=0.05)  # noqa: RUF009 - a field, as field() is
        steps: int = 3

    return Train


def test_partial_config_field_renders_subcommands_with_a_default(
    lib: Any, reg: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """The field offers `optimizer:sgd` and `optimizer:adam`, Adam (with its values) by default."""
    reg.register_family(lib.Optimizer, [lib.SGD, lib.Adam], exclude=("params",))
    train = _train_config(lib, reg)
    default = tyro.cli(train, args=[])
    assert default.optimizer == reg.config_for(lib.Adam)(lr=0.05)
    with pytest.raises(SystemExit):
        tyro.cli(train, args=["--help"])
    usage = capsys.readouterr().out
    assert "optimizer:sgd" in usage
    assert "(default: optimizer:adam)" in usage
    parsed = tyro.cli(train, args=["optimizer:sgd", "--optimizer.lr", "0.2", "--steps", "4"])
    optimizer = reg.configure_submodules(parsed.optimizer)([lib.Tensor()])
    assert optimizer.defaults == lib.SGD([], lr=0.2).defaults
    assert parsed.steps == 4


def test_partial_config_field_round_trips_through_a_config_file(lib: Any, reg: Registry) -> None:
    """A `ConfiguresPartial[...]` field is saved with its registered name and loads back."""
    reg.register_family(lib.Optimizer, [lib.SGD, lib.Adam], exclude=("params",))
    train = _train_config(lib, reg)
    value = train(optimizer=reg.config_for(lib.SGD)(lr=0.3), steps=2)
    text = dumps(value, registry=reg)
    assert '"@type": "SGDConfig"' in text
    assert loads(train, text, registry=reg) == value


def test_functions_returning_the_base_are_members_of_its_kind(lib: Any, reg: Registry) -> None:
    """`configs_for(Base)` includes a function annotated to return a `Base`."""

    def make_sgd(params, lr=0.1):  # type: ignore[no-untyped-def]
        return lib.SGD(params, lr=lr)

    # Set here: a string annotation naming the fixture would not resolve.
    make_sgd.__annotations__ = {"params": list, "lr": float, "return": lib.SGD}

    reg.register_with_generated_config(make_sgd, exclude=("params",), cli_name="quick")
    config = reg.config_for(make_sgd)
    assert reg.configs_for(lib.Optimizer) == [config]
    assert reg.command_line_name(config) == "quick"


def test_one_unresolvable_annotation_does_not_lose_the_others() -> None:
    """A name known only to type checkers leaves that parameter out, not every annotation."""

    def scaled(width: "int", scale: "float | NotImportedHere" = 1.0) -> None:  # type: ignore[name-defined]  # noqa: F821
        ...

    config = config_from_signature(scaled, name="ScaledConfig")
    assert [(f.name, f.type) for f in dataclasses.fields(config)] == [("width", int)]
    assert "defaults are used): scale." in (config.__doc__ or "")
