"""The copy a fork makes of its parent experiment: code, not bulk data or special files.

`shutil.copytree` would open a FIFO for reading and wait forever, and copy a 200 MB data
file as readily as a script. Here only regular files up to `FORK_FILE_SIZE_CAP` are
copied and symbolic links are copied as links (never followed); everything else is left
out and reported, so `flow create` can say what the fork does not have.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

FORK_FILE_SIZE_CAP = 10_000_000
"""Files larger than this (bytes) are data, not code: a fork leaves them out and says so."""


@dataclass
class ForkCopy:
    """What a fork's copy left out, by path relative to the parent experiment."""

    too_large: list[tuple[str, int]] = field(default_factory=list)
    """Files over `FORK_FILE_SIZE_CAP`, with their sizes."""
    special: list[str] = field(default_factory=list)
    """FIFOs, sockets and devices: nothing a fork could copy."""

    def summary(self) -> str | None:
        """One sentence saying what was left out, or None when nothing was."""
        parts = []
        if self.too_large:
            largest, size = max(self.too_large, key=lambda item: item[1])
            cap = FORK_FILE_SIZE_CAP // 1_000_000
            parts.append(
                f"{len(self.too_large)} file(s) over {cap} MB (largest: `{largest}`, "
                f"{size / 1_000_000:.0f} MB); copy or link them yourself if the fork needs them"
            )
        if self.special:
            shown = ", ".join(f"`{path}`" for path in self.special[:3])
            more = ", ..." if len(self.special) > 3 else ""
            parts.append(f"{len(self.special)} special file(s) (FIFOs, sockets): {shown}{more}")
        return "; ".join(parts) or None


def copy_experiment(source: Path, target: Path, skipped: Sequence[str]) -> ForkCopy:
    """Copy the folder `source` into the existing folder `target`, leaving out `skipped` names.

    Args:
        source: The parent experiment.
        target: An existing, empty folder.
        skipped: Name patterns never copied (caches, the parent's record).
    """
    report = ForkCopy()
    _copy_folder(source, target, "", skipped, report)
    return report


def _copy_folder(
    source: Path, target: Path, prefix: str, skipped: Sequence[str], report: ForkCopy
) -> None:
    with os.scandir(source) as entries:
        for entry in sorted(entries, key=lambda item: item.name):
            if any(fnmatch(entry.name, pattern) for pattern in skipped):
                continue
            relative = f"{prefix}{entry.name}"
            destination = target / entry.name
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                os.symlink(os.readlink(entry.path), destination)
            elif stat.S_ISDIR(mode):
                destination.mkdir()
                _copy_folder(source / entry.name, destination, f"{relative}/", skipped, report)
                shutil.copystat(entry.path, destination)
            elif stat.S_ISREG(mode):
                size = entry.stat(follow_symlinks=False).st_size
                if size > FORK_FILE_SIZE_CAP:
                    report.too_large.append((relative, size))
                else:
                    shutil.copy2(entry.path, destination, follow_symlinks=False)
            else:
                report.special.append(relative)
