"""`flow templates new`: what the scaffold holds, and the bad inputs it refuses."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow, Tree


def test_scaffold_holds_entry_points_templates_readme_and_test(
    tmp_path: Path, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scaffold announces the copied template and `workspace` in its entry points."""
    monkeypatch.chdir(tmp_path)
    assert flow("templates", "new", "lab.templates", "--from", "default") == 0
    root = tmp_path / "lab.templates"
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    assert pyproject["project"]["entry-points"]["flows.templates"] == {
        "default": "lab_templates:default",
        "workspace": "lab_templates:workspace",
    }
    package = root / "src/lab_templates"
    assert (package / "templates/default/run.py.jinja").is_file()
    assert (package / "templates/default/viz/visualize.ipynb.jinja").is_file()
    assert (package / "templates/workspace/template.toml").is_file()
    assert "def default() -> Traversable:" in (package / "__init__.py").read_text("utf-8")
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    assert "(flow-templates is the fallback): `flow create exp1` uses this `default`" in readme
    assert "does not win over one whose name sorts first" not in readme  # said before: false
    assert '--template", "default"' in (root / "tests/test_templates.py").read_text("utf-8")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("bad name",), "`bad name` is not a distribution name"),
        (("lab_",), "`lab_` is not a distribution name"),
        (("lab", "--from", "nope"), "no template `nope`"),
        (("lab", "--name", "workspace"), "must be a Python identifier other than `workspace`"),
        (("lab", "--directory", "missing"), "folder `missing` does not exist"),
    ],
)
def test_bad_scaffold_input_is_one_line_and_writes_nothing(
    tmp_path: Path,
    flow: Flow,
    tree: Tree,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    expected: str,
) -> None:
    """A bad name, template or folder: one line, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    assert flow("templates", "new", *argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert expected in err
    assert tree(tmp_path) == {}


def test_existing_folder_is_never_overwritten(
    tmp_path: Path, flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An existing DIST_NAME folder is refused and left as it was."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab/mine.txt").write_text("keep")
    assert flow("templates", "new", "lab") == 2
    assert [p.name for p in tmp_path.iterdir()] == ["lab"]
    assert (tmp_path / "lab/mine.txt").read_text() == "keep"
