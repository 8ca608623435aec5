"""The experiments of a workspace and the record of where each one came from.

`flow create` writes `.flow-experiment.toml` into every experiment it makes: the
template (name, distribution, version) and variables, or the parent experiment (its
name, or its absolute path when it is not in the same flows folder; with its git commit
and uncommitted changes at fork time), the creation time and the hash
of the merge base kept in `.flow-base/` (see `merge_base`). `flow list` reads it back;
`flow update` and `flow mv` rewrite it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import FlowsError
from flows_workspace._files import read_small_text, toml_text, write_atomically
from flows_workspace._names import name_problem
from flows_workspace.templates.metadata import TemplateOrigin, VariableValue

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

RECORD_NAME = ".flow-experiment.toml"
"""The file in each experiment recording its origin."""


@dataclass(frozen=True)
class ExperimentRecord:
    """What `flow create` knows about an experiment it made: the one model of its record file."""

    name: str
    created: datetime
    template: TemplateOrigin | None = None
    variables: Mapping[str, VariableValue] = field(default_factory=dict)
    parent: str | None = None
    """The parent's name in the same flows folder, or its absolute path when elsewhere."""
    parent_commit: str | None = None
    """The workspace's git commit when the fork was made (None outside git)."""
    parent_patch: str | None = None
    """The parent's uncommitted changes at fork time, as a binary diff from that commit."""
    base_hash: str | None = None
    """Content hash of the merge base in `.flow-base/` (None: made before there was one)."""
    base_updated: datetime | None = None
    """When `flow update` last moved the base (None: never, it is as created)."""

    def origin(self) -> str:
        """One phrase saying where the experiment came from."""
        if self.parent is not None:
            return f"fork of {self.parent}"
        if self.template is not None:
            version = f" {self.template.version}" if self.template.version else ""
            return f"template {self.template.name} ({self.template.source}{version})"
        return "-"

    def parent_name(self) -> str | None:
        """The parent's folder name: the name a fork rewrote to its own."""
        return None if self.parent is None else PurePath(self.parent).name

    def parent_outside(self) -> bool:
        """Whether the parent was forked from outside the fork's flows folder (by path)."""
        return self.parent is not None and PurePath(self.parent).is_absolute()

    def parent_folder(self, flows_folder: Path) -> Path | None:
        """Where the parent is: its recorded path, or its name in `flows_folder`."""
        if self.parent is None:
            return None
        return flows_folder / self.parent  # an absolute recorded path replaces the folder

    def write(self, folder: Path) -> None:
        """Write the record into experiment folder `folder`."""
        data: dict[str, Any] = {
            "name": self.name,
            "created": self.created.isoformat(timespec="seconds"),
        }
        if self.parent is not None:
            data["parent"] = self.parent
        if self.parent_commit is not None:
            data["parent_commit"] = self.parent_commit
        if self.parent_patch:
            data["parent_patch"] = self.parent_patch
        if self.template is not None:
            template = {"name": self.template.name, "source": self.template.source}
            if self.template.version is not None:
                template["version"] = self.template.version
            data["template"] = template
        if self.variables:
            data["variables"] = dict(sorted(self.variables.items()))
        if self.base_hash is not None:
            base: dict[str, str] = {"hash": self.base_hash}
            if self.base_updated is not None:
                base["updated"] = self.base_updated.isoformat(timespec="seconds")
            data["base"] = base
        header = "Written by `flow create` (and `flow update`, `flow mv`): where this came from."
        write_atomically(folder / RECORD_NAME, toml_text(data, header))

    def renamed(self, name: str) -> ExperimentRecord:
        """This record for the experiment renamed to `name` (`flow mv`)."""
        variables = dict(self.variables)
        for key in ("experiment_name", "name"):
            if key in variables:
                variables[key] = name
        return replace(self, name=name, variables=variables)

    @classmethod
    def read(cls, folder: Path) -> ExperimentRecord | None:
        """The record in experiment folder `folder`, or None if missing or unreadable."""
        try:
            return cls.read_checked(folder)
        except UnreadableRecordError:
            return None

    @classmethod
    def read_checked(cls, folder: Path) -> ExperimentRecord | None:
        """The record in experiment folder `folder`, or None when there is none.

        Raises:
            UnreadableRecordError: the file is there but not a record (garbage, cut
                short, wrong types, nested too deeply, far too large).
        """
        path = folder / RECORD_NAME
        try:
            text = read_small_text(path, RECORD_SIZE_LIMIT)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            msg = f"cannot read `{path}`: {error}; fix or delete it"
            raise UnreadableRecordError(msg) from error
        try:
            data: dict[str, Any] = tomllib.loads(text)
            template = data.get("template")
            base = data.get("base", {})
            return cls(
                name=str(data["name"]),
                created=datetime.fromisoformat(str(data["created"])),
                template=None
                if template is None
                else TemplateOrigin(
                    name=str(template["name"]),
                    source=str(template["source"]),
                    version=None if template.get("version") is None else str(template["version"]),
                ),
                variables={str(k): _scalar(v) for k, v in data.get("variables", {}).items()},
                parent=_optional_text(data.get("parent")),
                parent_commit=_optional_text(data.get("parent_commit")),
                parent_patch=_optional_text(data.get("parent_patch")),
                base_hash=_optional_text(base.get("hash")),
                base_updated=None
                if base.get("updated") is None
                else datetime.fromisoformat(str(base["updated"])),
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            if isinstance(error, KeyError):
                reason = f"`{error.args[0]}` is missing"
            elif isinstance(error, RecursionError):
                reason = "nested too deeply"
            else:
                reason = str(error) or type(error).__name__
            msg = f"`{path}` is not an experiment record: {reason}; fix or delete it"
            raise UnreadableRecordError(msg) from error


RECORD_SIZE_LIMIT = 50_000_000
"""A record holds a fork's parent patch, so it may be large, but not this large."""


class UnreadableRecordError(FlowsError, ValueError):
    """A `.flow-experiment.toml` that is there but cannot be read as a record.

    Commands that need the record (`flow update`, `flow mv`, `flow diff --template`) stop
    with its one line; `flow list` lists the experiment as BROKEN.
    """


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


def _scalar(value: object) -> VariableValue:
    """A recorded variable's value: kept when it is a TOML scalar, else its text."""
    return value if isinstance(value, (str, int, float, bool)) else str(value)


@dataclass(frozen=True)
class Experiment:
    """An experiment folder, with its record when `flow create` made it."""

    name: str
    path: Path
    record: ExperimentRecord | None
    problem: str | None = None
    """Why the record file that is there could not be read (then `record` is None)."""

    def created(self) -> datetime:
        """When the experiment was created (the folder's time when there is no record)."""
        if self.record is not None:
            return self.record.created
        # Local time, like the records `flow create` writes, so `flow list` shows one zone.
        return datetime.fromtimestamp(self.path.stat().st_mtime, tz=timezone.utc).astimezone()


def list_experiments(flows_root: Path) -> list[Experiment]:
    """Every experiment folder under `flows_root`, sorted by name.

    An experiment is a folder whose name could be given to `flow create`; hidden
    folders (e.g. a half-built `.flow-create.*`) and caches are not experiments.
    """
    if not flows_root.is_dir():
        return []
    found = [
        _experiment(child)
        for child in flows_root.iterdir()
        if child.is_dir() and name_problem(child.name) is None
    ]
    return sorted(found, key=lambda experiment: experiment.name)


def _experiment(folder: Path) -> Experiment:
    try:
        return Experiment(folder.name, folder, ExperimentRecord.read_checked(folder))
    except UnreadableRecordError as error:
        return Experiment(folder.name, folder, None, str(error))
