"""The build backend of the repository root, which is not a distribution.

The original system was installed with `pip install "flows-workspace @ git+URL"`, the
repository root then being flows-workspace itself. The root now holds three
distributions under packages/; pip building it would fail deep in setuptools' package
discovery. Every hook instead says, in one line, how to install from a URL now.
"""

from __future__ import annotations

import sys
from typing import NoReturn

HOW = (
    "this repository holds three distributions (packages/config-utils, "
    "packages/flow-templates, packages/flows-workspace), not one at its root; install "
    'with `uv pip install "flows-workspace @ git+URL#subdirectory=packages/flows-workspace"` '
    "(uv takes the other two from the same commit), or name all three "
    "`#subdirectory=` URLs to pip, as the README's Install section shows"
)


def _refuse(*_args: object, **_kwargs: object) -> NoReturn:
    print(f"error: {HOW}", file=sys.stderr)
    raise SystemExit(1)


get_requires_for_build_wheel = _refuse
get_requires_for_build_sdist = _refuse
get_requires_for_build_editable = _refuse
prepare_metadata_for_build_wheel = _refuse
prepare_metadata_for_build_editable = _refuse
build_wheel = _refuse
build_sdist = _refuse
build_editable = _refuse
