"""`flow update`: bring template or parent changes into experiments with a three-way merge.

For each experiment: base = its files as created (or as the last update left them,
kept in `.flow-base/`), theirs = its template as installed now, re-rendered with the
recorded variables (or, for a fork, its parent as it is now, with the parent's name
rewritten to the fork's as at fork time), ours = the experiment as it is. Every
experiment is planned before any is changed, so a bad name changes nothing.

The template comes from the distribution the record names while that is installed,
even when another distribution's template of the same name wins for `flow create`
now; when it is gone, a note says so and the winning template is used. An experiment
whose files still hold the conflict markers of an earlier update is not updated
again: `flow update` names those files and exits 1 until they are resolved.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from flows_workspace._errors import BadInputError, FlowsError, tell
from flows_workspace._files import write_atomically
from flows_workspace.updates.merge_base import (
    BASE_FOLDER,
    Files,
    load_base,
    read_files,
    store_base,
)
from flows_workspace.updates.three_way import (
    THEIRS_SUFFIX,
    FileChange,
    Labels,
    MergeResult,
    merge_trees,
)
from flows_workspace.workspace.experiments import ExperimentRecord, list_experiments

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows_workspace.workspace.settings import Workspace

OURS_LABEL = "{} (yours)"
"""How conflict markers name the experiment's side (`<<<<<<< exp1 (yours)`)."""
_MARKERS = re.compile(rb"^<<<<<<< [^\n]* \(yours\)\r?$.*^>>>>>>> ", re.MULTILINE | re.DOTALL)
"""A conflict `flow update` left in a text file (any experiment name: `flow mv` renames)."""


class Upstream(NamedTuple):
    """What an experiment follows, as it is now: its files and the record naming them."""

    label: str
    """How messages and conflict markers name it."""
    files: Files
    record: ExperimentRecord
    """The experiment's record once these files are its base."""


@dataclass(frozen=True)
class UpdatePlan:
    """One experiment's update, computed but not yet applied."""

    path: Path
    ours: Files
    upstream: Upstream
    merge: MergeResult
    base_moves: bool
    """Whether the base must be written: upstream differs from it, or it was recreated."""
    recreated: bool = False
    """Whether the base was rendered again (an experiment made before `.flow-base/`)."""


def run_update(names: Sequence[str], *, all_: bool, dry_run: bool) -> None:
    """`flow update`: merge upstream changes into the named experiments (or all) and report.

    Raises:
        BadInputError: no experiment named, both names and `--all`, an unknown name.
        FlowsError: an experiment cannot be updated, or the merge left conflicts.
    """
    from flows_workspace.workspace.settings import find_workspace

    workspace = find_workspace()
    if names and all_:
        msg = "name the experiments to update (`flow update EXP1 EXP2`) or pass `--all`, not both"
        raise BadInputError(msg)
    if not names and not all_:
        msg = "name the experiments to update (`flow update EXP1 EXP2`) or pass `--all`"
        raise BadInputError(msg)
    if all_:
        paths = [experiment.path for experiment in list_experiments(workspace.flows_root)]
    else:
        # Each experiment once: a second plan of it would be stale after the first is applied.
        paths = [experiment_path(workspace, name) for name in dict.fromkeys(names)]
    unresolved = [f"{path.name}/{file}" for path in paths for file in unresolved_conflicts(path)]
    plans = []
    for path in paths:
        if any(file.startswith(f"{path.name}/") for file in unresolved):
            continue  # merging again would bury the markers under a new base
        if not all_:
            plans.append(plan_update(workspace, path))
            continue
        try:
            plans.append(plan_update(workspace, path))
        except FlowsError as error:  # one experiment that cannot update stops no other
            print(f"flow: note: skipped `{path.name}`: {error}", file=sys.stderr)
    conflicts: list[str] = []
    for plan in plans:
        if dry_run:
            print("\n".join(report_lines(plan, dry_run=True)))
            continue
        apply_update(plan)
        print("\n".join(report_lines(plan)))
        conflicts += [f"{plan.path.name}/{path}" for path in plan.merge.conflicts]
    if unresolved:
        listed = ", ".join(f"`{path}`" for path in unresolved)
        msg = (
            f"unresolved conflicts of an earlier `flow update` in {listed}: edit each to keep "
            "what you want between the <<<<<<< and >>>>>>> markers (and delete any "
            f"{THEIRS_SUFFIX} file once merged), then run `flow update` again"
        )
        raise FlowsError(msg)
    if conflicts:
        listed = ", ".join(f"`{path}`" for path in conflicts)
        msg = (
            f"conflicts in {listed}: edit each to keep what you want between the "
            "<<<<<<< and >>>>>>> markers (binary files: a .flow-theirs copy beside them)"
        )
        raise FlowsError(msg)


def experiment_path(workspace: Workspace, name: str) -> Path:
    """The folder of experiment `name` (raises `BadInputError` listing them when missing)."""
    path = workspace.flows_root / name
    if not path.is_dir():
        known = ", ".join(f"`{e.name}`" for e in list_experiments(workspace.flows_root))
        msg = f"no experiment `{name}` in `{workspace.flows_root}`; experiments: {known or 'none'}"
        raise BadInputError(msg)
    return path


def plan_update(workspace: Workspace, path: Path) -> UpdatePlan:
    """What updating the experiment at `path` would change.

    Raises:
        FlowsError: it has no record or base, or its template or parent is gone.
    """
    record = ExperimentRecord.read_checked(path)
    if record is None:
        msg = (
            f"experiment `{path.name}` has no record (`flow create` did not make it); "
            "nothing to update from"
        )
        raise FlowsError(msg)
    upstream = (
        parent_upstream(path, record)
        if record.parent is not None
        else template_upstream(workspace, path, record)
    )
    recreated = record.base_hash is None and record.parent is None
    base = (
        _recreated_base(path, record, upstream) if recreated else load_base(path, record.base_hash)
    )
    ours = read_files(path)
    labels = Labels(ours=OURS_LABEL.format(path.name), base="as created", theirs=upstream.label)
    merge = merge_trees(base, ours, upstream.files, labels)
    merge.changes = [_never_over_unread(path, change) for change in merge.changes]
    return UpdatePlan(
        path,
        ours,
        upstream,
        merge,
        base_moves=recreated or upstream.files != base,
        recreated=recreated,
    )


def unresolved_conflicts(path: Path) -> list[str]:
    """Files of the experiment at `path` still in conflict after an earlier update.

    A text file holding the markers `flow update` writes, or a binary file with the
    other side's copy still beside it (`FILE.flow-theirs`).
    """
    files = read_files(path)
    return [
        relative
        for relative, data in files.items()
        if _MARKERS.search(data) or f"{relative}{THEIRS_SUFFIX}" in files
    ]


def _never_over_unread(path: Path, change: FileChange) -> FileChange:
    """`change`, or beside its path when it adds a file where something unread is.

    The merge reads no symbolic links; a new upstream file where the experiment has one
    goes beside it, as a conflict, so nothing of the experiment is overwritten.
    """
    target = path.joinpath(*change.path.split("/"))
    if change.action == "added" and (target.exists() or target.is_symlink()):
        note = f"something unmerged is there; the new file is {change.path}{THEIRS_SUFFIX}"
        return dataclasses.replace(change, action="conflict", note=note, beside=True)
    return change


def _recreated_base(path: Path, record: ExperimentRecord, upstream: Upstream) -> Files:
    """The files as created, for an experiment made before `.flow-base/` was kept.

    The same version of the same template, rendered with the recorded variables, gives
    the files exactly as `flow create` made them.

    Raises:
        FlowsError: another version (or a workspace-local template) is installed now.
    """
    then, now = record.template, upstream.record.template
    if then is not None and then == now and then.version is not None:
        return upstream.files
    made = f"{then.name} {then.source} {then.version or ''}".rstrip() if then else "its template"
    msg = (
        f"experiment `{path.name}` has no merge base (`.flow-base/`, kept since this "
        f"version of flows) and was made from {made}, which is no longer installed; "
        f"install that version, run `flow update {path.name}` to record the base, then upgrade"
    )
    raise FlowsError(msg)


def template_upstream(workspace: Workspace, path: Path, record: ExperimentRecord) -> Upstream:
    """The experiment's template as installed now, rendered with the recorded variables.

    The recorded distribution's template while it is installed; when it is gone, the
    template of that name that wins now, with a note saying so.
    """
    from flows_workspace.templates.discovery import find_recorded_template
    from flows_workspace.templates.render import render_template
    from flows_workspace.templates.variables import rerender_variables

    if record.template is None:
        msg = (
            f"experiment `{path.name}` records neither a template nor a parent; "
            "nothing to update from"
        )
        raise FlowsError(msg)
    recorded = record.template
    template, same_source = find_recorded_template(recorded.name, recorded.source, workspace)
    if not same_source:
        tell(
            "note",
            f"`{path.name}` was made from template `{recorded.name}` of {recorded.source}, "
            f"which is not installed now; following {template.source}'s `{template.name}`",
            "flow",
        )
    variables = rerender_variables(
        template,
        record.variables,
        experiment_name=path.name,
        flows_package=workspace.settings.flows_dir,
    )
    with tempfile.TemporaryDirectory(prefix="flows-update-") as scratch:
        render_template(template, Path(scratch), variables)
        files = read_files(Path(scratch))
    origin = template.origin()
    new_record = dataclasses.replace(record, template=origin, variables=variables)
    version = f" {origin.version}" if origin.version else ""
    return Upstream(f"template {origin.name} ({origin.source}{version})", files, new_record)


def parent_upstream(path: Path, record: ExperimentRecord) -> Upstream:
    """A fork's parent as it is now, its name rewritten to the fork's as at fork time."""
    from flows_workspace.runs.git_state import folder_changes
    from flows_workspace.workspace.renaming import rename_in_files

    parent, parent_name = record.parent_folder(path.parent), record.parent_name()
    assert parent is not None
    assert parent_name is not None
    if not parent.is_dir():
        where = "" if record.parent_outside() else f" from `{path.parent}`"
        msg = (
            f"the parent `{record.parent}` of fork `{path.name}` is gone{where}; "
            "nothing to update from"
        )
        raise FlowsError(msg)
    files = rename_in_files(read_files(parent), parent_name, path.name)
    commit, patch = folder_changes(parent, exclude=(BASE_FOLDER,))
    new_record = dataclasses.replace(record, parent_commit=commit, parent_patch=patch or None)
    return Upstream(f"parent {record.parent}", files, new_record)


def apply_update(plan: UpdatePlan) -> None:
    """Write the merge into the experiment, then make the upstream files its new base."""
    if not plan.base_moves:
        return
    for change in plan.merge.changes:
        target = plan.path.joinpath(*change.path.split("/"))
        if change.beside and change.data is not None:
            write_atomically(target.with_name(target.name + THEIRS_SUFFIX), change.data)
        elif change.action == "deleted":
            target.unlink(missing_ok=True)
        elif change.data is not None and change.action != "kept":
            write_atomically(target, change.data)
    base_hash = store_base(plan.path, plan.upstream.files)
    now = datetime.now(timezone.utc).astimezone()
    dataclasses.replace(plan.upstream.record, base_hash=base_hash, base_updated=now).write(
        plan.path
    )


def report_lines(plan: UpdatePlan, *, dry_run: bool = False) -> list[str]:
    """What the update did (or, dry, would do): a line per file, with a diff when dry."""
    name = plan.path.name
    if not plan.merge.changes:
        recorded = " (merge base recorded)" if plan.recreated and not dry_run else ""
        return [f"{name}: up to date with {plan.upstream.label}{recorded}"]
    lines = [f"{name}: {'would update' if dry_run else 'updated'} from {plan.upstream.label}"]
    if plan.recreated:
        lines.append(f"  (merge base rendered again from {plan.upstream.label})")
    for change in plan.merge.changes:
        action = "CONFLICT" if change.action == "conflict" else change.action
        note = f" ({change.note})" if change.note else ""
        lines.append(f"  {'would be ' if dry_run else ''}{action:<8} {change.path}{note}")
        if dry_run and change.action != "kept" and not change.beside:
            new = None if change.action == "deleted" else change.data
            lines += unified_diff(f"{name}/{change.path}", plan.ours.get(change.path), new)
    return lines


def unified_diff(label: str, old: bytes | None, new: bytes | None) -> list[str]:
    """`old` -> `new` as unified diff lines of file `label` (one line for binary files)."""
    if b"\0" in (old or b"")[:8000] or b"\0" in (new or b"")[:8000]:
        return [f"Binary files a/{label} and b/{label} differ"]
    before = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
    after = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
    diff = difflib.unified_diff(
        before,
        after,
        fromfile="/dev/null" if old is None else f"a/{label}",
        tofile="/dev/null" if new is None else f"b/{label}",
    )
    lines = []
    for line in diff:
        lines.append(line.rstrip("\n"))
        if not line.endswith("\n"):
            lines.append("\\ No newline at end of file")
    return lines
