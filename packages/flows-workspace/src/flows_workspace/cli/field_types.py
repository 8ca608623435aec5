"""Types for the fields of `flow` subcommands that tyro checks without importing typeguard.

tyro checks each field's default against the field's type. For a type its fast path
does not know (a parametrized `tuple[str, ...]`, or `str | None`, a `types.UnionType`)
it imports typeguard, which imports asyncio and unittest.mock: 50-75 ms on every
`flow runs`. A bare `tuple` parses the same (each word a str) and `Optional[str]` is
a `typing.Union`; type checkers see the precise types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    Words = tuple[str, ...]
    MaybeText = str | None
else:
    Words = tuple
    MaybeText = Optional[str]  # noqa: UP045 - a `typing.Union` on purpose (see above)
