"""Finding templates: installed ones through entry points, and the workspace's own folder.

Sources, in precedence order (the first source offering a name wins):

1. The workspace-local folder `<workspace>/templates/`: every sub-folder holding a
   `template.toml` is a template named after the folder (source `"workspace"`).
2. Entry points in the group `flows.templates` of the installed distributions, ordered
   by normalized distribution name, then entry-point name. The entry-point name is the
   template name; its value (`module:attribute`) names a zero-argument callable
   returning the template folder (an `importlib.resources` Traversable or a `Path`),
   or that folder itself.

Every template folder holds `template.toml`: `description` (string), `kind`
(`"experiment"`, the default, or `"workspace"`) and a `[variables]` table whose entries
are `NAME = "default"` or `[variables.NAME]` with `default` and `description` strings.
flows-workspace never imports a templates distribution by name: swapping one for
another is uninstalling one and installing the other.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

from flows_workspace._errors import BadInputError, FlowsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from flows_workspace._workspace import Workspace

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

ENTRY_POINT_GROUP = "flows.templates"
"""The entry-point group a templates distribution announces its templates in."""
METADATA_NAME = "template.toml"
"""The metadata file every template folder holds (never copied into what it renders)."""
WORKSPACE_SOURCE = "workspace"
"""The `source` of templates from the workspace-local templates folder."""
WORKSPACE_TEMPLATE_NAME = "workspace"
"""The name of the template `flow init` renders."""
KINDS = ("experiment", "workspace")

Kind = Literal["experiment", "workspace"]


@dataclass(frozen=True)
class VariableSpec:
    """A variable a template declares: its default and what it means."""

    default: str
    description: str = ""


@dataclass(frozen=True)
class Template:
    """One template candidate: where its files are and what its metadata says."""

    name: str
    root: Traversable | Path
    """The template folder (holds `template.toml` and the files to render)."""
    source: str
    """The distribution providing it, or `"workspace"` for the workspace-local folder."""
    version: str | None
    """The providing distribution's version (None for workspace-local templates)."""
    description: str
    variables: Mapping[str, str]
    """Declared variables and their defaults."""
    kind: Kind = "experiment"
    variable_descriptions: Mapping[str, str] = field(default_factory=dict)
    """What each declared variable means (may be empty)."""


@dataclass(frozen=True)
class _Candidate:
    """A template not yet loaded: enough to order it and to load it on demand."""

    name: str
    source: str
    version: str | None
    entry_point: metadata.EntryPoint | None = None
    folder: Path | None = None

    def load(self) -> Template:
        if self.folder is not None:
            root: Traversable | Path = self.folder
        else:
            assert self.entry_point is not None
            root = _resolve_entry_point(self.entry_point, self.source)
        return read_template(root, name=self.name, source=self.source, version=self.version)


def experiment_templates(workspace: Workspace | None) -> list[Template]:
    """Every experiment-template candidate, grouped by name, winner first within a name.

    Names are sorted; for each name the first template listed is the one `flow create`
    uses, the others are shadowed (see `shadowed`).

    Raises:
        FlowsError: a template's entry point or metadata is broken.
    """
    found = [candidate.load() for candidate in _candidates(workspace)]
    return [template for template in found if template.kind == "experiment"]


@dataclass(frozen=True)
class BrokenTemplate:
    """A template candidate that could not be loaded, and why."""

    name: str
    source: str
    version: str | None
    problem: str


def listed_templates(workspace: Workspace | None) -> list[Template | BrokenTemplate]:
    """Like `experiment_templates`, but a broken candidate is listed with its problem.

    `flow templates` uses it so that one broken template does not hide the others.
    """
    listed: list[Template | BrokenTemplate] = []
    for candidate in _candidates(workspace):
        try:
            template = candidate.load()
        except FlowsError as error:
            listed.append(
                BrokenTemplate(candidate.name, candidate.source, candidate.version, str(error))
            )
            continue
        if template.kind == "experiment":
            listed.append(template)
    return listed


def shadowed(templates: Iterable[Template]) -> list[tuple[Template, Template]]:
    """The (shadowed, winner) pairs in a list ordered as `experiment_templates` returns it."""
    winners: dict[str, Template] = {}
    pairs = []
    for template in templates:
        winner = winners.setdefault(template.name, template)
        if winner is not template:
            pairs.append((template, winner))
    return pairs


def find_experiment_template(name: str, workspace: Workspace | None) -> Template:
    """The experiment template `name` that wins by precedence.

    Only the candidates named `name` are loaded, so a broken template elsewhere does
    not stop `flow create` with a good one.

    Raises:
        BadInputError: no experiment template has that name (the message lists them).
        FlowsError: the winning template's entry point or metadata is broken.
    """
    candidates = [c for c in _candidates(workspace) if c.name == name]
    if candidates:
        template = candidates[0].load()
        if template.kind != "experiment":
            msg = (
                f"template `{name}` (from {template.source}) lays out workspaces for "
                "`flow init`, not experiments; pick another with `--template`"
            )
            raise BadInputError(msg)
        return template
    available = sorted({c.name for c in _candidates(workspace) if c.name != "workspace"})
    hint = _missing_metadata_hint(name, workspace)
    listed = ", ".join(f"`{n}`" for n in available) or "none (pip install flow-templates)"
    msg = f"no template `{name}`{hint}; available templates: {listed} (see `flow templates`)"
    raise BadInputError(msg)


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


def read_template(
    root: Traversable | Path, *, name: str, source: str, version: str | None
) -> Template:
    """Read the metadata of the template folder `root`.

    Raises:
        FlowsError: `root` is not a folder, or its metadata is missing or invalid.
    """
    where = f"template `{name}` from {source}"
    if not root.is_dir():
        msg = f"{where}: `{root}` is not a folder; fix the `{ENTRY_POINT_GROUP}` entry point"
        raise FlowsError(msg)
    metadata_file = root / METADATA_NAME
    if not metadata_file.is_file():
        msg = f"{where}: `{root}` has no `{METADATA_NAME}`; add one (description, kind)"
        raise FlowsError(msg)
    try:
        data = tomllib.loads(metadata_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        msg = f"{where}: cannot read `{metadata_file}`: {error}"
        raise FlowsError(msg) from error
    return _template_from_metadata(data, root, name=name, source=source, version=version)


def _template_from_metadata(
    data: dict[str, Any],
    root: Traversable | Path,
    *,
    name: str,
    source: str,
    version: str | None,
) -> Template:
    where = f"`{root / METADATA_NAME}` (template `{name}` from {source})"
    unknown = sorted(set(data) - {"description", "kind", "variables"})
    if unknown:
        msg = f"{where}: unknown key `{unknown[0]}`; known keys: description, kind, variables"
        raise FlowsError(msg)
    description = data.get("description", "")
    if not isinstance(description, str):
        msg = f"{where}: `description` must be a string"
        raise FlowsError(msg)
    kind = data.get("kind", "experiment")
    if kind not in KINDS:
        msg = f"{where}: `kind` must be one of {', '.join(KINDS)}, not `{kind}`"
        raise FlowsError(msg)
    specs = _variable_specs(data.get("variables", {}), where)
    return Template(
        name=name,
        root=root,
        source=source,
        version=version,
        description=description,
        variables={key: spec.default for key, spec in specs.items()},
        kind=kind,
        variable_descriptions={key: spec.description for key, spec in specs.items()},
    )


def _variable_specs(raw: object, where: str) -> dict[str, VariableSpec]:
    """Parse `[variables]`: `NAME = "default"` or `[variables.NAME]` with default/description."""
    if not isinstance(raw, dict):
        msg = f"{where}: `variables` must be a table of variable names"
        raise FlowsError(msg)
    specs: dict[str, VariableSpec] = {}
    for key, value in raw.items():
        if not key.isidentifier():
            msg = f"{where}: variable name `{key}` must be a Python identifier"
            raise FlowsError(msg)
        if isinstance(value, str):
            specs[key] = VariableSpec(default=value)
            continue
        if not isinstance(value, dict) or not isinstance(value.get("default"), str):
            msg = (
                f"{where}: variable `{key}` needs a string default: "
                f'`{key} = "..."` or `[variables.{key}]` with `default = "..."`'
            )
            raise FlowsError(msg)
        extra = sorted(set(value) - {"default", "description"})
        description = value.get("description", "")
        if extra or not isinstance(description, str):
            bad = extra[0] if extra else "description"
            msg = f"{where}: variable `{key}` has a bad key `{bad}` (keys: default, description)"
            raise FlowsError(msg)
        specs[key] = VariableSpec(default=value["default"], description=description)
    return specs


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
    """Entry points of the group, ordered by normalized distribution name, then name."""
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
    return sorted(found, key=lambda c: (_normalize(c.source), c.name))


def _normalize(distribution: str) -> str:
    """The PEP 503 normalized form of a distribution name."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


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
