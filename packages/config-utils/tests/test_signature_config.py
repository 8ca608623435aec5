"""Config dataclasses generated from signatures: fields, defaults, pickling, tyro help."""

from __future__ import annotations

import dataclasses
import pickle
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest
import tyro
from config_utils.registry import Registry, RegistryError, config_from_signature

if TYPE_CHECKING:
    from pathlib import Path

MODULE = '''
from config_utils.registry import Registry

reg = Registry()


@reg.register_with_generated_config
class Encoder:
    """Encodes things.

    Args:
        width: How wide each layer is.
        depth: How many layers.
        names: Layer names.
    """

    def __init__(self, width: int, depth: int = 2, *, names: list[str] = ["a"]) -> None:
        self.width = width
        self.depth = depth
        self.names = names
'''


@pytest.fixture
def encoder_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    (tmp_path / "cu_test_encoder.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import cu_test_encoder  # type: ignore[import-not-found]

    yield cu_test_encoder
    del sys.modules["cu_test_encoder"]


def test_generated_fields_follow_the_signature(encoder_module: Any) -> None:
    """Fields, types, defaults and keyword-only-ness come from the signature."""
    config = encoder_module.EncoderConfig
    fields = {f.name: f for f in dataclasses.fields(config)}
    assert list(fields) == ["width", "depth", "names"]
    assert fields["width"].type is int
    assert fields["depth"].default == 2
    assert fields["names"].kw_only is True
    first, second = config(width=1), config(width=1)
    assert first.names == ["a"]
    assert first.names is not second.names, "mutable defaults are copied per instance"


def test_generated_config_is_importable_registered_and_builds(encoder_module: Any) -> None:
    """The config lives in the target's module, is the registered pair, and builds the target."""
    reg, config = encoder_module.reg, encoder_module.EncoderConfig
    assert config.__module__ == "cu_test_encoder"
    assert reg.config_for(encoder_module.Encoder) is config
    built = reg.configure_submodules(config(width=8, names=["x"]))
    assert (built.width, built.depth, built.names) == (8, 2, ["x"])


def test_generated_config_pickles(encoder_module: Any) -> None:
    """An instance of the generated config survives a pickle round trip."""
    instance = encoder_module.EncoderConfig(width=3)
    assert pickle.loads(pickle.dumps(instance)) == instance


def test_tyro_renders_generated_config_with_docstring_help(
    encoder_module: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tyro parses the generated config and shows each parameter's docstring help."""
    parsed = tyro.cli(encoder_module.EncoderConfig, args=["--width", "5", "--names", "p", "q"])
    assert parsed == encoder_module.EncoderConfig(width=5, depth=2, names=["p", "q"])
    with pytest.raises(SystemExit):
        tyro.cli(encoder_module.EncoderConfig, args=["--help"])
    help_text = capsys.readouterr().out
    assert "How wide each layer is." in help_text
    assert "How many layers." in help_text


def test_function_signature_gives_a_config() -> None:
    """A function's parameters become fields; *args and **kwargs are left out."""

    def schedule(steps: int, warmup: float = 0.1, *rest: int, **extra: Any) -> None: ...

    config = config_from_signature(schedule, name="ScheduleParams")
    assert [f.name for f in dataclasses.fields(config)] == ["steps", "warmup"]
    assert config.__name__ == "ScheduleParams"


def test_positional_only_parameter_is_refused() -> None:
    """A positional-only parameter cannot come from a config, and the message says so."""

    def f(a: int, /, b: int) -> None: ...

    with pytest.raises(RegistryError, match=r"positional-only parameter `a`"):
        config_from_signature(f)


def test_existing_class_in_module_is_not_overwritten(tmp_path: Path) -> None:
    """A hand-written `XConfig` in the module is never replaced by a generated one."""
    source = """
        from dataclasses import dataclass
        from config_utils.registry import Registry

        @dataclass
        class ThingConfig:
            a: int

        class Thing:
            def __init__(self, a: int) -> None: ...

        try:
            Registry().register_with_generated_config(Thing)
        except Exception as exc:
            print(type(exc).__name__, exc)
        print(ThingConfig.__module__, hasattr(ThingConfig, "__generated_from_signature__"))
    """
    script = tmp_path / "thing.py"
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    assert "RegistryError Module `__main__` already defines a class `ThingConfig`" in out
    assert out.splitlines()[-1] == "__main__ False"


def test_regenerating_for_the_same_target_is_allowed() -> None:
    """Generating the config again (a re-run cell) replaces the earlier generated class."""
    reg = Registry()

    def make() -> type:
        def Scaler(factor: float = 2.0) -> float:
            return factor

        reg.register_with_generated_config(Scaler)
        return reg.config_for(Scaler)

    first, second = make(), make()
    assert first is not second
    assert reg.configure_submodules(second()) == 2.0
