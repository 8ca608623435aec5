"""`parse_run` and `parse_config`: the command line of a `run.py`, able to restart from a run.

`--from-run RUN` loads a run's config as the starting point; every other flag is applied
on top by tyro. RUN is a run folder or its `config.json`, or a run id (or its start) or
`EXPERIMENT/RUN_ID` looked up in the workspace's logs as `flow show` does (`last` is the
experiment's own newest run). One line on
stderr says so when the run belongs to another experiment, or when the experiment's
folder differs from the code the run ran, or the run's uncommitted changes are not
applied here (`flow rerun` runs a run's exact code).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypedDict, TypeVar

from flows_workspace._errors import exit_with_error, tell
from flows_workspace.runs.manifest import (
    CONFIG_NAME,
    MANIFEST_NAME,
    RunManifest,
    UnreadableManifestError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from config_utils import Registry
    from typing_extensions import Unpack

_T = TypeVar("_T")

FROM_RUN_FLAG = "--from-run"
FROM_RUN_HELP = (
    f"Start from the config of a previous run with {FROM_RUN_FLAG} RUN (a run folder, its "
    f"{CONFIG_NAME}, a run id or its start, or EXPERIMENT/RUN_ID, as `flow runs` lists "
    "them); further flags change that config."
)


@dataclass(frozen=True)
class ParsedRun(Generic[_T]):
    """A parsed command line: the config, and the run it starts from or continues."""

    config: _T
    from_run: Path | None = None
    """The folder of the run whose config was the starting point (the config file itself
    when it is not a run's `config.json`); pass it to `record_run`."""
    resume: Path | None = None
    """The folder of the run to continue (`--resume`); `record_run` records into it."""


class _ParseOptions(TypedDict, total=False):
    args: Sequence[str] | None
    description: str | None
    registry: Registry | None
    prog: str | None


def parse_config(config_type: type[_T], **options: Unpack[_ParseOptions]) -> _T:
    """The config alone of `parse_run` (same options); the run it came from is not kept."""
    return parse_run(config_type, **options).config


def parse_run(
    config_type: type[_T],
    *,
    args: Sequence[str] | None = None,
    description: str | None = None,
    registry: Registry | None = None,
    prog: str | None = None,
) -> ParsedRun[_T]:
    """Parse the command line into a `config_type`, starting from a run's config if asked.

    Args:
        config_type: The experiment's config dataclass.
        args: The arguments (default: `sys.argv[1:]`).
        description: Help text (default: the dataclass's docstring); a note about
            `--from-run` is added.
        registry: Registry naming union members in config files (default: the default one).
        prog: Program name in messages.

    Returns:
        The config and the source run; a bad `--from-run` exits with status 2 and a
        one-line message.
    """
    import tyro

    from flows_workspace.reruns.resume import RESUME_FLAG, RESUME_HELP

    arguments = list(sys.argv[1:] if args is None else args)
    source, rest = split_from_run(arguments, prog)
    resume, rest = split_flag(rest, RESUME_FLAG, prog)
    summary = reflow(description or config_type.__doc__ or "")
    help_text = f"{summary}\n\n{FROM_RUN_HELP} {RESUME_HELP}".strip()
    if source is None and resume is None:
        with _quiet_when_reader_goes_away():
            return ParsedRun(tyro.cli(config_type, args=rest, description=help_text, prog=prog))
    if source is not None and resume is not None:
        exit_with_error(f"give `{FROM_RUN_FLAG}` or `{RESUME_FLAG}`, not both", prog)
    config_file = _config_file(source or resume or "", prog)
    run_dir = config_file.parent.resolve()
    is_run = config_file.name == CONFIG_NAME and (run_dir / MANIFEST_NAME).is_file()
    start = _load(config_type, config_file, registry, prog, run_dir if is_run else None)
    try:
        manifest = RunManifest.read(run_dir)  # read once for both warnings
    except UnreadableManifestError as error:
        if resume is not None:
            exit_with_error(f"cannot resume: {error}", prog)
        manifest = None
    if resume is not None and manifest is not None:
        _check_resumable(run_dir, manifest, prog)
    # Another experiment's code differs anyway: that one line is enough.
    if manifest is not None and not _warn_if_other_experiment(run_dir, manifest, prog):
        _warn_if_commit_changed(run_dir, manifest, prog)
    with _quiet_when_reader_goes_away():
        config = tyro.cli(config_type, args=rest, description=help_text, prog=prog, default=start)
    if resume is None:
        # The source is what was used: a run's folder, else the file given.
        return ParsedRun(config, run_dir if is_run else config_file.resolve())
    _check_same_config(run_dir, config_file, config, registry, prog)
    return ParsedRun(config, resume=run_dir)


@contextlib.contextmanager
def _quiet_when_reader_goes_away() -> Iterator[None]:
    """`run.py --help | head`: a reader that stops early ends the help quietly (status 141)."""
    from flows_workspace._errors import reader_went_away

    try:
        yield
        sys.stdout.flush()
    except SystemExit:
        try:
            sys.stdout.flush()  # the help is printed: a closed pipe shows up here
        except BrokenPipeError:
            raise SystemExit(reader_went_away()) from None
        raise
    except BrokenPipeError:
        raise SystemExit(reader_went_away()) from None


def reflow(text: str) -> str:
    """`text` with each paragraph on one line: tyro prints a docstring's line breaks as is."""
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(p.split("\n")) for p in paragraphs if p.strip())


def split_from_run(arguments: list[str], prog: str | None) -> tuple[str | None, list[str]]:
    """Take `--from-run PATH` (or `--from-run=PATH`) out of `arguments`."""
    return split_flag(arguments, FROM_RUN_FLAG, prog)


def split_flag(arguments: list[str], flag: str, prog: str | None) -> tuple[str | None, list[str]]:
    """Take `FLAG RUN` (or `FLAG=RUN`) out of `arguments`, up to a `--`."""
    source: str | None = None
    rest: list[str] = []
    items = iter(arguments)
    for item in items:
        if item == "--":
            rest.extend([item, *items])
            break
        if item == flag:
            value = next(items, None)
        elif item.startswith(f"{flag}="):
            value = item.partition("=")[2]
        else:
            rest.append(item)
            continue
        if not value:
            exit_with_error(f"`{flag}` needs a run (a folder, config file or run id)", prog)
        if source is not None and value != source:
            one = "a run starts from one run's config" if flag == FROM_RUN_FLAG else "one run"
            msg = f"`{flag}` given twice (`{source}` and `{value}`); {one}: keep one"
            exit_with_error(msg, prog)
        source = value
    return source, rest


def _config_file(source: str, prog: str | None) -> Path:
    """The config file `source` names: a path, or a run found in the workspace's logs."""
    path = Path(source)
    if not path.exists() and not path.is_absolute() and path.name != CONFIG_NAME:
        path = _find_run_dir(source, prog)  # a run id, its start, or EXPERIMENT/RUN_ID
    candidate = path / CONFIG_NAME if path.is_dir() else path
    if not candidate.is_file():
        what = "has no" if path.is_dir() else "is not a run folder or a"
        exit_with_error(f"`{path}` {what} `{CONFIG_NAME}`; pass a run folder under logs/", prog)
    return candidate


def _find_run_dir(reference: str, prog: str | None) -> Path:
    """The folder of the run `reference` names, found as `flow show` finds it.

    In an experiment's run.py, `last` and `last~N` are that experiment's runs: another
    experiment's config rarely fits (`EXPERIMENT/last` still names any experiment's).
    """
    from flows_workspace._errors import FlowsError
    from flows_workspace.runs.index import find_run
    from flows_workspace.workspace.settings import find_workspace

    try:
        workspace = find_workspace(_code_folder())
        experiment = _experiment_running()
        if experiment is not None and (reference == "last" or reference.startswith("last~")):
            reference = f"{experiment}/{reference}"
        return find_run(workspace.logs_root, reference).dir
    except FlowsError as error:
        exit_with_error(str(error), prog)


def _script_folder() -> Path | None:
    """The folder of the script being run (the experiment's), if there is a script."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return Path(main_file).resolve().parent if main_file else None


def _code_folder() -> Path:
    """The folder of the script being run, or the current directory."""
    return _script_folder() or Path.cwd()


def _experiment_running() -> str | None:
    """The experiment of the script being run (a sweep snapshot's or rerun's original).

    None without a script, or for one outside every experiment's folder.
    """
    from flows_workspace.reruns.environment import experiment_folder
    from flows_workspace.workspace.settings import find_workspace_or_none

    script_folder = _script_folder()
    if script_folder is None:
        return None
    folder = experiment_folder(script_folder)
    workspace = find_workspace_or_none(folder)
    return None if workspace is None else workspace.experiment_of(folder)


def _experiment_holding(run_dir: Path) -> str | None:
    """The experiment whose logs hold `run_dir`; None for a folder elsewhere (a backup)."""
    from flows_workspace.workspace.settings import find_workspace_or_none

    workspace = find_workspace_or_none(_code_folder())
    if workspace is None or run_dir.parent.parent != workspace.logs_root.resolve():
        return None
    return run_dir.parent.name


def _warn_if_other_experiment(run_dir: Path, manifest: RunManifest, prog: str | None) -> bool:
    """Say so when the run belongs to another experiment (allowed: it can be deliberate).

    A run belongs to the experiment whose logs hold it (`flow mv` moves them together).
    """
    recorded = _experiment_holding(run_dir) or manifest.experiment
    current = _experiment_running()
    if current is None or recorded == current:
        return False
    tell(
        "warning",
        f"run `{run_dir.name}` is a run of experiment `{recorded}`, not `{current}`; "
        "starting from its config anyway",
        prog,
    )
    return True


def _check_resumable(run_dir: Path, manifest: RunManifest, prog: str | None) -> None:
    """One line and exit 2 for a run still running or of another experiment."""
    from flows_workspace.reruns.resume import RESUME_FLAG, check_resumable

    current = _experiment_running()
    if current is not None and current != run_dir.parent.name:
        exit_with_error(
            f"run `{run_dir.name}` is a run of experiment `{run_dir.parent.name}`; "
            f"resume it with that experiment's run.py (`{RESUME_FLAG}` continues a run, "
            f"`{FROM_RUN_FLAG}` starts a new one from its config)",
            prog,
        )
    check_resumable(run_dir, manifest, prog)


def _check_same_config(
    run_dir: Path, config_file: Path, config: object, registry: Registry | None, prog: str | None
) -> None:
    import json

    from config_utils.serialization import dumps

    from flows_workspace.reruns.resume import check_same_config

    recorded = json.loads(config_file.read_text(encoding="utf-8"))
    check_same_config(run_dir, recorded, json.loads(dumps(config, registry=registry)), prog)


def _load(
    config_type: type[_T],
    config_file: Path,
    registry: Registry | None,
    prog: str | None,
    run_dir: Path | None,
) -> _T:
    """The config in `config_file` (of the run in `run_dir`, if it is a run's), or exit 2."""
    from config_utils.serialization import SerializationError, load

    try:
        return load(config_type, config_file, registry=registry)
    except SerializationError as error:
        current = _experiment_running()
        recorded = None if run_dir is None else _experiment_holding(run_dir)
        if run_dir is not None and None not in (current, recorded) and recorded != current:
            # Not the file's fault: it is another experiment's; never advise editing a record.
            msg = (
                f"run `{run_dir.name}` is a run of experiment `{recorded}`, whose config does "
                f"not fit this run.py; give a run of `{current}` (e.g. `{current}/last`)"
            )
            exit_with_error(msg, prog)
        # The message starts with the file.
        exit_with_error(f"cannot start from {error.message}", prog)


def _warn_if_commit_changed(run_dir: Path, manifest: RunManifest, prog: str | None) -> None:
    """One line when the experiment's code (or the run's patch) differs from what the run ran."""
    from flows_workspace.reruns.code_match import code_difference

    difference = code_difference(_code_folder(), run_dir, manifest)
    if difference is not None:
        tell("warning", difference, prog)
