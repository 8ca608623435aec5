"""Find recorded runs by reading the run folders under the workspace's logs folder."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace.results.notes import TAG_PATTERN, RunNotes
from flows_workspace.runs.ids import RUN_ID_PATTERN
from flows_workspace.runs.manifest import (
    CONFIG_NAME,
    RESUMED,
    RUNNING,
    RunManifest,
    UnreadableManifestError,
    read_config_data,
)

if TYPE_CHECKING:
    from datetime import datetime

DIED = "died"
"""Shown for a run still marked running whose process (on this host) is gone."""


@dataclass(frozen=True)
class RunFolder:
    """A run's folder, `LOGS_ROOT/<experiment>/<run-id>/`: the folder names say which run."""

    dir: Path

    @property
    def id(self) -> str:
        """The run id (the folder's name)."""
        return self.dir.name

    @property
    def experiment(self) -> str:
        """The experiment the run belongs to: its folder's parent, wherever the files came from."""
        return self.dir.parent.name


@dataclass(frozen=True)
class RecordedRun(RunFolder):
    """A run folder with its manifest."""

    manifest: RunManifest

    @classmethod
    def read(cls, run_dir: Path) -> RecordedRun:
        """The run in `run_dir` (raises `UnreadableManifestError`)."""
        return cls(run_dir, RunManifest.read(run_dir))

    @property
    def status(self) -> str:
        """The recorded status; `died` for a `running` run whose process no longer exists."""
        if self.manifest.status in (RUNNING, RESUMED) and not self._process_alive():
            return DIED
        return self.manifest.status

    @property
    def started(self) -> datetime | None:
        """When the run started."""
        return self.manifest.started_at

    def config_data(self) -> Any:
        """The run's config as plain data (None when missing)."""
        return read_config_data(self.dir)

    def _process_alive(self) -> bool:
        from flows_workspace._process import process_alive_on

        pid = self.manifest.pid
        return pid is None or process_alive_on(self.manifest.hostname, pid)


@dataclass(frozen=True)
class BrokenRun(RunFolder):
    """A run folder that cannot be read, and what is wrong with it."""

    problem: str


class UnreadableRunError(FlowsError):
    """The run named exists but its folder cannot be read."""


def run_names(logs_root: Path, experiment: str | None = None) -> list[tuple[str, str]]:
    """(experiment, run id) of each folder named like a run (of one experiment), oldest first.

    Only names are looked at (no file is read, no Path made), so finding a run by its id
    is cheap, and so is listing 10,000.
    """
    experiments = [experiment] if experiment is not None else _experiment_names(logs_root)
    named = sorted(
        (name, experiment_name)
        for experiment_name in experiments
        for name in _folder_names(logs_root / experiment_name)
        if RUN_ID_PATTERN.match(name)
    )
    return [(experiment_name, name) for name, experiment_name in named]


def run_folders(logs_root: Path, experiment: str | None = None) -> list[Path]:
    """Every folder named like a run under `logs_root` (or one experiment), oldest first."""
    named = run_names(logs_root, experiment)
    # One `/` per run, not two: each costs a microsecond or more.
    parents = {experiment_name: logs_root / experiment_name for experiment_name, _ in named}
    return [parents[experiment_name] / name for experiment_name, name in named]


def read_run(run_dir: Path) -> RecordedRun | BrokenRun:
    """The run in `run_dir`, or what makes it unreadable (manifest or config)."""
    try:
        run = RecordedRun.read(run_dir)
    except UnreadableManifestError as error:
        return BrokenRun(run_dir, str(error))
    problem = config_problem(run_dir)
    return run if problem is None else BrokenRun(run_dir, problem)


def scan_runs(
    logs_root: Path, experiment: str | None = None
) -> tuple[list[RecordedRun], list[BrokenRun]]:
    """Every run under `logs_root` (or of one experiment), oldest first, and the unreadable."""
    runs: list[RecordedRun] = []
    broken: list[BrokenRun] = []
    for run_dir in run_folders(logs_root, experiment):
        found = read_run(run_dir)
        (broken if isinstance(found, BrokenRun) else runs).append(found)  # type: ignore[arg-type]
    return runs, broken


def find_runs(logs_root: Path, experiment: str | None = None) -> list[RecordedRun]:
    """Every readable run under `logs_root` (or of one experiment), oldest first."""
    return scan_runs(logs_root, experiment)[0]


_LAST = re.compile(r"^last(?:~(\d+))?$")


def find_run(logs_root: Path, reference: str) -> RecordedRun:
    """The run `reference` names.

    A reference is a run folder, a run id or its start (`20261129-1015`), `last` (the
    newest run), `last~N` (the one N before it), or a tag; each but a folder may be
    prefixed by `EXPERIMENT/`. Ids are matched on folder names before anything is read.

    Raises:
        BadInputError: no run, or several runs, match.
        UnreadableRunError: the run named cannot be read (the message says why).
    """
    path = Path(reference)
    if path.is_dir():
        return _readable(path, reference)
    experiment, _, name = reference.rpartition("/")
    experiment_name = experiment or None
    if experiment_name is not None and not (logs_root / experiment_name).is_dir():
        msg = f"no experiment `{experiment_name}` has runs in `{logs_root}` (in `{reference}`)"
        raise BadInputError(msg)
    if RUN_ID_PATTERN.match(name):  # a whole id: look for its folder, list nothing
        experiments = [experiment_name] if experiment_name else _experiment_names(logs_root)
        exact = [logs_root / e / name for e in experiments if (logs_root / e / name).is_dir()]
        if len(exact) == 1:
            return _readable(exact[0], reference)
    folders = run_folders(logs_root, experiment_name)
    last = _LAST.match(name)
    if last is not None:
        back = int(last.group(1) or 0)
        if back >= len(folders):
            count = len(folders)
            msg = f"`{reference}`: there are {count} runs (`last` to `last~{max(count - 1, 0)}`)"
            if not count:
                of = f" of experiment `{experiment_name}`" if experiment_name else ""
                msg = f"`{reference}`: there are no runs yet{of}; start one with a run.py"
            raise BadInputError(msg)
        return _readable(folders[-1 - back], reference)
    matches = [folder for folder in folders if name and folder.name.startswith(name)]
    if not matches and TAG_PATTERN.match(name):
        matches = [folder for folder in folders if name in RunNotes.read(folder).tags]
        kind = f"tag `{name}` is on"
    else:
        kind = f"`{reference}` matches"
    if len(matches) == 1:
        return _readable(matches[0], reference)
    if not matches:
        msg = (
            f"no run `{reference}` in `{logs_root}`; give a run folder, a run id (or its "
            "start), EXPERIMENT/RUN_ID, `last`, `last~N` or a tag; `flow runs` lists them"
        )
        raise BadInputError(msg)
    shown = ", ".join(f"`{folder.parent.name}/{folder.name}`" for folder in matches[:5])
    shown += ", ..." if len(matches) > 5 else ""
    msg = f"{kind} {len(matches)} runs ({shown}); give more of the id"
    raise BadInputError(msg)


def _readable(run_dir: Path, reference: str) -> RecordedRun:
    """The run in `run_dir`, or a one-line error saying why it cannot be read."""
    try:
        return RecordedRun.read(run_dir)
    except UnreadableManifestError as error:
        msg = f"run `{reference}` cannot be read: {error}"
        raise UnreadableRunError(msg) from error


def checked_config(run: RecordedRun, reference: str) -> None:
    """Raise `UnreadableRunError` (one line) when the run's config cannot be read."""
    problem = config_problem(run.dir)
    if problem is not None:
        msg = f"run `{reference}` cannot be compared: {problem}"
        raise UnreadableRunError(msg)


def config_problem(run_dir: Path) -> str | None:
    """What is wrong with the run's `config.json`, or None when it reads as a config."""
    path = run_dir / CONFIG_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"`{path}` is missing"
    except (OSError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        return f"cannot read `{path}`: {reason}"
    if not isinstance(data, dict):
        return f"`{path}` holds {type(data).__name__}, not a config object"
    return None


def _experiment_names(logs_root: Path) -> list[str]:
    return [name for name in _folder_names(logs_root) if not name.startswith(".")]


def _folder_names(folder: Path) -> list[str]:
    """The names of the folders in `folder` (the entries' types: no `stat` per entry)."""
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in entries if entry.is_dir()]
    except OSError:
        return []
