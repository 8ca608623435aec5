"""Names: which experiment and folder names are accepted, and distribution names' one form.

Experiments are importable as `flows.NAME`, so a name must be a Python identifier
that is not a keyword; it names one folder directly under the flows folder.
"""

from __future__ import annotations

import keyword
import os
import re
import unicodedata

from flows_workspace._errors import BadInputError

MAX_LENGTH = 100
"""The longest experiment name accepted."""
_SEPARATORS = tuple(sep for sep in ("/", "\\", os.sep, os.altsep) if sep)


def check_experiment_name(name: str) -> str:
    """Return `name` if it can name an experiment.

    Raises:
        BadInputError: the name is empty, `.`/`..`, a path, not an identifier, a
            keyword, reserved (dunder) or too long; the message says what to use instead.
    """
    problem = name_problem(name)
    if problem is not None:
        msg = f"experiment name `{name}` {problem}; use a Python identifier such as `exp1`"
        raise BadInputError(msg)
    return name


def folder_name_problem(name: str) -> str | None:
    """Why `name` is not one plain folder name (one path component), or None if it is."""
    if not name.strip():
        return "is empty"
    if name in (".", ".."):
        return "is a relative directory, not a name"
    if os.path.isabs(name):
        return "is an absolute path, not a name"
    if any(sep in name for sep in _SEPARATORS):
        return "contains a path separator"
    return None


def name_problem(name: str) -> str | None:
    """Why `name` cannot name an experiment, or None if it can."""
    problem = folder_name_problem(name)
    if problem is not None:
        return problem
    if len(name) > MAX_LENGTH:
        # File systems cap a name at 255 bytes, and the staging folder adds a prefix.
        return f"is longer than {MAX_LENGTH} characters"
    if not name.isidentifier():
        return "is not a Python identifier (experiments are importable as `flows.NAME`)"
    if unicodedata.normalize("NFKC", name) != name:
        # Python imports `flows.ﬁx` as `flows.fix` (identifiers are NFKC-normalised), so
        # the folder would never be found.
        return "changes under Unicode NFKC normalisation, so it cannot be imported"
    if keyword.iskeyword(name):
        return "is a Python keyword"
    if name.startswith("__") and name.endswith("__"):
        return "is reserved (dunder names belong to Python)"
    return None


def canonical_distribution_name(name: str) -> str:
    """The PEP 503 form of a distribution name: lower case, runs of `-_.` as one `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()
