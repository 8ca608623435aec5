"""The shipped templates: entry points, metadata, and files that render to valid code.

These tests need only flow-templates itself (the `isolated` nox session runs them with no
sibling distribution installed), so templates are checked by substituting placeholder
values for their variables rather than by rendering them with Jinja2.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from typing import TYPE_CHECKING

import flow_templates
import nbformat
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

GROUP = "flows.templates"
EXPERIMENT_BUILTINS = {"experiment_name", "name", "date", "author", "flows_package"}
"""Variables flows-workspace passes to every experiment template."""
WORKSPACE_BUILTINS = {"date", "author", "flows_package", "default_template"}
"""Variables flows-workspace passes to the workspace template, besides its declared ones."""
PLACEHOLDERS = {"experiment_name": "exp1", "name": "exp1", "flows_package": "flows"}
VARIABLE = re.compile(r"{[{%]-?\s*(?:if\s+|for\s+\w+\s+in\s+)?([A-Za-z_]\w*)")


def _entry_points() -> dict[str, metadata.EntryPoint]:
    return {
        ep.name: ep
        for ep in metadata.entry_points(group=GROUP)
        if ep.dist is not None and ep.dist.metadata["Name"] == "flow-templates"
    }


def _metadata(folder: Traversable) -> dict[str, object]:
    return tomllib.loads((folder / "template.toml").read_text(encoding="utf-8"))


def _files(folder: Traversable, prefix: str = "") -> dict[str, Traversable]:
    found: dict[str, Traversable] = {}
    for child in folder.iterdir():
        if child.is_dir():
            found.update(_files(child, f"{prefix}{child.name}/"))
        else:
            found[f"{prefix}{child.name}"] = child
    return found


def _substituted(text: str, declared: dict[str, object]) -> str:
    """`text` with `{{ variable }}` replaced by its default or a placeholder value."""
    values = {**PLACEHOLDERS, **{k: _default(v) for k, v in declared.items()}}
    text = re.sub(r"{%.*?%}", "", text)
    return re.sub(r"{{\s*(\w+)[^}]*}}", lambda m: str(values.get(m.group(1), "x")), text)


def _default(spec: object) -> object:
    return spec["default"] if isinstance(spec, dict) else spec


def test_every_template_has_an_entry_point() -> None:
    """The distribution announces exactly its templates in `flows.templates`."""
    assert set(_entry_points()) == set(flow_templates.TEMPLATE_NAMES)


@pytest.mark.parametrize("name", flow_templates.TEMPLATE_NAMES)
def test_entry_point_resolves_to_a_folder_with_metadata(name: str) -> None:
    """Each entry point loads a callable returning the template folder with its template.toml."""
    target = _entry_points()[name].load()
    folder = target()
    assert folder.is_dir()
    assert (folder / "template.toml").is_file()
    data = _metadata(folder)
    assert set(data) <= {"description", "kind", "variables"}
    assert isinstance(data["description"], str)
    assert data["description"]
    assert data["kind"] == ("workspace" if name == "workspace" else "experiment")
    assert folder == flow_templates.template_folder(name)


def test_unknown_template_folder_is_a_key_error() -> None:
    """`template_folder` of a name not shipped raises KeyError naming the shipped ones."""
    with pytest.raises(KeyError, match="default"):
        flow_templates.template_folder("nope")


@pytest.mark.parametrize("name", flow_templates.TEMPLATE_NAMES)
def test_templates_use_only_declared_or_builtin_variables(name: str) -> None:
    """Every variable a `.jinja` file uses is declared in template.toml or passed by flows."""
    folder = flow_templates.template_folder(name)
    declared = _metadata(folder).get("variables", {})
    assert isinstance(declared, dict)
    builtins = WORKSPACE_BUILTINS if name == "workspace" else EXPERIMENT_BUILTINS
    used: set[str] = set()
    for relative, file in _files(folder).items():
        if relative.endswith(".jinja"):
            used |= set(VARIABLE.findall(file.read_text(encoding="utf-8")))
    used -= {"endif", "else", "endfor"}
    assert used, "the template renders no variable at all"
    assert used <= set(declared) | builtins


@pytest.mark.parametrize("name", flow_templates.TEMPLATE_NAMES)
def test_python_files_compile(name: str) -> None:
    """Every Python file of the template is valid Python once its variables are filled in."""
    folder = flow_templates.template_folder(name)
    declared = _metadata(folder).get("variables", {})
    assert isinstance(declared, dict)
    python_files = {k: f for k, f in _files(folder).items() if ".py" in k and "ipynb" not in k}
    assert python_files
    for relative, file in python_files.items():
        compile(_substituted(file.read_text(encoding="utf-8"), declared), relative, "exec")


def test_experiment_templates_have_run_and_init() -> None:
    """Each experiment template has a run.py and an __init__.py (importable as flows.NAME)."""
    for name in ("default", "minimal", "pytorch"):
        files = set(_files(flow_templates.template_folder(name)))
        assert {"run.py.jinja", "__init__.py.jinja"} <= files


def test_minimal_template_is_minimal() -> None:
    """`minimal` ships run.py and __init__.py only."""
    files = set(_files(flow_templates.template_folder("minimal")))
    assert files == {"template.toml", "run.py.jinja", "__init__.py.jinja"}


def test_default_notebook_is_valid_nbformat() -> None:
    """`default`'s viz/visualize.ipynb is a valid nbformat v4 notebook once filled in."""
    file = flow_templates.template_folder("default") / "viz" / "visualize.ipynb.jinja"
    text = _substituted(file.read_text(encoding="utf-8"), {})
    notebook = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    assert json.loads(text)["nbformat"] == 4
    assert [cell.cell_type for cell in notebook.cells].count("code") >= 1


def test_workspace_template_has_the_layout() -> None:
    """The workspace template has flows/__init__.py, the three READMEs and a .gitignore."""
    files = set(_files(flow_templates.template_folder("workspace")))
    assert files == {
        "template.toml",
        ".gitignore.jinja",
        "flows/__init__.py.jinja",
        "flows/README.md.jinja",
        "logs/README.md.jinja",
        "data/README.md.jinja",
    }
    data_readme = flow_templates.template_folder("workspace") / "data" / "README.md.jinja"
    assert "NEVER modify raw data" in data_readme.read_text(encoding="utf-8")


def test_workspace_paths_module_defines_every_root() -> None:
    """flows/__init__.py defines PROJ_ROOT, FLOWS_ROOT, EXP_ROOT, LOGS_ROOT, DATA_ROOT."""
    folder = flow_templates.template_folder("workspace")
    source = (folder / "flows" / "__init__.py.jinja").read_text(encoding="utf-8")
    namespace: dict[str, object] = {"__file__": "/somewhere/ws/flows/__init__.py"}
    exec(compile(_substituted(source, _metadata(folder)["variables"]), "init", "exec"), namespace)  # type: ignore[arg-type]
    roots = {k: str(namespace[k]) for k in ("PROJ_ROOT", "FLOWS_ROOT", "EXP_ROOT")}
    assert roots == {
        "PROJ_ROOT": "/somewhere/ws",
        "FLOWS_ROOT": "/somewhere/ws/flows",
        "EXP_ROOT": "/somewhere/ws/flows",
    }
    assert str(namespace["LOGS_ROOT"]) == "/somewhere/ws/logs"
    assert str(namespace["DATA_ROOT"]) == "/somewhere/ws/data"


def test_no_caches_in_the_package_data() -> None:
    """No template folder carries caches (`__pycache__`, `.ipynb_checkpoints`, `*.pyc`)."""
    for name in flow_templates.TEMPLATE_NAMES:
        for relative in _files(flow_templates.template_folder(name)):
            assert "__pycache__" not in relative
            assert ".ipynb_checkpoints" not in relative
            assert not relative.endswith(".pyc")
