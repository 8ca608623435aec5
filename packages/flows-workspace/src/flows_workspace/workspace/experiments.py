"""The experiments of a workspace and the record of where each one came from.

`flow create` writes `.flow-experiment.toml` into every experiment it makes: the
template (name, distribution, version) and variables, or the parent experiment, and
the creation time. `flow list` reads it back.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flows_workspace._files import read_small_text, toml_text, write_atomically
from flows_workspace._names import name_problem
from flows_workspace.workspace.template_metadata import TemplateOrigin

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
    variables: Mapping[str, str] = field(default_factory=dict)
    parent: str | None = None

    def origin(self) -> str:
        """One phrase saying where the experiment came from."""
        if self.parent is not None:
            return f"fork of {self.parent}"
        if self.template is not None:
            version = f" {self.template.version}" if self.template.version else ""
            return f"template {self.template.name} ({self.template.source}{version})"
        return "-"

    def write(self, folder: Path) -> None:
        """Write the record into experiment folder `folder`."""
        data: dict[str, Any] = {
            "name": self.name,
            "created": self.created.isoformat(timespec="seconds"),
        }
        if self.parent is not None:
            data["parent"] = self.parent
        if self.template is not None:
            template = {"name": self.template.name, "source": self.template.source}
            if self.template.version is not None:
                template["version"] = self.template.version
            data["template"] = template
        if self.variables:
            data["variables"] = dict(sorted(self.variables.items()))
        header = "Written by `flow create`: where this experiment came from."
        write_atomically(folder / RECORD_NAME, toml_text(data, header))

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
            text = read_small_text(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            msg = f"cannot read `{path}`: {error}"
            raise UnreadableRecordError(msg) from error
        try:
            data: dict[str, Any] = tomllib.loads(text)
            template = data.get("template")
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
                variables={str(k): str(v) for k, v in data.get("variables", {}).items()},
                parent=None if data.get("parent") is None else str(data["parent"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            if isinstance(error, KeyError):
                reason = f"`{error.args[0]}` is missing"
            elif isinstance(error, RecursionError):
                reason = "nested too deeply"
            else:
                reason = str(error) or type(error).__name__
            msg = f"`{path}` is not an experiment record: {reason}"
            raise UnreadableRecordError(msg) from error


class UnreadableRecordError(ValueError):
    """A `.flow-experiment.toml` that is there but cannot be read as a record."""


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
