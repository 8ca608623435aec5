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
from typing import TYPE_CHECKING

from flows_workspace.results.index_rows import RunRow
from flows_workspace.runs.index import BrokenRun, read_run, run_names
from flows_workspace.runs.manifest import RUNNING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


INDEX_NAME = ".flows-index.sqlite3"
INDEX_FORMAT = 2
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
        names = run_names(self.logs_root, experiment)
        if not names:
            return [], []  # nothing to index: no file is made by only looking
        try:
            with self._connection() as connection:
                return self._reconciled(connection, names, experiment)
        except sqlite3.Error:  # no usable index (read-only, corrupt): read the folders
            rows = _rows_of([self._folder(*name) for name in names])
            return [row for _, _, row in rows if isinstance(row, RunRow)], [
                row for _, _, row in rows if isinstance(row, BrokenRun)
            ]

    def _folder(self, experiment: str, run_id: str) -> Path:
        return self.logs_root / experiment / run_id

    def _reconciled(
        self, connection: sqlite3.Connection, names: list[tuple[str, str]], experiment: str | None
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
        # Positions in `names` key everything, and folders are named by strings: making
        # and hashing 10,000 Paths is slow.
        found: list[RunRow | BrokenRun | None] = [None] * len(names)
        stale: list[int] = []
        current: list[tuple[int, str]] = []
        root = os.fspath(self.logs_root)
        for position, name in enumerate(names):
            entry = stored.pop(name, None)
            if (
                entry is None
                or entry[1] == RUNNING
                or entry[0] != _folder_time(f"{root}/{name[0]}/{name[1]}")
            ):
                stale.append(position)
            elif entry[1] == UNREADABLE:
                found[position] = BrokenRun(self._folder(*name), entry[2])
            else:
                current.append((position, entry[2]))
        stale.extend(_decode_rows(self.logs_root, names, current, found))
        fresh = _rows_of([self._folder(*names[position]) for position in stale])
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
    logs_root: Path,
    names: list[tuple[str, str]],
    rows: list[tuple[int, str]],
    found: list[RunRow | BrokenRun | None],
) -> list[int]:
    """Decode stored rows into `found`; the positions whose rows are not rows (read again).

    One `json.loads` for all of them: per call, the decoder's set-up costs as much as a
    small row, and a listing decodes thousands.
    """
    try:
        decoded = json.loads("[" + ",".join(text for _, text in rows) + "]")
        for (position, text), data in zip(rows, decoded, strict=True):
            found[position] = RunRow.from_data(logs_root, *names[position], data, text)
    except (ValueError, KeyError, TypeError):  # a damaged row: each on its own
        bad = []
        for position, text in rows:
            try:
                data = json.loads(text)
                found[position] = RunRow.from_data(logs_root, *names[position], data, text)
            except (ValueError, KeyError, TypeError):
                bad.append(position)
        return bad
    return []


def _folder_time(folder: str | Path) -> int:
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1


def _rows_of(folders: list[Path]) -> list[tuple[Path, int, RunRow | BrokenRun]]:
    """Read each folder (its time first, so a change while reading shows as stale later)."""
    from flows_workspace.results.records import RunRecord

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
