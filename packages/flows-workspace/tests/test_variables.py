"""The `author` template variable: git's user name, read from config files or from git."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows_workspace import _variables
from flows_workspace._variables import git_author

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitconfig: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(gitconfig, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")  # for git; the reader below too
    monkeypatch.setattr(_variables, "SYSTEM_GIT_CONFIG", tmp_path / "no-system-gitconfig")
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
