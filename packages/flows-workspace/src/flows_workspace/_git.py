"""Running git: one runner for every git call, and settings read through `git config` itself.

`GIT_OPTIONAL_LOCKS=0` keeps `git status` from taking the index lock, so runs never get
in the way of a commit being made at the same time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def run_git(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str] | None:
    """`git -C folder ARGS`, or None when git is missing or cannot run."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        return subprocess.run(
            [git, "-C", str(folder), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", **(env or {})},
            stdin=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


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
