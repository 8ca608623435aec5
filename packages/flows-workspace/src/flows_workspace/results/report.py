"""`flow report`: one self-contained HTML file of runs, their configs and their curves.

The file works offline and from anywhere (mail it, open it from a USB stick): plotly.js
(from the `plotly` distribution, the `report` extra) and the data are inlined, and a
Content-Security-Policy forbids the page any request. A sortable, filterable table
lists the runs (the config values that vary, metric summaries); a row opens its config
and manifest; each metric gets an interactive chart with a curve per run.
"""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import FlowsError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from flows_workspace.results.records import RunRecord

MAX_POINTS = 2_000
"""Most points a curve keeps in the file (evenly spaced, the last one always kept)."""
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)


def plotly_js() -> str:
    """plotly.js, minified, as the `plotly` distribution ships it.

    Raises:
        FlowsError: plotly is not installed.
    """
    from importlib import resources

    try:
        return resources.files("plotly").joinpath("package_data/plotly.min.js").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as error:
        msg = "`flow report` needs plotly: `pip install 'flows-workspace[report]'`"
        raise FlowsError(msg) from error


def _plain(value: Any) -> Any:
    """`value` with non-finite numbers as text, so the data stays strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        from flows_workspace.results.metrics import json_number

        return json_number(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _thinned(steps: list[int], values: list[float | None]) -> tuple[list[int], list[Any]]:
    points = [(step, value) for step, value in zip(steps, values, strict=True) if value is not None]
    if len(points) > MAX_POINTS:
        stride = len(points) / MAX_POINTS
        kept = [points[int(i * stride)] for i in range(MAX_POINTS - 1)]
        points = [*kept, points[-1]]
    return [p[0] for p in points], [_plain(p[1]) for p in points]


def report_data(records: Sequence[RunRecord], title: str) -> dict[str, Any]:
    """Everything the page shows, as plain data."""
    from flows_workspace.cli.run_table import metric_columns, varying_config_keys
    from flows_workspace.cli.table import clock_text
    from flows_workspace.results.plot import run_labels

    config_keys = varying_config_keys(records)
    metrics = metric_columns(records)
    shown = ["status", "started", "duration", "commit", *config_keys, *metrics, "tags"]
    runs = []
    for record, label in zip(records, run_labels(records), strict=True):
        history = record.history().file
        curves = {
            name: dict(zip(("x", "y"), _thinned(history.steps, column), strict=True))
            for name, column in history.columns.items()
        }
        columns = dict(record.columns())
        columns["started"] = clock_text(record.run.started)
        runs.append(
            {
                "name": record.name,
                "label": label,
                "cells": {key: _plain(columns.get(key)) for key in shown},
                "config": record.config,
                "manifest": json.loads(record.run.manifest.to_json()),
                "notes": [note.text for note in record.notes.notes],
                "curves": curves,
            }
        )
    names = list(dict.fromkeys(name for run in runs for name in run["curves"]))
    return {
        "title": title,
        "columns": ["run", *shown],
        "metrics": names,
        "runs": runs,
    }


def write_report(records: Sequence[RunRecord], output: Path, title: str) -> int:
    """Write the report of `records` to `output`; its size in bytes.

    Raises:
        FlowsError: plotly is not installed.
    """
    from flows_workspace._files import write_atomically

    script = plotly_js()
    data = json.dumps(report_data(records, title), ensure_ascii=False, allow_nan=False)
    page = (
        _PAGE.replace("@TITLE@", html.escape(title))
        .replace("@CSP@", _CSP)
        .replace("@DATA@", data.replace("</", "<\\/"))
        .replace("@APP@", _APP)
        .replace("@PLOTLY@", script.replace("</script", "<\\/script"))
    )
    write_atomically(output, page)
    return len(page.encode("utf-8"))


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@CSP@">
<title>@TITLE@</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .5em; }
#filter { width: 24em; padding: .3em; margin: .5em 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: .25em .6em; border-bottom: 1px solid #ddd; text-align: left;
         white-space: nowrap; }
th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }
th.sorted-asc::after { content: " \\25B2"; } th.sorted-desc::after { content: " \\25BC"; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.run:hover { background: #eef4ff; cursor: pointer; }
tr.selected { background: #dde9ff; }
#details pre { background: #f8f8f8; padding: .6em; max-height: 24em; overflow: auto; }
#charts { display: flex; flex-wrap: wrap; gap: 1em; }
.chart { width: 600px; height: 420px; border: 1px solid #eee; }
</style>
</head>
<body>
<h1>@TITLE@</h1>
<input id="filter" type="search" placeholder="filter runs (any text in the row)">
<span id="count"></span>
<div style="overflow-x: auto"><table id="runs"><thead></thead><tbody></tbody></table></div>
<div id="details"></div>
<h2>Curves</h2>
<div id="charts"></div>
<script type="application/json" id="report-data">@DATA@</script>
<script>@PLOTLY@</script>
<script>@APP@</script>
</body>
</html>
"""

_APP = r"""
"use strict";
const data = JSON.parse(document.getElementById("report-data").textContent);
const special = { "NaN": NaN, "Infinity": Infinity, "-Infinity": -Infinity };
const number = (v) => (typeof v === "string" && v in special ? special[v] : v);
const text = (v) => {
  v = number(v);
  if (v === null || v === undefined || v === "") return "-";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    return Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, "");
  }
  return String(v);
};
const cell = (run, column) => (column === "run" ? run.name : run.cells[column]);
const table = document.getElementById("runs");
const head = table.tHead.insertRow();
let sortColumn = null, descending = false;
data.columns.forEach((column) => {
  const th = document.createElement("th");
  th.textContent = column;
  th.dataset.column = column;
  th.addEventListener("click", () => sortBy(column));
  head.appendChild(th);
});
const body = table.tBodies[0];
data.runs.forEach((run, index) => {
  const row = body.insertRow();
  row.className = "run";
  row.dataset.index = index;
  data.columns.forEach((column) => {
    const td = row.insertCell();
    const value = number(cell(run, column));
    td.textContent = text(value);
    if (typeof value === "number") td.className = "number";
  });
  row.addEventListener("click", () => showDetails(index, row));
});
function sortKey(value) {
  value = number(value);
  if (value === null || value === undefined || value === "" || Number.isNaN(value)) return null;
  return value;
}
function sortBy(column) {
  descending = sortColumn === column ? !descending : false;
  sortColumn = column;
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = sortKey(cell(data.runs[a.dataset.index], column));
    const y = sortKey(cell(data.runs[b.dataset.index], column));
    if (x === null || y === null) return (x === null) - (y === null);
    const order = typeof x === "number" && typeof y === "number"
      ? x - y : String(x).localeCompare(String(y));
    return descending ? -order : order;
  });
  rows.forEach((row) => body.appendChild(row));
  head.querySelectorAll("th").forEach((th) => {
    th.className = th.dataset.column === column ? (descending ? "sorted-desc" : "sorted-asc") : "";
  });
}
function showDetails(index, row) {
  body.querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
  row.classList.add("selected");
  const run = data.runs[index];
  const details = document.getElementById("details");
  details.innerHTML = "";
  const title = document.createElement("h2");
  title.textContent = run.name;
  details.appendChild(title);
  const parts = [["notes", run.notes], ["config", run.config], ["manifest", run.manifest]];
  for (const [name, value] of parts) {
    const block = document.createElement("details");
    block.open = name !== "manifest";
    const summary = document.createElement("summary");
    summary.textContent = name;
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(value, null, 2);
    block.append(summary, pre);
    details.appendChild(block);
  }
}
const filter = document.getElementById("filter");
function applyFilter() {
  const query = filter.value.trim().toLowerCase();
  const visible = data.runs.map(() => false);
  Array.from(body.rows).forEach((row) => {
    const shown = !query || row.textContent.toLowerCase().includes(query);
    row.style.display = shown ? "" : "none";
    visible[row.dataset.index] = shown;
  });
  document.getElementById("count").textContent =
    `${visible.filter(Boolean).length} of ${data.runs.length} runs`;
  charts.forEach(({ element, indexes }) => {
    Plotly.restyle(element, { visible: indexes.map((i) => visible[i]) });
  });
}
filter.addEventListener("input", applyFilter);
const charts = [];
data.metrics.forEach((metric) => {
  const element = document.createElement("div");
  element.className = "chart";
  element.dataset.metric = metric;
  document.getElementById("charts").appendChild(element);
  const traces = [], indexes = [];
  data.runs.forEach((run, index) => {
    const curve = run.curves[metric];
    if (!curve) return;
    const y = curve.y.map((v) => { v = number(v); return Number.isFinite(v) ? v : null; });
    traces.push({ x: curve.x, y, name: run.label, mode: "lines", type: "scatter" });
    indexes.push(index);
  });
  const layout = { title: { text: metric }, margin: { t: 40, r: 10, b: 40, l: 50 },
                   xaxis: { title: { text: "step" } }, showlegend: true,
                   legend: { orientation: "h", y: -0.2 } };
  Plotly.newPlot(element, traces, layout, { displaylogo: false, responsive: true });
  charts.push({ element, indexes });
});
applyFilter();
document.body.dataset.ready = "true";
"""
