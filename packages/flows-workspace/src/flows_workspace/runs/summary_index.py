"""An index of run summaries, so `flow runs` need not read 10,000 run folders.

`LOGS_ROOT/.flows-index.sqlite3` (SQLite in WAL mode, from the standard library) holds
one row per run: what `flow runs` shows of it (`RunRow`), its status, and the time of
its folder when the row was made. The run folders stay the truth: the index is a cache.

- `record_run` updates the run's row when it starts and when it ends; `flow tag` and
  `flow note` update it too. A failure to write it (locked past the timeout, a
  read-only disk) never disturbs a run: the next listing notices and fixes the row.
- Listing reads the folder names, then the rows. A folder without a row, or whose time
  differs from the row's (every file of a run folder is written by a rename, which
  changes the folder's time), or whose row says `running`, is read again and its row
  replaced; rows of vanished folders are dropped.
- `flow runs --reindex` (`RunIndex.rebuild`) builds it again from the folders.

Many runs may start and end together (128 in the tests): WAL lets readers go on while
one writer writes, and writers wait for each other (`busy_timeout`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any

from flows_workspace.runs.index import BrokenRun, read_run, run_folders
from flows_workspace.runs.manifest import RUNNING
from flows_workspace.runs.metrics import number_from_json

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flows_workspace.runs.records import RunRecord

INDEX_NAME = ".flows-index.sqlite3"
INDEX_FORMAT = 1
"""Bumped when what a row holds changes; an index of another format is rebuilt."""
_BUSY_MILLISECONDS = 30_000
UNREADABLE = "unreadable"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    experiment TEXT NOT NULL,
    run_id TEXT NOT NULL,
    folder_time INTEGER NOT NULL,
    status TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (experiment, run_id)
);
PRAGMA user_version = {INDEX_FORMAT};
"""


_PARTS = ("last", "last_step", "min", "min_step", "max", "max_step")


class RunRow:
    """What `flow runs` shows of one run (one index row), answering for columns lazily.

    Made from a `RunRecord` (which reads the folder) or read back from the index. It
    gives the same columns as the record (`get`, `columns`), in the same precedence.
    """

    __slots__ = (
        "_all",
        "dir",
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
        run_dir: Path,
        facts: dict[str, Any],
        values: dict[str, Any],
        tokens: dict[str, str],
        metrics: dict[str, list[Any]],
        summary: dict[str, float],
        pid: int | None,
        hostname: str | None,
    ) -> None:
        self.dir = run_dir
        self.id = run_dir.name
        self.experiment = run_dir.parent.name
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
        from flows_workspace.runs.records import RUN_FACTS

        columns = record.columns()
        manifest = record.run.manifest
        return cls(
            record.dir,
            {name: columns[name] for name in RUN_FACTS},
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
    def name(self) -> str:
        """`EXPERIMENT/ID`."""
        return f"{self.experiment}/{self.id}"

    @property
    def status(self) -> str:
        """The run's status when the row was made."""
        return str(self.facts["status"])

    @property
    def metric_names(self) -> list[str]:
        """The metrics the run logged."""
        return list(self.metrics)

    @property
    def summary_names(self) -> list[str]:
        """The final numbers the run gave."""
        return list(self.summary)

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
            found = dict(self.facts)
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
        from flows_workspace.runs.metrics import json_number

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
    def from_data(cls, run_dir: Path, data: Any, text: str) -> RunRow:
        """A row read back from the index: `text`, decoded as `data` (`TypeError`: not one)."""
        if not isinstance(data, list) or len(data) != 7:
            msg = "not an index row"
            raise TypeError(msg)
        facts, values, tokens, metrics, summary, pid, hostname = data
        if not all(isinstance(part, dict) for part in (facts, values, tokens, metrics, summary)):
            msg = "not an index row"
            raise TypeError(msg)
        if '"NaN"' not in text and 'Infinity"' not in text:
            return cls(run_dir, facts, values, tokens, metrics, summary, pid, hostname)
        for parts in metrics.values():
            for index in (0, 2, 4):
                if isinstance(parts[index], str):  # non-finite numbers are stored as text
                    parts[index] = number_from_json(parts[index])
        for name, value in summary.items():
            if isinstance(value, str):
                summary[name] = number_from_json(value)
        return cls(run_dir, facts, values, tokens, metrics, summary, pid, hostname)


class RunIndex:
    """The index of one workspace's runs (`LOGS_ROOT/.flows-index.sqlite3`)."""

    def __init__(self, logs_root: Path) -> None:
        self.logs_root = logs_root
        self.path = logs_root / INDEX_NAME

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.logs_root.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=_BUSY_MILLISECONDS / 1000)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, INDEX_FORMAT):
                connection.execute("DROP TABLE IF EXISTS runs")
            connection.executescript(_SCHEMA)
            yield connection
        finally:
            connection.close()

    def update(self, run_dir: Path) -> bool:
        """Replace the row of the run in `run_dir` with what its folder says; False on failure.

        Never raises: the index is a cache, and a run must not fail because of it.
        """
        try:
            rows = _rows_of([run_dir])
            with self._connection() as connection, connection:
                _store(connection, rows)
        except Exception:  # a cache: whatever goes wrong, the run goes on, listing repairs it
            return False
        return True

    def rebuild(self) -> tuple[list[RunRow], list[BrokenRun]]:
        """Build the index again from the folders; the rows and the unreadable folders."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                self.path.with_name(self.path.name + suffix).unlink()
        return self.rows()

    def rows(self, experiment: str | None = None) -> tuple[list[RunRow], list[BrokenRun]]:
        """Every run's row, oldest first, and the unreadable folders; stale rows are renewed."""
        folders = run_folders(self.logs_root, experiment)
        if not folders:
            return [], []  # nothing to index: no file is made by only looking
        try:
            with self._connection() as connection:
                return self._reconciled(connection, folders, experiment)
        except sqlite3.Error:  # no usable index (read-only, corrupt): read the folders
            rows = _rows_of(folders)
            return [row for _, _, row in rows if isinstance(row, RunRow)], [
                row for _, _, row in rows if isinstance(row, BrokenRun)
            ]

    def _reconciled(
        self, connection: sqlite3.Connection, folders: list[Path], experiment: str | None
    ) -> tuple[list[RunRow], list[BrokenRun]]:
        query = "SELECT experiment, run_id, folder_time, status, row FROM runs"
        arguments: tuple[str, ...] = ()
        if experiment is not None:
            query += " WHERE experiment = ?"
            arguments = (experiment,)
        stored = {
            (name, run_id): (folder_time, status, row)
            for name, run_id, folder_time, status, row in connection.execute(query, arguments)
        }
        # Positions in `folders`, not Paths, key everything: hashing 10,000 Paths is slow.
        found: list[RunRow | BrokenRun | None] = [None] * len(folders)
        stale: list[int] = []
        current: list[tuple[int, str]] = []
        for position, folder in enumerate(folders):
            run_id = folder.name
            entry = stored.pop((folder.parent.name, run_id), None)
            if entry is None or entry[1] == RUNNING or entry[0] != _folder_time(folder):
                stale.append(position)
            elif entry[1] == UNREADABLE:
                found[position] = BrokenRun(folder, entry[2])
            else:
                current.append((position, entry[2]))
        stale.extend(_decode_rows(folders, current, found))
        fresh = _rows_of([folders[position] for position in stale])
        for position, (_, _, row) in zip(stale, fresh, strict=True):
            found[position] = row
        with contextlib.suppress(sqlite3.Error), connection:
            _store(connection, fresh)
            connection.executemany(
                "DELETE FROM runs WHERE experiment = ? AND run_id = ?", list(stored)
            )
        return [row for row in found if isinstance(row, RunRow)], [
            row for row in found if isinstance(row, BrokenRun)
        ]


def _decode_rows(
    folders: list[Path], rows: list[tuple[int, str]], found: list[RunRow | BrokenRun | None]
) -> list[int]:
    """Decode stored rows into `found`; the positions whose rows are not rows (read again).

    One `json.loads` for all of them: per call, the decoder's set-up costs as much as a
    small row, and a listing decodes thousands.
    """
    try:
        decoded = json.loads("[" + ",".join(text for _, text in rows) + "]")
        for (position, text), data in zip(rows, decoded, strict=True):
            found[position] = RunRow.from_data(folders[position], data, text)
    except (ValueError, KeyError, TypeError):  # a damaged row: each on its own
        bad = []
        for position, text in rows:
            try:
                found[position] = RunRow.from_data(folders[position], json.loads(text), text)
            except (ValueError, KeyError, TypeError):
                bad.append(position)
        return bad
    return []


def _folder_time(folder: Path) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


def _rows_of(folders: list[Path]) -> list[tuple[Path, int, RunRow | BrokenRun]]:
    """Read each folder (its time first, so a change while reading shows as stale later)."""
    from flows_workspace.runs.records import RunRecord

    rows: list[tuple[Path, int, RunRow | BrokenRun]] = []
    for folder in folders:
        moment = _folder_time(folder)
        found = read_run(folder)
        row = found if isinstance(found, BrokenRun) else RunRow.of(RunRecord.of(found))
        rows.append((folder, moment, row))
    return rows


def _store(
    connection: sqlite3.Connection, rows: list[tuple[Path, int, RunRow | BrokenRun]]
) -> None:
    values = []
    for folder, moment, row in rows:
        if isinstance(row, BrokenRun):
            values.append((folder.parent.name, folder.name, moment, UNREADABLE, row.problem))
            continue
        values.append((folder.parent.name, folder.name, moment, row.status, row.to_json()))
    connection.executemany(
        "INSERT OR REPLACE INTO runs (experiment, run_id, folder_time, status, row) "
        "VALUES (?, ?, ?, ?, ?)",
        values,
    )
