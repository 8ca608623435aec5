"""The code snapshot taken when a sweep is launched.

The experiment folder is copied into the sweep's folder and the repository's commit and
uncommitted changes are recorded beside it, so a variation that waits in a queue runs
the code as it was at launch, not as edited since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows_workspace._files import write_atomically
from flows_workspace.runs.manifest import PATCH_NAME
from flows_workspace.sweeps.record import CODE_DIR, CodeSnapshot

if TYPE_CHECKING:
    from pathlib import Path

SKIPPED = ("__pycache__", ".ipynb_checkpoints", "*.pyc")
"""Caches the snapshot leaves out."""
SNAPSHOT_ADVICE = "variations reading them beside their run.py will not find them"


def take_snapshot(experiment_dir: Path, sweep_dir: Path, logs_root: Path) -> CodeSnapshot:
    """Copy `experiment_dir` to `sweep_dir/code/<name>/` and record the git state beside it.

    The copy is a fork's copy (`copy_experiment`): FIFOs, sockets and files over the
    size cap are left out and named in the snapshot's `left_out`. The copy keeps the
    experiment folder's name, so the snapshot's `run.py` still reads as that
    experiment's (its messages and `--from-run` checks name it).
    """
    from flows_workspace.runs.git_state import git_state
    from flows_workspace.workspace.fork_copy import copy_experiment

    target = sweep_dir / CODE_DIR / experiment_dir.name
    target.mkdir(parents=True)
    # The copy a fork makes: no FIFO read, no bulk data, links kept as links.
    copied = copy_experiment(experiment_dir, target, SKIPPED, elsewhere=True)
    # The workspace (the logs folder's parent) bounds the patch, as for a run.
    state = git_state(experiment_dir, within=logs_root.parent, exclude=logs_root)
    patch = None
    if state is not None and state.patch:
        write_atomically(sweep_dir / PATCH_NAME, state.patch)
        patch = PATCH_NAME
    return CodeSnapshot(
        source=str(experiment_dir),
        folder=f"{CODE_DIR}/{experiment_dir.name}",
        git=None if state is None else state.summary,
        patch=patch,
        left_out=copied.summary(SNAPSHOT_ADVICE),
    )
