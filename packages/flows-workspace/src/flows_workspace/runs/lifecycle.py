"""How a recorded run's manifest grows: first facts, slow facts, and how the run ended.

`record_run` writes the first manifest at once; `RecordKeeper` adds the git state and
environment from a background thread and, at the end, the outcome and metric summaries.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from flows_workspace._errors import tell
from flows_workspace._process import Terminated
from flows_workspace.runs.manifest import (
    FAILED,
    FINISHED,
    INTERRUPTED,
    RunError,
    RunManifest,
)

if TYPE_CHECKING:
    from pathlib import Path

    from config_utils import Registry

    from flows_workspace.results.metrics import MetricSummary
    from flows_workspace.runs.details import CodeLocation
    from flows_workspace.runs.record import Run


def warn_unrecorded(what: str, error: OSError) -> None:
    """One warning line: `what` could not be recorded (the run itself goes on)."""
    from flows_workspace._errors import os_error_message

    tell("warning", f"could not record {what}: {os_error_message(error)}")


def first_manifest(
    run: Run,
    config: object,
    config_text: str,
    script: Path,
    started: datetime,
    registry: Registry | None,
) -> RunManifest:
    """The manifest written before the run's body starts: cheap facts only."""
    from flows_workspace._process import host_name
    from flows_workspace.reruns.environment import rerun_source, sweep_entry
    from flows_workspace.results.config_values import cli_names
    from flows_workspace.runs.defaults import defaults_of, type_defaults, type_names
    from flows_workspace.runs.environment import recorded_environment

    config_type = type(config)
    config_data = json.loads(config_text)
    return RunManifest(
        run_id=run.id,
        experiment=run.experiment,
        started=started.isoformat(),
        argv=list(sys.argv),
        cwd=os.getcwd(),
        script=str(script),
        workspace=str(run.workspace.root),
        pid=os.getpid(),
        config_type=f"{config_type.__module__}.{config_type.__qualname__}",
        default_config=defaults_of(config_type, registry),
        type_defaults=type_defaults(config_data, registry),
        cli_names=cli_names(type_names(config_data), registry),
        hostname=host_name(),
        environment=recorded_environment(),
        sweep=sweep_entry(script),
        rerun_of=rerun_source(script),
    )


@dataclass(frozen=True)
class Outcome:
    """How the body of a recorded run ended."""

    status: str
    error: RunError | None = None
    interrupted_by: str | None = None


class RecordKeeper:
    """The manifest of one run, rewritten whole whenever something is added."""

    def __init__(self, run_dir: Path, manifest: RunManifest) -> None:
        self.run_dir = run_dir
        self.manifest = manifest
        self.lock = threading.Lock()
        self.ending = threading.Event()
        """Set once the run's body is over (its record is about to be finished)."""

    def write(self) -> None:
        """Write the manifest as it is now."""
        with self.lock:
            self.manifest.write(self.run_dir)

    def add_slow_facts(self, where: CodeLocation) -> None:
        """Git state (and patch) and installed distributions; runs in a background thread."""
        from flows_workspace.runs.details import gather

        try:
            facts = gather(self.run_dir, where)
            with self.lock:
                facts.apply(self.manifest)
                self.manifest.write(self.run_dir)
        except OSError as error:
            warn_unrecorded("the run's code version and environment", error)
        if not self.ending.is_set():  # else `finish` renews the row in a moment
            update_index(self.run_dir)

    def finish(
        self, outcome: Outcome, metrics: dict[str, MetricSummary], final: dict[str, float]
    ) -> None:
        """Record how the run ended, with its metric summaries and final numbers."""
        ended = datetime.now(timezone.utc)
        with self.lock:
            manifest = self.manifest
            if self.manifest.resumed:  # the summaries cover every attempt's values
                from flows_workspace.results.metrics import MetricsFile

                metrics = MetricsFile.read(self.run_dir).summaries()
                final = {**manifest.summary, **final}
            manifest.metrics = metrics
            manifest.summary = final
            manifest.status = outcome.status
            manifest.error = outcome.error
            manifest.interrupted_by = outcome.interrupted_by
            manifest.ended = ended.isoformat()
            started = datetime.fromisoformat(manifest.started)
            manifest.duration_seconds = round((ended - started).total_seconds(), 6)
            manifest.write(self.run_dir)
        update_index(self.run_dir)


def update_index(run_dir: Path) -> None:
    """Renew the run's row in the workspace's index of runs (a cache: failures are ignored)."""
    from flows_workspace.results.summary_index import RunIndex

    RunIndex(run_dir.parent.parent).update(run_dir)


def load_index_code() -> None:
    """Import what `update_index` needs (several milliseconds), while there is a wait anyway."""
    import flows_workspace.results.summary_index  # noqa: F401


def outcome_of(error: BaseException) -> Outcome:
    """How a run that ended by `error` is recorded."""
    if isinstance(error, Terminated):
        return Outcome(INTERRUPTED, interrupted_by="SIGTERM")
    if isinstance(error, KeyboardInterrupt):
        return Outcome(INTERRUPTED, interrupted_by="SIGINT")
    if isinstance(error, SystemExit) and error.code in (None, 0):
        return Outcome(FINISHED)
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None
    return Outcome(FAILED, RunError(type(error).__qualname__, str(error), where))
