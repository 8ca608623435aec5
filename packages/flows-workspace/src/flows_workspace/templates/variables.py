"""The variables a template is rendered with.

Built in: `experiment_name` (also `name`), `date` (ISO `YYYY-MM-DD`), `author` (git's
`user.name`, empty if unset) and `flows_package` (the import name of the
workspace's flows folder). Then the template's declared variables with their defaults,
then `--var KEY=VALUE` overrides, which may only name declared variables or `author`/`date`.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from flows_workspace.templates.metadata import Template, VariableSpec, VariableValue

OVERRIDABLE_BUILTINS = ("author", "date")


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """Parse `KEY=VALUE` strings (the value may contain `=`).

    Raises:
        BadInputError: an item has no `=` or an empty key.
    """
    parsed: dict[str, str] = {}
    for item in assignments:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not key:
            msg = f"`--var {item}` is not of the form KEY=VALUE, e.g. `--var lr=0.01`"
            raise BadInputError(msg)
        parsed[key] = value
    return parsed


def template_variables(
    *,
    experiment_name: str,
    flows_package: str,
    declared: Mapping[str, VariableSpec],
    overrides: Mapping[str, str],
    template_name: str,
) -> dict[str, VariableValue]:
    """All variables for rendering one experiment, each of its declared type.

    Raises:
        BadInputError: an override names a variable the template does not declare, or
            its value does not fit the variable's type.
    """
    from flows_workspace.templates.variable_types import check_date, check_text, parse_value

    allowed = set(declared) | set(OVERRIDABLE_BUILTINS)
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        choices = ", ".join(f"`{key}`" for key in sorted(allowed))
        msg = (
            f"template `{template_name}` declares no variable `{unknown[0]}`; "
            f"variables you can set with --var: {choices}"
        )
        raise BadInputError(msg)
    typed: dict[str, VariableValue] = {
        key: check_date(text) if key == "date" else check_text(key, text)
        for key, text in overrides.items()
        if key in OVERRIDABLE_BUILTINS
    }
    for key, text in overrides.items():
        if key in declared:
            typed[key] = parse_value(key, declared[key], text)
    values: dict[str, VariableValue] = {
        "date": date.today().isoformat(),
        "author": git_author(),
        **{key: spec.default for key, spec in declared.items()},
        "experiment_name": experiment_name,
        "name": experiment_name,
        "flows_package": flows_package,
    }
    values.update(typed)
    return values


def git_author(start: Path | None = None) -> str:
    """The author's name as git would record it, or an empty string.

    `GIT_AUTHOR_NAME`, else `user.name` as `git config` resolves it in `start` (default:
    the current directory).
    """
    from_env = os.environ.get("GIT_AUTHOR_NAME", "").strip()
    if from_env:
        return from_env
    from flows_workspace._git import git_setting

    return (git_setting(start or Path.cwd(), "user.name") or "").strip()


def rerender_variables(
    template: Template,
    recorded: Mapping[str, VariableValue],
    *,
    experiment_name: str,
    flows_package: str,
) -> dict[str, VariableValue]:
    """The variables to render `template` again for an existing experiment (`flow update`).

    The recorded values (the date and author of creation included) win, in the type the
    template declares now; variables the template declares since take their defaults;
    the name and flows package are the experiment's as it is now.
    """
    from flows_workspace.templates.variable_types import from_record

    specs = template.variable_specs
    return {
        **template.variables,
        **{key: from_record(specs.get(key), value) for key, value in recorded.items()},
        "experiment_name": experiment_name,
        "name": experiment_name,
        "flows_package": flows_package,
    }


def variable_rows(template: Template) -> list[tuple[str, str, str, str]]:
    """`flow templates show`: name, type, default and description of each declared variable."""
    import json

    rows = []
    for key, spec in template.variable_specs.items():
        kind = f"choice: {', '.join(spec.choices)}" if spec.type == "choice" else spec.type
        default = json.dumps(spec.default, ensure_ascii=False)  # TOML's spelling of scalars
        rows.append((key, kind, default, spec.description))
    return rows
