"""`flow create`: names, templates, variables, forks, records, atomicity."""

from __future__ import annotations

import shutil
import signal
import sys
import time
from typing import TYPE_CHECKING

import pytest
from flows_workspace.updates.merge_base import BASE_FOLDER
from flows_workspace.workspace.create import STAGING_PREFIX
from flows_workspace.workspace.experiments import RECORD_NAME, ExperimentRecord, list_experiments
from subprocesses import start

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from conftest import Flow, Tree

BAD_NAMES = [
    ("", "is empty"),
    (".", "is a relative directory"),
    ("..", "is a relative directory"),
    ("a/b", "path separator"),
    ("a\\b", "path separator"),
    ("/tmp/abs", "absolute path"),
    ("1x", "not a Python identifier"),
    ("my-exp", "not a Python identifier"),
    ("class", "keyword"),
    ("__init__", "reserved"),
    ("\ufb01x", "NFKC"),
    ("a" * 300, "longer than 100 characters"),
]


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES)
def test_bad_name_is_one_line_exit_2_nothing_written(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    reason: str,
    flow: Flow,
    tree: Tree,
) -> None:
    """A bad experiment name exits 2 with one line naming it, and writes nothing."""
    before = tree(workspace.parent)
    assert flow("create", name) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("flow: error: experiment name `")
    assert reason in err
    assert tree(workspace.parent) == before


def test_existing_experiment_is_refused_untouched(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """Creating over an existing experiment exits 2 and leaves it byte for byte."""
    (workspace / "flows/exp1").mkdir()
    (workspace / "flows/exp1/notes.txt").write_text("mine")
    before = tree(workspace)
    assert flow("create", "exp1") == 2
    assert "`exp1` already exists" in capsys.readouterr().err
    assert tree(workspace) == before


def test_a_name_differing_only_in_case_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """`Exp1` beside `exp1` (one folder on macOS and Windows): one line, exit 2, nothing made."""
    assert flow("create", "exp1") == 0
    capsys.readouterr()
    before = tree(workspace)
    for argv in (["create", "Exp1"], ["create", "EXP1", "--from", "exp1"]):
        assert flow(*argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"`{argv[1]}` differs from experiment `exp1` only in case" in err
    assert tree(workspace) == before
    assert flow("mv", "exp1", "Exp1") == 0  # the experiment itself may change its case


def test_fork_into_itself_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """`flow create X --from X` exits 2 and writes nothing."""
    (workspace / "flows/exp1").mkdir()
    before = tree(workspace)
    assert flow("create", "exp1", "--from", "exp1") == 2
    assert "into itself" in capsys.readouterr().err
    assert tree(workspace) == before


def test_fork_of_missing_experiment_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """Forking an experiment that does not exist exits 2 and writes nothing."""
    before = tree(workspace)
    assert flow("create", "exp2", "--from", "nope") == 2
    assert "no experiment `nope`" in capsys.readouterr().err
    assert tree(workspace) == before


def test_fork_of_missing_experiment_from_logs_names_it_and_lists_existing(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flow: Flow
) -> None:
    """`--from nope` inside logs/ says no experiment `nope` exists and lists the existing ones."""
    (workspace / "flows/exp1").mkdir()
    monkeypatch.chdir(workspace / "logs")
    assert flow("create", "exp2", "--from", "nope") == 2
    err = capsys.readouterr().err
    assert "no experiment `nope`" in err
    assert "existing: `exp1`" in err
    assert "logs/nope" not in err


def test_fork_copies_state_skips_caches_and_records_parent(
    workspace: Path, flow: Flow, tree: Tree
) -> None:
    """A fork copies files and folders, skips caches, and records its parent."""
    parent = workspace / "flows/exp1"
    (parent / "viz/.ipynb_checkpoints").mkdir(parents=True)
    (parent / "__pycache__").mkdir()
    (parent / "run.py").write_text("print('hi')\n")
    (parent / "viz/plot.py").write_bytes(b"\x00binary")
    (parent / "viz/.ipynb_checkpoints/x.ipynb").write_text("{}")
    (parent / "__pycache__/run.cpython-311.pyc").write_bytes(b"pyc")
    (parent / "stale.pyc").write_bytes(b"pyc")
    assert flow("create", "exp2", "--from", "exp1") == 0
    child = workspace / "flows/exp2"
    copied = {
        k: v for k, v in tree(child).items() if k != RECORD_NAME and k.split("/")[0] != BASE_FOLDER
    }
    assert copied == {"run.py": b"print('hi')\n", "viz": None, "viz/plot.py": b"\x00binary"}
    assert tree(child / BASE_FOLDER) == copied  # the merge base: the fork as created
    record = ExperimentRecord.read(child)
    assert record is not None
    assert record.parent == "exp1"
    assert record.name == "exp2"


def test_fork_by_name_from_the_logs_folder_copies_the_experiment(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, flow: Flow
) -> None:
    """`--from exp1` run inside logs/ forks flows/exp1, not the results folder logs/exp1."""
    (workspace / "flows/exp1").mkdir()
    (workspace / "flows/exp1/run.py").write_text("code\n")
    (workspace / "logs/exp1/run-1").mkdir(parents=True)
    monkeypatch.chdir(workspace / "logs")
    assert flow("create", "exp2", "--from", "exp1") == 0
    assert (workspace / "flows/exp2/run.py").read_text() == "code\n"
    assert not (workspace / "flows/exp2/run-1").exists()


def test_create_outside_workspace_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], flow: Flow
) -> None:
    """`flow create` outside a workspace says to run `flow init`, exit 1."""
    monkeypatch.chdir(tmp_path)
    assert flow("create", "exp1") == 1
    err = capsys.readouterr().err
    assert "flow init" in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_create_from_default_template_records_origin(workspace: Path, flow: Flow) -> None:
    """`flow create` renders the default template and records template, source, version."""
    assert flow("create", "exp1") == 0
    exp = workspace / "flows/exp1"
    assert (exp / "run.py").is_file()
    assert not list(exp.rglob("*.jinja"))
    record = ExperimentRecord.read(exp)
    assert record is not None
    assert record.template is not None
    assert record.template.name == "default"
    assert record.variables["experiment_name"] == "exp1"
    assert [e.name for e in list_experiments(workspace / "flows")] == ["exp1"]


def test_create_works_from_a_subfolder(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, flow: Flow
) -> None:
    """`flow create` run deep inside the workspace still creates under flows/."""
    deep = workspace / "data/raw"
    deep.mkdir()
    monkeypatch.chdir(deep)
    assert flow("create", "exp1") == 0
    assert (workspace / "flows/exp1/run.py").is_file()
    assert not (deep / "exp1").exists()


def test_unknown_var_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """`--var` naming a variable the template does not declare exits 2, writing nothing."""
    before = tree(workspace)
    assert flow("create", "exp1", "--var", "no_such_variable=1") == 2
    err = capsys.readouterr().err
    assert "no variable `no_such_variable`" in err
    assert tree(workspace) == before


def test_malformed_var_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """`--var` without `=` exits 2, writing nothing."""
    before = tree(workspace)
    assert flow("create", "exp1", "--var", "oops") == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert tree(workspace) == before


def test_var_override_is_recorded(workspace: Path, flow: Flow) -> None:
    """An overridden built-in variable is used and recorded."""
    assert flow("create", "exp1", "--var", "author=Ada Lovelace") == 0
    record = ExperimentRecord.read(workspace / "flows/exp1")
    assert record is not None
    assert record.variables["author"] == "Ada Lovelace"


def test_unknown_template_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """An unknown `--template` exits 2 with one line, writing nothing."""
    before = tree(workspace)
    assert flow("create", "exp1", "--template", "no_such_template") == 2
    err = capsys.readouterr().err
    assert "no_such_template" in err
    assert err.count("\n") == 1
    assert tree(workspace) == before


def test_empty_template_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """`--template ""` is an unknown template, not a silent fallback to the default."""
    before = tree(workspace)
    assert flow("create", "exp1", "--template", "") == 2
    assert "no template ``" in capsys.readouterr().err
    assert tree(workspace) == before


def _local_template(workspace: Path, name: str, run_py: str) -> None:
    folder = workspace / "templates" / name
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text('description = "test"\n', encoding="utf-8")
    (folder / "run.py.jinja").write_text(run_py, encoding="utf-8")


def test_failure_while_building_leaves_nothing(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow, tree: Tree
) -> None:
    """An error inside the staging folder removes it: no experiment, no litter."""
    _local_template(workspace, "bad", "{{ not_defined }}\n")
    before = tree(workspace)
    assert flow("create", "exp1", "--template", "bad") == 2
    assert "undefined variable `not_defined`" in capsys.readouterr().err
    assert tree(workspace) == before


def _slow_template(workspace: Path) -> None:
    """A workspace template `slow` that takes minutes to render."""
    _local_template(workspace, "slow", "{% for i in range(10**10) %}{% endfor %}\n")


def _start_slow_create(workspace: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    """Start a real `flow create exp1` from the `slow` template (`_slow_template`).

    Returns once its staging folder exists: the process is then mid-way.
    """
    with (tmp_path / "stderr").open("wb") as stderr:
        process = start(
            [sys.executable, "-m", "flows_workspace", "create", "exp1", "--template", "slow"],
            cwd=workspace,
            stderr=stderr,
        )
    deadline = time.monotonic() + 60
    while not list((workspace / "flows").glob(f"{STAGING_PREFIX}*")):
        assert process.poll() is None, (tmp_path / "stderr").read_text()
        assert time.monotonic() < deadline, "flow create never started building"
        time.sleep(0.05)
    return process


def test_killed_create_leaves_no_experiment(workspace: Path, tmp_path: Path, flow: Flow) -> None:
    """A `flow create` killed mid-way leaves no experiment; the next one sweeps its staging."""
    _slow_template(workspace)
    process = _start_slow_create(workspace, tmp_path)
    assert list((workspace / "flows").glob(f"{STAGING_PREFIX}*"))
    process.kill()
    process.wait()
    assert not (workspace / "flows/exp1").exists()
    assert list_experiments(workspace / "flows") == []
    assert flow("create", "exp1") == 0
    assert not list((workspace / "flows").glob(f"{STAGING_PREFIX}*"))


def test_interrupted_create_cleans_up(workspace: Path, tmp_path: Path, tree: Tree) -> None:
    """Ctrl-C during `flow create` exits 130 and leaves nothing behind."""
    _slow_template(workspace)
    before = tree(workspace)
    process = _start_slow_create(workspace, tmp_path)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    assert (tmp_path / "stderr").read_text().strip() == "flow: interrupted"
    assert tree(workspace) == before


def test_terminated_create_cleans_up(workspace: Path, tmp_path: Path, tree: Tree) -> None:
    """SIGTERM during `flow create` exits 143 and leaves nothing behind, not even staging."""
    _slow_template(workspace)
    before = tree(workspace)
    process = _start_slow_create(workspace, tmp_path)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 143
    assert (tmp_path / "stderr").read_text().strip() == "flow: terminated"
    assert tree(workspace) == before


def test_legacy_flow_create_name_uses_default_template(workspace: Path) -> None:
    """The original `flow_create --name X` creates flows/X from the default template."""
    from flows_workspace.cli import flow_create_main

    assert flow_create_main(["--name", "exp1"]) == 0
    assert (workspace / "flows/exp1/run.py").is_file()


def test_legacy_flow_create_says_what_flow_create_says(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow
) -> None:
    """`flow_create --name X` prints the same line as `flow create X`."""
    from flows_workspace.cli import flow_create_main

    assert flow_create_main(["--name", "exp1"]) == 0
    assert flow("create", "exp2") == 0
    legacy, plain = capsys.readouterr().out.splitlines()
    assert legacy == f"created experiment `exp1` at {workspace / 'flows/exp1'}"
    assert plain == f"created experiment `exp2` at {workspace / 'flows/exp2'}"


def test_legacy_copy_to_missing_folder_says_to_create_it(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--copy-to-dir` with a missing folder says to create it, not to run `flow init`."""
    from flows_workspace.cli import flow_create_main

    missing = tmp_path / "missing"
    assert flow_create_main(["--name", "exp1", "--copy-to-dir", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"folder `{missing}` does not exist; create it first" in err
    assert "flow init" not in err
    assert not missing.exists()


def test_create_in_a_workspace_missing_its_flows_folder_says_to_repair(
    workspace: Path, capsys: pytest.CaptureFixture[str], flow: Flow
) -> None:
    """With the flows folder deleted, `flow create` points at `flow init` to repair it."""
    shutil.rmtree(workspace / "flows")
    assert flow("create", "exp1") == 2
    assert "run `flow init`" in capsys.readouterr().err


def test_legacy_flow_create_copy_from_and_copy_to_dir(workspace: Path, tmp_path: Path) -> None:
    """`flow_create --copy-from DIR --copy-to-dir DIR` copies an experiment's state there."""
    from flows_workspace.cli import flow_create_main

    source = workspace / "flows/exp1"
    (source / "__pycache__").mkdir(parents=True)
    (source / "run.py").write_text("x = 1\n")
    (source / "__pycache__/run.cpython-311.pyc").write_bytes(b"pyc")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = flow_create_main(
        ["--name", "exp2", "--copy-from", str(source), "--copy-to-dir", str(elsewhere)]
    )
    assert code == 0
    assert (elsewhere / "exp2/run.py").read_text() == "x = 1\n"
    assert not (elsewhere / "exp2/__pycache__").exists()
    record = ExperimentRecord.read(elsewhere / "exp2")
    assert record is not None
    assert record.parent == str(source.resolve())  # not a name: no `exp1` beside the copy


def test_legacy_flow_create_outside_a_workspace_creates_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any workspace, `flow_create --name X` creates ./X from the `default` template."""
    from flows_workspace.cli import flow_create_main

    monkeypatch.chdir(tmp_path)
    assert flow_create_main(["--name", "exp1"]) == 0
    record = ExperimentRecord.read(tmp_path / "exp1")
    assert record is not None
    assert record.template is not None
    assert record.template.name == "default"
    assert (tmp_path / "exp1/run.py").is_file()


def test_author_comes_from_git_config(
    workspace: Path, flow: Flow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `author` variable is `user.name` from the user's git config."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text('[core]\n\tname = no\n[user]\n\tname = "Ada Lovelace"\n')
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    assert flow("create", "exp1") == 0
    record = ExperimentRecord.read(workspace / "flows/exp1")
    assert record is not None
    assert record.variables["author"] == "Ada Lovelace"


def test_missing_git_means_empty_author(
    workspace: Path, flow: Flow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without git or any git config, `flow create` works and the author is empty."""
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nohome"))
    monkeypatch.setenv("PATH", str(tmp_path / "nobin"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    assert flow("create", "exp1") == 0
    record = ExperimentRecord.read(workspace / "flows/exp1")
    assert record is not None
    assert record.variables["author"] == ""
