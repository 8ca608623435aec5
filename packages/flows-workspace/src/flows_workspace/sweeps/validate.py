"""Check every variation against the experiment's own parser before anything is launched.

One process of the experiment's interpreter runs its `run.py` as `__main__` with the
parser swapped for a checker: when the script asks for its config (`parse_run`,
`parse_config`, or
`tyro.cli` for a script that calls tyro directly), each variation's arguments are
parsed by the real parser and the process reports and exits before the run starts.
One interpreter start and one import of the experiment check them all.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError, tell

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

_REPORT_PREFIX = "flows-sweep-check:"


def check_variations(python: str, script: Path, variations: list[list[str]]) -> None:
    """Parse each variation with the experiment's parser in `python`.

    Raises:
        BadInputError: a variation is not accepted (the first one, with the parser's reason),
            or the script could not be checked.
    """
    env = {**os.environ, "COLUMNS": "400"}  # the parser's message on one line
    try:
        done = subprocess.run(
            [python, "-m", "flows_workspace.sweeps.validate", str(script)],
            input=json.dumps(variations),
            capture_output=True,
            text=True,
            env=env,
            cwd=script.parent,
            check=False,
        )
    except OSError as error:
        msg = f"cannot start the interpreter `{python}` to check the variations: {error}"
        raise BadInputError(msg) from error
    reports = [
        line.removeprefix(_REPORT_PREFIX)
        for line in done.stdout.splitlines()
        if line.startswith(_REPORT_PREFIX)
    ]
    if not reports and done.returncode != 0:
        last = _last_line(done.stderr) or f"exit status {done.returncode}"
        msg = f"`{script}` failed before reading its config ({last}); run it alone to see why"
        raise BadInputError(msg)
    problems: list[str | None] | None = json.loads(reports[-1]) if reports else None
    if problems is None:
        tell(
            "note",
            f"`{script.name}` reads its command line without tyro, so the variations were "
            "not checked before launching",
            "flow",
        )
        return
    for args, problem in zip(variations, problems, strict=True):
        if problem is not None:
            shown = " ".join(args)
            msg = f"variation `{shown}` is not accepted by `{script.name}`: {problem}"
            raise BadInputError(msg)


def _last_line(text: str) -> str:
    """The last line of `text` with words in it, stripped of box-drawing characters."""
    lines = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
    return next((line for line in reversed(lines) if line), "")


def _first_line(text: str) -> str:
    """The first line of a parser's message that says something (tyro boxes its messages)."""
    lines = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
    return next((line for line in lines if ":" in line), _last_line(text) or "not accepted")


class _Checked(BaseException):
    """Raised once the variations are checked, to stop the script before its run starts."""


class _Checker:
    """Stand-ins for the parsers: the first one called parses every variation and stops.

    `parse_run` calls `tyro.cli` itself; while a check runs, the real one answers.
    """

    def __init__(self, variations: list[list[str]]) -> None:
        self.variations = variations
        self.busy = False

    def wrap(self, parse: Callable[..., Any]) -> Callable[..., Any]:
        """A stand-in for `parse`."""

        def check(*args: Any, **kwargs: Any) -> Any:
            if self.busy:
                return parse(*args, **kwargs)
            self.busy = True
            problems = [self._problem(parse, args, kwargs, v) for v in self.variations]
            print(_REPORT_PREFIX + json.dumps(problems), flush=True)
            raise _Checked

        return check

    @staticmethod
    def _problem(
        parse: Callable[..., Any], args: Any, kwargs: dict[str, Any], variation: list[str]
    ) -> str | None:
        error = io.StringIO()
        try:
            with contextlib.redirect_stderr(error), contextlib.redirect_stdout(io.StringIO()):
                parse(*args, **{**kwargs, "args": variation})
        except SystemExit:
            return _first_line(error.getvalue())
        return None


def _unchecked(*args: Any, **kwargs: Any) -> Any:
    """Stand-in for `record_run` reached before any parser: report "not checked", stop."""
    print(_REPORT_PREFIX + "null", flush=True)
    raise _Checked


def main() -> None:
    """Run the script named in `sys.argv[1]` with the checker, variations on stdin."""
    import runpy

    import tyro

    import flows_workspace
    from flows_workspace.runs import parse

    script = sys.argv[1]
    checker = _Checker(json.load(sys.stdin))
    tyro.cli = checker.wrap(tyro.cli)
    flows_workspace.parse_run = checker.wrap(parse.parse_run)
    flows_workspace.parse_config = checker.wrap(parse.parse_config)
    flows_workspace.record_run = _unchecked  # reached without tyro: stop before the run
    sys.argv = [script]
    with contextlib.suppress(_Checked):
        runpy.run_path(script, run_name="__main__")
    sys.stdout.flush()
    os._exit(0)  # the script's threads and exit hooks are not ours to run


if __name__ == "__main__":
    main()
