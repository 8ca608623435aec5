"""A run's slow facts: the code version (git state and patch), interpreter, distributions.

They are gathered by a thread while the run goes on. A run that ends first waits for
them rather than reading the tree later: a commit or an edit made right after the run
would otherwise be recorded as the code it ran.

A sweep's variation runs a code snapshot taken at launch: its code version is the
snapshot's (recorded with the sweep), not what the repository holds when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows_workspace._files import write_atomically
from flows_workspace.runs.manifest import PATCH_NAME

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.runs.git_state import GitState
    from flows_workspace.runs.manifest import GitSummary, PythonFacts, RunManifest


@dataclass(frozen=True)
class CodeLocation:
    """Where a run's code is: the folder its script is in, the workspace, its logs."""

    code_folder: Path
    workspace_root: Path
    logs_root: Path


@dataclass(frozen=True)
class SlowFacts:
    """What a run's manifest gets once gathered (the patch is written to the run folder)."""

    python: PythonFacts
    platform: str
    git: GitSummary | None
    distributions: dict[str, str]

    def apply(self, manifest: RunManifest) -> None:
        """Put the facts into `manifest`."""
        manifest.python = self.python
        manifest.platform = self.platform
        manifest.git = self.git
        manifest.distributions = self.distributions
        manifest.details_recorded = True


def gather(run_dir: Path, where: CodeLocation) -> SlowFacts:
    """Gather the facts of the run in `run_dir`, writing its patch there when there is one.

    Raises:
        OSError: the patch cannot be written.
    """
    from flows_workspace.runs.environment import installed_distributions, python_facts

    state = _code_version(where)
    if state is not None and state.patch:
        write_atomically(run_dir / PATCH_NAME, state.patch)
    python, platform = python_facts()
    git = None if state is None else state.summary
    return SlowFacts(python, platform, git, installed_distributions())


def _code_version(where: CodeLocation) -> GitState | None:
    """The git state of the code: a sweep snapshot's as taken at launch, else the repository's."""
    from flows_workspace.reruns.environment import runs_sweep_snapshot

    if runs_sweep_snapshot(where.code_folder):
        from flows_workspace.sweeps.record import snapshot_state

        return snapshot_state(where.code_folder)
    from flows_workspace.runs.git_state import git_state

    return git_state(where.code_folder, within=where.workspace_root, exclude=where.logs_root)
