"""`MetricsWriter`: what `run.log` and `run.summary` call, appending to `metrics.jsonl`.

The hot path only checks types and queues one dict; a shielded helper thread writes the
queue as column chunks (see `metrics`, the file's model) at least every `FLUSH_SECONDS`.
"""

from __future__ import annotations

import itertools
import operator
import threading
import time
from typing import TYPE_CHECKING, SupportsFloat

from flows_workspace._process import start_shielded
from flows_workspace.results.metrics import (
    FLUSH_SECONDS,
    METRICS_NAME,
    MetricsFile,
    MetricSummary,
    MetricValueError,
    as_number,
    summarize,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from flows_workspace.results.tensorboard import TensorBoardEvents


_clock = time.time  # bound once: the hot path skips two lookups
_INT_LIMIT = 2**1023
"""Ints this large or larger may not fit a float (they go through `as_number`, which says so)."""
# A queued record is the dict of `add`'s keyword arguments, with its step and time added
# under the names of `add`'s own parameters, which no keyword argument can have.
_STEP, _TIME = "step", "self"
_RESERVED = (_STEP, _TIME)
_steps_of, _times_of = operator.itemgetter(_STEP), operator.itemgetter(_TIME)


class MetricsWriter:
    """Appends a run's metrics to `metrics.jsonl` from a helper thread, and summarizes them.

    `add` is the hot path: it checks the values' types and queues one dict. The helper
    thread (shielded from SIGINT and SIGTERM, so Ctrl-C still reaches the main thread)
    writes the queue every `FLUSH_SECONDS`; `close` writes the rest.
    """

    def __init__(
        self,
        run_dir: Path,
        tensorboard: TensorBoardEvents | None = None,
        *,
        resumed: bool = False,
    ) -> None:
        """A writer for the run in `run_dir`.

        Args:
            run_dir: The run folder (its `metrics.jsonl` is appended to).
            tensorboard: Also write every value to these events.
            resumed: The run is resumed (`--resume`): its first chunk goes after the
                mark by which its records supersede the earlier ones from their first
                step on (see `metrics`).
        """
        self.path = run_dir / METRICS_NAME
        self._resumed = resumed
        self._tensorboard = tensorboard
        # One queue of records (see `add`), a list: `append` is atomic, so the hot path
        # takes no lock and records logged from several threads stay whole; `flush` takes
        # the first `count` records with one slice and deletes them with another (both
        # atomic, and appends only go to the end), a copy instead of a call per record.
        self._queue: list[dict[str, float]] = []
        # What `add` calls with its record: first `_start_and_append` (starts the helper
        # thread), then the queue's `append`, and `_refuse` once closed. So the hot path
        # has no "started?" test of its own.
        self._append: Callable[[dict[str, float]], None] = self._start_and_append
        self._final: dict[str, float] = {}
        self._summaries: dict[str, MetricSummary] = {}
        self._write_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._flush_often, name="flows-metrics", daemon=True)
        self._started = False
        self._warned = False

    def tensorboard_to(self, events: TensorBoardEvents) -> None:
        """Also write every value to `events` (before the first `add`)."""
        self._tensorboard = events

    def add(self, step: int, **values: SupportsFloat) -> None:
        """Queue one record: `run.log` (one call frame, as it is the hot path).

        `self` and `step` are parameters, so no metric can be named so: the record is
        `values` itself (the dict Python built for this call) with the step and the time
        added under those names. One dict per record and no tuple: 100,000 tuples kept
        in the queue cost the loop a third more, in passes of the garbage collector.

        Raises:
            MetricValueError: a value is not a number, or `step` is not an integer.
            RuntimeError: the run has ended.
        """
        if step.__class__ is not int:
            step = _as_step(step)
        for value in values.values():
            if value.__class__ is not float and (
                value.__class__ is not int or not -_INT_LIMIT < value < _INT_LIMIT
            ):
                values = {name: as_number(name, value) for name, value in values.items()}
                break
        values[_STEP] = step
        values[_TIME] = _clock()
        self._append(values)  # type: ignore[arg-type]  # numbers

    def add_final(self, /, **values: SupportsFloat) -> None:
        """Record final numbers (`run.summary`); written at once, kept for the manifest."""
        numbers = {name: as_number(name, value) for name, value in values.items()}
        self._check_open()
        self._final.update(numbers)
        self._write(MetricsFile.summary_line(numbers))

    def _start_and_append(self, record: dict[str, float]) -> None:
        """The first record: start the helper thread, then queue straight from now on."""
        with self._state_lock:  # against a second thread's first record, and `close`
            self._check_open()
            if not self._started:
                self._started = True
                start_shielded(self._thread)
                self._append = self._queue.append
            self._queue.append(record)

    def _check_open(self) -> None:
        if self._closed.is_set():
            msg = f"the run has ended; metrics can no longer be added to `{self.path}`"
            raise RuntimeError(msg)

    def _refuse(self, record: object) -> None:
        self._check_open()

    def _flush_often(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            self._flush_or_warn()

    def _flush_or_warn(self) -> None:
        """Flush; a file that cannot be written (disk full) is said once, never raised."""
        try:
            self.flush()
        except Exception as error:  # a full disk, or worse: said once, the run goes on
            if not self._warned:
                self._warned = True
                from flows_workspace._errors import tell

                tell("warning", f"metrics could not be written to `{self.path}`: {error}")

    def flush(self) -> None:
        """Write every queued record as one line (called by the helper thread and `close`)."""
        with self._flush_lock:
            queue = self._queue
            count = len(queue)
            if not count:
                return
            # C loops all the way (no Python-level step per record): one copy, then
            # itemgetter over the records.
            records = queue[:count]
            del queue[:count]
            steps = list(map(_steps_of, records))
            times = list(map(_times_of, records))
            columns = _columns(records)
            summarize(steps, columns, self._summaries)
            line = MetricsFile.chunk_line(steps, times, columns)
            if self._resumed:  # its records supersede the earlier ones from `steps[0]` on
                self._resumed = False
                line = MetricsFile.RESUMED_LINE + line
                if self._tensorboard is not None:
                    self._tensorboard.purge_step = steps[0]
            self._write(line)
            if self._tensorboard is not None:
                self._to_tensorboard(lambda board: board.add(steps, times, columns))

    def _to_tensorboard(self, write: Callable[[TensorBoardEvents], None]) -> None:
        """Write to the event file; on failure say so once and stop (metrics.jsonl goes on)."""
        board = self._tensorboard
        if board is None:
            return
        try:
            write(board)
        except Exception as error:  # tensorboardX's own failure must not stop the metrics
            self._tensorboard = None
            from flows_workspace._errors import tell

            tell("warning", f"TensorBoard events are no longer written: {error!r}")

    def _write(self, line: bytes) -> None:
        with self._write_lock, self.path.open("ab") as stream:
            stream.write(line)

    def close(self) -> tuple[dict[str, MetricSummary], dict[str, float]]:
        """Write what is queued and stop the helper thread; the summaries and final numbers."""
        with self._state_lock:
            self._closed.set()
            self._append = self._refuse
        if self._started:
            self._thread.join()
        self._flush_or_warn()
        self._to_tensorboard(lambda board: board.close(self._summaries, self._final))
        return self._summaries, self._final


def _columns(records: list[dict[str, float]]) -> dict[str, list[float | None]]:
    """Each metric's values in `records` by name, None where a record did not log it."""
    names = sorted(name for name in records[0] if name not in _RESERVED)
    # The usual case, every record logging the same metrics, in C loops: each record has
    # each name of the first (or itemgetter raises), and no more (by the count of keys).
    if sum(map(len, records)) == (len(names) + len(_RESERVED)) * len(records):
        try:
            return {name: list(map(operator.itemgetter(name), records)) for name in names}
        except KeyError:
            pass
    every = set().union(*records).difference(_RESERVED)
    return {name: list(map(dict.get, records, itertools.repeat(name))) for name in sorted(every)}


def _as_step(step: object) -> int:
    try:
        return operator.index(step)  # type: ignore[arg-type]
    except TypeError as error:
        msg = f"step {step!r} ({type(step).__name__}) is not an integer; give `step=` an int"
        raise MetricValueError(msg) from error
