"""Subcommands that read the record of runs: `flow runs`, `flow show`, `flow diff`.

Runs are named by their folders under the workspace's logs folder; `flow runs` lists
them from the index of runs (`results.summary_index`), which it checks against the
folders. Implementations are imported inside `run()` to keep `flow --help` light.
"""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import tyro

from flows_workspace.cli.field_types import MaybeText, Words  # noqa: TC001 - tyro reads them

if TYPE_CHECKING:
    from collections.abc import Iterator

    from flows_workspace.workspace.settings import Workspace


def _optional(metavar: str, hint: str) -> Any:
    """An optional positional shown as `[METAVAR]`, `hint` replacing tyro's "(default: None)"."""
    return tyro.conf.arg(metavar=f"[{metavar}]", help_behavior_hint=hint)


@dataclass(eq=False, repr=False)
class Runs:
    """List recorded runs: status, start, duration, commit, the config values that vary, metrics.

    Config values are written as the command line takes them (`optimizer:sgd`,
    `--optimizer.lr=0.01`); a metric shows its last value (`loss.min`, `loss.max` and
    the rest are columns too). Unreadable run folders are listed with what is wrong.
    """

    experiment: Annotated[
        MaybeText, tyro.conf.Positional, _optional("EXPERIMENT", "(default: all experiments)")
    ] = None
    """Only this experiment's runs."""
    where: Annotated[tyro.conf.UseAppendAction[Words], tyro.conf.arg(metavar="EXPR")] = ()
    """Only runs where KEY OP VALUE holds (repeatable; all must hold): a config value
    (`optimizer.lr<0.01`), a metric (`loss.min<=0.1`), `status=finished`, `tags=best`.
    Operators: = != < <= > >= ~ (contains)."""
    sort: Annotated[
        MaybeText, tyro.conf.arg(metavar="[-]COLUMN", help_behavior_hint="(default: by start)")
    ] = None
    """Order by a column (`loss`); `-loss` for the largest first."""
    columns: Annotated[
        MaybeText,
        tyro.conf.arg(metavar="A,B,...", help_behavior_hint="(default: what varies, metrics)"),
    ] = None
    """The columns after RUN, comma-separated (e.g. `status,optimizer.lr,loss.min`)."""
    json: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print a JSON list (one object per run, with its config and metrics)."""
    csv: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print CSV: one row per run, the table's columns with full-precision values."""
    reindex: tyro.conf.FlagCreatePairsOff[bool] = False
    """Build the index of runs (logs/.flows-index.sqlite3) again from the run folders."""
    sweep: Annotated[MaybeText, tyro.conf.arg(metavar="ID", help_behavior_hint="")] = None
    """Only the runs of sweep ID (its id or the id's start; `flow sweep status` lists them)."""

    def run(self) -> None:
        """Print the runs, oldest first (or as sorted)."""
        with collector_paused():
            self._list()

    def _list(self) -> None:
        from flows_workspace.cli.json_output import json_text
        from flows_workspace.cli.run_table import chosen_columns, print_runs_table, write_csv
        from flows_workspace.cli.run_views import broken_summary, run_summary
        from flows_workspace.results.query import select
        from flows_workspace.results.records import RunRecord
        from flows_workspace.results.summary_index import RunIndex
        from flows_workspace.runs.index import RecordedRun
        from flows_workspace.workspace.settings import find_workspace

        workspace = find_workspace()
        if self.experiment is not None:
            _check_experiment(workspace, self.experiment)
        index = RunIndex(workspace.logs_root)
        if self.reindex:
            index.rebuild()
        rows, broken = index.rows(self.experiment)
        if self.sweep is not None:
            from flows_workspace.results.records import sweep_run_ids

            launched = set(sweep_run_ids(workspace.logs_root, self.sweep, self.experiment))
            rows = [row for row in rows if row.id in launched]
            broken = []  # not readable, so not known to belong to the sweep
        records = select(rows, self.where, self.sort)
        if self.where:
            broken = []  # their values are unknown, so no condition holds for them
        columns = chosen_columns(records, self.columns)
        if self.json:
            listed = [run_summary(RunRecord.of(RecordedRun.read(row.dir))) for row in records]
            listed += [broken_summary(run) for run in broken]
            print(json_text(listed))
            return
        if self.csv:
            write_csv(records, broken, columns)
            return
        if not records and not broken:
            where = f"experiment `{self.experiment}`" if self.experiment else "this workspace"
            matching = " matching the conditions" if self.where else ""
            print(f"no runs of {where}{matching} in {workspace.logs_root}")
            return
        print_runs_table(records, broken, columns, with_experiment=self.experiment is None)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a listing, then resume it.

    A listing of 10,000 runs makes some 100,000 containers (decoded rows, cells), none in
    a cycle; the collector would walk them again and again as they accumulate (a sixth
    of `flow runs`' time) and could free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


@dataclass(eq=False, repr=False)
class Show:
    """Show one run: status, times, command, commit, host, files and its config."""

    run_ref: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN")]
    """A run folder, a run id (or its start), EXPERIMENT/RUN_ID, `last`, `last~N` or a tag."""
    json: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print the manifest and config as JSON."""

    def run(self) -> None:
        """Print the run's record."""
        import dataclasses
        import json

        from flows_workspace.cli.json_output import json_text
        from flows_workspace.cli.run_views import show_lines
        from flows_workspace.runs.index import find_run
        from flows_workspace.workspace.settings import find_workspace

        run = find_run(find_workspace().logs_root, self.run_ref)
        if self.json:
            from flows_workspace.results.notes import RunNotes

            manifest = json.loads(run.manifest.to_json())
            notes = dataclasses.asdict(RunNotes.read(run.dir))
            record = {
                "dir": str(run.dir),
                "manifest": manifest,
                "config": run.config_data(),
                **notes,
            }
            print(json_text(record))
            return
        print("\n".join(show_lines(run)))


@dataclass(eq=False, repr=False)
class Diff:
    """Show what differs between two runs: config, metrics, experiment, commit and patch.

    `--code` shows the code diff between them (each run's commit with its patch applied).
    `flow diff EXPERIMENT --template` (or `--parent`) shows instead the code differences of
    an experiment from its template as installed now (or its parent).
    """

    run_a: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN_A")]
    """The first run (folder, id, id start, EXPERIMENT/RUN_ID, `last`, `last~N`, tag), or an
    EXPERIMENT with `--template`/`--parent`."""
    run_b: Annotated[
        MaybeText, tyro.conf.Positional, _optional("RUN_B", "(absent with --template/--parent)")
    ] = None
    """The second run (same forms)."""
    json: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print a JSON object: key -> [value in RUN_A, value in RUN_B] (null when absent)."""
    code: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print the code diff between the runs (git diff of commit + patch of each)."""
    template: tyro.conf.FlagCreatePairsOff[bool] = False
    """Diff EXPERIMENT's code from its template as installed now."""
    parent: tyro.conf.FlagCreatePairsOff[bool] = False
    """Diff EXPERIMENT's code from its parent as it is now (a fork)."""

    def run(self) -> None:
        """Print one line per differing config value, metric and fact."""
        if self.template or self.parent or self.run_b is None:
            from flows_workspace.updates.code_diff import run_code_diff

            run_code_diff(self.run_a, template=self.template, parent=self.parent, other=self.run_b)
            return

        from flows_workspace.cli.json_output import json_text
        from flows_workspace.cli.run_diff import code_diff, fact_rows, metric_rows
        from flows_workspace.cli.run_views import diff_rows
        from flows_workspace.cli.table import print_table
        from flows_workspace.runs.config_diff import MISSING, differences
        from flows_workspace.runs.index import checked_config, find_run
        from flows_workspace.workspace.settings import find_workspace

        logs_root = find_workspace().logs_root
        a, b = find_run(logs_root, self.run_a), find_run(logs_root, self.run_b)
        checked_config(a, self.run_a)
        checked_config(b, self.run_b)
        if self.code:
            print(code_diff(a, b), end="")
            return
        if self.json:
            changed = differences(a.config_data(), b.config_data())
            plain = {
                key: [None if old is MISSING else old, None if new is MISSING else new]
                for key, old, new in changed
            }
            print(json_text(plain))
            return
        rows = [*fact_rows(a, b), *diff_rows(a, b), *metric_rows(a, b)]
        if not rows:
            print(f"`{a.id}` and `{b.id}` have the same config, metrics and code")
            return
        print_table(("KEY", a.id, b.id), rows)


@dataclass(eq=False, repr=False)
class Tag:
    """Tag a run (`flow show best`, `flow runs --where tags=best`); `--remove` takes tags off."""

    run_ref: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN")]
    """The run (folder, id, id start, EXPERIMENT/RUN_ID, `last`, `last~N`, tag)."""
    names: Annotated[Words, tyro.conf.Positional, tyro.conf.arg(metavar="NAME...")]
    """Tags: a letter, then letters, digits, `_`, `.` or `-`."""
    remove: tyro.conf.FlagCreatePairsOff[bool] = False
    """Take these tags off instead."""

    def run(self) -> None:
        """Add (or remove) the tags and say which changed."""
        from flows_workspace.results.notes import RunNotes, check_tag
        from flows_workspace.results.summary_index import RunIndex
        from flows_workspace.runs.index import find_run
        from flows_workspace.workspace.settings import find_workspace

        names = [check_tag(name) for name in self.names]
        run = find_run(find_workspace().logs_root, self.run_ref)
        with RunNotes.changing(run.dir) as notes:
            changed = notes.remove_tags(names) if self.remove else notes.add_tags(names)
        RunIndex(run.dir.parent.parent).update(run.dir)
        verb = "removed from" if self.remove else "added to"
        listed = " ".join(changed) or "(none)"
        print(f"{listed} {verb} {run.experiment}/{run.id}; tags now: {' '.join(notes.tags) or '-'}")


@dataclass(eq=False, repr=False)
class Note:
    """Add a note to a run (kept in its folder, shown by `flow show`)."""

    run_ref: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN")]
    """The run (folder, id, id start, EXPERIMENT/RUN_ID, `last`, `last~N`, tag)."""
    text: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="TEXT")]
    """What to note."""

    def run(self) -> None:
        """Append the note."""
        from flows_workspace._errors import BadInputError
        from flows_workspace.results.notes import RunNotes
        from flows_workspace.results.summary_index import RunIndex
        from flows_workspace.runs.index import find_run
        from flows_workspace.workspace.settings import find_workspace

        if not self.text.strip():
            msg = 'the note is empty; write `flow note RUN "what to remember"`'
            raise BadInputError(msg)
        run = find_run(find_workspace().logs_root, self.run_ref)
        with RunNotes.changing(run.dir) as notes:
            notes.add_note(self.text)
        RunIndex(run.dir.parent.parent).update(run.dir)
        count = len(notes.notes)
        print(f"noted on {run.experiment}/{run.id} ({count} note{'' if count == 1 else 's'})")


@dataclass(eq=False, repr=False)
class Rerun:
    """Run a recorded run again on its own code: its commit with its uncommitted changes.

    The code is checked out in a throwaway git worktree (removed afterwards) and run
    with the run's config; the new run is recorded in the experiment's logs and names
    its source (`rerun_of`). To run today's code with a run's config instead, use
    `python flows/EXPERIMENT/run.py --from-run RUN`.
    """

    run_ref: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="RUN")]
    """A run folder, a run id (or its start) or EXPERIMENT/RUN_ID."""

    def run(self) -> None:
        """Rerun the run; its exit status becomes flow's."""
        from flows_workspace.reruns.rerun import rerun
        from flows_workspace.workspace.settings import find_workspace

        rerun(find_workspace(), self.run_ref)


RUN_COMMANDS: dict[str, type] = {
    "runs": Runs,
    "show": Show,
    "diff": Diff,
    "tag": Tag,
    "note": Note,
    "rerun": Rerun,
}
