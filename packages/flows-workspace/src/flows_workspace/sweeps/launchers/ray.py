"""The `ray` launcher: one Ray task per variation, on a local Ray instance or a cluster.

Needs the `ray` extra (`pip install 'flows-workspace[ray]'`). Without `--address`,
`ray.init()` starts a Ray instance on this machine for the sweep's duration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flows_workspace.sweeps.launchers.task import run_task

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows_workspace.sweeps.launchers import Events
    from flows_workspace.sweeps.launchers.resources import Resources
    from flows_workspace.sweeps.launchers.task import Task


class RayLauncher:
    """Runs each variation as a Ray task; Ray schedules them on the resources asked for."""

    detaches = False

    def __init__(self, resources: Resources) -> None:
        self.resources = resources

    def run(self, tasks: Sequence[Task], events: Events) -> None:
        """Submit every task, collect them as they end; on an exception cancel the rest."""
        import ray

        ray.init(
            address=self.resources.address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
        try:
            options: dict[str, Any] = {"num_cpus": self.resources.cpus or 1, "max_retries": 0}
            if self.resources.gpus:
                options["num_gpus"] = self.resources.gpus
            remote = ray.remote(**options)(run_task)
            left = {remote.remote(task): task for task in tasks}
            for ref, task in left.items():
                events.started(task.index, ref.hex())
            try:
                while left:
                    done, _ = ray.wait(list(left), num_returns=1)
                    task = left.pop(done[0])
                    events.finished(task.index, _result(ray, done[0]))
            except BaseException:
                for ref in left:
                    ray.cancel(ref)
                for ref, task in left.items():
                    events.finished(task.index, _result(ray, ref))
                raise
        finally:
            ray.shutdown()

    def submit(self, tasks: Sequence[Task]) -> dict[int, str]:
        """Not used: a detached Ray sweep runs attached in a background process."""
        raise NotImplementedError

    def alive(self, job_ids: Sequence[str]) -> set[str]:
        """Ray tasks are followed through the sweep's driver process, not by id."""
        return set()


def _result(ray: Any, ref: Any) -> int | None:
    """The task's exit status, or None when it was cancelled or its worker died."""
    try:
        return int(ray.get(ref, timeout=30))
    except Exception:  # cancelled, worker lost: the run folder tells what happened
        return None
