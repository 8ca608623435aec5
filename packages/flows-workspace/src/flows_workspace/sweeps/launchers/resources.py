"""`Resources`: what each variation of a sweep asks of its engine, as flags and in sweep files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import tyro


def unset(metavar: str) -> Any:
    """An optional METAVAR whose help says what its absence means: no "(default: None)"."""
    return tyro.conf.arg(metavar=metavar, help_behavior_hint="")


@dataclass(frozen=True)
class Resources:
    """What each variation asks of the engine; None means the engine's default.

    The same names are flags of `flow sweep` and keys of a sweep file's `[resources]`.
    """

    jobs: Annotated[int | None, unset("N")] = None
    """Local launcher: variations at a time (default: the number of cores)."""
    partition: Annotated[str | None, unset("NAME")] = None
    """SLURM partition."""
    time_min: Annotated[int | None, unset("MINUTES")] = None
    """SLURM time limit of each variation, in minutes."""
    cpus: Annotated[int | None, unset("N")] = None
    """CPUs per variation (SLURM, Ray)."""
    gpus: Annotated[int | None, unset("N")] = None
    """GPUs per variation (SLURM, Ray)."""
    mem_gb: Annotated[float | None, unset("GB")] = None
    """SLURM memory per variation, in GB."""
    array_parallelism: Annotated[int | None, unset("N")] = None
    """SLURM: array tasks running at a time."""
    address: Annotated[str | None, unset("ADDRESS")] = None
    """Ray: the cluster's address (default: a local Ray instance)."""
