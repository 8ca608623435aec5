"""Curves of a metric over runs (`flow plot`), drawn with matplotlib (the `plot` extra)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError, FlowsError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from flows_workspace.results.records import RunRecord

X_AXES = ("step", "time")
FORMATS = (".png", ".svg", ".pdf")
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 5.0, 100


def run_labels(records: Sequence[RunRecord]) -> list[str]:
    """A label per run: the config values that vary among them, else the run's id."""
    from flows_workspace.cli.run_table import varying_config_keys

    keys = varying_config_keys(records)
    labels = []
    for record in records:
        tokens = record.tokens()
        text = " ".join(tokens[key] for key in keys if key in tokens)
        labels.append(text or record.id)
    return labels


def curve(record: RunRecord, metric: str, x: str) -> tuple[list[float], list[float]]:
    """The points of `metric` in `record`'s history (x: step, or seconds from the first call)."""
    history = record.history().file
    values = history.columns.get(metric, [])
    if x == "step":
        xs: list[float | None] = [float(step) for step in history.steps]
    else:
        start = next((t for t in history.times_ms if t is not None), 0)
        xs = [None if t is None else (t - start) / 1000 for t in history.times_ms]
    points = [
        (px, value)
        for px, value in zip(xs, values, strict=True)
        if px is not None and value is not None and not math.isinf(value)
    ]
    return [p[0] for p in points], [p[1] for p in points]


def plot_runs(records: Sequence[RunRecord], metric: str, x: str, output: Path) -> int:
    """Draw `metric` of each run against `x` into `output`; the number of curves drawn.

    Raises:
        BadInputError: an unknown metric or x axis, or an unsupported file type.
        FlowsError: matplotlib is not installed.
    """
    if x not in X_AXES:
        msg = f"`--x {x}` is not an axis; use `step` or `time` (seconds since the first log)"
        raise BadInputError(msg)
    if output.suffix.lower() not in FORMATS:
        msg = f"cannot draw `{output}`: give a file ending in {', '.join(FORMATS)}"
        raise BadInputError(msg)
    logged = {name for record in records for name in record.metrics}
    if metric not in logged:
        known = ", ".join(f"`{name}`" for name in sorted(logged)) or "none"
        msg = f"no run here logged `{metric}`; logged metrics: {known}"
        raise BadInputError(msg)
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    drawn = 0
    for record, label in zip(records, run_labels(records), strict=True):
        xs, ys = curve(record, metric, x)
        if xs:
            axes.plot(xs, ys, label=label, linewidth=1.5)
            drawn += 1
    axes.set_xlabel("step" if x == "step" else "seconds")
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} ({drawn} runs)")
    axes.grid(alpha=0.3)
    if drawn:
        axes.legend(fontsize="small")
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=DPI)
    pyplot.close(figure)
    return drawn


def _pyplot() -> Any:
    import importlib

    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError as error:
        msg = "`flow plot` needs matplotlib: `pip install 'flows-workspace[plot]'`"
        raise FlowsError(msg) from error
    matplotlib.use("Agg")  # files only: no window, no display needed
    return importlib.import_module("matplotlib.pyplot")
