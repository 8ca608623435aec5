"""`RunRow`: what `flow runs` shows of one run, as one row of the index of runs.

Made from a run's record (which reads its folder) or decoded from the index; it answers
for the same columns as the record (`get`, `columns`), so listing never reads a folder.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flows_workspace.results.metrics import json_number, number_from_json
from flows_workspace.results.records import NamedColumns

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.results.records import RunRecord

_PARTS = ("last", "last_step", "min", "min_step", "max", "max_step")
_NAMING = ("run", "experiment", "id")
"""Run facts the folder's path gives, so not stored in the row (a fifth of its size)."""


class RunRow(NamedColumns):
    """What `flow runs` shows of one run (one index row), answering for columns lazily.

    Made from a `RunRecord` (which reads the folder) or read back from the index. It
    gives the same columns as the record (`get`, `columns`), in the same precedence.
    """

    __slots__ = (
        "_all",
        "_logs_root",
        "experiment",
        "facts",
        "hostname",
        "id",
        "metrics",
        "pid",
        "summary",
        "tokens_",
        "values",
    )

    def __init__(
        self,
        logs_root: Path,
        experiment: str,
        run_id: str,
        facts: dict[str, Any],
        values: dict[str, Any],
        tokens: dict[str, str],
        metrics: dict[str, list[Any]],
        summary: dict[str, float],
        pid: int | None,
        hostname: str | None,
    ) -> None:
        # Names, and the folder's Path only when asked: 10,000 Paths take a while to make.
        self._logs_root = logs_root
        self.experiment = experiment
        self.id = run_id
        self.facts = facts
        self.values = values
        self.tokens_ = tokens
        self.metrics = metrics
        """Each metric's `[last, last_step, min, min_step, max, max_step]`."""
        self.summary = summary
        self.pid = pid
        self.hostname = hostname
        self._all: dict[str, Any] | None = None

    @classmethod
    def of(cls, record: RunRecord) -> RunRow:
        """The row of a run read from its folder."""
        from flows_workspace.results.records import RUN_FACTS

        columns = record.columns()
        manifest = record.run.manifest
        return cls(
            record.dir.parent.parent,
            record.run.experiment,
            record.run.id,
            {name: columns[name] for name in RUN_FACTS if name not in _NAMING},
            {key: value.value for key, value in record.config_values().items()},
            record.tokens(),
            {
                name: [getattr(summary, part) for part in _PARTS]
                for name, summary in record.metrics.items()
            },
            dict(record.summary),
            manifest.pid,
            manifest.hostname,
        )

    @property
    def dir(self) -> Path:
        """The run's folder."""
        return self._logs_root / self.experiment / self.id

    @property
    def name(self) -> str:
        """`EXPERIMENT/ID`."""
        return f"{self.experiment}/{self.id}"

    @property
    def status(self) -> str:
        """The run's status when the row was made."""
        return str(self.facts["status"])

    @property
    def tags(self) -> list[str]:
        """The run's tags."""
        return str(self.facts["tags"]).split()

    def get(self, column: str) -> Any:
        """The value of one column, None when the run has none."""
        if column in self.values:
            return self.values[column]
        if column in self.summary:
            return self.summary[column]
        if column in self.metrics:
            return self.metrics[column][0]
        if column in self.facts:
            return self.facts[column]
        if column in _NAMING:
            return self.name if column == "run" else getattr(self, column)
        name, _, part = column.rpartition(".")
        if name in self.metrics and part in _PARTS:
            return self.metrics[name][_PARTS.index(part)]
        return None

    def column_names(self) -> list[str]:
        """Every column the run has."""
        return list(self.columns())

    def columns(self) -> dict[str, Any]:
        """Every column by name (as `RunRecord.columns`)."""
        if self._all is None:
            found: dict[str, Any] = {"run": self.name, "experiment": self.experiment, "id": self.id}
            found.update(self.facts)
            for name, parts in self.metrics.items():
                found[name] = parts[0]
                found.update(
                    (f"{name}.{part}", value) for part, value in zip(_PARTS, parts, strict=True)
                )
            found.update(self.summary)
            found.update(self.values)
            self._all = found
        return self._all

    def tokens(self) -> dict[str, str]:
        """Each config value as command-line argument(s), by dotted path."""
        return self.tokens_

    def to_json(self) -> str:
        """The row as stored in the index (strict JSON: non-finite numbers as text)."""
        metrics = {
            name: [json_number(v) if isinstance(v, float) else v for v in parts]
            for name, parts in self.metrics.items()
        }
        summary = {name: json_number(value) for name, value in self.summary.items()}
        data = [
            self.facts,
            self.values,
            self.tokens_,
            metrics,
            summary,
            self.pid,
            self.hostname,
        ]
        # Config values may be NaN: the index is read back by `json.loads`, which takes it.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_data(
        cls, logs_root: Path, experiment: str, run_id: str, data: Any, text: str
    ) -> RunRow:
        """A row read back from the index: `text`, decoded as `data` (`TypeError`: not one)."""
        if data.__class__ is not list or len(data) != 7:
            msg = "not an index row"
            raise TypeError(msg)
        facts, values, tokens, metrics, summary, pid, hostname = data
        if not (  # (no generator: this runs 10,000 times a listing)
            facts.__class__ is dict
            and values.__class__ is dict
            and tokens.__class__ is dict
            and metrics.__class__ is dict
            and summary.__class__ is dict
        ):
            msg = "not an index row"
            raise TypeError(msg)
        row = cls(
            logs_root, experiment, run_id, facts, values, tokens, metrics, summary, pid, hostname
        )
        if '"NaN"' not in text and 'Infinity"' not in text:
            return row
        for parts in metrics.values():
            for index in (0, 2, 4):
                if isinstance(parts[index], str):  # non-finite numbers are stored as text
                    parts[index] = number_from_json(parts[index])
        for name, value in summary.items():
            if isinstance(value, str):
                summary[name] = number_from_json(value)
        return row
