"""Runs as records for tables and notebooks: `load_runs(...)`, `.to_pandas()`.

Config values are written as the command line takes them; metric summaries and tags
come beside them.

A record's *columns* are what `flow runs` shows and what `--where`, `--sort` and
`to_pandas()` use:

- config values by dotted path (`optimizer.lr`, `steps`); a field holding one of several
  config types (a union) has the type's command-line name (`optimizer` -> `sgd`);
- for each logged metric `m`: `m` (its last value), `m.last`, `m.min`, `m.max`, and
  `m.last_step`, `m.min_step`, `m.max_step`; a config value of the same name wins the
  plain `m` (the others still reach the metric);
- each final number given to `run.summary` by its name;
- `run` (EXPERIMENT/ID), `experiment`, `id`, `status`, `started`, `duration`, `commit`,
  `tags` and `note` (the latest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from flows_workspace.results.config_values import ConfigValue, config_values
from flows_workspace.results.metrics import MetricsFile, MetricSummary
from flows_workspace.results.notes import RunNotes
from flows_workspace.runs.manifest import RUNNING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    from flows_workspace.runs.index import RecordedRun

SUMMARY_PARTS = ("last", "min", "max", "last_step", "min_step", "max_step")
RUN_FACTS = ("run", "experiment", "id", "status", "started", "duration", "commit", "tags", "note")


class _Summarized(Protocol):
    @property
    def metrics(self) -> Mapping[str, Any]: ...
    @property
    def summary(self) -> Mapping[str, Any]: ...


class NamedColumns:
    """`metric_names` and `summary_names` of anything with `metrics` and `summary` maps."""

    __slots__ = ()

    @property
    def metric_names(self: _Summarized) -> list[str]:
        """The metrics the run logged."""
        return list(self.metrics)

    @property
    def summary_names(self: _Summarized) -> list[str]:
        """The final numbers the run gave."""
        return list(self.summary)


class RunColumns(Protocol):
    """What tables and queries need of a run: a `RunRecord`, or its row in the index."""

    @property
    def name(self) -> str:
        """`EXPERIMENT/ID`."""

    @property
    def id(self) -> str:
        """The run id."""

    @property
    def metric_names(self) -> list[str]:
        """The metrics the run logged."""

    @property
    def summary_names(self) -> list[str]:
        """The final numbers the run gave."""

    @property
    def tags(self) -> list[str]:
        """The run's tags."""

    def columns(self) -> dict[str, Any]:
        """Every column by name."""

    def get(self, column: str) -> Any:
        """The value of one column, None when the run has none."""

    def column_names(self) -> list[str]:
        """Every column the run has."""

    def tokens(self) -> dict[str, str]:
        """Each config value as command-line argument(s), by dotted path."""


@dataclass
class RunRecord(NamedColumns):
    """One recorded run, read from its folder: facts, config values, metrics, tags."""

    run: RecordedRun
    config: Any
    """The config as plain data (None when missing)."""
    notes: RunNotes = field(default_factory=RunNotes)
    _metrics: dict[str, MetricSummary] | None = field(default=None, repr=False)
    _columns: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, run: RecordedRun) -> RunRecord:
        """The record of `run` (reads its config and notes)."""
        return cls(run, run.config_data(), RunNotes.read(run.dir))

    @property
    def id(self) -> str:
        """The run id."""
        return self.run.id

    @property
    def experiment(self) -> str:
        """The experiment's name."""
        return self.run.experiment

    @property
    def dir(self) -> Path:
        """The run folder."""
        return self.run.dir

    @property
    def status(self) -> str:
        """`running`, `finished`, `failed`, `interrupted` or `died`."""
        return self.run.status

    @property
    def name(self) -> str:
        """`EXPERIMENT/ID`."""
        return f"{self.experiment}/{self.id}"

    @property
    def metrics(self) -> dict[str, MetricSummary]:
        """Each logged metric's summary (from the metrics file while the run has not ended)."""
        if self._metrics is None:
            manifest = self.run.manifest
            if manifest.metrics or manifest.status != RUNNING:
                self._metrics = manifest.metrics
            else:
                self._metrics = MetricsFile.read(self.dir).summaries()
        return self._metrics

    @property
    def summary(self) -> dict[str, float]:
        """The final numbers given to `run.summary(...)`."""
        manifest = self.run.manifest
        if manifest.summary or manifest.status != RUNNING:
            return manifest.summary
        return MetricsFile.read(self.dir).final

    def config_values(self) -> dict[str, ConfigValue]:
        """Config values by dotted path (see the module's description)."""
        return config_values(self.config, self.run.manifest.cli_names)

    def tokens(self) -> dict[str, str]:
        """Each config value as command-line argument(s), by dotted path."""
        return {key: value.token(key) for key, value in self.config_values().items()}

    @property
    def tags(self) -> list[str]:
        """The run's tags."""
        return self.notes.tags

    def history(self) -> MetricHistory:
        """Every value the run logged (`.to_pandas()`: one row per `run.log` call)."""
        return MetricHistory(self.name, MetricsFile.read(self.dir))

    def get(self, column: str) -> Any:
        """The value of one column, None when the run has none."""
        return self.columns().get(column)

    def column_names(self) -> list[str]:
        """Every column the run has."""
        return list(self.columns())

    def columns(self) -> dict[str, Any]:
        """Every column of this run by name (see the module's description)."""
        if self._columns is None:
            self._columns = self._read_columns()
        return self._columns

    def _read_columns(self) -> dict[str, Any]:
        manifest = self.run.manifest
        notes = self.notes
        columns: dict[str, Any] = {
            "run": self.name,
            "experiment": self.experiment,
            "id": self.id,
            "status": self.status,
            "started": manifest.started,
            "duration": manifest.duration_seconds,
            "commit": manifest.commit_text(),
            "tags": " ".join(notes.tags),
            "note": notes.notes[-1].text if notes.notes else "",
        }
        for name, summary in self.metrics.items():
            columns[name] = summary.last
            for part in SUMMARY_PARTS:
                columns[f"{name}.{part}"] = getattr(summary, part)
        columns.update(self.summary)
        columns.update((key, value.value) for key, value in self.config_values().items())
        return columns


@dataclass(frozen=True)
class MetricHistory:
    """The values one run logged, column by column (`file.steps`, `file.columns["loss"]`)."""

    run: str
    """The run, `EXPERIMENT/ID`."""
    file: MetricsFile

    @property
    def steps(self) -> list[int]:
        """The step of each record."""
        return self.file.steps

    def __getitem__(self, metric: str) -> list[float | None]:
        """The values of `metric`, one per record (None where it was not logged)."""
        return self.file.columns[metric]

    def names(self) -> list[str]:
        """The metrics logged."""
        return self.file.names()

    def to_pandas(self) -> Any:
        """A `pandas.DataFrame`: `step`, `time` and one column per metric (NaN where not logged)."""
        pandas = _pandas()
        frame = pandas.DataFrame(
            {
                "step": self.file.steps,
                "time": pandas.to_datetime(self.file.times_ms, unit="ms", utc=True),
                **{
                    name: pandas.array(column, dtype="Float64")
                    for name, column in self.file.columns.items()
                },
            }
        )
        return frame.astype(dict.fromkeys(self.file.columns, "float64"))


class RunRecords(list[RunRecord]):
    """Recorded runs (a list of `RunRecord`) that turn into a table."""

    def to_pandas(self) -> Any:
        """A `pandas.DataFrame`, one row per run, indexed by `run`: facts, metrics, config."""
        pandas = _pandas()
        frame = pandas.DataFrame.from_records([record.columns() for record in self])
        if "run" in frame.columns:
            frame = frame.set_index("run")
        return frame

    def histories(self) -> Iterator[MetricHistory]:
        """Each run's metric history, in order."""
        return (record.history() for record in self)


def _pandas() -> Any:
    import importlib

    try:
        return importlib.import_module("pandas")
    except ImportError as error:
        msg = "`to_pandas()` needs pandas: `pip install pandas`"
        raise ImportError(msg) from error


def sweep_run_ids(logs_root: Path, reference: str, experiment: str | None = None) -> list[str]:
    """The ids of the runs sweep `reference` (its id or the id's start) launched, oldest first.

    The selection of `flow runs --sweep` (`sweeps.status.sweep_run_ids`), looking only
    at the sweep's experiment unless `experiment` is given.

    Raises:
        BadInputError: no sweep, or several, match `reference`.
    """
    from flows_workspace.sweeps.record import find_sweep
    from flows_workspace.sweeps.status import sweep_run_ids as launched_ids

    sweep = find_sweep(logs_root, reference)
    # Run ids begin with their start time: sorted ids are oldest first.
    return sorted(launched_ids(logs_root, sweep.id, experiment or sweep.experiment))


def sweep_runs(logs_root: Path, reference: str) -> list[RecordedRun]:
    """The runs sweep `reference` (its id or the id's start) launched, oldest first.

    Raises:
        BadInputError: no sweep, or several, match `reference`.
    """
    from flows_workspace.runs.index import find_run

    return [find_run(logs_root, run_id) for run_id in sweep_run_ids(logs_root, reference)]


def load_runs(
    experiment: str | None = None,
    *,
    runs: Sequence[str] | None = None,
    sweep: str | None = None,
    where: Iterable[str] = (),
    sort: str | None = None,
    root: str | Path | None = None,
) -> RunRecords:
    """The recorded runs of the workspace, of one experiment, of a sweep, or the ones named.

    Args:
        experiment: Only this experiment's runs.
        runs: Only these runs (references as `flow show` takes them: ids, id starts,
            `last`, `last~N`, tags, folders).
        sweep: Only the runs this sweep launched (its id or the id's start, as
            `flow runs --sweep` takes it); not together with `runs`.
        where: Conditions as `flow runs --where` takes them (`"optimizer.lr<0.01"`).
        sort: A column to sort by (`"loss"`; `"-loss"` for largest first).
        root: A folder in the workspace (default: the current folder).

    Raises:
        FlowsError: no workspace, or a bad reference, sweep, condition or column.
    """
    from pathlib import Path

    from flows_workspace.results.query import select
    from flows_workspace.runs.index import find_run, find_runs
    from flows_workspace.workspace.settings import find_workspace

    workspace = find_workspace(Path(root) if root is not None else None)
    if runs is not None and sweep is not None:
        from flows_workspace._errors import BadInputError

        msg = f"give `runs` or `sweep`, not both (`sweep={sweep!r}` selects its runs)"
        raise BadInputError(msg)
    if sweep is not None:
        found = sweep_runs(workspace.logs_root, sweep)
        if experiment is not None:
            found = [run for run in found if run.experiment == experiment]
    elif runs is not None:
        found = [find_run(workspace.logs_root, reference) for reference in runs]
    else:
        found = find_runs(workspace.logs_root, experiment)
    records = RunRecords(RunRecord.of(run) for run in found)
    return RunRecords(select(records, list(where), sort))
