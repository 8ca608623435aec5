"""The README's first examples (registering, configuring, nesting) run as printed."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
FIRST_UNRUNNABLE = "### Partials"  # later sections use placeholders (model, mylib, ...)


def test_readme_examples_run_as_written(tmp_path: Path) -> None:
    """The python blocks before "Partials" run in order in a fresh interpreter and build."""
    text = README.read_text(encoding="utf-8").split(FIRST_UNRUNNABLE)[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 6
    script = tmp_path / "readme_examples.py"
    check = (
        "print(type(loss_module).__name__, type(loss_fn).__name__,"
        " type(loss_fn.loss_module).__name__,"
        " registry.configure_submodules(ScaledSumConfig(1.0, 2.0)),"
        " class_object is SomeObject)\n"
    )
    script.write_text("\n".join(blocks) + check, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), "--p1", "1", "--p2", "2.5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["LossModule1", "Loss", "LossModule2", "6.0", "True"]
