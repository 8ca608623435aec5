"""Curves of a metric over runs (`flow plot`), drawn with matplotlib (the `plot` extra)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError, FlowsError, tell
from flows_workspace.results.metrics import METRICS_NAME

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from flows_workspace.results.metrics import MetricsFile
    from flows_workspace.results.records import RunRecord

X_AXES = ("step", "time")
FORMATS = (".png", ".svg", ".pdf")
WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 5.0, 100
"""The figure's size without its legend, which goes below the axes and adds its height."""
LABEL_WIDTH, LABEL_LINES, LINE_INCHES = 100, 3, 0.16
"""A curve's label is wrapped at `LABEL_WIDTH` characters (the figure's width in the
legend's font), on at most `LABEL_LINES` lines of `LINE_INCHES` each."""


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


def curve(history: MetricsFile, metric: str, x: str) -> tuple[list[float], list[float]]:
    """The points of `metric` in a run's history (x: step, or seconds from the first call)."""
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
    histories = [record.history().file for record in records]
    for record, history in zip(records, histories, strict=True):
        if history.damaged:
            lines = "line" if history.damaged == 1 else "lines"
            tell(
                "note",
                f"run `{record.name}`: {history.damaged} damaged {lines} of its "
                f"{METRICS_NAME} skipped",
                "flow",
            )
    curves = [
        (curve(history, metric, x), _wrapped(label))
        for history, label in zip(histories, run_labels(records), strict=True)
    ]
    curves = [(points, label) for points, label in curves if points[0]]
    drawn = len(curves)
    if not drawn:
        names = ", ".join(f"`{record.name}`" for record in records[:5])
        names += ", ..." if len(records) > 5 else ""
        msg = f"no values of `{metric}` to draw in the metrics of {names}"
        raise BadInputError(msg)
    pyplot = _pyplot()
    figure, axes = pyplot.subplots(
        figsize=(WIDTH_INCHES, HEIGHT_INCHES + _legend_inches([label for _, label in curves])),
        dpi=DPI,
        layout="constrained",
    )
    for (xs, ys), label in curves:
        axes.plot(xs, ys, label=label, linewidth=1.5)
    axes.set_xlabel("step" if x == "step" else "seconds")
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} ({drawn} runs)")
    axes.grid(alpha=0.3)
    if drawn:  # below the axes, never over the curves (the figure is taller by its height)
        columns = _legend_columns([label for _, label in curves])
        figure.legend(loc="outside lower center", fontsize="small", ncols=columns)
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=DPI)
    pyplot.close(figure)
    return drawn


def _wrapped(label: str) -> str:
    """`label` on lines that fit the legend's width, at most `LABEL_LINES` of them."""
    import textwrap

    return textwrap.fill(label, LABEL_WIDTH, max_lines=LABEL_LINES, placeholder=" ...")


def _legend_columns(labels: Sequence[str]) -> int:
    """Two columns when every label's lines fit half the width, else one."""
    longest = max((len(line) for label in labels for line in label.splitlines()), default=0)
    return 2 if len(labels) > 1 and longest <= LABEL_WIDTH // 2 - 5 else 1


def _legend_inches(labels: Sequence[str]) -> float:
    """The height the legend below the axes takes (its rows of text lines, and its frame)."""
    if not labels:
        return 0.0
    columns = _legend_columns(labels)
    heights = [label.count("\n") + 1 for label in labels]
    rows = [heights[start : start + columns] for start in range(0, len(heights), columns)]
    return 0.3 + LINE_INCHES * sum(max(row) + 0.4 for row in rows)


def _pyplot() -> Any:
    import importlib

    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError as error:
        msg = "`flow plot` needs matplotlib: `pip install 'flows-workspace[plot]'`"
        raise FlowsError(msg) from error
    matplotlib.use("Agg")  # files only: no window, no display needed
    return importlib.import_module("matplotlib.pyplot")
