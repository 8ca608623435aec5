"""Resuming a run in its own folder: `run.py --resume RUN`.

The run keeps its id, folder and config; its manifest says `resumed` while it runs
again (then finished, failed or interrupted as usual) and keeps the list of times it
was resumed; its output is appended to the logs. The run finds its training state
where it left it, in its checkpoint folder (`Run.checkpoint_dir`,
`Run.latest_checkpoint`). A run still running is not resumed twice.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from flows_workspace._errors import exit_with_error
from flows_workspace.runs.manifest import FINISHED, RESUMED, RUNNING, RunManifest

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

RESUME_FLAG = "--resume"
RESUME_HELP = (
    f"Continue an interrupted run in its own folder with {RESUME_FLAG} RUN (same id and "
    "config; the run picks up its latest checkpoint)."
)
CHECKPOINT_DIR_NAME = "checkpoints"
"""The run folder's sub-folder holding its checkpoints."""


def check_resumable(run_dir: Path, manifest: RunManifest, prog: str | None) -> None:
    """Exit with one line when the run is still running (here or elsewhere) or has finished."""
    from flows_workspace.runs.index import DIED, RecordedRun
    from flows_workspace.sweeps.launchers.requeue import restarted_job_of

    # A requeued SLURM job resumes the run of its earlier attempt, which SLURM has ended.
    if restarted_job_of(manifest):
        return
    status = RecordedRun(run_dir, manifest).status
    if manifest.status in (RUNNING, RESUMED) and status != DIED:
        where = f"process {manifest.pid} on {manifest.hostname}" if manifest.pid else "elsewhere"
        exit_with_error(
            f"run `{run_dir.name}` is still running ({where}); resume it once it has stopped",
            prog,
        )
    if status == FINISHED:
        exit_with_error(
            f"run `{run_dir.name}` has finished, so there is nothing to resume; start a new "
            f"run from its config with `--from-run {run_dir.name}`",
            prog,
        )


def check_same_config(run_dir: Path, recorded: Any, resumed: Any, prog: str | None) -> None:
    """Exit with one line when the command line would change the run's recorded config."""
    if recorded == resumed:
        return
    from flows_workspace.runs.config_diff import differences, render_value

    changes = ", ".join(
        f"{path}={render_value(new)}" for path, _, new in differences(recorded, resumed)
    )
    exit_with_error(
        f"`{RESUME_FLAG} {run_dir.name}` continues the run with its own config, but the other "
        f"arguments change it ({changes or 'its layout'}); drop them, or start a new run with "
        "`--from-run`",
        prog,
    )


def resumed_manifest(run_dir: Path) -> RunManifest:
    """The run's manifest, marked as running again in this process."""
    manifest = RunManifest.read(run_dir)
    manifest.status = RESUMED
    manifest.resumed.append(datetime.now(timezone.utc).isoformat())
    manifest.pid = os.getpid()
    manifest.ended = None
    manifest.duration_seconds = None
    manifest.error = None
    manifest.interrupted_by = None
    return manifest


def checkpoint_folder(run_dir: Path) -> Path:
    """The run's checkpoint folder, created if missing."""
    folder = run_dir / CHECKPOINT_DIR_NAME
    folder.mkdir(exist_ok=True)
    return folder


def latest_checkpoint(folder: Path, pattern: str = "*") -> Path | None:
    """The newest file in `folder` matching `pattern` (by modification time, then name).

    Hidden files (a checkpoint still being written under a temporary name) do not count.
    """
    if not folder.is_dir():
        return None
    candidates = [
        path for path in folder.glob(pattern) if path.is_file() and not path.name.startswith(".")
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda path: (path.stat().st_mtime_ns, path.name))
