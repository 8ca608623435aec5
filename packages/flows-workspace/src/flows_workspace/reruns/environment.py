"""How a launched variation tells `record_run` which experiment and sweep it belongs to.

A variation runs the `run.py` of a code snapshot, not the experiment's own folder. The
launcher names, in the variation's environment, the snapshot folder and the experiment
folder it copies; `record_run` then records into that experiment's logs and notes the
sweep and variation in the manifest (for `flow rerun`, which runs a git worktree the
same way, the run it reruns). The variables apply only to the snapshot's own script,
so a run started by a variation (another experiment's `run.py`) is unaffected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows_workspace.runs.manifest import SweepOrigin

SNAPSHOT_DIR_ENV = "FLOWS_SNAPSHOT_DIR"
"""The snapshot folder whose `run.py` the variation runs."""
SNAPSHOT_OF_ENV = "FLOWS_SNAPSHOT_OF"
"""The experiment folder the snapshot is a copy of."""
SWEEP_ID_ENV = "FLOWS_SWEEP_ID"
"""The sweep the variation belongs to."""
VARIATION_ENV = "FLOWS_SWEEP_VARIATION"
"""The variation's index in the sweep."""
RERUN_OF_ENV = "FLOWS_RERUN_OF"
"""The run folder `flow rerun` reruns (set instead of the sweep's variables)."""


def _snapshot_applies(script_folder: Path) -> bool:
    snapshot = os.environ.get(SNAPSHOT_DIR_ENV)
    return snapshot is not None and Path(snapshot).resolve() == script_folder


def experiment_folder(folder: Path) -> Path:
    """The experiment folder a script in `folder` runs for (a snapshot's original, if any)."""
    if _snapshot_applies(folder):
        original = os.environ.get(SNAPSHOT_OF_ENV)
        if original:
            return Path(original).resolve()
    return folder


def runs_sweep_snapshot(script_folder: Path) -> bool:
    """Whether a script in `script_folder` runs as a variation of a sweep (its snapshot)."""
    return _snapshot_applies(script_folder) and SWEEP_ID_ENV in os.environ


def sweep_entry(script: Path) -> SweepOrigin | None:
    """The manifest's `sweep` entry of a run of `script`: None unless a sweep launched it."""
    if not runs_sweep_snapshot(script.parent):
        return None
    from flows_workspace.runs.manifest import SweepOrigin

    variation = os.environ.get(VARIATION_ENV, "")
    return SweepOrigin(
        id=os.environ.get(SWEEP_ID_ENV),
        variation=int(variation) if variation.isdigit() else None,
        snapshot=str(script.parent),
        snapshot_of=os.environ.get(SNAPSHOT_OF_ENV),
    )


def rerun_source(script: Path) -> str | None:
    """The run folder a run of `script` reruns exactly (`flow rerun`), or None."""
    if not _snapshot_applies(script.parent):
        return None
    return os.environ.get(RERUN_OF_ENV) or None
