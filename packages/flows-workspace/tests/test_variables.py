"""The `author` template variable: git's user name, as `git config` resolves it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows_workspace.templates.variables import git_author
from subprocesses import run

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitconfig: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(gitconfig, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")  # the machine's /etc/gitconfig stays out
    monkeypatch.delenv("GIT_AUTHOR_NAME", raising=False)
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    return home


def test_author_comes_from_the_environment_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`GIT_AUTHOR_NAME` wins over every config file."""
    _home(tmp_path, monkeypatch, "[user]\n\tname = From Config\n")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "From Env")
    assert git_author(tmp_path) == "From Env"


def test_author_is_read_from_the_user_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`user.name` in ~/.gitconfig is the author (the last one, as git reads it)."""
    _home(tmp_path, monkeypatch, '[user]\n\tname = First\n[user]\n\tname = "Ada Lovelace"\n')
    assert git_author(tmp_path) == "Ada Lovelace"


def test_author_behind_an_include_is_asked_of_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user name only reachable through `[include]` is found by running git itself."""
    home = _home(tmp_path, monkeypatch, "[include]\n\tpath = ~/.gitconfig-identity\n")
    (home / ".gitconfig-identity").write_text("[user]\n\tname = Included Name\n")
    assert git_author(tmp_path) == "Included Name"


def test_no_author_is_an_empty_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without any user name the variable is empty, not an error."""
    _home(tmp_path, monkeypatch, "[core]\n\teditor = vi\n")
    assert git_author(tmp_path) == ""


def _git(folder: Path, *args: str) -> None:
    run(["git", "-C", folder, *args], check=True)


def test_author_honours_git_config_global(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`GIT_CONFIG_GLOBAL` replaces ~/.gitconfig, as it does for git."""
    _home(tmp_path, monkeypatch, "[user]\n\tname = Home Name\n")
    elsewhere = tmp_path / "global.gitconfig"
    elsewhere.write_text("[user]\n\tname = Global Name\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(elsewhere))
    assert git_author(tmp_path) == "Global Name"


def test_author_of_a_worktree_is_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worktree's own `user.name` (extensions.worktreeConfig) wins in that worktree."""
    _home(tmp_path, monkeypatch, "[user]\n\tname = Home Name\n\temail = home@example.com\n")
    repo, tree = tmp_path / "repo", tmp_path / "tree"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    _git(repo, "worktree", "add", "-q", str(tree))
    _git(repo, "config", "extensions.worktreeConfig", "true")
    _git(tree, "config", "--worktree", "user.name", "Worktree Name")
    assert git_author(tree) == "Worktree Name"
    assert git_author(repo) == "Home Name"
