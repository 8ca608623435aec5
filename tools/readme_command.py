"""Print a command the root README shows, so CI and nox run exactly what users read.

A command in README.md is the fenced block right after a marker line
`<!-- command: NAME -->`. Usage: `python tools/readme_command.py NAME`.
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_command(name: str, readme: Path = README) -> str:
    """The shell text of the fenced block after `<!-- command: name -->` in `readme`."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    marker = f"<!-- command: {name} -->"
    try:
        start = lines.index(marker) + 1
    except ValueError:
        msg = f"{readme} has no `{marker}` line; add it before the command's fenced block"
        raise SystemExit(msg) from None
    while start < len(lines) and not lines[start].startswith("```"):
        start += 1
    end = start + 1
    while end < len(lines) and not lines[end].startswith("```"):
        end += 1
    if end >= len(lines):
        msg = f"{readme}: the block after `{marker}` is not a closed fenced code block"
        raise SystemExit(msg)
    return "\n".join(lines[start + 1 : end]).strip()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tools/readme_command.py NAME")
    print(readme_command(sys.argv[1]))
