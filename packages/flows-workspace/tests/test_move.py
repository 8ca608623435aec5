"""`flow mv OLD NEW`: an experiment renamed with its runs, record, merge base and text."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from typing import TYPE_CHECKING

from flows_workspace.workspace.experiments import ExperimentRecord
from subprocesses import git, run_flow, run_python, start

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from conftest import Flow, Tree

WAITING_RUN = """\
import time
from dataclasses import dataclass

from flows_workspace import record_run


@dataclass
class Config:
    x: int = 1


with record_run(Config(), __file__) as run:
    print("ready", flush=True)
    time.sleep(120)
"""


def _run(workspace: Path, experiment: str, *argv: str) -> None:
    done = run_python(
        workspace / "flows" / experiment / "run.py",
        *argv,
        cwd=workspace,
        env={"PYTHONPATH": str(workspace)},
    )
    assert done.returncode == 0, done.stderr


def test_mv_moves_runs_record_base_and_text(workspace: Path) -> None:
    """After `flow mv exp1 exp2`, `flow runs exp2` lists exp1's runs and nothing names exp1."""
    assert run_flow("create", "exp1", cwd=workspace).returncode == 0
    assert run_flow("create", "child", "--from", "exp1", cwd=workspace).returncode == 0
    _run(workspace, "exp1", "--steps", "2")
    _run(workspace, "exp1", "--steps", "3")
    done = run_flow("mv", "exp1", "exp2", cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "renamed experiment `exp1` to `exp2` and its 2 run folder(s)\n"
    assert not (workspace / "flows/exp1").exists()
    assert not (workspace / "logs/exp1").exists()
    assert sorted(p.name for p in (workspace / "flows").iterdir() if p.name.startswith(".")) == []
    listed = run_flow("runs", "exp2", "--json", cwd=workspace)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert len(runs) == 2
    exp2 = workspace / "flows/exp2"
    for path in exp2.rglob("*"):
        if path.is_file():
            assert b"exp1" not in path.read_bytes(), path
    record = ExperimentRecord.read(exp2)
    assert record is not None
    assert (record.name, record.variables["experiment_name"]) == ("exp2", "exp2")
    child = ExperimentRecord.read(workspace / "flows/child")
    assert child is not None
    assert child.parent == "exp2"
    # The renamed base still matches the template rendered under the new name.
    update = run_flow("update", "exp2", "child", "--dry-run", cwd=workspace)
    assert update.returncode == 0, update.stderr
    assert update.stdout.splitlines() == [
        f"exp2: up to date with template default (flow-templates {version('flow-templates')})",
        "child: up to date with parent exp2",
    ]
    _run(workspace, "exp2", "--steps", "2")
    assert len(json.loads(run_flow("runs", "exp2", "--json", cwd=workspace).stdout)) == 3


def test_runs_and_sweeps_of_a_renamed_experiment_stay_with_it(workspace: Path) -> None:
    """After `flow mv exp1 expA`, exp1's runs and sweeps are expA's: rerun, resume, status."""
    assert run_flow("create", "exp1", cwd=workspace).returncode == 0
    git(workspace, "init", "-q")
    git(workspace, "add", ".")
    git(workspace, "commit", "-qm", "exp1")
    _run(workspace, "exp1", "--steps", "2")
    swept = run_flow("sweep", "exp1", "-p", "steps=2,3", "--jobs", "1", cwd=workspace)
    assert swept.returncode == 0, swept.stderr
    assert run_flow("mv", "exp1", "expA", cwd=workspace).returncode == 0
    [first, *_] = sorted(p for p in (workspace / "logs/expA").iterdir() if p.name[0].isdigit())

    rerun = run_flow("rerun", first.name, cwd=workspace)
    assert rerun.returncode == 0, rerun.stderr
    assert not (workspace / "logs/exp1").exists()
    assert len(json.loads(run_flow("runs", "expA", "--json", cwd=workspace).stdout)) == 4

    resumed = run_python(workspace / "flows/expA/run.py", "--resume", first.name, cwd=workspace)
    assert (resumed.returncode, resumed.stderr.count("\n")) == (2, 1)
    assert "has finished, so there is nothing to resume" in resumed.stderr

    status = run_flow("sweep", "status", cwd=workspace)
    assert status.returncode == 0, status.stderr
    assert "expA" in status.stdout
    assert "exp1" not in status.stdout


def test_mv_refused_while_a_run_is_running(workspace: Path, tree: Tree) -> None:
    """A running run of OLD stops `flow mv` (exit 1) and nothing moves."""
    (workspace / "flows/slow").mkdir()
    (workspace / "flows/slow/run.py").write_text(WAITING_RUN, encoding="utf-8")
    process = start(
        [sys.executable, workspace / "flows/slow/run.py"], cwd=workspace, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        before = tree(workspace / "flows")
        done = run_flow("mv", "slow", "fast", cwd=workspace)
        assert done.returncode == 1
        assert "while a run of it is running" in done.stderr
        assert len(done.stderr.splitlines()) == 1
        assert tree(workspace / "flows") == before
        assert (workspace / "logs/slow").is_dir()
    finally:
        process.kill()
        process.communicate(timeout=60)


def test_mv_bad_names_exit_2(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str], tree: Tree
) -> None:
    """Unknown OLD, a bad NEW and a taken NEW are one line, exit 2, nothing changed."""
    assert flow("create", "exp1", "--template", "minimal") == 0
    assert flow("create", "exp2", "--template", "minimal") == 0
    before = tree(workspace)
    capsys.readouterr()
    for argv, expected in (
        (("nope", "x"), "no experiment `nope`"),
        (("exp1", "1bad"), "experiment name `1bad`"),
        (("exp1", "exp2"), "already exists"),
    ):
        assert flow("mv", *argv) == 2
        err = capsys.readouterr().err
        assert expected in err
        assert len(err.splitlines()) == 1
    assert tree(workspace) == before
