"""Helper threads that never receive the process's SIGINT or SIGTERM.

The kernel delivers a signal sent to the process to any thread that does not block it.
If a helper thread (a tee pump, the manifest's background thread) took it, the main
thread would not wake up from `time.sleep` or a blocking read until something else
woke it: Ctrl-C and SIGTERM would seem ignored. Threads inherit the signal mask of the
thread that starts them, so the mask is set around `start()`.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading

_SHIELDED = {signal.SIGINT, signal.SIGTERM}


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
