"""Whether `import flows` in a run gives the run's own workspace.

Two copies of a workspace in one environment (`cp -a ws other; cd other; flow init
--replace`) leave `import flows` pointing at the last one installed: a run of the
other copy would read that copy's `DATA_ROOT` while recording into its own logs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows_workspace.workspace.settings import Workspace


def foreign_flows_package(workspace: Workspace) -> Path | None:
    """The folder `import <flows folder>` gives, when it is not `workspace`'s own; else None.

    Uses the imported module when there is one, else asks the import system where the
    package would come from, without importing it.
    """
    name = workspace.settings.flows_dir
    module = sys.modules.get(name)
    origin: str | None
    if module is not None:
        origin = getattr(module, "__file__", None)
    else:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            return None
        origin = None if spec is None else spec.origin
    if origin is None:
        return None
    package_dir = Path(origin).resolve().parent
    if package_dir == workspace.flows_root.resolve():
        return None
    return package_dir


def foreign_package_warning(workspace: Workspace) -> str | None:
    """The one-line warning for a run whose `import flows` gives another workspace, or None."""
    other = foreign_flows_package(workspace)
    if other is None:
        return None
    name = workspace.settings.flows_dir
    return (
        f"`import {name}` gives `{other}`, not this workspace's `{workspace.flows_root}`, so "
        f"its paths (DATA_ROOT, LOGS_ROOT) point elsewhere while this run records into "
        f"`{workspace.logs_root}`; run `flow init --replace` in `{workspace.root}` to "
        f"make `import {name}` give this workspace"
    )
