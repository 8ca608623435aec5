"""`flow init` and the original `flow_init`: layout, idempotence, never overwriting."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest
from flows_workspace.cli import flow_init_main
from flows_workspace.workspace.settings import find_workspace
from subprocesses import run_python

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow, Tree


def test_init_lays_out_the_workspace(tmp_path: Path, flow: Flow) -> None:
    """`flow init` creates flows/, logs/, data/ with READMEs, .gitignore and the marker."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    for name in ("flows/__init__.py", "flows.toml", ".gitignore", "data/README.md"):
        assert (root / name).is_file(), name
    assert (root / "logs").is_dir()
    assert "NEVER modify raw data" in (root / "data/README.md").read_text()
    gitignore = (root / ".gitignore").read_text()
    assert "logs" in gitignore
    assert "data" in gitignore
    workspace = find_workspace(root / "flows")
    assert workspace.root == root.resolve()
    assert workspace.settings.flows_dir == "flows"


def test_flows_init_exposes_the_roots(tmp_path: Path, flow: Flow) -> None:
    """flows/__init__.py gives PROJ_ROOT and the folder roots, also after the workspace moves."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    moved = tmp_path / "moved"
    root.rename(moved)  # roots come from the file's location, not from where init ran
    code = (
        "import flows; print(flows.PROJ_ROOT); print(flows.FLOWS_ROOT); print(flows.EXP_ROOT);"
        " print(flows.LOGS_ROOT); print(flows.DATA_ROOT)"
    )
    out = run_python("-c", code, cwd=moved, check=True).stdout.split()
    real = moved.resolve()
    assert out == [str(real), *(str(real / n) for n in ("flows", "flows", "logs", "data"))]


def test_written_files_get_the_usual_permissions(tmp_path: Path, flow: Flow) -> None:
    """Files `flow init` writes (the marker too) get the mode any new file gets, not 0600."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    (tmp_path / "plain").touch()
    usual = stat.S_IMODE((tmp_path / "plain").stat().st_mode)
    for name in ("flows.toml", ".gitignore", "data/README.md", "flows/__init__.py"):
        assert stat.S_IMODE((root / name).stat().st_mode) == usual, name


def test_second_init_changes_nothing(tmp_path: Path, flow: Flow, tree: Tree) -> None:
    """Running `flow init` twice leaves every file byte for byte as the first run wrote it."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    before = tree(root)
    assert flow("init", str(root), "--no-install") == 0
    assert tree(root) == before


def test_init_repairs_what_is_missing_and_keeps_edits(
    tmp_path: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second run restores deleted files and keeps edited ones (saying so)."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    (root / ".gitignore").unlink()
    (root / "flows/__init__.py").write_text("# mine\n")
    capsys.readouterr()
    assert flow("init", str(root), "--no-install") == 0
    out = capsys.readouterr().out
    assert (root / ".gitignore").is_file()
    assert (root / "flows/__init__.py").read_text() == "# mine\n"
    assert "created .gitignore" in out
    assert "kept flows/__init__.py" in out


def test_force_overwrites_but_never_inside_logs_or_data(tmp_path: Path, flow: Flow) -> None:
    """`--force` restores the template's files but leaves logs/ and data/ untouched."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    (root / "flows/__init__.py").write_text("# mine\n")
    (root / "data/README.md").write_text("my data notes\n")
    (root / "logs/README.md").unlink()
    (root / "logs/exp1").mkdir()
    (root / "logs/exp1/result.txt").write_text("precious")
    assert flow("init", str(root), "--no-install", "--force") == 0
    assert "PROJ_ROOT" in (root / "flows/__init__.py").read_text()
    assert (root / "data/README.md").read_text() == "my data notes\n"
    assert not (root / "logs/README.md").exists()
    assert (root / "logs/exp1/result.txt").read_text() == "precious"


def test_init_adopts_existing_folders_without_touching_contents(
    tmp_path: Path, flow: Flow, tree: Tree
) -> None:
    """`flow init` in a folder that already has data/ and logs/ leaves their contents alone."""
    root = tmp_path / "research"
    (root / "data").mkdir(parents=True)
    (root / "data/raw.csv").write_text("a,b\n")
    (root / "logs").mkdir()
    data_before, logs_before = tree(root / "data"), tree(root / "logs")
    assert flow("init", str(root), "--no-install") == 0
    assert tree(root / "data") == data_before
    assert tree(root / "logs") == logs_before


@pytest.mark.parametrize("name", ["my-flows", "", "class", "\U0001d518x", "__init__"])
def test_bad_flow_dir_name_is_refused(
    tmp_path: Path, flow: Flow, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A flows folder name that cannot be imported as itself exits 2 and creates nothing.

    A Fraktur `U` then `x` is an identifier, but Python imports it as `Ux` (NFKC), so it is
    refused like an experiment name would be.
    """
    assert flow("init", str(tmp_path / "w"), "--no-install", "--flow-dir-name", name) == 2
    err = capsys.readouterr().err
    assert f"flows folder name `{name}`" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "w").exists()


def test_conflicting_flow_dir_name_is_refused(
    tmp_path: Path, flow: Flow, tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-initialising with another flows folder name than the marker's exits 2, untouched."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    before = tree(root)
    assert flow("init", str(root), "--no-install", "--flow-dir-name", "experiments") == 2
    assert "keeps its experiments in `flows`" in capsys.readouterr().err
    assert tree(root) == before


def test_init_on_a_file_is_refused(
    tmp_path: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow init FILE` exits 2 and leaves the file alone."""
    file = tmp_path / "notes.txt"
    file.write_text("x")
    assert flow("init", str(file), "--no-install") == 2
    assert "is a file" in capsys.readouterr().err
    assert file.read_text() == "x"


def test_file_where_a_folder_goes_is_refused_writing_nothing(
    tmp_path: Path, flow: Flow, tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file named `logs` at the root exits 2 with one line, and `flow init` writes nothing."""
    root = tmp_path / "research"
    root.mkdir()
    (root / "logs").write_text("my notes")
    before = tree(root)
    assert flow("init", str(root), "--no-install") == 2
    err = capsys.readouterr().err
    assert f"`{root / 'logs'}` is a file" in err
    assert err.count("\n") == 1
    assert tree(root) == before


def test_init_inside_another_workspace_is_refused(
    tmp_path: Path, flow: Flow, tree: Tree, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow init` in a folder of an existing workspace exits 2 naming it, writing nothing."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    before = tree(root)
    assert flow("init", str(root / "flows/exp1"), "--no-install") == 2
    err = capsys.readouterr().err
    assert f"inside the workspace `{root}`" in err
    assert err.count("\n") == 1
    assert tree(root) == before


def test_legacy_flow_init_with_flow_dir_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The original `flow_init --flow-dir-name NAME` makes NAME the flows folder of the cwd."""
    monkeypatch.chdir(tmp_path)
    assert flow_init_main(["--flow-dir-name", "experiments", "--no-install"]) == 0
    assert (tmp_path / "experiments/__init__.py").is_file()
    assert find_workspace(tmp_path).settings.flows_dir == "experiments"
    assert flow_init_main(["--flow-dir-name", "experiments", "--no-install"]) == 0


def test_legacy_flow_init_never_prompts(tmp_path: Path) -> None:
    """`flow_init` in a folder whose flows/ exists finishes without reading stdin."""
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/keep.py").write_text("x = 1\n")
    done = run_python(
        "-c",
        "from flows_workspace.cli import flow_init_main\n"
        "raise SystemExit(flow_init_main(['--no-install']))",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "flows/keep.py").read_text() == "x = 1\n"
    assert (tmp_path / "flows/__init__.py").is_file()


def test_init_sweeps_staging_of_a_killed_init(tmp_path: Path, flow: Flow) -> None:
    """A staging folder left by a killed `flow init` (dead pid) is removed by the next run."""
    root = tmp_path / "research"
    root.mkdir()
    dead = run_python("-c", "import os; print(os.getpid())", check=True).stdout.strip()
    (root / f".flow-init.{dead}/flows").mkdir(parents=True)
    assert flow("init", str(root), "--no-install") == 0
    assert not list(root.glob(".flow-init.*"))


def test_settings_round_trip_any_unicode_folder_name(tmp_path: Path) -> None:
    """flows.toml is real TOML: a non-ASCII (astral) data folder name is written and read back."""
    from flows_workspace.workspace.settings import WorkspaceSettings

    settings = WorkspaceSettings(logs_dir="r\u00e9sultats-\U0001d518", data_dir="donn\u00e9es")
    marker = tmp_path / "flows.toml"
    settings.write(marker)
    assert "\\ud835" not in marker.read_text(encoding="utf-8")
    assert WorkspaceSettings.read(marker) == settings
