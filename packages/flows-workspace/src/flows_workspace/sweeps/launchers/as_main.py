"""Becoming `python run.py ARGS` in a child forked from the preloaded server.

What an interpreter sets up before the script runs (standard streams, descriptors,
`sys.argv`, `sys.path[0]`, `__main__`) and how it ends (the exit status of
`SystemExit`, an uncaught exception through `sys.excepthook`, an uncaught
KeyboardInterrupt ending the process by SIGINT, joining non-daemon threads, `atexit`
handlers, flushing), done by hand in a process that is already running.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import io
import os
import runpy
import signal
import sys
import threading
import types
from importlib.machinery import SourceFileLoader
from typing import NoReturn


def run_as_main(argv: list[str]) -> NoReturn:
    """Run `argv` (`PYTHON SCRIPT ARGS` or `PYTHON -m MODULE ARGS`) here; never returns.

    Descriptors 0-2 must be the command's already, and no other open (`close_from(3)`).
    """
    _reopen_standard_streams()
    if argv[1] == "-m" and len(argv) > 2:
        _run_module(argv[0], argv[2], argv[3:])
    _run_script(argv[0], argv[1], argv[2:])


def close_from(lowest: int) -> None:
    """Close every descriptor from `lowest` up, as a newly started interpreter has none."""
    try:
        numbers = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        os.closerange(lowest, 4096)
        return
    for number in numbers:
        if number >= lowest:
            with contextlib.suppress(OSError):
                os.close(number)


def _reopen_standard_streams() -> None:
    """New `sys.stdin`/`stdout`/`stderr` on descriptors 0-2, made as the interpreter makes them.

    The old objects were made for the server's pipes (not a terminal, not seekable).
    """
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        old = getattr(sys, f"__{name}__")
        writing = fd > 0
        write_through = bool(getattr(old, "write_through", False))  # `-u`
        unbuffered = writing and write_through
        binary = open(  # noqa: SIM115 - the new sys.stdout and others live as long as the process
            fd, "wb" if writing else "rb", buffering=0 if unbuffered else -1, closefd=False
        )
        raw = binary if unbuffered else binary.raw  # type: ignore[attr-defined]
        raw.name = f"<{name}>"  # type: ignore[misc]
        text = io.TextIOWrapper(
            binary,
            encoding=old.encoding,
            errors=old.errors,
            newline="\n",
            line_buffering=not write_through and (os.isatty(fd) or fd == 2),
            write_through=write_through,
        )
        text.mode = "w" if writing else "r"  # type: ignore[misc]
        setattr(sys, name, text)
        setattr(sys, f"__{name}__", text)


def _run_module(python: str, module: str, args: list[str]) -> NoReturn:
    """Run `python -m MODULE ARGS` and end the process as the interpreter would."""
    sys.argv = ["-m", *args]  # runpy puts the module's file first
    sys.orig_argv = [python, "-m", module, *args]
    if not getattr(sys.flags, "safe_path", False):
        sys.path.insert(0, os.getcwd())
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        os._exit(_shut_down(_exit_status(exit_.code), interrupted=False))
    except BaseException as error:
        sys.excepthook(type(error), error, error.__traceback__)
        os._exit(_shut_down(1, interrupted=isinstance(error, KeyboardInterrupt)))
    os._exit(_shut_down(0, interrupted=False))


def _run_script(python: str, script: str, args: list[str]) -> NoReturn:
    """Run `script` as `__main__` and end the process as the interpreter would."""
    path = os.path.abspath(script)
    sys.argv = [script, *args]
    sys.orig_argv = [python, script, *args]
    if not getattr(sys.flags, "safe_path", False):
        sys.path.insert(0, os.path.dirname(os.path.realpath(path)))
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__cached__ = None  # type: ignore[attr-defined]
    main.__loader__ = SourceFileLoader("__main__", path)
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    status, interrupted = 0, False
    try:
        with open(path, "rb") as source:
            text = source.read()
    except OSError as error:
        print(
            f"{python}: can't open file {path!r}: [Errno {error.errno}] {error.strerror}",
            file=sys.stderr,
        )
        os._exit(_shut_down(2, interrupted=False))
    try:
        code = compile(text, path, "exec", dont_inherit=True)
        exec(code, main.__dict__)
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except BaseException as error:
        traceback = error.__traceback__
        if traceback is not None and traceback.tb_frame.f_code is _run_script.__code__:
            traceback = traceback.tb_next  # the script's frames only, as `python run.py` shows
            error.__traceback__ = traceback  # what the hook prints
        sys.last_type, sys.last_value, sys.last_traceback = type(error), error, traceback
        sys.excepthook(type(error), error, traceback)
        status, interrupted = 1, isinstance(error, KeyboardInterrupt)
    os._exit(_shut_down(status, interrupted=interrupted))


def _flush_open_files() -> None:
    """Flush the files the script left open, as the interpreter's teardown would.

    The process ends with `os._exit`, which drops what a file object still buffers; a
    new interpreter would close (and so flush) every file when it tears its modules down.
    """
    import gc

    for candidate in gc.get_objects():  # the server's own objects are frozen, not listed
        if isinstance(candidate, io.IOBase):
            with contextlib.suppress(Exception):  # closed, read-only, a full disk: as at exit
                candidate.flush()


def _exit_status(code: object) -> int:
    """The exit status of `SystemExit(code)`: None is 0, an int is itself, else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _shut_down(status: int, *, interrupted: bool) -> int:
    """End as the interpreter ends: join threads, run exit handlers, flush; the exit status.

    Nothing raised here may reach the server's code that forked this process: a Ctrl-C
    while waiting for the script's threads is reported as the interpreter would.
    """
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    except BaseException as error:
        sys.excepthook(type(error), error, error.__traceback__)
        status, interrupted = status or 1, interrupted or isinstance(error, KeyboardInterrupt)
    _flush_open_files()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120
    if interrupted:  # killed by SIGINT, as CPython ends on an unhandled KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        return 130
    return status
