"""Recorded runs end to end: real experiment scripts in real subprocesses, real git repos."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING, Any

import pytest
from flows_workspace.cli import main as flow_main
from flows_workspace.runs.environment import ALLOWED_ENV_NAMES
from subprocesses import MISSING_LFS, git, run_python, start

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

EXPERIMENT = '''
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field

from config_utils.registry import registry
from flows_workspace import RunTerminated, parse_run, record_run


@dataclass
class MLPConfig:
    layers: int = 2


@registry.register_with_config
class MLP:
    def __init__(self, layers: int) -> None:
        self.layers = layers


@dataclass
class CNNConfig:
    channels: int = 8


@registry.register_with_config
class CNN:
    def __init__(self, channels: int) -> None:
        self.channels = channels


@dataclass
class RunConfig:
    """Train a model."""

    lr: float = 0.1
    steps: int = 3
    model: MLPConfig | CNNConfig = field(default_factory=MLPConfig)
    fail: bool = False
    wait: bool = False


if __name__ == "__main__":
    parsed = parse_run(RunConfig)
    config = parsed.config
    try:
        with record_run(parsed, __file__) as run:
            print(f"run-dir={run.dir}", flush=True)
            print("to stderr", file=sys.stderr, flush=True)
            os.system("echo from a child process")
            if config.fail:
                raise ValueError("loss is nan")
            if config.wait:
                print("ready", flush=True)
                time.sleep(60)
    except RunTerminated:
        restored = signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        print(f"handler restored: {restored}", file=sys.stderr, flush=True)
        raise
'''

RAISE_LINE = EXPERIMENT.split("\n").index('                raise ValueError("loss is nan")') + 1

MINIMAL = """
from dataclasses import dataclass

from flows_workspace import record_run


@dataclass
class Config:
    x: int = 1


with record_run(Config(), __file__) as run:
    print(run.id)
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace (flows.toml + flows/train/run.py) that is a git repo with one commit."""
    root = tmp_path / "ws"
    (root / "flows" / "train").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / "flows" / "train" / "run.py").write_text(EXPERIMENT, encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    return root


def run_script(
    ws: Path, *args: str, env: dict[str, str] | None = None, experiment: str = "train"
) -> subprocess.CompletedProcess[str]:
    """Run an experiment's run.py in a subprocess from the workspace root."""
    return run_python(ws / "flows" / experiment / "run.py", *args, cwd=ws, env=env)


def run_dirs(ws: Path, experiment: str = "train") -> list[Path]:
    """The run folders of an experiment, oldest first."""
    folder = ws / "logs" / experiment
    return sorted(folder.iterdir()) if folder.is_dir() else []


def manifest(run_dir: Path) -> dict[str, Any]:
    """The parsed manifest of a run folder."""
    data: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


def config_of(run_dir: Path) -> dict[str, Any]:
    """The parsed config file of a run folder."""
    data: dict[str, Any] = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    return data


def flow(ws: Path, *argv: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run `flow ARGV` in this process with the workspace as the current directory."""
    monkeypatch.chdir(ws)
    return flow_main(list(argv))


def test_run_writes_config_manifest_patch_and_logs(ws: Path) -> None:
    """A run of a dirty tree gets a folder with config, full manifest, patch and both logs."""
    run_py = ws / "flows" / "train" / "run.py"
    run_py.write_text(run_py.read_text(encoding="utf-8") + "# tweak\n", encoding="utf-8")
    (ws / "notes.txt").write_text("new", encoding="utf-8")
    env = {
        "CUDA_VISIBLE_DEVICES": "1",
        "SLURM_JOB_ID": "77",
        "SLURM_AUTH_TOKEN": "x",
        "API_KEY": "y",
    }
    done = run_script(ws, "--lr", "0.5", "model:cnn-config", "--model.channels", "4", env=env)
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(ws)
    assert f"run-dir={run_dir}" in done.stdout  # still shown on the terminal
    assert "from a child process" in done.stdout
    assert {p.name for p in run_dir.iterdir()} == {
        "config.json",
        "manifest.json",
        "uncommitted.patch",
        "stdout.log",
        "stderr.log",
    }
    assert config_of(run_dir) == {
        "lr": 0.5,
        "steps": 3,
        "model": {"@type": "CNNConfig", "channels": 4},
        "fail": False,
        "wait": False,
    }
    stdout_log = (run_dir / "stdout.log").read_text(encoding="utf-8")
    assert f"run-dir={run_dir}" in stdout_log
    assert "from a child process" in stdout_log  # captured at the file-descriptor level
    assert "to stderr" in (run_dir / "stderr.log").read_text(encoding="utf-8")
    record = manifest(run_dir)
    assert record["run_id"] == run_dir.name
    assert record["experiment"] == "train"
    assert record["status"] == "finished"
    assert record["argv"][1:] == ["--lr", "0.5", "model:cnn-config", "--model.channels", "4"]
    assert record["cwd"] == str(ws)
    assert record["ended"] >= record["started"]
    assert record["git"]["commit"] == git(ws, "rev-parse", "HEAD")
    assert record["git"]["dirty"] is True
    assert record["git"]["untracked"] == ["notes.txt"]  # the run's own logs do not count
    recorded = record["environment"]
    assert recorded["CUDA_VISIBLE_DEVICES"] == "1"
    assert recorded["SLURM_JOB_ID"] == "77"
    assert "SLURM_AUTH_TOKEN" not in recorded  # secrets never, even with an allowed prefix
    assert "API_KEY" not in recorded
    # Whatever else the outer environment holds (VIRTUAL_ENV under nox) is allow-listed.
    assert all(name in ALLOWED_ENV_NAMES or name.startswith("SLURM_") for name in recorded)
    assert record["distributions"]["flows-workspace"]
    assert record["python"]["version"] == ".".join(map(str, sys.version_info[:3]))
    assert record["hostname"]
    assert record["default_config"]["model"] == {"@type": "MLPConfig", "layers": 2}
    patch = (run_dir / "uncommitted.patch").read_text(encoding="utf-8")
    assert "+# tweak" in patch
    assert (run_dir / "config.json").stat().st_mode & 0o044  # readable by others (umask)


def test_clean_tree_has_no_patch_and_no_repo_is_tolerated(ws: Path, tmp_path: Path) -> None:
    """A clean tree records dirty=false and writes no patch; outside git, `git` is null."""
    done = run_script(ws)
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(ws)
    assert manifest(run_dir)["git"]["dirty"] is False
    assert not (run_dir / "uncommitted.patch").exists()

    plain = tmp_path / "plain"
    (plain / "flows" / "train").mkdir(parents=True)
    (plain / "flows.toml").write_text("", encoding="utf-8")
    (plain / "flows" / "train" / "run.py").write_text(EXPERIMENT, encoding="utf-8")
    done = run_script(plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(plain)
    record = manifest(run_dir)
    assert record["status"] == "finished"
    assert record["git"] is None
    assert record["details_recorded"] is True


def test_flow_runs_lists_runs_with_changes(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow runs` shows id, status, commit and the values that vary, as flags."""
    assert run_script(ws, "--lr", "0.5").returncode == 0
    assert run_script(ws, "--fail").returncode == 1
    first, second = run_dirs(ws)
    assert flow(ws, "runs", monkeypatch=monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "STATUS", "START", "DURATION", "COMMIT", "lr", "fail"]
    commit = git(ws, "rev-parse", "HEAD")[:8]
    assert lines[1].startswith(f"train/{first.name}  finished")
    assert lines[1].endswith(f"{commit}  --lr=0.5  --no-fail")
    assert lines[2].startswith(f"train/{second.name}  failed")
    assert lines[2].endswith(f"{commit}  --lr=0.1  --fail")

    assert flow(ws, "runs", "train", "--json", monkeypatch=monkeypatch) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["run_id"] for item in listed] == [first.name, second.name]
    assert listed[0]["changes"] == {"lr": 0.5}
    assert listed[1]["error"] == {
        "type": "ValueError",
        "message": "loss is nan",
        "where": f"{ws / 'flows' / 'train' / 'run.py'}:{RAISE_LINE}",
    }
    (ws / "flows" / "other").mkdir()  # an experiment with no runs yet
    assert flow(ws, "runs", "other", monkeypatch=monkeypatch) == 0
    assert capsys.readouterr().out.startswith("no runs of experiment `other`")


def test_flow_runs_of_an_unknown_experiment_is_an_error_naming_the_known_ones(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow runs nope` exits 2 naming the experiments that exist, in flows/ or in logs/."""
    assert run_script(ws).returncode == 0
    (ws / "flows" / "other").mkdir()
    (ws / "logs" / "gone").mkdir()  # runs of a deleted experiment are still listable
    assert flow(ws, "runs", "nope", monkeypatch=monkeypatch) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"flow: error: no experiment `nope` in `{ws}`; experiments: `gone`, `other`, `train`\n"
    )
    assert flow(ws, "runs", "gone", monkeypatch=monkeypatch) == 0


def test_run_commands_help_shows_optional_experiment_and_defaults_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow runs --help` brackets the optional EXPERIMENT and states its default once."""
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        flow_main(["runs", "--help"])
    out = capsys.readouterr().out
    assert "usage: flow runs [-h] [RUNS OPTIONS] [EXPERIMENT]" in out
    assert out.count("(default: all experiments)") == 1
    assert "(default: None)" not in out
    for command, usage in (
        ("show", "RUN [--json]"),
        ("diff", "RUN_A [RUN_B] [--json] [--code] [--template] [--parent]"),
    ):
        with pytest.raises(SystemExit):
            flow_main([command, "--help"])
        assert f"usage: flow {command} [-h] {usage}" in capsys.readouterr().out


def test_rerun_from_folder_reproduces_config_and_overrides_one_value(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--from-run` restores the exact config; a flag on top changes only that value."""
    assert (
        run_script(ws, "--lr", "0.5", "model:cnn-config", "--model.channels", "4").returncode == 0
    )
    [original] = run_dirs(ws)
    again = run_script(ws, "--from-run", str(original))
    assert again.returncode == 0, again.stderr
    assert "warning" not in again.stderr  # same commit
    changed = run_script(ws, "--from-run", str(original / "config.json"), "--steps", "7")
    assert changed.returncode == 0, changed.stderr
    _, rerun, override = run_dirs(ws)
    assert config_of(rerun) == config_of(original)
    assert config_of(override) == {**config_of(original), "steps": 7}
    assert manifest(rerun)["from_run"] == str(original)

    assert flow(ws, "diff", original.name, override.name, monkeypatch=monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [f"steps  3{' ' * (len(original.name) + 1)}7"]
    assert flow(ws, "diff", original.name, rerun.name, "--json", monkeypatch=monkeypatch) == 0
    assert json.loads(capsys.readouterr().out) == {}


def test_from_run_warns_only_when_the_experiment_folder_changed(ws: Path) -> None:
    """A commit elsewhere in the repository is silent; one in the experiment's folder warns once."""
    assert run_script(ws).returncode == 0
    [original] = run_dirs(ws)
    old = git(ws, "rev-parse", "HEAD")
    (ws / "README.md").write_text("changed\n", encoding="utf-8")
    git(ws, "add", "README.md")
    git(ws, "commit", "-qm", "second")
    again = run_script(ws, "--from-run", str(original))
    assert again.returncode == 0, again.stderr
    assert "warning" not in again.stderr

    (ws / "flows" / "train" / "notes.md").write_text("new file\n", encoding="utf-8")
    untracked = run_script(ws, "--from-run", str(original))
    (ws / "flows" / "train" / "notes.md").unlink()
    run_py = ws / "flows" / "train" / "run.py"
    run_py.write_text(run_py.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    git(ws, "commit", "-qam", "third")
    committed = run_script(ws, "--from-run", str(original))
    for done in (untracked, committed):
        assert done.returncode == 0, done.stderr
        warnings = [line for line in done.stderr.splitlines() if "warning" in line]
        assert warnings == [
            f"run.py: warning: run `{original.name}` ran at commit {old[:12]}; `flows/train` "
            f"has changed since, so results may differ; `flow rerun {original.name}` runs "
            "its exact code"
        ]


def test_from_run_sees_a_changed_folder_past_a_filter_that_cannot_run(
    ws: Path, tmp_path: Path
) -> None:
    """git-lfs set up but missing, a data file changed: an edited experiment still warns."""
    (ws / ".gitattributes").write_text("*.bin filter=lfs -text\n", encoding="utf-8")
    (ws / "weights.bin").write_bytes(b"v1\n")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "data")
    settings = tmp_path / "gitconfig"
    settings.write_text(MISSING_LFS, encoding="utf-8")
    broken = {"GIT_CONFIG_GLOBAL": str(settings)}
    assert run_script(ws, env=broken).returncode == 0
    [original] = run_dirs(ws)
    (ws / "weights.bin").write_bytes(b"v2\n")
    run_py = ws / "flows" / "train" / "run.py"
    run_py.write_text(run_py.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    again = run_script(ws, "--from-run", str(original), env=broken)
    assert again.returncode == 0, again.stderr
    assert "`flows/train` has changed since" in again.stderr


def test_from_run_says_once_when_the_runs_patch_is_not_applied(ws: Path) -> None:
    """A run of uncommitted changes, restarted on the clean tree, gets one line naming the patch."""
    run_py = ws / "flows" / "train" / "run.py"
    committed = run_py.read_text(encoding="utf-8")
    run_py.write_text(committed + "# tweak\n", encoding="utf-8")
    assert run_script(ws).returncode == 0
    [dirty] = run_dirs(ws)
    same = run_script(ws, "--from-run", str(dirty))  # the tweak is still here: same code
    assert same.returncode == 0, same.stderr
    assert "warning" not in same.stderr

    run_py.write_text(committed, encoding="utf-8")
    again = run_script(ws, "--from-run", str(dirty))
    assert again.returncode == 0, again.stderr
    warnings = [line for line in again.stderr.splitlines() if "warning" in line]
    commit = git(ws, "rev-parse", "HEAD")
    assert warnings == [
        f"run.py: warning: run `{dirty.name}` ran at commit {commit[:12]} with uncommitted "
        f"changes (`{dirty / 'uncommitted.patch'}`) that are not applied here; `flows/train` "
        f"has changed since, so results may differ; `flow rerun {dirty.name}` runs its "
        "exact code"
    ]


def test_config_file_naming_unknown_type_or_removed_field_fails_with_path(ws: Path) -> None:
    """A config file with an unregistered type or a removed field fails naming the path."""
    assert run_script(ws).returncode == 0
    [original] = run_dirs(ws)
    config_file = original / "config.json"
    data = config_of(original)
    data["model"]["@type"] = "TransformerConfig"
    config_file.write_text(json.dumps(data), encoding="utf-8")
    done = run_script(ws, "--from-run", str(original))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"run.py: error: cannot start from {config_file}: config.model: unknown " in done.stderr
    assert "`TransformerConfig` is not a registered config" in done.stderr
    assert "registered: " in done.stderr
    assert "CNNConfig" in done.stderr
    assert "MLPConfig" in done.stderr

    data["model"] = {"@type": "MLPConfig", "layers": 2, "dropout": 0.1}
    config_file.write_text(json.dumps(data), encoding="utf-8")
    done = run_script(ws, "--from-run", str(original))
    assert done.returncode == 2
    assert "config.model.dropout: `MLPConfig` has no field `dropout`" in done.stderr
    assert len(run_dirs(ws)) == 1  # no run started

    done = run_script(ws, "--from-run", str(ws / "nowhere"))
    assert done.returncode == 2
    assert "is not a run folder or a `config.json`" in done.stderr


def test_32_processes_started_together_get_32_folders(ws: Path) -> None:
    """Runs starting in the same second never share a folder."""
    (ws / "flows" / "many").mkdir()
    (ws / "flows" / "many" / "run.py").write_text(MINIMAL, encoding="utf-8")
    script = str(ws / "flows" / "many" / "run.py")
    processes = [
        start([sys.executable, script], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(32)
    ]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [process.returncode for process in processes] == [0] * 32, outputs[0][1]
    folders = run_dirs(ws, "many")
    assert len(folders) == 32
    assert {out.decode().strip() for out, _ in outputs} == {folder.name for folder in folders}
    assert {manifest(folder)["status"] for folder in folders} == {"finished"}


def test_failing_run_is_recorded_as_failed(ws: Path) -> None:
    """An exception in the run marks it failed with its summary and keeps the traceback."""
    done = run_script(ws, "--fail")
    assert done.returncode == 1
    assert "ValueError: loss is nan" in done.stderr  # Python still reports it
    [run_dir] = run_dirs(ws)
    record = manifest(run_dir)
    assert record["status"] == "failed"
    assert record["error"]["type"] == "ValueError"
    assert record["error"]["message"] == "loss is nan"
    assert record["ended"] is not None
    assert "ValueError: loss is nan" in (run_dir / "stderr.log").read_text(encoding="utf-8")


@contextlib.contextmanager
def waiting_run(ws: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A run started with `--wait`, once it is inside `record_run`; killed at the end if alive."""
    process = start(
        [sys.executable, ws / "flows" / "train" / "run.py", "--wait"],
        cwd=ws,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == b"ready":
                break
        [run_dir] = run_dirs(ws)
        yield process, run_dir
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate(timeout=60)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_marks_the_run_interrupted_and_restores_the_handler(ws: Path) -> None:
    """SIGTERM ends the run as interrupted by SIGTERM, exit code 143, old handler back."""
    with waiting_run(ws) as (process, run_dir):
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    assert b"handler restored: True" in stderr
    record = manifest(run_dir)
    assert record["status"] == "interrupted"
    assert record["interrupted_by"] == "SIGTERM"
    assert record["ended"] is not None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_marks_the_run_interrupted(ws: Path) -> None:
    """Ctrl-C ends the run as interrupted by SIGINT, in one line, killed by SIGINT.

    No traceback; the exit stays a death by SIGINT, so a shell loop around the run stops.
    """
    with waiting_run(ws) as (process, run_dir):
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGINT
    assert stderr.decode().splitlines()[-1] == (
        f"run.py: interrupted: Ctrl-C; the run is recorded as interrupted in `{run_dir}`"
    )
    assert b"Traceback" not in stderr
    assert manifest(run_dir)["status"] == "interrupted"
    assert manifest(run_dir)["interrupted_by"] == "SIGINT"


SECOND_SIGNAL = """
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

from flows_workspace import record_run

SIGNAL = getattr(signal, sys.argv[1])
MAIN = threading.main_thread().ident
ENDING = {("metrics_writer.py", "close"), ("lifecycle.py", "finish")}


@dataclass
class Config:
    steps: int = 200_000


def ending() -> bool:
    frame = sys._current_frames().get(MAIN)
    while frame is not None:
        if (os.path.basename(frame.f_code.co_filename), frame.f_code.co_name) in ENDING:
            return True
        frame = frame.f_back
    return False


def signal_again() -> None:
    while not ending():
        time.sleep(0.0002)
    os.kill(os.getpid(), SIGNAL)


with record_run(Config(), __file__) as run:
    for step in range(Config.steps):
        run.log(step=step, loss=1.0 / (step + 1))
    threading.Thread(target=signal_again, daemon=True).start()
    os.kill(os.getpid(), SIGNAL)
    time.sleep(60)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_second_signal_while_the_record_is_finished_waits_for_it(ws: Path, name: str) -> None:
    """Ctrl-C (or SIGTERM) twice: the second one arrives once the record is complete.

    It lands while the metrics are written and the manifest finished; the run is still
    recorded as interrupted, with no traceback, and the process ends as that signal ends
    it (killed by SIGINT; exit status 143 for SIGTERM).
    """
    script = ws / "flows" / "twice" / "run.py"
    script.parent.mkdir()
    script.write_text(SECOND_SIGNAL, encoding="utf-8")
    done = run_python(script, name, cwd=ws)
    [run_dir] = run_dirs(ws, "twice")
    record = manifest(run_dir)
    assert (record["status"], record["interrupted_by"]) == ("interrupted", name)
    assert record["metrics"]["loss"]["count"] == 200_000
    assert "Traceback" not in done.stderr
    assert done.returncode == (-signal.SIGINT if name == "SIGINT" else 128 + signal.SIGTERM)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_killed_run_shows_as_died(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run killed without a chance to record its end is listed as `died`, not running."""
    with waiting_run(ws) as (process, run_dir):
        process.kill()
        process.communicate(timeout=60)
    assert manifest(run_dir)["status"] == "running"
    assert flow(ws, "runs", "--json", monkeypatch=monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "died"


def test_flow_show_prints_the_record_and_rejects_unknown_runs(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow show` prints status, commit and config; an unknown run is a one-line error."""
    assert run_script(ws, "--steps", "5").returncode == 0
    [run_dir] = run_dirs(ws)
    assert flow(ws, "show", f"train/{run_dir.name[:15]}", monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert f"run:          train/{run_dir.name}" in out
    assert "status:       finished" in out
    assert f"commit:       {git(ws, 'rev-parse', 'HEAD')[:8]}" in out
    assert "changes:      steps=5" in out
    assert '"steps": 5' in out
    assert flow(ws, "show", str(run_dir), "--json", monkeypatch=monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)["config"]["steps"] == 5
    assert flow(ws, "show", "nope", monkeypatch=monkeypatch) == 2
    err = capsys.readouterr().err
    assert err.startswith("flow: error: no run `nope` in ")
    assert err.count("\n") == 1


def test_started_run_is_listed_while_running(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run in progress is listed as running, with its commit once the details are in."""
    with waiting_run(ws) as (_, run_dir):
        deadline = time.monotonic() + 60
        while not manifest(run_dir)["details_recorded"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flow(ws, "runs", "--json", monkeypatch=monkeypatch) == 0
        [listed] = json.loads(capsys.readouterr().out)
        assert listed["status"] == "running"
        assert listed["commit"] == git(ws, "rev-parse", "HEAD")


def test_unsaveable_config_leaves_no_run_folder(ws: Path) -> None:
    """A config that cannot be saved fails before any folder is made."""
    script = textwrap.dedent(
        """
        from dataclasses import dataclass
        from config_utils.serialization import SerializationError
        from flows_workspace import record_run

        @dataclass
        class A:
            x: int = 1

        @dataclass
        class B:
            y: int = 2

        @dataclass
        class Config:
            part: A | B

        try:
            with record_run(Config(B()), __file__):
                pass
        except SerializationError as error:
            print(error)
        """
    )
    (ws / "flows" / "bad").mkdir()
    (ws / "flows" / "bad" / "run.py").write_text(script, encoding="utf-8")
    done = run_script(ws, experiment="bad")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("config.part: `B` fills a field typed `A | B`")
    assert not (ws / "logs" / "bad").exists() or not run_dirs(ws, "bad")


@pytest.mark.parametrize(("code", "status"), [(0, "finished"), (3, "failed")])
def test_sys_exit_inside_a_run_is_finished_or_failed_by_its_code(
    ws: Path, code: int, status: str
) -> None:
    """`sys.exit(0)` in a run is a finished run; another code is a failure with that code."""
    script = MINIMAL.replace("    print(run.id)", f"    import sys\n    sys.exit({code})")
    (ws / "flows" / "exits").mkdir()
    (ws / "flows" / "exits" / "run.py").write_text(script, encoding="utf-8")
    done = run_script(ws, experiment="exits")
    assert done.returncode == code
    [run_dir] = run_dirs(ws, "exits")
    record = manifest(run_dir)
    assert record["status"] == status
    if code:
        assert record["error"]["type"] == "SystemExit"
        assert record["error"]["message"] == str(code)
        assert "Traceback" not in (run_dir / "stderr.log").read_text(encoding="utf-8")


def test_patch_holds_new_untracked_experiment_and_applies_on_the_commit(
    ws: Path, tmp_path: Path
) -> None:
    """The patch adds untracked files (big ones listed instead); `git apply` restores the tree."""
    new_run = ws / "flows" / "m4" / "run.py"
    new_run.parent.mkdir()
    new_run.write_text(EXPERIMENT + "# m4\n", encoding="utf-8")
    (ws / "data.bin").write_bytes(b"\0" * 1_500_000)
    (ws / "flows" / "train" / "run.py").write_text(EXPERIMENT + "# tweak\n", encoding="utf-8")
    done = run_script(ws, experiment="m4")
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(ws, "m4")
    recorded = manifest(run_dir)["git"]
    assert recorded["dirty"] is True
    assert recorded["untracked"] == ["data.bin", "flows/m4/run.py"]
    assert recorded["not_in_patch"] == ["data.bin"]
    assert git(ws, "diff", "--cached", "--name-only") == ""  # the real index is untouched

    copy = tmp_path / "copy"
    git(tmp_path, "clone", "-q", str(ws), str(copy))
    git(copy, "checkout", "-q", recorded["commit"])
    git(copy, "apply", str(run_dir / "uncommitted.patch"))
    assert (copy / "flows" / "m4" / "run.py").read_text(encoding="utf-8") == EXPERIMENT + "# m4\n"
    train = (copy / "flows" / "train" / "run.py").read_text(encoding="utf-8")
    assert train == EXPERIMENT + "# tweak\n"
    assert not (copy / "data.bin").exists()
    assert not (copy / "logs").exists()  # the run's own folder is not code


def test_an_unignored_venv_stays_out_of_the_patch(ws: Path) -> None:
    """Past the untracked-file count cap only tracked changes are patched; all are listed."""
    from flows_workspace.runs.git_state import UNTRACKED_COUNT_CAP

    venv = ws / ".venv" / "lib"
    venv.mkdir(parents=True)
    for index in range(UNTRACKED_COUNT_CAP + 1):
        (venv / f"m{index}.py").write_text("x = 1\n", encoding="utf-8")
    (ws / "flows" / "train" / "run.py").write_text(EXPERIMENT + "# tweak\n", encoding="utf-8")
    done = run_script(ws)
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(ws)
    recorded = manifest(run_dir)["git"]
    assert recorded["not_in_patch_count"] == UNTRACKED_COUNT_CAP + 1
    patch = (run_dir / "uncommitted.patch").read_text(encoding="utf-8")
    assert "+# tweak" in patch
    assert ".venv" not in patch


def test_repo_without_commits_patches_from_the_empty_tree(ws: Path, tmp_path: Path) -> None:
    """Before the first commit the patch holds every file, staged or not; it applies on nothing."""
    fresh = tmp_path / "fresh"
    (fresh / "flows" / "train").mkdir(parents=True)
    (fresh / "flows.toml").write_text("", encoding="utf-8")
    (fresh / "flows" / "train" / "run.py").write_text(EXPERIMENT, encoding="utf-8")
    git(fresh, "init", "-q")
    git(fresh, "add", "flows.toml")  # staged before the first commit; run.py untracked
    done = run_script(fresh)
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(fresh)
    recorded = manifest(run_dir)["git"]
    assert recorded["commit"] is None
    assert recorded["dirty"] is True
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", str(empty))
    git(empty, "apply", str(run_dir / "uncommitted.patch"))
    assert sorted(
        p.relative_to(empty).as_posix()
        for p in empty.rglob("*")
        if p.is_file() and ".git" not in p.parts
    ) == ["flows.toml", "flows/train/run.py"]


def test_help_or_a_bad_flag_leaves_nothing_behind(ws: Path, tmp_path: Path) -> None:
    """`--help` and a bad flag end before the run: no run folder, no scratch file."""
    (ws / "notes.py").write_text("untracked = True\n", encoding="utf-8")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    helped = run_script(ws, "--help", env={"TMPDIR": str(scratch)})
    assert helped.returncode == 0, helped.stderr
    assert "--lr" in helped.stdout
    refused = run_script(ws, "--nope", env={"TMPDIR": str(scratch)})
    assert refused.returncode == 2
    assert list(scratch.iterdir()) == []
    assert not (ws / "logs").exists()


def test_run_outside_git_prints_one_note_and_inside_git_none(ws: Path, tmp_path: Path) -> None:
    """Outside git a run notes once on stderr that it records no code version; in git, silence."""
    plain = tmp_path / "plain"
    (plain / "flows" / "train").mkdir(parents=True)
    (plain / "flows.toml").write_text("", encoding="utf-8")
    (plain / "flows" / "train" / "run.py").write_text(MINIMAL, encoding="utf-8")
    done = run_script(plain, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"run.py: note: `{plain.resolve()}` is not a git repository, so this run records no "
        "code version; run `git init` there to record it"
    ]
    assert manifest(run_dirs(plain)[0])["git"] is None
    in_git = run_script(ws)
    assert in_git.returncode == 0, in_git.stderr
    assert "note:" not in in_git.stderr


def test_a_script_deeper_in_an_experiment_runs_for_it_and_one_outside_any_is_refused(
    ws: Path,
) -> None:
    """`flows/train/scripts/x.py` records into `logs/train`; outside `flows/<exp>/`: exit 2.

    A script beside `flows/` or directly in it has no experiment: one line, no folder made.
    """
    deeper = ws / "flows" / "train" / "scripts" / "evaluate.py"
    deeper.parent.mkdir()
    deeper.write_text(MINIMAL, encoding="utf-8")
    done = run_python(deeper, cwd=ws)
    assert done.returncode == 0, done.stderr
    [run_dir] = run_dirs(ws)
    assert manifest(run_dir)["experiment"] == "train"
    assert sorted(path.name for path in (ws / "logs").iterdir() if path.is_dir()) == ["train"]
    for outside in (ws / "analysis.py", ws / "flows" / "loose.py", ws / "data" / "x" / "run.py"):
        outside.parent.mkdir(parents=True, exist_ok=True)
        outside.write_text(MINIMAL, encoding="utf-8")
        refused = run_python(outside, cwd=ws)
        assert refused.returncode == 2
        assert refused.stderr.splitlines() == [
            f"{outside.name}: error: `{outside.resolve()}` is not in an experiment's folder "
            f"(`{ws.resolve() / 'flows'}/<experiment>/`), so its runs would belong to no "
            "experiment; "
            "move it into one (`flow create NAME` makes one)"
        ]
    assert sorted(path.name for path in (ws / "logs").iterdir() if path.is_dir()) == ["train"]


def test_run_py_outside_a_workspace_is_a_one_line_error(tmp_path: Path) -> None:
    """A run.py with no flows.toml above exits 2 with one line; FLOWS_DEBUG=1 shows a traceback."""
    script = tmp_path / "elsewhere" / "run.py"
    script.parent.mkdir()
    script.write_text(MINIMAL, encoding="utf-8")

    def run(debug: str) -> subprocess.CompletedProcess[str]:
        return run_python(script, cwd=tmp_path, env={"FLOWS_DEBUG": debug})

    done = run("")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"run.py: error: `{script.resolve()}` is not inside a flows workspace (no `flows.toml` "
        "above it), so its runs have nowhere to go; move it into a workspace's flows/ folder "
        "or run `flow init` in a folder above it"
    ]
    debug = run("1")
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert "WorkspaceNotFoundError" in debug.stderr


def test_from_run_takes_a_run_id_its_start_or_experiment_slash_id(ws: Path) -> None:
    """`--from-run` finds runs as `flow show` does: id, id start, EXPERIMENT/RUN_ID."""
    assert run_script(ws, "--lr", "0.5").returncode == 0
    [original] = run_dirs(ws)
    # The id start first: later runs could share it.
    for reference in (original.name[:15], original.name, f"train/{original.name}"):
        again = run_script(ws, "--from-run", reference)
        assert again.returncode == 0, again.stderr
        assert again.stderr == "to stderr\n"  # no error, no warning
    for rerun in run_dirs(ws)[1:]:
        assert config_of(rerun) == config_of(original)
        assert manifest(rerun)["from_run"] == str(original)
    missing = run_script(ws, "--from-run", "nope")
    assert missing.returncode == 2
    assert missing.stderr.startswith("run.py: error: no run `nope` in ")
    assert missing.stderr.count("\n") == 1


def train_then_add_other(ws: Path, script: str) -> list[Path]:
    """One run of `train` (`--steps 9`), then an experiment `other` running `script`."""
    assert run_script(ws, "--steps", "9").returncode == 0
    other = ws / "flows" / "other" / "run.py"
    other.parent.mkdir()
    other.write_text(script, encoding="utf-8")
    return run_dirs(ws)


def test_from_run_of_another_experiment_warns_naming_both(ws: Path) -> None:
    """Starting from another experiment's run works but prints one warning naming both."""
    [original] = train_then_add_other(ws, EXPERIMENT)
    done = run_script(ws, "--from-run", f"train/{original.name}", experiment="other")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"run.py: warning: run `{original.name}` is a run of experiment `train`, not "
        "`other`; starting from its config anyway",
        "to stderr",
    ]
    [borrowed] = run_dirs(ws, "other")
    assert config_of(borrowed)["steps"] == 9


NO_DEFAULTS = """
from dataclasses import dataclass

from flows_workspace import parse_run, record_run


@dataclass
class Config:
    lr: float
    steps: int


parsed = parse_run(Config)
with record_run(parsed, __file__):
    pass
"""


def test_runs_table_and_json_agree_on_changes_without_defaults(
    ws: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """For a config with no defaults, `flow show` and `flow runs --json` list every value."""
    (ws / "flows" / "bare").mkdir()
    (ws / "flows" / "bare" / "run.py").write_text(NO_DEFAULTS, encoding="utf-8")
    done = run_script(ws, "--lr", "0.5", "--steps", "3", experiment="bare")
    assert done.returncode == 0, done.stderr
    assert flow(ws, "show", "last", monkeypatch=monkeypatch) == 0
    assert "changes:      lr=0.5 steps=3\n" in capsys.readouterr().out
    assert flow(ws, "runs", "bare", "--json", monkeypatch=monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)[0]["changes"] == {"lr": 0.5, "steps": 3}


OTHER_CONFIG = """
from dataclasses import dataclass

from flows_workspace import parse_run, record_run


@dataclass
class Config:
    data: str = "mnist"


parsed = parse_run(Config)
with record_run(parsed, __file__):
    pass
"""


def test_from_run_last_in_run_py_is_the_experiments_own_last(ws: Path) -> None:
    """In run.py `last` is that experiment's newest run; another's misfit config is named so."""
    [own] = train_then_add_other(ws, OTHER_CONFIG)
    assert run_script(ws, experiment="other").returncode == 0  # the workspace's newest run
    [theirs] = run_dirs(ws, "other")
    again = run_script(ws, "--from-run", "last")
    assert again.returncode == 0, again.stderr
    assert manifest(run_dirs(ws)[-1])["from_run"] == str(own)
    misfit = run_script(ws, "--from-run", theirs.name)
    assert misfit.returncode == 2
    assert misfit.stderr == (
        f"run.py: error: run `{theirs.name}` is a run of experiment `other`, whose config "
        "does not fit this run.py; give a run of `train` (e.g. `train/last`)\n"
    )
    # A copy of one of its own runs kept outside the logs (a backup) is no other
    # experiment's: its own damage is what the line names.
    backup = ws.parent / "backup" / own.name
    shutil.copytree(own, backup)
    (backup / "config.json").write_text('{"steps": "x"}', encoding="utf-8")
    damaged = run_script(ws, "--from-run", str(backup))
    assert damaged.returncode == 2
    assert damaged.stderr.startswith(f"run.py: error: cannot start from {backup / 'config.json'}")
