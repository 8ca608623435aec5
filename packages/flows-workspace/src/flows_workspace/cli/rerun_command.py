"""`flow rerun RUN`: a recorded run again, on the code it ran (its commit and patch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import tyro


@dataclass(frozen=True)
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
        from flows_workspace.runs.rerun import rerun
        from flows_workspace.workspace.settings import find_workspace

        rerun(find_workspace(), self.run_ref)


RERUN_COMMANDS: dict[str, type] = {"rerun": Rerun}
