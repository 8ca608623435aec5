"""`flow templates new`: scaffold a lab's own templates distribution.

The distribution holds one experiment template copied from an installed one, and the
`workspace` template `flow init` renders (so it keeps working when flow-templates is
uninstalled). Each is announced in the `flows.templates` entry points of a hatchling
`pyproject.toml`; a README says how to edit and install it, and a test renders it.
It is built in a hidden staging folder and renamed into place, so it appears whole.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import textwrap
from fnmatch import fnmatch
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError
from flows_workspace._files import toml_text
from flows_workspace._names import canonical_distribution_name
from flows_workspace.templates.metadata import ENTRY_POINT_GROUP
from flows_workspace.templates.render import CACHE_PATTERNS

if TYPE_CHECKING:
    import sys
    from pathlib import Path

    from flows_workspace.templates.metadata import Template

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

_DIST_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
"""A valid distribution name (PEP 508)."""


def scaffold_distribution(
    dist_name: str, *, template_name: str, parent: Path, new_name: str | None = None
) -> Path:
    """Write the distribution `dist_name` into `parent/dist_name`, from template `template_name`.

    The copied template is named `new_name` (default: `template_name`).

    Raises:
        BadInputError: a bad distribution name, an existing target, a missing parent
            folder or an unknown template; nothing is written.
    """
    from flows_workspace.templates.discovery import find_experiment_template, workspace_template
    from flows_workspace.workspace.create import sweep_stale_staging
    from flows_workspace.workspace.settings import find_workspace_or_none

    package = canonical_distribution_name(dist_name).replace("-", "_")
    if not _DIST_NAME.match(dist_name) or not package.isidentifier():
        msg = (
            f"`{dist_name}` is not a distribution name; use letters, digits, `-`, `_` "
            "and `.`, e.g. `lab-templates`"
        )
        raise BadInputError(msg)
    target = parent / dist_name
    if target.exists() or target.is_symlink():
        msg = f"`{target}` already exists; pick another name or folder (`--directory DIR`)"
        raise BadInputError(msg)
    if not parent.is_dir():
        msg = f"folder `{parent}` does not exist; create it first or pass another `--directory`"
        raise BadInputError(msg)
    if new_name is not None and (not new_name.isidentifier() or new_name == "workspace"):
        msg = f"template name `{new_name}` must be a Python identifier other than `workspace`"
        raise BadInputError(msg)
    template = find_experiment_template(template_name, find_workspace_or_none(parent))
    template = dataclasses.replace(template, name=new_name or template.name)
    templates = [template, workspace_template()]
    prefix = ".flow-templates-new."
    sweep_stale_staging(parent, prefix)
    staging = parent / f"{prefix}{os.getpid()}.{dist_name}"
    staging.mkdir()
    try:
        _write(staging, dist_name, package, templates)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write(root: Path, dist_name: str, package: str, templates: list[Template]) -> None:
    names = [template.name for template in templates]
    pyproject = {
        "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
        "project": {
            "name": dist_name,
            "version": "0.1.0",
            "description": f"Experiment templates for flows: {', '.join(names)}",
            "readme": "README.md",
            "requires-python": ">=3.10",
            "entry-points": {ENTRY_POINT_GROUP: {name: f"{package}:{name}" for name in names}},
        },
        "tool": {"hatch": {"build": {"targets": {"wheel": {"packages": [f"src/{package}"]}}}}},
    }
    header = "Announces each template in the `flows.templates` entry points (see README.md)."
    (root / "pyproject.toml").write_text(toml_text(pyproject, header), encoding="utf-8")
    source = root / "src" / package
    for template in templates:
        _copy(template.root, source / "templates" / template.name)
    (source / "__init__.py").write_text(_package_text(dist_name, package, names), encoding="utf-8")
    (root / "README.md").write_text(_readme(dist_name, package, templates), encoding="utf-8")
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_templates.py").write_text(_test_text(templates[0].name), encoding="utf-8")


def _copy(folder: Traversable | Path, destination: Path) -> None:
    """Copy a template folder (caches left out) byte for byte."""
    destination.mkdir(parents=True)
    for child in folder.iterdir():
        if any(fnmatch(child.name, pattern) for pattern in CACHE_PATTERNS):
            continue
        if child.is_dir():
            _copy(child, destination / child.name)
        elif child.is_file():
            (destination / child.name).write_bytes(child.read_bytes())


def _package_text(dist_name: str, package: str, names: list[str]) -> str:
    functions = "".join(
        f'\n\ndef {name}() -> Traversable:\n    """The `{name}` template folder."""\n'
        f'    return files("{package}") / "templates" / "{name}"\n'
        for name in names
    )
    return (
        f'"""Templates of {dist_name}, announced in the `flows.templates` entry points."""\n\n'
        "from __future__ import annotations\n\n"
        "from importlib.resources import files\n"
        "from typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n"
        "    from importlib.resources.abc import Traversable\n" + functions
    )


def _readme(dist_name: str, package: str, templates: list[Template]) -> str:
    experiment = templates[0]
    return textwrap.dedent(
        f"""\
        # {dist_name}

        Experiment templates for flows, made with `flow templates new {dist_name}`.

        ```
        pip install ./{dist_name}        # or: uv pip install ./{dist_name}
        flow templates                   # lists `{experiment.name}` from {dist_name}
        flow create exp1 --template {experiment.name}
        ```

        Each folder under `src/{package}/templates/` is a template: a `template.toml`
        (description, kind, typed variables) and the files to render. Files ending in
        `.jinja` are rendered with Jinja2 (put values into code through the `py` and
        `pydoc` filters); the others are copied as they are. To add a template, add a
        folder, a function returning it in `src/{package}/__init__.py`, and an entry
        point in `pyproject.toml` under `[project.entry-points."flows.templates"]`.

        The `workspace` template is what `flow init` lays out; with it, `flow init`
        and `flow create` keep working without flow-templates installed.

        Installed beside flow-templates, the templates here win over its templates of
        the same names (flow-templates is the fallback): `flow create exp1` uses this
        `{experiment.name}`. Between two other distributions offering one name, the one
        whose normalized name sorts first wins, and `flow templates` shows both; a
        workspace's own `templates/` folder always wins. Experiments keep following the
        distribution they were made from while it is installed. After changing a
        template, raise `version` in `pyproject.toml` and install the folder again;
        `flow update EXPERIMENT` merges the changes into experiments made from it.

        Test: `pytest tests` renders the template with `flow create`.
        """
    )


def _test_text(template_name: str) -> str:
    return textwrap.dedent(
        f'''\
        """The template renders with `flow create` into a new workspace."""

        import ast
        import subprocess
        import sys


        def flow(*args, cwd):
            done = subprocess.run(
                [sys.executable, "-m", "flows_workspace", *args],
                cwd=cwd, capture_output=True, text=True, check=False,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout


        def test_template_renders(tmp_path):
            """`flow create --template {template_name}` makes an experiment whose code parses."""
            flow("init", str(tmp_path), "--no-install", cwd=tmp_path)
            flow("create", "exp1", "--template", "{template_name}", cwd=tmp_path)
            experiment = tmp_path / "flows" / "exp1"
            sources = list(experiment.glob("*.py"))
            assert sources
            for source in sources:
                ast.parse(source.read_text(encoding="utf-8"))
        '''
    )
