"""Typed template variables: turning a `--var KEY=VALUE` text into the declared type.

A value that does not fit its variable's type is one line naming the bad value and
saying what to give instead, before anything is written. The built-in `date` must be
an ISO date; every value must be text that can be written as UTF-8.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError

if TYPE_CHECKING:
    from flows_workspace.templates.metadata import VariableSpec, VariableValue

TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")


def parse_value(key: str, spec: VariableSpec, text: str) -> VariableValue:
    """`text` (from `--var KEY=TEXT`) as a value of `spec`'s type.

    Raises:
        BadInputError: `text` does not fit the type; the message shows a good value.
    """
    check_text(key, text)
    given = f"`--var {key}={text}`"
    example = f"e.g. `--var {key}={spec.default}`"
    if spec.type == "int":
        try:
            return int(text)
        except ValueError:
            msg = f"{given}: `{key}` is an integer; give a whole number, {example}"
            raise BadInputError(msg) from None
    if spec.type == "float":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            msg = f"{given}: `{key}` is a float; give a finite number, {example}"
            raise BadInputError(msg)
        return number
    if spec.type == "bool":
        word = text.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        msg = f"{given}: `{key}` is a bool; give `true` or `false`"
        raise BadInputError(msg)
    if spec.type == "choice" and text not in spec.choices:
        listed = ", ".join(f"`{choice}`" for choice in spec.choices)
        msg = f"{given}: `{key}` is one of {listed}; pick one of them"
        raise BadInputError(msg)
    return text


def check_date(text: str) -> str:
    """`text` if it is an ISO date (`--var date=...`).

    Raises:
        BadInputError: it is not a `YYYY-MM-DD` date.
    """
    try:
        date.fromisoformat(text)
    except ValueError:
        msg = f"`--var date={text}`: `date` must be a date as YYYY-MM-DD, e.g. 2026-01-31"
        raise BadInputError(msg) from None
    return text


def check_text(key: str, text: str) -> str:
    """`text` if it can be written to a file as UTF-8 (command-line bytes may not be).

    Raises:
        BadInputError: it holds characters no UTF-8 file can hold.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        msg = f"`--var {key}=...`: the value is not UTF-8 text; give `{key}` as UTF-8"
        raise BadInputError(msg) from None
    return text


def default_problem(spec: VariableSpec) -> str | None:
    """Why `spec`'s default does not fit its type, or None if it does."""
    value = spec.default
    fits = {
        "str": isinstance(value, str),
        "choice": isinstance(value, str) and value in spec.choices,
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value),
        "bool": isinstance(value, bool),
    }[spec.type]
    if fits:
        return None
    if spec.type == "choice":
        return f"`{value}` is not one of its choices"
    return f"`{value!r}` is not a {spec.type}"


def from_record(spec: VariableSpec | None, value: VariableValue) -> VariableValue:
    """A recorded value in its variable's current type (records before types hold text)."""
    if spec is None or not isinstance(value, str) or spec.type in ("str", "choice"):
        return value
    try:
        return parse_value("recorded", spec, value)
    except BadInputError:
        return value
