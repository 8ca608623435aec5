"""The test suite does not depend on how it is started (under `nohup`, in a CI background)."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from subprocesses import run_python

TESTS = Path(__file__).resolve().parent
_DIRECT = re.compile(r"subprocess\.(run|Popen|call|check_call|check_output)\(")


def test_children_get_default_sigint_even_when_the_suite_ignores_it() -> None:
    """With SIGINT ignored here (as under nohup), a child started by a test takes Ctrl-C."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        done = run_python("-c", "import signal; print(signal.getsignal(signal.SIGINT).__name__)")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done.stdout.strip() == "default_int_handler", done.stderr


def test_every_test_starts_processes_through_the_one_helper() -> None:
    """No test module calls `subprocess` directly: `subprocesses` restores SIGINT for children."""
    offenders = []
    for module in sorted(TESTS.glob("*.py")):
        if module.name == "subprocesses.py":
            continue
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            if _DIRECT.search(line.split("#", 1)[0]):
                offenders.append(f"{module.name}:{number}: {line.strip()}")
    assert offenders == [], offenders
