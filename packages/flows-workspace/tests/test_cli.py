"""The `flow` command line: help, one-line errors, FLOWS_DEBUG, list/templates, completion."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
import tyro
from flows_workspace._cli import flow_create_main, main
from flows_workspace._commands_workspace import Create
from flows_workspace._fast_parse import parse_plain_create
from hypothesis import given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow


def _flow_subprocess(
    *argv: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows_workspace", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


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
        "import sys\nfrom flows_workspace._cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('jinja2', 'flows_workspace.'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = done.stdout.strip().splitlines()[-1]
    assert "jinja2" not in loaded
    assert "_templates" not in loaded
    assert "_render" not in loaded
    assert "_cli" in loaded  # the probe really saw the package's modules


def test_user_error_is_one_line(tmp_path: Path) -> None:
    """A user error prints one `flow: error:` line, no traceback, and exits non-zero."""
    done = _flow_subprocess("list", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("flow: error: ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


def test_deleted_current_folder_is_one_line(tmp_path: Path) -> None:
    """Run from a folder that was deleted, `flow list` says so in one line, exit 1."""
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys\nfrom flows_workspace._cli import main\n"
        "os.chdir(sys.argv[1]); os.rmdir(sys.argv[1])\nraise SystemExit(main(['list']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(gone)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stderr == (
        "flow: error: the current folder no longer exists; "
        "`cd` to an existing folder and run again\n"
    )


def test_flows_debug_shows_the_traceback(tmp_path: Path) -> None:
    """With FLOWS_DEBUG=1 the same error comes with its traceback."""
    done = _flow_subprocess("list", cwd=tmp_path, env={"FLOWS_DEBUG": "1"})
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "WorkspaceNotFoundError" in done.stderr


def test_bad_name_exit_code_in_a_real_process(tmp_path: Path, flow: Flow) -> None:
    """The installed command exits 2 on a bad experiment name."""
    assert flow("init", str(tmp_path), "--no-install") == 0
    done = _flow_subprocess("create", "my-exp", cwd=tmp_path)
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
    done = _flow_subprocess("--tyro-print-completion", "bash", cwd=tmp_path)
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
    done = _flow_subprocess(cwd=tmp_path)
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


TOKENS = [
    "exp1",
    "exp2",
    "",
    "a b",
    "--template",
    "minimal",
    "--var",
    "k=v",
    "k=",
    "=v",
    "--from",
    "--help",
    "-h",
    "--template=x",
    "--var=k=v",
    "-x",
    "--",
    "create",
    "None",
]


# Command lines shaped like the grammar (options with values, a name somewhere), so that
# most examples are ones the fast parser answers, not only ones it hands to tyro.
_VALUES = [token for token in TOKENS if not token.startswith("-")]
_OPTION_PAIRS = st.tuples(
    st.sampled_from(["--template", "--var", "--from"]), st.sampled_from(_VALUES)
)
_SHAPED = st.tuples(
    st.lists(_OPTION_PAIRS, max_size=2),
    st.sampled_from(_VALUES),
    st.lists(_OPTION_PAIRS, max_size=2),
).map(
    lambda parts: [
        *(t for pair in parts[0] for t in pair),
        parts[1],
        *(t for pair in parts[2] for t in pair),
    ]
)


@settings(max_examples=300)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=7), _SHAPED))
def test_plain_create_parser_agrees_with_tyro(tokens: list[str]) -> None:
    """Whenever the tyro-free `flow create` parser answers, tyro parses the same command."""
    argv = ["create", *tokens]
    plain = parse_plain_create(argv)
    if plain is None:
        return
    parsed = tyro.cli(Create, args=tokens, console_outputs=False)
    assert (parsed.name, parsed.template, tuple(parsed.var), parsed.from_) == (
        plain.name,
        plain.template,
        plain.var,
        plain.from_,
    )


def test_plain_create_parser_answers_the_common_forms() -> None:
    """The fast parser handles the plain forms (so the property above is not vacuous)."""
    plain = parse_plain_create(["create", "exp1", "--var", "a=1", "--var", "b=2"])
    assert plain is not None
    assert plain.var == ("a=1", "b=2")
    assert parse_plain_create(["create", "exp2", "--from", "exp1"]) is not None
    assert parse_plain_create(["create", "exp1", "--help"]) is None
    assert parse_plain_create(["create", "--template=x", "exp1"]) is None


def test_plain_create_parser_leaves_none_values_to_tyro() -> None:
    """`--template None`/`--from None` go to tyro, which reads them as "not given"."""
    assert parse_plain_create(["create", "exp1", "--template", "None"]) is None
    assert parse_plain_create(["create", "exp1", "--from", "None"]) is None
    assert parse_plain_create(["create", "exp1", "--var", "None"]) is not None


def test_plain_create_does_not_import_tyro(workspace: Path) -> None:
    """A plain `flow create` runs without importing tyro."""
    code = (
        "import sys\nfrom flows_workspace._cli import main\n"
        "code = main(['create', 'exp1'])\n"
        "print(code, 'tyro' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=workspace, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 False"
    assert (workspace / "flows/exp1").is_dir()


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
