"""Metrics of a run: `run.log(step=..., **scalars)` from a hot loop, the metrics file, summaries.

`metrics.jsonl` in the run folder is the one metrics file; `MetricsFile` is its one
model (`MetricsWriter` appends to it, `MetricsFile.read` reads it back). It is
append-only JSON Lines, each line one JSON object of one of two kinds:

- a chunk of logged records, in the order they were logged, column by column, each
  column a little-endian array in base64: `step` (int64), `time` (the wall clock of
  each `run.log` call, float64 seconds since the epoch) and each metric's values
  (float64) under `values`. A metric some records of the chunk did not log is an
  object: the positions of the records that logged it (`rows`, int32) and their
  `values`::

      {"step": "AAAAAAAAAAABAAAAAAAAAA==", "time": "...",
       "values": {"loss": "zczMzMzM7D9mZmZmZmbmPw==", "acc": {"rows": "AQAAAA==", "values": "..."}}}

  (`step` falls back to a JSON list of integers for steps beyond int64.) Readers also
  take the first form of the file, plain JSON lists: `{"step": [0, 1], "time_ms":
  [1764590102100, 1764590102150], "values": {"loss": [0.9, null]}}`;
- the final numbers given to `run.summary(...)`::

      {"summary": {"test_acc": 0.91}}

- the mark a resumed run (`--resume`) writes before its first chunk::

      {"resumed": true}

  The records logged after it supersede the earlier ones from the first step they log
  onward: readers drop every earlier record whose step is at least the first step of
  the first chunk after the mark. A run that stopped past its last checkpoint and
  resumed from it logs those steps again, and reads back as one that never stopped
  (each step once, in order); a resumed run that logs nothing takes nothing away.

Non-finite numbers are kept: in the arrays as IEEE values, and in plain JSON (the
summary line, the manifest) as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`
(Python's own spellings), read back as floats. A line cut short by a hard kill is
ignored by readers (and counted, `MetricsFile.damaged`).

Why binary columns: `run.log` only checks its values' types and appends its record (a
dict) to a queue (safe from several threads, with no lock); a helper thread turns everything
queued into one line, at least every `FLUSH_SECONDS` and when the run ends (so a run
killed outright loses at most the last fraction of a second). Columns let C do the
work (`array` packs a list of floats, `min`/`max`/`sum` over a column give the running
summaries), and packing a float costs about 1/30 of writing it as decimal text, which
was most of the cost of logging. The values come back exactly, in 11 bytes each.
"""

from __future__ import annotations

import binascii
import json
import math
import sys
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, SupportsFloat

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path


METRICS_NAME = "metrics.jsonl"
FLUSH_SECONDS = 0.5
"""How often the helper thread writes what was logged (the promise is once a second)."""

_NON_FINITE_TEXT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class LogFunction(Protocol):
    """The type of `run.log`."""

    def __call__(self, /, step: int, **scalars: SupportsFloat) -> None:
        """Record `scalars` at `step`."""


class MetricValueError(TypeError):
    """A value given to `run.log` or `run.summary` that is not a number."""


def json_number(value: float) -> float | str:
    """`value` as strict JSON allows it: a float, or `"NaN"`, `"Infinity"`, `"-Infinity"`."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def number_from_json(value: Any) -> float | None:
    """A metric value read from JSON (non-finite spelled as text), None when not a number."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return _NON_FINITE_TEXT.get(value)
    return None


def as_number(name: str, value: object) -> float:
    """`value` as a float (numpy and torch scalars convert), or a one-line error naming it.

    Raises:
        MetricValueError: `value` is not a number.
    """
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError as error:
        msg = f"metric `{name}` is an int too large for a float; log a smaller number"
        raise MetricValueError(msg) from error
    except (TypeError, ValueError, RuntimeError) as error:
        msg = (
            f"metric `{name}` is {value!r} ({type(value).__name__}), not a number; "
            "log numbers (a tensor's `.item()`, a float, an int)"
        )
        raise MetricValueError(msg) from error


@dataclass
class MetricSummary:
    """One metric over a run: its last, smallest and largest value, and the step of each.

    NaN values count as values (`last` may be NaN) but never as the smallest or largest
    unless every value was NaN.
    """

    last: float
    last_step: int | None
    min: float
    min_step: int | None
    max: float
    max_step: int | None
    count: int = 1

    @classmethod
    def first(cls, step: int | None, value: float) -> MetricSummary:
        """The summary of a metric seen once."""
        return cls(value, step, value, step, value, step)

    def take(self, steps: Sequence[int], values: Sequence[float]) -> None:
        """Take more values (logged at `steps`, in order) into the summary."""
        self.count += len(values)
        self.last, self.last_step = values[-1], steps[-1]
        if math.isnan(sum(values)):  # a NaN (or inf - inf): C's min and max would mislead
            known = [(step, v) for step, v in zip(steps, values, strict=True) if v == v]
            if not known:
                return
            steps, values = [step for step, _ in known], [v for _, v in known]
        low, high = min(values), max(values)
        if low < self.min or math.isnan(self.min):
            self.min, self.min_step = low, steps[values.index(low)]
        if high > self.max or math.isnan(self.max):
            self.max, self.max_step = high, steps[values.index(high)]

    def to_data(self) -> dict[str, Any]:
        """The summary as strict JSON data (non-finite numbers as text)."""
        return {
            "last": json_number(self.last),
            "last_step": self.last_step,
            "min": json_number(self.min),
            "min_step": self.min_step,
            "max": json_number(self.max),
            "max_step": self.max_step,
            "count": self.count,
        }

    @classmethod
    def from_data(cls, data: Any) -> MetricSummary | None:
        """A summary from `to_data`'s form; None when `data` is not one."""
        if not isinstance(data, dict):
            return None
        numbers = [number_from_json(data.get(key)) for key in ("last", "min", "max")]
        steps = [data.get(key) for key in ("last_step", "min_step", "max_step")]
        count = data.get("count", 1)
        if any(number is None for number in numbers) or not isinstance(count, int):
            return None
        if any(step is not None and not isinstance(step, int) for step in steps):
            return None
        last, low, high = (float(number) for number in numbers if number is not None)
        return cls(last, steps[0], low, steps[1], high, steps[2], count)


def summarize(
    steps: Sequence[int],
    columns: Mapping[str, Sequence[float | None]],
    summaries: dict[str, MetricSummary] | None = None,
) -> dict[str, MetricSummary]:
    """The summary of each metric over records given as columns (None: not logged there).

    Args:
        steps: The step of each record.
        columns: Each metric's value in each record, in logging order.
        summaries: Summaries so far, updated in place (default: start afresh).
    """
    summaries = {} if summaries is None else summaries
    for name, column in columns.items():
        values: Sequence[float] = column  # type: ignore[assignment]
        its_steps = steps
        try:
            sum(values)  # a TypeError if a record did not log it (quicker than `None in`)
        except TypeError:  # sparse: keep the records that logged this metric
            pairs = [
                (step, value)
                for step, value in zip(steps, column, strict=True)
                if value is not None
            ]
            if not pairs:
                continue
            its_steps, values = [step for step, _ in pairs], [value for _, value in pairs]
        summary = summaries.get(name)
        if summary is None:
            summary = summaries[name] = MetricSummary.first(its_steps[0], values[0])
            summary.count = 0
        summary.take(its_steps, values)
    return summaries


@dataclass
class MetricsFile:
    """What `metrics.jsonl` holds: every logged record, in order, and the final numbers."""

    steps: list[int] = field(default_factory=list)
    times_ms: list[int | None] = field(default_factory=list)
    """Wall clock of each record, milliseconds since the epoch."""
    columns: dict[str, list[float | None]] = field(default_factory=dict)
    """Each metric's value in each record (`steps[i]`, `times_ms[i]`, `columns[m][i]`
    belong together); None where a record did not log that metric."""
    final: dict[str, float] = field(default_factory=dict)
    """The numbers given to `run.summary(...)`."""
    damaged: int = 0
    """Lines skipped as not JSON (cut short by a hard kill, or damaged since)."""

    @classmethod
    def read(cls, run_dir: Path) -> MetricsFile:
        """The metrics of `run_dir` (empty when it logged none); bad lines are skipped."""
        history = cls()
        try:
            text = (run_dir / METRICS_NAME).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return history
        resumed = False  # after a resume mark, until its first chunk
        for line in text.splitlines():
            try:
                data = json.loads(line)
            except (ValueError, RecursionError):
                history.damaged += 1  # a line cut short by a hard kill
                continue
            if isinstance(data, dict):
                if data.get("resumed") is True:
                    resumed = True
                elif history._take(data, resumed=resumed):
                    resumed = False
        return history

    def _take(self, data: dict[str, Any], *, resumed: bool) -> bool:
        """Take one line's data; whether it was a chunk of records."""
        summary = data.get("summary")
        if isinstance(summary, dict):
            self.final.update(_numbers(summary))
        chunk = _chunk(data)
        if chunk is None:
            return False
        steps, times_ms, columns = chunk
        if resumed and steps:
            self._drop_from(steps[0])
        before = len(self.steps)
        self.steps.extend(steps)
        self.times_ms.extend(times_ms)
        for name, column in columns.items():
            self.columns.setdefault(name, [None] * before).extend(column)
        for column in self.columns.values():
            column.extend([None] * (len(self.steps) - len(column)))
        return True

    def _drop_from(self, first: int) -> None:
        """Drop the records at step `first` or later (superseded by a resumed run's)."""
        kept = [row for row, step in enumerate(self.steps) if step < first]
        if len(kept) == len(self.steps):
            return
        self.steps = [self.steps[row] for row in kept]
        self.times_ms = [self.times_ms[row] for row in kept]
        columns = {name: [column[row] for row in kept] for name, column in self.columns.items()}
        self.columns = {
            name: column
            for name, column in columns.items()
            if any(value is not None for value in column)
        }

    def summaries(self) -> dict[str, MetricSummary]:
        """The summary of each logged metric."""
        return summarize(self.steps, self.columns)

    def names(self) -> list[str]:
        """Every logged metric's name, in the order first logged."""
        return list(self.columns)

    @staticmethod
    def chunk_line(
        steps: Sequence[int], times: Sequence[float], columns: Mapping[str, Sequence[float | None]]
    ) -> bytes:
        """One line holding records as columns (UTF-8).

        Args:
            steps: The step of each record.
            times: The wall clock of each record, seconds since the epoch.
            columns: Each metric's value in each record; None where a record has none.
        """
        try:
            packed_steps = b'"' + _packed("q", steps) + b'"'
        except OverflowError:  # beyond int64: as JSON integers
            packed_steps = json.dumps(list(steps)).encode()
        # Put together by hand around `json.dumps`'s names, in one join: base64 text needs
        # no escaping, and `json.dumps` would look at each of its characters and copy it
        # (it was most of the cost of the line).
        parts = [b'{"step":', packed_steps, b',"time":"', _packed("d", times), b'","values":{']
        for position, (name, column) in enumerate(columns.items()):
            parts.append(b"%s%s:" % (b"," if position else b"", json.dumps(name).encode()))
            try:
                parts += (b'"', _packed("d", column), b'"')
            except TypeError:  # a None: pack the records that logged this metric
                rows = [row for row, value in enumerate(column) if value is not None]
                present = [column[row] for row in rows]
                parts += (b'{"rows":"', _packed("i", rows), b'","values":"')
                parts += (_packed("d", present), b'"}')
        parts.append(b"}}\n")
        return b"".join(parts)

    RESUMED_LINE = b'{"resumed": true}\n'
    """The mark a resumed run writes before its first chunk (see the module docstring)."""

    @staticmethod
    def summary_line(final: Mapping[str, float]) -> bytes:
        """One line holding the final numbers of `run.summary(...)` (UTF-8)."""
        numbers = {name: json_number(value) for name, value in final.items()}
        return (json.dumps({"summary": numbers}, allow_nan=False) + "\n").encode()


def _numbers(values: dict[str, Any]) -> dict[str, float]:
    numbers = {name: number_from_json(value) for name, value in values.items()}
    return {name: number for name, number in numbers.items() if number is not None}


def _packed(code: str, numbers: Sequence[Any]) -> bytes:
    """`numbers` as a little-endian array of type `code`, in base64 (ASCII).

    Raises:
        TypeError: a number is None (or not a number).
        OverflowError: a number does not fit the type.
    """
    packed = array(code, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return binascii.b2a_base64(packed, newline=False)


def _unpacked(code: str, text: str) -> list[Any]:
    """The numbers `_packed` wrote (`ValueError`: not such an array)."""
    packed = array(code)
    packed.frombytes(binascii.a2b_base64(text))
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tolist()


def _chunk(
    data: dict[str, Any],
) -> tuple[list[int], list[int | None], dict[str, list[float | None]]] | None:
    """The steps, times (ms) and columns of a chunk line, in either form; None if not one."""
    try:
        steps = data["step"]
        if isinstance(steps, str):
            steps = _unpacked("q", steps)
        if "time" in data:
            times_ms: list[int | None] = [
                int(moment * 1000) for moment in _unpacked("d", data["time"])
            ]
        else:
            times_ms = [t if isinstance(t, int) else None for t in data["time_ms"]]
        columns = {name: _column(value, len(steps)) for name, value in data["values"].items()}
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError):
        return None  # another kind of line, or a damaged one
    if not isinstance(steps, list) or not all(isinstance(step, int) for step in steps):
        return None
    if len(times_ms) != len(steps) or any(len(column) != len(steps) for column in columns.values()):
        return None
    return steps, times_ms, columns


def _column(value: Any, size: int) -> list[float | None]:
    """A metric's column of a chunk: packed, packed with its rows, or a JSON list."""
    if isinstance(value, str):
        return _unpacked("d", value)
    if isinstance(value, dict):
        column: list[float | None] = [None] * size
        for row, number in zip(
            _unpacked("i", value["rows"]), _unpacked("d", value["values"]), strict=True
        ):
            column[row] = number
        return column
    if isinstance(value, list):
        return [number_from_json(number) for number in value]
    msg = "not a column"
    raise TypeError(msg)


_BIG_ENDIAN = sys.byteorder == "big"
