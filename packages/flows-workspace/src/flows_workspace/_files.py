"""Writing files whole or not at all: readers see the old file or the new one, never half.

Changes that read a file first (`locked`) hold a lock from the read to the write.

TOML goes through `tomli-w`: no hand-written emitter.
"""

from __future__ import annotations

import contextlib
import errno
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path


def write_atomically(path: Path, data: str | bytes, *, in_place_when_full: bool = False) -> None:
    """Write `data` to `path` through a new temporary file in the same folder, then rename.

    On Linux the file has no name until it is complete (`O_TMPFILE`), so a process killed
    while writing leaves nothing behind; elsewhere the temporary file is created with
    `O_EXCL`, so it is never another writer's. Unlike
    `tempfile.mkstemp` (always 0600), the file gets the usual permissions (0666 minus the
    umask): workspaces and run folders are often read by colleagues.

    With `in_place_when_full`, a full disk does not stop the write when the new data fits
    in the disk blocks the existing file already holds: it is written over the old data
    (a run's final status still reaches its manifest).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        handle = _unnamed_file(path.parent)
        unnamed = handle is not None
        if handle is None:  # no O_TMPFILE here: a named temporary file, removed on errors
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(payload)
                stream.flush()
                if unnamed:  # named only once complete: a kill while writing leaves nothing
                    _name(stream.fileno(), temporary)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        if not (in_place_when_full and error.errno in _FULL and _overwrite(path, payload)):
            raise


_FULL = {errno.ENOSPC, errno.EDQUOT}


def _unnamed_file(folder: Path) -> int | None:
    """A new file in `folder` with no name yet (Linux `O_TMPFILE`), or None where unsupported."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666)
    except OSError as error:
        if error.errno in _FULL:
            raise
        return None  # a file system without O_TMPFILE support (EOPNOTSUPP, EISDIR, ...)


def _name(handle: int, target: Path) -> None:
    """Give the unnamed file `handle` the name `target` (`linkat` following /proc's link)."""
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # A directory descriptor makes Python call linkat(), which can follow the link;
        # plain link() would try to link /proc's symbolic link itself.
        os.link(f"/proc/self/fd/{handle}", target.name, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)


def _overwrite(path: Path, payload: bytes) -> bool:
    """Write `payload` over `path` if its allocated blocks hold it; whether it was written."""
    try:
        allocated = path.stat().st_blocks * 512
        if len(payload) > allocated:
            return False
        with path.open("r+b") as stream:
            stream.write(payload)
            stream.truncate()
    except OSError:
        return False
    return True


def toml_text(data: Mapping[str, Any], header: str = "") -> str:
    """`data` as TOML (through tomli-w), after `header` comment lines."""
    import tomli_w

    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + tomli_w.dumps(dict(data))


SMALL_FILE_LIMIT = 1_000_000
"""Settings and records are a few lines; a file larger than this (bytes) is not one."""


def read_small_text(path: Path, limit: int = SMALL_FILE_LIMIT) -> str:
    """The UTF-8 text of a settings or record file, refusing one too large to be one.

    Raises:
        OSError: the file cannot be read.
        ValueError: not UTF-8, or larger than `limit` bytes (a stray data file).
    """
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        msg = f"it is larger than {limit // 1_000_000} MB, too large to be one"
        raise ValueError(msg)
    return data.decode("utf-8")


@contextlib.contextmanager
def locked(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (created if missing) while the block runs.

    For a read, change, write of one file by processes that may run at once (two
    `flow note`s): an atomic write alone keeps the file whole, but the second writer
    would drop the first one's change. `flock`, released when the process dies; where
    there is none (Windows) or the file system refuses locks, the block runs unlocked.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    handle = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        with contextlib.suppress(OSError):  # no locks on this file system: as before
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock
