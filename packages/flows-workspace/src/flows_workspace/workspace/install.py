"""Make a workspace's `flows` package importable from anywhere in this environment.

Instead of the original `setup.py develop` trick (gone from current setuptools, and it
left `*.egg-info`/`build/` in the workspace), `flow init` writes a tiny editable
install straight into the environment's `purelib` (from `sysconfig`):

- `__flows_workspace_flow_dir_finder.py`: a meta-path finder that resolves exactly one
  top-level name (the workspace's flows folder) to that folder, so `logs`, `data` and
  anything else at the workspace root never become importable;
- `__flows_workspace_flow_dir.pth`: one `import` line that registers the finder at start-up;
- `flows_workspace_flow_dir-0.0.0.dist-info/` with `METADATA`, `INSTALLER`,
  `direct_url.json` (the workspace as an editable `file://` URL) and a `RECORD` listing
  every file, so `pip list` shows the install and `pip uninstall flows-workspace-flow-dir`
  (or `flow uninstall`) removes it.

Nothing is built or downloaded, so this works offline and in uv-made environments
that have no pip. The distribution name is the one the original `flow_init` used.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from flows_workspace._errors import FlowsError
from flows_workspace._files import write_atomically
from flows_workspace.workspace.settings import MARKER_NAME, Workspace

DIST_NAME = "flows-workspace-flow-dir"
"""The distribution name `pip list` shows for a workspace's `flows` package."""
DIST_VERSION = "0.0.0"
_PROJECT = DIST_NAME.replace("-", "_")
DIST_INFO = f"{_PROJECT}-{DIST_VERSION}.dist-info"
FINDER_MODULE = f"__{_PROJECT}_finder"
PTH_NAME = f"__{_PROJECT}.pth"
INSTALLER = "flows-workspace"

_FINDER_SOURCE = '''\
"""Import hook written by `flow init`: makes `{package}` of the workspace {root} importable.

Remove it with `flow uninstall` or `pip uninstall {dist}`.
"""

import os
import sys

ROOT = {root!r}
PACKAGE = {package!r}
PACKAGE_DIR = os.path.join(ROOT, {folder!r})


class WorkspaceFinder:
    """Resolve exactly the top-level name PACKAGE to the workspace folder."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname != PACKAGE or path is not None:
            return None
        init = os.path.join(PACKAGE_DIR, "__init__.py")
        from importlib.machinery import PathFinder
        from importlib.util import spec_from_file_location

        if not os.path.isfile(init):
            if PathFinder.find_spec(fullname, path) is not None:
                return None
            raise ModuleNotFoundError(
                f"No module named {{fullname!r}}: `flow init` made it importable from the "
                f"workspace {{ROOT}}, which is not there any more (moved?); run `flow init` "
                "in the workspace's new folder, or `flow uninstall`",
                name=fullname,
            )

        # A regular package or module of that name on sys.path (a workspace root as the
        # current folder) wins; a bare folder (a namespace package) must not hide ours.
        found = PathFinder.find_spec(fullname, path)
        if found is not None and found.origin is not None and found.loader is not None:
            return None

        return spec_from_file_location(
            PACKAGE, init, submodule_search_locations=[PACKAGE_DIR]
        )


def install():
    """Register the finder once, before the path finders (see find_spec for who wins)."""
    if not any(getattr(f, "__module__", None) == __name__ for f in sys.meta_path):
        sys.meta_path.insert(0, WorkspaceFinder)
'''


@dataclass(frozen=True)
class InstalledWorkspace:
    """The workspace whose flows package this environment currently exposes."""

    root: Path
    dist_info: Path
    package: str = "flows"
    """The package name the install exposes (read when found: replacing rewrites it)."""

    @property
    def stale(self) -> bool:
        """The installed workspace is gone (moved or deleted): no marker file at its root."""
        return not (self.root / MARKER_NAME).is_file()


@dataclass(frozen=True)
class InstallOutcome:
    """What `install_flows_package` did."""

    site_dir: Path
    replaced: InstalledWorkspace | None = None
    """The install of a different workspace that was replaced, if any."""


def site_dir() -> Path:
    """The environment's `purelib`, where the install goes."""
    return Path(sysconfig.get_paths()["purelib"])


def installed_workspace(site: Path | None = None) -> InstalledWorkspace | None:
    """The workspace installed in `site` (default: this environment), if any."""
    site = site or site_dir()
    for dist_info in sorted(site.glob(f"{_PROJECT}-*.dist-info")):
        try:
            info = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
            url = urlparse(str(info["url"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if url.scheme == "file":
            return InstalledWorkspace(Path(unquote(url.path)), dist_info, _package(dist_info))
    return None


def _package(dist_info: Path) -> str:
    """The package name an install exposes, from its `top_level.txt`."""
    try:
        names = (dist_info / "top_level.txt").read_text(encoding="utf-8").split()
    except OSError:
        names = []
    return names[0] if names else "flows"


def check_install(workspace: Workspace, *, replace: bool = False) -> InstalledWorkspace | None:
    """Check that `workspace` may be installed here; return what it would replace.

    Raises:
        FlowsError: another live workspace is installed (and `replace` is false), or a
            package of the same name from elsewhere is importable.
    """
    current = installed_workspace()
    other = current is not None and not _same_path(current.root, workspace.root)
    if current is not None and other and not (replace or current.stale):
        msg = (
            f"this environment already makes `{current.package}` importable from the "
            f"workspace `{current.root}`; pass `--replace` to point it at `{workspace.root}` "
            f"instead, or use another virtual environment"
        )
        raise FlowsError(msg)
    _refuse_foreign_package(workspace.settings.flows_dir, workspace)
    return current


def install_flows_package(workspace: Workspace, *, replace: bool = False) -> InstallOutcome:
    """Install `workspace`'s flows package into this environment (see the module doc).

    Raises:
        FlowsError: as `check_install`, or the environment is not writable.
    """
    site = site_dir()
    current = check_install(workspace, replace=replace)
    same = current is not None and _same_path(current.root, workspace.root)
    try:
        if current is not None:
            _remove_recorded(site, current.dist_info)
        _write_install(site, workspace)
    except PermissionError as error:
        msg = (
            f"cannot write to `{site}` ({error.strerror}); activate a virtual environment "
            "you own (e.g. `uv venv && . .venv/bin/activate`) and run `flow init` again, "
            "or pass `--no-install`"
        )
        raise FlowsError(msg) from error
    return InstallOutcome(site_dir=site, replaced=None if same else current)


def uninstall_flows_package() -> Path | None:
    """Remove the workspace install from this environment; return its root, or None."""
    site = site_dir()
    current = installed_workspace(site)
    if current is None:
        return None
    _remove_recorded(site, current.dist_info)
    return current.root


def _write_install(site: Path, workspace: Workspace) -> None:
    """Write the finder, the `.pth` and the dist-info; the `.pth` last, as it activates."""
    package = workspace.settings.flows_dir
    dist_info = site / DIST_INFO
    dist_info.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {
        f"{DIST_INFO}/METADATA": _metadata(workspace).encode(),
        f"{DIST_INFO}/INSTALLER": f"{INSTALLER}\n".encode(),
        f"{DIST_INFO}/direct_url.json": json.dumps(
            {"url": workspace.root.as_uri(), "dir_info": {"editable": True}}
        ).encode(),
        f"{DIST_INFO}/top_level.txt": f"{package}\n".encode(),
        f"{FINDER_MODULE}.py": _FINDER_SOURCE.format(
            package=package,
            root=str(workspace.root),
            folder=workspace.settings.flows_dir,
            dist=DIST_NAME,
        ).encode(),
        # The finder is imported at every start-up with bytecode writing off (then
        # restored), so no `__pycache__/` file that RECORD does not list ever appears.
        PTH_NAME: (
            "import sys; _write = sys.dont_write_bytecode; sys.dont_write_bytecode = True; "
            f"import {FINDER_MODULE}; sys.dont_write_bytecode = _write; {FINDER_MODULE}.install()\n"
        ).encode(),
    }
    record_lines = [f"{name},{_hash(data)},{len(data)}\n" for name, data in files.items()]
    record_lines.append(f"{DIST_INFO}/RECORD,,\n")
    files[f"{DIST_INFO}/RECORD"] = "".join(record_lines).encode()
    for name in [n for n in files if n != PTH_NAME] + [PTH_NAME]:
        write_atomically(site / name, files[name])


def _metadata(workspace: Workspace) -> str:
    package = workspace.settings.flows_dir
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {DIST_NAME}\n"
        f"Version: {DIST_VERSION}\n"
        f"Summary: The `{package}` package of the flows workspace at {workspace.root}"
        " (written by `flow init`).\n"
    )


def _remove_recorded(site: Path, dist_info: Path) -> None:
    """Remove every file the RECORD of `dist_info` lists, their caches, and the folder."""
    try:
        lines = (dist_info / "RECORD").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        relative = line.rsplit(",", 2)[0]
        target = (site / relative).resolve()
        # Only ever delete inside the site folder, whatever a RECORD says.
        if relative and target.is_relative_to(site.resolve()):
            target.unlink(missing_ok=True)
            if target.suffix == ".py":
                cache = target.parent / "__pycache__"
                for compiled in cache.glob(f"{target.stem}.*.pyc"):
                    compiled.unlink(missing_ok=True)
    for leftover in sorted(dist_info.glob("*")) if dist_info.is_dir() else []:
        leftover.unlink()
    if dist_info.is_dir():
        dist_info.rmdir()


def _refuse_foreign_package(package: str, workspace: Workspace) -> None:
    """Stop if `package` is importable from somewhere other than our own install."""
    here = {"", os.getcwd(), str(workspace.root)}
    search = [entry for entry in sys.path if entry not in here]
    spec = importlib.machinery.PathFinder.find_spec(package, search)
    if spec is None:
        for finder in sys.meta_path:
            if getattr(finder, "__module__", None) == FINDER_MODULE:
                continue
            if finder is importlib.machinery.PathFinder:
                continue
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(package, None) if find_spec is not None else None
            if spec is not None:
                break
    if spec is None:
        return
    locations = list(spec.submodule_search_locations or []) or [spec.origin or "?"]
    if any(_same_path(Path(str(place)), workspace.flows_root) for place in locations):
        return
    msg = (
        f"this environment already has a `{package}` package at `{locations[0]}`, not "
        f"installed by `flow init`; uninstall it (e.g. `pip uninstall` the distribution "
        f"providing it) or use another virtual environment, then run `flow init` again"
    )
    raise FlowsError(msg)


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
