"""Making `flows` importable: the install pip knows, conflicts, uninstall, fresh environments."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flows_workspace.workspace.install import DIST_INFO, DIST_NAME, FINDER_MODULE, PTH_NAME
from subprocesses import run

if TYPE_CHECKING:
    import subprocess

    from conftest import ScratchEnv

pytestmark = pytest.mark.slow  # every test here makes a virtual environment

IMPORT_ROOT = "import flows; print(flows.PROJ_ROOT)"


def _installed_files(env: ScratchEnv) -> set[str]:
    return {
        str(p.relative_to(env.site))
        for p in env.site.rglob("*")
        if p.is_file() and "flows_workspace_flow_dir" in str(p)
    }


def test_init_makes_exactly_flows_importable_everywhere(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """After `flow init`, `import flows` works from another folder; logs and data do not."""
    root = tmp_path / "research"
    done = scratch_env.flow("init", root, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = scratch_env.run("-c", IMPORT_ROOT, cwd=elsewhere)
    assert out.stdout.strip() == str(root.resolve()), out.stderr
    for name in ("logs", "data"):
        assert scratch_env.run("-c", f"import {name}", cwd=elsewhere).returncode != 0
    assert not list(root.glob("*.egg-info"))
    assert not (root / "build").exists()


def test_install_is_a_recorded_distribution(scratch_env: ScratchEnv, tmp_path: Path) -> None:
    """The install is a dist-info whose RECORD lists every file it wrote, with an editable URL."""
    root = tmp_path / "research"
    assert scratch_env.flow("init", root, cwd=tmp_path).returncode == 0
    code = (
        f"import importlib.metadata as m, json; d = m.distribution({DIST_NAME!r});"
        "print(d.version); print(json.loads(d.read_text('direct_url.json'))['url']);"
        "print(json.dumps([str(f) for f in d.files]))"
    )
    out = scratch_env.run("-c", code, cwd=tmp_path)
    version, url, files = out.stdout.splitlines()
    assert version == "0.0.0"
    assert url == root.resolve().as_uri()
    listed = set(json.loads(files))
    assert listed == _installed_files(scratch_env)
    assert {PTH_NAME, f"{FINDER_MODULE}.py", f"{DIST_INFO}/RECORD"} <= listed


def test_flow_uninstall_removes_every_file(scratch_env: ScratchEnv, tmp_path: Path) -> None:
    """`flow uninstall` removes the install completely; `import flows` fails afterwards."""
    root = tmp_path / "research"
    assert scratch_env.flow("init", root, cwd=tmp_path).returncode == 0
    assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).returncode == 0
    done = scratch_env.flow("uninstall", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert str(root.resolve()) in done.stdout
    assert _installed_files(scratch_env) == set()
    assert not (scratch_env.site / DIST_INFO).exists()
    assert scratch_env.run("-c", "import flows", cwd=tmp_path).returncode != 0
    assert (root / "flows/__init__.py").is_file()  # the workspace itself is untouched
    again = scratch_env.flow("uninstall", cwd=tmp_path)
    assert again.returncode == 0
    assert "nothing to remove" in again.stdout


def test_install_leaves_no_unrecorded_file_with_bytecode_writing_on(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """With bytecode writing on, start-ups write nothing RECORD misses; uninstall leaves nothing."""
    writes = scratch_env.run("-c", "import sys; print(sys.dont_write_bytecode)", cwd=tmp_path)
    assert writes.stdout.strip() == "False", "the scratch environment must write bytecode"
    root = tmp_path / "research"
    assert scratch_env.flow("init", root, cwd=tmp_path).returncode == 0
    for _ in range(2):  # the second start-up would find and keep a cache the first wrote
        assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).returncode == 0
    record = (scratch_env.site / DIST_INFO / "RECORD").read_text(encoding="utf-8")
    assert _installed_files(scratch_env) == {line.split(",")[0] for line in record.splitlines()}
    assert scratch_env.flow("uninstall", cwd=tmp_path).returncode == 0
    assert _installed_files(scratch_env) == set()
    assert not list(scratch_env.site.rglob("*flows_workspace_flow_dir*"))


def test_bare_flows_folder_in_the_current_folder_does_not_hide_the_workspace(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """A `flows/` folder without `__init__.py` where python runs still imports the workspace."""
    root = tmp_path / "research"
    assert scratch_env.flow("init", root, cwd=tmp_path).returncode == 0
    newuser = tmp_path / "newuser"
    (newuser / "flows" / "packages").mkdir(parents=True)  # e.g. a clone of this repository
    code = "from flows import LOGS_ROOT; print(LOGS_ROOT)"
    out = scratch_env.run("-c", code, cwd=newuser)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str((root / "logs").resolve())


def test_regular_flows_package_in_the_current_folder_wins(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """A regular `flows` package in the current folder is imported instead of the install."""
    root = tmp_path / "research"
    assert scratch_env.flow("init", root, cwd=tmp_path).returncode == 0
    other = tmp_path / "other"
    (other / "flows").mkdir(parents=True)
    (other / "flows" / "__init__.py").write_text("PROJ_ROOT = 'other'\n", encoding="utf-8")
    out = scratch_env.run("-c", IMPORT_ROOT, cwd=other)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "other"


def test_second_workspace_stops_unless_replace(scratch_env: ScratchEnv, tmp_path: Path) -> None:
    """A second workspace in the same environment says so and stops; `--replace` switches."""
    first, second = tmp_path / "first", tmp_path / "second"
    assert scratch_env.flow("init", first, cwd=tmp_path).returncode == 0
    done = scratch_env.flow("init", second, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert f"`{first.resolve()}`" in done.stderr
    assert "--replace" in done.stderr
    assert not second.exists()
    assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).stdout.strip() == str(first.resolve())
    done = scratch_env.flow("init", second, "--replace", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).stdout.strip() == str(second.resolve())


def test_install_of_a_deleted_workspace_is_replaced(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """An install pointing at a workspace that no longer exists is replaced without a flag."""
    first, second = tmp_path / "first", tmp_path / "second"
    assert scratch_env.flow("init", first, cwd=tmp_path).returncode == 0
    shutil.rmtree(first)
    done = scratch_env.flow("init", second, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"replaced the stale `flows` install of `{first.resolve()}`" in done.stdout
    assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).stdout.strip() == str(second.resolve())


def test_moved_workspace_is_importable_again_after_init(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """After moving a workspace, `flow init` at the new place says it replaced a stale install."""
    old, new = tmp_path / "old", tmp_path / "new"
    assert scratch_env.flow("init", old, cwd=tmp_path).returncode == 0
    shutil.move(str(old), str(new))
    assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).returncode != 0
    done = scratch_env.flow("init", cwd=new)
    assert done.returncode == 0, done.stderr
    assert "replaced the stale `flows` install" in done.stdout
    assert scratch_env.run("-c", IMPORT_ROOT, cwd=tmp_path).stdout.strip() == str(new.resolve())


def test_replace_names_the_package_the_old_install_exposed(
    scratch_env: ScratchEnv, tmp_path: Path
) -> None:
    """Replacing a `flows` install by an `experiments` one names `flows` as the old package."""
    first, second = tmp_path / "first", tmp_path / "second"
    assert scratch_env.flow("init", first, cwd=tmp_path).returncode == 0
    done = scratch_env.flow(
        "init", second, "--flow-dir-name", "experiments", "--replace", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert f"replaced the `flows` install of `{first.resolve()}`" in done.stdout


def test_foreign_flows_package_is_refused(scratch_env: ScratchEnv, tmp_path: Path) -> None:
    """A `flows` package installed by something else stops `flow init` before it writes."""
    foreign = scratch_env.site / "flows"
    foreign.mkdir()
    (foreign / "__init__.py").write_text("")
    done = scratch_env.flow("init", tmp_path / "research", cwd=tmp_path)
    assert done.returncode == 1
    assert "not installed by `flow init`" in done.stderr
    assert not (tmp_path / "research").exists()


def test_reinit_keeps_the_install(scratch_env: ScratchEnv, tmp_path: Path) -> None:
    """Running `flow init` again in the same workspace leaves the install identical."""
    root = tmp_path / "research"
    assert scratch_env.flow("init", root, cwd=tmp_path).returncode == 0
    before = {f: (scratch_env.site / f).read_bytes() for f in _installed_files(scratch_env)}
    assert scratch_env.flow("init", cwd=root).returncode == 0
    after = {f: (scratch_env.site / f).read_bytes() for f in _installed_files(scratch_env)}
    assert after == before


# End to end: built wheels in brand-new environments, one made by pip and one by uv.


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(params=["pip", "uv"], scope="session")
def fresh_env(
    request: pytest.FixtureRequest, wheels: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """A new environment with the wheels installed: by pip, or by uv with no pip at all."""
    kind: str = request.param
    if kind == "uv" and shutil.which("uv") is None:
        pytest.skip("uv is not installed: `pip install uv` to test uv-made environments")
    env = tmp_path_factory.mktemp(f"{kind}-env") / "venv"
    # The interpreter running the tests (a path, so uv never downloads one).
    py = getattr(sys, "_base_executable", sys.executable)
    if kind == "pip":
        run([sys.executable, "-m", "venv", env], check=True)
        install = [str(_bin(env, "python")), "-m", "pip", "install", "--quiet"]
    else:
        run(["uv", "venv", "--quiet", "-p", py, env], check=True)
        install = ["uv", "pip", "install", "--quiet", "-p", str(_bin(env, "python"))]
    run([*install, *wheels], check=True)
    return kind, env


def test_fresh_environment_end_to_end(fresh_env: tuple[str, Path], tmp_path: Path) -> None:
    """Install, `flow init`, `flow create exp1`, run it into logs/exp1, import flows elsewhere."""
    kind, env = fresh_env
    python = str(_bin(env, "python"))
    if kind == "uv":
        assert run([python, "-m", "pip", "--version"]).returncode
    root = tmp_path / "research"
    root.mkdir()

    def run_ok(*argv: str | Path, cwd: Path = root) -> subprocess.CompletedProcess[str]:
        done = run(argv, cwd=cwd)
        assert done.returncode == 0, f"{argv}: {done.stdout}\n{done.stderr}"
        return done

    run_ok(_bin(env, "flow"), "init")
    run_ok(_bin(env, "flow"), "create", "exp1")
    assert "usage" in run_ok(python, "flows/exp1/run.py", "--help").stdout.lower()
    run_ok(python, "flows/exp1/run.py")
    assert [p for p in (root / "logs/exp1").rglob("*") if p.is_file()]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_ok(python, "-c", IMPORT_ROOT, cwd=elsewhere).stdout.strip() == str(root.resolve())
    assert not list(root.glob("*.egg-info"))
    assert not (root / "build").exists()
    if kind == "pip":
        listed = run_ok(python, "-m", "pip", "list", cwd=elsewhere).stdout
        uninstall = [python, "-m", "pip", "uninstall", "--yes", DIST_NAME]
    else:
        listed = run_ok("uv", "pip", "list", "-p", python, cwd=elsewhere).stdout
        uninstall = ["uv", "pip", "uninstall", "-p", python, DIST_NAME]
    assert DIST_NAME in listed
    run_ok(*uninstall, cwd=elsewhere)
    gone = run([python, "-c", "import flows"], cwd=elsewhere)
    assert gone.returncode != 0
    assert not list(Path(env).rglob(f"{FINDER_MODULE}*"))
