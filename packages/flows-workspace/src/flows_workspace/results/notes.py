"""Tags and notes a user gives a run (`flow tag`, `flow note`): `notes.json` in the run folder.

`RunNotes` is the one model of the file; every write replaces it whole, and a change
(`RunNotes.changing`) holds a lock (`.notes.lock`) from reading the file to writing it.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError
from flows_workspace._files import locked, write_atomically

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOTES_NAME = "notes.json"
LOCK_NAME = ".notes.lock"
TAG_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
"""A tag starts with a letter, so it never reads as a run id (digits) or `last~N`."""
RESERVED_TAGS = frozenset({"last"})


def check_tag(name: str) -> str:
    """`name` if it can be a tag.

    Raises:
        BadInputError: it cannot.
    """
    if not TAG_PATTERN.match(name) or name in RESERVED_TAGS:
        msg = (
            f"`{name}` cannot be a tag: a tag is a letter, then up to 63 letters, digits, "
            "`_`, `.` or `-`, and not `last` (which names the newest run)"
        )
        raise BadInputError(msg)
    return name


@dataclass(frozen=True)
class Note:
    """One note: when it was written and what it says."""

    time: str
    text: str


@dataclass
class RunNotes:
    """A run's tags and notes."""

    tags: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @classmethod
    def read(cls, run_dir: Path) -> RunNotes:
        """The tags and notes of `run_dir`; none when the file is missing or unreadable."""
        try:
            data = json.loads((run_dir / NOTES_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return cls()
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Any) -> RunNotes:
        """The notes from their JSON data; entries of the wrong shape are dropped."""
        if not isinstance(data, dict):
            return cls()
        tags = [tag for tag in data.get("tags") or [] if isinstance(tag, str)]
        notes = [
            Note(str(note.get("time", "")), note["text"])
            for note in data.get("notes") or []
            if isinstance(note, dict) and isinstance(note.get("text"), str)
        ]
        return cls(tags, notes)

    @classmethod
    @contextlib.contextmanager
    def changing(cls, run_dir: Path) -> Iterator[RunNotes]:
        """The notes of `run_dir` to change in the block; written when it ends.

        Locked from the read to the write: two `flow note`s at once each keep their note.
        """
        with locked(run_dir / LOCK_NAME):
            notes = cls.read(run_dir)
            yield notes
            notes.write(run_dir)

    def write(self, run_dir: Path) -> None:
        """Write the notes to `run_dir`, replacing the file whole."""
        text = json.dumps(asdict(self), indent=2, ensure_ascii=False)
        write_atomically(run_dir / NOTES_NAME, text + "\n")

    def add_tags(self, names: list[str]) -> list[str]:
        """Add the tags not there yet; the ones added."""
        added = [name for name in dict.fromkeys(names) if name not in self.tags]
        self.tags.extend(added)
        return added

    def remove_tags(self, names: list[str]) -> list[str]:
        """Remove the tags that are there; the ones removed."""
        removed = [name for name in dict.fromkeys(names) if name in self.tags]
        self.tags = [tag for tag in self.tags if tag not in removed]
        return removed

    def add_note(self, text: str) -> None:
        """Add a note written now."""
        moment = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.notes.append(Note(moment, text))
