"""The entry points `flow`, `flow_init` and `flow_create`: parse with tyro, run, errors as one line.

Each subcommand is a dataclass with a `run()` method (`workspace_commands`,
`run_commands`) that imports its implementation lazily, so that `flow --help` costs
little more than tyro itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, Union, cast

from flows_workspace._errors import BadInputError, FlowsError, debug_enabled

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

DESCRIPTION = (
    "Manage many ML experiments, and many variations of each, in one workspace "
    "(`flow --version` names the installed versions)."
)


class Command(Protocol):
    """A parsed subcommand."""

    def run(self) -> None:
        """Carry the command out; raise `FlowsError` for a user error."""


CommandT = TypeVar("CommandT", bound=Command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `flow`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return _help_for_no_command()
    if args == ["--version"]:
        return _print_versions()
    if args[0] == "sweep":  # its own parser: unknown arguments pass through to the experiment
        from flows_workspace.sweeps.commands import parse_sweep

        return _run(lambda: parse_sweep(args[1:]))
    if args[0] == "create" and any(t == "--name" or t.startswith("--name=") for t in args[1:]):
        return _run(_refuse_name_option)
    return _run(_tyro_parser(args))


def _help_for_no_command() -> int:
    """`flow` alone prints the help, not tyro's missing-subcommand error; exit 2 like git."""
    with contextlib.suppress(SystemExit):
        _tyro_parser(["--help"])()
    return 2


def _print_versions() -> int:
    """`flow --version`: this distribution's version and its two siblings'."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("flows-workspace", "config-utils", "flow-templates"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    print(f"flow ({', '.join(found)})")
    return 0


def _refuse_name_option() -> Command:
    """`flow create --name X` (the `flow_create` spelling) gets one line saying how to write it."""
    msg = (
        "`flow create` takes the name as a plain argument: `flow create NAME` "
        "(`--name NAME` is the spelling of the original `flow_create`)"
    )
    raise BadInputError(msg)


def _tyro_parser(argv: Sequence[str] | None) -> Callable[[], Command]:
    """A function parsing `argv` into one of the `flow` subcommands with tyro."""
    import dataclasses
    import inspect

    import tyro

    from flows_workspace.cli.experiment_commands import EXPERIMENT_COMMANDS
    from flows_workspace.cli.result_commands import RESULT_COMMANDS
    from flows_workspace.cli.run_commands import RUN_COMMANDS
    from flows_workspace.cli.workspace_commands import WORKSPACE_COMMANDS
    from flows_workspace.sweeps.commands import SWEEP_COMMANDS

    commands: dict[str, type] = {
        **WORKSPACE_COMMANDS,
        **EXPERIMENT_COMMANDS,
        **RUN_COMMANDS,
        **SWEEP_COMMANDS,
        **RESULT_COMMANDS,
    }
    # One dataclass holding the subcommand, with its help given explicitly, instead of
    # `tyro.extras.subcommand_cli_from_dict` or a bare Union: both make tyro look for
    # help in the source of a generic wrapper and of `typing` itself, which made
    # `flow --help` take half again as long as a one-dataclass tyro app. Descriptions are
    # given too, so tyro need not run its docstring parser on every subcommand.
    subcommand: Any = Union[  # noqa: UP007 - a Union built at run time needs the subscript
        tuple(
            Annotated[
                cls,
                tyro.conf.subcommand(
                    name, prefix_name=False, description=inspect.cleandoc(cls.__doc__ or "")
                ),
            ]
            for name, cls in commands.items()
        )
    ]
    root = dataclasses.make_dataclass(
        "Flow", [("command", Annotated[subcommand, tyro.conf.arg(name="", help="")])]
    )
    return lambda: _parse(root, argv)


def _parse(root: type, argv: Sequence[str] | None) -> Command:
    """`argv` parsed by tyro; an unknown option tyro reports under another name is named."""
    import tyro

    from flows_workspace.cli.unknown_options import asks_for_help, unknown_options

    def parse(*, quiet: bool) -> Command:
        parsed: Any = tyro.cli(
            root, prog="flow", description=DESCRIPTION, args=argv, console_outputs=not quiet
        )
        return cast("Command", parsed.command)

    args = list(sys.argv[1:] if argv is None else argv)
    if asks_for_help(args):
        return parse(quiet=False)
    try:
        return parse(quiet=True)
    except SystemExit:
        unknown = unknown_options(root, args)
        if unknown:
            shown = ", ".join(f"`{token}`" for token in unknown)
            msg = f"`flow {args[0]}` has no option {shown}; see `flow {args[0]} --help`"
            raise BadInputError(msg) from None
        return parse(quiet=False)  # fails again, with tyro's own message


def flow_init_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the original `flow_init` command."""
    from flows_workspace.cli.workspace_commands import LegacyInit

    return _run_single(LegacyInit, "flow_init", argv)


def flow_create_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the original `flow_create` command."""
    from flows_workspace.cli.workspace_commands import LegacyCreate

    return _run_single(LegacyCreate, "flow_create", argv)


def _run_single(command: type[CommandT], prog: str, argv: Sequence[str] | None) -> int:
    import tyro

    return _run(lambda: tyro.cli(command, prog=prog, args=argv))


def _run(parse: Callable[[], Command]) -> int:
    """Parse and run a command, turning user errors into one line and an exit code."""
    from flows_workspace._process import Terminated, sigterm_raises

    debug = debug_enabled()
    try:
        with sigterm_raises():
            command = parse()
            _require_current_folder()
            command.run()
    except FlowsError as error:
        if debug:
            raise
        print(f"flow: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        if debug:
            raise
        print("flow: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        if debug:
            raise
        print("flow: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:  # the reader went away (`flow list | head`)
        from flows_workspace._errors import reader_went_away

        return reader_went_away()
    except OSError as error:  # a read-only folder, a full disk, `/proc/x`
        if debug:
            raise
        from flows_workspace._errors import os_error_message

        print(f"flow: error: {os_error_message(error)}", file=sys.stderr)
        return 1
    return 0


def _require_current_folder() -> None:
    """Every command resolves paths from the current folder; it must still exist."""
    try:
        os.getcwd()
    except FileNotFoundError as error:
        msg = "the current folder no longer exists; `cd` to an existing folder and run again"
        raise FlowsError(msg) from error
