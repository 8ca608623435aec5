"""Rendering a template folder: `.jinja` files through Jinja2, everything else byte for byte.

jinja2 is imported only when a template is rendered, so `flow --help` stays fast.
"""

from __future__ import annotations

import re
import stat
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace.templates.metadata import METADATA_NAME

if TYPE_CHECKING:
    import sys
    from collections.abc import Iterator, Mapping

    import jinja2

    from flows_workspace.templates.metadata import Template

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

JINJA_SUFFIX = ".jinja"
CACHE_PATTERNS = ("__pycache__", ".ipynb_checkpoints", "*.pyc")
"""Names never copied from a template or into a fork (caches a folder may have picked up)."""


def render_template(template: Template, destination: Path, variables: Mapping[str, object]) -> None:
    """Render `template` into the existing folder `destination`.

    Files ending in `.jinja` are rendered with `variables` (suffix dropped); an undefined
    variable is an error, never an empty string. Other files are copied byte for byte;
    execute permission is kept. Empty folders are not created.
    Caches (`__pycache__`, `.ipynb_checkpoints`, `*.pyc`) and the template's
    `template.toml` are left out. Existing files in `destination` are never overwritten.

    Every file is rendered before any is written, so a template error writes nothing.

    Raises:
        BadInputError: a `.jinja` file uses a variable that is not defined.
        FlowsError: a `.jinja` file is not valid Jinja2 or not UTF-8, two files render to
            the same path, or a file already exists in `destination`.
    """
    if not destination.is_dir():
        msg = f"cannot render template `{template.name}` into `{destination}`: not a folder"
        raise FlowsError(msg)
    # Render everything before writing anything, so a bad template writes nothing.
    outputs: dict[tuple[str, ...], tuple[bytes, bool]] = {}
    environment = None
    for source, parts in _walk(template.root, ()):
        if parts == (METADATA_NAME,):
            continue
        if parts[-1].endswith(JINJA_SUFFIX):
            environment = environment or _environment()
            data = _render_one(environment, template, source, parts, variables)
            parts = (*parts[:-1], parts[-1][: -len(JINJA_SUFFIX)])
        else:
            data = source.read_bytes()
        if parts in outputs:
            msg = (
                f"template `{template.name}` (from {template.source}) has both `{'/'.join(parts)}` "
                f"and `{'/'.join(parts)}{JINJA_SUFFIX}`; keep one of them"
            )
            raise FlowsError(msg)
        outputs[parts] = (data, _is_executable(source))
    for parts in outputs:
        _refuse_existing(destination.joinpath(*parts), template, parts)
    for parts, (data, executable) in outputs.items():
        target = destination.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as stream:
            stream.write(data)
        if executable:
            target.chmod(target.stat().st_mode | (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def _walk(
    folder: Traversable | Path, parts: tuple[str, ...]
) -> Iterator[tuple[Traversable | Path, tuple[str, ...]]]:
    """Every file under `folder` (sorted, caches skipped) with its relative path parts."""
    for child in sorted(folder.iterdir(), key=lambda item: item.name):
        if any(fnmatch(child.name, pattern) for pattern in CACHE_PATTERNS):
            continue
        if isinstance(child, Path) and child.is_symlink() and child.is_dir():
            # Followed, a link to a big tree (a data set, `/`) would be walked whole.
            msg = (
                f"`{child}` in a template is a link to a folder, which templates do not follow; "
                "put the folder itself in the template"
            )
            raise FlowsError(msg)
        if child.is_dir():
            yield from _walk(child, (*parts, child.name))
        elif child.is_file():
            yield child, (*parts, child.name)


def _environment() -> jinja2.Environment:
    import jinja2

    from flows_workspace.templates.filters import FILTERS

    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters.update(FILTERS)
    return environment


def _render_one(
    environment: jinja2.Environment,
    template: Template,
    source: Traversable | Path,
    parts: tuple[str, ...],
    variables: Mapping[str, object],
) -> bytes:
    import jinja2

    relative = "/".join(parts)
    where = f"`{relative}` of template `{template.name}` (from {template.source})"
    try:
        text = source.read_text(encoding="utf-8")
        rendered = environment.from_string(text).render(dict(variables))
    except jinja2.UndefinedError as error:
        match = re.search(r"'([^']+)' is undefined", str(error))
        missing = match.group(1) if match else str(error)
        known = ", ".join(f"`{key}`" for key in sorted(variables)) or "none"
        msg = (
            f"{where} uses the undefined variable `{missing}`; "
            f"defined variables: {known} (declare it in the template's {METADATA_NAME})"
        )
        raise BadInputError(msg) from error
    except jinja2.TemplateSyntaxError as error:
        msg = f"{where} is not valid Jinja2 (line {error.lineno}): {error.message}"
        raise FlowsError(msg) from error
    except UnicodeDecodeError as error:
        msg = f"{where} is not UTF-8 text; drop its `{JINJA_SUFFIX}` suffix to copy it as is"
        raise FlowsError(msg) from error
    return rendered.encode("utf-8")


def _is_executable(source: Traversable | Path) -> bool:
    """Whether `source` is a file on disk with its owner's execute bit set (e.g. run.sh)."""
    # Traversables of installed packages are usually Paths; others (zips) carry no mode.
    return hasattr(source, "stat") and bool(source.stat().st_mode & stat.S_IXUSR)


def _refuse_existing(target: Path, template: Template, parts: tuple[str, ...]) -> None:
    if target.exists() or target.is_symlink():
        msg = (
            f"template `{template.name}`: `{'/'.join(parts)}` would overwrite `{target}`; "
            "render into an empty folder"
        )
        raise FlowsError(msg)
