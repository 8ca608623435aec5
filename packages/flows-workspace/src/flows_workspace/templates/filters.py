"""Jinja2 filters that put a variable's value into code safely, whatever the value.

A template writes `{{ seed | py }}` where Python expects a literal and
`{{ description | pydoc }}` inside a triple-quoted docstring: no value can end the
literal early or add code, and the value reaches the program verbatim.
`{{ value | json }}` is the same for JSON (notebooks).
"""

from __future__ import annotations

import json
import math

_SHORT_ESCAPES = {"\\": "\\\\", "\r": "\\r", "\t": "\\t"}


def py_literal(value: object) -> str:
    """`value` as a Python literal: `repr` for str, int and bool, and finite floats.

    Raises:
        TypeError: `value` has no literal this filter vouches for.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, (str, int, float, bool)) or value is None:
        return repr(value)
    msg = f"the `py` filter takes str, int, float or bool, not {type(value).__name__}"
    raise TypeError(msg)


def py_docstring(value: object) -> str:
    """`str(value)` escaped to sit inside a `\"\"\"...\"\"\"` docstring and read back verbatim.

    Backslashes are escaped, and so is a quote followed by another or ending the value,
    so the value can neither end the docstring nor form an escape (a lone quote stays
    readable); newlines stay (a docstring may have several lines); other characters
    that are not printable (carriage returns, NUL, ...) become escapes, since Python
    would change or refuse them in source.
    """
    text = str(value)
    out = []
    for index, char in enumerate(text):
        if char == '"':
            closing = index + 1 == len(text) or text[index + 1] == '"'
            out.append('\\"' if closing else char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char == "\n" or char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1] if ord(char) > 0xFF else f"\\x{ord(char):02x}")
    return "".join(out)


def json_literal(value: object) -> str:
    """`value` as a JSON literal (non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False)


FILTERS = {"py": py_literal, "pydoc": py_docstring, "json": json_literal}
"""The filters every template can use."""
