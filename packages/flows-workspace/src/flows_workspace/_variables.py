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

OVERRIDABLE_BUILTINS = ("author", "date")
SYSTEM_GIT_CONFIG = Path("/etc/gitconfig")


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


def git_author(start: Path | None = None) -> str:
    """The author's name as git knows it, or an empty string.

    `GIT_AUTHOR_NAME`, else `user.name` from the repository config of `start` (default:
    the current directory), the user's `~/.gitconfig`, `$XDG_CONFIG_HOME/git/config`
    and the system `/etc/gitconfig`, in git's precedence. The files are read directly:
    running `git config` cost `flow create` a sixth of its time. Only when a config file
    uses `[include]` (which this reader does not follow) is git itself asked.
    """
    from_env = os.environ.get("GIT_AUTHOR_NAME", "").strip()
    if from_env:
        return from_env
    folder = start or Path.cwd()
    includes = False
    for config in _git_config_files(folder):
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        includes = includes or "[include" in text
        name = _user_name(text)
        if name is not None:
            return name
    return _ask_git(folder) if includes else ""


def _git_config_files(start: Path) -> list[Path]:
    """Git config files, most specific first."""
    files = []
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / ".git").is_dir():
            files.append(folder / ".git" / "config")
            break
    home = Path.home()
    files.append(home / ".gitconfig")
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    files.append(Path(xdg) / "git" / "config")
    files.append(SYSTEM_GIT_CONFIG)
    return files


def _user_name(text: str) -> str | None:
    """The last `name` in a `[user]` section of git config `text` (git's rule), if any."""
    section = ""
    found = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line[1:].split("]", 1)[0].strip().lower()
            line = line.split("]", 1)[1].strip() if "]" in line else ""
            if not line:
                continue
        key, equals, value = line.partition("=")
        if section == "user" and equals and key.strip().lower() == "name":
            value = value.split(" #", 1)[0].split(" ;", 1)[0].strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found = value
    return found


def _ask_git(folder: Path) -> str:
    """`git config user.name` in `folder`, or an empty string when git or it is missing."""
    from flows_workspace._git_state import run_git

    completed = run_git(folder, "config", "user.name")
    if completed is None or completed.returncode != 0:
        return ""
    return completed.stdout.strip()
