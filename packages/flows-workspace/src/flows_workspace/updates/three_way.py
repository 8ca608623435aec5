"""A three-way merge of two trees of files against their common base, file by file.

Text files are merged by `git merge-file` (git's own merge of one file, the same that
`git merge` uses): changes on both sides are combined, and where they overlap the file
gets conflict markers. Binary files cannot hold markers: when both sides changed one,
the experiment's copy stays and the other side's is written beside it.

The rules, for each path:

| base | ours (experiment) | theirs (template/parent) | result |
|---|---|---|---|
| any | = base | any | theirs (deleted if theirs deleted it) |
| any | any | = base | ours |
| - | - | new | added |
| yes | deleted | any | stays deleted |
| yes | changed | deleted | ours kept, noted |
| any | changed | changed | merged (markers on overlap) |
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from flows_workspace._errors import FlowsError
from flows_workspace._git import run_git

if TYPE_CHECKING:
    from collections.abc import Mapping

Action = Literal["updated", "merged", "added", "deleted", "conflict", "kept"]
THEIRS_SUFFIX = ".flow-theirs"
"""Beside a binary file both sides changed: the other side's version."""


@dataclass(frozen=True)
class FileChange:
    """What the merge does to one path of the experiment."""

    path: str
    action: Action
    data: bytes | None
    """The path's new bytes (None: delete it, or leave it as it is for `kept`); for a
    binary conflict, the other side's bytes, written beside the path."""
    note: str = ""
    beside: bool = False
    """Whether `data` goes beside the path (as `PATH.flow-theirs`) instead of into it."""


@dataclass
class MergeResult:
    """The changes a merge makes to the experiment, and the paths left in conflict."""

    changes: list[FileChange] = field(default_factory=list)

    @property
    def conflicts(self) -> list[str]:
        """Paths that hold conflict markers (or a `.flow-theirs` copy) after the merge."""
        return [change.path for change in self.changes if change.action == "conflict"]


@dataclass(frozen=True)
class Labels:
    """How conflict markers name the three sides."""

    ours: str
    base: str
    theirs: str


def merge_trees(
    base: Mapping[str, bytes],
    ours: Mapping[str, bytes],
    theirs: Mapping[str, bytes],
    labels: Labels,
) -> MergeResult:
    """The changes that bring `theirs`' changes since `base` into `ours`, never losing an edit."""
    result = MergeResult()
    for path in sorted(set(base) | set(ours) | set(theirs)):
        change = _merge_path(path, base.get(path), ours.get(path), theirs.get(path), labels)
        if change is not None:
            result.changes.append(change)
    return result


def _merge_path(
    path: str, base: bytes | None, ours: bytes | None, theirs: bytes | None, labels: Labels
) -> FileChange | None:
    if ours == theirs or theirs == base:
        return None  # nothing new from their side
    if base is not None and ours is None:
        return FileChange(path, "kept", None, "deleted here, left deleted")
    if ours == base:
        if theirs is None:
            return FileChange(path, "deleted", None, f"removed by {labels.theirs}")
        return FileChange(path, "added" if ours is None else "updated", theirs)
    if theirs is None:
        return FileChange(path, "kept", None, f"changed here but removed by {labels.theirs}")
    assert ours is not None  # ours is None only with base None, and then ours == base
    if _is_binary(ours) or _is_binary(theirs) or (base is not None and _is_binary(base)):
        note = f"binary; {labels.theirs}'s version is in {path}{THEIRS_SUFFIX}"
        return FileChange(path, "conflict", theirs, note, beside=True)
    merged, clean = merge_file(base or b"", ours, theirs, labels)
    return FileChange(path, "merged" if clean else "conflict", merged)


def merge_file(base: bytes, ours: bytes, theirs: bytes, labels: Labels) -> tuple[bytes, bool]:
    """`git merge-file` of one file: the merged bytes, and whether it merged cleanly.

    Raises:
        FlowsError: git is missing or failed.
    """
    with tempfile.TemporaryDirectory(prefix="flows-merge-") as scratch:
        folder = Path(scratch)
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            (folder / name).write_bytes(data)
        done = run_git(
            folder,
            "merge-file",
            "-L",
            labels.ours,
            "-L",
            labels.base,
            "-L",
            labels.theirs,
            "ours",
            "base",
            "theirs",
        )
        # The exit status is the number of conflicts (capped at 127); negative on error.
        if done is None or not 0 <= done.returncode <= 127:
            detail = "git is not installed" if done is None else done.stderr.strip()
            msg = f"cannot merge files with `git merge-file`: {detail}; install git and retry"
            raise FlowsError(msg)
        return (folder / "ours").read_bytes(), done.returncode == 0


def _is_binary(data: bytes) -> bool:
    """Whether `data` looks binary the way git decides it: a NUL in its first 8000 bytes."""
    return b"\0" in data[:8000]
