"""The `default` template's run.py, as rendered, records runs that can be listed and rerun."""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING, Any

from flows_workspace.cli import main as flow_main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
from subprocesses import GIT_ENV, run_python


def _run(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_python(ws / "flows" / "fit" / "run.py", *args, cwd=ws)


def _git(ws: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "-C", str(ws), *args], check=True, capture_output=True, env=env)


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
    _git(ws, "init", "-q")
    _git(ws, "add", ".")
    _git(ws, "commit", "-qm", "fit")
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
        "metrics.json",
    }
    assert "final loss" in (first / "stdout.log").read_text(encoding="utf-8")
    assert _config(first)["model"]["@type"] == "QuadraticConfig"
    assert _config(first)["optimizer"]["@type"] == "MomentumConfig"

    assert _run(ws, "--from-run", str(first)).returncode == 0
    assert _run(ws, "--from-run", str(first), "--steps", "7").returncode == 0
    _, again, changed = sorted((ws / "logs" / "fit").iterdir())
    assert _config(again) == _config(first)
    assert _config(changed) == {**_config(first), "steps": 7}
    assert json.loads((again / "metrics.json").read_text()) == json.loads(
        (first / "metrics.json").read_text()
    )

    capsys.readouterr()
    assert flow_main(["runs", "fit"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[0] for row in rows] == [first.name, again.name, changed.name]
    assert all(" finished " in row for row in rows)
    # Momentum's fields are compared with Momentum's defaults, not with SGD's values.
    assert rows[2].endswith("model=QuadraticConfig optimizer=MomentumConfig steps=7")
