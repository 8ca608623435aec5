"""The copy of an experiment folder: code, not bulk data or special files.

Used by a fork (`flow create --from`) and by a sweep's code snapshot. `shutil.copytree`
would open a FIFO for reading and wait forever, and copy a 200 MB data file as readily
as a script. Here only regular files up to `FORK_FILE_SIZE_CAP` are copied and symbolic
links are copied as links (never followed); everything else is left out and reported,
so the command can say what the copy does not have.
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
"""Files larger than this (bytes) are data, not code: a copy leaves them out and says so."""
FORK_ADVICE = "copy or link them yourself if the fork needs them"


@dataclass
class ForkCopy:
    """What a fork's copy left out, by path relative to the parent experiment."""

    too_large: list[tuple[str, int]] = field(default_factory=list)
    """Files over `FORK_FILE_SIZE_CAP`, with their sizes."""
    special: list[str] = field(default_factory=list)
    """FIFOs, sockets and devices: nothing a fork could copy."""

    def summary(self, advice: str = FORK_ADVICE) -> str | None:
        """One sentence saying what was left out, or None when nothing was.

        Args:
            advice: What to do about the files over the cap.
        """
        parts = []
        if self.too_large:
            largest, size = max(self.too_large, key=lambda item: item[1])
            cap = FORK_FILE_SIZE_CAP // 1_000_000
            parts.append(
                f"{len(self.too_large)} file(s) over {cap} MB (largest: `{largest}`, "
                f"{size / 1_000_000:.0f} MB); {advice}"
            )
        if self.special:
            shown = ", ".join(f"`{path}`" for path in self.special[:3])
            more = ", ..." if len(self.special) > 3 else ""
            parts.append(f"{len(self.special)} special file(s) (FIFOs, sockets): {shown}{more}")
        return "; ".join(parts) or None


def copy_experiment(
    source: Path, target: Path, skipped: Sequence[str], *, elsewhere: bool = False
) -> ForkCopy:
    """Copy the folder `source` into the existing folder `target`, leaving out `skipped` names.

    Args:
        source: The experiment copied.
        target: An existing, empty folder.
        skipped: Name patterns never copied (caches, the parent's record).
        elsewhere: `target` is not a sibling of `source` (a sweep's snapshot in the logs):
            a relative link leading out of `source` is made absolute, so that it still
            reaches what it reached; links within `source` stay relative.
    """
    report = ForkCopy()
    source_root = os.path.abspath(source) if elsewhere else None
    _copy_folder(source, target, "", skipped, report, source_root)
    return report


def _link_target(link: str, folder: str, source_root: str | None) -> str:
    """What the copy of link `link` in `folder` points to.

    `source_root` is None for a copy beside its source (the link as it is), else the
    source's absolute path: a relative link leading out of it is made absolute.
    """
    if source_root is None or os.path.isabs(link):
        return link
    reached = os.path.normpath(os.path.join(folder, link))
    inside = reached == source_root or reached.startswith(source_root + os.sep)
    return link if inside else reached


def _copy_folder(
    source: Path,
    target: Path,
    prefix: str,
    skipped: Sequence[str],
    report: ForkCopy,
    source_root: str | None,
) -> None:
    with os.scandir(source) as entries:
        for entry in sorted(entries, key=lambda item: item.name):
            if any(fnmatch(entry.name, pattern) for pattern in skipped):
                continue
            relative = f"{prefix}{entry.name}"
            destination = target / entry.name
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISLNK(mode):
                link = _link_target(os.readlink(entry.path), os.path.abspath(source), source_root)
                os.symlink(link, destination)
            elif stat.S_ISDIR(mode):
                destination.mkdir()
                folder = source / entry.name
                _copy_folder(folder, destination, f"{relative}/", skipped, report, source_root)
                shutil.copystat(entry.path, destination)
            elif stat.S_ISREG(mode):
                size = entry.stat(follow_symlinks=False).st_size
                if size > FORK_FILE_SIZE_CAP:
                    report.too_large.append((relative, size))
                else:
                    shutil.copy2(entry.path, destination, follow_symlinks=False)
            else:
                report.special.append(relative)
