"""Every python example of the README runs as printed, in order, in a fresh interpreter."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"

# Printed after the README's blocks: what each example built, checked below.
CHECK = """
print(type(loss_module).__name__, type(loss_fn).__name__, type(loss_fn.loss_module).__name__)
print(registry.configure_submodules(ScaledSumConfig(1.0, 2.0)), class_object is SomeObject)
print(type(optimizer).__name__, optimizer.params, optimizer.lr)
print(type(encoder).__name__, encoder_config.width)
print(type(train.optimizer).__name__, type(train.backbone).__name__, train.backbone.depth)
print(type(model).__name__)
"""


def test_readme_examples_run_as_written(tmp_path: Path) -> None:
    """All python blocks of the README run in order as one script and build what they say."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 12
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(blocks) + CHECK, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script), "--p1", "1", "--p2", "2.5"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "LossModule1 Loss LossModule2",
        "6.0 True",
        "Optimizer [0.5, 1.5] 0.1",
        "Encoder 64",
        "SgdConfig ResNet 18",
        "Model",
    ]
