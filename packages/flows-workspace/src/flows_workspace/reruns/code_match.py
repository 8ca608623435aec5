"""Whether the code here is the code a recorded run ran, where it matters for `--from-run`.

A run ran its commit plus its uncommitted patch. Both sides are turned into git trees
without touching the real index or the working tree: the run's (the commit's tree with
the patch applied to a scratch index) and today's (the working tree added to a scratch
copy of the index). Only the experiment's folder and the files the patch touched are
compared, so commits elsewhere in the repository do not count.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flows_workspace._git import run_git, run_git_past_filters, scratch_index
from flows_workspace.runs.manifest import PATCH_NAME

if TYPE_CHECKING:
    import subprocess

    from flows_workspace.runs.manifest import RunManifest


def code_difference(code_folder: Path, run_dir: Path, manifest: RunManifest) -> str | None:
    """One line saying how the code in `code_folder` differs from the run's, or None.

    Args:
        code_folder: The experiment folder running now.
        run_dir: The recorded run's folder (its patch is there).
        manifest: The recorded run's manifest.
    """
    git = manifest.git
    if git is None or not git.commit:
        return None
    top = run_git(code_folder, "rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0:
        return None
    root = Path(top.stdout.strip())
    commit = git.commit
    where = f"run `{run_dir.name}` ran at commit {commit[:12]}"
    exact = f"`flow rerun {run_dir.name}` runs its exact code"
    found = run_git(root, "cat-file", "-e", f"{commit}^{{commit}}")
    if found is None or found.returncode != 0:
        return f"{where}, which this repository does not have, so results may differ; {exact}"
    patch = run_dir / PATCH_NAME if git.dirty else None
    ran = _tree_of_run(root, commit, patch)
    now = _tree_of_working_tree(root)
    if ran is None or now is None:
        return None
    try:
        folder = code_folder.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return None
    touched = _changed_paths(root, commit, ran)
    unapplied = bool(touched) and _differ(root, ran, now, touched)
    changed = _differ(root, ran, now, [folder])
    if not unapplied and not changed:
        return None
    parts = [where]
    if unapplied:
        parts.append(f" with uncommitted changes (`{patch}`) that are not applied here")
    if changed:
        parts.append(f"; `{folder}` has changed since")
    return "".join([*parts, f", so results may differ; {exact}"])


def _tree_of_run(root: Path, commit: str, patch: Path | None) -> str | None:
    """The tree the run ran: `commit`'s, with `patch` applied (when it has one)."""
    if patch is None or not patch.is_file():
        return _single_line(run_git(root, "rev-parse", f"{commit}^{{tree}}"))
    with scratch_index() as env:
        read = run_git(root, "read-tree", commit, env=env)
        if read is None or read.returncode != 0:
            return None
        applied = run_git(root, "apply", "--cached", "--binary", str(patch.resolve()), env=env)
        if applied is None or applied.returncode != 0:
            return None
        return _single_line(run_git(root, "write-tree", env=env))


def _tree_of_working_tree(root: Path) -> str | None:
    """The tree of the working tree as it is, untracked (not ignored) files included."""
    with scratch_index(copy_of=_index_path(root)) as env:
        # Partial adds still count. A filter that cannot run is turned off, for the
        # write too (it hashes files it cannot trust the stat cache of).
        run_git_past_filters(root, "add", "--all", "--", ":(top)", env=env)
        return _single_line(run_git_past_filters(root, "write-tree", env=env))


def _changed_paths(root: Path, commit: str, tree: str) -> list[str]:
    """The paths that differ between `commit` and `tree` (what the patch touched)."""
    done = run_git(root, "diff", "--name-only", "-z", commit, tree)
    if done is None or done.returncode != 0:
        return []
    return [path for path in done.stdout.split("\0") if path]


def _differ(root: Path, ran: str, now: str, paths: list[str]) -> bool:
    """Whether trees `ran` and `now` differ under any of `paths`."""
    specs = [f":(top,literal){path}" for path in paths]
    done = run_git(root, "diff", "--quiet", ran, now, "--", *specs)
    return done is not None and done.returncode == 1


def _index_path(root: Path) -> Path | None:
    done = run_git(root, "rev-parse", "--git-path", "index")
    if done is None or done.returncode != 0:
        return None
    return root / done.stdout.strip()


def _single_line(
    done: subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes] | None,
) -> str | None:
    """The output of a git call that prints one value, or None when it failed."""
    if done is None or done.returncode != 0:
        return None
    output = done.stdout
    return (output.decode() if isinstance(output, bytes) else output).strip() or None
