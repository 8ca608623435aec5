"""`flow rerun`: a recorded run again on its own commit and patch, in real processes and repos."""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, Any

import pytest
from subprocesses import git, run_flow, run_python, start

if TYPE_CHECKING:
    from pathlib import Path

EXPERIMENT = '''
import os
import time
from dataclasses import dataclass

from flows_workspace import parse_run, record_run
from scale import SCALE

OFFSET = 1.0


@dataclass
class Config:
    """Compute a result from the code's constants and the config."""

    lr: float = 0.1


if __name__ == "__main__":
    parsed = parse_run(Config)
    with record_run(parsed, __file__) as run:
        print(f"result={SCALE * parsed.config.lr + OFFSET!r}", flush=True)
        if os.environ.get("RERUN_TEST_WAIT"):
            print("ready", flush=True)
            time.sleep(60)
'''


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A git workspace with experiment `train` (run.py and a sibling module), one commit."""
    root = tmp_path / "ws"
    train = root / "flows" / "train"
    train.mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / ".gitignore").write_text("logs/\n__pycache__/\n", encoding="utf-8")
    (train / "run.py").write_text(EXPERIMENT, encoding="utf-8")
    (train / "scale.py").write_text("SCALE = 2.0\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    return root


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` by `new` in the file at `path`."""
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def run_train(ws: Path, *args: str) -> Path:
    """Run the experiment once (it must succeed); its run folder."""
    before = set(run_dirs(ws))
    done = run_python(ws / "flows" / "train" / "run.py", *args, cwd=ws)
    assert done.returncode == 0, done.stderr
    [new] = set(run_dirs(ws)) - before
    return new


def run_dirs(ws: Path) -> list[Path]:
    """The run folders of experiment `train`, oldest first."""
    folder = ws / "logs" / "train"
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def manifest(run_dir: Path) -> dict[str, Any]:
    """The parsed manifest of a run folder."""
    data: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


def result(run_dir: Path) -> str:
    """The `result=` line the run printed."""
    [line] = [
        line
        for line in (run_dir / "stdout.log").read_text(encoding="utf-8").splitlines()
        if line.startswith("result=")
    ]
    return line


def test_rerun_of_a_dirty_run_reproduces_its_result_and_leaves_todays_code_alone(
    ws: Path,
) -> None:
    """A run of uncommitted edits, rerun after more edits and a commit, prints its result again."""
    train = ws / "flows" / "train"
    edit(train / "scale.py", "2.0", "3.0")  # uncommitted, in a sibling module
    edit(train / "run.py", "OFFSET = 1.0", "OFFSET = 5.0")
    (train / "extra.txt").write_text("untracked\n", encoding="utf-8")
    source = run_train(ws, "--lr", "0.5")
    assert result(source) == "result=6.5"
    assert manifest(source)["git"]["dirty"] is True
    commit = git(ws, "rev-parse", "HEAD")

    edit(train / "scale.py", "3.0", "7.0")
    git(ws, "commit", "-qam", "second")
    edit(train / "run.py", "OFFSET = 5.0", "OFFSET = 100.0")  # dirty again, differently
    today = {p.name: p.read_bytes() for p in train.iterdir() if p.is_file()}
    status = git(ws, "status", "--porcelain")

    done = run_flow("rerun", source.name, cwd=ws)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr, done.stderr
    [rerun] = set(run_dirs(ws)) - {source}
    assert result(rerun) == result(source)
    recorded = manifest(rerun)
    assert recorded["rerun_of"] == str(source.resolve())
    assert recorded["from_run"] == str(source.resolve())
    assert recorded["sweep"] is None
    assert recorded["experiment"] == "train"
    assert recorded["status"] == "finished"
    assert recorded["git"]["commit"] == commit
    assert (rerun / "config.json").read_text() == (source / "config.json").read_text()
    assert (rerun / "uncommitted.patch").read_text() == (source / "uncommitted.patch").read_text()

    assert {p.name: p.read_bytes() for p in train.iterdir() if p.is_file()} == today
    assert git(ws, "status", "--porcelain") == status
    assert len(git(ws, "worktree", "list").splitlines()) == 1  # the worktree is gone


def test_rerun_of_a_clean_run_runs_its_commit(ws: Path) -> None:
    """A run of a clean tree reruns its commit even after later commits changed the result."""
    source = run_train(ws)
    edit(ws / "flows" / "train" / "scale.py", "2.0", "9.0")
    git(ws, "commit", "-qam", "second")
    done = run_flow("rerun", f"train/{source.name}", cwd=ws)
    assert done.returncode == 0, done.stderr
    [rerun] = set(run_dirs(ws)) - {source}
    assert result(rerun) == result(source) == "result=1.2"
    assert not (rerun / "uncommitted.patch").exists()


def test_flow_show_names_the_run_a_rerun_reruns(ws: Path) -> None:
    """`flow show` of a rerun names its source run (`rerun_of`); the source shows none."""
    source = run_train(ws)
    assert run_flow("rerun", f"train/{source.name}", cwd=ws).returncode == 0
    [rerun] = set(run_dirs(ws)) - {source}
    shown = run_flow("show", f"train/{rerun.name}", cwd=ws)
    assert shown.returncode == 0, shown.stderr
    assert f"rerun of:     {manifest(rerun)['rerun_of']}" in shown.stdout.splitlines()
    assert manifest(rerun)["rerun_of"] == str(source)
    assert "rerun of:" not in run_flow("show", f"train/{source.name}", cwd=ws).stdout


def test_a_failing_rerun_exits_with_its_status_and_removes_the_worktree(ws: Path) -> None:
    """A rerun whose code fails is recorded failed; flow exits non-zero; no worktree is left."""
    edit(ws / "flows" / "train" / "run.py", "OFFSET = 1.0", "OFFSET = 2.0")
    source = run_train(ws)
    edit(source / "uncommitted.patch", "+OFFSET = 2.0", '+OFFSET = "2"')  # fails in the run
    done = run_flow("rerun", source.name, cwd=ws)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"flow: error: the rerun of run `{source.name}` exited with status 1; `flow runs` lists it"
    )
    [rerun] = set(run_dirs(ws)) - {source}
    assert manifest(rerun)["status"] == "failed"
    assert len(git(ws, "worktree", "list").splitlines()) == 1


def test_sigterm_stops_the_rerun_records_it_interrupted_and_removes_the_worktree(
    ws: Path,
) -> None:
    """SIGTERM to `flow rerun` reaches the run, which records itself; no worktree is left."""
    edit(ws / "flows" / "train" / "run.py", "OFFSET = 1.0", "OFFSET = 2.0")
    source = run_train(ws)
    argv = [sys.executable, "-m", "flows_workspace", "rerun", source.name]
    process = start(argv, cwd=ws, env={"RERUN_TEST_WAIT": "1"}, stdout=subprocess.PIPE)
    assert process.stdout is not None
    with process.stdout:
        for line in process.stdout:
            if line.strip() == b"ready":
                break
        [tree] = glob.glob(os.path.join(tempfile.gettempdir(), f"flows-rerun-{source.name}-*"))
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 143
    [rerun] = set(run_dirs(ws)) - {source}
    assert manifest(rerun)["status"] == "interrupted"
    assert manifest(rerun)["interrupted_by"] == "SIGTERM"
    assert not os.path.exists(tree)
    assert len(git(ws, "worktree", "list").splitlines()) == 1


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a refused `flow rerun` (exit status 2)."""
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    return line


def test_refusals_are_one_line_exit_2_and_start_nothing(ws: Path, tmp_path: Path) -> None:
    """Unknown run, files left out of the patch, a patch that does not apply: one line each."""
    line = one_line_error(run_flow("rerun", "nope", cwd=ws))
    assert line.startswith("flow: error: no run `nope` in ")

    big = ws / "flows" / "train" / "weights.bin"
    big.write_bytes(b"\0" * 1_100_000)
    left_out = run_train(ws)
    line = one_line_error(run_flow("rerun", left_out.name, cwd=ws))
    reason = "(too large, too many, or a nested repository)"
    assert f"left out of its patch {reason}: `flows/train/weights.bin`" in line
    assert f"--from-run {left_out}" in line
    big.unlink()

    edit(ws / "flows" / "train" / "run.py", "OFFSET = 1.0", "OFFSET = 2.0")
    dirty = run_train(ws)
    edit(dirty / "uncommitted.patch", "-OFFSET = 1.0", "-OFFSET = 3.0")
    line = one_line_error(run_flow("rerun", dirty.name, cwd=ws))
    assert line.startswith(f"flow: error: the recorded changes `{dirty / 'uncommitted.patch'}` ")
    assert "do not apply on commit" in line

    assert len(run_dirs(ws)) == 2
    assert len(git(ws, "worktree", "list").splitlines()) == 1

    outside = tmp_path / "plain"
    (outside / "flows" / "train").mkdir(parents=True)
    (outside / "flows.toml").write_text("", encoding="utf-8")
    (outside / "flows" / "train" / "run.py").write_text(EXPERIMENT, encoding="utf-8")
    (outside / "flows" / "train" / "scale.py").write_text("SCALE = 2.0\n", encoding="utf-8")
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    assert run_python(outside / "flows" / "train" / "run.py", cwd=outside, env=env).returncode == 0
    [plain] = (outside / "logs" / "train").iterdir()
    line = one_line_error(run_flow("rerun", plain.name, cwd=outside, env=env))
    no_git = "recorded no git commit (its code was not in a git repository)"
    assert f"run `{plain.name}` {no_git}" in line
    assert "--from-run" in line


def test_refusal_advice_keeps_a_deeper_scripts_place_in_its_experiment(ws: Path) -> None:
    """A run of `flows/train/scripts/train.py`: the advice names that script, renamed or not."""
    deeper = ws / "flows" / "train" / "scripts" / "train.py"
    deeper.parent.mkdir()
    for name, target in (("run.py", deeper), ("scale.py", deeper.with_name("scale.py"))):
        target.write_text((ws / "flows" / "train" / name).read_text(encoding="utf-8"))
    (ws / "flows" / "train" / "weights.bin").write_bytes(b"\0" * 1_100_000)
    done = run_python(deeper, cwd=ws)
    assert done.returncode == 0, done.stderr
    [left_out] = run_dirs(ws)
    for experiment in ("train", "fit"):
        if experiment == "fit":
            assert run_flow("mv", "train", "fit", cwd=ws).returncode == 0
        line = one_line_error(run_flow("rerun", f"{experiment}/{left_out.name}", cwd=ws))
        script = (ws / "flows" / experiment / "scripts" / "train.py").resolve()
        assert f"`python {script} --from-run " in line


def test_refusal_after_a_rename_suggests_the_experiments_run_py_as_named_now(ws: Path) -> None:
    """After `flow mv train fit`, the refusal's advice runs `flows/fit/run.py`, not the old path."""
    (ws / "flows" / "train" / "weights.bin").write_bytes(b"\0" * 1_100_000)
    left_out = run_train(ws)
    moved = run_flow("mv", "train", "fit", cwd=ws)
    assert moved.returncode == 0, moved.stderr
    line = one_line_error(run_flow("rerun", f"fit/{left_out.name}", cwd=ws))
    run_py = (ws / "flows" / "fit" / "run.py").resolve()
    assert f"`python {run_py} --from-run {ws / 'logs' / 'fit' / left_out.name}`" in line
