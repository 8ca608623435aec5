"""The `flow sweep` commands: start a sweep, show its status, resume it.

Light on purpose: `flow --help` imports this module for the descriptions; everything
else (specs, launchers, their engines) is imported when a command runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path  # noqa: TC003 - tyro reads the annotations at run time
from typing import TYPE_CHECKING, Annotated

import tyro

from flows_workspace.sweeps.launchers.resources import Resources, unset

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows_workspace.cli.main import Command
    from flows_workspace.sweeps.launchers.local import PreloadedServer


@dataclass(eq=False, repr=False)
class Sweep:
    """Run many variations of an experiment: `flow sweep EXPERIMENT -p KEY=V1,V2 ...`.

    Parameters use the experiment's own command line: `-p optimizer.lr=1e-3,1e-2` sets
    `--optimizer.lr`, `-p model:linear,quadratic` picks subcommands; every combination
    runs (a grid), or `--random N` draws N, where ranges are allowed:
    `uniform(A,B)`, `loguniform(A,B)`, `int(A,B)`, `choice(X,Y)`. Any other argument
    (or everything after `--`) goes to every variation. Each variation is an ordinary
    recorded run; the sweep's record is in logs/EXPERIMENT/sweeps/SWEEP_ID/.
    `flow sweep status [ID]` shows sweeps, `flow sweep resume ID` reruns what is
    missing, failed or interrupted.
    """

    experiment: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="EXPERIMENT")]
    """The experiment (its folder under the flows folder)."""
    param: Annotated[
        tuple[str, ...],
        tyro.conf.UseAppendAction,
        tyro.conf.arg(aliases=("-p",), metavar="KEY=VALUES"),
    ] = ()
    """A swept parameter: KEY=V1,V2 (a flag), KEY:A,B (a subcommand), KEY=RANGE(...).
    Quote a value with a comma: KEY='a,b',c."""
    file: Annotated[Path | None, unset("FILE")] = None
    """A sweep file (TOML): params, args, random, seed, launcher, [resources]."""
    random: Annotated[int | None, unset("N")] = None
    """Draw this many variations instead of running the grid."""
    random_seed: Annotated[int | None, unset("SEED")] = None
    """Seed of the random draws (default: a fresh one, recorded)."""
    launcher: Annotated[str | None, unset("NAME")] = None
    """Where variations run: local (default), slurm or ray."""
    resources: Annotated[Resources, tyro.conf.OmitArgPrefixes] = Resources()  # noqa: RUF009 - frozen
    """Where and with what each variation runs."""
    python: Annotated[str | None, unset("PATH")] = None
    """The interpreter running the variations (default: the one running flow)."""
    dry_run: tyro.conf.FlagCreatePairsOff[bool] = False
    """Check and print the variations; launch nothing."""
    detach: tyro.conf.FlagCreatePairsOff[bool] = False
    """Return once everything is submitted; `flow sweep status ID` follows it."""
    passed: tyro.conf.Suppress[tuple[str, ...]] = ()

    def run(self) -> None:
        """Check the variations, snapshot the code, launch."""
        from flows_workspace.sweeps.new import start_sweep

        start_sweep(self)


@dataclass(eq=False, repr=False)
class SweepStatus:
    """Show sweeps: all of them, or one sweep's variations with their runs and status."""

    sweep_id: Annotated[
        str | None,
        tyro.conf.Positional,
        tyro.conf.arg(metavar="[ID]", help_behavior_hint="(default: every sweep)"),
    ] = None
    """The sweep's id (or its start)."""

    def run(self) -> None:
        """Print the status."""
        from flows_workspace.sweeps.show import show_status

        show_status(self.sweep_id)


@dataclass(eq=False, repr=False)
class SweepResume:
    """Run again what a sweep is missing: variations that failed, were interrupted or never ran.

    An interrupted variation that left checkpoints continues its own run (`--resume`).
    """

    sweep_id: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="ID")]
    """The sweep's id (or its start)."""
    jobs: Annotated[int | None, unset("N")] = None
    """Local launcher: variations at a time (default: as the sweep was launched)."""
    detach: tyro.conf.FlagCreatePairsOff[bool] = False
    """Return once everything is submitted."""

    def run(self) -> None:
        """Rerun the variations left."""
        from flows_workspace.sweeps.new import resume_sweep

        resume_sweep(self.sweep_id, jobs=self.jobs, detach=self.detach)


@dataclass(eq=False, repr=False)
class SweepEntry:
    """Run many variations of an experiment; show and resume sweeps (`flow sweep --help`)."""

    def run(self) -> None:
        """Show `flow sweep --help` (`flow` hands `flow sweep ...` to `parse_sweep`)."""
        parse_sweep(["--help"]).run()


SWEEP_COMMANDS: dict[str, type] = {"sweep": SweepEntry}
"""What `flow --help` lists: a field-less entry, so listing it costs no parser of its own."""


def parse_sweep(args: Sequence[str]) -> Command:
    """Parse `flow sweep ARGS`: `status`, `resume` or a new sweep with pass-through arguments."""
    if args and args[0] == "status":
        return tyro.cli(SweepStatus, prog="flow sweep status", args=args[1:])
    if args and args[0] == "resume":
        return tyro.cli(SweepResume, prog="flow sweep resume", args=args[1:])
    from flows_workspace.runs.parse import reflow
    from flows_workspace.sweeps.launchers.local import start_early

    items = list(args)
    own, tail = (
        (items[: items.index("--")], items[items.index("--") + 1 :])
        if "--" in items
        else (items, [])
    )
    server = start_early()  # it preloads while this command line is parsed
    try:
        sweep, unknown = tyro.cli(
            Sweep,
            prog="flow sweep",
            args=own,
            return_unknown_args=True,
            description=reflow(Sweep.__doc__ or ""),  # tyro keeps a docstring's line breaks
        )
    except BaseException:
        if server is not None:
            server.close()
        raise
    return _NewSweep(dataclasses.replace(sweep, passed=(*unknown, *tail)), server)


@dataclass(eq=False, repr=False)
class _NewSweep:
    """A parsed `flow sweep`, with the preloaded server started while it was parsed."""

    sweep: Sweep
    server: PreloadedServer | None

    def run(self) -> None:
        """Check the variations, snapshot the code, launch."""
        from flows_workspace.sweeps.new import start_sweep

        start_sweep(self.sweep, self.server)
