"""Swapping templates: another distribution replaces flow-templates, flows-workspace unchanged.

A lab builds its own templates distribution (hatchling, entry points in
`flows.templates`); in a real environment holding the three flows wheels, uninstalling
flow-templates and installing the lab's makes `flow init` and `flow create` use the lab's
templates, with no change to flows-workspace.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest
from flows_workspace.workspace.experiments import RECORD_NAME
from subprocesses import run

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

LAB_FILES = {
    "pyproject.toml": """\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "lab-templates"
        version = "2.0.0"
        requires-python = ">=3.10"

        [project.entry-points."flows.templates"]
        workspace = "lab_templates:workspace"
        default = "lab_templates:default"

        [tool.hatch.build.targets.wheel]
        packages = ["src/lab_templates"]
        """,
    "src/lab_templates/__init__.py": """\
        from importlib.resources import files


        def workspace():
            return files("lab_templates") / "templates" / "workspace"


        def default():
            return files("lab_templates") / "templates" / "default"
        """,
    "src/lab_templates/templates/workspace/template.toml": """\
        description = "The lab's workspace"
        kind = "workspace"
        """,
    "src/lab_templates/templates/workspace/flows/__init__.py.jinja": """\
        from pathlib import Path

        LAB = "{{ workspace_name }}"
        FLOWS_ROOT = Path(__file__).resolve().parent
        PROJ_ROOT = FLOWS_ROOT.parent
        LOGS_ROOT = PROJ_ROOT / "{{ logs_dir }}"
        """,
    "src/lab_templates/templates/default/template.toml": """\
        description = "The lab's own experiment"

        [variables.group]
        default = "vision"
        description = "Research group"
        """,
    "src/lab_templates/templates/default/run.py.jinja": """\
        print("lab run {{ experiment_name }} for {{ group }}")
        """,
    "src/lab_templates/templates/default/__init__.py": "",
}


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


def _run(*argv: str | Path, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = run(argv, cwd=cwd, timeout=600)
    if ok:
        assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(project: Path, out: Path) -> None:
    _run("uv", "build", "--wheel", "--quiet", "--out-dir", out, project, cwd=out)


def _installed_files_digest(python: Path, distribution: str, cwd: Path) -> str:
    """A digest of every file `distribution` installed (from its RECORD), bytes included."""
    code = textwrap.dedent(
        f"""\
        import hashlib, importlib.metadata as m
        d = m.distribution({distribution!r})
        h = hashlib.sha256()
        for f in sorted(d.files, key=str):
            if f.suffix != ".pyc":
                h.update(str(f).encode()); h.update(f.locate().read_bytes())
        print(h.hexdigest())
        """
    )
    return _run(python, "-c", code, cwd=cwd).stdout.strip()


@pytest.mark.slow
def test_lab_templates_replace_flow_templates(tmp_path: Path, wheels: list[Path]) -> None:
    """After uninstalling flow-templates and installing lab-templates, flow uses the lab's."""
    lab = tmp_path / "lab-templates"
    for relative, text in LAB_FILES.items():
        (lab / relative).parent.mkdir(parents=True, exist_ok=True)
        (lab / relative).write_text(textwrap.dedent(text), encoding="utf-8")
    lab_wheels = tmp_path / "lab-wheels"
    lab_wheels.mkdir()
    _build_wheel(lab, lab_wheels)

    env = tmp_path / "env"
    _run("uv", "venv", "--quiet", "-p", sys.executable, env, cwd=tmp_path)
    python = _bin(env, "python")
    install = ("uv", "pip", "install", "--quiet", "-p", python)
    _run(*install, *wheels, cwd=tmp_path)
    flow = _bin(env, "flow")
    before = _run(flow, "templates", cwd=tmp_path).stdout
    assert "flow-templates" in before
    workspace_digest = _installed_files_digest(python, "flows-workspace", tmp_path)

    _run("uv", "pip", "uninstall", "--quiet", "-p", python, "flow-templates", cwd=tmp_path)
    _run(*install, *lab_wheels.glob("*.whl"), cwd=tmp_path)
    assert _installed_files_digest(python, "flows-workspace", tmp_path) == workspace_digest

    root = tmp_path / "research"
    root.mkdir()
    _run(flow, "init", "--no-install", cwd=root)
    paths = (root / "flows/__init__.py").read_text(encoding="utf-8")
    assert 'LAB = "research"' in paths
    listing = _run(flow, "templates", cwd=root).stdout.split("\n\n")[0]  # the table
    assert "flow-templates" not in listing
    default = next(line for line in listing.splitlines() if line.startswith("default "))
    assert "lab-templates" in default
    assert "2.0.0" in default
    assert "The lab's own experiment" in default

    _run(flow, "create", "exp1", "--var", "group=nlp", cwd=root)
    exp = root / "flows/exp1"
    assert sorted(p.name for p in exp.iterdir() if not p.name.startswith(".")) == [
        "__init__.py",
        "run.py",
    ]
    record = (exp / RECORD_NAME).read_text(encoding="utf-8")
    assert "lab-templates" in record
    assert "2.0.0" in record
    assert _run(python, exp / "run.py", cwd=root).stdout == "lab run exp1 for nlp\n"

    refused = _run(flow, "create", "exp2", "--template", "minimal", cwd=root, ok=False)
    assert refused.returncode == 2
    assert "`default`" in refused.stderr
    assert "`minimal`" in refused.stderr  # named as the missing template
    assert not (root / "flows/exp2").exists()


@pytest.mark.slow
def test_scaffolded_distribution_installs_lists_renders_and_outlives_flow_templates(
    tmp_path: Path, wheels: list[Path]
) -> None:
    """`flow templates new` output installs with uv and pip and works without flow-templates."""
    uv_env = tmp_path / "uv-env"
    _run("uv", "venv", "--quiet", "-p", sys.executable, uv_env, cwd=tmp_path)
    uv_python = _bin(uv_env, "python")
    _run("uv", "pip", "install", "--quiet", "-p", uv_python, *wheels, "pytest", cwd=tmp_path)
    flow = _bin(uv_env, "flow")
    made = _run(
        flow,
        "templates",
        "new",
        "lab-templates",
        "--from",
        "minimal",
        "--name",
        "labexp",
        cwd=tmp_path,
    )
    assert "pip install ./lab-templates" in made.stdout
    lab = tmp_path / "lab-templates"
    _run("uv", "pip", "install", "--quiet", "-p", uv_python, lab, cwd=tmp_path)
    listing = _run(flow, "templates", cwd=tmp_path).stdout
    labexp = next(line for line in listing.splitlines() if line.startswith("labexp "))
    assert labexp.split()[1:3] == ["lab-templates", "0.1.0"]
    root = tmp_path / "research"
    _run(flow, "init", root, "--no-install", cwd=tmp_path)
    _run(flow, "create", "exp1", "--template", "labexp", cwd=root)
    assert _run(uv_python, root / "flows/exp1/run.py", cwd=root).stdout == "hello from exp1\n"
    _run(uv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", lab / "tests", cwd=lab)

    pip_env = tmp_path / "pip-env"
    _run("uv", "venv", "--quiet", "--seed", "-p", sys.executable, pip_env, cwd=tmp_path)
    pip_python = _bin(pip_env, "python")
    _run(pip_python, "-m", "pip", "install", "--quiet", *wheels, lab, cwd=tmp_path)
    _run(pip_python, "-m", "pip", "uninstall", "--yes", "--quiet", "flow-templates", cwd=tmp_path)
    pip_flow = _bin(pip_env, "flow")
    listing = _run(pip_flow, "templates", cwd=tmp_path).stdout.split("\n\n")[0]  # the table
    assert "flow-templates" not in listing
    assert "labexp" in listing
    other = tmp_path / "other"
    _run(pip_flow, "init", other, "--no-install", cwd=tmp_path)
    _run(pip_flow, "create", "exp2", "--template", "labexp", cwd=other)
    assert _run(pip_python, other / "flows/exp2/run.py", cwd=other).stdout == "hello from exp2\n"


@pytest.mark.slow
def test_lab_templates_beside_flow_templates_win_and_experiments_keep_their_source(
    tmp_path: Path, wheels: list[Path]
) -> None:
    """The README walkthrough: the lab's `default` wins; each experiment updates from its own."""
    env = tmp_path / "env"
    _run("uv", "venv", "--quiet", "-p", sys.executable, env, cwd=tmp_path)
    python, flow = _bin(env, "python"), _bin(env, "flow")
    install = ("uv", "pip", "install", "--quiet", "-p", python)
    _run(*install, *wheels, cwd=tmp_path)
    root = tmp_path / "research"
    _run(flow, "init", root, "--no-install", cwd=tmp_path)
    _run(flow, "create", "old", cwd=root)  # made from flow-templates' default

    _run(flow, "templates", "new", "lab-templates", "--from", "default", cwd=tmp_path)
    lab = tmp_path / "lab-templates"
    readme = lab / "src/lab_templates/templates/default/README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur lab's way.\n", "utf-8")
    _run(*install, lab, cwd=tmp_path)
    listing = _run(flow, "templates", cwd=root).stdout.splitlines()
    lab_row, stock_row = (line for line in listing if line.startswith("default "))
    assert lab_row.split()[1:4] == ["lab-templates", "0.1.0", "-"]
    assert "flow-templates" in stock_row
    assert "shadowed by lab-templates" in stock_row
    assert "(the fallback)" in listing[-1]

    created = _run(flow, "create", "exp1", "--template", "default", cwd=root)
    assert created.stderr == ""  # flow-templates losing is the rule, not worth a note
    assert "lab-templates" in (root / "flows/exp1" / RECORD_NAME).read_text(encoding="utf-8")
    assert "Our lab's way." in (root / "flows/exp1/README.md").read_text(encoding="utf-8")
    dry = _run(flow, "update", "--all", "--dry-run", cwd=root)
    assert "old: up to date with template default (flow-templates " in dry.stdout
    assert "exp1: up to date with template default (lab-templates 0.1.0)" in dry.stdout
    assert dry.stderr == ""

    pyproject = lab / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace('"0.1.0"', '"0.2.0"'), "utf-8"
    )
    readme.write_text(readme.read_text(encoding="utf-8") + "Version two.\n", "utf-8")
    _run(*install, "--reinstall-package", "lab-templates", lab, cwd=tmp_path)
    done = _run(flow, "update", "--all", cwd=root)
    assert "exp1: updated from template default (lab-templates 0.2.0)" in done.stdout
    assert "old: up to date with template default (flow-templates " in done.stdout
    assert "Version two." in (root / "flows/exp1/README.md").read_text(encoding="utf-8")
    assert "Our lab's way." not in (root / "flows/old/README.md").read_text(encoding="utf-8")

    _run("uv", "pip", "uninstall", "--quiet", "-p", python, "flow-templates", cwd=tmp_path)
    moved = _run(flow, "update", "old", cwd=root)
    assert moved.stderr.splitlines() == [
        "flow: note: `old` was made from template `default` of flow-templates, which is not "
        "installed now; following lab-templates's `default`"
    ]
    assert "old: updated from template default (lab-templates 0.2.0)" in moved.stdout
    assert "Version two." in (root / "flows/old/README.md").read_text(encoding="utf-8")
    assert "lab-templates" in (root / "flows/old" / RECORD_NAME).read_text(encoding="utf-8")
