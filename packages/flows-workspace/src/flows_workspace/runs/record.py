"""`record_run`: give one run of an experiment its own folder and keep its record there.

Start-up stays cheap (a few milliseconds): the folder, config and a first manifest are
written at once; the slow facts (git state and patch, the list of installed
distributions) are gathered by a background thread that adds them to the manifest
while the run goes on (`runs.details`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, SupportsFloat

from flows_workspace._errors import tell
from flows_workspace._files import write_atomically
from flows_workspace._process import HeldSignals, Terminated, sigterm_raises, start_shielded
from flows_workspace.results.metrics_writer import MetricsWriter
from flows_workspace.runs.details import CodeLocation
from flows_workspace.runs.ids import new_run_id
from flows_workspace.runs.lifecycle import (
    Outcome,
    RecordKeeper,
    first_manifest,
    load_index_code,
    outcome_of,
    warn_unrecorded,
)
from flows_workspace.runs.manifest import (
    CONFIG_NAME,
    FAILED,
    FINISHED,
    STDERR_NAME,
    STDOUT_NAME,
    RunManifest,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator

    from config_utils import Registry

    from flows_workspace.results.metrics import LogFunction
    from flows_workspace.results.tensorboard import TensorBoardEvents
    from flows_workspace.workspace.settings import Workspace

_BACKGROUND_JOIN_SECONDS = 60.0
_SIGNAL_CHECK_SECONDS = 0.05
"""How often a wait for the background thread looks for a signal held back."""

RunTerminated = Terminated
"""Raised inside a recorded run when the process receives SIGTERM (a `SystemExit`, 143)."""


@dataclass(frozen=True)
class Run:
    """A run in progress: where it writes, what it is called, where it keeps checkpoints."""

    dir: Path
    """The run folder, `LOGS_ROOT/<experiment>/<id>/`: write results here."""
    id: str
    """The run id (sorts by start time)."""
    experiment: str
    """The experiment's name (its folder under the flows folder)."""
    workspace: Workspace = field(repr=False)
    """The workspace the run belongs to."""
    metrics: MetricsWriter = field(repr=False, compare=False)
    """Where `log` and `summary` write (`metrics.jsonl` in the run folder)."""

    @property
    def log(self) -> LogFunction:
        """`run.log(step=..., **scalars)`: record numbers by name at `step`, from a hot loop.

        Values are queued and written to `metrics.jsonl` by a helper thread at least
        once a second and when the run ends; the manifest then holds each metric's
        last, smallest and largest value with their steps. A numpy or torch scalar is
        converted with `float()` at the call (for a tensor on a GPU, that waits for it).
        A value that is not a number, or a step that is not an integer, raises
        `TypeError` (the run goes on).
        """
        return self.metrics.add

    def summary(self, /, **values: SupportsFloat) -> None:
        """Record final numbers (a test accuracy, a best score), shown beside the metrics."""
        self.metrics.add_final(**values)

    resuming: bool = False
    """Whether the run continues in its own folder (`--resume`): load its latest checkpoint."""

    @property
    def checkpoint_dir(self) -> Path:
        """The run's checkpoint folder, `<run folder>/checkpoints/` (created when asked for)."""
        from flows_workspace.reruns.resume import checkpoint_folder

        return checkpoint_folder(self.dir)

    def latest_checkpoint(self, pattern: str = "*") -> Path | None:
        """The newest file matching `pattern` in the checkpoint folder, None when there is none."""
        from flows_workspace.reruns.resume import CHECKPOINT_DIR_NAME, latest_checkpoint

        return latest_checkpoint(self.dir / CHECKPOINT_DIR_NAME, pattern)


@contextlib.contextmanager
def record_run(
    config: object,
    script: str | os.PathLike[str],
    *,
    registry: Registry | None = None,
    capture_output: bool = True,
    from_run: str | os.PathLike[str] | None = None,
    tensorboard: bool | None = None,
) -> Iterator[Run]:
    """Record one run of the experiment whose `run.py` is `script`.

    Creates `LOGS_ROOT/<experiment>/<run-id>/`, writes the config and a manifest before
    the body runs, tees stdout/stderr into the folder, and on exit records how the run
    ended: finished, failed (with the exception's summary) or interrupted (Ctrl-C or
    SIGTERM). Exceptions propagate unchanged.

    Args:
        config: The resolved config (a dataclass tree), saved before anything is built;
            or what `parse_run` returned, which also names the run it started from.
        script: The experiment's `__file__`; its folder names the experiment and the
            workspace is found above it.
        registry: Registry naming the config's union members (default: the default one).
        capture_output: Copy stdout and stderr into the run folder.
        from_run: The folder of the run this one started from, or the config file
            (when `config` is not a `ParsedRun`, which carries it).
        tensorboard: Also write `run.log`'s values as TensorBoard events in the run
            folder (needs the `tensorboard` extra); default: the workspace's
            `tensorboard` setting.

    Raises:
        SystemExit: no `flows.toml` above `script` (status 2, after one line on stderr;
            `FLOWS_DEBUG=1` raises the `WorkspaceNotFoundError` instead).
        SerializationError: the config cannot be saved (e.g. an unregistered config in a
            union field); nothing is left behind.
    """
    from config_utils.serialization import dumps

    from flows_workspace.runs.parse import ParsedRun

    resume: Path | None = None
    if isinstance(config, ParsedRun):
        from_run = config.from_run if from_run is None else from_run
        resume = config.resume
        config = config.config
    from flows_workspace.reruns.environment import experiment_folder
    from flows_workspace.runs.git_state import in_git_repository

    started = datetime.now(timezone.utc)
    script_path = Path(script).resolve()
    # A sweep's variation runs a snapshot of the experiment but records into the original's.
    experiment_dir = experiment_folder(script_path.parent)
    workspace = _workspace_or_exit(experiment_dir / script_path.name)
    experiment = _experiment_or_exit(experiment_dir, workspace, script_path)
    _warn_about_foreign_package(workspace)
    with_tensorboard = workspace.settings.tensorboard if tensorboard is None else tensorboard
    if with_tensorboard:
        _check_tensorboard()
    if not in_git_repository(script_path.parent):
        tell(
            "note",
            f"`{workspace.root}` is not a git repository, so this run records no code "
            "version; run `git init` there to record it",
        )
    config_text = dumps(config, registry=registry)  # before the folder: a bad config leaves none
    with _one_line_on_os_error(workspace.logs_root / experiment) as made:
        if resume is None:
            run_dir, run_id = _make_run_dir(workspace.logs_root / experiment, started)
            made.append(run_dir)
            run = Run(run_dir, run_id, experiment, workspace, MetricsWriter(run_dir))
            write_atomically(run_dir / CONFIG_NAME, config_text)
            manifest = first_manifest(run, config, config_text, script_path, started, registry)
            manifest.from_run = None if from_run is None else str(Path(from_run).resolve())
        else:  # its config, code version and environment stay as first recorded
            from flows_workspace.reruns.resume import resumed_manifest

            manifest = resumed_manifest(resume)
            metrics = MetricsWriter(resume, resumed=True)  # appends to its metrics.jsonl
            run = Run(resume, manifest.run_id, experiment, workspace, metrics, resuming=True)
            run_dir = resume
        if with_tensorboard:
            run.metrics.tensorboard_to(_tensorboard_events(run_dir, config_text, manifest))
        record = RecordKeeper(run_dir, manifest)
        record.write()
    where = CodeLocation(script_path.parent, workspace.root, workspace.logs_root)
    background = threading.Thread(
        target=record.add_slow_facts, args=(where,), name="flows-run-facts", daemon=True
    )
    outcome = Outcome(FINISHED)
    error_text = ""
    # From the end of the body until the record is finished, a second Ctrl-C or SIGTERM
    # waits: arriving halfway, it would leave the run `running` and print a traceback.
    held = HeldSignals()
    with sigterm_raises():  # around the end too: a SIGTERM held back raises `Terminated`
        try:
            with _maybe_tee(run_dir, enabled=capture_output):
                # Last: it competes with the start-up for the interpreter.
                if not run.resuming:
                    start_shielded(background)
                try:
                    yield run
                except BaseException as error:
                    held.hold()
                    outcome = outcome_of(error)
                    failed = outcome.status == FAILED and not isinstance(error, SystemExit)
                    if failed and capture_output:  # for the log: see `_end_record`
                        error_text = "".join(traceback.format_exception(error))
                    raise
                held.hold()
        finally:
            held.hold()
            try:
                _end_record(record, run, outcome, error_text, background, held)
            finally:
                _release(held, run_dir, record.manifest.status, outcome)


def _end_record(
    record: RecordKeeper,
    run: Run,
    outcome: Outcome,
    error_text: str,
    background: threading.Thread,
    held: HeldSignals,
) -> None:
    """Record how the run ended: the slow facts, the traceback's copy, metrics, manifest."""
    record.ending.set()
    _wait_for_slow_facts(background, held)
    if error_text:
        # Python prints the traceback after the tee is gone: keep a copy in the log.
        with (
            contextlib.suppress(OSError),  # a full disk: the terminal still shows it
            (run.dir / STDERR_NAME).open("a", encoding="utf-8") as log,
        ):
            log.write(error_text)
    try:
        record.finish(outcome, *run.metrics.close())
    except OSError as error:  # a full disk must not hide how the run itself ended
        warn_unrecorded("how the run ended", error)
    if outcome.interrupted_by == "SIGINT":
        _one_line_if_uncaught(run.dir, record.manifest.status)


def _wait_for_slow_facts(background: threading.Thread, held: HeldSignals) -> None:
    """Wait for the background thread (a short run ends before it), unless signalled again.

    A short run waits rather than leave: later, the tree may have changed. A second
    Ctrl-C or SIGTERM stops the wait (the record then lacks the code version).
    """
    if not background.is_alive():
        return
    load_index_code()  # for `finish`, while git works in its own processes
    deadline = time.monotonic() + _BACKGROUND_JOIN_SECONDS
    while background.is_alive() and not held.pending() and time.monotonic() < deadline:
        background.join(_SIGNAL_CHECK_SECONDS)


def _release(held: HeldSignals, run_dir: Path, status: str, outcome: Outcome) -> None:
    """Let a signal held back arrive: SIGTERM ends the process, Ctrl-C raises here."""
    try:
        held.release()
    except KeyboardInterrupt:
        if outcome.interrupted_by != "SIGINT":  # else its one line is set already
            _one_line_if_uncaught(run_dir, status)
        raise


def _one_line_if_uncaught(run_dir: Path, status: str) -> None:
    """Show a Ctrl-C that ends the script as one line instead of a traceback.

    The interpreter still exits as killed by SIGINT (a shell loop around the script
    stops); `FLOWS_DEBUG=1` keeps the traceback.
    """
    import sys

    from flows_workspace._errors import debug_enabled

    if debug_enabled():
        return
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, trace: object) -> None:
        if issubclass(kind, KeyboardInterrupt):
            tell("interrupted", f"Ctrl-C; the run is recorded as {status} in `{run_dir}`")
        else:
            previous(kind, error, trace)  # type: ignore[arg-type]

    sys.excepthook = hook


def _check_tensorboard() -> None:
    """Exit with one line (status 2) when TensorBoard logging is asked for but unavailable."""
    from flows_workspace._errors import FlowsError, debug_enabled, exit_with_error
    from flows_workspace.results.tensorboard import check_available

    try:
        check_available()
    except FlowsError as error:
        if debug_enabled():
            raise
        exit_with_error(str(error))


def _tensorboard_events(
    run_dir: Path, config_text: str, manifest: RunManifest
) -> TensorBoardEvents:
    """The run's TensorBoard event file, with its config values as hparams."""
    from flows_workspace.results.config_values import config_values
    from flows_workspace.results.tensorboard import TensorBoardEvents

    values = config_values(json.loads(config_text), manifest.cli_names)
    return TensorBoardEvents(run_dir, {key: value.value for key, value in values.items()})


def _workspace_or_exit(script: Path) -> Workspace:
    """The workspace above `script`; else (or with bad settings) one line, exit status 2."""
    from flows_workspace._errors import (
        FlowsError,
        WorkspaceNotFoundError,
        debug_enabled,
        exit_with_error,
    )
    from flows_workspace.workspace.settings import MARKER_NAME, find_workspace

    try:
        return find_workspace(script.parent)
    except FlowsError as error:
        if debug_enabled():
            raise
        if not isinstance(error, WorkspaceNotFoundError):  # a broken flows.toml, say
            tell("error", str(error))
            raise SystemExit(error.exit_code) from None
        exit_with_error(
            f"`{script}` is not inside a flows workspace (no `{MARKER_NAME}` above it), so "
            "its runs have nowhere to go; move it into a workspace's flows/ folder or run "
            "`flow init` in a folder above it"
        )


def _experiment_or_exit(folder: Path, workspace: Workspace, script: Path) -> str:
    """The experiment a script in `folder` runs for; else one line and exit status 2.

    A script outside every experiment's folder would file its runs under a name that is
    no experiment.
    """
    from flows_workspace._errors import exit_with_error

    experiment = workspace.experiment_of(folder)
    if experiment is None:
        exit_with_error(
            f"`{script}` is not in an experiment's folder "
            f"(`{workspace.flows_root.resolve()}/<experiment>/`), so its runs would belong "
            "to no experiment; move it into one (`flow create NAME` makes one)"
        )
    return experiment


def _warn_about_foreign_package(workspace: Workspace) -> None:
    from flows_workspace.runs.package_check import foreign_package_warning

    warning = foreign_package_warning(workspace)
    if warning is not None:
        tell("warning", warning)


@contextlib.contextmanager
def _one_line_on_os_error(experiment_logs: Path) -> Iterator[list[Path]]:
    """Turn a failure to set up the run folder into one line and exit status 1.

    What the body made (the folders it adds to the list it is given) is removed, and
    the experiment's folder too if it was made for this run.
    """
    from flows_workspace._errors import debug_enabled, os_error_message

    existed = experiment_logs.is_dir()
    made: list[Path] = []
    try:
        yield made
    except OSError as error:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)
        if not existed:
            with contextlib.suppress(OSError):
                experiment_logs.rmdir()
        if debug_enabled():
            raise
        where = "" if error.filename else f" in `{experiment_logs}`"
        tell("error", f"cannot record the run{where}: {os_error_message(error)}")
        raise SystemExit(1) from None


def _make_run_dir(experiment_logs: Path, started: datetime) -> tuple[Path, str]:
    """Create a fresh run folder; `mkdir` fails if the name exists, so the folder is ours."""
    experiment_logs.mkdir(parents=True, exist_ok=True)
    while True:
        run_id = new_run_id(started)
        run_dir = experiment_logs / run_id
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        return run_dir, run_id


@contextlib.contextmanager
def _maybe_tee(run_dir: Path, *, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from flows_workspace.runs.tee import tee_output

    with tee_output(run_dir / STDOUT_NAME, run_dir / STDERR_NAME):
        yield
