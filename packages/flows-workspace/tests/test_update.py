"""`flow update`: template and parent changes merged into experiments, edits kept.

End to end: version 1 and version 2 of a small templates distribution are built here
(hatchling wheels announcing a `flows.templates` entry point) and installed one after
the other into a real virtual environment; every `flow` runs as a real process.
"""

from __future__ import annotations

import dataclasses
import shutil
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from conftest import ScratchEnv, tree
from flows_workspace.updates.merge_base import BASE_FOLDER, read_files
from flows_workspace.workspace.experiments import ExperimentRecord
from subprocesses import run, run_flow

if TYPE_CHECKING:
    from pathlib import Path

PYPROJECT = """\
    [build-system]
    requires = ["hatchling"]
    build-backend = "hatchling.build"

    [project]
    name = "lab-update-templates"
    version = "{version}"
    requires-python = ">=3.10"

    [project.entry-points."flows.templates"]
    labexp = "lab_update_templates:labexp"

    [tool.hatch.build.targets.wheel]
    packages = ["src/lab_update_templates"]
    """
RUN_PY = '''\
    """{{{{ experiment_name }}}}: a lab experiment."""

    STEPS = {steps}


    def main() -> None:
        """Say hello."""
        print({{{{ greeting | py }}}})


    if __name__ == "__main__":
        main()
    '''
VERSION_1 = {
    "pyproject.toml": PYPROJECT.format(version="1.0.0"),
    "src/lab_update_templates/__init__.py": """\
        from importlib.resources import files


        def labexp():
            return files("lab_update_templates") / "labexp"
        """,
    "src/lab_update_templates/labexp/template.toml": """\
        description = "The lab's experiment"

        [variables.greeting]
        default = "hello"
        description = "What run.py prints"
        """,
    "src/lab_update_templates/labexp/run.py.jinja": RUN_PY.format(steps=10),
    "src/lab_update_templates/labexp/README.md.jinja": "# {{ experiment_name }}\n\nVersion 1.\n",
}
VERSION_2 = {
    **VERSION_1,
    "pyproject.toml": PYPROJECT.format(version="2.0.0"),
    "src/lab_update_templates/labexp/run.py.jinja": RUN_PY.format(steps=20),
    "src/lab_update_templates/labexp/README.md.jinja": "# {{ experiment_name }}\n\nVersion 2.\n",
    "src/lab_update_templates/labexp/metrics.py.jinja": '"""Metrics of {{ experiment_name }}."""\n',
}


def _build(files: dict[str, str], project: Path, out: Path) -> Path:
    """A wheel of the project made of `files`."""
    for relative, text in files.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(textwrap.dedent(text), encoding="utf-8")
    out.mkdir()
    uv = shutil.which("uv")
    assert uv is not None
    run([uv, "build", "--wheel", "--quiet", "--out-dir", out, project], check=True)
    (wheel,) = out.glob("*.whl")
    return wheel


@dataclass(frozen=True)
class Upgraded:
    """A workspace whose experiments were made from version 1, with version 2 now installed."""

    env: ScratchEnv
    root: Path

    def flow(self, *argv: str) -> tuple[int, str, str]:
        done = self.env.flow(*argv, cwd=self.root)
        return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Upgraded:
    """Experiments `clean`, `conflict`, `dry` made from v1 and edited; then v2 installed."""
    work = tmp_path_factory.mktemp("update")
    v1 = _build(VERSION_1, work / "v1", work / "v1-dist")
    v2 = _build(VERSION_2, work / "v2", work / "v2-dist")
    env = ScratchEnv(work / "env")
    install: list[str | Path] = ["uv", "pip", "install", "--quiet", "-p", env.python]
    run([*install, v1], check=True)
    root = work / "research"
    assert env.flow("init", root, "--no-install", cwd=work).returncode == 0
    for name in ("clean", "conflict", "dry"):
        made = env.flow("create", name, "--template", "labexp", "--var", "greeting=hi", cwd=root)
        assert made.returncode == 0, made.stderr
    clean = root / "flows/clean"
    _edit(clean / "run.py", "    print('hi')\n", "    print('hi')\n    print('my edit')\n")
    (clean / "README.md").unlink()
    _edit(root / "flows/conflict/run.py", "STEPS = 10", "STEPS = 15")
    _edit(root / "flows/dry/run.py", "    print('hi')\n", "    print('hi')\n    print('mine')\n")
    run([*install, v2], check=True)
    return Upgraded(env, root)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.slow
def test_update_merges_a_new_template_version_and_keeps_the_edit(upgraded: Upgraded) -> None:
    """v1 -> v2: the change and new file arrive; the edit stays, a deleted file stays deleted."""
    code, out, err = upgraded.flow("update", "clean")
    assert code == 0, err
    exp = upgraded.root / "flows/clean"
    run_py = (exp / "run.py").read_text(encoding="utf-8")
    assert "STEPS = 20" in run_py
    assert "print('my edit')" in run_py
    assert (exp / "metrics.py").read_text(encoding="utf-8") == '"""Metrics of clean."""\n'
    assert not (exp / "README.md").exists()
    assert "deleted here, left deleted" in out
    record = ExperimentRecord.read(exp)
    assert record is not None
    assert record.template is not None
    assert record.template.version == "2.0.0"
    assert read_files(exp / BASE_FOLDER)["run.py"].decode().count("STEPS = 20") == 1
    done = run([upgraded.env.python, exp / "run.py"], cwd=upgraded.root)
    assert done.stdout == "hi\nmy edit\n"
    again = upgraded.flow("update", "clean")
    assert again[0] == 0
    assert "up to date" in again[1]


@pytest.mark.slow
def test_conflicting_edit_gets_markers_and_fails_naming_the_file(upgraded: Upgraded) -> None:
    """An edit of the line v2 changed: conflict markers in the file, exit 1 naming it."""
    code, out, err = upgraded.flow("update", "conflict")
    assert code == 1
    assert "`conflict/run.py`" in err
    assert len(err.strip().splitlines()) == 1
    assert "CONFLICT run.py" in " ".join(out.split())
    run_py = (upgraded.root / "flows/conflict/run.py").read_text(encoding="utf-8")
    assert "<<<<<<< conflict (yours)\nSTEPS = 15\n" in run_py
    assert "STEPS = 20\n>>>>>>> template labexp (lab-update-templates 2.0.0)" in run_py
    assert (upgraded.root / "flows/conflict/metrics.py").is_file()


@pytest.mark.slow
def test_dry_run_prints_the_diff_and_changes_nothing(upgraded: Upgraded) -> None:
    """`--dry-run` prints the merge as a diff; the experiment, its base and record stay."""
    exp = upgraded.root / "flows/dry"
    before = tree(exp)
    code, out, err = upgraded.flow("update", "dry", "--dry-run")
    assert code == 0, err
    assert tree(exp) == before
    lines = out.splitlines()
    assert "-STEPS = 10" in lines
    assert "+STEPS = 20" in lines
    assert "+++ b/dry/metrics.py" in lines
    assert not any(line.startswith("-") and "mine" in line for line in lines)


def _fork_pair(workspace: Path) -> tuple[Path, Path]:
    """`exp1` from the minimal template and its fork `exp2`."""
    assert run_flow("create", "exp1", "--template", "minimal", cwd=workspace).returncode == 0
    assert run_flow("create", "exp2", "--from", "exp1", cwd=workspace).returncode == 0
    return workspace / "flows/exp1", workspace / "flows/exp2"


@pytest.mark.slow
def test_fork_update_merges_parent_changes_and_keeps_its_name(workspace: Path) -> None:
    """The parent's later change and new file reach the fork; its edit and name stay."""
    parent, child = _fork_pair(workspace)
    _edit(parent / "run.py", "repeat: int = 1", "repeat: int = 3")
    (parent / "helpers.py").write_text('"""Helpers of exp1."""\n', encoding="utf-8")
    _edit(
        child / "run.py",
        "        print(config.message)\n",
        "        print(config.message)\n        print('fork edit')\n",
    )
    done = run_flow("update", "exp2", "exp2", cwd=workspace)  # named twice: merged once
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("exp2: updated from parent exp1") == 1
    run_py = (child / "run.py").read_text(encoding="utf-8")
    assert run_py.count("print('fork edit')") == 1
    assert "repeat: int = 3" in run_py
    assert "print('fork edit')" in run_py
    assert "exp1" not in run_py
    assert (child / "helpers.py").read_text(encoding="utf-8") == '"""Helpers of exp2."""\n'


@pytest.mark.slow
def test_fork_conflict_and_dry_run(workspace: Path) -> None:
    """A fork's edit of the line its parent changed conflicts; `--dry-run` first changes nothing."""
    parent, child = _fork_pair(workspace)
    _edit(parent / "run.py", "repeat: int = 1", "repeat: int = 3")
    _edit(child / "run.py", "repeat: int = 1", "repeat: int = 2")
    before = tree(child)
    dry = run_flow("update", "exp2", "--dry-run", cwd=workspace)
    assert dry.returncode == 0, dry.stderr
    assert "would be CONFLICT run.py" in " ".join(dry.stdout.split())
    assert tree(child) == before
    done = run_flow("update", "exp2", cwd=workspace)
    assert done.returncode == 1
    assert "`exp2/run.py`" in done.stderr
    text = (child / "run.py").read_text(encoding="utf-8")
    ours, theirs = "    repeat: int = 2\n", "    repeat: int = 3\n"
    assert f"<<<<<<< exp2 (yours)\n{ours}=======\n{theirs}>>>>>>> parent exp1" in text


@pytest.mark.slow
def test_unresolved_conflicts_keep_failing_until_resolved(workspace: Path) -> None:
    """After a conflicting update, every later one names the files and exits 1 until fixed."""
    parent, child = _fork_pair(workspace)
    _edit(parent / "run.py", "repeat: int = 1", "repeat: int = 3")
    _edit(child / "run.py", "repeat: int = 1", "repeat: int = 2")
    assert run_flow("update", "exp2", cwd=workspace).returncode == 1
    marked = tree(child)
    for argv in (("exp2",), ("exp2", "--dry-run"), ("--all",), ("--all", "--dry-run")):
        again = run_flow("update", *argv, cwd=workspace)
        assert again.returncode == 1, argv
        assert len(again.stderr.splitlines()) == 1, again.stderr
        assert "unresolved conflicts" in again.stderr
        assert "`exp2/run.py`" in again.stderr
        assert "exp2: up to date" not in again.stdout
        assert tree(child) == marked  # nothing merged over the markers
    diff = run_flow("diff", "exp2", "--parent", cwd=workspace)
    assert diff.returncode == 0
    assert diff.stderr == (
        "flow: note: unresolved conflicts of an earlier `flow update` in `exp2/run.py`\n"
    )
    text = (child / "run.py").read_text(encoding="utf-8")
    start, end = text.index("<<<<<<< "), text.index(">>>>>>> ")
    resolved = text[:start] + "    repeat: int = 3\n" + text[text.index("\n", end) + 1 :]
    (child / "run.py").write_text(resolved, encoding="utf-8")
    done = run_flow("update", "exp2", cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert "exp2: up to date with parent exp1" in done.stdout


def test_update_needs_names_or_all(workspace: Path) -> None:
    """`flow update` with neither names nor --all is one line and exit 2, not "not both"."""
    done = run_flow("update", cwd=workspace)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert "--all" in done.stderr
    assert "not both" not in done.stderr
    assert run_flow("create", "exp1", "--template", "minimal", cwd=workspace).returncode == 0
    both = run_flow("update", "exp1", "--all", cwd=workspace)
    assert both.returncode == 2
    assert "not both" in both.stderr


def _forget_base(experiment: Path, **changes: str) -> None:
    """Make `experiment` look made before `.flow-base/` existed (no base, no hash)."""
    shutil.rmtree(experiment / BASE_FOLDER)
    record = ExperimentRecord.read(experiment)
    assert record is not None
    template = record.template
    assert template is not None
    template = dataclasses.replace(template, **changes)
    dataclasses.replace(record, base_hash=None, template=template).write(experiment)


def test_experiment_without_base_gets_it_rendered_again(workspace: Path) -> None:
    """Made before the base was kept: the same template version recreates it, edits stay."""
    assert run_flow("create", "exp1", "--template", "minimal", cwd=workspace).returncode == 0
    exp = workspace / "flows/exp1"
    created = read_files(exp)
    _forget_base(exp)
    _edit(exp / "run.py", "repeat: int = 1", "repeat: int = 5")
    done = run_flow("update", "exp1", cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert "(merge base recorded)" in done.stdout
    assert read_files(exp / BASE_FOLDER) == created
    assert "repeat: int = 5" in (exp / "run.py").read_text(encoding="utf-8")
    record = ExperimentRecord.read(exp)
    assert record is not None
    assert record.base_hash is not None


def test_experiment_without_base_from_another_version_is_refused(workspace: Path) -> None:
    """No base and another template version installed: named one line; `--all` skips it."""
    assert run_flow("create", "exp1", "--template", "minimal", cwd=workspace).returncode == 0
    exp = workspace / "flows/exp1"
    _forget_base(exp, version="0.0.1")
    before = tree(exp)
    done = run_flow("update", "exp1", cwd=workspace)
    assert done.returncode == 1
    assert "has no merge base" in done.stderr
    assert "install that version" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    everything = run_flow("update", "--all", cwd=workspace)
    assert everything.returncode == 0, everything.stderr
    assert "flow: note: skipped `exp1`" in everything.stderr
    assert tree(exp) == before


def test_new_upstream_file_never_replaces_a_symlink(workspace: Path) -> None:
    """A parent's new file where the fork has a symbolic link goes beside the link."""
    parent, child = _fork_pair(workspace)
    (child / "data.txt").symlink_to(workspace / "flows.toml")
    (parent / "data.txt").write_text("new\n", encoding="utf-8")
    done = run_flow("update", "exp2", cwd=workspace)
    assert done.returncode == 1
    assert "`exp2/data.txt`" in done.stderr
    assert (child / "data.txt").is_symlink()
    assert (child / "data.txt.flow-theirs").read_text(encoding="utf-8") == "new\n"
