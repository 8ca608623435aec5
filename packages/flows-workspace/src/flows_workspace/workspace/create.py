"""`flow create`: a new experiment from a template or a fork, appearing whole or not at all.

The experiment is built in a hidden staging folder beside the target
(`.flow-create.<pid>.<name>` in the same folder, so the final step is one atomic
rename). An exception or Ctrl-C removes the staging folder; a hard kill leaves it
hidden (never listed, never importable) and the next `flow create` sweeps it away
once its process is gone.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError, tell
from flows_workspace._names import check_experiment_name, name_problem
from flows_workspace._process import process_alive
from flows_workspace.updates.merge_base import BASE_FOLDER, NOT_CODE, read_files, store_base
from flows_workspace.workspace.experiments import (
    RECORD_NAME,
    ExperimentRecord,
    list_experiments,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from flows_workspace.workspace.settings import Workspace

STAGING_PREFIX = ".flow-create."
FORK_SKIPPED = NOT_CODE
"""Caches and merge leftovers a fork never copies; its record and base are its own."""


def run_create(
    name: str, *, template: str | None, assignments: Sequence[str], from_: str | None
) -> None:
    """`flow create`: make experiment `name` in the current workspace and say where.

    Raises:
        BadInputError: any bad input; nothing is written.
        WorkspaceNotFoundError: not inside a workspace.
    """
    from flows_workspace.workspace.settings import find_workspace

    workspace = find_workspace()
    if from_ is not None:
        if template is not None or assignments:
            msg = "`--from` copies an experiment; it takes no `--template` or `--var`"
            raise BadInputError(msg)
        target = fork_named(from_, name, workspace.flows_root)
    else:
        target = create_from_template(
            workspace,
            name,
            parent_dir=workspace.flows_root,
            template_name=workspace.settings.default_template if template is None else template,
            assignments=[str(item) for item in assignments],
        )
    print(f"created experiment `{name}` at {target}")


def fork_named(source: str, name: str, parent_dir: Path) -> Path:
    """Fork `source`: the name of an experiment in `parent_dir`, else a path.

    The name wins over a same-named folder in the current directory: in `logs/`,
    `exp1` is the experiment, not its results folder `logs/exp1`.
    """
    path = Path(source)
    named = False  # whether `source` named an experiment of `parent_dir`
    if name_problem(source) is None:
        if (parent_dir / source).is_dir():
            path, named = parent_dir / source, True
        elif not path.is_dir():
            # A bare name is an experiment name, wherever the command runs from: say
            # which experiments exist rather than naming a path under the current folder.
            existing = [e.name for e in list_experiments(parent_dir)] if parent_dir.is_dir() else []
            listed = ", ".join(f"`{n}`" for n in existing) or "none yet"
            msg = f"no experiment `{source}` in `{parent_dir}` to fork; existing: {listed}"
            raise BadInputError(msg)
    if not named:
        _refuse_non_experiment(path)
    return fork_experiment(path, name, parent_dir=parent_dir)


def _refuse_non_experiment(path: Path) -> None:
    """Stop unless `path` is an experiment: in a workspace's flows folder, or with a record.

    `flow create x --from /etc` would otherwise copy `/etc` as a "fork of etc".
    """
    from flows_workspace.workspace.settings import find_workspace_or_none

    folder = path.resolve()
    if not folder.is_dir() or (folder / RECORD_NAME).is_file():
        return  # a missing folder gets its own message from fork_experiment
    try:
        workspace = find_workspace_or_none(folder)
    except FlowsError:
        workspace = None
    if workspace is not None and folder.parent == workspace.flows_root:
        return
    msg = (
        f"`{path}` is not an experiment (not a folder of a workspace's flows folder, and "
        f"no `{RECORD_NAME}` in it); give `--from` an experiment name or folder"
    )
    raise BadInputError(msg)


def create_from_template(
    workspace: Workspace | None,
    name: str,
    *,
    parent_dir: Path,
    template_name: str,
    assignments: Sequence[str] = (),
) -> Path:
    """Render template `template_name` as the new experiment `parent_dir/name`.

    Raises:
        BadInputError: bad name, existing experiment, unknown template or variable.
    """
    from flows_workspace.templates.discovery import (
        find_experiment_template,
        other_installed_sources,
    )
    from flows_workspace.templates.variables import parse_assignments, template_variables

    target = _checked_target(parent_dir, name)
    overrides = parse_assignments(assignments)
    template = find_experiment_template(template_name, workspace)
    rivals = other_installed_sources(template)
    if rivals:
        others = ", ".join(rivals)
        tell(
            "note",
            f"template `{template.name}` is offered by {template.source} and {others}; "
            f"using {template.source}, whose name sorts first (see `flow templates`)",
            "flow",
        )
    variables = template_variables(
        experiment_name=name,
        flows_package=(workspace.settings.flows_dir if workspace else parent_dir.name),
        declared=template.variable_specs,
        overrides=overrides,
        template_name=template.name,
    )
    record = ExperimentRecord(
        name=name,
        created=_now(),
        template=template.origin(),
        variables=variables,
    )

    def build(staging: Path) -> None:
        from flows_workspace.templates.render import render_template

        render_template(template, staging, variables)

    _build_atomically(target, build, record)
    return target


def fork_experiment(source: Path, name: str, *, parent_dir: Path) -> Path:
    """Copy experiment `source` (skipping caches) as the new experiment `parent_dir/name`.

    Raises:
        BadInputError: bad name, missing source, existing target, fork into itself.
    """
    check_experiment_name(name)
    source = source.resolve()
    if not source.is_dir():
        msg = f"cannot fork `{source}`: no such experiment folder; see `flow list`"
        raise BadInputError(msg)
    if source == (parent_dir / name).resolve():
        msg = f"cannot fork experiment `{name}` into itself; give the fork a new name"
        raise BadInputError(msg)
    target = _checked_target(parent_dir, name)
    if source in target.parents:
        msg = f"cannot fork `{source}` into a folder inside itself (`{target}`)"
        raise BadInputError(msg)
    from flows_workspace.runs.git_state import folder_changes

    parent_record = ExperimentRecord.read(source)
    commit, patch = folder_changes(source, exclude=(BASE_FOLDER,))
    record = ExperimentRecord(
        name=name,
        created=_now(),
        template=parent_record.template if parent_record else None,
        # A parent elsewhere is recorded by path: its name could be another experiment here.
        parent=source.name if source.parent == parent_dir.resolve() else str(source),
        parent_commit=commit,
        parent_patch=patch or None,
    )

    left_out: list[str] = []

    def build(staging: Path) -> None:
        from flows_workspace.workspace.fork_copy import copy_experiment
        from flows_workspace.workspace.renaming import rename_in_files

        summary = copy_experiment(source, staging, FORK_SKIPPED).summary()
        left_out.extend([] if summary is None else [summary])
        # The fork names itself, not its parent, wherever the name is text.
        original = read_files(staging)
        for relative, data in rename_in_files(original, source.name, name).items():
            if data != original[relative]:
                staging.joinpath(*relative.split("/")).write_bytes(data)

    _build_atomically(target, build, record)
    for summary in left_out:
        tell("note", f"the fork `{name}` leaves out {summary}", "flow")
    return target


def _checked_target(parent_dir: Path, name: str) -> Path:
    """`parent_dir/name` after checking the name is valid and not taken."""
    check_experiment_name(name)
    target = parent_dir / name
    if target.exists() or target.is_symlink():
        msg = (
            f"experiment `{name}` already exists at `{target}`; pick another name "
            f"(or fork it: `flow create NEW --from {name}`)"
        )
        raise BadInputError(msg)
    if not parent_dir.is_dir():
        raise BadInputError(_missing_parent_message(parent_dir))
    refuse_case_clash(parent_dir, name)
    return target


def refuse_case_clash(parent_dir: Path, name: str, *, renaming: str | None = None) -> None:
    """Refuse `name` when an experiment's name differs from it only in case.

    On macOS and Windows the two would be one folder (and one `logs/` folder); `renaming`
    is the experiment being renamed to `name`, which may differ from it in case alone.

    Raises:
        BadInputError: such an experiment exists.
    """
    wanted = name.casefold()
    for entry in parent_dir.iterdir():
        if entry.name not in (name, renaming) and entry.name.casefold() == wanted:
            msg = (
                f"experiment name `{name}` differs from experiment `{entry.name}` only in "
                "case, and on macOS or Windows the two are one folder; pick another name"
            )
            raise BadInputError(msg)


def _missing_parent_message(parent_dir: Path) -> str:
    """Why `parent_dir` cannot hold a new experiment, and the advice that fits."""
    from flows_workspace.workspace.settings import MARKER_NAME

    if parent_dir.exists():
        return f"`{parent_dir}` is a file, not a folder; pass a folder to create the experiment in"
    if (parent_dir.parent / MARKER_NAME).is_file():
        return (
            f"the workspace's experiments folder `{parent_dir}` is missing; run `flow init` "
            f"in `{parent_dir.parent}` to repair the workspace"
        )
    return f"folder `{parent_dir}` does not exist; create it first or pass an existing folder"


def _build_atomically(
    target: Path, build: Callable[[Path], None], record: ExperimentRecord
) -> None:
    """Build into a staging folder beside `target`, record it, then rename it into place.

    The files as built become the experiment's merge base (`merge_base`).
    """
    sweep_stale_staging(target.parent)
    staging = target.parent / f"{STAGING_PREFIX}{os.getpid()}.{target.name}"
    staging.mkdir()
    try:
        build(staging)
        base_hash = store_base(staging, read_files(staging))
        dataclasses.replace(record, base_hash=base_hash).write(staging)
        appeared = f"experiment `{target.name}` appeared at `{target}` while it was being created"
        if target.exists():
            raise BadInputError(appeared)
        try:
            os.rename(staging, target)
        except OSError as error:  # another `flow create` of the same name won the race
            if target.exists():
                raise BadInputError(appeared) from error
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def sweep_stale_staging(folder: Path, prefix: str = STAGING_PREFIX) -> None:
    """Remove staging folders `<prefix><pid>...` whose process no longer runs."""
    for staging in folder.glob(f"{prefix}*"):
        pid_text = staging.name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit() and not process_alive(int(pid_text)):
            shutil.rmtree(staging, ignore_errors=True)


def _now() -> datetime:
    return datetime.now(timezone.utc).astimezone()
