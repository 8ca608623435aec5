"""The `slurm` launcher: the variations as one SLURM job array, submitted through submitit.

Needs the `slurm` extra (`pip install 'flows-workspace[slurm]'`). Jobs are followed with
`squeue`, not with `sacct`, so clusters without job accounting work too: a variation has
ended when its job has left the queue (a requeued job stays in it), and its exit file
then says how.
"""

from __future__ import annotations

import subprocess
import time
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import FlowsError
from flows_workspace.sweeps.launchers.requeue import RequeueableTask

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from flows_workspace.sweeps.launchers import Events
    from flows_workspace.sweeps.launchers.resources import Resources
    from flows_workspace.sweeps.launchers.task import Task

POLL_SECONDS = 1.0
CANCEL_WAIT_SECONDS = 60.0
"""How long a cancelled sweep waits for SLURM to end its jobs before reporting them."""
SUBMITIT_DIR = "slurm"
"""Where submitit keeps its job files, inside the sweep's folder."""


class SlurmLauncher:
    """Submits variations as a job array; follows and cancels them."""

    detaches = True

    def __init__(self, resources: Resources, sweep_dir: Path) -> None:
        self.resources = resources
        self.folder = sweep_dir / SUBMITIT_DIR

    def _parameters(self) -> dict[str, Any]:
        r = self.resources
        wanted = {
            "slurm_partition": r.partition,
            "timeout_min": r.time_min,
            "cpus_per_task": r.cpus,
            "gpus_per_node": r.gpus,
            "mem_gb": r.mem_gb,
            "slurm_array_parallelism": r.array_parallelism,
        }
        return {key: value for key, value in wanted.items() if value is not None}

    def submit(self, tasks: Sequence[Task]) -> dict[int, str]:
        """Submit `tasks` as one job array; job ids by task index."""
        import submitit

        executor = submitit.AutoExecutor(folder=self.folder, cluster="slurm")
        executor.update_parameters(name="flow-sweep", **self._parameters())
        try:
            # Requeued jobs (preempted, timed out) resume their variation's run.
            jobs = executor.map_array(RequeueableTask(), list(tasks))
        except Exception as error:  # sbatch refused: a message for the user, not a bug
            msg = f"SLURM did not accept the job array: {str(error).strip().splitlines()[-1]}"
            raise FlowsError(msg) from error
        return {task.index: str(job.job_id) for task, job in zip(tasks, jobs, strict=True)}

    def run(self, tasks: Sequence[Task], events: Events) -> None:
        """Submit, then follow every job until it ends; on an exception scancel the rest."""
        job_ids = self.submit(tasks)
        for index, job_id in job_ids.items():
            events.started(index, job_id)
        left = {task.index: task for task in tasks}
        try:
            while left:
                time.sleep(POLL_SECONDS)
                queued = listed_jobs([job_ids[index] for index in left])
                if queued is None:
                    continue  # squeue failed this time (a busy controller): ask again
                for index, task in list(left.items()):
                    # A variation ends when its job leaves the queue, not when its exit file
                    # appears: a requeued job (`scontrol requeue`, preemption) has written one
                    # for its interrupted attempt and runs again, resuming the same run.
                    if job_ids[index] not in queued:
                        del left[index]
                        events.finished(index, _exit_code(task))
        except BaseException:
            cancelled = [job_ids[index] for index in left]
            cancel(cancelled)
            # Report once SLURM has ended them: their runs have recorded the interruption.
            deadline = time.monotonic() + CANCEL_WAIT_SECONDS
            while self.alive(cancelled) and time.monotonic() < deadline:
                time.sleep(POLL_SECONDS)
            for index, task in left.items():
                events.finished(index, _exit_code(task))
            raise

    def alive(self, job_ids: Sequence[str]) -> set[str]:
        """The job ids `squeue` still lists (array elements listed one by one)."""
        return alive_jobs(job_ids)


def alive_jobs(job_ids: Sequence[str]) -> set[str]:
    """Which of `job_ids` SLURM still has queued or running (none if squeue fails)."""
    return listed_jobs(job_ids) or set()


def listed_jobs(job_ids: Sequence[str]) -> set[str] | None:
    """Which of `job_ids` `squeue` lists (requeued ones too); None when squeue fails."""
    arrays = sorted({job_id.split("_")[0] for job_id in job_ids})
    if not arrays:
        return set()
    listed = subprocess.run(
        ["squeue", "--noheader", "--array", "--format=%i", "--jobs", ",".join(arrays)],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        # SLURM forgets a job some minutes after it ends (MinJobAge): gone, not unknown.
        return set() if "Invalid job id" in listed.stderr else None
    return set(listed.stdout.split()) & set(job_ids)


def cancel(job_ids: Any) -> None:
    """Cancel `job_ids` with scancel (their runs get SIGTERM and record themselves interrupted)."""
    ids = list(job_ids)
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, check=False)


def _exit_code(task: Task) -> int | None:
    try:
        return int(task.exit_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
