"""`flow diff EXPERIMENT --template|--parent`: an experiment's code against its origin."""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from conftest import Flow


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_diff_against_template_shows_the_edits(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the experiment's own edits differ from its template rendered again."""
    assert flow("create", "exp1", "--template", "minimal") == 0
    capsys.readouterr()
    assert flow("diff", "exp1", "--template") == 0
    assert capsys.readouterr().out.startswith("`exp1` is the same as its template minimal")
    _append(workspace / "flows/exp1/run.py", "# tuned\n")
    (workspace / "flows/exp1/notes.md").write_text("mine\n", encoding="utf-8")
    assert flow("diff", "exp1", "--template") == 0
    lines = capsys.readouterr().out.splitlines()
    version = metadata.version("flow-templates")
    assert lines[0] == f"# a/: template minimal (flow-templates {version}), b/: exp1"
    assert "+# tuned" in lines
    assert "--- /dev/null" in lines
    assert "+++ b/exp1/notes.md" in lines
    assert not [line for line in lines if line.startswith("-") and not line.startswith("---")]


def test_diff_against_parent_shows_both_sides(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """A fork's diff from its parent shows the parent's later change and the fork's own."""
    assert flow("create", "exp1", "--template", "minimal") == 0
    assert flow("create", "exp2", "--from", "exp1") == 0
    _append(workspace / "flows/exp1/run.py", "# parent change\n")
    _append(workspace / "flows/exp2/run.py", "# fork change\n")
    capsys.readouterr()
    assert flow("diff", "exp2", "--parent") == 0
    lines = capsys.readouterr().out.splitlines()
    assert "-# parent change" in lines
    assert "+# fork change" in lines
    assert not any("exp1" in line for line in lines[1:])  # the parent's name reads as the fork's


def test_diff_experiment_needs_one_flag(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """One argument without a flag, both flags, or `--parent` of a non-fork: one line each."""
    assert flow("create", "exp1", "--template", "minimal") == 0
    capsys.readouterr()
    for argv, code, expected in (
        (("exp1",), 2, "`--template` or `--parent`"),
        (("exp1", "--template", "--parent"), 2, "`--template` or `--parent`"),
        (("exp1", "--parent"), 1, "has no parent (it is not a fork)"),
        (("nope", "--template"), 2, "no experiment `nope`"),
    ):
        assert flow("diff", *argv) == code
        err = capsys.readouterr().err
        assert expected in err
        assert len(err.splitlines()) == 1


def test_template_diff_of_a_fork_points_to_parent(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow diff FORK --template` says in one line that it is a fork and names `--parent`."""
    assert flow("create", "exp1") == 0
    assert flow("create", "exp2", "--from", "exp1") == 0
    capsys.readouterr()
    assert flow("diff", "exp2", "--template") == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "`exp2` is a fork of `exp1`" in err
    assert "`flow diff exp2 --parent`" in err
    assert "undefined variable" not in err
    assert flow("diff", "exp1", "--template") == 0  # the parent still compares with it
