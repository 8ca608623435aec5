"""The `flow` command line: help, one-line errors, FLOWS_DEBUG, list/templates, completion."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from flows_workspace.cli import flow_create_main, main
from subprocesses import run_flow, run_python

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow


def test_version_names_the_three_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    """`flow --version` prints each distribution's installed version on one line, exit 0."""
    from importlib.metadata import version

    assert main(["--version"]) == 0
    expected = ", ".join(
        f"{name} {version(name)}" for name in ("flows-workspace", "config-utils", "flow-templates")
    )
    assert capsys.readouterr().out == f"flow ({expected})\n"


def test_help_lists_every_workspace_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`flow --help` exits 0 and names init, create, list, templates and uninstall."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "create", "list", "templates", "uninstall"):
        assert command in out


@pytest.mark.parametrize("command", ["init", "create"])
def test_subcommand_help_has_no_tyro_placeholders(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Optional options read as their help says, without "(default: None)" or `{None}|`."""
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "None" not in out


def test_original_flow_create_help_names_its_values(capsys: pytest.CaptureFixture[str]) -> None:
    """`flow_create --help` shows NAME and DIR, not tyro's `STR` and `{None}|PATH`."""
    with pytest.raises(SystemExit):
        flow_create_main(["--help"])
    out = capsys.readouterr().out
    assert "--name NAME" in out
    assert "--copy-from DIR" in out
    assert "None" not in out


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    """`flow --help` does not import jinja2 or the template machinery."""
    code = (
        "import sys\nfrom flows_workspace.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('jinja2', 'flows_workspace.'))))"
    )
    done = run_python("-c", code, cwd=tmp_path, check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert "jinja2" not in loaded
    assert "flows_workspace.templates.discovery" not in loaded
    assert "flows_workspace.templates.render" not in loaded
    assert "flows_workspace.cli.main" in loaded  # the probe really saw the package's modules


def test_user_error_is_one_line(tmp_path: Path) -> None:
    """A user error prints one `flow: error:` line, no traceback, and exits non-zero."""
    done = run_flow("list", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("flow: error: ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_deleted_current_folder_is_one_line(tmp_path: Path) -> None:
    """Run from a folder that was deleted, `flow list` says so in one line, exit 1."""
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys\nfrom flows_workspace.cli import main\n"
        "os.chdir(sys.argv[1]); os.rmdir(sys.argv[1])\nraise SystemExit(main(['list']))"
    )
    done = run_python("-c", code, gone)
    assert done.returncode == 1
    assert done.stderr == (
        "flow: error: the current folder no longer exists; "
        "`cd` to an existing folder and run again\n"
    )


def test_flows_debug_shows_the_traceback(tmp_path: Path) -> None:
    """With FLOWS_DEBUG=1 the same error comes with its traceback."""
    done = run_flow("list", cwd=tmp_path, env={"FLOWS_DEBUG": "1"})
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "WorkspaceNotFoundError" in done.stderr


def test_bad_name_exit_code_in_a_real_process(tmp_path: Path, flow: Flow) -> None:
    """The installed command exits 2 on a bad experiment name."""
    assert flow("init", str(tmp_path), "--no-install") == 0
    done = run_flow("create", "my-exp", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert not (tmp_path / "flows/my-exp").exists()


def test_list_shows_origin_and_date(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow list` shows each experiment with its template or parent and creation date."""
    assert flow("create", "exp1") == 0
    assert flow("create", "exp2", "--from", "exp1") == 0
    (workspace / "flows/handmade").mkdir()
    capsys.readouterr()
    assert flow("list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ORIGIN", "CREATED"]
    by_name = {line.split()[0]: line for line in lines[1:]}
    assert set(by_name) == {"exp1", "exp2", "handmade"}
    assert "template default (" in by_name["exp1"]
    assert "fork of exp1" in by_name["exp2"]
    assert " - " in by_name["handmade"]


def test_list_of_empty_workspace_says_how_to_start(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow list` with no experiments points at `flow create`."""
    assert flow("list") == 0
    assert "flow create NAME" in capsys.readouterr().out


def test_templates_lists_installed_templates(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow templates` lists the default template with its distribution and version."""
    assert flow("templates") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["NAME", "SOURCE", "VERSION"]
    default = next(line for line in lines if line.startswith("default "))
    assert "flow-templates" in default


def test_templates_works_outside_a_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow templates` outside any workspace lists the installed templates."""
    monkeypatch.chdir(tmp_path)
    assert flow("templates") == 0
    assert any(line.startswith("default ") for line in capsys.readouterr().out.splitlines())


def test_shell_completion_through_tyro(tmp_path: Path) -> None:
    """`flow --tyro-print-completion bash` prints a completion script naming the subcommands."""
    done = run_flow("--tyro-print-completion", "bash", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "create" in done.stdout
    assert "init" in done.stdout


def test_unknown_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown subcommand exits 2 with tyro's usage message."""
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_no_command_prints_the_help(tmp_path: Path) -> None:
    """`flow` alone prints the help listing the subcommands, not a missing-subcommand error."""
    done = run_flow(cwd=tmp_path)
    assert done.returncode == 2
    assert "Missing" not in done.stdout + done.stderr
    assert "usage: flow" in done.stdout
    assert "templates" in done.stdout


@pytest.mark.parametrize("spelling", [["--name", "exp1"], ["--name=exp1"]])
def test_create_with_name_option_says_how_to_write_it(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str], spelling: list[str]
) -> None:
    """`flow create --name X` is one line pointing to `flow create NAME`."""
    assert flow("create", *spelling) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "`flow create NAME`" in err
    assert not (workspace / "flows/exp1").exists()


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["create", "-x"], "`flow create` has no option `-x`"),
        (["create", "-x", "exp1"], "`flow create` has no option `-x`"),
        (["create", "exp1", "--bogus"], "`flow create` has no option `--bogus`"),
        (["show", "-x"], "`flow show` has no option `-x`"),
    ],
)
def test_an_unknown_option_is_named_as_typed(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    """`flow create -x` names `-x` in one line (not tyro's internal `command.name`), exit 2."""
    assert flow(*argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"flow: error: {named}; see `flow {argv[0]} --help`"]
    assert not (workspace / "flows/exp1").exists()


def test_a_missing_positional_still_gets_tyros_message(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """Known options with the experiment name left out: tyro's message, which names NAME."""
    with pytest.raises(SystemExit) as exited:
        flow("create", "--template", "default")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "NAME" in err
    assert "command.name" not in err


def test_create_goes_through_tyro_with_the_none_spelling(workspace: Path, flow: Flow) -> None:
    """`flow create exp1 --template None` is tyro's "not given": the default template is used."""
    assert flow("create", "exp1", "--template", "None") == 0
    assert (workspace / "flows/exp1/run.py").is_file()


def test_templates_shows_which_source_wins(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workspace-local `default` wins over the installed one, and `flow templates` says so."""
    local = workspace / "templates/default"
    local.mkdir(parents=True)
    (local / "template.toml").write_text('description = "our lab default"\n')
    (local / "run.py").write_text("print('lab')\n")
    assert flow("templates") == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("default")]
    assert len(lines) == 2
    assert "workspace" in lines[0]
    assert "our lab default" in lines[0]
    assert "shadowed by workspace" in lines[1]
    assert flow("create", "exp1") == 0
    assert (workspace / "flows/exp1/run.py").read_text() == "print('lab')\n"


def test_templates_note_column_has_a_header_before_description(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """The `shadowed by` column is headed NOTE and comes before DESCRIPTION."""
    local = workspace / "templates/default"
    local.mkdir(parents=True)
    (local / "template.toml").write_text('description = "our lab default"\n')
    assert flow("templates") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "VERSION", "NOTE", "DESCRIPTION"]
    shadowed = next(line for line in lines if "shadowed by workspace" in line)
    assert shadowed.index("shadowed by workspace") == lines[0].index("NOTE")


def test_templates_lists_the_workspace_template_and_the_precedence(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow templates` lists `workspace`, marked, and says which source wins; `show` shows it."""
    assert flow("templates") == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if line.startswith("workspace ")]
    assert "workspace template (flow init)" in row
    assert "then flow-templates (the fallback)" in out.splitlines()[-1]
    assert flow("templates", "show", "workspace") == 0
    shown = capsys.readouterr().out
    assert shown.startswith("workspace (flow-templates ")
    assert "`flow init` lays out workspaces with it" in shown
    assert "flows_dir" in shown
    assert flow("create", "exp1", "--template", "workspace") == 2
    err = capsys.readouterr().err
    assert "--template" not in err.split("not experiments")[1]
    assert "see `flow templates`" in err


def test_templates_lists_the_others_when_one_is_broken(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken local template is shown as BROKEN with its problem; the rest are listed."""
    local = workspace / "templates/lab"
    local.mkdir(parents=True)
    (local / "template.toml").write_text("colour = 'red'\n")
    assert flow("templates") == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert any(line.startswith("default ") for line in lines)
    assert any(line.startswith("minimal ") for line in lines)
    lab = next(line for line in lines if line.startswith("lab "))
    assert "BROKEN: " in lab
    assert "unknown key `colour`" in lab
    assert len(captured.err.splitlines()) == 1
    assert "`lab`" in captured.err
    assert flow("create", "exp1") == 0
