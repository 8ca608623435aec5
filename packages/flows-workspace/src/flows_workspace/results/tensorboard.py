"""TensorBoard event files beside `metrics.jsonl` (the `tensorboard` extra, tensorboardX).

On with `record_run(..., tensorboard=True)` or `tensorboard = true` in `flows.toml`.
The metrics helper thread writes every logged value into an event file in the run
folder, so `tensorboard --logdir logs` shows each run as `<experiment>/<run-id>`; when
the run ends, its config values go in as hparams, with each metric's last value as
`hparam/<metric>`. TensorBoard's writer is started from the helper thread, so its own
thread inherits the shield from Ctrl-C and SIGTERM.
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import FlowsError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from flows_workspace.results.metrics import MetricSummary

INSTALL = "pip install 'flows-workspace[tensorboard]'"


def check_available() -> None:
    """Raise a one-line `FlowsError` unless tensorboardX can be imported."""
    try:
        importlib.import_module("tensorboardX")
    except ImportError as error:
        msg = f"TensorBoard logging is on but tensorboardX is not installed: `{INSTALL}`"
        raise FlowsError(msg) from error


def hparam_values(values: Mapping[str, Any]) -> dict[str, bool | int | float | str]:
    """Config values as TensorBoard takes hparams (numbers, text, booleans)."""
    plain: dict[str, bool | int | float | str] = {}
    for key, value in values.items():
        plain[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return plain


class TensorBoardEvents:
    """The event file of one run, written from the metrics helper thread."""

    def __init__(self, run_dir: Path, hparams: Mapping[str, Any]) -> None:
        self.run_dir = run_dir
        self.hparams = hparam_values(hparams)
        self._writer: Any = None
        self.purge_step: int | None = None
        """A resumed run's first step: TensorBoard hides the earlier events from it on."""

    def _open(self) -> Any:
        if self._writer is None:
            summary_writer = importlib.import_module("tensorboardX").SummaryWriter
            # A resumed run's file is named apart: the names go by the second it was opened.
            suffix = "" if self.purge_step is None else f".from-{self.purge_step}"
            self._writer = summary_writer(
                logdir=str(self.run_dir),
                flush_secs=1,
                purge_step=self.purge_step,
                filename_suffix=suffix,
            )
        return self._writer

    def add(
        self,
        steps: Sequence[int],
        times: Sequence[float],
        columns: Mapping[str, Sequence[float | None]],
    ) -> None:
        """Write one chunk of records (called by the helper thread); `times` in seconds."""
        writer = self._open()
        for name, column in columns.items():
            for step, moment, value in zip(steps, times, column, strict=True):
                if value is not None:
                    writer.add_scalar(name, value, step, walltime=moment)

    def close(self, summaries: Mapping[str, MetricSummary], final: Mapping[str, float]) -> None:
        """Write the hparams with each metric's last value and each final number; close."""
        hparams_summaries = importlib.import_module("tensorboardX.summary").hparams
        writer = self._open()
        results = {f"hparam/{name}": summary.last for name, summary in summaries.items()}
        results.update((f"hparam/{name}", value) for name, value in final.items())
        results = {name: value for name, value in results.items() if math.isfinite(value)}
        for summary in hparams_summaries(self.hparams, results):
            writer.file_writer.add_summary(summary)
        for name, value in results.items():
            writer.add_scalar(name, value, 0)
        writer.close()
