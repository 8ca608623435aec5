"""The `local` launcher: a bounded pool of processes on this machine.

No thread or Python wrapper per variation: the launcher starts up to `jobs` commands
and blocks in `os.wait()` until any of them ends, so a sweep of short variations costs
what the same commands cost through `xargs -P`.
"""

from __future__ import annotations

import os
from collections import deque
from typing import TYPE_CHECKING

from flows_workspace.sweeps.launchers.task import stop

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Sequence

    from flows_workspace.sweeps.launchers import Events
    from flows_workspace.sweeps.launchers.resources import Resources
    from flows_workspace.sweeps.launchers.task import Task


class LocalLauncher:
    """Runs variations as child processes, at most `jobs` at a time."""

    detaches = False

    def __init__(self, resources: Resources) -> None:
        self.jobs = max(1, resources.jobs or os.cpu_count() or 1)

    def run(self, tasks: Sequence[Task], events: Events) -> None:
        """Run every task; on any exception stop the running ones and report them all."""
        waiting = deque(tasks)
        running: dict[int, tuple[Task, subprocess.Popen[bytes]]] = {}
        try:
            while waiting or running:
                while waiting and len(running) < self.jobs:
                    task = waiting.popleft()
                    process = task.start()
                    running[process.pid] = (task, process)
                    events.started(task.index, str(process.pid))
                pid, status = os.wait()
                entry = running.pop(pid, None)
                if entry is not None:
                    task, process = entry
                    process.returncode = os.waitstatus_to_exitcode(status)
                    task.exit_file.write_text(f"{process.returncode}\n", encoding="utf-8")
                    events.finished(task.index, process.returncode)
        except BaseException:
            for task, process in running.values():
                stop(process)
                events.finished(task.index, process.returncode)
            for task in waiting:
                events.finished(task.index, None)
            raise

    def submit(self, tasks: Sequence[Task]) -> dict[int, str]:
        """Not used: a detached local sweep runs attached in a background process."""
        raise NotImplementedError

    def alive(self, job_ids: Sequence[str]) -> set[str]:
        """Local jobs are followed through the sweep's driver process, not by id."""
        return set()
