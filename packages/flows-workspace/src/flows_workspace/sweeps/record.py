"""The sweep record, `LOGS_ROOT/<experiment>/sweeps/<sweep-id>/sweep.json`: one typed model.

It maps each variation to its arguments, its run, its status and its launcher job id,
and names the code snapshot the variations run. The run folders stay the truth about
a run; the record is what the launcher knew, brought up to date from them on reading.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows_workspace._errors import BadInputError
from flows_workspace._files import write_atomically
from flows_workspace.runs.ids import RUN_ID_PATTERN
from flows_workspace.runs.index import DIED
from flows_workspace.runs.manifest import GitSummary

if TYPE_CHECKING:
    from flows_workspace.runs.git_state import GitState

RECORD_NAME = "sweep.json"
SWEEPS_DIR = "sweeps"
CODE_DIR = "code"
OUTPUT_DIR = "output"
"""Each variation's stdout and stderr as launched, `<index>.log` (before its run exists)."""
RECORD_FORMAT = 1

PENDING = "pending"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
INTERRUPTED = "interrupted"
MISSING = "missing"
"""Never ran and no longer queued (a cancelled job, a supervisor that died)."""
TO_RERUN = (FAILED, INTERRUPTED, MISSING, DIED)


@dataclass
class Variation:
    """One variation of a sweep."""

    index: int
    args: list[str]
    """The experiment's arguments (the sweep's common ones first)."""
    status: str = PENDING
    run_id: str | None = None
    job_id: str | None = None
    error: str | None = None
    """The last line of the error of a failed variation."""
    previous_run: str | None = None
    """The run of the attempt before a relaunch: runs up to it are not the current attempt's."""


@dataclass
class CodeSnapshot:
    """The code the variations run: a copy of the experiment folder taken at launch."""

    source: str
    """The experiment folder that was copied."""
    folder: str
    """The copy, relative to the sweep folder (`code/<experiment>`)."""
    git: GitSummary | None = None
    """The repository's state at launch: each variation records it as its own."""
    patch: str | None = None
    """The uncommitted changes at launch (a file in the sweep folder), if any."""
    left_out: str | None = None
    """What the copy left out (big files, FIFOs, sockets), in one sentence, if anything."""


@dataclass
class SweepRecord:
    """Everything about one sweep; `save()` writes it whole, atomically."""

    id: str
    experiment: str
    folder: str
    """The sweep's folder (set from where the record is read)."""
    created: str
    launcher: str
    python: str
    """The interpreter running each variation."""
    cwd: str
    """The folder variations run in (where `flow sweep` was started)."""
    code: CodeSnapshot
    variations: list[Variation]
    options: dict[str, Any] = field(default_factory=dict)
    """The launcher's settings (jobs, partition, address, ...)."""
    params: list[str] = field(default_factory=list)
    random: int | None = None
    seed: int | None = None
    argv: list[str] = field(default_factory=list)
    detached: bool = False
    driver_pid: int | None = None
    """The process running the sweep's variations (a `flow sweep` or its background
    process for a detached local or ray sweep); None once it has ended."""
    driver_host: str | None = None
    format: int = RECORD_FORMAT

    @property
    def dir(self) -> Path:
        """The sweep's folder."""
        return Path(self.folder)

    @property
    def logs_root(self) -> Path:
        """The workspace's logs folder (`<logs>/<experiment>/sweeps/<id>/`)."""
        return self.dir.parents[2]

    @property
    def snapshot(self) -> Path:
        """The snapshot of the experiment folder the variations run."""
        return self.dir / self.code.folder

    def output_log(self, index: int) -> Path:
        """Where variation `index`'s output goes as launched."""
        return self.dir / OUTPUT_DIR / f"{index}.log"

    def exit_file(self, index: int) -> Path:
        """Where variation `index`'s exit status is written when its command ends."""
        return self.dir / OUTPUT_DIR / f"{index}.log.exit"

    def save(self) -> None:
        """Write the record, replacing the previous one whole."""
        text = json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False) + "\n"
        write_atomically(self.dir / RECORD_NAME, text)

    @classmethod
    def load(cls, path: Path) -> SweepRecord:
        """Read the record at `path` (a `sweep.json`).

        Raises:
            BadInputError: the file is missing or not a sweep record.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            # The workspace may have moved, and `flow mv` may have renamed the experiment
            # (moving its logs): where the record is read says where both are now.
            data["folder"] = str(path.parent)
            data["experiment"] = path.parents[2].name
            code = data["code"]
            code["source"] = str(Path(code["source"]).with_name(data["experiment"]))
            code["git"] = None if code.get("git") is None else GitSummary(**code["git"])
            data["code"] = CodeSnapshot(**code)
            data["variations"] = [Variation(**v) for v in data["variations"]]
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError) as error:
            msg = f"`{path}` is not a readable sweep record ({error}); was it edited by hand?"
            raise BadInputError(msg) from error


def all_sweeps(logs_root: Path) -> list[Path]:
    """The `sweep.json` of every sweep under `logs_root`, oldest first."""
    found = [
        path
        for path in logs_root.glob(f"*/{SWEEPS_DIR}/*/{RECORD_NAME}")
        if RUN_ID_PATTERN.match(path.parent.name)
    ]
    return sorted(found, key=lambda path: path.parent.name)


def find_sweep(logs_root: Path, reference: str) -> SweepRecord:
    """The sweep `reference` names: its id or the id's start.

    Raises:
        BadInputError: no sweep, or several, match.
    """
    matches = [path for path in all_sweeps(logs_root) if path.parent.name.startswith(reference)]
    if len(matches) == 1 and reference:
        return SweepRecord.load(matches[0])
    if not matches or not reference:
        msg = f"no sweep `{reference}` in `{logs_root}`; `flow sweep status` lists the sweeps"
        raise BadInputError(msg)
    shown = ", ".join(f"`{path.parent.name}`" for path in matches[:5])
    msg = f"`{reference}` matches {len(matches)} sweeps ({shown}); give more of the id"
    raise BadInputError(msg)


def snapshot_state(snapshot: Path) -> GitState | None:
    """The code version a variation running `snapshot` ran: the sweep's, taken at launch.

    None when the sweep's record cannot be read (the variation then records none: the
    repository may have moved on since the launch).
    """
    from flows_workspace.runs.git_state import GitState

    sweep_dir = snapshot.parent.parent  # <sweep>/code/<experiment>
    try:
        code = SweepRecord.load(sweep_dir / RECORD_NAME).code
        patch = b"" if code.patch is None else (sweep_dir / code.patch).read_bytes()
    except (BadInputError, OSError):
        return None
    return None if code.git is None else GitState(code.git, patch)
