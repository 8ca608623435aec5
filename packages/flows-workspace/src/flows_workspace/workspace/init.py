"""`flow init`: lay out a workspace, repairing what is missing and keeping everything else.

The layout comes from the workspace template (`workspace_template()`): its top-level
`flows/`, `logs/` and `data/` folders are placed under the names the settings give.
Existing files are kept unless `force` is set; nothing inside an existing logs or
data folder is ever written. The marker `flows.toml` is written from the settings.
Nothing here reads from the keyboard.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError
from flows_workspace._files import write_atomically
from flows_workspace.workspace.settings import MARKER_NAME, Workspace, WorkspaceSettings

if TYPE_CHECKING:
    from pathlib import Path

    from flows_workspace.workspace.install import InstallOutcome

STAGING_PREFIX = ".flow-init."
"""The template is rendered into `<root>/.flow-init.<pid>` before files move into place."""
_FALLBACK_GITIGNORE = """\
# Results and raw data stay out of git (written by `flow init`).
/{logs}/*
/{data}/*
!/{logs}/README.md
!/{data}/README.md
__pycache__/
.ipynb_checkpoints/
# Credentials never belong in git; a run's patch leaves these out too.
.env*
*.pem
*.key
id_*
!id_*.py
.netrc
"""
_FALLBACK_READMES = {
    "flows": "# Experiments\n\nOne folder per experiment; create one with `flow create NAME`.\n",
    "logs": "# Logs\n\nAll results: `logs/<experiment>/<run-id>/`. Kept out of git.\n",
    "data": (
        "# Data\n\nShared raw data for all experiments.\n\n"
        "NEVER modify raw data! Every modification goes to experiment-specific data.\n"
        "This folder may also hold processed data, or scripts that download data sets.\n"
    ),
}


@dataclass
class InitReport:
    """What `init_workspace` did, for the summary `flow init` prints."""

    workspace: Workspace
    created: list[Path] = field(default_factory=list)
    overwritten: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    """Existing files that differ from what the template would write."""
    install: InstallOutcome | None = None

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        root = self.workspace.root
        out = [f"created {p.relative_to(root)}" for p in self.created]
        out += [f"overwrote {p.relative_to(root)}" for p in self.overwritten]
        out += [
            f"kept {p.relative_to(root)} (differs from the template; --force overwrites it)"
            for p in self.kept
        ]
        if not (self.created or self.overwritten):
            out.append(f"workspace `{root}` is complete; nothing to repair")
        if self.install is not None:
            package = self.workspace.settings.flows_dir
            old = self.install.replaced
            if old is not None:
                gone = " (no workspace there any more)" if old.stale else ""
                stale = "stale " if old.stale else ""
                out.append(f"replaced the {stale}`{old.package}` install of `{old.root}`{gone}")
            out.append(
                f"`import {package}` works from any folder in this environment "
                f"(installed in {self.install.site_dir})"
            )
        return out


def init_workspace(
    root: Path,
    *,
    flows_dir: str | None = None,
    force: bool = False,
    install: bool = True,
    replace: bool = False,
) -> InitReport:
    """Create or repair the workspace at `root`, and optionally make it importable.

    Raises:
        BadInputError: bad folder name, `root` not a folder or inside another
            workspace, settings disagree, a file where a workspace folder goes.
        FlowsError: the install would clash with another workspace's.
    """
    root = root.expanduser().resolve()
    if root.exists() and not root.is_dir():
        msg = f"`{root}` is a file, not a folder; give `flow init` a folder"
        raise BadInputError(msg)
    _refuse_nested_workspace(root)
    settings = _settings_for(root, flows_dir)
    workspace = Workspace(root, settings)
    _refuse_files_in_place_of_folders(workspace)
    if install:
        from flows_workspace.workspace.install import check_install

        check_install(workspace, replace=replace)
    report = InitReport(workspace)
    new_folder = next((p for p in (*reversed(root.parents), root) if not p.exists()), None)
    existing = set() if new_folder is not None else {entry.name for entry in root.iterdir()}
    try:
        root.mkdir(parents=True, exist_ok=True)
        preexisting = {
            name: (root / name).is_dir() for name in (settings.logs_dir, settings.data_dir)
        }
        _place_template(workspace, report, force=force, protected=preexisting)
        _write_fallbacks(workspace, report, protected=preexisting)
        if not workspace.marker.exists():
            settings.write(workspace.marker)
            report.created.append(workspace.marker)
        if install:
            from flows_workspace.workspace.install import install_flows_package

            report.install = install_flows_package(workspace, replace=replace)
    except BaseException:
        _take_back(report, new_folder, existing)
        raise
    return report


def _take_back(report: InitReport, new_folder: Path | None, existing: set[str]) -> None:
    """Remove what a failed `flow init` made, and only that (overwritten files stay new)."""
    if new_folder is not None:  # made here and now: take it away again, whole
        shutil.rmtree(new_folder, ignore_errors=True)
        return
    root = report.workspace.root
    for path in reversed(report.created):
        with contextlib.suppress(OSError):
            path.rmdir() if path.is_dir() else path.unlink()
    for entry in root.iterdir():
        if entry.name not in existing:  # a new file or folder at the top: all of it ours
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _settings_for(root: Path, flows_dir: str | None) -> WorkspaceSettings:
    marker = root / MARKER_NAME
    if marker.is_file():
        settings = WorkspaceSettings.read(marker)
        if flows_dir is not None and flows_dir != settings.flows_dir:
            msg = (
                f"workspace `{root}` keeps its experiments in `{settings.flows_dir}` "
                f"(see `{MARKER_NAME}`), not `{flows_dir}`; drop the option or edit the marker"
            )
            raise BadInputError(msg)
    else:
        default = WorkspaceSettings.flows_dir
        settings = WorkspaceSettings(flows_dir=default if flows_dir is None else flows_dir)
        problem = settings.problem()
        if problem is not None:
            raise BadInputError(problem)
    return settings


def _refuse_nested_workspace(root: Path) -> None:
    """Stop if `root` lies inside another workspace (e.g. `flow init` run in an experiment).

    A workspace inside another would hide the outer one from every `flow` command run
    below it.
    """
    if (root / MARKER_NAME).is_file():
        return
    outer = next((p for p in root.parents if (p / MARKER_NAME).is_file()), None)
    if outer is not None:
        msg = (
            f"`{root}` is inside the workspace `{outer}`; run `flow init` at `{outer}` to "
            "repair it, or give `flow init` a folder outside it"
        )
        raise BadInputError(msg)


def _refuse_files_in_place_of_folders(workspace: Workspace) -> None:
    """Stop before writing anything if a file sits where a workspace folder goes."""
    for folder in (workspace.flows_root, workspace.logs_root, workspace.data_root):
        if folder.exists() and not folder.is_dir():
            msg = (
                f"`{folder}` is a file where the workspace needs a folder; "
                "move or rename it, then run `flow init` again"
            )
            raise BadInputError(msg)


def _place_template(
    workspace: Workspace, report: InitReport, *, force: bool, protected: dict[str, bool]
) -> None:
    """Render the workspace template beside the root, then move missing files into place."""
    from flows_workspace.templates.discovery import workspace_template
    from flows_workspace.templates.render import render_template
    from flows_workspace.templates.variables import git_author

    settings = workspace.settings
    template = workspace_template()
    variables: dict[str, object] = {
        **template.variables,
        "workspace_name": workspace.root.name,
        "flows_dir": settings.flows_dir,
        "flows_package": settings.flows_dir,
        "logs_dir": settings.logs_dir,
        "data_dir": settings.data_dir,
        "default_template": settings.default_template,
        "marker_name": MARKER_NAME,
        "date": date.today().isoformat(),
        "author": git_author(),
    }
    renames = {"flows": settings.flows_dir, "logs": settings.logs_dir, "data": settings.data_dir}
    from flows_workspace.workspace.create import sweep_stale_staging

    sweep_stale_staging(workspace.root, STAGING_PREFIX)
    staging = workspace.root / f"{STAGING_PREFIX}{os.getpid()}"
    staging.mkdir()
    try:
        render_template(template, staging, variables)
        for rendered in sorted(p for p in staging.rglob("*") if p.is_file()):
            parts = list(rendered.relative_to(staging).parts)
            if parts == [MARKER_NAME]:
                continue  # the marker is written from the settings
            parts[0] = renames.get(parts[0], parts[0]) if len(parts) > 1 else parts[0]
            if len(parts) > 1 and protected.get(parts[0], False):
                continue  # never write inside a logs or data folder that already existed
            _place(rendered, workspace.root.joinpath(*parts), report, force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _place(rendered: Path, target: Path, report: InitReport, *, force: bool) -> None:
    if target.exists():
        if target.is_file() and target.read_bytes() == rendered.read_bytes():
            return
        if not force or not target.is_file():
            report.kept.append(target)
            return
        os.replace(rendered, target)
        report.overwritten.append(target)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(rendered, target)
    report.created.append(target)


def _write_fallbacks(workspace: Workspace, report: InitReport, protected: dict[str, bool]) -> None:
    """Create the three folders, and a README/.gitignore when the template had none."""
    settings = workspace.settings
    folders = {"flows": settings.flows_dir, "logs": settings.logs_dir, "data": settings.data_dir}
    for role, name in folders.items():
        folder = workspace.root / name
        if not folder.is_dir():
            folder.mkdir(parents=True)
            report.created.append(folder)
        readme = folder / "README.md"
        if not protected.get(name, False) and not readme.exists():
            write_atomically(readme, _FALLBACK_READMES[role])
            report.created.append(readme)
    gitignore = workspace.root / ".gitignore"
    if not gitignore.exists():
        text = _FALLBACK_GITIGNORE.format(logs=settings.logs_dir, data=settings.data_dir)
        write_atomically(gitignore, text)
        report.created.append(gitignore)
