"""What git says about the code a run uses: commit, dirty flag, uncommitted changes.

Every call tolerates a missing `git` or a folder outside any repository (the answer is
then `None`).

The patch covers the workspace only (in a workspace nested inside a bigger repository,
the rest of the repository is not the run's code), follows the repository's ignore
rules, and never holds a file whose name marks a secret (`SECRET_PATTERNS`), tracked or
not, ignored or not; the manifest lists those it left out.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flows_workspace._git import run_git, run_git_past_filters, scratch_index
from flows_workspace._process import in_background
from flows_workspace.runs.manifest import GitSummary

UNTRACKED_SIZE_CAP = 1_000_000
"""Untracked files larger than this (bytes) stay out of the patch: a stray data set, not code."""
UNTRACKED_TOTAL_CAP = 20_000_000
"""Past this many bytes of untracked files under the per-file cap, none go into the patch."""
UNTRACKED_COUNT_CAP = 2_000
"""Past this many untracked files, none go into the patch (an unignored venv)."""
LISTED_PATHS_CAP = 100
"""The manifest lists at most this many paths of each kind; the counts are complete."""
SECRET_PATTERNS = (".env*", "*.pem", "*.key", "id_*", ".netrc")
"""File names that mark credentials: such files never go into the patch."""
NOT_SECRET_PATTERNS = ("id_*.py",)
"""Names matching a secret pattern that are code (`id_utils.py`); the workspace's
`.gitignore` makes the same exception."""
_PATTERNS_WITHOUT_EXCEPTIONS = tuple(
    pattern
    for pattern in SECRET_PATTERNS
    if not any(fnmatch.fnmatchcase(kept, pattern) for kept in NOT_SECRET_PATTERNS)
)
"""The secret patterns a glob pathspec can leave out whole (all but `id_*`)."""
_COPIED_INDEX_SECONDS = 2.0
"""An index whose inode changed this long after it was written was copied (`cp -a`)."""
_EMPTY_TREE_SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_DIFF_COMMAND = (
    *("-c", "diff.relative=false", "diff", "--binary", "--patch", "--no-color"),
    *("--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", "--unified=3"),
    *("--submodule=short", "--ignore-submodules=none"),
)
"""A diff `git apply` takes whatever the user's git settings say (an external diff tool,
no prefixes, colour, paths relative to the folder, no context lines, submodules shown
as their log or their own diff, or not at all)."""
_DIFF_ENV = {"GIT_DIFF_OPTS": ""}
"""`GIT_DIFF_OPTS=--unified=0` would override `--unified`, and `git apply` refuses hunks
without context."""


@dataclass(frozen=True)
class GitState:
    """The state of the repository holding a run's code: the manifest's part, and the patch."""

    summary: GitSummary
    """Commit, dirty flag, untracked files and those left out of the patch."""
    patch: bytes = b""
    """The uncommitted changes, untracked files included, as a binary diff from `HEAD`
    (from the empty tree before the first commit): `git apply` on the commit restores
    the tree. Bytes: files in any encoding come back exactly."""


def in_git_repository(folder: Path) -> bool:
    """Whether `folder` looks inside a git repository, without starting `git` (it is cheap).

    Looks for `.git` in `folder` and its parents, stopping at `GIT_CEILING_DIRECTORIES`
    as git does; `GIT_DIR` set counts as a repository.
    """
    if os.environ.get("GIT_DIR"):
        return True
    ceilings = {
        Path(entry).resolve()
        for entry in os.environ.get("GIT_CEILING_DIRECTORIES", "").split(os.pathsep)
        if entry
    }
    here = folder.resolve()
    for candidate in (here, *here.parents):
        if candidate != here and candidate in ceilings:
            return False
        if (candidate / ".git").exists():
            return True
    return False


def current_commit(folder: Path) -> str | None:
    """`HEAD`'s hash for the repository holding `folder`, or None (no git, repo or commit)."""
    done = run_git(folder, "rev-parse", "--verify", "--quiet", "HEAD")
    if done is None or done.returncode != 0:
        return None
    return done.stdout.strip() or None


def is_secret(path: str) -> bool:
    """Whether the file name of `path` (a git path) marks credentials (`SECRET_PATTERNS`)."""
    name = PurePosixPath(path).name
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in NOT_SECRET_PATTERNS):
        return False
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in SECRET_PATTERNS)


def git_state(
    folder: Path, *, within: Path | None = None, exclude: Path | None = None
) -> GitState | None:
    """The state of the repository holding `folder`, or None when there is none.

    Where the repository is and its commit come first; then the untracked files are
    listed, and one diff of the tracked files both names them and gives their patch
    (each tracked file is looked at once); untracked files that go into the patch take
    one more diff, of those files alone, through an empty scratch index.

    Args:
        folder: A folder inside the repository (the experiment's).
        within: The folder whose changes count (the workspace); the whole repository
            when None or when the repository lies inside it.
        exclude: A folder whose changes do not count (the workspace's logs, which a
            run itself writes to).
    """
    where = run_git(
        folder, "rev-parse", "--show-toplevel", "--git-path", "index", "--verify", "-q", "HEAD"
    )
    found = where.stdout.splitlines() if where is not None else []
    # Status 1 with two lines: a repository without a commit yet.
    if where is None or (where.returncode, len(found)) not in ((0, 3), (1, 2)):
        return None
    root, index = Path(found[0]), folder / found[1]  # relative to `folder` unless absolute
    commit = found[2] if len(found) == 3 else None
    _refresh_copied_index(folder, index)
    base = commit or _empty_tree(folder)  # before the first commit: from nothing
    pathspec = [_top_spec(root, within, "top"), *_exclude_spec(root, exclude)]
    # Two independent looks at the tree, mostly waiting on the file system, side by side:
    # the untracked files (reading directories) and the patch of the new code among them;
    # the changed tracked files (looking at each one) and their patch.
    new_code = in_background(lambda: _untracked_code(folder, root, base, pathspec))
    tracked = _tracked_changes(folder, base, pathspec, index)
    untracked, new_files, left_out, new_patch = new_code()
    changed, tracked_patch = tracked or ([], b"")
    secrets = [path for path in (*changed, *untracked) if is_secret(path)]
    if set(changed).isdisjoint([*secrets, *new_files]):  # the usual case
        patch = tracked_patch + new_patch
    else:  # a secret among the tracked changes, or a path both deleted and untracked
        skip = [_literal_exclude(path) for path in secrets]
        patch = _worktree_patch(folder, base, [*pathspec, *skip], index, new_files)
    summary = GitSummary(
        root=str(root),
        commit=commit,
        dirty=bool(changed or untracked) or tracked is None,  # unknown: not claimed clean
        untracked=_shown(untracked[:LISTED_PATHS_CAP]),
        not_in_patch=_shown(left_out[:LISTED_PATHS_CAP]),
        untracked_count=len(untracked),
        not_in_patch_count=len(left_out),
        secrets_not_in_patch=_shown(secrets[:LISTED_PATHS_CAP]),
    )
    return GitState(summary, patch)


def _new_code(root: Path, untracked: list[str]) -> tuple[list[str], list[str]]:
    """Which of the `untracked` files (not secrets) go into the patch, and which do not.

    Left out: repositories nested in the tree, files over `UNTRACKED_SIZE_CAP`, and all
    of them past `UNTRACKED_COUNT_CAP` files or `UNTRACKED_TOTAL_CAP` bytes.
    """
    # `ls-files` names a repository nested in the tree as its folder (`lib/`): its code
    # is its own repository's, and `git add` refuses one without a commit.
    nested = {path for path in untracked if path.endswith("/")}
    sizes = {path: _size(root / path) for path in untracked if path not in nested}
    too_large = {path for path, size in sizes.items() if size > UNTRACKED_SIZE_CAP}
    code_size = sum(size for path, size in sizes.items() if path not in too_large)
    # That much untracked stuff is not code someone forgot to commit (an unignored venv):
    # the patch keeps only the changes to tracked files, and says what it left out.
    if len(untracked) > UNTRACKED_COUNT_CAP or code_size > UNTRACKED_TOTAL_CAP:
        return [], untracked
    set_aside = nested | too_large
    return (
        [path for path in untracked if path not in set_aside],
        [path for path in untracked if path in set_aside],
    )


def _shown(paths: list[str]) -> list[str]:
    """`paths` as the manifest's text: U+FFFD for the bytes of a name that are not UTF-8.

    Kept exact (`os.fsdecode`'s surrogates), such a name would stop the manifest, UTF-8
    JSON, from being written at all.
    """
    return [os.fsencode(path).decode("utf-8", errors="replace") for path in paths]


def _empty_tree(folder: Path) -> str:
    """The id of the empty tree in the repository's hash format (SHA-1 or SHA-256)."""
    done = run_git(folder, "hash-object", "-t", "tree", os.devnull)
    return done.stdout.strip() if done is not None and done.returncode == 0 else _EMPTY_TREE_SHA1


def _untracked_code(
    folder: Path, root: Path, base: str, pathspec: list[str]
) -> tuple[list[str], list[str], list[str], bytes]:
    """The untracked files; those that go into the patch, those left out, and their patch.

    The patch names the new files alone, so an empty scratch index is enough for it.
    """
    untracked = _untracked(folder, pathspec)
    new_files, left_out = _new_code(root, [path for path in untracked if not is_secret(path)])
    if not new_files:
        return untracked, new_files, left_out, b""
    named = [_literal(path) for path in new_files]
    return untracked, new_files, left_out, _worktree_patch(folder, base, named, None, new_files)


def _untracked(folder: Path, pathspec: list[str]) -> list[str]:
    """The untracked files under `pathspec` that the ignore rules do not exclude (from the top)."""
    return _listed(folder, ["--full-name", "--others"], pathspec)


def _listed(folder: Path, kinds: list[str], pathspec: list[str]) -> list[str]:
    """The files of `kinds` (`ls-files` options) under `pathspec`, ignored ones left out."""
    listing = run_git(
        folder, "ls-files", "-z", *kinds, "--exclude-standard", "--", *pathspec, binary=True
    )
    if listing is None or listing.returncode != 0:
        return []
    return [os.fsdecode(path) for path in listing.stdout.split(b"\0") if path]


def _tracked_changes(
    folder: Path, base: str, pathspec: list[str], index: Path
) -> tuple[list[str], bytes] | None:
    """The changed tracked files under `pathspec`, and the patch from `base` to them.

    One diff gives both: its raw part (`--raw -z`) names the files, then comes the patch.
    None when git cannot tell (the diff failed even with filters off).
    """
    output = _diff(folder, base, ["--raw", "-z", "--", *pathspec], index)
    return None if output is None else parse_raw_diff(output)


def _top_spec(root: Path, within: Path | None, magic: str) -> str:
    """The pathspec of `within` relative to the repository `root` (all of it when outside)."""
    if within is not None:
        try:
            relative = within.resolve().relative_to(root.resolve())
        except ValueError:
            relative = None
        if relative is not None and relative.parts:
            return f":({magic},literal){relative.as_posix()}"
    return f":({magic})"


def _exclude_spec(root: Path, exclude: Path | None) -> list[str]:
    """The pathspec leaving `exclude` out (none when it is not inside the repository)."""
    spec = _top_spec(root, exclude, "top,exclude")
    if exclude is None or spec == ":(top,exclude)":
        return []
    return [spec]


def _literal_exclude(path: str) -> str:
    return f":(top,literal,exclude){path}"


def _literal(path: str) -> str:
    return f":(top,literal){path}"


def _refresh_copied_index(folder: Path, index: Path) -> None:
    """Rewrite the stat cache of an index that was copied with its folder (`cp -a`, rsync).

    The diffs here read throwaway copies of the index, so what they learn is never
    written back: after a copy (new inodes and change times) each run would read every
    tracked file again. A copied index shows it: its change time is well after its
    modification time, which git's own writes keep equal. `update-index --refresh` takes
    the index lock like a user's `git status` would, and does nothing when it is held.
    """
    try:
        stat = index.stat()
    except OSError:
        return
    if stat.st_ctime - stat.st_mtime > _COPIED_INDEX_SECONDS:
        run_git(folder, "update-index", "-q", "--refresh", env={"GIT_OPTIONAL_LOCKS": "1"})


def folder_changes(folder: Path, *, exclude: tuple[str, ...] = ()) -> tuple[str | None, str]:
    """`HEAD`'s hash and the uncommitted changes under `folder` alone (untracked included).

    Both are empty (None, "") outside a git repository; the patch is empty when the
    folder has no changes. `exclude` names sub-folders of `folder` left out.
    """
    commit = current_commit(folder)
    where = run_git(folder, "rev-parse", "--git-path", "index")
    if where is None or where.returncode != 0:
        return commit, ""
    pathspec = [".", *(f":(literal,exclude){name}" for name in exclude)]
    # Kept in a record that is often committed: never a credential file's content. The
    # patterns without code exceptions leave out files by name, a deleted one too; the
    # others' files are named one by one (a pathspec cannot leave out `id_*` but keep
    # `id_*.py`).
    files = _listed(folder, ["--cached", "--others"], pathspec)
    pathspec += [f":(literal,exclude){path}" for path in files if is_secret(path)]
    pathspec += [f":(glob,exclude)**/{pattern}" for pattern in _PATTERNS_WITHOUT_EXCEPTIONS]
    index = folder / where.stdout.strip()  # relative to `folder` unless absolute
    patch = _staged_patch(folder, commit, pathspec, index)
    return commit, patch.decode("utf-8", errors="replace")  # kept in a TOML record: text


def _staged_patch(folder: Path, commit: str | None, pathspec: list[str], index: Path) -> bytes:
    """The binary diff from `commit` (the empty tree when None) to the staged working tree.

    The working tree, untracked files included (`git diff HEAD` leaves them out, and with
    them the new code of an experiment not yet committed), is staged in a throwaway copy
    of `index` (the real index and the staging area stay untouched), then the copy is
    diffed.
    """
    base = commit or _empty_tree(folder)
    with scratch_index(index) as env:
        added = run_git_past_filters(folder, "add", "--all", "--", *pathspec, env=env)
        if added is None or added.returncode != 0:
            return b""
        return _diff(folder, base, ["--cached", "--", *pathspec], None, env) or b""


def _worktree_patch(
    folder: Path, commit: str, pathspec: list[str], index: Path | None, new_files: list[str]
) -> bytes:
    """The binary diff from `commit` to the working tree, with the untracked `new_files`.

    The new files are marked intent-to-add in a throwaway copy of `index` (or an empty
    one, when `pathspec` names only them), so the diff shows them as new; unlike staging
    them, nothing is hashed or written to the object store, and the real index stays
    untouched.
    """
    with scratch_index(index) as env:
        literal = [_literal(path) for path in new_files]
        if new_files:
            added = run_git(folder, "add", "--intent-to-add", "--", *literal, env=env)
            if added is None or added.returncode != 0:
                return b""
        return _diff(folder, commit, ["--", *pathspec], None, env) or b""


def _diff(
    folder: Path,
    commit: str,
    arguments: list[str],
    index: Path | None,
    env: dict[str, str] | None = None,
) -> bytes | None:
    """`git diff` from `commit` to the working tree (`_DIFF_COMMAND`), or None when it fails.

    The diff reads a throwaway copy of `index` unless `env` names a scratch index: `git
    diff` writes the stat cache of files touched but unchanged back to the index it read,
    taking the index lock (`GIT_OPTIONAL_LOCKS` does not stop it), and a `git commit`
    made meanwhile would fail. A filter that cannot run is turned off
    (`run_git_past_filters`).
    """
    with contextlib.ExitStack() as stack:
        if env is None:
            env = stack.enter_context(scratch_index(index))
        env = {**env, **_DIFF_ENV}
        diff = run_git_past_filters(folder, *_DIFF_COMMAND, commit, *arguments, env=env)
    return diff.stdout if diff is not None and diff.returncode == 0 else None


def _size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def parse_raw_diff(output: bytes) -> tuple[list[str], bytes]:
    """The paths and the patch of `git diff --raw -z --patch` output.

    Each raw record is a `:modes ids STATUS` field then its path, or two paths for a
    rename or copy (status `R` or `C` and a score); an empty field ends the records.
    """
    fields = output.split(b"\0")
    paths: list[str] = []
    at = 0
    while at < len(fields) and fields[at].startswith(b":"):
        status = fields[at].rsplit(b" ", 1)[-1][:1]
        count = 2 if status in (b"R", b"C") else 1
        paths.extend(os.fsdecode(path) for path in fields[at + 1 : at + 1 + count])
        at += 1 + count
    patch_start = sum(len(field) + 1 for field in fields[: at + 1])
    return paths, output[patch_start:]
