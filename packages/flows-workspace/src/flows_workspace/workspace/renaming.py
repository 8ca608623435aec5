"""Rewriting the text that names an experiment, when a fork or `flow mv` gives it a new name.

Only text that *names* the experiment changes, never code that happens to use the same
word: in Python files (and notebook code cells) the name is replaced inside string
literals, docstrings and comments only, never in identifiers; in Markdown, reST, plain
text and notebook Markdown cells everywhere. The name must stand alone as a word
(`exp1` in `flows/exp1/run.py`, not in `exp12` or `my_exp1`). Other files are kept
byte for byte, and so is any file that is not UTF-8.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

TEXT_SUFFIXES = (".md", ".markdown", ".rst", ".txt")
"""Files whose every word is text."""
_TEXT_TOKENS = {tokenize.STRING, tokenize.COMMENT}
# Python 3.12+ splits f-strings into parts; their literal parts are text too.
_TEXT_TOKENS |= {getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}


def rename_in_files(files: Mapping[str, bytes], old: str, new: str) -> dict[str, bytes]:
    """`files` with the text naming `old` rewritten to name `new`."""
    return {path: rename_in_file(path, data, old, new) for path, data in files.items()}


def rename_in_file(path: str, data: bytes, old: str, new: str) -> bytes:
    """The bytes of file `path` with the text naming experiment `old` naming `new`."""
    if old == new or old.encode() not in data:
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    if path.endswith(".py"):
        rewritten = rename_in_python(text, old, new)
    elif path.endswith(".ipynb"):
        rewritten = _rename_in_notebook(text, old, new)
    elif path.endswith(TEXT_SUFFIXES):
        rewritten = rename_words(text, old, new)
    else:
        return data
    return rewritten.encode("utf-8")


def rename_words(text: str, old: str, new: str) -> str:
    """`text` with every stand-alone word `old` replaced by `new`."""
    return re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, text)


def rename_in_python(source: str, old: str, new: str) -> str:
    """Python `source` with `old` renamed in its strings, docstrings and comments only.

    Source that does not tokenize (not valid Python) is returned unchanged.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    line_starts = [0]
    for line in io.StringIO(source):  # the lines tokenize counts (split at "\n" only)
        line_starts.append(line_starts[-1] + len(line))
    pieces: list[str] = []
    done = 0
    for token in tokens:
        if token.type not in _TEXT_TOKENS:
            continue
        start = line_starts[token.start[0] - 1] + token.start[1]
        end = line_starts[token.end[0] - 1] + token.end[1]
        if start < done:
            continue
        text = source[start:end]
        renamed = (
            _rename_in_literal(text, old, new)
            if token.type == tokenize.STRING
            else rename_words(text, old, new)
        )
        pieces += [source[done:start], renamed]
        done = end
    pieces.append(source[done:])
    return "".join(pieces)


def _rename_in_literal(literal: str, old: str, new: str) -> str:
    """A string literal or comment renamed; an f-string's `{...}` fields are code and stay.

    (Python 3.12+ hands f-strings over in parts, so this matters before 3.12 only.)
    """
    prefix = re.match(r"[A-Za-z]*", literal)
    if prefix is None or "f" not in prefix.group().lower():
        return rename_words(literal, old, new)
    parts = re.split(r"(\{[^{}]*\})", literal)
    return "".join(
        part if index % 2 else rename_words(part, old, new) for index, part in enumerate(parts)
    )


def _rename_in_notebook(text: str, old: str, new: str) -> str:
    """A notebook's JSON with `old` renamed in Markdown cells and code cells' text."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        return text
    changed = False
    for cell in cells:
        source = cell.get("source") if isinstance(cell, dict) else None
        if not isinstance(source, (str, list)):
            continue
        joined = source if isinstance(source, str) else "".join(source)
        if cell.get("cell_type") == "code":
            renamed = rename_in_python(joined, old, new)
        else:
            renamed = rename_words(joined, old, new)
        if renamed != joined:
            changed = True
            cell["source"] = renamed if isinstance(source, str) else _lines(renamed)
    if not changed:
        return text
    # The layout nbformat and Jupyter write: one-space indent, non-ASCII kept.
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)
