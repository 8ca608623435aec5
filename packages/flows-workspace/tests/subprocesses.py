"""The one way tests start real processes: no stdin, SIGINT restored, a time limit.

A test run started in the background or under `nohup` has SIGINT ignored, and children
inherit that: a child that ignores Ctrl-C would make interrupt tests wait and fail.
Every child here starts with SIGINT at its default, as it would from a user's shell.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import IO, TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _environment(env: Mapping[str, str | None] | None) -> dict[str, str]:
    """The current environment updated by `env`; a None value removes the variable."""
    merged = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 300,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` to its end and capture its output as text."""
    return subprocess.run(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=_environment(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        preexec_fn=_default_sigint,
    )


def run_python(
    *args: str | os.PathLike[str],
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    check: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with `args`."""
    return run([sys.executable, *args], cwd=cwd, env=env, check=check)


def run_flow(
    *args: str | os.PathLike[str], cwd: Path, env: Mapping[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `flow ARGS` with this interpreter."""
    return run_python("-m", "flows_workspace", *args, cwd=cwd, env=env)


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
"""A fixed identity and no global config: git behaves the same on every machine."""
MISSING_LFS = '[filter "lfs"]\n\tclean = git-lfs-missing clean -- %f\n\trequired = true\n'
"""Git settings with git-lfs set up and its program not installed (as on some clusters)."""


def git(root: Path, *args: str, env: Mapping[str, str | None] | None = None) -> str:
    """Run git in `root` (`GIT_ENV` plus `env`); its stripped stdout. Fails the test on error."""
    done = run(["git", "-C", root, *args], env={**GIT_ENV, **(env or {})}, check=True)
    return done.stdout.strip()


@overload
def start(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    stdout: int | IO[bytes] | None = subprocess.DEVNULL,
    stderr: int | IO[bytes] | None = subprocess.DEVNULL,
    text: Literal[False] = False,
) -> subprocess.Popen[bytes]: ...


@overload
def start(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    stdout: int | IO[str] | None = subprocess.DEVNULL,
    stderr: int | IO[str] | None = subprocess.DEVNULL,
    text: Literal[True],
) -> subprocess.Popen[str]: ...


def start(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    text: bool = False,
) -> subprocess.Popen[bytes] | subprocess.Popen[str]:
    """Start `argv` in the background; the caller waits for it or kills it.

    Its pipes carry bytes, or text with `text=True`.
    """
    return subprocess.Popen(
        [str(arg) for arg in argv],
        cwd=cwd,
        env=_environment(env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=text,
        preexec_fn=_default_sigint,
    )
