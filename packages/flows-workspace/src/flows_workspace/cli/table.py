"""Plain-text tables for `flow list` and `flow templates`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print `rows` under `header`, columns padded to their widest cell."""
    everything = [[str(cell) for cell in row] for row in (header, *rows)]
    widths = [max(map(len, column)) for column in zip(*everything, strict=True)]
    lines = (
        "  ".join([cell.ljust(width) for cell, width in zip(row, widths, strict=True)]).rstrip()
        for row in everything
    )
    # One write: a table of 10,000 runs is printed in one go, not line by line.
    sys.stdout.write("".join(f"{line}\n" for line in lines))
