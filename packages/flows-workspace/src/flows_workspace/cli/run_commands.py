"""Subcommands that read the record of runs: `flow runs`, `flow show`, `flow diff`.

Runs are found by reading the run folders under the workspace's logs folder; there is
no database. Implementations are imported inside `run()` to keep `flow --help` light.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import tyro

if TYPE_CHECKING:
    from flows_workspace.workspace.settings import Workspace


def _optional(metavar: str, hint: str) -> Any:
    """An optional positional shown as `[METAVAR]`, `hint` replacing tyro's "(default: None)"."""
    return tyro.conf.arg(metavar=f"[{metavar}]", help_behavior_hint=hint)


@dataclass(frozen=True)
class Runs:
    """List recorded runs: id, status, start, duration, commit (`*`: uncommitted changes), changes.

    CHANGES are the config values that differ from the experiment's defaults.
    """

    experiment: Annotated[
        str | None, tyro.conf.Positional, _optional("EXPERIMENT", "(default: all experiments)")
    ] = None
    """Only this experiment's runs."""
    json: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print a JSON list (one object per run, with its config) instead of a table."""
    sweep: Annotated[str | None, tyro.conf.arg(metavar="ID", help_behavior_hint="")] = None
    """Only the runs of sweep ID (its id or the id's start; `flow sweep status` lists them)."""

    def run(self) -> None:
        """Print the runs, oldest first."""
        from flows_workspace.cli.json_output import json_text
        from flows_workspace.cli.run_views import RUNS_HEADER, run_row, run_summary
        from flows_workspace.cli.table import print_table
        from flows_workspace.runs.index import find_runs
        from flows_workspace.workspace.settings import find_workspace

        workspace = find_workspace()
        if self.experiment is not None:
            _check_experiment(workspace, self.experiment)
        runs = find_runs(workspace.logs_root, self.experiment)
        if self.sweep is not None:
            from flows_workspace.sweeps.status import only_sweep

            runs = only_sweep(runs, workspace.logs_root, self.sweep)
        if self.json:
            print(json_text([run_summary(run) for run in runs]))
            return
        if not runs:
            where = f"experiment `{self.experiment}`" if self.experiment else "this workspace"
            print(f"no runs of {where} in {workspace.logs_root}")
            return
        rows = [run_row(run, with_experiment=self.experiment is None) for run in runs]
        print_table(RUNS_HEADER, rows)


def _check_experiment(workspace: Workspace, name: str) -> None:
    """Raise `BadInputError` unless `name` has a folder under flows/ or under logs/."""
    from flows_workspace._errors import BadInputError
    from flows_workspace._names import name_problem
    from flows_workspace.workspace.experiments import list_experiments

    problem = name_problem(name)
    if problem is not None:  # `.` or `../..` would list some other folder's runs
        msg = f"`{name}` {problem}, so it names no experiment; `flow list` shows the names"
        raise BadInputError(msg)
    if (workspace.flows_root / name).is_dir() or (workspace.logs_root / name).is_dir():
        return
    known = {experiment.name for experiment in list_experiments(workspace.flows_root)}
    if workspace.logs_root.is_dir():
        known.update(
            entry.name
            for entry in workspace.logs_root.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )
    listed = ", ".join(f"`{known_name}`" for known_name in sorted(known))
    hint = f"experiments: {listed}" if listed else "there are none yet (`flow create NAME`)"
    msg = f"no experiment `{name}` in `{workspace.root}`; {hint}"
    raise BadInputError(msg)


@dataclass(frozen=True)
class Show:
    """Show one run: status, times, command, commit, host, files and its config."""

    run_ref: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN")]
    """A run folder, a run id (or its start) or EXPERIMENT/RUN_ID."""
    json: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print the manifest and config as JSON."""

    def run(self) -> None:
        """Print the run's record."""
        import dataclasses

        from flows_workspace.cli.json_output import json_text
        from flows_workspace.cli.run_views import show_lines
        from flows_workspace.runs.index import find_run
        from flows_workspace.workspace.settings import find_workspace

        run = find_run(find_workspace().logs_root, self.run_ref)
        if self.json:
            manifest = dataclasses.asdict(run.manifest)
            record = {"dir": str(run.dir), "manifest": manifest, "config": run.config_data()}
            print(json_text(record))
            return
        print("\n".join(show_lines(run)))


@dataclass(frozen=True)
class Diff:
    """Show the config values that differ between two runs.

    `flow diff EXPERIMENT --template` (or `--parent`) shows instead the code
    differences of an experiment from its template as installed now (or its parent).
    """

    run_a: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN_A")]
    """The first run (folder, id, id start or EXPERIMENT/RUN_ID), or an EXPERIMENT."""
    run_b: Annotated[
        str | None, tyro.conf.Positional, _optional("RUN_B", "(absent with --template/--parent)")
    ] = None
    """The second run (same forms)."""
    json: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print a JSON object: key -> [value in RUN_A, value in RUN_B] (null when absent)."""
    template: tyro.conf.FlagCreatePairsOff[bool] = False
    """Diff EXPERIMENT's code from its template as installed now."""
    parent: tyro.conf.FlagCreatePairsOff[bool] = False
    """Diff EXPERIMENT's code from its parent as it is now (a fork)."""

    def run(self) -> None:
        """Print one line per differing config value."""
        if self.template or self.parent or self.run_b is None:
            from flows_workspace.workspace.code_diff import run_code_diff

            run_code_diff(self.run_a, template=self.template, parent=self.parent, other=self.run_b)
            return

        from flows_workspace.cli.json_output import json_text
        from flows_workspace.cli.run_views import diff_rows
        from flows_workspace.cli.table import print_table
        from flows_workspace.runs.config_diff import MISSING, differences
        from flows_workspace.runs.index import find_run
        from flows_workspace.workspace.settings import find_workspace

        logs_root = find_workspace().logs_root
        a, b = find_run(logs_root, self.run_a), find_run(logs_root, self.run_b)
        if self.json:
            changed = differences(a.config_data(), b.config_data())
            plain = {
                key: [None if old is MISSING else old, None if new is MISSING else new]
                for key, old, new in changed
            }
            print(json_text(plain))
            return
        rows = diff_rows(a, b)
        if not rows:
            print(f"the configs of `{a.id}` and `{b.id}` are the same")
            return
        print_table(("KEY", a.id, b.id), rows)


RUN_COMMANDS: dict[str, type] = {"runs": Runs, "show": Show, "diff": Diff}
