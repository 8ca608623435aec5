"""Bad input and odd set-ups found by a hostile walkthrough: one line, nothing lost."""

from __future__ import annotations

import shutil
import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import ScratchEnv

RUN_WITH_PATHS = textwrap.dedent(
    """
    from dataclasses import dataclass

    import flows
    from flows_workspace import record_run


    @dataclass
    class Config:
        x: int = 1


    with record_run(Config(), __file__) as run:
        print(flows.DATA_ROOT)
    """
)


@pytest.mark.slow
def test_run_warns_when_import_flows_gives_another_workspace(
    tmp_path: Path, scratch_env: ScratchEnv
) -> None:
    """A copy installed with `--replace` makes runs of the first copy warn; its own do not."""
    ws = tmp_path / "ws"
    assert scratch_env.flow("init", ws, cwd=tmp_path).returncode == 0
    (ws / "flows" / "e").mkdir()
    (ws / "flows" / "e" / "run.py").write_text(RUN_WITH_PATHS, encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(ws, other, symlinks=True)
    done = scratch_env.flow("init", "--replace", cwd=other)
    assert done.returncode == 0, done.stderr
    first = scratch_env.run(ws / "flows" / "e" / "run.py", cwd=ws)
    assert first.returncode == 0, first.stderr
    [warning] = [line for line in first.stderr.splitlines() if ": warning: " in line]
    assert warning.startswith(f"run.py: warning: `import flows` gives `{other / 'flows'}`")
    assert f"run `flow init --replace` in `{ws}`" in warning
    own = scratch_env.run(other / "flows" / "e" / "run.py", cwd=other)
    assert own.returncode == 0, own.stderr
    assert ": warning: " not in own.stderr
    assert own.stdout.strip() == str(other / "data")
