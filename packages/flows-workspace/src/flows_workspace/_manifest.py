"""The files of a run folder and the manifest that describes the run.

A run folder `LOGS_ROOT/<experiment>/<run-id>/` holds:

- `config.json`: the resolved config (`config_utils.serialization` format);
- `manifest.json`: what ran, where, when, on which code, and how it ended;
- `uncommitted.patch`: the uncommitted changes, new untracked files included, as a
  binary diff that `git apply` puts back on the recorded commit;
- `stdout.log`, `stderr.log`: everything the run printed.

The manifest is JSON; every write replaces it whole (temp file, then rename).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flows_workspace._atomic_files import write_atomically

if TYPE_CHECKING:
    from pathlib import Path

CONFIG_NAME = "config.json"
MANIFEST_NAME = "manifest.json"
PATCH_NAME = "uncommitted.patch"
STDOUT_NAME = "stdout.log"
STDERR_NAME = "stderr.log"
MANIFEST_FORMAT = 1
"""Bumped when a manifest key changes meaning; readers accept what they know."""

RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
INTERRUPTED = "interrupted"
STATUSES = (RUNNING, FINISHED, FAILED, INTERRUPTED)


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    """Write `manifest` to the run folder, replacing the previous one whole."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    write_atomically(run_dir / MANIFEST_NAME, text)


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The manifest of `run_dir`, or None when it has none (yet) or it is unreadable."""
    try:
        data = json.loads((run_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_config_data(run_dir: Path) -> Any:
    """The plain data of the run's config file, or None when missing or unreadable."""
    try:
        return json.loads((run_dir / CONFIG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
