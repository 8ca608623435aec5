"""Fail unless each named distribution is ours: installed from under ROOT, not editable.

Usage: `python tools/check_provenance.py ROOT DIST [DIST ...] [--source REPO]`. Run it
inside the environment to check. For each distribution it reads the PEP 610
`direct_url.json`, which pip and uv write for installs from a path, a wheel file or a
git URL and never for installs from an index, and it requires:

- the install came from a local path under ROOT (a folder, a wheel, or a `git+file` URL);
- it is not editable;
- its version is the one in REPO's source (REPO defaults to ROOT), and every source file
  of its package under `REPO/packages/DIST/src/` is installed with the same bytes.

The package index holds an unrelated project named `config-utils`; these checks are what
prove an install way gave our `config_utils`, not that one.
"""

from __future__ import annotations

import argparse
import json
import re
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path
from urllib.parse import unquote, urlparse


def installed_from(name: str) -> Path:
    """The local path `name` was installed from; exits with a message otherwise."""
    dist = _distribution(name)
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


def check_same_as_source(name: str, repo: Path) -> int:
    """Exit unless `name`'s version and package files equal `repo`'s source; count the files."""
    dist = _distribution(name)
    package = name.replace("-", "_")
    source = repo / "packages" / name / "src" / package
    init = (source / "__init__.py").read_text(encoding="utf-8")
    declared = re.search(r'^__version__ = "([^"]+)"', init, re.MULTILINE)
    if declared is None or declared.group(1) != dist.version:
        expected = declared.group(1) if declared else "?"
        raise SystemExit(f"`{name}` {dist.version} is installed, but {source} is {expected}")
    files = [
        path
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]
    for path in files:
        relative = path.relative_to(source.parent).as_posix()
        installed = Path(str(dist.locate_file(relative)))
        if not installed.is_file() or installed.read_bytes() != path.read_bytes():
            raise SystemExit(f"`{name}` installed `{relative}` differs from {path}")
    return len(files)


def _distribution(name: str) -> Distribution:
    try:
        return distribution(name)
    except PackageNotFoundError:
        raise SystemExit(f"`{name}` is not installed") from None


def main(root: Path, names: list[str], repo: Path) -> None:
    """Check every distribution in `names`."""
    for name in names:
        source = installed_from(name)
        if not source.is_relative_to(root):
            raise SystemExit(f"`{name}` came from `{source}`, outside `{root}`")
        count = check_same_as_source(name, repo)
        print(f"{name}: installed from {source}, its {count} package files as in {repo}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="every install must come from under ROOT")
    parser.add_argument("names", nargs="+", metavar="DIST", help="distribution names")
    parser.add_argument(
        "--source", type=Path, metavar="REPO", help="the checkout to compare with (ROOT)"
    )
    args = parser.parse_args()
    main(args.root.resolve(), args.names, (args.source or args.root).resolve())
