"""JSON for `--json` output: strict, so any JSON parser reads it.

Python's `json` writes the floats NaN and infinity as bare `NaN` and `Infinity`, which
the JSON standard (and `jq`, JavaScript, Go) rejects; here they become the strings
`"NaN"`, `"Infinity"` and `"-Infinity"`.
"""

from __future__ import annotations

import json
import math
from typing import Any


def json_text(data: Any) -> str:
    """`data` as indented, strict JSON text (non-finite floats as strings)."""
    return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False)


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data
