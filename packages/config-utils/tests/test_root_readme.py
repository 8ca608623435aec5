"""The registry examples of the repository's root README run as printed."""

import re
import subprocess
import sys
from pathlib import Path

ROOT_README = Path(__file__).resolve().parents[3] / "README.md"
SECTION = "## Configuration with tyro and the registry"

CHECK = """
print(type(loss_module).__name__, loss_module.p1, loss_module.p2)
print(registry.configure_submodules(ScaleConfig(3.0)), class_object is SomeObject)
print(type(loss_fn).__name__, loss_fn.lam, type(loss_fn.loss_module).__name__)
print(loss_fn.loss_module.p3)
"""


def test_root_readme_registry_examples_run(tmp_path: Path) -> None:
    """The python blocks of the root README's registry section run in order and build."""
    text = ROOT_README.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 3
    script = tmp_path / "root_readme_registry.py"
    script.write_text("\n".join(blocks) + CHECK, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), "--p1", "1", "--p2", "0.5"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "LossModule1 1 0.5",
        "6.0 True",
        "Loss 0.1 LossModule2",
        "[0.5, 1.5]",
    ]
