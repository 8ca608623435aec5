"""The python examples of config-utils' README and of the root README run as printed."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
ROOT_README = Path(__file__).resolve().parents[3] / "README.md"
ROOT_SECTION = "## Configuration with tyro and the registry"

# Printed after the README's blocks: what each example built, checked below.
CHECK = """
print(type(loss_module).__name__, type(loss_fn).__name__, type(loss_fn.loss_module).__name__)
print(registry.configure_submodules(ScaledSumConfig(1.0, 2.0)), class_object is SomeObject)
print(type(optimizer).__name__, optimizer.params, optimizer.lr)
print(type(encoder).__name__, encoder_config.width)
print(type(train.optimizer).__name__, type(train.backbone).__name__, train.backbone.depth)
print(type(model).__name__)
"""


ROOT_CHECK = """
print(type(loss_module).__name__, loss_module.p1, loss_module.p2)
print(registry.configure_submodules(ScaleConfig(3.0)), class_object is SomeObject)
print(type(loss_fn).__name__, loss_fn.lam, type(loss_fn.loss_module).__name__)
print(loss_fn.loss_module.p3)
"""


def python_blocks(markdown: str) -> list[str]:
    """The python code blocks of a Markdown text, in order."""
    return re.findall(r"```python\n(.*?)```", markdown, re.DOTALL)


def run_as_script(code: str, tmp_path: Path, *args: str) -> list[str]:
    """Run `code` in a fresh interpreter with `args`; its stdout lines (it must succeed)."""
    script = tmp_path / "readme_examples.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_readme_examples_run_as_written(tmp_path: Path) -> None:
    """All python blocks of the README run in order as one script and build what they say."""
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 12
    assert run_as_script("\n".join(blocks) + CHECK, tmp_path, "--p1", "1", "--p2", "2.5") == [
        "LossModule1 Loss LossModule2",
        "6.0 True",
        "Optimizer [0.5, 1.5] 0.1",
        "Encoder 64",
        "SgdConfig ResNet 18",
        "Model",
    ]


def test_root_readme_registry_examples_run(tmp_path: Path) -> None:
    """The python blocks of the root README's registry section run in order and build."""
    section = ROOT_README.read_text(encoding="utf-8").split(ROOT_SECTION, 1)[1].split("\n## ")[0]
    blocks = python_blocks(section)
    assert len(blocks) == 3
    assert run_as_script("\n".join(blocks) + ROOT_CHECK, tmp_path, "--p1", "1", "--p2", "0.5") == [
        "LossModule1 1 0.5",
        "6.0 True",
        "Loss 0.1 LossModule2",
        "[0.5, 1.5]",
    ]
