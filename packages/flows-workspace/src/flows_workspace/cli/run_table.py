"""The table of `flow runs`: what varies among the listed runs, then their metrics.

Config cells are written as the command line takes them (`optimizer:sgd`,
`--optimizer.lr=0.01`), in the config's order, so a row's config cells pasted after
`python flows/EXP/run.py` run that configuration again.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

from flows_workspace.cli.table import print_table
from flows_workspace.runs.query import check_column, known_columns

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows_workspace.runs.index import BrokenRun
    from flows_workspace.runs.records import RunRecord

FACT_COLUMNS = ("status", "started", "duration", "commit")
_HEADERS = {"status": "STATUS", "started": "START", "duration": "DURATION", "commit": "COMMIT"}
_CELL_LIMIT = 28
"""Widest a cell gets when the table must fit the terminal."""
UNREADABLE = "unreadable"


def varying_config_keys(records: Sequence[RunRecord]) -> list[str]:
    """The config keys whose value is not the same in every record (in config order)."""
    if len(records) < 2:
        return []
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record.config_values()))
    varying = []
    for key in keys:
        tokens = {_token(record, key) for record in records}
        if len(tokens) > 1:
            varying.append(key)
    return varying


def metric_columns(records: Sequence[RunRecord]) -> list[str]:
    """Each logged metric (its last value) and each final number, in first-seen order."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.metrics))
        names.update(dict.fromkeys(record.summary))
    config_keys = {key for record in records for key in record.config_values()}
    # A metric named like a config key is shown by its `.last` column.
    return [f"{name}.last" if name in config_keys else name for name in names]


def default_columns(records: Sequence[RunRecord]) -> list[str]:
    """Run facts, the config values that vary, the metrics, and tags if any run has some."""
    columns = [*FACT_COLUMNS, *varying_config_keys(records), *metric_columns(records)]
    if any(record.notes.tags for record in records):
        columns.append("tags")
    return columns


def chosen_columns(records: Sequence[RunRecord], spec: str | None) -> list[str]:
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


def cell(record: RunRecord, column: str) -> str:
    """What the table shows for `column` of `record`."""
    from flows_workspace.cli.run_views import _clock as clock
    from flows_workspace.cli.run_views import _duration as duration_text

    manifest = record.run.manifest
    if column == "started":
        return clock(record.run.started)
    if column == "duration":
        return duration_text(manifest.duration_seconds)
    values = record.config_values()
    if column in values:
        return values[column].token(column)
    return format_value(record.columns().get(column))


def format_value(value: Any) -> str:
    """A number in four significant digits (`nan`, `inf` as such), `-` for nothing."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    return str(value)


def _token(record: RunRecord, key: str) -> str:
    value = record.config_values().get(key)
    return "-" if value is None else value.token(key)


def header_of(column: str) -> str:
    """The heading of a column: run facts in capitals, config keys and metrics as named."""
    return _HEADERS.get(column, column)


def print_runs_table(
    records: Sequence[RunRecord],
    broken: Sequence[BrokenRun],
    columns: Sequence[str],
    *,
    with_experiment: bool,
) -> None:
    """Print the table, fitted to the terminal's width, then one line per unreadable run."""
    header = ["RUN", *(header_of(column) for column in columns)]
    rows = [
        [record.name if with_experiment else record.id, *(cell(record, c) for c in columns)]
        for record in records
    ]
    width = _terminal_width()
    hidden: list[str] = []
    if width is not None:
        rows = [[_shorten(text) for text in row] for row in rows]
        header = [_shorten(text) for text in header]
        while len(header) > 2 and _table_width(header, rows) > width:
            hidden.insert(0, header.pop())
            for row in rows:
                row.pop()
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
    records: Sequence[RunRecord], broken: Sequence[BrokenRun], columns: Sequence[str]
) -> None:
    """Print the runs as CSV: plain values (full precision), unreadable runs with a problem."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["run", *columns, "problem"])
    for record in records:
        values = record.columns()
        writer.writerow([record.name, *(_csv_value(values.get(c)) for c in columns), ""])
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


def _table_width(header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return sum(widths) + 2 * (len(widths) - 1)
