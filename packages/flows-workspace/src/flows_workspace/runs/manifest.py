"""The files of a run folder, and `RunManifest`: the one model of `manifest.json`.

A run folder `LOGS_ROOT/<experiment>/<run-id>/` holds:

- `config.json`: the resolved config (`config_utils.serialization` format);
- `manifest.json`: what ran, where, when, on which code, and how it ended;
- `uncommitted.patch`: the uncommitted changes of the workspace, new untracked files
  included (never files whose names mark secrets), as a binary diff that `git apply`
  puts back on the recorded commit;
- `stdout.log`, `stderr.log`: everything the run printed;
- `metrics.jsonl`: what the run logged with `run.log` (`runs.metrics.MetricsFile`).

Only `RunManifest.read` and `RunManifest.write` open `manifest.json`; every write
replaces it whole (temporary file, then rename).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows_workspace._files import write_atomically
from flows_workspace.results.metrics import MetricSummary, json_number, number_from_json
from flows_workspace.runs.config_diff import changed_values

if TYPE_CHECKING:
    from pathlib import Path

CONFIG_NAME = "config.json"
MANIFEST_NAME = "manifest.json"
PATCH_NAME = "uncommitted.patch"
STDOUT_NAME = "stdout.log"
STDERR_NAME = "stderr.log"
MANIFEST_FORMAT = 1
"""Bumped when a manifest key changes meaning; readers accept what they know."""

RUNNING = "running"
RESUMED = "resumed"
"""A run running again in its own folder (`--resume`)."""
FINISHED = "finished"
FAILED = "failed"
INTERRUPTED = "interrupted"


class UnreadableManifestError(ValueError):
    """A `manifest.json` that is missing, not JSON, or not shaped like a manifest."""


@dataclass(frozen=True)
class RunError:
    """How a failed run failed."""

    type: str
    message: str
    where: str | None = None


@dataclass(frozen=True)
class PythonFacts:
    """The interpreter a run used: as `platform` names it, and its full path."""

    version: str
    implementation: str
    executable: str


@dataclass(frozen=True)
class GitSummary:
    """The state of the repository holding the run's code (the patch has its own file)."""

    root: str
    commit: str | None
    """`HEAD`'s full hash; None in a repository without commits."""
    dirty: bool
    untracked: list[str] = field(default_factory=list)
    """Untracked, not ignored files, relative to `root` (the first 100: see the count)."""
    not_in_patch: list[str] = field(default_factory=list)
    """Untracked files left out of the patch (too large, too many, or a repository nested in
    the tree, named as its folder: `lib/`; the first 100)."""
    untracked_count: int | None = None
    """How many untracked files there were (None in manifests written before the cap)."""
    not_in_patch_count: int | None = None
    """How many untracked files were left out of the patch."""
    secrets_not_in_patch: list[str] = field(default_factory=list)
    """Changed or untracked files left out of the patch because their names mark
    credentials (`.env*`, `*.pem`, `*.key`, `id_*`, `.netrc`)."""


@dataclass(frozen=True)
class SweepOrigin:
    """The sweep variation a run is (launched by `flow sweep`)."""

    id: str | None
    variation: int | None
    snapshot: str
    """The code snapshot folder whose script ran."""
    snapshot_of: str | None
    """The experiment folder the snapshot copies."""


@dataclass
class RunManifest:
    """What ran, where, when, on which code, and how it ended."""

    run_id: str
    experiment: str
    started: str
    """Start time, ISO 8601 with time zone."""
    status: str = RUNNING
    ended: str | None = None
    duration_seconds: float | None = None
    error: RunError | None = None
    interrupted_by: str | None = None
    """`SIGINT` or `SIGTERM` for an interrupted run."""
    argv: list[str] = field(default_factory=list)
    cwd: str | None = None
    script: str | None = None
    workspace: str | None = None
    pid: int | None = None
    from_run: str | None = None
    """The folder of the run this one started from (`--from-run`), or the config file
    given when it was not a run's."""
    resumed: list[str] = field(default_factory=list)
    """When the run was resumed (`--resume`), ISO 8601 times, oldest first."""
    rerun_of: str | None = None
    """The folder of the run this one reruns exactly, on its code (`flow rerun`)."""
    sweep: SweepOrigin | None = None
    """The sweep and variation that launched this run, if any."""
    config_type: str | None = None
    default_config: Any = None
    """The config type's defaults as plain data (None when it has none)."""
    type_defaults: dict[str, Any] = field(default_factory=dict)
    """Defaults of each config type the config names, by registry name."""
    cli_names: dict[str, str] = field(default_factory=dict)
    """The command line's name of each config type in `type_defaults` (`SgdConfig` -> `sgd`)."""
    hostname: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    details_recorded: bool = False
    """Whether the slow facts below (gathered in the background) are in."""
    python: PythonFacts | None = None
    platform: str | None = None
    git: GitSummary | None = None
    distributions: dict[str, str] | None = None
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    """Each logged metric's last, smallest and largest value (set when the run ends)."""
    summary: dict[str, float] = field(default_factory=dict)
    """The final numbers given to `run.summary(...)`."""
    format: int = MANIFEST_FORMAT

    @classmethod
    def read(cls, run_dir: Path) -> RunManifest:
        """The manifest of `run_dir`.

        Raises:
            UnreadableManifestError: missing, not JSON, or not shaped like a manifest.
        """
        path = run_dir / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            msg = f"cannot read `{path}`: {error}"
            raise UnreadableManifestError(msg) from error
        return cls.from_data(data, path)

    @classmethod
    def from_data(cls, data: Any, where: object = "manifest") -> RunManifest:
        """A manifest from its JSON data; unknown keys are ignored (newer writers).

        Raises:
            UnreadableManifestError: `data` is not shaped like a manifest.
        """
        if not isinstance(data, dict):
            msg = f"`{where}` holds {type(data).__name__}, not a manifest object"
            raise UnreadableManifestError(msg)
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        try:
            manifest = cls(**values)
            manifest.error = _nested(RunError, data.get("error"))
            manifest.python = _nested(PythonFacts, data.get("python"))
            manifest.git = _nested(GitSummary, data.get("git"))
            manifest.sweep = _nested(SweepOrigin, data.get("sweep"))
            manifest.metrics = _metric_summaries(data.get("metrics"))
            manifest.summary = _final_numbers(data.get("summary"))
        except TypeError as error:
            msg = f"`{where}` is not a run manifest: {error}"
            raise UnreadableManifestError(msg) from error
        _check_types(manifest, where)
        return manifest

    def write(self, run_dir: Path) -> None:
        """Write the manifest to `run_dir`, replacing the previous one whole."""
        write_atomically(run_dir / MANIFEST_NAME, self.to_json() + "\n", in_place_when_full=True)

    def to_json(self) -> str:
        """The manifest as JSON text, as written to `manifest.json`."""
        data = dataclasses.asdict(self)
        # Non-finite metric values are written as text (`"NaN"`); a config default that is
        # NaN stays `NaN`, as in config.json, rather than failing the run.
        data["metrics"] = {name: summary.to_data() for name, summary in self.metrics.items()}
        data["summary"] = {name: json_number(value) for name, value in self.summary.items()}
        return json.dumps(data, indent=2, ensure_ascii=False, default=str)

    @property
    def started_at(self) -> datetime | None:
        """The start time, or None when it does not parse."""
        try:
            return datetime.fromisoformat(self.started)
        except ValueError:
            return None

    def changes(self, config_data: Any) -> list[tuple[str, Any]]:
        """`(path, value)` for each config value differing from the defaults (all without)."""
        return changed_values(self.default_config, config_data, self.type_defaults)

    def commit_text(self) -> str:
        """Short commit with `*` when the tree was dirty; `-` without git, `?` while unknown."""
        if self.git is None:
            return "-" if self.details_recorded else "?"
        commit = (self.git.commit or "no-commit")[:8]
        return f"{commit}*" if self.git.dirty else commit


def _metric_summaries(data: Any) -> dict[str, MetricSummary]:
    """The `metrics` table; entries that are not summaries are dropped."""
    if not isinstance(data, dict):
        return {}
    summaries = {name: MetricSummary.from_data(value) for name, value in data.items()}
    return {name: summary for name, summary in summaries.items() if summary is not None}


def _final_numbers(data: Any) -> dict[str, float]:
    """The `summary` table; values that are not numbers are dropped."""
    if not isinstance(data, dict):
        return {}
    numbers = {name: number_from_json(value) for name, value in data.items()}
    return {name: number for name, number in numbers.items() if number is not None}


def _nested(cls: type[Any], data: Any) -> Any:
    """`cls(**data)` for a nested table, None for null; anything else is malformed."""
    if data is None:
        return None
    if not isinstance(data, dict):
        msg = f"expected an object for {cls.__name__}, got {type(data).__name__}"
        raise TypeError(msg)
    known = {f.name for f in dataclasses.fields(cls)}
    return cls(**{key: value for key, value in data.items() if key in known})


_TYPES: dict[str, tuple[type, ...]] = {
    "run_id": (str,),
    "experiment": (str,),
    "started": (str,),
    "status": (str,),
    "ended": (str, type(None)),
    "duration_seconds": (int, float, type(None)),
    "argv": (list,),
    "resumed": (list,),
    "pid": (int, type(None)),
    "type_defaults": (dict,),
    "environment": (dict,),
    "details_recorded": (bool,),
}


def _check_types(manifest: RunManifest, where: object) -> None:
    """Raise `UnreadableManifestError` when a field readers rely on has the wrong type."""
    for name, types in _TYPES.items():
        value = getattr(manifest, name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            msg = f"`{where}`: `{name}` is {value!r}, not {' or '.join(t.__name__ for t in types)}"
            raise UnreadableManifestError(msg)


def read_config_data(run_dir: Path) -> Any:
    """The plain data of the run's config file, or None when missing or unreadable."""
    try:
        return json.loads((run_dir / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
