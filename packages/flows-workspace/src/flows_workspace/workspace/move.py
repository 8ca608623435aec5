"""`flow mv OLD NEW`: rename an experiment with its logs, its records and the text naming it.

The renamed experiment is built as a hidden copy (`flows/.flow-mv.<pid>.NEW`) whose
text names NEW (`renaming`), with its record and merge base renamed too; then three
renames put it in place: `logs/OLD` to `logs/NEW`, the copy to `flows/NEW`, and
`flows/OLD` out of the way (then deleted). A failure puts back what was moved. Forks
whose record names OLD as their parent are pointed at NEW. Run folders keep their
manifests as written: they record what ran, under the name it had then.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace._names import check_experiment_name
from flows_workspace.updates.merge_base import (
    BASE_FOLDER,
    files_hash,
    read_files,
    write_files,
)
from flows_workspace.workspace.experiments import ExperimentRecord, list_experiments
from flows_workspace.workspace.renaming import rename_in_files

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.workspace.settings import Workspace

STAGING_PREFIX = ".flow-mv."


def run_move(old: str, new: str) -> None:
    """`flow mv`: rename experiment `old` to `new` in the current workspace and say so.

    Raises:
        BadInputError: `old` is not an experiment, `new` is a bad or taken name.
        FlowsError: a run of `old` is running.
    """
    from flows_workspace.workspace.settings import find_workspace

    workspace = find_workspace()
    moved_runs = move_experiment(workspace, old, new)
    runs = f" and its {moved_runs} run folder(s)" if moved_runs else ""
    print(f"renamed experiment `{old}` to `{new}`{runs}")


def move_experiment(workspace: Workspace, old: str, new: str) -> int:
    """Rename experiment `old` to `new`; return how many run folders moved with it."""
    from flows_workspace.workspace.create import refuse_case_clash, sweep_stale_staging

    source = workspace.flows_root / old
    if not source.is_dir() or source.is_symlink():
        known = ", ".join(f"`{e.name}`" for e in list_experiments(workspace.flows_root))
        msg = f"no experiment `{old}` in `{workspace.flows_root}`; experiments: {known or 'none'}"
        raise BadInputError(msg)
    check_experiment_name(new)
    refuse_case_clash(workspace.flows_root, new, renaming=old)
    target, old_logs, new_logs = (
        workspace.flows_root / new,
        workspace.logs_root / old,
        workspace.logs_root / new,
    )
    for taken in (target, new_logs):
        if taken.exists() or taken.is_symlink():
            msg = f"`{taken}` already exists; pick another name for `{old}`"
            raise BadInputError(msg)
    _refuse_running(workspace, old)
    sweep_stale_staging(workspace.flows_root, STAGING_PREFIX)
    staging = workspace.flows_root / f"{STAGING_PREFIX}{os.getpid()}.{new}"
    retired = workspace.flows_root / f"{STAGING_PREFIX}{os.getpid()}.old.{old}"
    moved: list[tuple[Path, Path]] = []
    try:
        shutil.copytree(source, staging, symlinks=True)
        _rename_copy(staging, old, new)
        for frm, to in ((old_logs, new_logs), (staging, target), (source, retired)):
            if frm.exists():
                os.rename(frm, to)
                moved.append((frm, to))
    except BaseException:
        for frm, to in reversed(moved):
            os.rename(to, frm)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    _repoint_forks(workspace, old, new)
    return sum(1 for entry in new_logs.iterdir() if entry.is_dir()) if new_logs.is_dir() else 0


def _refuse_running(workspace: Workspace, old: str) -> None:
    from flows_workspace.runs.index import find_runs
    from flows_workspace.runs.manifest import RUNNING

    running = [run for run in find_runs(workspace.logs_root, old) if run.status == RUNNING]
    if running:
        listed = ", ".join(f"`{old}/{run.id}` (pid {run.manifest.pid})" for run in running)
        msg = f"cannot rename `{old}` while a run of it is running: {listed}; wait or stop it"
        raise FlowsError(msg)


def _rename_copy(folder: Path, old: str, new: str) -> None:
    """Make the copy `folder` name `new`: its text, its record and its merge base."""
    files = read_files(folder)
    for relative, data in rename_in_files(files, old, new).items():
        if data != files[relative]:
            write_files(folder, {relative: data})
    record = ExperimentRecord.read_checked(folder)
    if record is None:
        return
    record = record.renamed(new)
    base = folder / BASE_FOLDER
    if base.is_dir() and record.base_hash == files_hash(read_files(base)):
        renamed_base = rename_in_files(read_files(base), old, new)
        write_files(base, renamed_base)
        record = dataclasses.replace(record, base_hash=files_hash(renamed_base))
    record.write(folder)


def _repoint_forks(workspace: Workspace, old: str, new: str) -> None:
    for experiment in list_experiments(workspace.flows_root):
        if experiment.record is not None and experiment.record.parent == old:
            dataclasses.replace(experiment.record, parent=new).write(experiment.path)
