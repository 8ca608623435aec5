"""One variation as a process to run: the unit every launcher hands to its engine.

`run_task` is what a SLURM job or a Ray task executes: it runs the variation's command,
writes its exit status beside its output, and on cancellation stops the command with
SIGTERM so that its run records itself as interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

WAIT_SLICE_SECONDS = 0.2
STOP_GRACE_SECONDS = 10.0
"""How long a cancelled variation has to record itself before it is killed."""


@dataclass(frozen=True)
class Task:
    """A variation's command, with where it runs and where its output goes."""

    index: int
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    """Variables set on top of the launcher's environment."""
    cwd: str
    output: str
    """The file receiving the command's stdout and stderr."""

    @property
    def exit_file(self) -> Path:
        """Where `run_task` writes the exit status once the command ends."""
        return Path(f"{self.output}.exit")

    def environment(self) -> dict[str, str]:
        """The command's whole environment."""
        return {**os.environ, **dict(self.env)}

    def prepare_output(self) -> None:
        """Make the output's folder and remove the exit status of an earlier attempt."""
        self.exit_file.unlink(missing_ok=True)
        Path(self.output).parent.mkdir(parents=True, exist_ok=True)

    def start(self) -> subprocess.Popen[bytes]:
        """Start the command in its own session (a Ctrl-C reaches the launcher only)."""
        self.prepare_output()
        with open(self.output, "wb") as output:
            return subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM `process` (its run records itself interrupted), SIGKILL after a grace period."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_task(task: Task) -> int:
    """Run `task` to its end and return its exit status; cancellation stops it first."""
    process = task.start()
    try:
        # Waiting in short slices: an engine's cancellation (Ray raises KeyboardInterrupt in
        # the task's thread) is delivered between them, not after the command ends.
        while (code := process.poll()) is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(WAIT_SLICE_SECONDS)
    except BaseException:
        stop(process)
        raise
    task.exit_file.write_text(f"{code}\n", encoding="utf-8")
    return code
