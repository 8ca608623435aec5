"""Subcommands that keep experiments up to date and rename them: `flow update`, `flow mv`.

Implementations are imported inside `run()` so that `flow --help` loads nothing but tyro.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import tyro


@dataclass(eq=False, repr=False)
class Update:
    """Merge template (or parent) changes into experiments, file by file, keeping your edits.

    A three-way merge per file (`git merge-file`): base = the experiment as created,
    theirs = its template as installed now (or its parent as it is now, for a fork),
    yours = the experiment. Overlapping changes get conflict markers and exit status 1.
    The base is kept in the experiment's hidden `.flow-base/` folder: commit it.
    """

    # A bare `tuple` (tyro reads its items as str), as for `flow create --var`.
    experiments: Annotated[
        tuple,  # type: ignore[type-arg]
        tyro.conf.Positional,
        tyro.conf.arg(metavar="[EXPERIMENT...]", help_behavior_hint=""),
    ] = ()
    """The experiments to update."""
    all_: Annotated[tyro.conf.FlagCreatePairsOff[bool], tyro.conf.arg(name="all")] = False
    """Update every experiment that has a merge base."""
    dry_run: tyro.conf.FlagCreatePairsOff[bool] = False
    """Print what would change, as a diff; change nothing."""

    def run(self) -> None:
        """Merge, print what changed, and fail naming the files left in conflict."""
        from flows_workspace.updates.update import run_update

        run_update([str(name) for name in self.experiments], all_=self.all_, dry_run=self.dry_run)


@dataclass(eq=False, repr=False)
class Move:
    """Rename experiment OLD to NEW, with its logs, its record and the text that names it.

    Refused while a run of OLD is running. Run manifests keep the name they were run under.
    """

    old: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="OLD")]
    """The experiment to rename."""
    new: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="NEW")]
    """Its new name: a Python identifier."""

    def run(self) -> None:
        """Rename it and say what moved."""
        from flows_workspace.workspace.move import run_move

        run_move(self.old, self.new)


EXPERIMENT_COMMANDS: dict[str, type] = {"update": Update, "mv": Move}
