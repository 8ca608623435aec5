"""Starting a sweep (`flow sweep`) and resuming one (`flow sweep resume`).

Every check runs before anything is written or launched: the experiment, the launcher
and its extra, the parameters, and each variation against the experiment's own parser.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError, tell
from flows_workspace.sweeps.launchers import check_launcher
from flows_workspace.sweeps.launchers.local import PreloadedServer
from flows_workspace.sweeps.launchers.resources import Resources
from flows_workspace.sweeps.record import TO_RERUN, SweepRecord, Variation, find_sweep

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.sweeps.commands import Sweep
    from flows_workspace.sweeps.spec import SweepFile
    from flows_workspace.workspace.settings import Workspace

SCRIPT_NAME = "run.py"


def _experiment_script(workspace: Workspace, name: str) -> Path:
    """The experiment's `run.py`; a one-line error naming the experiments otherwise."""
    from flows_workspace.workspace.experiments import list_experiments

    script = workspace.flows_root / name / SCRIPT_NAME
    if script.is_file():
        return script
    if (workspace.flows_root / name).is_dir():
        msg = f"experiment `{name}` has no `{SCRIPT_NAME}` to sweep (in `{script.parent}`)"
        raise BadInputError(msg)
    known = ", ".join(f"`{e.name}`" for e in list_experiments(workspace.flows_root))
    msg = f"no experiment `{name}` in `{workspace.flows_root}`; experiments: {known or 'none'}"
    raise BadInputError(msg)


def _resources(command: Sweep, from_file: SweepFile | None) -> Resources:
    """The launcher settings: flags win over the sweep file's `[resources]`."""
    names = [field.name for field in dataclasses.fields(Resources)]
    settings = dict(from_file.resources) if from_file else {}
    unknown = sorted(set(settings) - set(names))
    if unknown:
        msg = f"unknown resource `{unknown[0]}` in the sweep file; known: {', '.join(names)}"
        raise BadInputError(msg)
    for name in names:
        given = getattr(command.resources, name)
        if given is not None:
            settings[name] = given
    try:
        return Resources(**settings)
    except TypeError as error:
        msg = f"bad `[resources]` in the sweep file: {error}"
        raise BadInputError(msg) from error


def start_sweep(command: Sweep, server: PreloadedServer | None = None) -> None:
    """Check everything, then snapshot the code, write the record and launch.

    `server`: a preloaded server started while the command line was parsed; it is
    replaced when `--python` names another interpreter, and closed here in any case.
    """
    python = command.python or sys.executable
    if server is not None and server.python != python:
        server.close()
        server = None
    # One preloaded server checks the variations, then (local, attached) runs them.
    server = server or PreloadedServer(python, os.getcwd())
    try:
        _start_sweep(command, server)
    finally:
        server.close()


def _start_sweep(command: Sweep, server: PreloadedServer) -> None:
    """`start_sweep` with its server."""
    from flows_workspace.sweeps.spec import read_sweep_file
    from flows_workspace.workspace.settings import find_workspace

    workspace = find_workspace()
    script = _experiment_script(workspace, command.experiment)
    from_file = read_sweep_file(command.file) if command.file is not None else None
    launcher = command.launcher or (from_file and from_file.launcher) or "local"
    check_launcher(launcher)
    resources = _resources(command, from_file)
    if resources.jobs is not None and resources.jobs < 1:
        msg = f"`--jobs {resources.jobs}` runs nothing; give at least 1"
        raise BadInputError(msg)
    _check_and_launch(command, workspace, script, from_file, launcher, resources, server)


def _check_and_launch(
    command: Sweep,
    workspace: Workspace,
    script: Path,
    from_file: SweepFile | None,
    launcher: str,
    resources: Resources,
    server: PreloadedServer,
) -> None:
    """Check every variation, then snapshot the code, write the record and launch."""
    from flows_workspace.reruns.snapshot import take_snapshot
    from flows_workspace.runs.ids import new_run_id
    from flows_workspace.sweeps.execute import run_variations
    from flows_workspace.sweeps.spec import SweepSpec, parse_parameter
    from flows_workspace.sweeps.validate import check_variations

    texts = (*(from_file.params if from_file else ()), *command.param)
    random_count = command.random
    if random_count is None and from_file is not None:
        random_count = from_file.random
    seed = command.random_seed
    if seed is None:
        seed = from_file.seed if from_file and from_file.seed is not None else _fresh_seed()
    spec = SweepSpec(
        parameters=tuple(parse_parameter(text) for text in texts),
        common_args=(*(from_file.args if from_file else ()), *command.passed),
        random=random_count,
        seed=seed,
        texts=texts,
    )
    variations = spec.variations()
    check_variations(server, script, variations, resources.jobs or os.cpu_count() or 1)
    if command.dry_run:
        for index, args in enumerate(variations):
            print(f"{index}\t{shlex.join(args)}")  # as a shell takes it back
        print(f"{len(variations)} variations of {command.experiment}; nothing launched (--dry-run)")
        return
    sweep_id = new_run_id()
    sweep_dir = workspace.logs_root / command.experiment / "sweeps" / sweep_id
    sweep_dir.mkdir(parents=True)
    record = SweepRecord(
        id=sweep_id,
        experiment=command.experiment,
        folder=str(sweep_dir),
        created=datetime.now(timezone.utc).isoformat(),
        launcher=launcher,
        python=server.python,
        cwd=os.getcwd(),
        code=take_snapshot(script.parent, sweep_dir, workspace.logs_root),
        variations=[Variation(index, args) for index, args in enumerate(variations)],
        options=dataclasses.asdict(resources),
        params=list(texts),
        random=spec.random,
        seed=seed if spec.random else None,
        argv=list(sys.argv),
    )
    record.save()
    if record.code.left_out:
        left_out = record.code.left_out
        tell("note", f"the code snapshot of sweep {sweep_id} leaves out {left_out}", "flow")
    print(f"sweep {sweep_id}: {len(variations)} variations of {command.experiment} on {launcher}")
    indices = list(range(len(variations)))
    attached_here = launcher == "local" and not command.detach
    run_variations(
        record,
        indices,
        workspace.logs_root,
        detach=command.detach,
        server=server if attached_here else None,
    )


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(4), "big")


def resume_sweep(reference: str, *, jobs: int | None, detach: bool) -> None:
    """Run the variations of sweep `reference` that failed, were interrupted or never ran."""
    from flows_workspace.sweeps.execute import run_variations, with_jobs
    from flows_workspace.sweeps.status import driver_alive, refresh
    from flows_workspace.workspace.settings import find_workspace

    logs_root = find_workspace().logs_root
    record = find_sweep(logs_root, reference)
    check_launcher(record.launcher)
    refresh(record, logs_root)
    if driver_alive(record):
        msg = (
            f"sweep {record.id} is still running (process {record.driver_pid}); "
            f"resume it once it has ended, or stop it first (`kill -TERM {record.driver_pid}`)"
        )
        raise FlowsError(msg)
    left = [v.index for v in record.variations if v.status in TO_RERUN]
    if not left:
        record.save()
        shown = f"{len(record.variations)} variations"
        print(
            f"sweep {record.id}: nothing to resume ({shown}, none failed, interrupted or missing)"
        )
        return
    with_jobs(record, jobs)
    print(f"sweep {record.id}: resuming {len(left)} of {len(record.variations)} variations")
    run_variations(record, left, logs_root, detach=detach)
