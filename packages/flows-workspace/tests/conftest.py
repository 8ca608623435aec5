"""Shared fixtures: workspaces, scratch environments, the `flow` command in a subprocess."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import venv
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flows_workspace.cli import main
from subprocesses import run

if TYPE_CHECKING:
    import subprocess

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("config-utils", "flow-templates", "flows-workspace")

Tree = Callable[[Path], dict[str, "bytes | None"]]
Flow = Callable[..., int]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder (None) under `root`, by relative path."""
    return {
        str(path.relative_to(root)): (path.read_bytes() if path.is_file() else None)
        for path in sorted(root.rglob("*"))
    }


def flow(*argv: str) -> int:
    """Run `flow ARGV` in this process (never installing: it would touch this environment)."""
    return main(list(argv))


@pytest.fixture(name="tree")
def tree_fixture() -> Tree:
    """`tree(root)`: every file with its bytes, and every folder, under `root`."""
    return tree


@pytest.fixture(name="flow")
def flow_fixture() -> Flow:
    """`flow(*argv)`: run the `flow` command in this process and return its exit code."""
    return flow


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace (not installed) that is also the current directory."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    monkeypatch.chdir(root)
    return root


class ScratchEnv:
    """A throw-away virtual environment that sees this environment's packages.

    `flow init` installs into the scratch environment's own site-packages, so tests of
    the install never touch the environment running the tests.
    """

    def __init__(self, root: Path) -> None:
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(root)
        self.root = root
        bindir = "Scripts" if os.name == "nt" else "bin"
        self.python = root / bindir / ("python.exe" if os.name == "nt" else "python")
        purelib = run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
        ).stdout.strip()
        self.site = Path(purelib)
        outer = sysconfig.get_paths()["purelib"]
        # addsitedir (not a bare path line) so the outer environment's own .pth files
        # (editable installs) are honoured too.
        (self.site / "_outer_env.pth").write_text(
            f"import site; site.addsitedir({outer!r})\n", encoding="utf-8"
        )

    def run(
        self, *argv: str | Path, cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run this environment's python with `argv`, without stdin, writing bytecode.

        Bytecode writing is on, as on users' machines, whatever this machine sets.
        """
        bytecode_on: dict[str, str | None] = {"PYTHONDONTWRITEBYTECODE": None, **(env or {})}
        return run([self.python, *argv], cwd=cwd, env=bytecode_on)

    def flow(
        self, *argv: str | Path, cwd: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `flow ARGV` in this environment."""
        return self.run("-m", "flows_workspace", *argv, cwd=cwd, env=env)


@pytest.fixture
def scratch_env(tmp_path: Path) -> ScratchEnv:
    """A fresh scratch environment."""
    return ScratchEnv(tmp_path / "env")


@pytest.fixture
def python() -> str:
    """The interpreter running the tests."""
    return sys.executable


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Wheels of the three distributions, built once per test session."""
    out = tmp_path_factory.mktemp("wheels")
    for name in PACKAGES:
        source = str(REPO / "packages" / name)
        if shutil.which("uv"):
            command = ["uv", "build", "--wheel", "--quiet", "--out-dir", str(out), source]
        else:
            command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), source]
        run(command, check=True)
    built = sorted(out.glob("*.whl"))
    assert len(built) == len(PACKAGES), built
    return built


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many fault-injection cases ran (`test_faults.py`)."""
    from faultcases import TRIED

    if TRIED:
        terminalreporter.write_line(f"fault injection: {len(TRIED)} cases tried")
