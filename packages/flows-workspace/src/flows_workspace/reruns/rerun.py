"""`flow rerun RUN`: run a recorded run again on the code it ran, recorded as a new run.

The run's commit is checked out in a throwaway `git worktree` (detached, outside the
workspace), the run's `uncommitted.patch` is applied there with `git apply --binary`,
and the worktree's copy of the experiment's `run.py` runs with `--from-run RUN`, so the
config is the recorded one too. The snapshot variables of `sweeps.environment` make
that copy record into the original experiment's logs; the new manifest names its source
in `rerun_of`. The worktree is removed afterwards, whatever happens (failure, Ctrl-C,
SIGTERM). Today's code is never touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace._git import run_git
from flows_workspace.runs.manifest import PATCH_NAME

if TYPE_CHECKING:
    from collections.abc import Iterator

    from flows_workspace.runs.index import RecordedRun
    from flows_workspace.workspace.settings import Workspace

STOP_GRACE_SECONDS = 30.0
"""How long a stopped rerun has to record itself before it is killed."""


class RerunFailedError(FlowsError):
    """The rerun ran and ended with a non-zero status (which `flow` exits with)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def rerun(workspace: Workspace, reference: str) -> None:
    """Rerun the run `reference` names on its recorded code; the new run records itself.

    Raises:
        BadInputError: unknown run, no recorded commit, files missing from the patch,
            a commit the repository lacks, or a patch that does not apply.
        RerunFailedError: the rerun itself failed (its exit status is kept).
    """
    from flows_workspace.reruns.environment import RERUN_OF_ENV, SNAPSHOT_DIR_ENV, SNAPSHOT_OF_ENV
    from flows_workspace.runs.index import find_run

    source = find_run(workspace.logs_root, reference)
    commit, script = _recorded_code(source, workspace)
    repository = _repository_root(workspace.root)
    with code_at(repository, commit, _patch_of(source), name=source.id) as tree:
        copy = tree / script
        if not copy.is_file():
            msg = f"run `{source.id}` ran `{script}`, which its commit {commit[:12]} does not hold"
            raise BadInputError(msg)
        env = {
            **os.environ,
            SNAPSHOT_DIR_ENV: str(copy.parent),
            # Into the run's experiment as named now (`flow mv` may have renamed it).
            SNAPSHOT_OF_ENV: str(workspace.flows_root / source.experiment),
            RERUN_OF_ENV: str(source.dir.resolve()),
        }
        argv = [sys.executable, str(copy), "--from-run", str(source.dir.resolve())]
        code = _run_to_end(argv, env, _working_folder(source, workspace))
    if code != 0:
        msg = f"the rerun of run `{source.id}` exited with status {code}; `flow runs` lists it"
        raise RerunFailedError(msg, code)


def _recorded_code(source: RecordedRun, workspace: Workspace) -> tuple[str, PurePosixPath]:
    """The run's commit and its script's path in the repository, or a one-line refusal."""
    manifest = source.manifest
    git = manifest.git
    from_run = (
        f"rerun today's code with `python {_todays_script(source, workspace)} "
        f"--from-run {source.dir}`"
    )
    if not manifest.details_recorded:
        msg = f"run `{source.id}` has not recorded its code version yet; wait until it has"
        raise BadInputError(msg)
    if git is None or not git.commit:
        why = "was not in a git repository" if git is None else "had no commit yet"
        msg = f"run `{source.id}` recorded no git commit (its code {why}); {from_run}"
        raise BadInputError(msg)
    if git.not_in_patch:
        shown = ", ".join(f"`{path}`" for path in git.not_in_patch[:5])
        more = f" and {len(git.not_in_patch) - 5} more" if len(git.not_in_patch) > 5 else ""
        msg = (
            f"run `{source.id}` ran with untracked files left out of its patch (too large, "
            f"too many, or a nested repository): {shown}{more}; its code cannot be restored "
            f"exactly, {from_run}"
        )
        raise BadInputError(msg)
    script = Path(manifest.script or "")
    if manifest.sweep is not None and manifest.sweep.snapshot_of:
        script = Path(manifest.sweep.snapshot_of) / script.name  # the snapshot's original
    try:
        relative = script.relative_to(git.root)
    except ValueError:
        msg = f"run `{source.id}` ran `{script}`, outside its repository `{git.root}`; {from_run}"
        raise BadInputError(msg) from None
    return git.commit, PurePosixPath(relative.as_posix())


def _todays_script(source: RecordedRun, workspace: Workspace) -> Path:
    """The run's script in its experiment as named now (`flow mv` may have renamed it).

    The same path inside the experiment's folder (`scripts/train.py` stays there).
    """
    manifest = source.manifest
    recorded = Path(manifest.script or "run.py")
    then = Path(manifest.workspace or "") / workspace.settings.flows_dir / manifest.experiment
    try:
        inside = recorded.relative_to(then)
    except ValueError:
        inside = Path(recorded.name)
    today = workspace.flows_root / source.experiment / inside
    return today if today.is_file() or not recorded.is_file() else recorded


def _patch_of(source: RecordedRun) -> Path | None:
    """The run's patch file; None for a clean tree; a refusal when a dirty run lost it."""
    git = source.manifest.git
    patch = source.dir / PATCH_NAME
    if git is None or not git.dirty:
        return None
    if not patch.is_file():
        msg = f"run `{source.id}` ran with uncommitted changes but `{patch}` is missing"
        raise BadInputError(msg)
    return patch


def _repository_root(folder: Path) -> Path:
    done = run_git(folder, "rev-parse", "--show-toplevel")
    if done is None or done.returncode != 0:
        msg = f"`{folder}` is not in a git repository, so no recorded commit can be checked out"
        raise BadInputError(msg)
    return Path(done.stdout.strip())


def _working_folder(source: RecordedRun, workspace: Workspace) -> Path:
    """Where the rerun starts: the run's own working folder when it still exists."""
    cwd = source.manifest.cwd
    return Path(cwd) if cwd and Path(cwd).is_dir() else workspace.root


@contextlib.contextmanager
def code_at(repository: Path, commit: str, patch: Path | None, *, name: str) -> Iterator[Path]:
    """A throwaway worktree of `repository` at `commit` with `patch` applied; removed after.

    Raises:
        BadInputError: the repository lacks `commit`, or `patch` does not apply on it.
    """
    found = run_git(repository, "cat-file", "-e", f"{commit}^{{commit}}")
    if found is None or found.returncode != 0:
        msg = f"commit {commit[:12]} is not in the repository `{repository}`; fetch it first"
        raise BadInputError(msg)
    scratch = Path(tempfile.mkdtemp(prefix=f"flows-rerun-{name}-"))
    tree = scratch / repository.name
    try:
        added = run_git(repository, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        if added is None or added.returncode != 0:
            msg = f"cannot check out commit {commit[:12]}: {_last_line(added)}"
            raise FlowsError(msg)
        if patch is not None:
            applied = run_git(tree, "apply", "--binary", str(patch.resolve()))
            if applied is None or applied.returncode != 0:
                msg = (
                    f"the recorded changes `{patch}` do not apply on commit {commit[:12]}: "
                    f"{_last_line(applied)}"
                )
                raise BadInputError(msg)
        yield tree
    finally:
        run_git(repository, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(scratch, ignore_errors=True)
        run_git(repository, "worktree", "prune")


def _last_line(done: subprocess.CompletedProcess[str] | None) -> str:
    if done is None:
        return "git is not available"
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[-1] if lines else f"git exited with status {done.returncode}"


def _run_to_end(argv: list[str], env: dict[str, str], cwd: Path) -> int:
    """Run `argv`; if `flow` is stopped meanwhile, stop it too and wait until it recorded that."""
    from flows_workspace.sweeps.launchers.task import stop

    process = subprocess.Popen(argv, env=env, cwd=cwd)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the whole process group: the run is recording its interruption.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_GRACE_SECONDS)
        stop(process)
        raise
    except BaseException:  # SIGTERM came to `flow` alone: pass it on
        stop(process)
        raise
