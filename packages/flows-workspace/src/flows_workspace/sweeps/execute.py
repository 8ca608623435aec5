"""Running a sweep's variations on a launcher, attached or detached, and summing up.

Used by `flow sweep` (a new sweep), `flow sweep resume` (what is left of one) and the
background process of a detached local or ray sweep. A failed variation never stops
the others; Ctrl-C (or SIGTERM) cancels what is pending and running on any launcher and
records it as interrupted.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from flows_workspace._errors import FlowsError
from flows_workspace._process import host_name
from flows_workspace.reruns.environment import (
    SNAPSHOT_DIR_ENV,
    SNAPSHOT_OF_ENV,
    SWEEP_ID_ENV,
    VARIATION_ENV,
)
from flows_workspace.sweeps.launchers import LauncherError, make_launcher
from flows_workspace.sweeps.launchers.requeue import resuming
from flows_workspace.sweeps.launchers.resources import Resources
from flows_workspace.sweeps.launchers.task import Task
from flows_workspace.sweeps.progress import Progress
from flows_workspace.sweeps.record import (
    FAILED,
    FINISHED,
    INTERRUPTED,
    PENDING,
    RUNNING,
    SweepRecord,
)
from flows_workspace.sweeps.status import counts_text, last_output_line, refresh

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.sweeps.launchers import Launcher
    from flows_workspace.sweeps.launchers.local import PreloadedServer

DRIVER_LOG = "driver.log"
"""Output of the background process running a detached local or ray sweep."""
_INTERRUPTED_CODES = {130, 143, -2, -15}
"""Exit statuses of a command stopped by SIGINT or SIGTERM."""
SAVE_SECONDS = 0.5
"""How often at most the record is rewritten while variations end (and always at the end):
writing it whole after each of hundreds of short variations would cost more than they do;
a reader brings it up to date from the run folders anyway."""


def task_for(record: SweepRecord, index: int) -> Task:
    """The command running variation `index` from the sweep's code snapshot."""
    variation = record.variations[index]
    env = (
        (SNAPSHOT_DIR_ENV, str(record.snapshot)),
        (SNAPSHOT_OF_ENV, record.code.source),
        (SWEEP_ID_ENV, record.id),
        (VARIATION_ENV, str(index)),
    )
    return Task(
        index=index,
        argv=(record.python, str(record.snapshot / "run.py"), *variation.args),
        env=env,
        cwd=record.cwd,
        output=str(record.output_log(index)),
    )


def resources_of(record: SweepRecord) -> Resources:
    """The launcher settings the record holds."""
    return Resources(**record.options)


class _Tracker:
    """Keeps the record and the progress display in step with the launcher's events."""

    def __init__(
        self, record: SweepRecord, progress: Progress, *, queued: bool, count: int
    ) -> None:
        self.record = record
        self.progress = progress
        self.queued = queued
        self.unsubmitted = count if queued else 0
        """Queued jobs yet to be reported started: the record is saved once all are."""
        self.saved = time.monotonic()

    def started(self, index: int, job_id: str) -> None:
        variation = self.record.variations[index]
        variation.job_id = job_id
        variation.status = PENDING if self.queued else RUNNING
        self.progress.started()
        if self.unsubmitted:
            self.unsubmitted -= 1
            if not self.unsubmitted:  # the whole array is queued: record its job ids now
                self.record.save()

    def finished(self, index: int, exit_code: int | None) -> None:
        variation = self.record.variations[index]
        if exit_code == 0:
            variation.status = FINISHED
        elif exit_code is None or exit_code in _INTERRUPTED_CODES:
            variation.status = INTERRUPTED
        else:
            variation.status = FAILED
        self.progress.finished(variation.status, f"variation {index}: {' '.join(variation.args)}")
        if time.monotonic() - self.saved >= SAVE_SECONDS:
            self.record.save()
            self.saved = time.monotonic()


def _continued(record: SweepRecord, logs_root: Path, index: int) -> Path | None:
    """The interrupted run variation `index` continues (`--resume`), or None for a new one.

    Only a run that left checkpoints continues (its experiment uses `Run.checkpoint_dir`,
    so its `run.py` takes `--resume`); any other starts again.
    """
    from flows_workspace.reruns.resume import CHECKPOINT_DIR_NAME

    variation = record.variations[index]
    if variation.status != INTERRUPTED or variation.run_id is None:
        return None
    run_dir = logs_root / record.experiment / variation.run_id
    checkpoints = run_dir / CHECKPOINT_DIR_NAME
    return run_dir if checkpoints.is_dir() and any(checkpoints.iterdir()) else None


def run_variations(
    record: SweepRecord,
    indices: list[int],
    logs_root: Path,
    *,
    detach: bool,
    server: PreloadedServer | None = None,
) -> None:
    """Run variations `indices` of `record` on its launcher, then print the summary.

    `server`: a preloaded server the local launcher is to use (it is closed in any case).

    Raises:
        FlowsError: some variations failed, or the launcher did (after the summary).
        KeyboardInterrupt: the sweep was interrupted (after cancelling and recording).
    """
    continued = {index: run for index in indices if (run := _continued(record, logs_root, index))}
    for index in indices:
        variation = record.variations[index]
        if index not in continued:  # a new run: the one before is not this attempt's
            variation.previous_run = variation.run_id or variation.previous_run
            variation.run_id = None
        variation.status, variation.error, variation.job_id = PENDING, None, None
    launcher = make_launcher(record.launcher, resources_of(record), record.dir, server)
    tasks = [
        resuming(task_for(record, index), continued[index])
        if index in continued
        else task_for(record, index)
        for index in indices
    ]
    if detach:
        _detach(record, indices, launcher, tasks)
        return
    record.driver_pid, record.driver_host = os.getpid(), host_name()
    record.save()
    try:
        try:
            with Progress(len(tasks)) as progress:
                tracker = _Tracker(record, progress, queued=launcher.detaches, count=len(tasks))
                launcher.run(tasks, tracker)
        finally:
            record.driver_pid = record.driver_host = None
            refresh(record, logs_root)
            record.save()
            for line in summary(record, logs_root):
                print(line)
    except LauncherError as error:
        msg = f"{error}; `flow sweep resume {record.id}` runs the variations it did not finish"
        raise FlowsError(msg) from error
    failed = [v for v in record.variations if v.status == FAILED]
    if failed:
        msg = (
            f"{len(failed)} of {len(record.variations)} variations failed (listed above); "
            f"`flow sweep resume {record.id}` reruns them"
        )
        raise FlowsError(msg)


def _detach(record: SweepRecord, indices: list[int], launcher: Launcher, tasks: list[Task]) -> None:
    """Submit and return: to the engine's queue, or to a background driver process."""
    record.detached = True
    if launcher.detaches:
        job_ids = launcher.submit(tasks)
        for index, job_id in job_ids.items():
            record.variations[index].job_id = job_id
        record.save()
        print(f"sweep {record.id}: submitted {len(tasks)} variations to {record.launcher}")
    else:
        with (record.dir / DRIVER_LOG).open("ab") as log:
            driver = subprocess.Popen(
                [sys.executable, "-m", "flows_workspace.sweeps.driver", str(record.dir)],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        record.driver_pid, record.driver_host = driver.pid, host_name()
        record.save()
        assert driver.stdin is not None
        driver.stdin.write(" ".join(map(str, indices)).encode())
        driver.stdin.close()  # the record is written: the driver may read it
        print(
            f"sweep {record.id}: {len(tasks)} variations running in the background "
            f"(process {driver.pid}, output in {record.dir / DRIVER_LOG})"
        )
    print(f"`flow sweep status {record.id}` shows its progress")


def summary(record: SweepRecord, logs_root: Path) -> list[str]:
    """The closing lines: counts, then each failure with its run folder and last error line."""
    shown = counts_text(record)
    lines = [f"sweep {record.id}: {shown} of {len(record.variations)} ({record.dir})"]
    for variation in record.variations:
        if variation.status != FAILED:
            continue
        where = (
            str(logs_root / record.experiment / variation.run_id)
            if variation.run_id
            else f"no run folder, output in {record.output_log(variation.index)}"
        )
        error = variation.error or last_output_line(record, variation.index) or "no output"
        lines.append(f"  failed: variation {variation.index} `{' '.join(variation.args)}`")
        lines.append(f"    {where}: {error}")
    return lines


def with_jobs(record: SweepRecord, jobs: int | None) -> None:
    """Override the record's number of parallel jobs, if given."""
    if jobs is not None:
        record.options = dataclasses.asdict(dataclasses.replace(resources_of(record), jobs=jobs))
