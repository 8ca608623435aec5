"""Fault injection: corrupt files, read-only folders and full disks against every command.

Every case asserts the same three things: one line on stderr, a non-zero exit status,
and nothing in the workspace changed. The cases that need a read-only folder or a full
disk run the command as an unprivileged process (root ignores permissions): as
`nobody` through `setpriv` when this interpreter works for that user, else as root
with every capability dropped. A full disk is a small tmpfs, which needs root to mount;
outside CI a session without root skips those cases and says why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import ScratchEnv, tree
from faultcases import TRIED
from flows_workspace.cli import main
from subprocesses import GIT_ENV, run

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

FLOW = [sys.executable, "-m", "flows_workspace"]

CORRUPT_SETTINGS: dict[str, bytes] = {
    "garbage": b"\x00\x9f\xff garbage {{{\n",
    "truncated": b'flows_dir = "flo',
    "wrong-type": b"flows_dir = 3\n",
    "wrong-table": b"[logs_dir]\nx = 1\n",
    "absolute-logs": b'logs_dir = "/abs"\n',
    "escaping-data": b'data_dir = "../elsewhere"\n',
    "unknown-key": b'flow_dir = "flows"\n',
    "not-utf8": b'flows_dir = "fl\xffows"\n',
    "deep-arrays": b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "deep-tables": b"x = " + b"{a = " * 5_000 + b"1" + b"}" * 5_000 + b"\n",
    "huge": b"# " + b"x" * 3_000_000 + b"\n",
}

CORRUPT_RECORDS: dict[str, bytes] = {
    "garbage": b"\x00\x9f\xff garbage {{{\n",
    "truncated": b'name = "e"\ncreated = 2026-',
    "wrong-type": b'name = "e"\ncreated = 5\n',
    "wrong-table": b'name = "e"\ncreated = 2026-01-01T00:00:00\ntemplate = "default"\n',
    "missing-key": b'name = "e"\n',
    "not-utf8": b'name = "\xff"\ncreated = 2026-01-01T00:00:00\n',
    "deep-arrays": b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "huge": b"# " + b"x" * 3_000_000 + b"\n",
}


# Corrupt files against every command that reads them ----------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A workspace with experiment `e` (default template) and one recorded run of it."""
    root = tmp_path_factory.mktemp("faults") / "ws"
    assert main(["init", str(root), "--no-install"]) == 0
    created = run([*FLOW, "create", "e"], cwd=root)
    assert created.returncode == 0, created.stderr
    done = run([sys.executable, root / "flows" / "e" / "run.py"], cwd=root)
    assert done.returncode == 0, done.stderr
    [run_dir] = (root / "logs" / "e").iterdir()
    return root, run_dir.name


@pytest.fixture
def workspace_copy(
    pristine: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    """A fresh copy of the pristine workspace, as the current folder, and its run id."""
    source, run_id = pristine
    root = tmp_path / "ws"
    shutil.copytree(source, root, symlinks=True)
    monkeypatch.chdir(root)
    return root, run_id


READERS = [
    "list",
    "runs",
    "show",
    "diff",
    "templates",
    "create",
    "init",
    "sweep",
    "sweep-status",
    "update",
    "mv",
    "diff-template",
    "templates-show",
    "run",
    "from-run",
]
RECORD_READERS = ["list", "update", "mv", "diff-template"]


def _read_command(reader: str, root: Path, run_id: str) -> list[str | Path]:
    """The command line of reading command `reader` in the workspace `root`."""
    script = root / "flows" / "e" / "run.py"
    commands: dict[str, list[str | Path]] = {
        "list": [*FLOW, "list"],
        "runs": [*FLOW, "runs"],
        "show": [*FLOW, "show", run_id],
        "diff": [*FLOW, "diff", run_id, run_id],
        "templates": [*FLOW, "templates"],
        "create": [*FLOW, "create", "new"],
        "init": [*FLOW, "init", "--no-install"],
        "sweep": [*FLOW, "sweep", "e", "-p", "steps=1,2", "--dry-run"],
        "sweep-status": [*FLOW, "sweep", "status"],
        "update": [*FLOW, "update", "e", "--dry-run"],
        "mv": [*FLOW, "mv", "e", "renamed"],
        "diff-template": [*FLOW, "diff", "e", "--template"],
        "templates-show": [*FLOW, "templates", "show", "default"],
        "run": [sys.executable, script],
        "from-run": [sys.executable, script, "--from-run", run_id],
    }
    return commands[reader]


def _assert_one_line_failure(done: subprocess.CompletedProcess[str], mentions: str) -> None:
    lines = done.stderr.splitlines()
    assert done.returncode != 0, done.stdout
    assert len(lines) == 1, done.stderr
    assert ": error: " in lines[0], lines[0]
    assert mentions in lines[0], lines[0]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("corruption", sorted(CORRUPT_SETTINGS))
def test_corrupt_settings_file(
    workspace_copy: tuple[Path, str], corruption: str, reader: str
) -> None:
    """A corrupt flows.toml: every command that reads it says so in one line, changes nothing."""
    root, run_id = workspace_copy
    (root / "flows.toml").write_bytes(CORRUPT_SETTINGS[corruption])
    before = tree(root)
    done = run(_read_command(reader, root, run_id), cwd=root)
    _assert_one_line_failure(done, "flows.toml")
    assert tree(root) == before
    TRIED.append(f"settings:{corruption}:{reader}")


@pytest.mark.parametrize("reader", RECORD_READERS)
@pytest.mark.parametrize("corruption", sorted(CORRUPT_RECORDS))
def test_corrupt_experiment_record(
    workspace_copy: tuple[Path, str], corruption: str, reader: str
) -> None:
    """A corrupt .flow-experiment.toml: every command reading it says why in one line.

    `flow list` still lists the others, the broken one as BROKEN.
    """
    root, run_id = workspace_copy
    (root / "flows" / "e" / ".flow-experiment.toml").write_bytes(CORRUPT_RECORDS[corruption])
    before = tree(root)
    done = run(_read_command(reader, root, run_id), cwd=root)
    _assert_one_line_failure(done, ".flow-experiment.toml")
    if reader == "list":
        assert "BROKEN" in done.stdout
    assert tree(root) == before
    TRIED.append(f"record:{corruption}:{reader}")


# Read-only folders and full disks, as an unprivileged user --------------------------------

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
NO_CAPABILITIES = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs"]


def _unprivileged() -> tuple[list[str], int | None]:
    """The command prefix running a process without privileges, and the user id it runs as.

    Not root: nothing to drop. Root: `nobody` when this interpreter (with its own
    standard library) runs for that user; else root without any capability, for whom
    permissions apply as for anyone.
    """
    if os.geteuid() != 0:
        return [], None
    if shutil.which("setpriv") is None:
        _skip_or_fail("needs `setpriv` (util-linux) to drop root's privileges")
    probe = run([*NOBODY, sys.executable, "-c", "import sys, flows_workspace; print(sys.prefix)"])
    if probe.returncode == 0 and probe.stdout.strip() == sys.prefix:
        return NOBODY, 65534
    return NO_CAPABILITIES, None


def _skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; in CI (root, `CI` set) a missing piece is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"fault injection cannot run here: {reason}")
    pytest.skip(reason)


class Hostile:
    """A scratch folder where commands run unprivileged, with read-only and full places."""

    def __init__(self, base: Path, prefix: list[str], uid: int | None) -> None:
        self.base = base
        self.prefix = prefix
        self.uid = uid
        self.mounts: list[Path] = []
        self.env = {**GIT_ENV, "HOME": str(base), "FLOWS_DEBUG": None}

    def run(self, *argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run `argv` unprivileged in `cwd`."""
        return run([*self.prefix, *argv], cwd=cwd, env=self.env)

    def flow(self, *argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run `flow ARGV` unprivileged in `cwd`."""
        return self.run(*FLOW, *argv, cwd=cwd)

    def workspace(self, parent: Path) -> Path:
        """A workspace `parent/ws` with experiment `e`, in git, made by the unprivileged user."""
        root = parent / "ws"
        for argv in (
            [*FLOW, "init", root, "--no-install"],
            [*FLOW, "create", "e"],
            ["git", "init", "-q", "--template="],
            ["git", "add", "."],
            ["git", "commit", "-qm", "start"],
        ):
            done = self.run(*argv, cwd=root if argv[-1] != "--no-install" else parent)
            assert done.returncode == 0, (argv, done.stderr)
        return root

    def folder(self, name: str) -> Path:
        """A new folder the unprivileged user owns."""
        folder = self.base / name
        folder.mkdir()
        if self.uid is not None:
            os.chown(folder, self.uid, self.uid)
        return folder

    def full_disk(self, name: str, size_kb: int, fill: bool = True) -> Path:
        """A tmpfs of `size_kb` at `base/name`, owned by the unprivileged user."""
        if os.geteuid() != 0:
            _skip_or_fail("a full disk is a tmpfs, and mounting one needs root")
        folder = self.base / name
        folder.mkdir()
        owner = f",uid={self.uid},gid={self.uid}" if self.uid is not None else ""
        options = f"size={size_kb}k,mode=0755{owner}"
        mounted = run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", folder])
        if mounted.returncode != 0:
            _skip_or_fail(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
        self.mounts.append(folder)
        if fill:
            self.fill(folder)
        return folder

    @staticmethod
    def fill(disk: Path) -> None:
        """Fill the tmpfs `disk` to the last byte (as root: no blocks are reserved)."""
        with contextlib.suppress(OSError), (disk / ".fill").open("wb", buffering=0) as stream:
            while True:
                stream.write(b"\0" * 4096)


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    """A `Hostile` scratch folder under /tmp (reachable by `nobody`), removed afterwards."""
    prefix, uid = _unprivileged()
    base = Path(tempfile.mkdtemp(prefix="flows-faults-"))
    base.chmod(0o755)
    if uid is not None:
        os.chown(base, uid, uid)
    place = Hostile(base, prefix, uid)
    try:
        yield place
    finally:
        for mount in reversed(place.mounts):
            run(["umount", mount])
        for folder in (base, *base.rglob("*")):
            with contextlib.suppress(OSError):
                if folder.is_dir() and not folder.is_symlink():
                    folder.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def _unchanged_failure(
    done: subprocess.CompletedProcess[str], where: Path, before: object, case: str
) -> None:
    _assert_one_line_failure(done, "")
    assert tree(where) == before, case
    TRIED.append(f"hostile:{case}")


def test_init_in_a_read_only_folder(hostile: Hostile) -> None:
    """`flow init` into a folder the user may not write: one line, nothing made."""
    parent = hostile.folder("parent")
    parent.chmod(0o555)
    done = hostile.flow("init", parent / "ws", "--no-install", cwd=hostile.base)
    _unchanged_failure(done, parent, {}, "init-read-only-parent")
    assert "Permission denied" in done.stderr


def test_init_whose_install_fails_takes_back_what_it_wrote(hostile: Hostile) -> None:
    """`flow init` where the environment is read-only: one line, the folder left as it was."""
    scratch = ScratchEnv(hostile.base / "env")
    scratch.site.chmod(0o555)
    folder = hostile.folder("mine")
    (folder / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = tree(folder)
    done = hostile.run(scratch.python, "-m", "flows_workspace", "init", cwd=folder)
    _unchanged_failure(done, folder, before, "init-install-fails")
    assert f"`{scratch.site}`" in done.stderr


def test_init_repair_in_a_read_only_workspace(hostile: Hostile) -> None:
    """`flow init` repairing a read-only workspace: one line, nothing changed."""
    root = hostile.workspace(hostile.folder("parent"))
    (root / "data" / "README.md").unlink()
    root.chmod(0o555)
    before = tree(root)
    done = hostile.flow("init", "--no-install", cwd=root)
    _unchanged_failure(done, root, before, "init-read-only-workspace")


def test_create_in_a_read_only_flows_folder(hostile: Hostile) -> None:
    """`flow create` with a read-only flows/: one line naming it, nothing changed."""
    root = hostile.workspace(hostile.folder("parent"))
    (root / "flows").chmod(0o555)
    before = tree(root)
    done = hostile.flow("create", "new", cwd=root)
    _unchanged_failure(done, root, before, "create-read-only-flows")
    assert f"`{root / 'flows'}`" in done.stderr


@pytest.mark.parametrize("read_only", ["logs", "logs/e"])
def test_run_with_read_only_logs(hostile: Hostile, read_only: str) -> None:
    """A recorded run with a read-only logs/ (or logs/e/): one line, exit 1, no run folder."""
    root = hostile.workspace(hostile.folder("parent"))
    (root / read_only).mkdir(exist_ok=True)
    (root / read_only).chmod(0o555)
    before = tree(root)
    done = hostile.run(sys.executable, root / "flows" / "e" / "run.py", cwd=root)
    _unchanged_failure(done, root, before, f"run-read-only-{read_only}")
    assert done.returncode == 1
    assert "cannot record the run" in done.stderr


def test_init_on_a_full_disk(hostile: Hostile) -> None:
    """`flow init` on a full disk: one line, and no half-made workspace is left."""
    disk = hostile.full_disk("disk", 64)
    before = tree(disk)
    done = hostile.flow("init", disk / "ws", "--no-install", cwd=hostile.base)
    _unchanged_failure(done, disk, before, "init-full-disk")
    assert "disk is full" in done.stderr


def test_create_on_a_full_disk(hostile: Hostile) -> None:
    """`flow create` on a full disk: one line, no experiment and no staging folder left."""
    disk = hostile.full_disk("disk", 1024, fill=False)
    root = hostile.workspace(disk)
    hostile.fill(disk)
    before = tree(root)
    done = hostile.flow("create", "new", cwd=root)
    _unchanged_failure(done, root, before, "create-full-disk")


def test_run_on_a_full_disk(hostile: Hostile) -> None:
    """A recorded run on a full disk: one line, exit 1, no run folder left."""
    disk = hostile.full_disk("disk", 1024, fill=False)
    root = hostile.workspace(disk)
    hostile.fill(disk)
    before = tree(root)
    done = hostile.run(sys.executable, root / "flows" / "e" / "run.py", cwd=root)
    _unchanged_failure(done, root, before, "run-full-disk")
    assert done.returncode == 1


def test_zz_fault_cases_all_ran(request: pytest.FixtureRequest) -> None:
    """Every fault case selected reached its assertions: none skipped where root can run it."""
    if os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("without root the full-disk cases skip; CI runs them all as root")
    here = request.node.path
    selected = [
        item for item in request.session.items if item.path == here and item is not request.node
    ]
    assert len(TRIED) == len(selected), sorted(TRIED)
