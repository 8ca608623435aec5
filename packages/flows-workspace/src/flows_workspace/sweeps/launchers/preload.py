"""The preloaded server of the local launcher: `PYTHON -m` this module `PYTHON`, one per sweep.

A variation of a typical experiment spends most of its time starting: the interpreter,
then importing tyro (and typeguard, which tyro imports for `A | B` unions), config_utils
and flows_workspace. This server pays that once: it imports what every run needs (never
torch, numpy or the experiment's own code, whose CUDA and random state must not be
shared) and then forks one child per variation, which becomes `python run.py ARGS` as a
fresh interpreter would be (the pattern of gunicorn's `--preload` or multiprocessing's
forkserver); `python -m MODULE ARGS` works too (`flow sweep` checks its variations so).

It speaks newline-delimited JSON: on stdin `{"run": INDEX, "argv": [...], "cwd": ...,
"env": {...}, "output": PATH}` and `{"signal": INDEX, "number": N}`; on stdout
`{"started": INDEX, "pid": PID}` and `{"exited": INDEX, "code": EXIT_CODE}` (a negative
code: killed by that signal). Once stdin closes it waits for its children and exits.

A request it cannot emulate (another interpreter, another folder, or a change to a
variable the interpreter reads while starting: `PYTHON*`, the locale, `HOME`) is still
forked here, but the child `exec`s the interpreter as a plain launcher would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import importlib
import json
import os
import select
import signal
import sys
from typing import Any, NoReturn

from flows_workspace.sweeps.launchers.as_main import close_from, run_as_main

RUN_MODULES = (
    "tyro",
    "typeguard",
    "config_utils.registry",
    "config_utils.cli",
    "flows_workspace",
    "flows_workspace.runs.parse",
    "flows_workspace.runs.record",
    # What recording a run imports on first use (kept lazy for `flow`'s own start).
    "flows_workspace.runs.defaults",
    "flows_workspace.reruns.environment",
    "flows_workspace.reruns.resume",
    "flows_workspace.results.records",
    "flows_workspace.results.summary_index",
    "flows_workspace.runs.environment",
    "flows_workspace.runs.git_state",
    "flows_workspace.runs.package_check",
    "flows_workspace.runs.tee",
    "flows_workspace.sweeps.record",  # a variation records its sweep's code version
    "flows_workspace.workspace.settings",
    "sqlite3",  # the index of runs
    "tomllib",  # flows.toml (3.11+)
    "tomli",  # flows.toml (3.10)
)
"""What the server imports: what a run of a template's `run.py` imports besides its own."""
_STARTUP_PREFIXES = ("PYTHON", "LC_")
_STARTUP_NAMES = frozenset({"LANG", "HOME"})
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)
"""The signals whose handling the server changes; each child gets them back as found."""


def startup_variables(env: dict[str, str]) -> dict[str, str]:
    """The variables of `env` that an interpreter reads while it starts."""
    return {
        name: value
        for name, value in env.items()
        if name.startswith(_STARTUP_PREFIXES) or name in _STARTUP_NAMES
    }


def _preload() -> None:
    """Import what every run needs and let tyro's first parse import the rest of itself."""
    for name in RUN_MODULES:
        with contextlib.suppress(ImportError):  # optional, or for one Python version only
            importlib.import_module(name)
    _warm_tyro()


@dataclasses.dataclass
class _First:
    number: int = 0


@dataclasses.dataclass
class _Second:
    text: str = ""


@dataclasses.dataclass
class _WarmUp:
    """A config with what templates' configs have: a union of configs, an optional."""

    part: _First | _Second = dataclasses.field(default_factory=_First)
    limit: int | None = None


def _warm_tyro() -> None:
    """One parse of a config like a run's: tyro imports the rest of itself."""
    import tyro

    tyro.cli(_WarmUp, args=[])


class _Server:
    """Forks a child per request and reports each child's start and end."""

    def __init__(self, python: str) -> None:
        self.python = python
        """The interpreter as the launcher named it (`sys.executable` may be spelled otherwise)."""
        self.dispositions = {number: signal.getsignal(number) for number in _SIGNALS}
        self.cwd = os.getcwd()
        self.startup = startup_variables(dict(os.environ))
        self.requests = os.dup(0)
        self.replies = os.dup(1)
        self.wakeup_read, self.wakeup_write = os.pipe()
        self.children: dict[int, int] = {}
        """Variation index by the pid of a child not yet reaped."""
        self.pending = b""
        self.listening = True

    def serve(self) -> None:
        """Handle requests and children's ends until stdin closes and no child is left."""
        os.set_blocking(self.wakeup_write, False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self.wakeup_write)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the launcher's to handle
        while self.listening or self.children:
            sources = [self.wakeup_read, *([self.requests] if self.listening else [])]
            ready, _, _ = select.select(sources, [], [])
            if self.wakeup_read in ready:
                os.read(self.wakeup_read, 4096)
            self._reap()
            if self.requests in ready:
                data = os.read(self.requests, 65536)
                self.listening = bool(data)
                self.pending += data
                *lines, self.pending = self.pending.split(b"\n")
                for line in lines:
                    self._handle(json.loads(line))

    def _handle(self, request: dict[str, Any]) -> None:
        if "signal" in request:
            for pid, index in self.children.items():
                if index == request["signal"]:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, request["number"])
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            self._become(request)
        self.children[pid] = request["run"]
        self._reply({"started": request["run"], "pid": pid})

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            index = self.children.pop(pid, None)
            if index is not None:
                self._reply({"exited": index, "code": os.waitstatus_to_exitcode(status)})

    def _reply(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                data = data[os.write(self.replies, data) :]
        except BrokenPipeError:  # the launcher is gone: its children still run to their end
            self.listening = False

    def _become(self, request: dict[str, Any]) -> NoReturn:
        """In the child: set up as `python ARGV` would start, then run it; never returns."""
        try:
            os.setsid()
            stdin = os.open(os.devnull, os.O_RDONLY)
            output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            os.dup2(stdin, 0)
            os.dup2(output, 1)
            os.dup2(output, 2)
            close_from(3)
            signal.set_wakeup_fd(-1)
            for number, disposition in self.dispositions.items():
                signal.signal(number, disposition)
            argv: list[str] = request["argv"]
            env: dict[str, str] = request["env"]
            os.chdir(request["cwd"])
            warm = (
                argv[0] == self.python
                and len(argv) > 1
                and (argv[1] == "-m" or not argv[1].startswith("-"))  # a script, or a module
                and request["cwd"] == self.cwd
                and startup_variables(env) == self.startup
            )
            if not warm:
                for number in (signal.SIGPIPE, signal.SIGXFSZ):  # as subprocess restores them
                    signal.signal(number, signal.SIG_DFL)
                os.execvpe(argv[0], argv, env)  # searches PATH, as `Popen` would
            os.environ.clear()
            os.environ.update(env)
        except BaseException as error:
            os.write(
                2, f"flow sweep: cannot start `{' '.join(request['argv'])}`: {error}\n".encode()
            )
            os._exit(127)
        run_as_main(argv)


def main() -> None:
    """Preload, then serve requests until stdin closes."""
    if not getattr(sys.flags, "safe_path", False):
        del sys.path[0]  # `-m` put the working folder first; a script gets its own folder
    server = _Server(sys.argv[1])
    _preload()
    # What the server holds is never collected in a child: a collection there would touch,
    # and so copy, every page of it (Python's advice for forking servers).
    gc.freeze()
    server.serve()


if __name__ == "__main__":
    main()
