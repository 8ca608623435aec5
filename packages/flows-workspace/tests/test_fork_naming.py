"""A fork names itself, never its parent; its record holds the parent's commit and patch."""

from __future__ import annotations

import json
import os
import shutil
from typing import TYPE_CHECKING

from flows_workspace.workspace.experiments import RECORD_NAME, ExperimentRecord
from subprocesses import git, run_python

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from conftest import Flow


def _git(root: Path, *args: str) -> str:
    return git(root, *args)


def test_fork_notebook_readme_and_help_name_the_fork(workspace: Path, flow: Flow) -> None:
    """`flow create exp2 --from exp1`: exp2's notebook, README and `run.py --help` say exp2."""
    assert flow("create", "exp1") == 0
    assert flow("create", "exp2", "--from", "exp1") == 0
    fork = workspace / "flows/exp2"
    for path in fork.rglob("*"):
        if path.is_file() and path.name != RECORD_NAME:
            assert b"exp1" not in path.read_bytes(), path
    assert (fork / "README.md").read_text(encoding="utf-8").startswith("# exp2\n")

    notebook = json.loads((fork / "viz/visualize.ipynb").read_text(encoding="utf-8"))
    assert notebook["cells"][0]["source"][0] == "# exp2: results\n"
    code = "".join(notebook["cells"][1]["source"]) + "\nprint(EXPERIMENT)\n"
    env = {"PYTHONPATH": os.pathsep.join([str(workspace), os.environ.get("PYTHONPATH", "")])}
    done = run_python("-c", code, cwd=fork / "viz", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "exp2\n"

    helped = run_python(fork / "run.py", "--help", cwd=workspace)
    assert helped.returncode == 0, helped.stderr
    assert "exp2: A new experiment." in helped.stdout
    assert "exp1" not in helped.stdout


def test_notebook_copied_by_hand_reads_its_own_folder(workspace: Path, flow: Flow) -> None:
    """The notebook finds its experiment from the folder it runs in, not from rendered text."""
    assert flow("create", "exp1") == 0
    notebook = json.loads((workspace / "flows/exp1/viz/visualize.ipynb").read_text("utf-8"))
    other = workspace / "flows/other/viz"
    other.mkdir(parents=True)
    code = "".join(notebook["cells"][1]["source"]) + "\nprint(EXPERIMENT)\n"
    done = run_python("-c", code, cwd=other, env={"PYTHONPATH": str(workspace)})
    assert done.stdout == "other\n", done.stderr


def test_fork_record_holds_parent_commit_and_patch(workspace: Path, flow: Flow) -> None:
    """A fork records the commit the parent was at and its uncommitted changes."""
    _git(workspace, "init", "--quiet")
    _git(workspace, "add", "--all")
    _git(workspace, "commit", "--quiet", "-m", "start")
    assert flow("create", "exp1", "--template", "minimal") == 0  # not committed yet
    head = _git(workspace, "rev-parse", "HEAD")
    run_py = workspace / "flows/exp1/run.py"
    run_py.write_text(run_py.read_text(encoding="utf-8") + "# tuned\n", encoding="utf-8")
    assert flow("create", "exp2", "--from", "exp1") == 0
    record = ExperimentRecord.read(workspace / "flows/exp2")
    assert record is not None
    assert record.parent == "exp1"
    assert record.parent_commit == head
    assert record.parent_patch is not None
    assert "+# tuned" in record.parent_patch
    assert "flows/exp1/run.py" in record.parent_patch
    assert ".flow-base" not in record.parent_patch  # its code, not its merge base


def test_fork_from_outside_the_workspace_records_and_uses_that_folder(
    workspace: Path,
    flow: Flow,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A parent outside the flows folder is recorded by path, never mistaken for a local one."""
    other = tmp_path / "elsewhere"
    assert flow("init", str(other), "--no-install") == 0
    monkeypatch.chdir(other)
    assert flow("create", "exp3", "--template", "minimal") == 0
    monkeypatch.chdir(workspace)
    assert flow("create", "exp3") == 0  # an unrelated experiment of the same name here
    outside = (other / "flows/exp3").resolve()
    assert flow("create", "ext", "--from", str(outside)) == 0
    record = ExperimentRecord.read(workspace / "flows/ext")
    assert record is not None
    assert record.parent == str(outside)
    capsys.readouterr()
    assert flow("list") == 0
    assert f"fork of {outside}" in capsys.readouterr().out

    run_py = outside / "run.py"
    run_py.write_text(run_py.read_text(encoding="utf-8") + "# later\n", encoding="utf-8")
    assert flow("diff", "ext", "--parent") == 0
    shown = capsys.readouterr().out
    assert f"# a/: parent {outside}, b/: ext" in shown
    assert "-# later" in shown
    assert flow("update", "ext", "--dry-run") == 0
    assert f"ext: would update from parent {outside}" in capsys.readouterr().out
    assert "exp3" not in (workspace / "flows/ext/run.py").read_text(encoding="utf-8")

    shutil.rmtree(outside)
    for argv in (("diff", "ext", "--parent"), ("update", "ext")):
        assert flow(*argv) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"`{outside}`" in err
