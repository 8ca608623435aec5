"""Launchers: the engines that run a sweep's variations, behind one small interface.

`local` (a process pool on this machine), `slurm` (submitit job arrays) and `ray`
(one Ray task per variation). SLURM and Ray are optional extras, imported only when chosen.
"""

from __future__ import annotations

import importlib.util
import shutil
from typing import TYPE_CHECKING, Protocol

from flows_workspace._errors import BadInputError, FlowsError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from flows_workspace.sweeps.launchers.local import PreloadedServer
    from flows_workspace.sweeps.launchers.resources import Resources
    from flows_workspace.sweeps.launchers.task import Task

LAUNCHERS = ("local", "slurm", "ray")
_EXTRAS = {"slurm": "submitit", "ray": "ray"}


class LauncherError(FlowsError):
    """The engine itself failed under the sweep (not one of its variations)."""


class Events(Protocol):
    """What a launcher tells the sweep while it runs."""

    def started(self, index: int, job_id: str) -> None:
        """Variation `index` was started (or queued) as job `job_id`."""

    def finished(self, index: int, exit_code: int | None) -> None:
        """Variation `index` ended with `exit_code` (None: it never ran, or it is unknown)."""


class Launcher(Protocol):
    """Runs tasks on an engine."""

    detaches: bool
    """Whether the engine keeps running submitted tasks after `flow` exits."""

    def run(self, tasks: Sequence[Task], events: Events) -> None:
        """Run every task to its end, reporting through `events`.

        On KeyboardInterrupt (or any exception) the launcher cancels what is pending and
        running, reports each as finished, and re-raises.
        """

    def submit(self, tasks: Sequence[Task]) -> dict[int, str]:
        """Queue every task and return at once: job id by task index (`detaches` only)."""

    def alive(self, job_ids: Sequence[str]) -> set[str]:
        """Which of `job_ids` are still queued or running."""


def check_launcher(name: str) -> None:
    """Raise a one-line `BadInputError` unless launcher `name` exists and can be imported."""
    if name not in LAUNCHERS:
        known = ", ".join(f"`{launcher}`" for launcher in LAUNCHERS)
        msg = f"unknown launcher `{name}`; choose one of {known}"
        raise BadInputError(msg)
    module = _EXTRAS.get(name)
    if module is not None and importlib.util.find_spec(module) is None:
        msg = (
            f"the `{name}` launcher needs {module}, which is not installed; install it with "
            f"`pip install 'flows-workspace[{name}]'` (or `pip install {module}`)"
        )
        raise BadInputError(msg)
    if name == "slurm" and shutil.which("sbatch") is None:
        msg = (
            "the `slurm` launcher needs SLURM's `sbatch` on PATH; run `flow sweep` on a login node"
        )
        raise BadInputError(msg)


def make_launcher(
    name: str, resources: Resources, sweep_dir: Path, server: PreloadedServer | None = None
) -> Launcher:
    """The launcher `name` with `resources`; its engine is imported here, not before.

    `server`: for `local`, a preloaded server already started for the variations.
    """
    check_launcher(name)
    if name == "slurm":
        from flows_workspace.sweeps.launchers.slurm import SlurmLauncher

        return SlurmLauncher(resources, sweep_dir)
    if name == "ray":
        from flows_workspace.sweeps.launchers.ray import RayLauncher

        return RayLauncher(resources)
    from flows_workspace.sweeps.launchers.local import LocalLauncher

    return LocalLauncher(resources, server)
