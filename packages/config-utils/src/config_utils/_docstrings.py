"""Read each parameter's help out of a docstring, Google style or numpy style.

Generated configs carry a docstring tyro reads reliably (a summary and an `Args:`
section with one entry per field), made from whatever style the target was written in;
libraries like torch mix Google sections with reStructuredText notes and math.
"""

from __future__ import annotations

import re

_GOOGLE_HEADER = re.compile(
    r"^(\s*)(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters)"
    r"\s*:\s*$"
)
_GOOGLE_ENTRY = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:(.*)$")
_NUMPY_HEADERS = frozenset({"Parameters", "Other Parameters", "Keyword Arguments"})
_NUMPY_ENTRY = re.compile(r"^\*{0,2}(\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::.*)?$")
_DEFAULT_NOTE = re.compile(
    r"\s*(\(default:\s*(?:[^()]|\([^()]*\))*\)|Default:\s*[^\s].*?(\.|$))", re.IGNORECASE
)


def summary(doc: str) -> str:
    """The first paragraph of `doc`, on one line."""
    paragraph = doc.strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split())


def parameter_help(doc: str) -> dict[str, str]:
    """Parameter name -> its help text (one line), from Google and numpy sections of `doc`.

    Default values stated in the text are dropped: tyro shows the real default.
    """
    lines = doc.expandtabs().splitlines()
    found: dict[str, list[str]] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        google = _GOOGLE_HEADER.match(line)
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if google:
            index = _read_google(lines, index + 1, len(google.group(1)), found)
        elif line.strip() in _NUMPY_HEADERS and following and set(following) == {"-"}:
            index = _read_numpy(lines, index + 2, _indent(line), found)
        else:
            index += 1
    return {name: _clean(" ".join(words)) for name, words in found.items()}


def _read_google(lines: list[str], index: int, header: int, found: dict[str, list[str]]) -> int:
    entry_indent: int | None = None
    current: list[str] | None = None
    while index < len(lines):
        line = lines[index]
        if line.strip():
            indent = _indent(line)
            if indent <= header:
                break
            entry_indent = indent if entry_indent is None else entry_indent
            entry = _GOOGLE_ENTRY.match(line.strip()) if indent == entry_indent else None
            if entry:
                current = found.setdefault(entry.group(1), [])
                current.append(entry.group(2).strip())
            elif current is not None:
                current.append(line.strip())
        index += 1
    return index


def _read_numpy(lines: list[str], index: int, header: int, found: dict[str, list[str]]) -> int:
    current: list[list[str]] = []
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if line.strip() and following and set(following) == {"-"}:
            break  # the next section
        if line.strip():
            entry = _NUMPY_ENTRY.match(line.strip()) if _indent(line) <= header else None
            if entry:
                names = [n.strip().lstrip("*") for n in entry.group(1).split(",")]
                current = [found.setdefault(name, []) for name in names]
            elif _indent(line) <= header:
                break
            else:
                for words in current:
                    words.append(line.strip())
        index += 1
    return index


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _clean(text: str) -> str:
    return " ".join(_DEFAULT_NOTE.sub("", text).split()).rstrip(" ,;")
