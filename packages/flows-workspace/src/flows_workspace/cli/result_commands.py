"""`flow plot` and `flow report`: results to look at rather than list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import tyro

from flows_workspace.cli.field_types import MaybeText, Words  # noqa: TC001 - tyro reads them

if TYPE_CHECKING:
    from flows_workspace.results.records import RunRecord
    from flows_workspace.workspace.settings import Workspace


def chosen_records(
    workspace: Workspace, targets: tuple[str, ...], sweep: str | None = None
) -> list[RunRecord]:
    """The runs `targets` name (experiments: all their runs), or the runs of sweep `sweep`.

    Raises:
        BadInputError: nothing named, both targets and a sweep, a reference matching no
            run or several, or a sweep that matches none (or has no runs yet).
    """
    from flows_workspace._errors import BadInputError
    from flows_workspace.results.records import RunRecord, sweep_runs
    from flows_workspace.runs.index import find_run, find_runs

    if sweep is not None:
        if targets:
            msg = f"name runs or experiments, or give `--sweep {sweep}`, not both"
            raise BadInputError(msg)
        found = sweep_runs(workspace.logs_root, sweep)
        if not found:
            msg = f"sweep `{sweep}` has no runs yet; `flow sweep status {sweep}` shows it"
            raise BadInputError(msg)
        return [RunRecord.of(run) for run in found]
    if not targets:
        msg = (
            "name the runs: experiments (all their runs), runs (ids, `last`, tags) or `--sweep ID`"
        )
        raise BadInputError(msg)
    records: dict[Path, RunRecord] = {}
    for target in targets:
        if "/" not in target and (workspace.logs_root / target).is_dir():
            found = find_runs(workspace.logs_root, target)
            if not found:
                raise BadInputError(_no_runs_yet(target))
        elif "/" not in target and (workspace.flows_root / target).is_dir():
            raise BadInputError(_no_runs_yet(target))
        else:
            found = [find_run(workspace.logs_root, target)]
        records.update((run.dir, RunRecord.of(run)) for run in found)
    return list(records.values())


def _no_runs_yet(experiment: str) -> str:
    return f"experiment `{experiment}` has no runs yet; start one with its run.py"


@dataclass(eq=False, repr=False)
class Plot:
    """Draw a metric's curves over runs into a PNG, SVG or PDF file (needs matplotlib).

    Each curve is labelled by the config values that vary among the runs.
    """

    metric: str
    """The metric to draw (as logged with `run.log`)."""
    targets: Annotated[
        Words, tyro.conf.Positional, tyro.conf.arg(metavar="[EXPERIMENT|RUN...]")
    ] = ()
    """Experiments (all their runs) and runs (ids, `last`, `last~N`, tags)."""
    sweep: Annotated[MaybeText, tyro.conf.arg(metavar="ID", help_behavior_hint="")] = None
    """Instead, the runs of sweep ID (its id or the id's start; `flow sweep status`)."""
    x: str = "step"
    """The x axis: `step`, or `time` (seconds since the run's first log)."""
    output: Annotated[Path, tyro.conf.arg(aliases=("-o",))] = Path("plot.png")
    """The file to write (.png, .svg or .pdf)."""

    def run(self) -> None:
        """Draw the curves and say where."""
        from flows_workspace.results.plot import plot_runs
        from flows_workspace.workspace.settings import find_workspace

        records = chosen_records(find_workspace(), self.targets, self.sweep)
        drawn = plot_runs(records, self.metric, self.x, self.output)
        print(f"{self.output}: {self.metric} of {drawn} runs")


@dataclass(eq=False, repr=False)
class Report:
    """Write one self-contained HTML report of runs, their configs and curves (needs plotly).

    A sortable, filterable runs table, each run's config and manifest, and interactive
    curves of every metric; the file works offline (library and data are inside it).
    """

    targets: Annotated[
        Words, tyro.conf.Positional, tyro.conf.arg(metavar="[EXPERIMENT|RUN...]")
    ] = ()
    """Experiments (all their runs) and runs (ids, `last`, `last~N`, tags)."""
    sweep: Annotated[MaybeText, tyro.conf.arg(metavar="ID", help_behavior_hint="")] = None
    """Instead, the runs of sweep ID (its id or the id's start; `flow sweep status`)."""
    output: Annotated[Path, tyro.conf.arg(aliases=("-o",))] = Path("report.html")
    """The file to write."""
    title: MaybeText = None
    """The page's title (default: what was named)."""

    def run(self) -> None:
        """Write the report and say where."""
        from flows_workspace._errors import BadInputError
        from flows_workspace.results.report import write_report
        from flows_workspace.workspace.settings import find_workspace

        if self.output.suffix.lower() not in (".html", ".htm"):
            msg = f"`{self.output}` is not an HTML file name; give one ending in .html"
            raise BadInputError(msg)
        records = chosen_records(find_workspace(), self.targets, self.sweep)
        named = f"sweep {self.sweep}" if self.sweep is not None else " ".join(self.targets)
        title = self.title or f"flows report: {named}"
        size = write_report(records, self.output, title)
        print(f"{self.output}: {len(records)} runs, {size / 1e6:.1f} MB")


RESULT_COMMANDS: dict[str, type] = {"plot": Plot, "report": Report}
