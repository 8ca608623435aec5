"""Fail unless each named distribution was installed from a path under ROOT, not editable.

Usage: `python tools/check_provenance.py ROOT DIST [DIST ...]`. Run inside the
environment to check: it reads each distribution's PEP 610 `direct_url.json`, which
pip and uv write for installs from a path or URL and never for installs from an index.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from urllib.parse import unquote, urlparse


def installed_from(name: str) -> Path:
    """The local path `name` was installed from; exits with a message otherwise."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        raise SystemExit(f"`{name}` is not installed") from None
    text = dist.read_text("direct_url.json")
    if text is None:
        raise SystemExit(f"`{name}` {dist.version} came from a package index, not this repository")
    info = json.loads(text)
    if info.get("dir_info", {}).get("editable"):
        raise SystemExit(f"`{name}` is an editable install; install it from its path instead")
    url = urlparse(info.get("url", ""))
    if url.scheme != "file":
        raise SystemExit(f"`{name}` came from `{info.get('url')}`, not from a local path")
    return Path(unquote(url.path)).resolve()


def main(root: Path, names: list[str]) -> None:
    """Check every distribution in `names`."""
    for name in names:
        source = installed_from(name)
        if not source.is_relative_to(root):
            raise SystemExit(f"`{name}` came from `{source}`, outside `{root}`")
        print(f"{name}: installed from {source}")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2:])
