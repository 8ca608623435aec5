"""The base of future merges: an experiment's files as `flow create` (or `flow update`) made them.

`flow update` merges three versions of each file: the base (the files as created), the
experiment as it is now, and the template as installed now (or the parent as it is now,
for a fork). The base is kept in the experiment itself, in the hidden folder
`.flow-base/`, file for file, so it travels with the experiment (git, copies, `flow mv`)
and stays usable when the template's distribution is upgraded or uninstalled: a wheel
cannot be re-rendered once it is gone. The experiment record holds the base's content
hash (`[base] hash`), so a base edited by hand is noticed instead of merged against.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from fnmatch import fnmatch
from typing import TYPE_CHECKING

from flows_workspace._errors import FlowsError
from flows_workspace.templates.render import CACHE_PATTERNS
from flows_workspace.updates.three_way import THEIRS_SUFFIX
from flows_workspace.workspace.experiments import RECORD_NAME

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

BASE_FOLDER = ".flow-base"
"""The hidden folder inside an experiment holding its merge base."""
NOT_CODE = (
    *CACHE_PATTERNS,
    RECORD_NAME,
    BASE_FOLDER,
    f"{BASE_FOLDER}.*",  # a base being swapped in when the process was killed
    f"*{THEIRS_SUFFIX}",  # the other side of a binary conflict, left for you to resolve
)
"""Names that are never part of an experiment's code: caches, its record, its base,
merge leftovers."""

SIZE_CAP = 10_000_000
"""Files larger than this (bytes) are data, not code: never kept in a base nor merged."""

Files = dict[str, bytes]
"""A tree of files in memory: relative POSIX path -> bytes."""


def read_files(folder: Path) -> Files:
    """Every regular file under `folder` (caches, the record and the base left out).

    Symbolic links, FIFOs and other special files are neither followed nor read, nor
    are files over `SIZE_CAP` (a checkpoint or data set kept beside the code): they are
    not code a template makes, and `flow update` leaves them alone.
    """
    return {relative: path.read_bytes() for relative, path in _walk(folder, "")}


def _walk(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
    for child in sorted(folder.iterdir(), key=lambda item: item.name):
        if any(fnmatch(child.name, pattern) for pattern in NOT_CODE) or child.is_symlink():
            continue
        relative = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, f"{relative}/")
        elif child.is_file() and child.stat().st_size <= SIZE_CAP:
            yield relative, child


def files_hash(files: Mapping[str, bytes]) -> str:
    """A content hash of a tree of files: paths and bytes, in path order."""
    digest = hashlib.sha256()
    for relative in sorted(files):
        data = files[relative]
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    return f"sha256:{digest.hexdigest()}"


def write_files(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write `files` under `folder` (created), each through its own new file."""
    for relative, data in files.items():
        target = folder.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def store_base(experiment: Path, files: Mapping[str, bytes]) -> str:
    """Make `files` the base of `experiment` (replacing any old base); return its hash.

    The new base is written beside the old one and swapped in with renames, so an
    interrupted update leaves the old base or the new one, never a mix.
    """
    staging = experiment / f"{BASE_FOLDER}.new.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        write_files(staging, files)
        current = experiment / BASE_FOLDER
        retired = experiment / f"{BASE_FOLDER}.old.{os.getpid()}"
        if current.exists():
            os.rename(current, retired)
        os.rename(staging, current)
        shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files_hash(files)


def load_base(experiment: Path, expected_hash: str | None) -> Files:
    """The base kept in `experiment`, checked against the hash its record holds.

    Raises:
        FlowsError: there is no base (the experiment predates `flow update`, or was
            made by hand), or its files changed since they were recorded.
    """
    folder = experiment / BASE_FOLDER
    if expected_hash is None or not folder.is_dir():
        msg = (
            f"experiment `{experiment.name}` has no merge base (`{BASE_FOLDER}/` and the "
            "record's [base] hash come with `flow create`); it was made before `flow update` "
            "existed or by hand, so there is nothing to merge against"
        )
        raise FlowsError(msg)
    files = read_files(folder)
    if files_hash(files) != expected_hash:
        msg = (
            f"the merge base `{folder}` was changed since `flow create` or `flow update` "
            f"wrote it; restore it (e.g. `git checkout -- {BASE_FOLDER}`) before updating"
        )
        raise FlowsError(msg)
    return files
