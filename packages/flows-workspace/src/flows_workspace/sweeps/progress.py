"""How an attached sweep shows its progress: a live line on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

REDRAW_SECONDS = 0.5


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Counts variations as they start and end and shows the counts.

    On a terminal one line is redrawn (done, failed, running, elapsed, ETA) by a
    background thread; otherwise each end is one plain line, so logs stay readable.
    """

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.total = total
        self.done = self.failed = self.running = 0
        self.began = time.monotonic()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.live:
            self.thread = threading.Thread(target=self._redraw, name="flows-sweep-progress")
            self.thread.daemon = True
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join()
            self._draw(final=True)

    def started(self) -> None:
        """One more variation is running."""
        with self.lock:
            self.running += 1

    def finished(self, status: str, what: str) -> None:
        """A variation ended with `status` (`what` describes it for a plain line)."""
        with self.lock:
            self.running = max(0, self.running - 1)
            self.done += 1
            self.failed += status == "failed"
            count = self.done
        if not self.live:
            print(f"[{count}/{self.total}] {status}: {what}", file=self.stream, flush=True)

    def line(self) -> str:
        """The live line."""
        with self.lock:
            done, failed, running = self.done, self.failed, self.running
        elapsed = time.monotonic() - self.began
        eta = _clock(elapsed / done * (self.total - done)) if done else "?"
        width = 20
        filled = width * done // max(self.total, 1)
        bar = "#" * filled + "." * (width - filled)
        return (
            f"[{bar}] {done}/{self.total} done, {failed} failed, {running} running, "
            f"{_clock(elapsed)} elapsed, ETA {eta}"
        )

    def _draw(self, *, final: bool = False) -> None:
        end = "\n" if final else ""
        print(f"\r\x1b[2K{self.line()}", end=end, file=self.stream, flush=True)

    def _redraw(self) -> None:
        while not self.stopped.wait(REDRAW_SECONDS):
            self._draw()
