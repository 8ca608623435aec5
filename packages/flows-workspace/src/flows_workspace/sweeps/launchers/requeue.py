"""A SLURM job that is requeued (preempted, timed out, `scontrol requeue`) resumes its run.

SLURM restarts a requeued job under the same job id with `SLURM_RESTART_COUNT` set.
The variation's task then finds the run its earlier attempt recorded and continues it
in its own folder (`run.py --resume RUN`) instead of starting a new one. Submitit
requeues a job on its own when the job is warned of its time limit or preemption
(`SIGUSR2`) and the submitted function has a `checkpoint` method: `RequeueableTask`
has one, so timed-out variations come back too.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows_workspace.reruns.environment import SNAPSHOT_OF_ENV, SWEEP_ID_ENV, VARIATION_ENV
from flows_workspace.reruns.resume import RESUME_FLAG
from flows_workspace.sweeps.launchers.task import Task, run_task

if TYPE_CHECKING:
    from flows_workspace.runs.manifest import RunManifest

RESTART_COUNT_ENV = "SLURM_RESTART_COUNT"
JOB_ID_ENV = "SLURM_JOB_ID"


def restarted() -> bool:
    """Whether this process runs in a SLURM job that was requeued at least once."""
    return os.environ.get(RESTART_COUNT_ENV, "0").strip() not in ("", "0")


def restarted_job_of(manifest: RunManifest) -> bool:
    """Whether `manifest` is a run of this very SLURM job's earlier attempt (now gone)."""
    job = os.environ.get(JOB_ID_ENV)
    return bool(job) and restarted() and manifest.environment.get(JOB_ID_ENV) == job


def with_resume(task: Task) -> Task:
    """`task`, resuming the run its variation's earlier attempt recorded (if it left one)."""
    run_dir = _earlier_run(dict(task.env))
    return task if run_dir is None else resuming(task, run_dir)


def resuming(task: Task, run_dir: Path) -> Task:
    """`task`, continuing the run in `run_dir` (`run.py --resume RUN ARGS`)."""
    python, script, *args = task.argv
    return dataclasses.replace(task, argv=(python, script, RESUME_FLAG, str(run_dir), *args))


def _earlier_run(env: dict[str, str]) -> Path | None:
    """The newest unfinished run of the sweep variation `env` names."""
    from flows_workspace.runs.manifest import FINISHED
    from flows_workspace.sweeps.status import sweep_runs
    from flows_workspace.workspace.settings import find_workspace_or_none

    experiment_dir = env.get(SNAPSHOT_OF_ENV)
    sweep_id = env.get(SWEEP_ID_ENV)
    variation = env.get(VARIATION_ENV, "")
    if not experiment_dir or not sweep_id or not variation.isdigit():
        return None
    workspace = find_workspace_or_none(Path(experiment_dir))
    if workspace is None:
        return None
    runs = sweep_runs(workspace.logs_root, sweep_id, Path(experiment_dir).name)
    mine = [
        run
        for run in runs
        if run.manifest.sweep is not None and run.manifest.sweep.variation == int(variation)
    ]
    if not mine or mine[-1].manifest.status == FINISHED:
        return None
    return mine[-1].dir


class RequeueableTask:
    """The function a SLURM job runs: a variation, resumed when the job was requeued.

    Its `checkpoint` method tells submitit the job may be requeued when SLURM warns it
    of its time limit or a preemption; the requeued job then resumes the run.
    """

    def __call__(self, task: Task) -> int:
        """Run `task` (resuming its earlier attempt's run after a requeue)."""
        return run_task(with_resume(task) if restarted() else task)

    def checkpoint(self, task: Task) -> Any:
        """The same call again after the requeue (the run's own checkpoints carry the state)."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, task)
