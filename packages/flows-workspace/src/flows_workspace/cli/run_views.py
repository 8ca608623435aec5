"""What `flow runs`, `flow show` and `flow diff` print about recorded runs."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from flows_workspace.runs.config_diff import differences, render_value
from flows_workspace.runs.manifest import PATCH_NAME, STDERR_NAME, STDOUT_NAME

if TYPE_CHECKING:
    from datetime import datetime

    from flows_workspace.runs.index import RecordedRun

RUNS_HEADER = ("RUN", "STATUS", "START", "DURATION", "COMMIT", "CHANGES")


def run_row(run: RecordedRun, *, with_experiment: bool) -> tuple[str, ...]:
    """One row of `flow runs`."""
    name = f"{run.experiment}/{run.id}" if with_experiment else run.id
    return (
        name,
        run.status,
        _clock(run.started),
        _duration(run.manifest.duration_seconds),
        run.manifest.commit_text(),
        changes_text(run),
    )


def run_summary(run: RecordedRun) -> dict[str, Any]:
    """The JSON object `flow runs --json` gives per run."""
    manifest = run.manifest
    git = manifest.git
    config = run.config_data()
    return {
        "experiment": run.experiment,
        "run_id": run.id,
        "dir": str(run.dir),
        "status": run.status,
        "started": manifest.started,
        "ended": manifest.ended,
        "duration_seconds": manifest.duration_seconds,
        "commit": git.commit if git else None,
        "dirty": git.dirty if git else None,
        "error": dataclasses.asdict(manifest.error) if manifest.error else None,
        "changes": dict(manifest.changes(config)),
        "config": config,
    }


def changes_text(run: RecordedRun) -> str:
    """The config values that differ from the experiment's defaults, as `key=value`."""
    pairs = run.manifest.changes(run.config_data())
    return " ".join(f"{key}={render_value(value)}" for key, value in pairs)


def show_lines(run: RecordedRun) -> list[str]:
    """`flow show`: the manifest's main facts, the config and where the files are."""
    manifest = run.manifest
    python = manifest.python
    status = run.status
    if manifest.error:
        error = manifest.error
        status += f" ({error.type}: {error.message} at {error.where})"
    elif manifest.interrupted_by:
        status += f" (by {manifest.interrupted_by})"
    lines = [
        f"run:          {run.experiment}/{run.id}",
        f"folder:       {run.dir}",
        f"status:       {status}",
        f"started:      {manifest.started}",
        f"ended:        {manifest.ended or '-'}",
        f"duration:     {_duration(manifest.duration_seconds)}",
        f"command:      {' '.join(manifest.argv)}",
        f"cwd:          {manifest.cwd}",
        f"commit:       {manifest.commit_text()}",
        f"host:         {manifest.hostname} ({manifest.platform})",
        f"python:       {python.version if python else None} "
        f"({python.executable if python else None})",
    ]
    if manifest.from_run:
        lines.append(f"from run:     {manifest.from_run}")
    if manifest.git and manifest.git.untracked:
        lines.append(f"untracked:    {', '.join(manifest.git.untracked)}")
    if (run.dir / PATCH_NAME).is_file():
        lines.append(f"patch:        {run.dir / PATCH_NAME}")
    lines.append(f"logs:         {run.dir / STDOUT_NAME}, {run.dir / STDERR_NAME}")
    lines.append(f"changes:      {changes_text(run) or '(defaults)'}")
    lines.append("config:")
    config_text = json.dumps(run.config_data(), indent=2, ensure_ascii=False)
    lines.extend(f"  {line}" for line in config_text.splitlines())
    return lines


def diff_rows(a: RecordedRun, b: RecordedRun) -> list[tuple[str, str, str]]:
    """`(key, value in a, value in b)` for each config value that differs."""
    return [
        (key, render_value(old), render_value(new))
        for key, old, new in differences(a.config_data(), b.config_data())
    ]


def _clock(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _duration(seconds: object) -> str:
    if not isinstance(seconds, (int, float)):
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
