"""Writing files whole or not at all: readers see the old file or the new one, never half.

TOML goes through `tomli-w`: no hand-written emitter.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` through a new temporary file in the same folder, then rename.

    The temporary file is created with `O_EXCL`, so it is never another writer's. Unlike
    `tempfile.mkstemp` (always 0600), the file gets the usual permissions (0666 minus the
    umask): workspaces and run folders are often read by colleagues.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def toml_text(data: Mapping[str, Any], header: str = "") -> str:
    """`data` as TOML (through tomli-w), after `header` comment lines."""
    import tomli_w

    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + tomli_w.dumps(dict(data))
