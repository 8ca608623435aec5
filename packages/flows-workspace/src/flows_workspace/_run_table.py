"""What `flow runs`, `flow show` and `flow diff` print about recorded runs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flows_workspace._config_diff import changed_values, changes_text, differences, render_value
from flows_workspace._manifest import PATCH_NAME, STDERR_NAME, STDOUT_NAME

if TYPE_CHECKING:
    from datetime import datetime

    from flows_workspace._runs_index import RecordedRun

RUNS_HEADER = ("RUN", "STATUS", "START", "DURATION", "COMMIT", "CHANGES")


def run_row(run: RecordedRun, *, with_experiment: bool) -> tuple[str, ...]:
    """One row of `flow runs`."""
    name = f"{run.experiment}/{run.id}" if with_experiment else run.id
    return (
        name,
        run.status,
        _clock(run.started),
        _duration(run.manifest.get("duration_seconds")),
        commit_text(run.manifest),
        changes(run),
    )


def run_summary(run: RecordedRun) -> dict[str, Any]:
    """The JSON object `flow runs --json` gives per run."""
    git = run.manifest.get("git") or {}
    return {
        "experiment": run.experiment,
        "run_id": run.id,
        "dir": str(run.dir),
        "status": run.status,
        "started": run.manifest.get("started"),
        "ended": run.manifest.get("ended"),
        "duration_seconds": run.manifest.get("duration_seconds"),
        "commit": git.get("commit"),
        "dirty": git.get("dirty"),
        "error": run.manifest.get("error"),
        "changes": dict(_changed_pairs(run)),
        "config": run.config_data(),
    }


def commit_text(manifest: dict[str, Any]) -> str:
    """Short commit with `*` when the tree was dirty; `-` without git, `?` while unknown."""
    git = manifest.get("git")
    if git is None:
        return "?" if not manifest.get("details_recorded") else "-"
    commit = (git.get("commit") or "no-commit")[:8]
    return f"{commit}*" if git.get("dirty") else commit


def changes(run: RecordedRun) -> str:
    """The config values that differ from the experiment's defaults, as `key=value`."""
    manifest = run.manifest
    return changes_text(
        manifest.get("default_config"), run.config_data(), manifest.get("type_defaults")
    )


def _changed_pairs(run: RecordedRun) -> list[tuple[str, Any]]:
    manifest = run.manifest
    defaults = manifest.get("default_config")
    if defaults is None:
        return []
    return changed_values(defaults, run.config_data(), manifest.get("type_defaults"))


def show_lines(run: RecordedRun) -> list[str]:
    """`flow show`: the manifest's main facts, the config and where the files are."""
    manifest = run.manifest
    python = manifest.get("python") or {}
    git = manifest.get("git") or {}
    status = run.status
    error = manifest.get("error")
    if error:
        status += f" ({error.get('type')}: {error.get('message')} at {error.get('where')})"
    elif manifest.get("interrupted_by"):
        status += f" (by {manifest['interrupted_by']})"
    lines = [
        f"run:          {run.experiment}/{run.id}",
        f"folder:       {run.dir}",
        f"status:       {status}",
        f"started:      {manifest.get('started')}",
        f"ended:        {manifest.get('ended') or '-'}",
        f"duration:     {_duration(manifest.get('duration_seconds'))}",
        f"command:      {' '.join(manifest.get('argv') or [])}",
        f"cwd:          {manifest.get('cwd')}",
        f"commit:       {commit_text(manifest)}",
        f"host:         {manifest.get('hostname')} ({manifest.get('platform')})",
        f"python:       {python.get('version')} ({python.get('executable')})",
    ]
    if manifest.get("from_run"):
        lines.append(f"from run:     {manifest['from_run']}")
    if git.get("untracked"):
        lines.append(f"untracked:    {', '.join(git['untracked'])}")
    if (run.dir / PATCH_NAME).is_file():
        lines.append(f"patch:        {run.dir / PATCH_NAME}")
    lines.append(f"logs:         {run.dir / STDOUT_NAME}, {run.dir / STDERR_NAME}")
    lines.append(f"changes:      {changes(run) or '(defaults)'}")
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
