"""A parser for the plainest `flow create` command lines, so they need not import tyro.

`flow create NAME [--template T] [--var KEY=VALUE]... [--from OTHER]` is the command
people run most, and importing tyro and building its parser is most of its time. This
parser accepts exactly that grammar (each option once, except `--var`, values not
starting with `-`, and no `None` for an optional value, which tyro reads as "not
given") and gives up (returns None) on anything else, so tyro handles help,
`--opt=value` forms, repeats and every error. A property test checks that whenever it
answers, tyro answers the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

_SINGLE_OPTIONS = {"--template": "template", "--from": "from_"}


@dataclass(frozen=True)
class PlainCreate:
    """A `flow create` parsed here; the same fields and behaviour as `Create`."""

    name: str
    template: str | None
    var: tuple[str, ...]
    from_: str | None

    def run(self) -> None:
        """Create the experiment, exactly as `Create.run` does."""
        from flows_workspace._create import run_create

        run_create(self.name, template=self.template, assignments=self.var, from_=self.from_)


def parse_plain_create(argv: Sequence[str]) -> PlainCreate | None:
    """The `flow create` command `argv` means, or None to let tyro parse it."""
    if not argv or argv[0] != "create":
        return None
    name: str | None = None
    single: dict[str, str] = {}
    assignments: list[str] = []
    tokens = iter(argv[1:])
    for token in tokens:
        if token == "--var" or token in _SINGLE_OPTIONS:
            value = next(tokens, None)
            if value is None or value.startswith("-"):
                return None
            if token in _SINGLE_OPTIONS and value == "None":
                return None  # tyro reads `None` for an Optional field as the default
            if token == "--var":
                assignments.append(value)
            elif _SINGLE_OPTIONS[token] in single:
                return None
            else:
                single[_SINGLE_OPTIONS[token]] = value
        elif token.startswith("-") or name is not None:
            return None
        else:
            name = token
    if name is None:
        return None
    return PlainCreate(
        name=name,
        template=single.get("template"),
        var=tuple(assignments),
        from_=single.get("from_"),
    )
