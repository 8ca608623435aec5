"""`flow diff EXPERIMENT --template|--parent`: an experiment's code against where it came from.

The template side is the experiment's template as installed now, rendered with the
experiment's recorded variables; the parent side is the parent as it is now, its name
rewritten to the fork's (as at fork time). Records, merge bases and caches are not code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError, tell
from flows_workspace.updates.merge_base import read_files
from flows_workspace.workspace.experiments import ExperimentRecord

if TYPE_CHECKING:
    from flows_workspace.updates.update import Upstream


def run_code_diff(experiment: str, *, template: bool, parent: bool, other: str | None) -> None:
    """Print the diff from the experiment's template or parent to the experiment.

    Raises:
        BadInputError: not exactly one of `--template`/`--parent`, a second argument,
            or an unknown experiment.
        FlowsError: the experiment has no record, template or parent to compare with.
    """
    from flows_workspace.updates.update import (
        experiment_path,
        parent_upstream,
        template_upstream,
        unified_diff,
        unresolved_conflicts,
    )
    from flows_workspace.workspace.settings import find_workspace

    if template == parent or other is not None:
        msg = (
            "`flow diff` takes two runs (`flow diff RUN_A RUN_B`) or one experiment with "
            "`--template` or `--parent` (`flow diff EXPERIMENT --template`)"
        )
        raise BadInputError(msg)
    workspace = find_workspace()
    path = experiment_path(workspace, experiment)
    record = ExperimentRecord.read_checked(path)
    if record is None or (parent and record.parent is None):
        what = "no record" if record is None else "no parent (it is not a fork)"
        msg = f"experiment `{experiment}` has {what}; nothing to compare it with"
        raise FlowsError(msg)
    if template and record.parent is not None:
        # A fork records no variables of its own: its template is its parent's business.
        where = " in its workspace" if record.parent_outside() else ""
        msg = (
            f"experiment `{experiment}` is a fork of `{record.parent}`; compare it with its "
            f"parent (`flow diff {experiment} --parent`) or compare the parent with its "
            f"template (`flow diff {record.parent_name()} --template`{where})"
        )
        raise BadInputError(msg)
    upstream: Upstream = (
        parent_upstream(path, record) if parent else template_upstream(workspace, path, record)
    )
    ours = read_files(path)
    unresolved = unresolved_conflicts(path)
    if unresolved:
        listed = ", ".join(f"`{experiment}/{file}`" for file in unresolved)
        tell("note", f"unresolved conflicts of an earlier `flow update` in {listed}", "flow")
    lines = []
    for relative in sorted(set(upstream.files) | set(ours)):
        if upstream.files.get(relative) != ours.get(relative):
            label = f"{experiment}/{relative}"
            lines += unified_diff(label, upstream.files.get(relative), ours.get(relative))
    if not lines:
        print(f"`{experiment}` is the same as its {upstream.label}")
        return
    print(f"# a/: {upstream.label}, b/: {experiment}")
    print("\n".join(lines))
