"""`flow plot` and `flow report`: results to look at rather than list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import tyro

if TYPE_CHECKING:
    from flows_workspace.results.records import RunRecord
    from flows_workspace.workspace.settings import Workspace


def chosen_records(workspace: Workspace, targets: tuple[str, ...]) -> list[RunRecord]:
    """The runs of experiments named in `targets`, and the runs other targets name.

    Raises:
        BadInputError: nothing named, or a reference matching no run or several.
    """
    from flows_workspace._errors import BadInputError
    from flows_workspace.results.records import RunRecord
    from flows_workspace.runs.index import find_run, find_runs

    if not targets:
        msg = "name the runs: experiments (all their runs) or runs (ids, `last`, tags)"
        raise BadInputError(msg)
    records: dict[Path, RunRecord] = {}
    for target in targets:
        if "/" not in target and (workspace.logs_root / target).is_dir():
            found = find_runs(workspace.logs_root, target)
        else:
            found = [find_run(workspace.logs_root, target)]
        records.update((run.dir, RunRecord.of(run)) for run in found)
    return list(records.values())


@dataclass(frozen=True)
class Plot:
    """Draw a metric's curves over runs into a PNG, SVG or PDF file (needs matplotlib).

    Each curve is labelled by the config values that vary among the runs.
    """

    targets: Annotated[
        tuple[str, ...], tyro.conf.Positional, tyro.conf.arg(metavar="EXPERIMENT|RUN...")
    ]
    """Experiments (all their runs) and runs (ids, `last`, `last~N`, tags)."""
    metric: str
    """The metric to draw (as logged with `run.log`)."""
    x: str = "step"
    """The x axis: `step`, or `time` (seconds since the run's first log)."""
    output: Annotated[Path, tyro.conf.arg(aliases=("-o",))] = Path("plot.png")
    """The file to write (.png, .svg or .pdf)."""

    def run(self) -> None:
        """Draw the curves and say where."""
        from flows_workspace.results.plot import plot_runs
        from flows_workspace.workspace.settings import find_workspace

        records = chosen_records(find_workspace(), self.targets)
        drawn = plot_runs(records, self.metric, self.x, self.output)
        print(f"{self.output}: {self.metric} of {drawn} runs")


@dataclass(frozen=True)
class Report:
    """Write one self-contained HTML report of runs, their configs and curves (needs plotly).

    A sortable, filterable runs table, each run's config and manifest, and interactive
    curves of every metric; the file works offline (library and data are inside it).
    """

    targets: Annotated[
        tuple[str, ...], tyro.conf.Positional, tyro.conf.arg(metavar="EXPERIMENT|RUN...")
    ]
    """Experiments (all their runs) and runs (ids, `last`, `last~N`, tags)."""
    output: Annotated[Path, tyro.conf.arg(aliases=("-o",))] = Path("report.html")
    """The file to write."""
    title: str | None = None
    """The page's title (default: what was named)."""

    def run(self) -> None:
        """Write the report and say where."""
        from flows_workspace._errors import BadInputError
        from flows_workspace.results.report import write_report
        from flows_workspace.workspace.settings import find_workspace

        if self.output.suffix.lower() not in (".html", ".htm"):
            msg = f"`{self.output}` is not an HTML file name; give one ending in .html"
            raise BadInputError(msg)
        records = chosen_records(find_workspace(), self.targets)
        title = self.title or f"flows report: {' '.join(self.targets)}"
        size = write_report(records, self.output, title)
        print(f"{self.output}: {len(records)} runs, {size / 1e6:.1f} MB")


RESULT_COMMANDS: dict[str, type] = {"plot": Plot, "report": Report}
