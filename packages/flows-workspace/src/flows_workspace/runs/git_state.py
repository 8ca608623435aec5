"""What git says about the code a run uses: commit, dirty flag, uncommitted changes.

Every call tolerates a missing `git` or a folder outside any repository (the answer is
then `None`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flows_workspace._git import run_git
from flows_workspace.runs.manifest import GitSummary

UNTRACKED_SIZE_CAP = 1_000_000
"""Untracked files larger than this (bytes) stay out of the patch: a stray data set, not code."""
UNTRACKED_TOTAL_CAP = 20_000_000
"""Past this many bytes of untracked files under the per-file cap, none go into the patch."""
UNTRACKED_COUNT_CAP = 2_000
"""Past this many untracked files, none go into the patch (an unignored venv)."""


@dataclass(frozen=True)
class GitState:
    """The state of the repository holding a run's code: the manifest's part, and the patch."""

    summary: GitSummary
    """Commit, dirty flag, untracked files and those left out of the patch."""
    patch: str = ""
    """The uncommitted changes, untracked files included, as a binary diff from `HEAD`
    (from the empty tree before the first commit): `git apply` on the commit restores
    the tree."""


def in_git_repository(folder: Path) -> bool:
    """Whether `folder` looks inside a git repository, without starting `git` (it is cheap).

    Looks for `.git` in `folder` and its parents, stopping at `GIT_CEILING_DIRECTORIES`
    as git does; `GIT_DIR` set counts as a repository.
    """
    if os.environ.get("GIT_DIR"):
        return True
    ceilings = {
        Path(entry).resolve()
        for entry in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(os.pathsep)
        if entry
    }
    here = folder.resolve()
    for candidate in (here, *here.parents):
        if candidate != here and candidate in ceilings:
            return False
        if (candidate / ".git").exists():
            return True
    return False


def current_commit(folder: Path) -> str | None:
    """`HEAD`'s hash for the repository holding `folder`, or None (no git, repo or commit)."""
    done = run_git(folder, "rev-parse", "--verify", "--quiet", "HEAD")
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def git_state(folder: Path, *, exclude: Path | None = None) -> GitState | None:
    """The state of the repository holding `folder`, or None when there is none.

    Args:
        folder: A folder inside the repository.
        exclude: A folder whose changes do not count (the workspace's logs, which a
            run itself writes to).
    """
    top = run_git(folder, "rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0:
        return None
    root = Path(top.stdout.strip())
    pathspec = [":(top)"]
    if exclude is not None:
        try:
            relative = exclude.resolve().relative_to(root.resolve())
        except ValueError:
            relative = None
        # An ignored folder needs no excluding; naming it would make `git add` fail.
        ignored = run_git(root, "check-ignore", "--quiet", "--", str(relative or ""))
        if relative is not None and relative.parts and not (ignored and ignored.returncode == 0):
            pathspec.append(f":(top,exclude){relative.as_posix()}")
    commit = current_commit(folder)
    status = run_git(
        folder, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *pathspec
    )
    entries = _status_entries(status.stdout if status and status.returncode == 0 else "")
    untracked = [path for code, path in entries if code == "??"]
    sizes = {path: _size(root / path) for path in untracked}
    too_large = [path for path, size in sizes.items() if size > UNTRACKED_SIZE_CAP]
    code_size = sum(size for size in sizes.values() if size <= UNTRACKED_SIZE_CAP)
    # That much untracked stuff is not code someone forgot to commit (an unignored venv):
    # the patch keeps only the changes to tracked files, and says what it left out.
    too_much = len(untracked) > UNTRACKED_COUNT_CAP or code_size > UNTRACKED_TOTAL_CAP
    left_out = untracked if too_much else too_large
    patch = ""
    if entries:
        skip = [] if too_much else [f":(top,literal,exclude){path}" for path in too_large]
        patch = _patch(folder, commit, [*pathspec, *skip], untracked=not too_much)
    return GitState(GitSummary(str(root), commit, bool(entries), untracked, left_out), patch)


def folder_changes(folder: Path, *, exclude: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """`HEAD`'s hash and the uncommitted changes under `folder` alone (untracked included).

    Both are empty (None, "") outside a git repository; the patch is empty when the
    folder has no changes. `exclude` names sub-folders of `folder` left out.
    """
    commit = current_commit(folder)
    pathspec = [".", *(f":(literal,exclude){name}" for name in exclude)]
    return commit, _patch(folder, commit, pathspec, untracked=True)


def _patch(folder: Path, commit: str | None, pathspec: list[str], *, untracked: bool) -> str:
    """The diff from `commit` to the working tree, untracked files included.

    `git diff HEAD` leaves untracked files out, so the new code of an experiment not yet
    committed would be lost. The files are added to a throwaway copy of the index instead
    (the real index and the staging area stay untouched), then the copy is diffed.
    """
    import tempfile  # here, not at the top: `record_run` imports this module at start-up

    where = run_git(folder, "rev-parse", "--git-path", "index")
    if where is None or where.returncode != 0:
        return ""
    real_index = folder / where.stdout.strip()  # relative to `folder` unless absolute
    with tempfile.TemporaryDirectory(prefix="flows-git-") as scratch:
        index = Path(scratch) / "index"
        if real_index.is_file():  # a copy keeps the stat cache: only changed files are read
            # With its time too: git re-reads files changed in the index's last second
            # ("racily clean"), which it can only tell from the index file's own time.
            shutil.copy2(real_index, index)
        env = {"GIT_INDEX_FILE": str(index)}
        # --update adds changes to tracked files only; --all adds untracked files too.
        mode = "--all" if untracked else "--update"
        added = run_git(folder, "add", mode, "--", *pathspec, env=env)
        if added is None or added.returncode != 0:
            return ""
        base = [commit] if commit is not None else []  # none yet: from the empty tree
        diff = run_git(folder, "diff", "--cached", "--binary", *base, "--", *pathspec, env=env)
    return diff.stdout if diff is not None and diff.returncode == 0 else ""


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def _status_entries(output: str) -> list[tuple[str, str]]:
    """`(code, path)` pairs of `git status --porcelain=v1 -z` output."""
    entries: list[tuple[str, str]] = []
    tokens = iter(output.split("\0"))
    for token in tokens:
        if len(token) < 4:  # "XY path" needs at least 4 characters
            continue
        code, path = token[:2], token[3:]
        entries.append((code, path))
        if code[0] in "RC":  # a rename or copy is followed by its source path
            next(tokens, None)
    return entries
