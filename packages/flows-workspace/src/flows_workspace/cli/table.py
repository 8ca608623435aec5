"""Plain-text tables for `flow list` and `flow templates`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print `rows` under `header`, columns padded to their widest cell."""
    everything = [list(map(str, row)) for row in (header, *rows)]
    widths = [max(map(len, column)) for column in zip(*everything, strict=True)]
    # One format per row and one write for the table: 10,000 runs print quickly.
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    sys.stdout.write("".join(f"{line.format(*row).rstrip()}\n" for row in everything))
