"""The metadata of a template folder (`template.toml`) and `Template`, its one model.

`template.toml` holds `description` (string), `kind` (`"experiment"`, the default, or
`"workspace"`) and a `[variables]` table. Each variable is either `NAME = DEFAULT` (its
type is the default's: a string, integer, float or boolean) or a table:

```toml
[variables.seed]
type = "int"            # str (the default), int, float, bool or choice
default = 0
description = "Default random seed of run.py"

[variables.optimizer]
type = "choice"
choices = ["sgd", "adam"]
default = "sgd"
```
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
VariableType = Literal["str", "int", "float", "bool", "choice"]
VARIABLE_TYPES: tuple[VariableType, ...] = ("str", "int", "float", "bool", "choice")
VARIABLE_KEYS = ("type", "default", "description", "choices")
VariableValue = str | int | float | bool
"""A template variable's value (a TOML scalar)."""


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
    """A variable a template declares: its type, default and what it means."""

    default: VariableValue
    description: str = ""
    type: VariableType = "str"
    choices: tuple[str, ...] = ()
    """The allowed values of a `choice` variable."""


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
    variables: Mapping[str, VariableValue]
    """Declared variables and their defaults."""
    kind: Kind = "experiment"
    variable_descriptions: Mapping[str, str] = field(default_factory=dict)
    """What each declared variable means (may be empty)."""
    variable_specs: Mapping[str, VariableSpec] = field(default_factory=dict)
    """Each declared variable's type, default, description and choices."""

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
        variable_specs=specs,
    )


def _variable_specs(raw: object, where: str) -> dict[str, VariableSpec]:
    """Parse `[variables]`: `NAME = DEFAULT` or `[variables.NAME]` tables."""
    if not isinstance(raw, dict):
        msg = f"{where}: `variables` must be a table of variable names"
        raise FlowsError(msg)
    specs: dict[str, VariableSpec] = {}
    for key, value in raw.items():
        if not key.isidentifier():
            msg = f"{where}: variable name `{key}` must be a Python identifier"
            raise FlowsError(msg)
        specs[key] = _variable_spec(key, value, f"{where}: variable `{key}`")
    return specs


def _variable_spec(key: str, value: object, where: str) -> VariableSpec:
    if isinstance(value, (str, int, float)):  # bool is an int
        return VariableSpec(default=value, type=_type_of(value))
    if not isinstance(value, dict) or "default" not in value:
        msg = (
            f'{where} needs a default: `{key} = "..."` or `[variables.{key}]` with `default = ...`'
        )
        raise FlowsError(msg)
    extra = sorted(set(value) - set(VARIABLE_KEYS))
    description = value.get("description", "")
    if extra or not isinstance(description, str):
        bad = extra[0] if extra else "description"
        msg = f"{where} has a bad key `{bad}` (keys: {', '.join(VARIABLE_KEYS)})"
        raise FlowsError(msg)
    default = value["default"]
    kind = value.get("type", _type_of(default))
    if kind not in VARIABLE_TYPES:
        msg = f"{where}: `type` must be one of {', '.join(VARIABLE_TYPES)}, not `{kind}`"
        raise FlowsError(msg)
    choices = value.get("choices", [])
    if kind == "choice" and not (
        isinstance(choices, list) and choices and all(isinstance(c, str) for c in choices)
    ):
        msg = f"{where}: a `choice` needs `choices`, a list of strings"
        raise FlowsError(msg)
    if kind != "choice" and "choices" in value:
        msg = f'{where}: `choices` needs `type = "choice"`'
        raise FlowsError(msg)
    if kind == "float" and isinstance(default, int) and not isinstance(default, bool):
        default = float(default)  # `default = 1` for a float variable means 1.0
    spec = VariableSpec(default, description, kind, tuple(choices))
    from flows_workspace.templates.variable_types import default_problem

    problem = default_problem(spec)
    if problem is not None:
        msg = f"{where}: its default {problem}"
        raise FlowsError(msg)
    return spec


def _type_of(value: object) -> VariableType:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "float" if isinstance(value, float) else "str"
