"""The local launcher's forked variations behave as `python run.py ARGS` would, end to end.

An experiment whose `run.py` is a probe (no tyro: it reads its own argv) is swept with
`flow sweep`; each variation's output and exit status are compared with the same command
run by a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
import subprocesses
from flows_workspace.sweeps.launchers.local import LocalLauncher
from flows_workspace.sweeps.launchers.resources import Resources
from flows_workspace.sweeps.launchers.task import Task

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals")

PROBE = '''
import atexit
import json
import os
import signal
import sys
import threading
import time

MODE = sys.argv[sys.argv.index("--mode") + 1] if "--mode" in sys.argv else "facts"


def facts():
    """What a script can see of how it was started."""
    fds = sorted(os.listdir("/proc/self/fd"), key=int) if os.path.isdir("/proc/self/fd") else None
    return {
        "argv": sys.argv,
        "orig_argv": sys.orig_argv,
        "name": __name__,
        "file": __file__,
        "spec": repr(__spec__),
        "main_module": sys.modules["__main__"].__dict__ is globals(),
        "cwd": os.getcwd(),
        "path": sys.path,
        "stdin": [sys.stdin.read(), sys.stdin.name],
        "streams": [
            [s.name, s.encoding, s.errors, s.line_buffering, s.isatty(), s.seekable()]
            for s in (sys.stdout, sys.stderr)
        ],
        "signals": {
            name: repr(signal.getsignal(getattr(signal, name)))
            for name in ("SIGINT", "SIGTERM", "SIGCHLD", "SIGPIPE", "SIGHUP", "SIGUSR1")
        },
        "fds": fds,
        "main_thread": threading.current_thread() is threading.main_thread(),
        "threads": threading.active_count(),
        "hooks": [sys.excepthook is sys.__excepthook__, sys.stdout is sys.__stdout__],
        "probe_var": os.environ.get("PROBE_VAR"),
    }


def late_thread():
    time.sleep(0.3)
    print("non-daemon thread ended", flush=True)


if MODE == "facts":
    print(json.dumps(facts()))
    print("session leader" if os.getsid(0) == os.getpid() else "not a session leader")
elif MODE == "exit3":
    sys.exit(3)
elif MODE == "text":
    sys.exit("a message as exit status")
elif MODE == "raise":
    def fail():
        raise ValueError("the probe fails")
    fail()
elif MODE == "interrupt":
    raise KeyboardInterrupt
elif MODE == "shutdown":
    atexit.register(print, "atexit handler ran")
    threading.Thread(target=late_thread).start()
    print("main module ended")
elif MODE == "unclosed":
    _kept = open(os.environ["PROBE_FILE"], "w")  # never closed: the interpreter flushes it
    _kept.write("buffered, never closed\\n")
elif MODE == "park":
    with open(os.environ["PROBE_PARKED"], "w") as parked:
        parked.write(str(os.getppid()))
    while True:
        time.sleep(0.05)
'''

MODES = ("facts", "exit3", "text", "raise", "interrupt", "shutdown")


def flow(
    ws: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `flow ARGV` from the workspace root."""
    return subprocesses.run_flow(*argv, cwd=ws, env=env)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with an experiment `probe` whose run.py is the probe script."""
    root = tmp_path_factory.mktemp("fork") / "ws"
    assert flow(root.parent, "init", str(root), "--no-install").returncode == 0
    assert flow(root, "create", "probe", "--template", "minimal").returncode == 0
    (root / "flows" / "probe" / "run.py").write_text(PROBE, encoding="utf-8")
    return root


def _only_sweep(ws: Path, before: set[Path]) -> Path:
    [folder] = set((ws / "logs" / "probe" / "sweeps").iterdir()) - before
    return folder


def _sweeps(ws: Path) -> set[Path]:
    folder = ws / "logs" / "probe" / "sweeps"
    return set(folder.iterdir()) if folder.is_dir() else set()


def _fresh(ws: Path, script: Path, args: list[str], output: Path, env: dict[str, str]) -> int:
    """Run `python SCRIPT ARGS` in a new interpreter, output to `output`; its exit code."""
    with output.open("wb") as stream:
        process = subprocesses.start(
            [sys.executable, str(script), *args],
            cwd=ws,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )
        return process.wait(timeout=120)


def test_each_variation_behaves_as_a_fresh_interpreter(ws: Path) -> None:
    """A forked variation's argv, __main__, paths, streams, signals, env and exits are fresh."""
    before = _sweeps(ws)
    done = flow(ws, "sweep", "probe", "-p", f"mode={','.join(MODES)}", env={"PROBE_VAR": "set"})
    assert done.returncode == 1, done.stderr  # three modes fail on purpose
    sweep = _only_sweep(ws, before)
    record = json.loads((sweep / "sweep.json").read_text(encoding="utf-8"))
    snapshot = sweep / record["code"]["folder"] / "run.py"
    for index, mode in enumerate(MODES):
        args = record["variations"][index]["args"]
        assert args == ["--mode", mode]
        forked = (sweep / "output" / f"{index}.log").read_text(encoding="utf-8")
        forked_code = int((sweep / "output" / f"{index}.log.exit").read_text(encoding="utf-8"))
        reference = sweep.parent / f"fresh-{index}.log"
        fresh_code = _fresh(ws, snapshot, args, reference, {"PROBE_VAR": "set"})
        fresh = reference.read_text(encoding="utf-8")
        assert (mode, forked_code) == (mode, fresh_code)
        if mode == "facts":
            forked_facts, forked_session = forked.splitlines()
            fresh_facts, _ = fresh.splitlines()
            assert json.loads(forked_facts) == json.loads(fresh_facts)
            assert json.loads(forked_facts)["probe_var"] == "set"
            assert forked_session == "session leader"
        else:
            assert forked == fresh
    codes = {mode: record["variations"][i]["status"] for i, mode in enumerate(MODES)}
    assert codes == {
        "facts": "finished",
        "exit3": "failed",
        "text": "failed",
        "raise": "failed",
        "interrupt": "interrupted",
        "shutdown": "finished",
    }


def test_exits_match_the_interpreter_s_rules(ws: Path) -> None:
    """Exit 3, a text exit, an exception, Ctrl-C and a joined thread then atexit, as CPython."""
    before = _sweeps(ws)
    modes = ("exit3", "text", "raise", "interrupt", "shutdown")
    flow(ws, "sweep", "probe", "-p", f"mode={','.join(modes)}", "--jobs", "1")
    sweep = _only_sweep(ws, before)
    outputs = [(sweep / "output" / f"{i}.log").read_text(encoding="utf-8") for i in range(5)]
    codes = [int((sweep / "output" / f"{i}.log.exit").read_text()) for i in range(5)]
    assert codes == [3, 1, 1, -signal.SIGINT, 0]
    assert outputs[0] == ""
    assert outputs[1] == "a message as exit status\n"
    assert outputs[2].startswith("Traceback (most recent call last):\n  File ")
    assert ", in <module>\n" in outputs[2].splitlines()[1] + "\n"
    assert outputs[2].endswith("ValueError: the probe fails\n")
    assert outputs[3].endswith("KeyboardInterrupt\n")
    assert outputs[4] == "main module ended\nnon-daemon thread ended\natexit handler ran\n"


def test_a_file_the_script_leaves_open_keeps_what_it_wrote(ws: Path, tmp_path: Path) -> None:
    """A file written and never closed is flushed at the end, as a new interpreter does."""
    kept = tmp_path / "kept.txt"
    done = flow(ws, "sweep", "probe", "-p", "mode=unclosed", env={"PROBE_FILE": str(kept)})
    assert done.returncode == 0, done.stderr
    assert kept.read_text(encoding="utf-8") == "buffered, never closed\n"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_crash_of_the_server_is_one_line_and_its_variations_interrupted(
    ws: Path, tmp_path: Path
) -> None:
    """A killed server: its variations are interrupted, `flow sweep` says so in one line."""
    before = _sweeps(ws)
    parked = tmp_path / "parked"
    process = subprocesses.start(
        [sys.executable, "-m", "flows_workspace", "sweep", "probe", "-p", "mode=park,facts",
         "--jobs", "1"],
        cwd=ws,
        env={"PROBE_PARKED": str(parked)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        _wait_for(lambda: parked.is_file() and parked.read_text() != "", "the parked variation")
        server = int(parked.read_text())
        os.kill(server, signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 1
    [line] = [text for text in stderr.splitlines() if not text.startswith("flow: note:")]
    assert f"pid {server}) was killed by SIGKILL" in line
    sweep = _only_sweep(ws, before)
    assert f"`flow sweep resume {sweep.name}`" in line
    record = json.loads((sweep / "sweep.json").read_text(encoding="utf-8"))
    assert [v["status"] for v in record["variations"]] == ["interrupted", "interrupted"]


def test_a_variable_read_at_start_gets_a_new_interpreter(tmp_path: Path) -> None:
    """A variation setting PYTHONHASHSEED (read at start) gets an interpreter with that seed."""
    probe = tmp_path / "probe.py"
    probe.write_text("import sys\nprint(hash('flows'), sys.flags.hash_randomization)\n")
    finished: dict[int, int | None] = {}

    class Events:
        def started(self, index: int, job_id: str) -> None:
            del index, job_id

        def finished(self, index: int, exit_code: int | None) -> None:
            finished[index] = exit_code

    tasks = [
        Task(index, (sys.executable, str(probe)), (("PYTHONHASHSEED", seed),), str(tmp_path),
             str(tmp_path / f"{index}.log"))
        for index, seed in enumerate(("7", "0"))
    ]  # fmt: skip
    LocalLauncher(Resources(jobs=2)).run(tasks, Events())
    assert finished == {0: 0, 1: 0}
    for index, seed in enumerate(("7", "0")):
        fresh = subprocesses.run_python(probe, env={"PYTHONHASHSEED": seed}, check=True)
        assert (tmp_path / f"{index}.log").read_text() == fresh.stdout


def _default_experiment(tmp_path: Path) -> Path:
    """A workspace `tmp_path/ws` with `exp1` from the default template."""
    root = tmp_path / "ws"
    assert flow(tmp_path, "init", str(root), "--no-install").returncode == 0
    assert flow(root, "create", "exp1").returncode == 0
    return root


def test_a_default_template_variation_imports_nothing_the_server_has_not(
    tmp_path: Path,
) -> None:
    """The server preloads every module of tyro, config-utils and flows-workspace a run uses."""
    root = _default_experiment(tmp_path)
    run_py = root / "flows" / "exp1" / "run.py"
    listing = tmp_path / "imported.json"
    run_py.write_text(
        "import sys as _sys\n_preloaded = set(_sys.modules)\n"
        + run_py.read_text(encoding="utf-8")
        + "\nimport json as _json, os as _os\n"
        "with open(_os.environ['PROBE_IMPORTED'], 'w') as _out:\n"
        "    _json.dump(sorted(set(_sys.modules) - _preloaded), _out)\n",
        encoding="utf-8",
    )
    done = flow(root, "sweep", "exp1", "-p", "steps=2", env={"PROBE_IMPORTED": str(listing)})
    assert done.returncode == 0, done.stderr
    ours = ("flows_workspace", "config_utils", "tyro", "typeguard")
    late = [name for name in json.loads(listing.read_text()) if name.split(".")[0] in ours]
    assert late == [], f"add these to RUN_MODULES in sweeps/launchers/preload.py: {late}"


def test_variations_checked_in_several_processes_report_the_first_bad_one(
    tmp_path: Path,
) -> None:
    """Checked in two processes, 17 variations: the bad one in the second is named, exit 2."""
    root = _default_experiment(tmp_path)
    steps = [str(n) for n in range(1, 17)]
    good = flow(root, "sweep", "exp1", "-p", f"steps={','.join(steps)}", "--jobs", "2", "--dry-run")
    assert good.returncode == 0, good.stderr
    assert "16 variations of exp1" in good.stdout
    bad = flow(root, "sweep", "exp1", "-p", f"steps={','.join([*steps, 'x'])}", "--jobs", "2")
    assert bad.returncode == 2
    assert bad.stderr.startswith("flow: error: variation `--steps x` is not accepted by `run.py`")
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (root / "logs" / "exp1" / "sweeps").exists()
