"""Finding templates: installed ones through entry points, and the workspace's own folder.

Sources, in precedence order (the first source offering a name wins):

1. The workspace-local folder `<workspace>/templates/`: every sub-folder holding a
   `template.toml` is a template named after the folder (source `"workspace"`).
2. Entry points in the group `flows.templates` of the installed distributions other
   than flow-templates, ordered by normalized distribution name, then entry-point name.
   The entry-point name is the template name; its value (`module:attribute`) names a
   zero-argument callable returning the template folder (an `importlib.resources`
   Traversable or a `Path`), or that folder itself.
3. flow-templates' entry points: the stock templates are the fallback, so a lab's
   distribution offering `default` wins over flow-templates' `default` with both installed.

Every template folder holds `template.toml` (see `template_metadata`). flows-workspace
never imports a templates distribution by name: installing a lab's distribution is
enough to use its templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace._names import canonical_distribution_name
from flows_workspace.templates.metadata import (
    ENTRY_POINT_GROUP,
    METADATA_NAME,
    Template,
    TemplateOrigin,
    read_template,
)

if TYPE_CHECKING:
    import sys
    from pathlib import Path

    from flows_workspace.workspace.settings import Workspace

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

WORKSPACE_SOURCE = "workspace"
"""The `source` of templates from the workspace-local templates folder."""
WORKSPACE_TEMPLATE_NAME = "workspace"
"""The name of the template `flow init` renders."""
FALLBACK_DISTRIBUTION = "flow-templates"
"""The stock templates' distribution: any other distribution's template of a name wins."""
PRECEDENCE = (
    "a workspace's templates/ folder first, then other installed distributions by name, "
    f"then {FALLBACK_DISTRIBUTION} (the fallback)"
)
"""The precedence rule in words, for `flow templates` and messages."""


@dataclass(frozen=True)
class _Candidate(TemplateOrigin):
    """A template not yet loaded: enough to order it and to load it on demand."""

    entry_point: metadata.EntryPoint | None = None
    folder: Path | None = None

    def load(self) -> Template:
        if self.folder is not None:
            root: Traversable | Path = self.folder
        else:
            assert self.entry_point is not None
            root = _resolve_entry_point(self.entry_point, self.source)
        return read_template(root, name=self.name, source=self.source, version=self.version)


@dataclass(frozen=True)
class BrokenTemplate:
    """A template candidate that could not be loaded, and why."""

    name: str
    source: str
    version: str | None
    problem: str


def listed_templates(workspace: Workspace | None) -> list[Template | BrokenTemplate]:
    """Every template candidate (experiment and workspace kinds), by name, winner first.

    A broken candidate is listed with its problem, so that one broken template does not
    hide the others (`flow templates`).
    """
    listed: list[Template | BrokenTemplate] = []
    for candidate in _candidates(workspace):
        try:
            listed.append(candidate.load())
        except FlowsError as error:
            listed.append(
                BrokenTemplate(candidate.name, candidate.source, candidate.version, str(error))
            )
    return listed


def find_experiment_template(name: str, workspace: Workspace | None) -> Template:
    """The experiment template `name` that wins by precedence.

    Only the candidates named `name` are loaded, so a broken template elsewhere does
    not stop `flow create` with a good one.

    Raises:
        BadInputError: no experiment template has that name (the message lists them).
        FlowsError: the winning template's entry point or metadata is broken.
    """
    return _experiment_template(find_template(name, workspace))


def find_template(name: str, workspace: Workspace | None) -> Template:
    """The template `name` of any kind that wins by precedence (`flow templates show`).

    Raises:
        BadInputError: no template has that name (the message lists the experiment ones).
        FlowsError: the winning template's entry point or metadata is broken.
    """
    candidates = [c for c in _candidates(workspace) if c.name == name]
    if candidates:
        return candidates[0].load()
    available = sorted({c.name for c in _candidates(workspace) if c.name != "workspace"})
    hint = _missing_metadata_hint(name, workspace)
    listed = ", ".join(f"`{n}`" for n in available) or "none (pip install flow-templates)"
    msg = f"no template `{name}`{hint}; available templates: {listed} (see `flow templates`)"
    raise BadInputError(msg)


def find_recorded_template(
    name: str, source: str, workspace: Workspace | None
) -> tuple[Template, bool]:
    """The experiment template `name` of `source` when it offers one, else the winner.

    An experiment keeps following the distribution it was made from while that is
    installed, even when another distribution's template of the same name wins now.

    Returns:
        The template, and whether it comes from `source`.

    Raises:
        BadInputError: no experiment template has that name.
        FlowsError: the template's entry point or metadata is broken.
    """
    wanted = canonical_distribution_name(source)
    for candidate in _candidates(workspace):
        if candidate.name == name and canonical_distribution_name(candidate.source) == wanted:
            return _experiment_template(candidate.load()), True
    return find_experiment_template(name, workspace), False


def other_installed_sources(template: Template) -> list[str]:
    """Distributions besides `template`'s, and besides the fallback, offering its name.

    Empty unless two non-stock distributions clash, the case where the winner is picked
    by distribution name alone and `flow create` says so.
    """
    if template.source == WORKSPACE_SOURCE:
        return []
    skipped = {canonical_distribution_name(template.source), FALLBACK_DISTRIBUTION}
    return [
        c.source
        for c in _installed_candidates()
        if c.name == template.name and canonical_distribution_name(c.source) not in skipped
    ]


def _experiment_template(template: Template) -> Template:
    """`template`, checked to be of kind experiment."""
    if template.kind != "experiment":
        msg = (
            f"template `{template.name}` (from {template.source}) lays out workspaces for "
            "`flow init`, not experiments; pick an experiment template (see `flow templates`)"
        )
        raise BadInputError(msg)
    return template


def workspace_template() -> Template:
    """The installed template `flow init` renders: the winning `workspace` entry point.

    Raises:
        FlowsError: none is installed, or it is not of kind `workspace`.
    """
    candidates = [c for c in _installed_candidates() if c.name == WORKSPACE_TEMPLATE_NAME]
    if not candidates:
        msg = (
            f"no `{WORKSPACE_TEMPLATE_NAME}` template is installed (entry point group "
            f"`{ENTRY_POINT_GROUP}`); install one, e.g. `pip install flow-templates`"
        )
        raise FlowsError(msg)
    template = candidates[0].load()
    if template.kind != "workspace":
        msg = (
            f"template `{template.name}` from {template.source} has kind "
            f"`{template.kind}`, but `flow init` needs kind `workspace` in its {METADATA_NAME}"
        )
        raise FlowsError(msg)
    return template


def _candidates(workspace: Workspace | None) -> list[_Candidate]:
    """Every candidate sorted by name, then by precedence (winner first)."""
    ordered = [*_local_candidates(workspace), *_installed_candidates()]
    rank = {id(candidate): index for index, candidate in enumerate(ordered)}
    return sorted(ordered, key=lambda c: (c.name, rank[id(c)]))


def _local_candidates(workspace: Workspace | None) -> list[_Candidate]:
    if workspace is None or not workspace.local_templates_root.is_dir():
        return []
    return [
        _Candidate(name=folder.name, source=WORKSPACE_SOURCE, version=None, folder=folder)
        for folder in sorted(workspace.local_templates_root.iterdir())
        if folder.is_dir() and (folder / METADATA_NAME).is_file()
    ]


def _installed_candidates() -> list[_Candidate]:
    """Entry points of the group, by normalized distribution name (the fallback last)."""
    found = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        dist_name = dist.metadata["Name"] if dist is not None else entry_point.module
        version = dist.version if dist is not None else None
        found.append(
            _Candidate(
                name=entry_point.name,
                source=dist_name,
                version=version,
                entry_point=entry_point,
            )
        )

    def rank(candidate: _Candidate) -> tuple[bool, str, str]:
        dist = canonical_distribution_name(candidate.source)
        return (dist == FALLBACK_DISTRIBUTION, dist, candidate.name)

    return sorted(found, key=rank)


def _resolve_entry_point(entry_point: metadata.EntryPoint, source: str) -> Traversable | Path:
    where = f"entry point `{entry_point.name} = {entry_point.value}` of {source}"
    try:
        target = entry_point.load()
    except Exception as error:
        msg = f"{where} cannot be loaded: {type(error).__name__}: {error}; reinstall {source}"
        raise FlowsError(msg) from error
    if callable(target) and not hasattr(target, "iterdir"):
        try:
            target = target()
        except Exception as error:
            msg = f"{where} raised {type(error).__name__}: {error}"
            raise FlowsError(msg) from error
    if not (hasattr(target, "iterdir") and hasattr(target, "is_dir")):
        msg = (
            f"{where} gave `{target!r}`, not a folder; it must name a callable returning "
            "the template folder (importlib.resources.files(...) / 'templates' / NAME)"
        )
        raise FlowsError(msg)
    resolved: Traversable | Path = target
    return resolved


def _missing_metadata_hint(name: str, workspace: Workspace | None) -> str:
    if workspace is None:
        return ""
    folder = workspace.local_templates_root / name
    if folder.is_dir() and not (folder / METADATA_NAME).is_file():
        return f" (`{folder}` has no `{METADATA_NAME}`, so it is not a template)"
    return ""
