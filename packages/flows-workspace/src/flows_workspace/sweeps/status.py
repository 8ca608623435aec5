"""Bring a sweep record up to date from its run folders, and show it.

A variation's newest run (found by the sweep id in its manifest) says how it went (an
interrupted run whose SLURM job is queued again was requeued: it is pending, not over);
without a run, its exit file, its job (SLURM) or the sweep's driver process
(local, ray) tell whether it is still to come or will never run (`missing`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows_workspace._process import process_alive_on
from flows_workspace.runs.index import DIED
from flows_workspace.sweeps.record import (
    FAILED,
    FINISHED,
    INTERRUPTED,
    MISSING,
    PENDING,
    RUNNING,
    SweepRecord,
    Variation,
)

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.runs.index import RecordedRun


def sweep_runs(logs_root: Path, sweep_id: str, experiment: str | None = None) -> list[RecordedRun]:
    """The runs a sweep launched, oldest first."""
    from flows_workspace.runs.index import find_runs

    return [run for run in find_runs(logs_root, experiment) if _sweep_of(run) == sweep_id]


def driver_alive(record: SweepRecord) -> bool:
    """Whether the process running the sweep's variations still runs."""
    if record.driver_pid is None:
        return False
    return process_alive_on(record.driver_host, record.driver_pid)


def refresh(record: SweepRecord, logs_root: Path) -> None:
    """Update each variation's run, status and error from what is on disk and queued."""
    newest: dict[int, RecordedRun] = {}
    for found in sweep_runs(logs_root, record.id, record.experiment):
        entry = found.manifest.sweep
        index = entry.variation if entry else None
        if index is not None:
            newest[index] = found  # oldest first: the last one wins
    unsettled = [v for v in record.variations if v.status not in (FINISHED, FAILED)]
    alive_jobs = _alive_jobs(record, [v.job_id for v in unsettled if v.job_id])
    driver = driver_alive(record)
    for variation in record.variations:
        run = newest.get(variation.index)
        if run is not None and _is_current(run, variation):
            variation.run_id = run.id
            variation.status = INTERRUPTED if run.status == DIED else run.status
            if variation.status == INTERRUPTED and variation.job_id in alive_jobs:
                # Requeued (preempted, `scontrol requeue`): its job runs again and resumes it.
                variation.status = PENDING
            variation.error = _run_error(run) if variation.status == FAILED else None
            continue
        if variation.status not in (PENDING, RUNNING):
            continue
        code = _exit_code(record, variation)
        if code is not None and code != 0:
            variation.status = FAILED
            variation.error = last_output_line(record, variation.index)
        elif not driver and (variation.job_id is None or variation.job_id not in alive_jobs):
            variation.status = MISSING


def _is_current(run: RecordedRun, variation: Variation) -> bool:
    """Whether `run` belongs to the variation's latest attempt, not to one before a relaunch."""
    return variation.previous_run is None or run.id > variation.previous_run


def _alive_jobs(record: SweepRecord, job_ids: list[str]) -> set[str]:
    if record.launcher != "slurm" or not job_ids:
        return set()
    from flows_workspace.sweeps.launchers.slurm import alive_jobs

    return alive_jobs(job_ids)


def _exit_code(record: SweepRecord, variation: Variation) -> int | None:
    try:
        return int(record.exit_file(variation.index).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _run_error(run: RecordedRun) -> str | None:
    error = run.manifest.error
    return f"{error.type}: {error.message}".strip() if error else None


def last_output_line(record: SweepRecord, index: int) -> str | None:
    """The last non-empty line the variation printed (its error, when it failed early)."""
    try:
        lines = record.output_log(index).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return next((line.strip() for line in reversed(lines) if line.strip()), None)


def counts(record: SweepRecord) -> dict[str, int]:
    """How many variations are in each status."""
    found: dict[str, int] = {}
    for variation in record.variations:
        found[variation.status] = found.get(variation.status, 0) + 1
    return found


def sweep_run_ids(logs_root: Path, reference: str, experiment: str | None) -> set[str]:
    """The ids of the runs that sweep `reference` (an id or its start) launched.

    Raises:
        BadInputError: no sweep, or several, match `reference`.
    """
    from flows_workspace.sweeps.record import find_sweep

    sweep_id = find_sweep(logs_root, reference).id
    return {run.id for run in sweep_runs(logs_root, sweep_id, experiment)}


def _sweep_of(run: RecordedRun) -> str | None:
    return run.manifest.sweep.id if run.manifest.sweep else None


def counts_text(record: SweepRecord) -> str:
    """`7 finished, 1 failed`: the variations by status."""
    return ", ".join(f"{number} {status}" for status, number in sorted(counts(record).items()))
