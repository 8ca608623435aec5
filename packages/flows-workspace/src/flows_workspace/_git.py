"""Running git: one runner for every git call, and settings read through `git config` itself.

Every call runs with `GIT_OPTIONAL_LOCKS=0`: git skips the locks it can do without (a
`git status` refreshing the index), so runs stay out of the way of a commit being made
at the same time. `git diff` and `git add` write the index they read all the same:
`scratch_index` gives them a throwaway one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from collections.abc import Iterator


@overload
def run_git(
    folder: Path, *args: str, env: dict[str, str] | None = None, binary: Literal[False] = False
) -> subprocess.CompletedProcess[str] | None: ...


@overload
def run_git(
    folder: Path, *args: str, env: dict[str, str] | None = None, binary: Literal[True]
) -> subprocess.CompletedProcess[bytes] | None: ...


def run_git(
    folder: Path, *args: str, env: dict[str, str] | None = None, binary: bool = False
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes] | None:
    """`git -C folder ARGS`, or None when git is missing or cannot run.

    Output is text (UTF-8, undecodable bytes replaced), or the exact bytes with `binary`
    (a patch of files in any encoding).
    """
    git = shutil.which("git")
    if git is None:
        return None
    decoding: dict[str, Any] = {} if binary else {"encoding": "utf-8", "errors": "replace"}
    try:
        return subprocess.run(
            [git, "-C", str(folder), *args],
            capture_output=True,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", **(env or {})},
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
            **decoding,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def run_git_past_filters(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes] | None:
    """`run_git` (binary); when git fails, once more with every filter driver turned off.

    A filter that cannot run (git-lfs set up in the git settings but not installed)
    makes `git diff` and `git add` stop; with filters off git takes the files as they
    are on disk.
    """
    done = run_git(folder, *args, env=env, binary=True)
    if done is not None and done.returncode != 0:
        done = run_git(folder, *_filters_off(folder), *args, env=env, binary=True)
    return done


def _filters_off(folder: Path) -> list[str]:
    """The `-c` settings turning off every filter driver the git settings define."""
    listed = run_git(folder, "config", "--name-only", "--get-regexp", r"^filter\.")
    drivers = {name.rsplit(".", 1)[0] for name in (listed.stdout if listed else "").splitlines()}
    return [
        argument
        for driver in sorted(drivers)
        for setting in ("required=false", "process=", "clean=")
        for argument in ("-c", f"{driver}.{setting}")
    ]


def git_setting(folder: Path, key: str) -> str | None:
    """The value of git setting `key` as git resolves it in `folder`, or None when unset.

    Asked of `git config` itself, so every source git reads counts: the repository's
    and a worktree's own config, `GIT_CONFIG_GLOBAL`, `~/.gitconfig`, XDG, the system
    file, `[include]`s and `GIT_CONFIG_*` variables.
    """
    done = run_git(folder, "config", "--get", key)
    if done is None or done.returncode != 0:
        return None
    return done.stdout.rstrip("\n")


@contextlib.contextmanager
def scratch_index(copy_of: Path | None = None) -> Iterator[dict[str, str]]:
    """The environment making git use a throwaway index: empty, or a copy of `copy_of`.

    A copy keeps the stat cache, so only changed files are read; `copy2` keeps the index
    file's time too: git re-reads the files changed in the same second as the index was
    written ("racily clean") only when it can tell.
    """
    import tempfile  # here, not at the top: `record_run` imports this module at start-up

    with tempfile.TemporaryDirectory(prefix="flows-git-") as scratch:
        index = Path(scratch) / "index"
        if copy_of is not None and copy_of.is_file():
            shutil.copy2(copy_of, index)
        yield {"GIT_INDEX_FILE": str(index)}
