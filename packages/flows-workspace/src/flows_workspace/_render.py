"""Rendering a template folder: `.jinja` files through Jinja2, everything else byte for byte.

jinja2 is imported only when a template is rendered, so `flow --help` stays fast.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from typing import TYPE_CHECKING

from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace._templates import METADATA_NAME

if TYPE_CHECKING:
    import sys
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    import jinja2

    from flows_workspace._templates import Template

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

JINJA_SUFFIX = ".jinja"
SKIPPED = ("__pycache__", ".ipynb_checkpoints", "*.pyc")
"""Names never copied from a template (caches a template folder may have picked up)."""


def render_template(template: Template, destination: Path, variables: Mapping[str, object]) -> None:
    """Render `template` into the existing folder `destination`.

    Files ending in `.jinja` are rendered with `variables` (suffix dropped); an undefined
    variable is an error, never an empty string. Other files are copied byte for byte.
    Caches (`__pycache__`, `.ipynb_checkpoints`, `*.pyc`) and the template's
    `template.toml` are left out. Existing files in `destination` are never overwritten.

    Raises:
        BadInputError: a `.jinja` file uses a variable that is not defined.
        FlowsError: a `.jinja` file is not valid Jinja2, two files render to the same
            path, or a file already exists in `destination`.
    """
    if not destination.is_dir():
        msg = f"cannot render template `{template.name}` into `{destination}`: not a folder"
        raise FlowsError(msg)
    environment = None
    for source, parts in _walk(template.root, ()):
        if parts == (METADATA_NAME,):
            continue
        if parts[-1].endswith(JINJA_SUFFIX):
            if environment is None:
                environment = _environment()
            name = parts[-1][: -len(JINJA_SUFFIX)]
            data = _render_one(environment, template, source, parts, variables)
            target = destination.joinpath(*parts[:-1], name)
        else:
            data = source.read_bytes()
            target = destination.joinpath(*parts)
        _write_new(target, data, template, parts)


def _walk(
    folder: Traversable | Path, parts: tuple[str, ...]
) -> Iterator[tuple[Traversable | Path, tuple[str, ...]]]:
    """Every file under `folder` (sorted, caches skipped) with its relative path parts."""
    for child in sorted(folder.iterdir(), key=lambda item: item.name):
        if any(fnmatch(child.name, pattern) for pattern in SKIPPED):
            continue
        if child.is_dir():
            yield from _walk(child, (*parts, child.name))
        elif child.is_file():
            yield child, (*parts, child.name)


def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


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


def _write_new(target: Path, data: bytes, template: Template, parts: tuple[str, ...]) -> None:
    if target.exists() or target.is_symlink():
        msg = (
            f"template `{template.name}`: `{'/'.join(parts)}` would overwrite `{target}`; "
            "render into an empty folder (or remove the duplicate from the template)"
        )
        raise FlowsError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as stream:
        stream.write(data)
