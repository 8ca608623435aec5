"""Check every variation against the experiment's own parser before anything is launched.

A child of the sweep's preloaded server (a few, for many variations) runs the
experiment's `run.py` as `__main__` with the parser swapped for a checker: when the
script asks for its config (`parse_run`, `parse_config`, or `tyro.cli` for a script that
calls tyro directly), each variation's arguments are parsed by the real parser and the
process reports and exits before the run starts.
No interpreter start, and one import of the experiment per checking process.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError, tell

if TYPE_CHECKING:
    from collections.abc import Callable

    from flows_workspace.sweeps.launchers.local import PreloadedServer

_REPORT_PREFIX = "flows-sweep-check:"


CHECKED_PER_PROCESS = 8
"""Variations a checking process takes at least: more processes would import the
experiment's code more often than they save in parsing."""
CHECKING_PROCESSES = 4
"""At most this many check at once (each imports the experiment's code: maybe torch)."""


def check_variations(
    server: PreloadedServer, script: Path, variations: list[list[str]], jobs: int
) -> None:
    """Parse each variation with the experiment's parser, in up to `jobs` children of `server`.

    They run in the working folder the variations will run in.

    Raises:
        BadInputError: a variation is not accepted (the first one, with the parser's reason),
            or the script could not be checked.
    """
    from flows_workspace.sweeps.launchers import LauncherError
    from flows_workspace.sweeps.launchers.local import LocalLauncher
    from flows_workspace.sweeps.launchers.resources import Resources
    from flows_workspace.sweeps.launchers.task import Task

    count = max(1, min(jobs, CHECKING_PROCESSES, len(variations) // CHECKED_PER_PROCESS))
    share = -(-len(variations) // count)
    chunks = [variations[start : start + share] for start in range(0, len(variations), share)]
    codes: dict[int, int | None] = {}
    with tempfile.TemporaryDirectory(prefix="flows-sweep-check-") as folder:
        tasks = []
        for index, chunk in enumerate(chunks):
            given = Path(folder) / f"{index}.json"
            given.write_text(json.dumps(chunk), encoding="utf-8")
            argv = (server.python, "-m", __name__, str(script), str(given))
            env = (("COLUMNS", "400"),)  # the parser's message on one line
            tasks.append(Task(index, argv, env, os.getcwd(), str(Path(folder) / f"{index}.log")))
        try:
            LocalLauncher(Resources(jobs=count), server).run(tasks, _Codes(codes))
        except LauncherError as error:  # `--python` names an interpreter without flows
            msg = f"cannot check the variations with `{server.python}`: {error}"
            raise BadInputError(msg) from error
        outputs = [
            Path(task.output).read_text(encoding="utf-8", errors="replace") for task in tasks
        ]
    problems: list[str | None] = []
    for index, output in enumerate(outputs):
        reports = [
            line.removeprefix(_REPORT_PREFIX)
            for line in output.splitlines()
            if line.startswith(_REPORT_PREFIX)
        ]
        if not reports and codes.get(index) != 0:
            last = _last_line(output) or f"exit status {codes.get(index)}"
            msg = f"`{script}` failed before reading its config ({last}); run it alone to see why"
            raise BadInputError(msg)
        checked: list[str | None] | None = json.loads(reports[-1]) if reports else None
        if checked is None:
            tell(
                "note",
                f"`{script.name}` reads its command line without tyro, so the variations were "
                "not checked before launching",
                "flow",
            )
            return
        problems.extend(checked)
    for args, problem in zip(variations, problems, strict=True):
        if problem is not None:
            shown = shlex.join(args)
            msg = f"variation `{shown}` is not accepted by `{script.name}`: {problem}"
            raise BadInputError(msg)


class _Codes:
    """Keeps the exit codes of the checking processes."""

    def __init__(self, codes: dict[int, int | None]) -> None:
        self.codes = codes

    def started(self, index: int, job_id: str) -> None:
        """Nothing to keep."""

    def finished(self, index: int, exit_code: int | None) -> None:
        """Keep the exit code."""
        self.codes[index] = exit_code


def _last_line(text: str) -> str:
    """The last line of `text` with words in it, stripped of box-drawing characters."""
    lines = [line.strip(" │╭╮╰╯─") for line in text.splitlines()]
    return next((line for line in reversed(lines) if line), "")


_APPLIED_TO = re.compile(r"\s*\(applied to [^)]*\)$")


def _first_line(text: str) -> str:
    """What a parser's message says is wrong, as one line.

    tyro boxes its message: a title (`╭─ Missing argument ─╮`, or a plain line over a
    rule of `-` when it draws without box characters), then sections divided by rules,
    the first saying what is wrong, the others help (the flags one may have meant,
    `For full helptext, run ...`). The first section's first paragraph is the answer: a
    line, and the items it lists (`--optimizer.beta`) joined after it. A message without
    a box gives its first line with a colon.
    """
    lines = text.splitlines()
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if filled and lines[filled[0]].lstrip().startswith("╭"):
        body = lines[filled[0] + 1 :]
    elif len(filled) > 1 and _is_rule(lines[filled[1]]):
        body = lines[filled[1] + 1 :]
    else:
        found = (lines[index].strip() for index in filled if ":" in lines[index])
        return next(found, _last_line(text) or "not accepted")
    paragraph: list[str] = []
    for line in body:
        inside = line.strip().strip("│╰╯").strip()
        if _is_rule(line) or line.lstrip().startswith("╰") or (not inside and paragraph):
            break  # the rule after the first section, the box's end, or a blank line
        if inside:
            paragraph.append(_APPLIED_TO.sub("", inside))
    if not paragraph:
        return _last_line(text) or "not accepted"
    head, *items = paragraph
    return f"{head} {', '.join(items)}" if items else head


def _is_rule(line: str) -> bool:
    """Whether `line` is a rule between the sections of a boxed message."""
    inside = line.strip().strip("│").strip()
    return bool(inside) and not inside.strip("-─")


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
    """Run the script named in `sys.argv[1]` with the checker, variations in `sys.argv[2]`."""
    import runpy

    import tyro

    import flows_workspace
    from flows_workspace.runs import parse

    script = sys.argv[1]
    with open(sys.argv[2], encoding="utf-8") as given:
        checker = _Checker(json.load(given))
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
