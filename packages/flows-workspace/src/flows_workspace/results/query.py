"""Choosing and ordering runs by their columns: `--where KEY<OP>VALUE` and `--sort [-]KEY`."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from flows_workspace._errors import BadInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from flows_workspace.results.records import RunColumns

    RunColumnsT = TypeVar("RunColumnsT", bound=RunColumns)

_CONDITION = re.compile(r"^\s*([^<>=!~\s]+)\s*(<=|>=|!=|==|=|<|>|~)\s*(.*?)\s*$")
_TAG_KEYS = ("tag", "tags")
OPERATORS = "=, !=, <, <=, >, >=, ~ (contains)"


def known_columns(records: Sequence[RunColumns]) -> dict[str, None]:
    """Every column some record has, in a stable order (run facts first)."""
    from flows_workspace.results.records import RUN_FACTS

    known: dict[str, None] = dict.fromkeys(RUN_FACTS)
    for record in records:
        known.update(dict.fromkeys(record.column_names()))
    return known


def check_column(name: str, known: dict[str, None], where: str) -> None:
    """Raise a one-line `BadInputError` unless `name` is a known column."""
    if name in known or name in _TAG_KEYS:
        return
    close = [column for column in known if name.lower() in column.lower()][:8]
    hint = f"did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    listed = hint or "known: " + ", ".join(f"`{c}`" for c in list(known)[:20])
    msg = f"unknown column `{name}` in {where}; {listed} (`flow runs --json` shows them all)"
    raise BadInputError(msg)


@dataclass(frozen=True)
class Condition:
    """One `--where` condition: `KEY OP VALUE`."""

    key: str
    op: str
    operand: str
    text: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Parse `optimizer.lr<0.01`, `status=finished`, `tags=best`, `note~typo`.

        Raises:
            BadInputError: not of the form KEY OP VALUE.
        """
        match = _CONDITION.match(text)
        if match is None or not match.group(3):
            msg = (
                f"cannot read `--where {text}`: write KEY OP VALUE, e.g. `optimizer.lr<0.01` "
                f"or `status=finished` (operators: {OPERATORS})"
            )
            raise BadInputError(msg)
        key, op, operand = match.groups()
        return cls(key, "=" if op == "==" else op, operand, text)

    def holds(self, record: RunColumns) -> bool:
        """Whether `record` satisfies the condition (a run without the key does not).

        Raises:
            BadInputError: the value is not a number where the column holds numbers.
        """
        if self.key in _TAG_KEYS and self.op in ("=", "!="):
            return (self.operand in record.tags) == (self.op == "=")
        value = record.get(self.key)
        if value is None:
            return False
        if isinstance(value, bool):
            return _compare(value, self.op, self._truth())
        if isinstance(value, (int, float)):
            return _compare(float(value), self.op, self._number())
        return _compare(str(value), self.op, self.operand)

    def _number(self) -> float:
        try:
            return float(self.operand)
        except ValueError:
            msg = (
                f"`--where {self.text}`: `{self.key}` holds numbers and `{self.operand}` is not one"
            )
            raise BadInputError(msg) from None

    def _truth(self) -> bool:
        lowered = self.operand.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        msg = f"`--where {self.text}`: `{self.key}` is true or false, not `{self.operand}`"
        raise BadInputError(msg)


def _compare(value: Any, op: str, operand: Any) -> bool:
    if op == "~":
        return str(operand) in str(value)
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: bool(a == b),
        "!=": lambda a, b: bool(a != b),
        "<": lambda a, b: bool(a < b),
        "<=": lambda a, b: bool(a <= b),
        ">": lambda a, b: bool(a > b),
        ">=": lambda a, b: bool(a >= b),
    }
    return comparisons[op](value, operand)


def sort_key(column: str) -> Callable[[RunColumns], tuple[int, Any]]:
    """A key ordering runs by `column`; runs without a value (or NaN) go last."""

    def key(record: RunColumns) -> tuple[int, Any]:
        value = record.get(column)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (2, 0)
        if isinstance(value, (int, float)):
            return (0, value)
        return (1, str(value))

    return key


def select(
    records: Sequence[RunColumnsT], where: Sequence[str], sort: str | None
) -> list[RunColumnsT]:
    """The records satisfying every condition, ordered by `sort` (`-KEY`: descending).

    Raises:
        BadInputError: a malformed condition, or an unknown column.
    """
    conditions = [Condition.parse(text) for text in where]
    known = known_columns(records) if records and (conditions or sort) else {}
    if records:
        for condition in conditions:
            check_column(condition.key, known, f"`--where {condition.text}`")
    chosen = [record for record in records if all(c.holds(record) for c in conditions)]
    if sort:
        descending = sort.startswith("-")
        column = sort[1:] if descending else sort
        if records:
            check_column(column, known, f"`--sort {sort}`")
        key = sort_key(column)
        present = [record for record in chosen if key(record)[0] < 2]
        missing = [record for record in chosen if key(record)[0] == 2]
        chosen = sorted(present, key=key, reverse=descending) + missing
    return chosen
