"""The variables a template is rendered with.

Built in: `experiment_name` (also `name`), `date` (ISO `YYYY-MM-DD`), `author` (git's
`user.name`, empty if git is missing) and `flows_package` (the import name of the
workspace's flows folder). Then the template's declared variables with their defaults,
then `--var KEY=VALUE` overrides, which may only name declared variables or `author`/`date`.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

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
    declared: Mapping[str, str],
    overrides: Mapping[str, str],
    template_name: str,
) -> dict[str, str]:
    """All variables for rendering one experiment.

    Raises:
        BadInputError: an override names a variable the template does not declare.
    """
    allowed = set(declared) | set(OVERRIDABLE_BUILTINS)
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        choices = ", ".join(f"`{key}`" for key in sorted(allowed))
        msg = (
            f"template `{template_name}` declares no variable `{unknown[0]}`; "
            f"variables you can set with --var: {choices}"
        )
        raise BadInputError(msg)
    values = {
        "date": date.today().isoformat(),
        "author": git_author(),
        **declared,
        "experiment_name": experiment_name,
        "name": experiment_name,
        "flows_package": flows_package,
    }
    values.update(overrides)
    return values


def git_author() -> str:
    """`git config user.name`, or an empty string when git or the setting is missing."""
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        completed = subprocess.run(
            [git, "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return completed.stdout.strip() if completed.returncode == 0 else ""
