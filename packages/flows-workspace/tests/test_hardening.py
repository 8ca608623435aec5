"""Bad input and odd set-ups found by a hostile walkthrough: one line, nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING, Any

import pytest
from flows_workspace.cli import main
from flows_workspace.runs.parse import split_from_run
from subprocesses import run, run_python, start

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import ScratchEnv

FLOW = [sys.executable, "-m", "flows_workspace"]

RUN_WITH_PATHS = textwrap.dedent(
    """
    from dataclasses import dataclass

    import flows
    from flows_workspace import record_run


    @dataclass
    class Config:
        x: int = 1


    with record_run(Config(), __file__) as run:
        print(flows.DATA_ROOT)
    """
)


@pytest.mark.slow
def test_run_warns_when_import_flows_gives_another_workspace(
    tmp_path: Path, scratch_env: ScratchEnv
) -> None:
    """A copy installed with `--replace` makes runs of the first copy warn; its own do not."""
    ws = tmp_path / "ws"
    assert scratch_env.flow("init", ws, cwd=tmp_path).returncode == 0
    (ws / "flows" / "e").mkdir()
    (ws / "flows" / "e" / "run.py").write_text(RUN_WITH_PATHS, encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(ws, other, symlinks=True)
    done = scratch_env.flow("init", "--replace", cwd=other)
    assert done.returncode == 0, done.stderr
    first = scratch_env.run(ws / "flows" / "e" / "run.py", cwd=ws)
    assert first.returncode == 0, first.stderr
    [warning] = [line for line in first.stderr.splitlines() if ": warning: " in line]
    assert warning.startswith(f"run.py: warning: `import flows` gives `{other / 'flows'}`")
    assert f"run `flow init --replace` in `{ws}`" in warning
    own = scratch_env.run(other / "flows" / "e" / "run.py", cwd=other)
    assert own.returncode == 0, own.stderr
    assert ": warning: " not in own.stderr
    assert own.stdout.strip() == str(other / "data")


NOISY = textwrap.dedent(
    """
    from dataclasses import dataclass

    from flows_workspace import parse_run, record_run


    @dataclass
    class Config:
        noise: float = 0.0
        steps: int = 1


    parsed = parse_run(Config)
    with record_run(parsed, __file__) as run:
        print(run.id)
    """
)


def _strict_json(text: str) -> Any:
    """`text` parsed as standard JSON: bare NaN or Infinity is an error."""

    def refuse(constant: str) -> Any:
        msg = f"not standard JSON: {constant}"
        raise ValueError(msg)

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def noisy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with experiment `noisy` (a float `noise`, an int `steps`), as the cwd."""
    root = tmp_path / "ws"
    assert main(["init", str(root), "--no-install"]) == 0
    (root / "flows" / "noisy").mkdir()
    (root / "flows" / "noisy" / "run.py").write_text(NOISY, encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _record(root: Path, *args: str) -> str:
    done = run_python(root / "flows" / "noisy" / "run.py", *args, cwd=root)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_nan_is_no_difference_and_json_output_is_standard(
    noisy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--noise nan` twice: `flow diff` finds nothing; every `--json` output parses strictly."""
    first, second = _record(noisy, "--noise", "nan"), _record(noisy, "--noise", "inf")
    third = _record(noisy, "--noise", "nan")
    capsys.readouterr()
    assert main(["diff", first, third]) == 0
    assert capsys.readouterr().out == f"the configs of `{first}` and `{third}` are the same\n"
    assert main(["diff", first, second, "--json"]) == 0
    assert _strict_json(capsys.readouterr().out) == {"noise": ["NaN", "Infinity"]}
    assert main(["runs", "--json"]) == 0
    listed = _strict_json(capsys.readouterr().out)
    assert [run["changes"] for run in listed] == [
        {"noise": "NaN"},
        {"noise": "Infinity"},
        {"noise": "NaN"},
    ]
    assert main(["show", first, "--json"]) == 0
    assert _strict_json(capsys.readouterr().out)["config"]["noise"] == "NaN"


def test_from_run_twice_is_one_line_error(noisy: Path) -> None:
    """Two different `--from-run` values exit 2 naming both; an empty one says what it needs."""
    run_id = _record(noisy)
    script = noisy / "flows" / "noisy" / "run.py"
    done = run_python(script, "--from-run", run_id, f"--from-run={run_id}x", cwd=noisy)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"run.py: error: `--from-run` given twice (`{run_id}` and `{run_id}x`); a run starts "
        "from one run's config: keep one"
    ]
    assert split_from_run(["--from-run", "a", "--from-run", "a"], None) == ("a", [])
    empty = run_python(script, "--from-run", "", cwd=noisy)
    assert empty.returncode == 2
    assert empty.stderr.splitlines() == [
        "run.py: error: `--from-run` needs a run (a folder, config file or run id)"
    ]


def test_init_where_no_folder_can_be_made_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow init /proc/foo` (a place that cannot hold folders) is one line and exit 1."""
    assert main(["init", "/proc/flows-test-workspace", "--no-install"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "flow: error: `/proc/flows-test-workspace`: No such file or directory; a folder on the "
        "way does not exist or cannot hold files: check the path"
    ]


def test_help_into_a_closed_pipe_ends_quietly(noisy: Path) -> None:
    """`run.py --help | head` with the reader gone: no traceback, exit 141 like a Unix tool."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte: every write fails
    try:
        process = start(
            [sys.executable, noisy / "flows" / "noisy" / "run.py", "--help"],
            cwd=noisy,
            stdout=write_end,
            stderr=subprocess.PIPE,
        )
    finally:
        os.close(write_end)
    _, err = process.communicate(timeout=120)
    assert err.decode() == ""
    assert process.returncode == 141


def test_fork_leaves_out_fifos_and_bulk_data_and_says_so(noisy: Path) -> None:
    """A parent holding a FIFO and a 20 MB file forks at once, without them, with one note."""
    parent = noisy / "flows" / "noisy"
    os.mkfifo(parent / "pipe")
    with (parent / "data.bin").open("wb") as stream:
        stream.truncate(20_000_000)  # sparse: big to `stat`, cheap to make
    (parent / "src").mkdir()
    (parent / "src" / "model.py").write_text("m = 1\n", encoding="utf-8")
    done = run([*FLOW, "create", "fork", "--from", "noisy"], cwd=noisy, timeout=60)
    assert done.returncode == 0, done.stderr
    fork = noisy / "flows" / "fork"
    assert (fork / "src" / "model.py").read_text(encoding="utf-8") == "m = 1\n"
    assert (fork / "run.py").read_bytes() == (parent / "run.py").read_bytes()
    assert not (fork / "pipe").exists()
    assert not (fork / "data.bin").exists()
    assert done.stderr.splitlines() == [
        "flow: note: the fork `fork` leaves out 1 file(s) over 10 MB (largest: `data.bin`, "
        "20 MB); copy or link them yourself if the fork needs them; 1 special file(s) "
        "(FIFOs, sockets): `pipe`"
    ]


def test_fork_from_a_folder_that_is_no_experiment_is_refused(
    noisy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow create x --from /etc` (or any folder outside a flows folder) copies nothing."""
    stray = tmp_path / "stray"
    stray.mkdir()
    for source in ("/etc", str(stray)):
        assert main(["create", "x", "--from", source]) == 2
        assert capsys.readouterr().err.splitlines() == [
            f"flow: error: `{source}` is not an experiment (not a folder of a workspace's flows "
            "folder, and no `.flow-experiment.toml` in it); give `--from` an experiment name "
            "or folder"
        ]
    assert not (noisy / "flows" / "x").exists()
    assert main(["create", "y", "--from", str(noisy / "flows" / "noisy")]) == 0


def test_template_with_a_link_to_a_folder_is_refused(
    noisy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workspace template holding a link to a folder is one error, not a walk of that tree."""
    template = noisy / "templates" / "linked"
    template.mkdir(parents=True)
    (template / "template.toml").write_text('description = "t"\n', encoding="utf-8")
    (template / "run.py").write_text("print(1)\n", encoding="utf-8")
    (tmp_path / "big").mkdir()
    (template / "data").symlink_to(tmp_path / "big")
    assert main(["create", "x", "--template", "linked"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"flow: error: `{template / 'data'}` in a template is a link to a")
    assert not (noisy / "flows" / "x").exists()


def test_simultaneous_creates_of_one_name_have_one_winner(noisy: Path) -> None:
    """Eight `flow create same` at once: one creates it, each other says so in one line."""
    processes = [
        start([*FLOW, "create", "same"], cwd=noisy, stderr=subprocess.PIPE) for _ in range(8)
    ]
    outcomes = [(process.wait(timeout=120), process.stderr) for process in processes]
    errors = []
    for status, stream in outcomes:
        assert stream is not None
        text = stream.read().decode()
        stream.close()
        if status != 0:
            errors.append((status, text))
    assert len(errors) == 7
    for status, text in errors:
        assert status == 2, text
        [line] = text.splitlines()
        assert "experiment `same` a" in line  # "already exists" or "appeared ... while"
    assert [p.name for p in (noisy / "flows").iterdir() if p.name.startswith(".flow")] == []


def test_init_of_an_empty_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow init ""` does not turn the current folder into a workspace."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "", "--no-install"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "flow: error: `flow init` got an empty folder name (''); give `.` for this folder"
    ]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["json", "os"])
@pytest.mark.parametrize("install", [True, False])
def test_flows_folder_named_like_the_standard_library_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, install: bool
) -> None:
    """`--flow-dir-name json` would hide the standard library's `json`: refused, nothing made."""
    options = [] if install else ["--no-install"]
    assert main(["init", str(tmp_path / "ws"), "--flow-dir-name", name, *options]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"`{name}` is a module of Python's standard library" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("reference", [".", "../..", "flows/noisy"])
def test_runs_of_a_path_instead_of_a_name_is_refused(
    noisy: Path, capsys: pytest.CaptureFixture[str], reference: str
) -> None:
    """`flow runs .` or `flow runs ../..` exits 2 like an unknown name, not "no runs"."""
    assert main(["runs", reference]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"flow: error: `{reference}` ")
    assert line.endswith("so it names no experiment; `flow list` shows the names")


def test_commands_inside_a_linked_logs_folder_find_the_workspace(
    noisy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With logs/ a link to scratch space, `cd logs/noisy && flow runs` finds the workspace."""
    run_id = _record(noisy)
    scratch = tmp_path / "scratch"
    shutil.move(noisy / "logs", scratch)
    (noisy / "logs").symlink_to(scratch)
    logical = noisy / "logs" / "noisy"
    monkeypatch.chdir(logical)
    monkeypatch.setenv("PWD", str(logical))  # what the shell keeps after `cd logs/noisy`
    capsys.readouterr()
    assert main(["runs", "noisy"]) == 0
    assert run_id in capsys.readouterr().out


@pytest.mark.slow
def test_import_flows_of_a_moved_workspace_says_what_to_do(
    tmp_path: Path, scratch_env: ScratchEnv
) -> None:
    """After moving an installed workspace, `import flows` names the old place and the fix."""
    ws = tmp_path / "ws"
    assert scratch_env.flow("init", ws, cwd=tmp_path).returncode == 0
    ws.rename(tmp_path / "moved")
    done = scratch_env.run("-c", "import flows", cwd=tmp_path)
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last == (
        f"ModuleNotFoundError: No module named 'flows': `flow init` made it importable from "
        f"the workspace {ws}, which is not there any more (moved?); run `flow init` in the "
        "workspace's new folder, or `flow uninstall`"
    )


@pytest.mark.parametrize("flag", ["--steps", "--samples"])
def test_default_template_refuses_nothing_to_fit(noisy: Path, flag: str) -> None:
    """The default template's run.py refuses `--steps 0` / `--samples 0`: one line, exit 2."""
    assert main(["create", "fit"]) == 0
    done = run_python(noisy / "flows" / "fit" / "run.py", flag, "0", cwd=noisy)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"run.py: error: {flag} must be at least 1, not 0"]
    assert not (noisy / "logs" / "fit").exists()


def test_pytorch_template_without_torch_says_what_to_install(noisy: Path) -> None:
    """The pytorch template's run.py without PyTorch is one line naming `pip install torch`."""
    assert main(["create", "net", "--template", "pytorch"]) == 0
    script = noisy / "flows" / "net" / "run.py"
    without_torch = (
        "import runpy, sys; sys.modules['torch'] = None; sys.argv = [sys.argv[1], '--help']; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    done = run_python("-c", without_torch, script, cwd=noisy)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "run.py: error: this experiment needs PyTorch (no module `torch`): pip install torch"
    ]


def test_ambiguous_run_id_says_there_are_more(
    noisy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id start matching eight runs lists five and an ellipsis, not five as if all."""
    run_id = _record(noisy)
    logs = noisy / "logs" / "noisy"
    for index in range(7):
        shutil.copytree(logs / run_id, logs / f"{run_id[:-6]}c0ffe{index}")
    capsys.readouterr()
    assert main(["show", run_id[:10]]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"`{run_id[:10]}` matches 8 runs (" in line
    assert line.endswith(", ...); give more of the id")


KILLED_WRITER = """
import resource, signal, sys
from pathlib import Path
from flows_workspace._files import write_atomically

signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
write_atomically(Path(sys.argv[1]) / "manifest.json", b"x" * 1_000_000)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="O_TMPFILE is Linux's")
def test_a_writer_killed_mid_file_leaves_nothing(tmp_path: Path) -> None:
    """A process killed while writing a record file leaves no temporary file behind."""
    import signal

    done = run_python("-c", KILLED_WRITER, tmp_path)
    assert done.returncode == -signal.SIGXFSZ, done.stderr  # killed half-way through
    assert list(tmp_path.iterdir()) == []
