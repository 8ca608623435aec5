"""What `flow runs`, `flow show` and `flow diff` print about recorded runs."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from flows_workspace.cli.table import duration_text
from flows_workspace.runs.config_diff import differences, render_value
from flows_workspace.runs.manifest import PATCH_NAME, STDERR_NAME, STDOUT_NAME

if TYPE_CHECKING:
    from flows_workspace.results.records import RunRecord
    from flows_workspace.runs.index import BrokenRun, RecordedRun


def run_summary(record: RunRecord) -> dict[str, Any]:
    """The JSON object `flow runs --json` gives per run (strict JSON: NaN as `"NaN"`)."""
    from flows_workspace.results.metrics import json_number

    run = record.run
    manifest = run.manifest
    git = manifest.git
    config = record.config
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
        "values": {key: value.value for key, value in record.config_values().items()},
        "metrics": {name: summary.to_data() for name, summary in record.metrics.items()},
        "summary": {name: json_number(value) for name, value in record.summary.items()},
        "tags": record.notes.tags,
        "notes": [dataclasses.asdict(note) for note in record.notes.notes],
        "config": config,
    }


def broken_summary(run: BrokenRun) -> dict[str, Any]:
    """The JSON object `flow runs --json` gives for an unreadable run folder."""
    return {
        "experiment": run.experiment,
        "run_id": run.id,
        "dir": str(run.dir),
        "status": "unreadable",
        "problem": run.problem,
    }


def changes_text(run: RecordedRun) -> str:
    """The config values that differ from the experiment's defaults, as `key=value`."""
    pairs = run.manifest.changes(run.config_data())
    names = run.manifest.cli_names
    return " ".join(f"{key}={render_value(_cli_name(names, value))}" for key, value in pairs)


def _cli_name(names: dict[str, str], value: Any) -> Any:
    """A config type's registry name as the command line names it; anything else as is."""
    return names.get(value, value) if isinstance(value, str) else value


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
        f"duration:     {duration_text(manifest.duration_seconds)}",
        f"command:      {' '.join(manifest.argv)}",
        f"cwd:          {manifest.cwd}",
        f"commit:       {manifest.commit_text()}",
        f"host:         {manifest.hostname} ({manifest.platform})",
        f"python:       {python.version if python else None} "
        f"({python.executable if python else None})",
    ]
    if manifest.from_run:
        lines.append(f"from run:     {manifest.from_run}")
    if manifest.rerun_of:
        lines.append(f"rerun of:     {manifest.rerun_of}")
    if manifest.resumed:
        times = ", ".join(manifest.resumed)
        lines.append(f"resumed:      {len(manifest.resumed)} time(s), at {times}")
    if manifest.git and manifest.git.untracked:
        lines.append(f"untracked:    {', '.join(manifest.git.untracked)}")
    if (run.dir / PATCH_NAME).is_file():
        lines.append(f"patch:        {run.dir / PATCH_NAME}")
    lines.append(f"logs:         {run.dir / STDOUT_NAME}, {run.dir / STDERR_NAME}")
    lines.extend(extra_show_lines(run))
    return lines


def extra_show_lines(run: RecordedRun) -> list[str]:
    """`flow show`'s lines after the facts: tags, notes, metrics, changes and the config."""
    from flows_workspace.cli.table import format_value
    from flows_workspace.results.records import RunRecord
    from flows_workspace.runs.index import config_problem

    problem = config_problem(run.dir)
    if problem is not None:
        return [f"config:       unreadable: {problem}"]
    record = RunRecord.of(run)
    lines = []
    if record.notes.tags:
        lines.append(f"tags:         {' '.join(record.notes.tags)}")
    lines.extend(f"note:         {note.time}  {note.text}" for note in record.notes.notes)
    if record.metrics or record.summary:
        lines.append("metrics:      last (step)  min (step)  max (step)")
    for name, summary in record.metrics.items():
        parts = [
            f"{format_value(getattr(summary, part))} ({getattr(summary, part + '_step')})"
            for part in ("last", "min", "max")
        ]
        lines.append(f"  {name}: {'  '.join(parts)}")
    lines.extend(f"  {name}: {format_value(value)}" for name, value in record.summary.items())
    lines.append(f"changes:      {changes_text(run) or '(defaults)'}")
    lines.append("config:")
    config_text = json.dumps(run.config_data(), indent=2, ensure_ascii=False)
    lines.extend(f"  {line}" for line in config_text.splitlines())
    return lines


def diff_rows(a: RecordedRun, b: RecordedRun) -> list[tuple[str, str, str]]:
    """`(key, value in a, value in b)` for each config value that differs."""
    # A config type shows as the command line names it (`sgd`, not `SgdConfig`).
    names_a, names_b = a.manifest.cli_names, b.manifest.cli_names
    return [
        (key, render_value(_cli_name(names_a, old)), render_value(_cli_name(names_b, new)))
        for key, old, new in differences(a.config_data(), b.config_data())
    ]
