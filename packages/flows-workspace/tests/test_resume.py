"""`run.py --resume RUN`: a run continues in its own folder, in real processes."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from subprocesses import run_flow, run_python, start

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

EXPERIMENT = '''
import json
import sys
import time
from dataclasses import dataclass

from flows_workspace import parse_run, record_run


@dataclass
class Config:
    """Count to `steps`, one checkpoint per step; wait at `wait_at` (to be stopped there)."""

    steps: int = 5
    wait_at: int = -1


if __name__ == "__main__":
    parsed = parse_run(Config)
    with record_run(parsed, __file__) as run:
        latest = run.latest_checkpoint("step-*.json")
        step = json.loads(latest.read_text()) if latest else 0
        print(f"start at {step} resuming={run.resuming}", flush=True)
        print(f"status {json.loads((run.dir / 'manifest.json').read_text())['status']}")
        print("to stderr", file=sys.stderr, flush=True)
        while step < parsed.config.steps:
            step += 1
            (run.checkpoint_dir / f"step-{step:03d}.json").write_text(json.dumps(step))
            if step == parsed.config.wait_at:
                print("waiting", flush=True)
                time.sleep(60)
        print(f"done at {step}", flush=True)
'''


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace (no git) with experiment `count`."""
    root = tmp_path / "ws"
    (root / "flows" / "count").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / "flows" / "count" / "run.py").write_text(EXPERIMENT, encoding="utf-8")
    return root


def script(ws: Path) -> Path:
    """The experiment's run.py."""
    return ws / "flows" / "count" / "run.py"


def manifest(run_dir: Path) -> dict[str, Any]:
    """The parsed manifest of a run folder."""
    data: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


@contextlib.contextmanager
def waiting_run(ws: Path, step: int) -> Iterator[subprocess.Popen[bytes]]:
    """A run waiting at `step`; SIGTERMed (and so recorded interrupted) on leaving."""
    process = start(
        [sys.executable, script(ws), "--wait-at", str(step)], cwd=ws, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    with process.stdout:
        try:
            for line in process.stdout:
                if line.strip() == b"waiting":
                    break
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(60)


def stopped_run(ws: Path) -> Path:
    """A run stopped with SIGTERM at step 2 (recorded interrupted)."""
    with waiting_run(ws, 2):
        pass
    [run_dir] = (ws / "logs" / "count").iterdir()
    assert manifest(run_dir)["status"] == "interrupted"
    return run_dir


def test_resumed_run_continues_in_its_folder_with_its_id_and_appends_its_output(ws: Path) -> None:
    """Same folder and id, `resumed` while running, then finished; logs appended; times kept.

    A finished run is not resumed again (one line pointing at `--from-run`).
    """
    run_dir = stopped_run(ws)
    first = manifest(run_dir)
    done = run_python(script(ws), "--resume", str(run_dir), cwd=ws)
    assert done.returncode == 0, done.stderr
    assert "start at 2 resuming=True\nstatus resumed\n" in done.stdout
    assert list((ws / "logs" / "count").iterdir()) == [run_dir]
    resumed = manifest(run_dir)
    assert resumed["run_id"] == first["run_id"] == run_dir.name
    assert resumed["started"] == first["started"]
    assert resumed["status"] == "finished"
    assert resumed["interrupted_by"] is None
    assert len(resumed["resumed"]) == 1
    out = (run_dir / "stdout.log").read_text(encoding="utf-8")
    assert out.index("start at 0 resuming=False") < out.index("start at 2 resuming=True")
    assert out.endswith("done at 5\n")
    assert (run_dir / "stderr.log").read_text(encoding="utf-8").count("to stderr") == 2

    again = run_python(script(ws), f"--resume={run_dir.name}", cwd=ws)  # by id, finished
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == (
        f"run.py: error: run `{run_dir.name}` has finished, so there is nothing to resume; "
        f"start a new run from its config with `--from-run {run_dir.name}`\n"
    )
    assert manifest(run_dir) == resumed


def test_flow_show_says_when_a_run_was_resumed(ws: Path) -> None:
    """`flow show` of a resumed run lists when it was resumed; a run never resumed says nothing."""
    run_dir = stopped_run(ws)
    assert "resumed:" not in run_flow("show", f"count/{run_dir.name}", cwd=ws).stdout
    assert run_python(script(ws), "--resume", str(run_dir), cwd=ws).returncode == 0
    shown = run_flow("show", f"count/{run_dir.name}", cwd=ws)
    assert shown.returncode == 0, shown.stderr
    [when] = manifest(run_dir)["resumed"]
    assert f"resumed:      1 time(s), at {when}" in shown.stdout.splitlines()


def test_resume_is_refused_with_one_line_while_running_unknown_or_changed(ws: Path) -> None:
    """A running run, an unknown run, changed flags, both flags: one line, exit 2, nothing run."""
    with waiting_run(ws, 1) as process:
        [run_dir] = (ws / "logs" / "count").iterdir()
        refused = run_python(script(ws), "--resume", str(run_dir), cwd=ws)
        assert refused.returncode == 2
        assert refused.stderr == (
            f"run.py: error: run `{run_dir.name}` is still running (process {process.pid} on "
            f"{manifest(run_dir)['hostname']}); resume it once it has stopped\n"
        )

    for args, message in [
        (("--resume", "nope"), "run.py: error: no run `nope` in "),
        (
            ("--resume", str(run_dir), "--steps", "9"),
            f"run.py: error: `--resume {run_dir.name}` continues the run with its own config, "
            "but the other arguments change it (steps=9); drop them, or start a new run with "
            "`--from-run`",
        ),
        (
            ("--resume", str(run_dir), "--from-run", str(run_dir)),
            "run.py: error: give `--from-run` or `--resume`, not both",
        ),
    ]:
        done = run_python(script(ws), *args, cwd=ws)
        assert done.returncode == 2
        assert done.stderr.startswith(message)
        assert done.stderr.count("\n") == 1
    assert manifest(run_dir)["status"] == "interrupted"
    assert manifest(run_dir)["resumed"] == []
    assert list((ws / "logs" / "count").iterdir()) == [run_dir]
