"""Signals and processes: SIGTERM as an exception, helper threads, whether a process lives.

The kernel delivers a signal sent to the process to any thread that does not block it.
If a helper thread (a tee pump, the manifest's background thread) took it, the main
thread would not wake up from `time.sleep` or a blocking read: Ctrl-C and SIGTERM would
seem ignored. Threads inherit the signal mask of the thread that starts them, so the
mask is set around `start()`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType

_SHIELDED = {signal.SIGINT, signal.SIGTERM}


class Terminated(SystemExit):
    """Raised in the main thread when the process receives SIGTERM.

    A `SystemExit` (code 143, as a shell reports a SIGTERM death), so `except Exception`
    does not swallow it, every `finally` runs, and Python exits without a traceback.
    """

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises `Terminated` in the main thread; then the old handler.

    Python's default for SIGTERM is to die at once, skipping every `finally`, which would
    leave staging folders and `running` manifests behind.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def start_shielded(thread: threading.Thread) -> None:
    """Start `thread` with SIGINT and SIGTERM blocked in it (where the platform allows)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: signals go to the main thread
        thread.start()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SHIELDED)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def host_name() -> str:
    """This machine's name (cheap: no socket import on POSIX)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def process_alive_on(host: str | None, pid: int) -> bool:
    """Whether process `pid` of machine `host` may still run: only one here can be seen gone."""
    if host != host_name():
        return True  # cannot tell from here
    return process_alive(pid)
