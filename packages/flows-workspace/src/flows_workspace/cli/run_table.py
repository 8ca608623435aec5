"""The table of `flow runs`: what varies among the listed runs, then their metrics.

Config cells are written as the command line takes them (`optimizer:sgd`,
`--optimizer.lr=0.01`), in the config's order, so a row's config cells pasted after
`python flows/EXP/run.py` run that configuration again.
"""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows_workspace.cli.table import clock_text, duration_text, format_value, print_table
from flows_workspace.results.query import check_column, known_columns

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows_workspace.results.records import RunColumns
    from flows_workspace.runs.index import BrokenRun

FACT_COLUMNS = ("status", "started", "duration", "commit")
_HEADERS = {"status": "STATUS", "started": "START", "duration": "DURATION", "commit": "COMMIT"}
_CELL_LIMIT = 28
"""Widest a cell gets when the table must fit the terminal."""
UNREADABLE = "unreadable"


def varying_config_keys(records: Sequence[RunColumns]) -> list[str]:
    """The config keys whose value is not the same in every record (in config order)."""
    if len(records) < 2:
        return []
    all_tokens = [record.tokens() for record in records]
    keys = dict.fromkeys(itertools.chain.from_iterable(all_tokens))
    # map over dict.get: C loops, as this looks at every key of every run.
    return [key for key in keys if len(set(map(dict.get, all_tokens, itertools.repeat(key)))) > 1]


def metric_columns(records: Sequence[RunColumns]) -> list[str]:
    """Each logged metric (its last value) and each final number, in first-seen order."""
    names = dict.fromkeys(
        itertools.chain.from_iterable(
            (*record.metric_names, *record.summary_names) for record in records
        )
    )
    config_keys = set().union(*(record.tokens() for record in records))
    # A metric named like a config key is shown by its `.last` column.
    return [f"{name}.last" if name in config_keys else name for name in names]


def default_columns(records: Sequence[RunColumns]) -> list[str]:
    """Run facts, the config values that vary, the metrics, and tags if any run has some."""
    columns = [*FACT_COLUMNS, *varying_config_keys(records), *metric_columns(records)]
    if any(record.tags for record in records):
        columns.append("tags")
    return columns


def chosen_columns(records: Sequence[RunColumns], spec: str | None) -> list[str]:
    """The columns of `--columns a,b,c` (checked), or the default ones.

    Raises:
        BadInputError: an unknown column.
    """
    if spec is None:
        return default_columns(records)
    columns = [name.strip() for name in spec.split(",") if name.strip()]
    if records:
        known = known_columns(records)
        for name in columns:
            check_column(name, known, f"`--columns {spec}`")
    return columns


def cell(record: RunColumns, column: str) -> str:
    """What the table shows for `column` of `record`."""
    if column == "started":
        return clock_text(_moment(record.get("started")))
    if column == "duration":
        return duration_text(record.get("duration"))
    token = record.tokens().get(column)
    if token is not None:
        return token
    return format_value(record.get(column))


def _cells_of(column: str, records: Sequence[RunColumns]) -> list[str]:
    """The column's cells, one per record (one loop per column: 10,000 rows stay quick)."""
    if column == "started":
        return [clock_text(_moment(record.get(column))) for record in records]
    if column == "duration":
        return [duration_text(record.get(column)) for record in records]
    tokens = [record.tokens().get(column) for record in records]
    return [
        (
            token
            if token is not None
            # A finite float (most cells) inline: a call per cell adds up over 10,000 rows.
            else f"{value:.4g}"
            if (value := record.get(column)).__class__ is float and value - value == 0.0
            else format_value(value)
        )
        for record, token in zip(records, tokens, strict=True)
    ]


def _moment(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def header_of(column: str) -> str:
    """The heading of a column: run facts in capitals, config keys and metrics as named."""
    return _HEADERS.get(column, column)


def print_runs_table(
    records: Sequence[RunColumns],
    broken: Sequence[BrokenRun],
    columns: Sequence[str],
    *,
    with_experiment: bool,
) -> None:
    """Print the table, fitted to the terminal's width, then one line per unreadable run."""
    header = ["RUN", *(header_of(column) for column in columns)]
    cells = [_cells_of(column, records) for column in columns]
    names = [record.name if with_experiment else record.id for record in records]
    rows = [list(row) for row in zip(names, *cells, strict=True)]
    width = _terminal_width()
    hidden: list[str] = []
    if width is not None:
        # The run's name is never cut: it is what the other commands take.
        rows = [[row[0], *(_shorten(text) for text in row[1:])] for row in rows]
        header = [header[0], *(_shorten(text) for text in header[1:])]
        dropped: set[int] = set()
        for index in _dropping_order(columns, records):
            kept = [i for i in range(len(header)) if i not in dropped]
            if len(kept) <= 2 or _table_width(header, rows, kept) <= width:
                break
            dropped.add(index + 1)  # after RUN
        hidden = [header[i] for i in sorted(dropped)]
        header = [text for i, text in enumerate(header) if i not in dropped]
        rows = [[text for i, text in enumerate(row) if i not in dropped] for row in rows]
    print_table(header, rows)
    for run in broken:
        name = f"{run.experiment}/{run.id}" if with_experiment else run.id
        print(f"{name}  {UNREADABLE}: {run.problem}")
    if hidden:
        print(
            f"({len(hidden)} more columns: {', '.join(hidden)}; widen the terminal or choose "
            "with --columns)",
            file=sys.stderr,
        )


def write_csv(
    records: Sequence[RunColumns], broken: Sequence[BrokenRun], columns: Sequence[str]
) -> None:
    """Print the runs as CSV: plain values (full precision), unreadable runs with a problem."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["run", *columns, "problem"])
    for record in records:
        writer.writerow([record.name, *(_csv_value(record.get(c)) for c in columns), ""])
    for run in broken:
        row = [UNREADABLE if column == "status" else "" for column in columns]
        writer.writerow([f"{run.experiment}/{run.id}", *row, run.problem])


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value)
    return str(value)


def _terminal_width() -> int | None:
    """The width to fit: the terminal's, or `COLUMNS`; None when printing to a pipe."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= _CELL_LIMIT else text[: _CELL_LIMIT - 1] + "…"


def _dropping_order(columns: Sequence[str], records: Sequence[RunColumns]) -> list[int]:
    """The columns to leave out of a narrow table, first to last (indices into `columns`).

    What comes after the first metric (the other metrics, tags) goes first, from the
    end; then COMMIT, DURATION and START; then the config values that vary, from the
    end; then the first metric; STATUS last.
    """
    metrics = set(metric_columns(records))
    first = next((i for i, column in enumerate(columns) if column in metrics), len(columns))
    facts = [i for i, column in enumerate(columns) if column in FACT_COLUMNS[1:]]
    status = [i for i, column in enumerate(columns) if column == "status"]
    later = reversed(range(first + 1, len(columns)))  # STATUS may be there (`--columns`)
    order = [i for i in later if i not in {*facts, *status}]
    order += reversed(facts)
    order += [i for i in reversed(range(first)) if i not in {*order, *status}]
    return order + [i for i in range(first, len(columns)) if i not in order] + status


def _table_width(
    header: Sequence[str], rows: Sequence[Sequence[str]], kept: Sequence[int] | None = None
) -> int:
    kept = range(len(header)) if kept is None else kept
    widths = [max(len(row[i]) for row in (header, *rows)) for i in kept]
    return sum(widths) + 2 * (len(widths) - 1)
