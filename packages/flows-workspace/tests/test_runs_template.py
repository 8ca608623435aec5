"""The `default` template's run.py, as rendered, records runs that can be listed and rerun."""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
from flows_workspace import load_runs
from flows_workspace.cli import main as flow_main
from flows_workspace.results.metrics import MetricsFile
from subprocesses import git, run_python, start

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path


def _run(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(ws / "flows" / "fit" / "run.py", *args, cwd=ws)


def _config(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    return data


def test_default_template_run_is_recorded_listed_and_reproduced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A default-template run gets its folder; `--from-run` reproduces it; a flag changes one."""
    ws = tmp_path / "research"
    assert flow_main(["init", str(ws), "--no-install"]) == 0
    monkeypatch.chdir(ws)
    assert flow_main(["create", "fit"]) == 0
    assert "record_run(parsed, __file__)" in (ws / "flows/fit/run.py").read_text(encoding="utf-8")
    git(ws, "init", "-q")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "fit")
    (ws / "flows" / "fit" / "README.md").write_text("edited\n", encoding="utf-8")

    done = _run(ws, "model:quadratic", "optimizer:momentum", "--steps", "20")
    assert done.returncode == 0, done.stderr
    [first] = sorted((ws / "logs" / "fit").iterdir())
    assert {p.name for p in first.iterdir()} >= {
        "config.json",
        "manifest.json",
        "uncommitted.patch",
        "stdout.log",
        "stderr.log",
        "metrics.jsonl",
        "params.json",
    }
    assert "final loss" in (first / "stdout.log").read_text(encoding="utf-8")
    assert _config(first)["model"]["@type"] == "QuadraticConfig"
    assert _config(first)["optimizer"]["@type"] == "MomentumConfig"

    assert _run(ws, "--from-run", str(first)).returncode == 0
    assert _run(ws, "--from-run", str(first), "--steps", "7").returncode == 0
    _, again, changed = sorted((ws / "logs" / "fit").iterdir())
    assert _config(again) == _config(first)
    assert _config(changed) == {**_config(first), "steps": 7}
    assert MetricsFile.read(again).columns == MetricsFile.read(first).columns
    assert MetricsFile.read(first).steps == list(range(20))

    capsys.readouterr()
    assert flow_main(["runs", "fit"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows] == [first.name, again.name, changed.name]
    assert all(" finished " in row for row in rows)
    # Only what varies among the runs is shown, as flags; then the metrics.
    assert header.split() == [
        "RUN",
        "STATUS",
        "START",
        "DURATION",
        "COMMIT",
        "steps",
        "loss",
        "final_loss",
    ]
    assert " --steps=7 " in rows[2]
    assert " --steps=20 " in rows[0]


def test_default_template_run_killed_and_resumed_ends_as_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seeded run SIGKILLed mid-training, then `--resume`d, ends exactly as one never stopped."""
    args = ("optimizer:momentum", "--steps", "3000", "--checkpoint-every", "100")
    whole, resumed = _killed_and_resumed(tmp_path, monkeypatch, "default", args, "step-*.json")
    assert "resuming at step " in (resumed / "stdout.log").read_text(encoding="utf-8")
    assert _final(resumed) == _final(whole)
    assert _final_loss_line(resumed) == _final_loss_line(whole)


def test_default_template_run_interrupted_and_resumed_logs_each_step_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps logged past the last checkpoint before a stop are superseded by the resumed run's.

    The metrics file, the manifest's summaries and `history()` then hold each step once,
    as an uninterrupted run does.
    """
    ws = tmp_path / "research"
    assert flow_main(["init", str(ws), "--no-install"]) == 0
    monkeypatch.chdir(ws)
    assert flow_main(["create", "fit"]) == 0
    args = ("--steps", "200000", "--checkpoint-every", "1000")
    process = start([sys.executable, ws / "flows" / "fit" / "run.py", *args], cwd=ws)
    try:
        stopped = _wait_for_first_checkpoint(ws / "logs" / "fit", process, "step-*.json")
        while max(MetricsFile.read(stopped).steps, default=0) <= 1000:
            time.sleep(0.05)  # logged past the checkpoint (and written out)
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    finally:
        process.kill()
        process.wait()
    assert json.loads((stopped / "manifest.json").read_text())["status"] == "interrupted"
    done = _run(ws, "--resume", str(stopped))
    assert done.returncode == 0, done.stderr

    history = MetricsFile.read(stopped)
    assert history.steps == list(range(200000))
    loss = json.loads((stopped / "manifest.json").read_text())["metrics"]["loss"]
    assert (loss["count"], loss["last_step"]) == (200000, 199999)
    assert loss["last"] == history.columns["loss"][-1]
    [record] = load_runs(runs=[str(stopped)], root=ws)
    assert record.history().steps == list(range(200000))


def test_default_template_keeps_two_checkpoints_of_constant_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old checkpoints are pruned to the latest two, each holding step, params, optimizer only."""
    ws = tmp_path / "research"
    assert flow_main(["init", str(ws), "--no-install"]) == 0
    monkeypatch.chdir(ws)
    assert flow_main(["create", "fit"]) == 0
    done = _run(ws, "optimizer:momentum", "--steps", "2000", "--checkpoint-every", "10")
    assert done.returncode == 0, done.stderr
    [run_dir] = (ws / "logs" / "fit").iterdir()
    kept = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert kept == ["step-001980.json", "step-001990.json"]  # of 199 written
    state = json.loads((run_dir / "checkpoints" / kept[-1]).read_text(encoding="utf-8"))
    assert set(state) == {"step", "params", "optimizer"}  # no list growing with the steps
    assert set(state["optimizer"]) == {"lr", "beta", "velocity"}
    assert len(state["params"]) == len(state["optimizer"]["velocity"]) == 2


@pytest.mark.torch
def test_pytorch_template_run_killed_and_resumed_ends_as_an_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pytorch template resumes model, optimizer, scheduler and RNGs: the same final state."""
    args = ("--epochs", "6", "--data.samples", "8192", "--batch-size", "16")
    whole, resumed = _killed_and_resumed(tmp_path, monkeypatch, "pytorch", args, "epoch-*.pt")
    assert "resuming at epoch " in (resumed / "stdout.log").read_text(encoding="utf-8")
    assert _final(resumed)["summary"] == _final(whole)["summary"]
    assert _final_loss_line(resumed) == _final_loss_line(whole)
    assert sorted(p.name for p in (whole / "checkpoints").iterdir()) == [
        "epoch-005.pt",
        "epoch-006.pt",
    ]
    same = (
        "import sys, torch\n"
        "a, b = (torch.load(path) for path in sys.argv[1:])\n"
        "print(all(torch.equal(a['model'][k], b['model'][k]) for k in a['model']),"
        " a['optimizer']['state'].keys() == b['optimizer']['state'].keys(),"
        " a['scheduler'] == b['scheduler'])"
    )
    last = "checkpoints/epoch-006.pt"
    done = run_python("-c", same, whole / last, resumed / last)
    assert done.stdout.split() == ["True", "True", "True"], done.stderr


def _killed_and_resumed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    template: str,
    args: tuple[str, ...],
    pattern: str,
) -> tuple[Path, Path]:
    """An uninterrupted run of `template` and one SIGKILLed after its first checkpoint, resumed."""
    ws = tmp_path / "research"
    assert flow_main(["init", str(ws), "--no-install"]) == 0
    monkeypatch.chdir(ws)
    assert flow_main(["create", "fit", "--template", template]) == 0
    done = _run(ws, *args)
    assert done.returncode == 0, done.stderr
    [whole] = sorted((ws / "logs" / "fit").iterdir())

    process = start([sys.executable, ws / "flows" / "fit" / "run.py", *args], cwd=ws)
    try:
        killed = _wait_for_first_checkpoint(ws / "logs" / "fit", process, pattern)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"
    assert json.loads((killed / "manifest.json").read_text())["summary"] == {}  # mid-training

    done = _run(ws, "--resume", str(killed))
    assert done.returncode == 0, done.stderr
    assert sorted((ws / "logs" / "fit").iterdir()) == sorted([whole, killed])  # no new folder
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["status"] == "finished"
    assert manifest["run_id"] == killed.name
    assert len(manifest["resumed"]) == 1
    return whole, killed


def _wait_for_first_checkpoint(logs: Path, process: subprocess.Popen[bytes], pattern: str) -> Path:
    """The run folder of `process` once its first checkpoint is written."""
    while process.poll() is None:
        for checkpoint in logs.glob(f"*/checkpoints/{pattern}"):
            run_dir = checkpoint.parent.parent
            if json.loads((run_dir / "manifest.json").read_text())["pid"] == process.pid:
                return run_dir
        time.sleep(0.01)
    msg = f"the run ended (status {process.returncode}) before writing a checkpoint"
    raise AssertionError(msg)


def _final_loss_line(run_dir: Path) -> str:
    """What the run printed last about its loss (`final loss X; results in ...`)."""
    [line] = [
        line
        for line in (run_dir / "stdout.log").read_text(encoding="utf-8").splitlines()
        if line.startswith("final loss ")
    ]
    return line.split(";")[0]


def _final(run_dir: Path) -> dict[str, object]:
    """What a run ended with: its final numbers, and the fitted parameters when written."""
    params = run_dir / "params.json"
    return {
        "summary": json.loads((run_dir / "manifest.json").read_text())["summary"],
        "params": json.loads(params.read_text()) if params.is_file() else None,
    }
