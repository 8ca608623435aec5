"""Find recorded runs by reading the run folders under the workspace's logs folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError
from flows_workspace.runs.ids import RUN_ID_PATTERN
from flows_workspace.runs.manifest import (
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
class RecordedRun:
    """A run folder with its manifest."""

    dir: Path
    manifest: RunManifest

    @classmethod
    def read(cls, run_dir: Path) -> RecordedRun:
        """The run in `run_dir` (raises `UnreadableManifestError`)."""
        return cls(run_dir, RunManifest.read(run_dir))

    @property
    def id(self) -> str:
        """The run id (the folder's name)."""
        return self.dir.name

    @property
    def experiment(self) -> str:
        """The experiment the run belongs to: its folder's parent, wherever the files came from."""
        return self.dir.parent.name

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
        from flows_workspace._process import process_alive
        from flows_workspace.runs.environment import host_name

        pid = self.manifest.pid
        if self.manifest.hostname != host_name() or pid is None:
            return True  # cannot tell from here
        return process_alive(pid)


def find_runs(logs_root: Path, experiment: str | None = None) -> list[RecordedRun]:
    """Every run under `logs_root` (or of one experiment), oldest first.

    Folders without a readable manifest are skipped: they are not runs, or a run
    that is just starting.
    """
    if experiment is not None:
        experiment_dirs = [logs_root / experiment]
    else:
        experiment_dirs = sorted(p for p in _subfolders(logs_root) if not p.name.startswith("."))
    runs = []
    for experiment_dir in experiment_dirs:
        for run_dir in _subfolders(experiment_dir):
            if not RUN_ID_PATTERN.match(run_dir.name):
                continue
            try:
                runs.append(RecordedRun.read(run_dir))
            except UnreadableManifestError:
                continue
    return sorted(runs, key=lambda run: (run.id, run.experiment))


def find_run(logs_root: Path, reference: str) -> RecordedRun:
    """The run `reference` names: a run folder, `EXPERIMENT/RUN_ID`, a run id or its prefix.

    Raises:
        BadInputError: no run, or several runs, match.
    """
    path = Path(reference)
    if path.is_dir():
        try:
            return RecordedRun.read(path)
        except UnreadableManifestError as error:
            msg = f"`{reference}` is not a run folder ({error})"
            raise BadInputError(msg) from error
    experiment, _, run_id = reference.rpartition("/")
    matches = [
        run
        for run in find_runs(logs_root, experiment or None)
        if run.id.startswith(run_id) and run_id
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        msg = (
            f"no run `{reference}` in `{logs_root}`; give a run folder, a run id (or its "
            "start) or EXPERIMENT/RUN_ID; `flow runs` lists them"
        )
        raise BadInputError(msg)
    shown = ", ".join(f"`{run.experiment}/{run.id}`" for run in matches[:5])
    shown += ", ..." if len(matches) > 5 else ""
    msg = f"`{reference}` matches {len(matches)} runs ({shown}); give more of the id"
    raise BadInputError(msg)


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [entry for entry in folder.iterdir() if entry.is_dir()]
    except OSError:
        return []
