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
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import FrameType

_T = TypeVar("_T")

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
    if not _in_main_thread():
        yield  # only the main thread may set signal handlers
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class HeldSignals:
    """SIGINT and SIGTERM held back in the main thread from `hold` until `release`.

    For what a second Ctrl-C must not cut short: the record of how a run ended. Their
    handlers are swapped for one that only notes the signal (blocking it would not do:
    the kernel hands a signal to any thread that does not block it, the user's too);
    `release` puts the handlers back and raises what was noted. In another thread, both
    are no-ops (only the main thread handles signals).
    """

    def __init__(self) -> None:
        self._previous: dict[signal.Signals, Any] | None = None
        self._arrived: list[int] = []

    def hold(self) -> None:
        """Note SIGINT and SIGTERM instead of handling them (again: nothing more happens)."""
        if self._previous is None and _in_main_thread():
            # An ignored signal (`nohup`, `cmd &` in a script) stays ignored.
            live = [n for n in _SHIELDED if signal.getsignal(n) is not signal.SIG_IGN]
            self._previous = {number: signal.signal(number, self._note) for number in live}

    def _note(self, number: int, frame: FrameType | None) -> None:
        self._arrived.append(number)

    def pending(self) -> bool:
        """Whether SIGINT or SIGTERM arrived while held."""
        return bool(self._arrived)

    def release(self) -> None:
        """Put the handlers back and raise each signal noted: it is handled now.

        Ctrl-C raises `KeyboardInterrupt` here; SIGTERM does what its handler does.
        """
        previous, self._previous = self._previous, None
        if previous is None:
            return
        for number, handler in previous.items():
            signal.signal(number, handler)
        for arrived in dict.fromkeys(self._arrived):
            signal.raise_signal(arrived)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


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


def in_background(work: Callable[[], _T]) -> Callable[[], _T]:
    """Start `work` in a shielded thread; the function returned waits for its result.

    What `work` raises is raised again by that call. The interpreter waits for the
    thread at exit: cut off, it could leave a scratch file behind.
    """
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # handed to the caller, as a direct call would raise it
            failure.append(error)

    thread = threading.Thread(target=target, name="flows-background")
    start_shielded(thread)

    def result() -> _T:
        thread.join()
        if failure:
            raise failure[0]
        return outcome[0]

    return result


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
