"""The workspace marker `flows.toml`: finding it and reading its settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow, Tree


@pytest.mark.parametrize(
    ("marker", "says"),
    [
        (b"\xff\xfe not utf-8", "cannot read workspace settings"),
        (b"flows_dir = [", "cannot read workspace settings"),
        (b'flows_dir = "../elsewhere"', "flows folder name `../elsewhere`"),
        (b'logs_dir = "../elsewhere"', "`logs_dir` is `../elsewhere`"),
        (b'data_dir = ".."', "`data_dir` is `..`"),
        (b'data_dir = "logs"', "need different names"),
    ],
)
def test_unusable_marker_is_one_line_and_writes_nothing(
    workspace: Path,
    flow: Flow,
    tree: Tree,
    capsys: pytest.CaptureFixture[str],
    marker: bytes,
    says: str,
) -> None:
    """A garbled or hand-edited marker is one error line, and `flow create` writes nothing."""
    (workspace / "flows.toml").write_bytes(marker)
    (workspace.parent / "elsewhere").mkdir()
    before = tree(workspace.parent)
    assert flow("create", "exp1") == 1
    err = capsys.readouterr().err
    assert says in err
    assert err.count("\n") == 1
    assert tree(workspace.parent) == before
