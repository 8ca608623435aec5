"""Generated configs for real torch optimizers and schedulers (the `pytorch` nox session)."""

import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import pytest
import tyro
from config_utils import ConfiguresPartial
from config_utils.cli import config_field, registered_subcommands
from config_utils.registry import Registry, RegistryWarning

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def torch() -> ModuleType:
    """Torch itself; these tests only run where it is installed (the pytorch session)."""
    with warnings.catch_warnings():
        # torch's wheel does not depend on numpy, and says so on import when it is absent.
        warnings.filterwarnings("ignore", "Failed to initialize NumPy", UserWarning)
        return pytest.importorskip("torch")


def _weights(torch: ModuleType) -> list[Any]:
    """Two-dimensional parameters, which every optimizer accepts (Muon needs matrices)."""
    return [torch.nn.Linear(3, 2, bias=False).weight]


def _settings(optimizer: Any) -> dict[str, Any]:
    """An optimizer's settings: its parameter group without the parameters themselves."""
    return {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}


@pytest.mark.parametrize(
    ("name", "args", "by_hand"),
    [
        ("SGD", ["--lr", "0.1", "--momentum", "0.9"], {"lr": 0.1, "momentum": 0.9}),
        ("Adam", ["--betas", "0.8", "0.95", "--lr", "0.01"], {"lr": 0.01, "betas": (0.8, 0.95)}),
        ("AdamW", ["--betas", "0.7", "0.9", "--eps", "0.1"], {"betas": (0.7, 0.9), "eps": 0.1}),
        ("Adadelta", ["--rho", "0.8", "--lr", "0.5"], {"rho": 0.8, "lr": 0.5}),
    ],
)  # fmt: skip
def test_optimizer_parsed_and_built_equals_one_made_by_hand(
    torch: ModuleType, name: str, args: list[str], by_hand: dict[str, Any]
) -> None:
    """A generated optimizer config parses from the command line and builds the same optimizer."""
    reg = Registry()
    target = getattr(torch.optim, name)
    reg.register_with_generated_config(target, exclude=("params",))
    parsed = tyro.cli(reg.config_for(target), args=args)
    built = reg.configure_submodules(parsed)(_weights(torch))
    assert type(built) is target
    assert _settings(built) == _settings(target(_weights(torch), **by_hand))


def test_optimizer_help_shows_torch_docstrings(
    torch: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--help` of a generated Adam config shows torch's help and the tuple field."""
    reg = Registry()
    reg.register_with_generated_config(torch.optim.Adam, exclude=("params",))
    with pytest.raises(SystemExit):
        tyro.cli(reg.config_for(torch.optim.Adam), args=["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Implements Adam algorithm." in text
    assert "--betas FLOAT FLOAT" in text
    assert "coefficients used for computing running averages" in text
    assert "Left out, supplied at build time: params." in text


@pytest.mark.parametrize(
    ("name", "args", "by_hand"),
    [
        ("StepLR", ["--step-size", "3", "--gamma", "0.5"], {"step_size": 3, "gamma": 0.5}),
        ("CosineAnnealingLR", ["--T-max", "7", "--eta-min", "0.01"], {"T_max": 7, "eta_min": 0.01}),
    ],
)  # fmt: skip
def test_scheduler_parsed_and_built_equals_one_made_by_hand(
    torch: ModuleType, name: str, args: list[str], by_hand: dict[str, Any]
) -> None:
    """A generated scheduler config parses and builds the same scheduler around an optimizer."""
    reg = Registry()
    target = getattr(torch.optim.lr_scheduler, name)
    reg.register_with_generated_config(target, exclude=("optimizer",))
    parsed = tyro.cli(reg.config_for(target), args=args)
    built = reg.configure_submodules(parsed)(torch.optim.SGD(_weights(torch), lr=0.1))
    expected = target(torch.optim.SGD(_weights(torch), lr=0.1), **by_hand)
    assert type(built) is target
    assert built.state_dict() == expected.state_dict()


def test_family_of_every_torch_optimizer_gives_a_working_subcommand_each(
    torch: ModuleType,
) -> None:
    """Every optimizer in `torch.optim` is a subcommand that builds, or named as skipped."""
    reg = Registry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        configs = reg.register_family(torch.optim.Optimizer, torch.optim, exclude=("params",))
    public = {
        cls.__name__.lower()
        for key, cls in vars(torch.optim).items()
        if not key.startswith("_")
        and isinstance(cls, type)
        and issubclass(cls, torch.optim.Optimizer)
        and cls is not torch.optim.Optimizer
    }
    skipped = [w for w in caught if issubclass(w.category, RegistryWarning)]
    assert len(skipped) <= 1, "skipped members are named in one warning"
    named = str(skipped[0].message).lower() if skipped else ""
    assert {"sgd", "adam", "adamw", "adadelta"} <= set(configs)
    assert all(name in configs or f"{name} (" in named for name in public)

    @tyro.conf.configure(tyro.conf.CascadeSubcommandArgs)
    @dataclass
    class Train:
        optimizer: Annotated[
            ConfiguresPartial[torch.optim.Optimizer],
            registered_subcommands(torch.optim.Optimizer, registry=reg),
        ] = config_field(torch.optim.Adam, registry=reg)  # noqa: RUF009 - a field, as field() is

    for name, config in configs.items():
        parsed = tyro.cli(Train, args=[f"optimizer:{name}"])
        assert type(parsed.optimizer) is config
        built = reg.configure_submodules(parsed.optimizer)(_weights(torch))
        assert type(built) is reg.target_of(config)


def test_readme_section_runs_with_torch(torch: ModuleType, tmp_path: Path) -> None:
    """The `py` blocks of "Configuring classes you don't own" run in order and build."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuring classes you don't own", 1)[1].split("\n## ")[0]
    blocks = re.findall(r"```py\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 4
    check = (
        "\nprint(type(optimizer).__name__, optimizer.param_groups[0]['lr'],"
        " optimizer.param_groups[0]['momentum'], type(scheduler).__name__, scheduler.T_max)\n"
    )
    script = tmp_path / "readme_torch.py"
    script.write_text("\n".join(blocks) + check, encoding="utf-8")
    # torch's wheel warns on import without numpy; that is torch's business, not the README's.
    env = {**os.environ, "PYTHONWARNINGS": "error,ignore:Failed to initialize NumPy"}
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["SGD 0.1 0.9 CosineAnnealingLR 20"]
