"""Copy a process's stdout and stderr to files while they still reach the terminal.

The copy is made at the file-descriptor level: file descriptors 1 and 2 are pointed
at pipes, and a thread per pipe writes what arrives both to the original destination
and to the log file. So output of C extensions and of child processes that inherit the
descriptors is captured too, not only Python's `print`. The price: while the tee is on,
`isatty()` is false for both streams (progress bars may draw less).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import TYPE_CHECKING

from flows_workspace._process import start_shielded

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import IO

_CHUNK = 65536
_JOIN_SECONDS = 5.0
"""How long to wait for a pipe to drain; a child process still holding it may keep it open."""


class _DescriptorTee:
    """Send file descriptor `fd` through a pipe, copying what passes into `log`."""

    def __init__(self, fd: int, log: Path) -> None:
        self.fd = fd
        self.original = os.dup(fd)
        self.log: IO[bytes] = log.open("ab", buffering=0)
        read_end, write_end = os.pipe()
        self.thread = threading.Thread(
            target=self._pump, args=(read_end,), name=f"flows-tee-{fd}", daemon=True
        )
        start_shielded(self.thread)
        os.dup2(write_end, fd)
        os.close(write_end)

    def _pump(self, read_end: int) -> None:
        original_ok = log_ok = True
        try:
            while chunk := os.read(read_end, _CHUNK):
                if log_ok:
                    # A full disk ends the copy, never the run: the pipe keeps draining.
                    log_ok = _write_all(self.log.fileno(), chunk)
                if original_ok:
                    original_ok = _write_all(self.original, chunk)
        finally:
            os.close(read_end)

    def close(self) -> None:
        """Point the descriptor back at its original destination and drain the pipe."""
        # dup2 closes the pipe's write end held at `fd`; the pump then reads to EOF.
        os.dup2(self.original, self.fd)
        self.thread.join(_JOIN_SECONDS)
        os.close(self.original)
        if not self.thread.is_alive():
            self.log.close()


def _write_all(fd: int, data: bytes) -> bool:
    """Write all of `data` to `fd`; False once it fails (a closed terminal, a full disk)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        return False
    return True


def _usable(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):  # a closed or odd stream must not stop a run
                stream.flush()


@contextlib.contextmanager
def tee_output(stdout_log: Path, stderr_log: Path) -> Iterator[None]:
    """While active, copy file descriptors 1 and 2 to `stdout_log` and `stderr_log`.

    A descriptor that is closed is left alone (its log stays empty).
    """
    _flush_python_streams()
    tees = [
        _DescriptorTee(fd, log) for fd, log in ((1, stdout_log), (2, stderr_log)) if _usable(fd)
    ]
    try:
        yield
    finally:
        _flush_python_streams()
        for tee in tees:
            tee.close()
