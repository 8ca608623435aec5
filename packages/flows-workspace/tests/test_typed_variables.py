"""Typed template variables: `--var` checked against template.toml, values escaped into code."""

from __future__ import annotations

import ast
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flows_workspace.templates.discovery import find_experiment_template
from flows_workspace.templates.filters import py_docstring
from flows_workspace.templates.render import render_template
from flows_workspace.templates.variables import template_variables
from hypothesis import given, settings
from hypothesis import strategies as st
from subprocesses import run_python

if TYPE_CHECKING:
    from conftest import Flow, Tree

CHOICE_TEMPLATE = """\
    description = "With a choice"

    [variables.optimizer]
    type = "choice"
    choices = ["sgd", "adam"]
    default = "sgd"
    description = "The optimizer"

    [variables.lr]
    type = "float"
    default = 0.1

    [variables.fast]
    default = false
    """


@pytest.fixture
def choice_template(workspace: Path) -> Path:
    """A workspace-local template `opts` with choice, float and bool variables."""
    folder = workspace / "templates/opts"
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text(textwrap.dedent(CHOICE_TEMPLATE), encoding="utf-8")
    (folder / "run.py.jinja").write_text(
        "OPTIMIZER = {{ optimizer | py }}\nLR = {{ lr | py }}\nFAST = {{ fast | py }}\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("seed=abc", "`--var seed=abc`: `seed` is an integer; give a whole number, e.g."),
        ("seed=1.5", "`seed` is an integer"),
        ("date=not-a-date", "`--var date=not-a-date`: `date` must be a date as YYYY-MM-DD"),
        ("colour=red", "declares no variable `colour`"),
    ],
)
def test_bad_var_is_one_line_exit_2_and_writes_nothing(
    workspace: Path,
    flow: Flow,
    tree: Tree,
    capsys: pytest.CaptureFixture[str],
    assignment: str,
    expected: str,
) -> None:
    """Each bad `--var` of the default template is refused in one line; nothing is written."""
    before = tree(workspace)
    assert flow("create", "exp1", "--var", assignment) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert expected in err
    assert tree(workspace) == before


@pytest.mark.usefixtures("choice_template")
@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("optimizer=adamw", "`optimizer` is one of `sgd`, `adam`; pick one of them"),
        ("lr=fast", "`lr` is a float; give a finite number, e.g. `--var lr=0.1`"),
        ("lr=inf", "`lr` is a float"),
        ("fast=maybe", "`fast` is a bool; give `true` or `false`"),
    ],
)
def test_bad_choice_float_bool_refused(
    workspace: Path,
    flow: Flow,
    tree: Tree,
    capsys: pytest.CaptureFixture[str],
    assignment: str,
    expected: str,
) -> None:
    """An unknown choice, a non-number float and a non-boolean bool are refused."""
    before = tree(workspace)
    assert flow("create", "exp1", "--template", "opts", "--var", assignment) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert expected in err
    assert tree(workspace) == before


@pytest.mark.usefixtures("choice_template")
def test_typed_values_reach_code_as_literals(workspace: Path, flow: Flow) -> None:
    """Good values are rendered as Python literals of their type and recorded typed."""
    assert (
        flow("create", "exp1", "--template", "opts", "--var", "optimizer=adam", "--var", "lr=2e-3")
        == 0
    )
    assert (workspace / "flows/exp1/run.py").read_text(encoding="utf-8") == (
        "OPTIMIZER = 'adam'\nLR = 0.002\nFAST = False\n"
    )
    record = (workspace / "flows/exp1/.flow-experiment.toml").read_text(encoding="utf-8")
    assert "lr = 0.002\n" in record
    assert "fast = false\n" in record


def test_injected_code_in_description_stays_text(workspace: Path, flow: Flow) -> None:
    """A description that tries to close the docstring and run code is only text."""
    value = 'x"""; print("INJECTED"); """'
    assert flow("create", "exp1", "--var", f"description={value}", "--var", "seed=7") == 0
    run_py = (workspace / "flows/exp1/run.py").read_text(encoding="utf-8")
    assert "    seed: int = 7\n" in run_py
    docstring = ast.get_docstring(ast.parse(run_py), clean=False)
    assert docstring is not None
    assert docstring.startswith(f"exp1: {value}\n")
    helped = run_python(workspace / "flows/exp1/run.py", "--help", cwd=workspace)
    assert helped.returncode == 0, helped.stderr
    assert "INJECTED" not in helped.stdout.replace('print("INJECTED")', "")


@settings(max_examples=60, deadline=None)
@given(value=st.text())
def test_any_str_value_renders_parsable_code_holding_it_verbatim(value: str) -> None:
    """Whatever a str variable holds, run.py and __init__.py parse and hold it verbatim."""
    template = find_experiment_template("default", None)
    variables = template_variables(
        experiment_name="exp",
        flows_package="flows",
        declared=template.variable_specs,
        overrides={"description": value, "author": value},
        template_name="default",
    )
    with tempfile.TemporaryDirectory() as scratch:
        render_template(template, Path(scratch), variables)
        for name, prefix in (("run.py", "exp: "), ("__init__.py", "Experiment `exp`: ")):
            module = ast.parse(Path(scratch, name).read_text(encoding="utf-8"))
            docstring = ast.get_docstring(module, clean=False)
            assert docstring is not None
            assert docstring.startswith(prefix + value)
            rest = docstring[len(prefix + value) :]
            assert rest in ("", "\n") or rest.startswith("\n\n")


def test_templates_show_prints_the_variables(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str], choice_template: Path
) -> None:
    """`flow templates show NAME` lists each variable's type, default and description."""
    assert choice_template.is_dir()
    assert flow("templates", "show", "opts") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "opts (workspace): With a choice"
    rows = {line.split()[0]: line.split(None, 3)[1:] for line in lines[3:6]}
    assert rows["optimizer"][:2] == ["choice:", "sgd,"]
    assert rows["lr"] == ["float", "0.1"]
    assert rows["fast"] == ["bool", "false"]
    assert flow("templates", "show", "default") == 0
    assert "seed         int   0" in capsys.readouterr().out


@settings(max_examples=200, deadline=None)
@given(value=st.text(), before=st.sampled_from(["", "x: "]), after=st.sampled_from(["", "\n\nx"]))
def test_docstring_filter_round_trips_anywhere_in_a_docstring(
    value: str, before: str, after: str
) -> None:
    """`pydoc` text read back by Python is the value, whatever surrounds it in the docstring."""
    source = f'"""{before}{py_docstring(value)}{after}"""'
    assert ast.literal_eval(source) == before + value + after
