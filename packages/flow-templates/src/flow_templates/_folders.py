"""The template folders this distribution ships, as `importlib.resources` Traversables."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sys

    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # pragma: no cover - exercised on 3.10 only
        from importlib.abc import Traversable

TEMPLATE_NAMES = ("workspace", "default", "minimal", "pytorch")
"""Every template shipped here; each has an entry point of the same name."""


def template_folder(name: str) -> Traversable:
    """The folder of the shipped template `name`.

    Raises:
        KeyError: `name` is not a template this distribution ships.
    """
    if name not in TEMPLATE_NAMES:
        msg = f"flow-templates ships no template `{name}`; it ships {', '.join(TEMPLATE_NAMES)}"
        raise KeyError(msg)
    return files("flow_templates") / "templates" / name


def workspace() -> Traversable:
    """The workspace layout `flow init` renders (flows/, logs/, data/, .gitignore)."""
    return template_folder("workspace")


def default() -> Traversable:
    """The default experiment: tyro + registry run.py, README, visualisation notebook."""
    return template_folder("default")


def minimal() -> Traversable:
    """The smallest experiment: a tyro run.py."""
    return template_folder("minimal")


def pytorch() -> Traversable:
    """A PyTorch training loop with model, optimiser and scheduler from the registry."""
    return template_folder("pytorch")
