"""The file-by-file three-way merge behind `flow update`, and the renaming of a fork's text."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import pytest
from flows_workspace.updates.merge_base import SIZE_CAP, read_files
from flows_workspace.updates.three_way import THEIRS_SUFFIX, Labels, merge_trees
from flows_workspace.workspace.renaming import rename_in_file, rename_in_python
from hypothesis import given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from pathlib import Path

LABELS = Labels(ours="exp (yours)", base="as created", theirs="template t 2")


def test_unchanged_file_takes_theirs_and_removed_file_goes() -> None:
    """A file left as created follows upstream, including upstream removing it."""
    result = merge_trees(
        {"a.py": b"1\n", "gone.py": b"x\n"},
        {"a.py": b"1\n", "gone.py": b"x\n"},
        {"a.py": b"2\n"},
        LABELS,
    )
    actions = {change.path: (change.action, change.data) for change in result.changes}
    assert actions == {"a.py": ("updated", b"2\n"), "gone.py": ("deleted", None)}


def test_edited_file_upstream_removed_is_kept() -> None:
    """A file the user changed and upstream removed is kept, with a note."""
    result = merge_trees({"a.py": b"1\n"}, {"a.py": b"mine\n"}, {}, LABELS)
    (change,) = result.changes
    assert (change.action, change.data) == ("kept", None)
    assert "removed by template t 2" in change.note


def test_both_added_differently_conflicts() -> None:
    """A file added on both sides with different content holds both, between markers."""
    result = merge_trees({}, {"n.py": b"mine\n"}, {"n.py": b"theirs\n"}, LABELS)
    (change,) = result.changes
    assert change.action == "conflict"
    assert change.data is not None
    assert b"<<<<<<< exp (yours)\nmine\n=======\ntheirs\n>>>>>>> template t 2\n" in change.data
    assert result.conflicts == ["n.py"]


def test_binary_conflict_keeps_ours_and_offers_theirs_beside_it() -> None:
    """Both sides changed a binary file: theirs goes beside it, never over it."""
    result = merge_trees({"w.bin": b"\0a"}, {"w.bin": b"\0b"}, {"w.bin": b"\0c"}, LABELS)
    (change,) = result.changes
    assert change.beside
    assert change.data == b"\0c"
    assert f"w.bin{THEIRS_SUFFIX}" in change.note


def test_python_rename_touches_text_never_identifiers() -> None:
    """In Python, the name changes in docstrings, strings and comments, not in code."""
    source = '"""exp1: fits."""\nexp1 = f"{exp1} of exp1"  # exp1\nexp12 = "exp12"\n'
    assert rename_in_python(source, "exp1", "exp2") == (
        '"""exp2: fits."""\nexp1 = f"{exp1} of exp2"  # exp2\nexp12 = "exp12"\n'
    )


def test_markdown_rename_and_other_files_untouched() -> None:
    """Markdown renames whole words; other file kinds and non-UTF-8 files stay as they are."""
    assert rename_in_file("README.md", b"# exp1\nflows/exp1/run.py exp10\n", "exp1", "e") == (
        b"# e\nflows/e/run.py exp10\n"
    )
    assert rename_in_file("data.csv", b"exp1\n", "exp1", "e") == b"exp1\n"
    assert rename_in_file("x.md", b"exp1 \xff\n", "exp1", "e") == b"exp1 \xff\n"


@settings(max_examples=30, deadline=None)
@given(
    lines=st.lists(st.text(alphabet="abc xyz", min_size=1, max_size=8), min_size=8, max_size=20),
    data=st.data(),
)
def test_edits_apart_from_each_other_both_survive(lines: list[str], data: st.DataObject) -> None:
    """Our edit and theirs, at least three lines apart, both land in the clean merge."""
    ours_at = data.draw(st.integers(0, len(lines) - 1))
    theirs_at = data.draw(
        st.integers(0, len(lines) - 1).filter(lambda index: abs(index - ours_at) >= 3)
    )
    base = [f"{index} {line}\n" for index, line in enumerate(lines)]
    ours, theirs = list(base), list(base)
    ours[ours_at] = "OURS\n"
    theirs[theirs_at] = "THEIRS\n"
    result = merge_trees(
        {"f": "".join(base).encode()},
        {"f": "".join(ours).encode()},
        {"f": "".join(theirs).encode()},
        LABELS,
    )
    (change,) = result.changes
    assert change.action == "merged"
    expected = list(base)
    expected[ours_at], expected[theirs_at] = "OURS\n", "THEIRS\n"
    assert change.data == "".join(expected).encode()


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_special_and_large_files_are_not_code(tmp_path: Path) -> None:
    """A FIFO, a symlink, a file over the size cap and merge leftovers are not code."""
    (tmp_path / "run.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "run.py")
    os.mkfifo(tmp_path / "pipe")
    with (tmp_path / "weights.bin").open("wb") as stream:
        stream.truncate(SIZE_CAP + 1)
    (tmp_path / f"w.bin{THEIRS_SUFFIX}").write_bytes(b"\0")
    (tmp_path / ".flow-base.new.123").mkdir()
    (tmp_path / ".flow-base.new.123/run.py").write_text("half\n")
    assert read_files(tmp_path) == {"run.py": b"x = 1\n"}
