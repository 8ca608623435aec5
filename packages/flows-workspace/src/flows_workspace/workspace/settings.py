"""Where a workspace is and how it is laid out.

A workspace is the folder holding the marker file `flows.toml`; the marker keeps the
workspace's settings (folder names, default template). The root is found by walking
up from a directory, never assumed to be the current directory.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows_workspace._errors import FlowsError, WorkspaceNotFoundError
from flows_workspace._files import read_small_text, toml_text, write_atomically
from flows_workspace._names import folder_name_problem, name_problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MARKER_NAME = "flows.toml"
"""The file that marks a workspace root and holds its settings."""
_TYPES: dict[str, type] = {"tensorboard": bool}
"""Settings that are not strings."""


@dataclass(frozen=True)
class WorkspaceSettings:
    """The settings stored in the marker file `flows.toml`: the one model of that file."""

    flows_dir: str = "flows"
    """Folder (and importable package) holding one folder per experiment."""
    logs_dir: str = "logs"
    """Folder holding every result: logs/<experiment>/<run-id>/."""
    data_dir: str = "data"
    """Folder holding shared raw data, never modified by experiments."""
    default_template: str = "default"
    """Template `flow create` uses when none is given."""
    tensorboard: bool = False
    """Whether runs also write TensorBoard event files (the `tensorboard` extra)."""

    @classmethod
    def read(cls, marker: Path) -> WorkspaceSettings:
        """Read a marker file; unknown keys are an error, missing ones default.

        Raises:
            FlowsError: the file cannot be read, or holds unusable settings.
        """
        try:
            data: dict[str, Any] = tomllib.loads(read_small_text(marker))
        except (OSError, ValueError, RecursionError) as error:  # ValueError: TOML, UTF-8
            reason = "nested too deeply" if isinstance(error, RecursionError) else error
            msg = f"cannot read workspace settings `{marker}`: {reason}; fix or delete the file"
            raise FlowsError(msg) from error
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"unknown setting `{unknown[0]}` in `{marker}`; known settings: {sorted(known)}"
            raise FlowsError(msg)
        bad = [key for key, value in data.items() if type(value) is not _TYPES.get(key, str)]
        if bad:
            kind = "true or false" if bad[0] in _TYPES else "a string"
            msg = f"setting `{bad[0]}` in `{marker}` must be {kind}"
            raise FlowsError(msg)
        settings = cls(**data)
        problem = settings.problem()
        if problem is not None:
            msg = f"{problem} (in `{marker}`); fix the file"
            raise FlowsError(msg)
        return settings

    def write(self, marker: Path) -> None:
        """Write the settings to the marker file (atomically)."""
        header = "flows workspace settings: this file marks the workspace root."
        data = dataclasses.asdict(self)
        if not self.tensorboard:
            del data["tensorboard"]  # written only when on: files stay as they were
        write_atomically(marker, toml_text(data, header))

    def problem(self) -> str | None:
        """What makes these settings unusable, or None.

        The folder names are joined to the root, so each must be one plain folder name
        (a hand-edited `../elsewhere` would send experiments outside the workspace); the
        flows folder is also imported as a package, so it follows the experiment-name rules.
        """
        flows_problem = name_problem(self.flows_dir)
        if flows_problem is None and self.flows_dir in sys.stdlib_module_names:
            flows_problem = "is a module of Python's standard library, which it would hide"
        if flows_problem is not None:
            return (
                f"flows folder name `{self.flows_dir}` {flows_problem} (it is imported as a "
                "package); use a Python identifier such as `flows`"
            )
        for key in ("logs_dir", "data_dir"):
            name = getattr(self, key)
            if folder_name_problem(name) is not None:
                return f"`{key}` is `{name}`; it must be one folder name, e.g. `{key[:-4]}`"
        names = [self.flows_dir, self.logs_dir, self.data_dir]
        if len(set(names)) != len(names):
            return f"the flows, logs and data folders need different names, not {names}"
        return None


@dataclass(frozen=True)
class Workspace:
    """A workspace root and its settings, with the paths they imply."""

    root: Path
    settings: WorkspaceSettings

    @property
    def marker(self) -> Path:
        """The settings file at the root."""
        return self.root / MARKER_NAME

    @property
    def flows_root(self) -> Path:
        """The folder of experiments (the `flows` package)."""
        return self.root / self.settings.flows_dir

    def experiment_of(self, folder: Path) -> str | None:
        """The experiment whose folder holds `folder`; None when `folder` is in none.

        An experiment's folder is right under the flows folder: `flows/exp1/scripts` is
        `exp1`'s, `flows` itself is no experiment's.
        """
        try:
            parts = folder.resolve().relative_to(self.flows_root.resolve()).parts
        except ValueError:
            return None
        return parts[0] if parts else None

    @property
    def logs_root(self) -> Path:
        """The folder of results."""
        return self.root / self.settings.logs_dir

    @property
    def data_root(self) -> Path:
        """The folder of shared raw data."""
        return self.root / self.settings.data_dir

    @property
    def local_templates_root(self) -> Path:
        """Workspace-local templates; they take precedence over installed ones."""
        return self.root / "templates"


def find_workspace(start: Path | None = None) -> Workspace:
    """Find the workspace containing `start` (default: the current directory).

    Raises:
        WorkspaceNotFoundError: no `flows.toml` in `start` or any parent.
    """
    given = _logical_cwd() if start is None else Path(os.path.abspath(start))
    here = given.resolve()
    # The folders above the path as written first: in `logs/exp1`, with `logs` a link to
    # scratch space (as on clusters), the workspace is above `logs`, not above its target.
    for folder in dict.fromkeys((given, *given.parents, here, *here.parents)):
        if (folder / MARKER_NAME).is_file():
            root = folder.resolve()
            return Workspace(root, WorkspaceSettings.read(root / MARKER_NAME))
    msg = (
        f"`{here}` is not inside a flows workspace (no `{MARKER_NAME}` found in it or its "
        "parents); run `flow init` at the workspace root first"
    )
    raise WorkspaceNotFoundError(msg)


def _logical_cwd() -> Path:
    """The current folder as the shell names it (`$PWD`, links kept), else the real one."""
    physical = Path.cwd()
    logical = os.environ.get("PWD", "")
    if os.path.isabs(logical):
        try:
            if os.path.samefile(logical, physical):
                return Path(logical)
        except OSError:
            pass
    return physical


def find_workspace_or_none(start: Path | None = None) -> Workspace | None:
    """The workspace containing `start`, or None outside any (commands that work anywhere)."""
    try:
        return find_workspace(start)
    except WorkspaceNotFoundError:
        return None
