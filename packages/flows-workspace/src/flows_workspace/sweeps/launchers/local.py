"""The `local` launcher: a bounded pool of variations on this machine, forked warm.

Each variation is a child of the sweep's preloaded server (`launchers.preload`), which
has imported what every run needs once and forks a child per variation that runs as
`python run.py ARGS` would; the launcher keeps up to `jobs` of them running and learns
each child's pid and exit status from the server through a pipe.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from typing import IO, TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace.sweeps.launchers import LauncherError
from flows_workspace.sweeps.launchers.task import STOP_GRACE_SECONDS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flows_workspace.sweeps.launchers import Events
    from flows_workspace.sweeps.launchers.resources import Resources
    from flows_workspace.sweeps.launchers.task import Task

SERVER_MODULE = "flows_workspace.sweeps.launchers.preload"
_KILL_WAIT_SECONDS = 10.0
"""How long SIGKILLed variations may take to be reported before they are given up."""


class PreloadedServer:
    """The launcher's end of a preloaded server: requests in, starts and exits out."""

    def __init__(self, python: str, cwd: str) -> None:
        """Start the server with `python` in `cwd`, the interpreter and folder of the runs.

        Raises:
            BadInputError: `python` cannot be started.
        """
        self.python = python
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        try:
            self.process = subprocess.Popen(
                [python, "-m", SERVER_MODULE, python],
                cwd=cwd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
                start_new_session=True,  # Ctrl-C reaches the launcher only
            )
        except OSError as error:
            self.log.close()
            msg = f"cannot start the interpreter `{python}` to run the variations: {error}"
            raise BadInputError(msg) from error
        self.received = b""
        self.used = False

    def send(self, message: dict[str, Any]) -> None:
        """Send one request.

        Raises:
            LauncherError: the server has died.
        """
        assert self.process.stdin is not None
        self.used = True
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self.died() from None

    def receive(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next message, waiting at most `timeout` seconds (None: as long as it takes).

        Raises:
            LauncherError: the server has died.
        """
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.received:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            data = os.read(fd, 65536)
            if not data:
                raise self.died()
            self.received += data
        line, self.received = self.received.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def died(self) -> LauncherError:
        """The one-line error saying how the server ended (it is waited for)."""
        code = self.process.wait()
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited ({code})"
        self.log.seek(0)
        lines = self.log.read().decode(errors="replace").strip().splitlines()
        detail = f": {lines[-1].strip()}" if lines else ""
        msg = (
            f"the process forking this sweep's variations (`{self.python} -m {SERVER_MODULE}`, "
            f"pid {self.process.pid}) {how}{detail}"
        )
        return LauncherError(msg)

    def close(self) -> None:
        """Tell the server no more requests come; it exits once its children have ended.

        A server never used (the sweep stopped at a bad variation) is killed: it has no child.
        """
        assert self.process.stdin is not None
        if not self.used and self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process.wait()
        self.log.close()


def start_early() -> PreloadedServer | None:
    """A server for `flow sweep` to start before it has read its command line.

    It runs this interpreter in this folder, which serve unless `--python` names another;
    None when it cannot start (the command line's own checks then say why).
    """
    try:
        return PreloadedServer(sys.executable, os.getcwd())
    except (OSError, FlowsError):
        return None


class LocalLauncher:
    """Runs variations as children of a preloaded server, at most `jobs` at a time."""

    detaches = False

    def __init__(self, resources: Resources, server: PreloadedServer | None = None) -> None:
        self.jobs = max(1, resources.jobs or os.cpu_count() or 1)
        self.server = server
        """A server started for these variations by the caller, who closes it (`flow sweep`
        starts one early, to check the variations while it preloads)."""

    def run(self, tasks: Sequence[Task], events: Events) -> None:
        """Run every task; on any exception stop the running ones and report them all."""
        if not tasks:
            return
        server = self.server or PreloadedServer(tasks[0].argv[0], tasks[0].cwd)
        waiting = deque(tasks)
        running = _Running(events)
        try:
            while waiting or running.tasks:
                while waiting and len(running.tasks) < self.jobs:
                    task = waiting.popleft()
                    task.prepare_output()
                    running.tasks[task.index] = task
                    server.send(_request(task))
                message = server.receive()
                assert message is not None
                running.handle(message)
        except BaseException:
            running.stop(server)
            for task in waiting:
                events.finished(task.index, None)
            raise
        finally:
            if server is not self.server:  # one given is its owner's to close
                server.close()

    def submit(self, tasks: Sequence[Task]) -> dict[int, str]:
        """Not used: a detached local sweep runs attached in a background process."""
        raise NotImplementedError

    def alive(self, job_ids: Sequence[str]) -> set[str]:
        """Local jobs are followed through the sweep's driver process, not by id."""
        return set()


def _request(task: Task) -> dict[str, Any]:
    """The server's request to run `task`."""
    return {
        "run": task.index,
        "argv": list(task.argv),
        "cwd": task.cwd,
        "env": task.environment(),
        "output": task.output,
    }


class _Running:
    """The variations sent to the server and not yet ended, with their pids once known."""

    def __init__(self, events: Events) -> None:
        self.events = events
        self.tasks: dict[int, Task] = {}
        self.pids: dict[int, int] = {}

    def handle(self, message: dict[str, Any]) -> None:
        """Follow one message of the server."""
        if "started" in message:
            self.pids[message["started"]] = message["pid"]
            self.events.started(message["started"], str(message["pid"]))
            return
        task = self.tasks.pop(message["exited"])
        self.pids.pop(task.index, None)
        task.exit_file.write_text(f"{message['code']}\n", encoding="utf-8")
        self.events.finished(task.index, message["code"])

    def stop(self, server: PreloadedServer) -> None:
        """SIGTERM what runs (its runs record themselves interrupted), SIGKILL after a grace."""
        try:
            for number, wait in (
                (signal.SIGTERM, STOP_GRACE_SECONDS),
                (signal.SIGKILL, _KILL_WAIT_SECONDS),
            ):
                for index in self.tasks:
                    server.send({"signal": index, "number": int(number)})
                deadline = time.monotonic() + wait
                while self.tasks:
                    message = server.receive(max(0.0, deadline - time.monotonic()))
                    if message is None:
                        break
                    self.handle(message)
        except LauncherError:
            _stop_orphans(list(self.pids.values()))
        for index in list(self.tasks):
            del self.tasks[index]
            self.events.finished(index, None)


def _stop_orphans(pids: list[int]) -> None:
    """Stop the children of a server that died: SIGTERM, then SIGKILL after the grace period."""
    for number, wait in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 0.0)):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)
        deadline = time.monotonic() + wait
        while pids and time.monotonic() < deadline:
            pids = [pid for pid in pids if _exists(pid)]
            time.sleep(0.05)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
