"""What `flow diff` adds to the config differences: facts, metrics and the code itself."""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from flows_workspace._errors import FlowsError
from flows_workspace.results.records import RunRecord
from flows_workspace.runs.manifest import PATCH_NAME

if TYPE_CHECKING:
    from flows_workspace.runs.index import RecordedRun
    from flows_workspace.runs.manifest import GitSummary


def fact_rows(a: RecordedRun, b: RecordedRun) -> list[tuple[str, str, str]]:
    """`(fact, in a, in b)` for the experiment, status, commit and patch when they differ."""
    facts = {
        "experiment": (a.experiment, b.experiment),
        "status": (a.status, b.status),
        "commit": (a.manifest.commit_text(), b.manifest.commit_text()),
        "patch": (_patch_digest(a), _patch_digest(b)),
    }
    return [(name, old, new) for name, (old, new) in facts.items() if old != new]


def metric_rows(a: RecordedRun, b: RecordedRun) -> list[tuple[str, str, str]]:
    """`(metric column, in a, in b)` for each metric summary and final number that differs."""
    from flows_workspace.cli.table import format_value

    first, second = RunRecord.of(a), RunRecord.of(b)
    rows = []
    names = dict.fromkeys([*first.metrics, *second.metrics])
    for name in names:
        for part in ("last", "min", "max"):
            old = getattr(first.metrics.get(name), part, None)
            new = getattr(second.metrics.get(name), part, None)
            if not _same(old, new):
                rows.append((f"{name}.{part}", format_value(old), format_value(new)))
    for name in dict.fromkeys([*first.summary, *second.summary]):
        old, new = first.summary.get(name), second.summary.get(name)
        if not _same(old, new):
            rows.append((name, format_value(old), format_value(new)))
    return rows


def _same(old: float | None, new: float | None) -> bool:
    if old is None or new is None:
        return old is new
    return old == new or (math.isnan(old) and math.isnan(new))


def _patch_digest(run: RecordedRun) -> str:
    """A short digest of the run's patch, `-` without one."""
    try:
        return hashlib.sha256((run.dir / PATCH_NAME).read_bytes()).hexdigest()[:12]
    except FileNotFoundError:
        return "-"


def code_diff(a: RecordedRun, b: RecordedRun) -> str:
    """The diff from run a's code to run b's: each commit with its patch applied, by git.

    Raises:
        FlowsError: a run recorded no git state, or git cannot rebuild its code.
    """
    root = Path(_git_of(a).root)
    tree_a, tree_b = _tree_of(a, root), _tree_of(b, root)
    from flows_workspace._git import run_git

    done = run_git(root, "diff", "--no-color", "--binary", tree_a, tree_b)
    if done is None or done.returncode != 0:
        msg = f"git cannot compare the code of the two runs: {_reason(done)}"
        raise FlowsError(msg)
    return done.stdout or "(the two runs ran the same code)\n"


def _git_of(run: RecordedRun) -> GitSummary:
    git = run.manifest.git
    if git is None:
        msg = f"run `{run.experiment}/{run.id}` recorded no code version (it ran outside git)"
        raise FlowsError(msg)
    return git


def _tree_of(run: RecordedRun, root: Path) -> str:
    """The git tree of the run's code, built in a scratch index (the real one is untouched)."""
    from flows_workspace._git import run_git

    git = _git_of(run)
    with tempfile.TemporaryDirectory(prefix="flow-diff-") as scratch:
        env = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
        base = [git.commit] if git.commit else ["--empty"]
        steps = [("read-tree", *base)]
        patch = run.dir / PATCH_NAME
        if patch.is_file():
            steps.append(("apply", "--cached", "--binary", str(patch)))
        steps.append(("write-tree",))
        done = None
        for step in steps:
            done = run_git(root, *step, env=env)
            if done is None or done.returncode != 0:
                msg = (
                    f"cannot rebuild the code of run `{run.experiment}/{run.id}` with git "
                    f"({' '.join(step[:2])}): {_reason(done)}"
                )
                raise FlowsError(msg)
        assert done is not None
        return done.stdout.strip()


def _reason(done: object) -> str:
    stderr = getattr(done, "stderr", None)
    if not stderr:
        return "git is not available"
    return str(stderr).strip().splitlines()[-1]
