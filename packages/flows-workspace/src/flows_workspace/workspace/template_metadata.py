"""The metadata of a template folder (`template.toml`) and `Template`, its one model.

`template.toml` holds `description` (string), `kind` (`"experiment"`, the default, or
`"workspace"`) and a `[variables]` table whose entries are `NAME = "default"` or
`[variables.NAME]` with `default` and `description` strings.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from flows_workspace._errors import FlowsError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

METADATA_NAME = "template.toml"
"""The metadata file every template folder holds (never copied into what it renders)."""
KINDS = ("experiment", "workspace")
ENTRY_POINT_GROUP = "flows.templates"
"""The entry-point group a templates distribution announces its templates in."""

Kind = Literal["experiment", "workspace"]


@dataclass(frozen=True)
class TemplateOrigin:
    """A template's name and where it comes from."""

    name: str
    source: str
    """The distribution providing it, or `"workspace"` for the workspace-local folder."""
    version: str | None
    """The providing distribution's version (None for workspace-local templates)."""


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

    def origin(self) -> TemplateOrigin:
        """The template's name and where it comes from, as experiment records hold them."""
        return TemplateOrigin(name=self.name, source=self.source, version=self.version)


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
