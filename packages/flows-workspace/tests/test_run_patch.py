"""The git part of a run record: what the patch holds, what it never holds, what it costs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from flows_workspace.runs.git_state import (
    LISTED_PATHS_CAP,
    folder_changes,
    git_state,
    parse_raw_diff,
)
from subprocesses import MISSING_LFS, git, run_python

SECRETS = {
    ".env": b"WANDB_API_KEY=abc123\n",
    ".env.local": b"TOKEN=1\n",
    "certs/server.pem": b"-----BEGIN PRIVATE KEY-----\n",
    "deploy.key": b"secret\n",
    "keys/id_ed25519": b"-----BEGIN OPENSSH PRIVATE KEY-----\n",
    ".netrc": b"machine example.com password hunter2\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit holding `code.py` and `.gitignore` (ignores out/)."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "code.py").write_text("x = 1\n", encoding="utf-8")
    (root / ".gitignore").write_text("out/\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    return root


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def _user_git_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    """Make `text` the user's git settings (`GIT_CONFIG_GLOBAL`) for the rest of the test."""
    settings = tmp_path / "gitconfig"
    settings.write_text(text, encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(settings))


def _applied(repo: Path, patch: bytes, tmp_path: Path) -> Path:
    """A clone of `repo` at HEAD with `patch` applied."""
    copy = tmp_path / "applied"
    git(tmp_path, "clone", "-q", str(repo), str(copy))
    (tmp_path / "p.patch").write_bytes(patch)
    git(copy, "apply", str(tmp_path / "p.patch"))
    return copy


def test_secret_files_never_go_into_the_patch_and_are_listed(repo: Path, tmp_path: Path) -> None:
    """Untracked `.env*`, `*.pem`, `*.key`, `id_*`, `.netrc` stay out of the patch, listed."""
    _write(repo, {**SECRETS, "new.py": b"y = 2\n", "id_utils.py": b"z = 3\n"})
    state = git_state(repo)
    assert state is not None
    assert b"hunter2" not in state.patch
    assert b"WANDB_API_KEY" not in state.patch
    assert b"PRIVATE KEY" not in state.patch
    assert b"+y = 2" in state.patch
    assert b"+z = 3" in state.patch  # code that only looks like a key name
    assert sorted(state.summary.secrets_not_in_patch) == sorted(SECRETS)
    assert (_applied(repo, state.patch, tmp_path) / "new.py").read_bytes() == b"y = 2\n"


def test_a_tracked_secret_file_changes_stay_out_of_the_patch(repo: Path) -> None:
    """A committed `.env` that changed is listed, and its new content is not in the patch."""
    (repo / ".env").write_text("KEY=old\n", encoding="utf-8")
    git(repo, "add", ".env")
    git(repo, "commit", "-qm", "env")
    (repo / ".env").write_text("KEY=new-secret\n", encoding="utf-8")
    (repo / "code.py").write_text("x = 2\n", encoding="utf-8")
    state = git_state(repo)
    assert state is not None
    assert b"new-secret" not in state.patch
    assert b"+x = 2" in state.patch
    assert state.summary.secrets_not_in_patch == [".env"]
    assert state.summary.dirty


def test_only_secret_changes_give_an_empty_patch(repo: Path) -> None:
    """When the only changes are secret files, there is no patch, and the tree is dirty."""
    _write(repo, {".env": b"A=1\n"})
    state = git_state(repo)
    assert state is not None
    assert state.patch == b""
    assert state.summary.dirty


def test_patch_honours_ignore_rules(repo: Path) -> None:
    """Files the repository ignores (`.gitignore`, `info/exclude`) are not in the patch."""
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("scratch.txt\n", encoding="utf-8")
    _write(repo, {"out/result.txt": b"ignored\n", "scratch.txt": b"mine\n", "kept.txt": b"k\n"})
    state = git_state(repo)
    assert state is not None
    assert b"ignored" not in state.patch
    assert b"mine" not in state.patch
    assert state.summary.untracked == ["kept.txt"]


def test_workspace_nested_in_a_bigger_repository_patches_only_itself(repo: Path) -> None:
    """Changes outside the workspace (the rest of the repository) are not the run's code."""
    workspace = repo / "research"
    _write(workspace, {"flows/e/run.py": b"print(1)\n", "logs/e/r/out.txt": b"run output\n"})
    _write(repo, {"other/notes.txt": b"private notes\n"})
    (repo / "code.py").write_text("x = 99\n", encoding="utf-8")
    state = git_state(workspace / "flows" / "e", within=workspace, exclude=workspace / "logs")
    assert state is not None
    assert b"private notes" not in state.patch
    assert b"x = 99" not in state.patch
    assert b"run output" not in state.patch
    assert b"print(1)" in state.patch
    assert state.summary.untracked == ["research/flows/e/run.py"]
    assert state.summary.root == str(repo)


def test_files_in_any_encoding_come_back_exactly(repo: Path, tmp_path: Path) -> None:
    """A Latin-1 source file (not UTF-8) is patched byte for byte, not garbled."""
    latin = "# café\nname = 'Müller'\n".encode("latin-1")
    _write(repo, {"legacy.py": latin})
    (repo / "code.py").write_bytes("x = '\xe9'\n".encode("latin-1"))
    state = git_state(repo)
    assert state is not None
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "legacy.py").read_bytes() == latin
    assert (copy / "code.py").read_bytes() == "x = '\xe9'\n".encode("latin-1")


def test_path_lists_are_capped_and_counted(repo: Path) -> None:
    """Past the cap the manifest lists the first paths only, with the full counts."""
    many = LISTED_PATHS_CAP + 30
    _write(repo, {f"outputs/{index:04}.txt": b"x\n" for index in range(many)})
    _write(repo, {f"big/{index}.bin": b"\0" * 1_000_001 for index in range(LISTED_PATHS_CAP + 1)})
    state = git_state(repo)
    assert state is not None
    summary = state.summary
    assert len(summary.untracked) == LISTED_PATHS_CAP
    assert summary.untracked_count == many + LISTED_PATHS_CAP + 1
    assert len(summary.not_in_patch) == LISTED_PATHS_CAP
    assert summary.not_in_patch_count == LISTED_PATHS_CAP + 1


def _git_commands(trace: Path) -> list[str]:
    """The git subcommands a `GIT_TRACE` file shows were run."""
    commands = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        if "trace: built-in: git " in line:
            commands.append(line.split("trace: built-in: git ", 1)[1].split()[0])
    return commands


def test_tracked_changes_only_take_three_git_commands(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without untracked code: where the repo is, then the untracked listing and one diff.

    No `git status` pass and no index copy; untracked code takes one more diff, of those
    files alone. The listing (with that diff) and the tracked diff run side by side, so
    their order in the trace varies.
    """
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    (repo / "code.py").write_text("x = 2\n", encoding="utf-8")
    state = git_state(repo)
    assert state is not None
    assert b"+x = 2" in state.patch
    assert _git_commands(trace) in (
        ["rev-parse", "ls-files", "diff"],
        ["rev-parse", "diff", "ls-files"],
    )
    trace.unlink()
    _write(repo, {"new.py": b"y = 1\n"})
    state = git_state(repo)
    assert state is not None
    assert b"+x = 2" in state.patch
    assert b"+y = 1" in state.patch
    commands = _git_commands(trace)
    assert commands[0] == "rev-parse"
    assert sorted(commands[1:]) == ["add", "diff", "diff", "ls-files"]
    assert commands.index("ls-files") < commands.index("add")  # the new files come from it


def _loose_objects(repo: Path) -> set[str]:
    objects = repo / ".git" / "objects"
    return {str(path.relative_to(objects)) for path in objects.glob("??/*")}


@pytest.mark.parametrize("changed", [3, 80], ids=["few", "many"])
def test_untracked_files_are_patched_without_staging_anything(
    repo: Path, tmp_path: Path, changed: int
) -> None:
    """Untracked text and binary files come back whole from the patch; git stores nothing.

    With a few changed tracked files or many, the untracked files are only marked
    intent-to-add in a scratch index, so none of their content is written to the
    repository's object store (only git's empty blob, which an intent-to-add entry
    names) and its index stays as it was.
    """
    _write(repo, {f"src/{index}.py": b"v = 0\n" for index in range(changed)})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "sources")
    _write(repo, {f"src/{index}.py": b"v = 1\n" for index in range(changed)})
    _write(repo, {"new.py": b"y = 1\n", "weights.bin": bytes(range(256)) * 4})
    empty_blob = git(repo, "hash-object", os.devnull).strip()
    objects, index = _loose_objects(repo), (repo / ".git" / "index").read_bytes()
    state = git_state(repo)
    assert state is not None
    assert _loose_objects(repo) - objects <= {f"{empty_blob[:2]}/{empty_blob[2:]}"}
    assert (repo / ".git" / "index").read_bytes() == index
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "weights.bin").read_bytes() == bytes(range(256)) * 4
    assert (copy / "new.py").read_bytes() == b"y = 1\n"
    assert all((copy / f"src/{index}.py").read_bytes() == b"v = 1\n" for index in range(changed))


def test_a_file_taken_out_of_the_index_but_kept_comes_back_from_the_patch(
    repo: Path, tmp_path: Path
) -> None:
    """`git rm --cached` on an edited file (both deleted and untracked): one diff restores it."""
    git(repo, "rm", "-q", "--cached", "code.py")
    _write(repo, {"code.py": b"x = 3\n", "other.py": b"z = 1\n"})
    state = git_state(repo)
    assert state is not None
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "code.py").read_bytes() == b"x = 3\n"
    assert (copy / "other.py").read_bytes() == b"z = 1\n"


def test_an_index_copied_with_the_workspace_is_refreshed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `cp -a` (new inodes, old times) the run refreshes the real index once."""
    index = repo / ".git" / "index"
    written = index.stat().st_mtime - 60
    os.utime(index, (written, written))  # as if committed a minute before the copy
    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)  # copy2: times kept, new inodes
    debug = git(copy, "ls-files", "--debug", "code.py")
    assert f"ino: {(copy / 'code.py').stat().st_ino}" not in debug  # stale stat cache
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    assert git_state(copy) is not None
    assert "update-index" in _git_commands(trace)
    debug = git(copy, "ls-files", "--debug", "code.py")
    assert f"ino: {(copy / 'code.py').stat().st_ino}" in debug
    trace.unlink()
    assert git_state(copy) is not None
    assert "update-index" not in _git_commands(trace)  # fresh now: nothing more to do


def test_raw_diff_parsing_takes_paths_with_spaces_and_both_paths_of_a_rename() -> None:
    """The raw records of `git diff --raw -z --patch` name every path; the patch follows.

    One path for a change, deletion, type change or unmerged entry; two for a rename or copy.
    """
    output = (
        b":100644 100644 aa bb M\0a file.py\0"
        b":100644 100644 aa bb R100\0old.py\0new.py\0"
        b":100644 000000 aa 00 D\0gone\xff.py\0"
        b":100644 120000 aa bb T\0link\0"  # a file become a symbolic link
        b":000000 000000 00 00 U\0both.py\0"  # unmerged
        b":100644 100644 aa bb C75\0base.py\0copy.py\0"
        b"\0diff --git a/a file.py b/a file.py\n+x\0y\n"
    )
    paths, patch = parse_raw_diff(output)
    gone = os.fsdecode(b"gone\xff.py")
    assert paths == ["a file.py", "old.py", "new.py", gone, "link", "both.py", "base.py", "copy.py"]
    assert patch == b"diff --git a/a file.py b/a file.py\n+x\0y\n"
    assert parse_raw_diff(b"") == ([], b"")


def test_the_patch_applies_whatever_the_users_git_settings_say(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No prefixes, colour, an external diff tool, paths relative to the folder: still applies."""
    _user_git_settings(
        monkeypatch,
        tmp_path,
        "[diff]\n\tnoprefix = true\n\trelative = true\n\texternal = false\n"
        "[color]\n\tdiff = always\n\tui = always\n",
    )
    _write(repo, {"code.py": b"x = 2\n", "sub/new.py": b"y = 1\n", "top.txt": b"t\n"})
    state = git_state(repo / "sub")
    assert state is not None
    monkeypatch.delenv("GIT_CONFIG_GLOBAL")
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "code.py").read_bytes() == b"x = 2\n"
    assert (copy / "sub" / "new.py").read_bytes() == b"y = 1\n"
    assert (copy / "top.txt").read_bytes() == b"t\n"


RUN = """
from dataclasses import dataclass

from flows_workspace import record_run


@dataclass
class Config:
    x: int = 1


with record_run(Config(), __file__) as run:
    print(run.dir)
"""


def test_a_recorded_run_lists_skipped_secrets_in_its_manifest(repo: Path) -> None:
    """End to end: a run in a nested workspace keeps `.env` out and names it in the manifest."""
    workspace = repo / "research"
    _write(workspace, {"flows.toml": b"", "flows/e/run.py": RUN.encode(), ".env": b"K=v\n"})
    _write(repo, {"outside.txt": b"not the run's\n"})
    done = run_python(workspace / "flows" / "e" / "run.py", cwd=workspace)
    assert done.returncode == 0, done.stderr
    run_dir = Path(done.stdout.strip())
    recorded = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["git"]
    assert recorded["secrets_not_in_patch"] == ["research/.env"]
    assert recorded["untracked"] == [
        "research/.env",
        "research/flows.toml",
        "research/flows/e/run.py",
    ]
    assert recorded["untracked_count"] == 3
    patch = (run_dir / "uncommitted.patch").read_bytes()
    assert b"K=v" not in patch
    assert b"not the run's" not in patch


def _ignored(root: Path, names: list[str]) -> list[str]:
    """The names among `names` that git ignores in the repository `root`."""
    listed = git(root, "check-ignore", "--no-index", *names, env={"GIT_DIR": None})
    return listed.splitlines()


def test_workspace_gitignore_covers_secret_files(tmp_path: Path) -> None:
    """`flow init`'s .gitignore (template and fallback alike) ignores the secret file names."""
    from flows_workspace.cli import main
    from flows_workspace.workspace.init import _FALLBACK_GITIGNORE

    secrets = [*SECRETS, "flows/e/.env", "flows/e/id_rsa"]
    code = ["flows/e/id_utils.py", "flows/e/run.py", "environment.yml"]
    made = tmp_path / "made"
    assert main(["init", str(made), "--no-install"]) == 0
    fallback = tmp_path / "fallback"
    fallback.mkdir()
    (fallback / ".gitignore").write_text(
        _FALLBACK_GITIGNORE.format(logs="logs", data="data"), encoding="utf-8"
    )
    for root in (made, fallback):
        git(root, "init", "-q")
        assert _ignored(root, [*secrets, *code]) == secrets, root


def test_a_folders_changes_for_a_fork_record_leave_secrets_out(repo: Path) -> None:
    """The parent patch a fork records holds the folder's code changes, never secret files.

    Not even the removal of a committed one; `id_utils.py` is code, as in a run's patch.
    """
    folder = repo / "exp"
    _write(folder, {"old.env": b"", ".env.committed": b"OLD_TOKEN=zzz\n"})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a secret committed by mistake")
    git(repo, "rm", "-q", "exp/.env.committed")  # gone from the index and the disk
    _write(folder, {**SECRETS, "run.py": b"print('parent')\n", "id_utils.py": b"z = 3\n"})
    commit, patch = folder_changes(folder)
    assert commit is not None
    assert "print('parent')" in patch
    assert "+z = 3" in patch  # code that only looks like a key name
    for secret in ("WANDB_API_KEY", "hunter2", "PRIVATE KEY", "TOKEN=1", "secret", "OLD_TOKEN"):
        assert secret not in patch, secret


LINES = "".join(f"line {number}\n" for number in range(30))


@pytest.mark.parametrize(
    ("setting", "env"),
    [
        ("[diff]\n\tcontext = 0\n", {}),
        ("", {"GIT_DIFF_OPTS": "--unified=0"}),
    ],
    ids=["diff.context", "GIT_DIFF_OPTS"],
)
def test_the_patch_keeps_its_context_lines_whatever_the_user_set(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, env: dict[str, str]
) -> None:
    """A user's zero-context diffs (`git apply` refuses those hunks) do not reach the patch."""
    _write(repo, {"long.py": LINES.encode()})
    git(repo, "add", "long.py")
    git(repo, "commit", "-qm", "long")
    _user_git_settings(monkeypatch, tmp_path, setting)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    edited = LINES.replace("line 5\n", "five\n").replace("line 20\n", "")
    _write(repo, {"long.py": edited.encode()})
    state = git_state(repo)
    assert state is not None
    monkeypatch.delenv("GIT_CONFIG_GLOBAL")
    monkeypatch.delenv("GIT_DIFF_OPTS", raising=False)
    assert (_applied(repo, state.patch, tmp_path) / "long.py").read_text() == edited


@pytest.mark.parametrize(
    "setting", ["submodule = diff", "submodule = log", "ignoreSubmodules = all"]
)
def test_a_submodule_moved_to_another_commit_is_in_the_patch(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """The patch names a submodule's new commit whatever `diff.submodule`/`ignoreSubmodules` say.

    Its content is the submodule's own (git's limit): the patch records the commit only.
    """
    library = tmp_path / "library"
    library.mkdir()
    _write(library, {"lib.py": b"v = 1\n"})
    git(library, "init", "-q")
    git(library, "add", ".")
    git(library, "commit", "-qm", "lib")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "lib")
    git(repo, "commit", "-qm", "submodule")
    _write(repo / "lib", {"lib.py": b"v = 2\n"})
    git(repo / "lib", "commit", "-qam", "moved")
    moved = git(repo / "lib", "rev-parse", "HEAD")
    (repo / "code.py").write_text("x = 2\n", encoding="utf-8")
    _user_git_settings(monkeypatch, tmp_path, f"[diff]\n\t{setting}\n")
    state = git_state(repo)
    assert state is not None
    monkeypatch.delenv("GIT_CONFIG_GLOBAL")
    assert f"+Subproject commit {moved}".encode() in state.patch
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "code.py").read_bytes() == b"x = 2\n"


def test_a_touched_but_unchanged_file_leaves_the_index_alone(repo: Path) -> None:
    """A file saved again unchanged is not a change, and the real index is not written.

    `git diff` would write the file's new stat cache back under the index lock, in the
    way of a `git commit` made meanwhile.
    """
    index = repo / ".git" / "index"
    earlier = index.stat().st_mtime - 60
    os.utime(repo / "code.py", (earlier, earlier))  # stat changed, content not
    before = index.read_bytes()
    state = git_state(repo)
    assert state is not None
    assert not state.summary.dirty
    assert state.patch == b""
    assert index.read_bytes() == before


def test_a_filter_set_up_but_not_installed_still_gives_the_changes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git-lfs in the git settings but not on PATH: the changes are patched as on disk.

    git itself stops at the missing required filter; the run must not record a clean tree.
    """
    _write(repo, {".gitattributes": b"*.bin filter=lfs -text\n", "model.bin": b"v1\n"})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "lfs")
    _user_git_settings(
        monkeypatch, tmp_path, MISSING_LFS + "\tprocess = git-lfs-missing filter-process\n"
    )
    _write(repo, {"model.bin": b"v2\n", "code.py": b"x = 2\n", "new.bin": b"n\n"})
    state = git_state(repo)
    assert state is not None
    monkeypatch.delenv("GIT_CONFIG_GLOBAL")
    assert state.summary.dirty
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "model.bin").read_bytes() == b"v2\n"
    assert (copy / "code.py").read_bytes() == b"x = 2\n"
    assert (copy / "new.bin").read_bytes() == b"n\n"


def test_a_forks_record_of_its_parent_survives_a_filter_that_cannot_run(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`folder_changes` (a fork's record) stages with filters off when git-lfs is missing."""
    _write(repo, {".gitattributes": b"*.bin filter=lfs -text\n", "model.bin": b"v1\n"})
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "lfs")
    _user_git_settings(monkeypatch, tmp_path, MISSING_LFS)
    _write(repo, {"model.bin": b"v2\n", "code.py": b"x = 2\n"})
    commit, patch = folder_changes(repo)
    assert commit is not None
    assert "+v2" in patch
    assert "+x = 2" in patch


def test_a_tree_git_cannot_read_is_not_recorded_as_clean(repo: Path) -> None:
    """When the diff fails (the committed blob of an edited file is gone), dirty stays True."""
    blob = git(repo, "rev-parse", "HEAD:code.py")
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    (repo / "code.py").write_text("x = 2\n", encoding="utf-8")
    state = git_state(repo)
    assert state is not None
    assert state.summary.dirty


def test_a_run_with_an_untracked_file_named_in_no_utf8_records_it(repo: Path) -> None:
    """An untracked `café.py` named in Latin-1 is patched exactly and listed with U+FFFD.

    The exact name (with `os.fsdecode`'s surrogates) would stop the manifest, UTF-8 JSON,
    from being written: the run would end with its manifest left `running`.
    """
    workspace = repo / "research"
    _write(workspace, {"flows.toml": b"", "flows/e/run.py": RUN.encode()})
    (workspace / os.fsdecode(b"caf\xe9.py")).write_bytes(b"y = 1\n")
    done = run_python(workspace / "flows" / "e" / "run.py", cwd=workspace)
    assert done.returncode == 0, done.stderr
    run_dir = Path(done.stdout.strip())
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "finished"
    assert "research/caf\ufffd.py" in manifest["git"]["untracked"]
    assert b"+y = 1" in (run_dir / "uncommitted.patch").read_bytes()


def test_a_repository_nested_in_the_tree_leaves_the_other_new_files_in_the_patch(
    repo: Path, tmp_path: Path
) -> None:
    """Nested repositories (one without a commit) are listed as left out; new files still go in.

    `git add` refuses a nested repository without a commit, which lost every untracked file.
    """
    git(repo, "init", "-q", "empty")
    _write(repo, {"lib/lib.py": b"v = 1\n", "new.py": b"y = 1\n"})
    git(repo / "lib", "init", "-q")
    git(repo / "lib", "add", ".")
    git(repo / "lib", "commit", "-qm", "lib")
    state = git_state(repo)
    assert state is not None
    assert state.summary.not_in_patch == ["empty/", "lib/"]
    assert state.summary.untracked == ["empty/", "lib/", "new.py"]
    copy = _applied(repo, state.patch, tmp_path)
    assert (copy / "new.py").read_bytes() == b"y = 1\n"
