"""`flow templates show NAME` and `flow templates new DIST_NAME`: under `flow templates`.

Implementations are imported inside `run()` so that `flow --help` loads nothing but tyro.
"""

# ruff: noqa: UP045 - typing.Optional keeps tyro fast (see workspace_commands)

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import tyro


@dataclass(eq=False, repr=False)
class ShowTemplate:
    """Show one template: where it comes from, its description and its variables."""

    name: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="NAME")]
    """The template (see `flow templates`)."""

    def run(self) -> None:
        """Print the template's facts and a table of its variables."""
        from flows_workspace.cli.table import print_table
        from flows_workspace.templates.discovery import find_template
        from flows_workspace.templates.variables import variable_rows
        from flows_workspace.workspace.settings import find_workspace_or_none

        template = find_template(self.name, find_workspace_or_none())
        version = f" {template.version}" if template.version else ""
        print(f"{template.name} ({template.source}{version}): {template.description}")
        if template.kind == "workspace":
            print("the workspace template: `flow init` lays out workspaces with it")
        rows = variable_rows(template)
        if rows:
            print()
            print_table(("VARIABLE", "TYPE", "DEFAULT", "DESCRIPTION"), rows)
        print()
        if template.kind == "workspace":
            print("built in: workspace_name, flows_package, default_template, date, author")
            return
        print(
            "built in: experiment_name (also name), flows_package, date and author "
            "(set these two with --var date=YYYY-MM-DD, --var author=NAME)"
        )


@dataclass(eq=False, repr=False)
class NewTemplates:
    """Scaffold a lab's templates distribution holding one template copied from an installed one.

    Writes DIST_NAME/ in the current folder: a hatchling pyproject.toml announcing the
    template in the `flows.templates` entry points, the package, a README and a test;
    `pip install ./DIST_NAME` makes the template appear in `flow templates`.
    """

    dist_name: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="DIST_NAME")]
    """Distribution name, e.g. `lab-templates` (the package is `lab_templates`)."""
    from_: Annotated[
        Optional[str],
        tyro.conf.arg(name="from", metavar="TEMPLATE", help_behavior_hint="(default: default)"),
    ] = None
    """The installed template to start from."""
    name: Annotated[
        Optional[str],
        tyro.conf.arg(metavar="NAME", help_behavior_hint="(default: TEMPLATE's name)"),
    ] = None
    """The name the copied template gets in the new distribution."""
    directory: Annotated[Path, tyro.conf.arg(metavar="DIR")] = Path(".")
    """Folder to create DIST_NAME/ in."""

    def run(self) -> None:
        """Write the distribution and say how to install it."""
        from flows_workspace.templates.scaffold import scaffold_distribution

        target = scaffold_distribution(
            self.dist_name,
            template_name=self.from_ or "default",
            new_name=self.name,
            parent=self.directory,
        )
        # `pip install NAME` would ask the package index: a local folder needs a path.
        where = target.as_posix() if target.is_absolute() else f"./{target.as_posix()}"
        print(f"created templates distribution `{self.dist_name}` at {where}")
        print(f"install it with `pip install {where}` (or `uv pip install {where}`)")
