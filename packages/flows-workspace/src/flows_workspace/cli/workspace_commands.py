"""Subcommands that set up a workspace and its experiments.

Each dataclass is one subcommand: tyro turns its fields into options and its
docstring into help. Implementations are imported inside `run()` so that `flow --help`
loads nothing but tyro.
"""

# ruff: noqa: UP045 - typing.Union forms keep tyro fast, see below

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, Union

import tyro

# tyro reads the annotations at run time, so these are needed outside TYPE_CHECKING.
from flows_workspace.cli.template_commands import NewTemplates, ShowTemplate  # noqa: TC001

if TYPE_CHECKING:
    from flows_workspace.workspace.experiments import Experiment

# Optional[...] rather than `X | None` (hence the ruff noqa at the top):
# tyro checks each default against its type, and only typing.Union takes its
# fast path; any other form imports typeguard, a third of the time of `flow create`.

# An optional option's help already says what happens without it; tyro's own
# "(default: None)" would only contradict it.
_NO_DEFAULT: dict[str, str] = {"help_behavior_hint": ""}


@dataclass(eq=False, repr=False)
class Init:
    """Create or repair a workspace (flows/, logs/, data/, flows.toml) and make `flows` importable.

    Idempotent: a second run adds what is missing and changes nothing else.
    """

    path: tyro.conf.Positional[str] = "."
    """Workspace root (created if missing)."""
    flow_dir_name: Annotated[Optional[str], tyro.conf.arg(metavar="NAME", **_NO_DEFAULT)] = None
    """Name of the experiments folder and importable package (default: `flows`)."""
    force: bool = False
    """Overwrite existing workspace files that differ from the template (never logs/ or data/)."""
    install: bool = True
    """Make the flows package importable from any folder in this environment."""
    replace: bool = False
    """Replace another workspace's `flows` install in this environment."""

    def run(self) -> None:
        """Initialise the workspace and print what changed."""
        from flows_workspace.workspace.init import init_workspace

        if not self.path.strip():
            from flows_workspace._errors import BadInputError

            msg = f"`flow init` got an empty folder name ({self.path!r}); give `.` for this folder"
            raise BadInputError(msg)
        report = init_workspace(
            Path(self.path),
            flows_dir=self.flow_dir_name,
            force=self.force,
            install=self.install,
            replace=self.replace,
        )
        print("\n".join(report.lines()))


@dataclass(eq=False, repr=False)
class Create:
    """Create experiment NAME in the workspace's flows folder, from a template or a fork."""

    name: Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="NAME")]
    """Experiment name: a Python identifier (it is importable as `flows.NAME`)."""
    template: Annotated[Optional[str], tyro.conf.arg(metavar="TEMPLATE", **_NO_DEFAULT)] = None
    """Template to render (default: the workspace's `default_template`); see `flow templates`."""
    # A bare `tuple` (tyro reads its items as str): `tuple[str, ...]` would make tyro
    # import typeguard to check the default, a third of the time of `flow create`.
    var: Annotated[
        tuple,  # type: ignore[type-arg]
        tyro.conf.UseAppendAction,
        tyro.conf.arg(metavar="KEY=VALUE"),
    ] = ()
    """Template variable as KEY=VALUE; repeat for several."""
    from_: Annotated[
        Optional[str], tyro.conf.arg(name="from", metavar="EXPERIMENT", **_NO_DEFAULT)
    ] = None
    """Fork this existing experiment (name, or path) instead of using a template."""

    def run(self) -> None:
        """Create the experiment and print where it is."""
        from flows_workspace.workspace.create import run_create

        run_create(self.name, template=self.template, assignments=self.var, from_=self.from_)


@dataclass(eq=False, repr=False)
class ListExperiments:
    """List the workspace's experiments with their origin (template or parent) and creation date."""

    def run(self) -> None:
        """Print one line per experiment."""
        from flows_workspace.cli.table import print_table
        from flows_workspace.workspace.experiments import list_experiments
        from flows_workspace.workspace.settings import find_workspace

        workspace = find_workspace()
        experiments = list_experiments(workspace.flows_root)
        if not experiments:
            print(f"no experiments in {workspace.flows_root}; create one with `flow create NAME`")
            return
        rows = [(e.name, _origin(e), e.created().strftime("%Y-%m-%d %H:%M")) for e in experiments]
        print_table(("NAME", "ORIGIN", "CREATED"), rows)
        broken = [e for e in experiments if e.problem]
        if broken:
            from flows_workspace._errors import FlowsError

            more = f" (and {len(broken) - 1} more, marked BROKEN)" if len(broken) > 1 else ""
            msg = f"{broken[0].problem}{more}"
            raise FlowsError(msg)


def _origin(experiment: Experiment) -> str:
    if experiment.record is not None:
        return experiment.record.origin()
    return "BROKEN: unreadable record" if experiment.problem else "-"


@dataclass(eq=False, repr=False)
class Templates:
    """List the templates: name, distribution, version, which one wins, description.

    `flow templates show NAME` prints one template's variables; `flow templates new
    DIST_NAME` scaffolds a lab's own templates distribution.
    """

    action: Annotated[
        Union[  # noqa: UP007 - see Optional above
            Annotated[
                ShowTemplate,
                tyro.conf.subcommand("show", description="Show one template and its variables."),
            ],
            Annotated[
                NewTemplates,
                tyro.conf.subcommand("new", description="Scaffold a lab's templates distribution."),
            ],
            Annotated[None, tyro.conf.subcommand("list", description="List them (the default).")],
        ],
        tyro.conf.arg(name=""),
    ] = None

    def run(self) -> None:
        """Print one line per template candidate, in precedence order; exit 1 if any is broken."""
        if self.action is not None:
            self.action.run()
            return
        from flows_workspace._errors import FlowsError
        from flows_workspace.cli.table import print_table
        from flows_workspace.templates.discovery import PRECEDENCE, BrokenTemplate, listed_templates
        from flows_workspace.workspace.settings import find_workspace_or_none

        workspace = find_workspace_or_none()
        rows = []
        winners: dict[str, str] = {}
        broken = []
        for template in listed_templates(workspace):
            winner = winners.setdefault(template.name, template.source)
            note = "" if winner == template.source else f"shadowed by {winner}"
            if not isinstance(template, BrokenTemplate) and template.kind == "workspace":
                note = "; ".join(filter(None, ["workspace template (flow init)", note]))
            if isinstance(template, BrokenTemplate):
                broken.append(template.name)
                description = "BROKEN: " + " ".join(template.problem.split())
            else:
                description = template.description
            version = template.version or "-"
            rows.append((template.name, template.source, version, note or "-", description))
        if not rows:
            print("no templates installed; `pip install flow-templates` provides the standard ones")
            return
        print_table(("NAME", "SOURCE", "VERSION", "NOTE", "DESCRIPTION"), rows)
        print(f"\nwhen names clash, the first wins: {PRECEDENCE}")
        if broken:
            names = ", ".join(f"`{name}`" for name in broken)
            msg = f"broken template(s): {names}; see BROKEN above for what to fix"
            raise FlowsError(msg)


@dataclass(eq=False, repr=False)
class Uninstall:
    """Stop making a workspace's flows package importable in this environment."""

    def run(self) -> None:
        """Remove the install `flow init` wrote (nothing in the workspace is touched)."""
        from flows_workspace.workspace.install import DIST_NAME, uninstall_flows_package

        root = uninstall_flows_package()
        if root is None:
            print(f"no `{DIST_NAME}` install in this environment; nothing to remove")
        else:
            print(f"removed `{DIST_NAME}` (the workspace `{root}`) from this environment")


@dataclass(eq=False, repr=False)
class LegacyInit:
    """Create the flows folder here and make it importable (the original `flow_init`).

    Same as `flow init` at the folder holding FLOW_DIR_NAME; never asks questions.
    """

    flow_dir_name: Path = Path("flows")
    """The experiments folder; its parent becomes the workspace root."""
    force: bool = False
    """Overwrite existing workspace files that differ from the template."""
    install: bool = True
    """Make the flows package importable from any folder in this environment."""
    replace: bool = False
    """Replace another workspace's `flows` install in this environment."""

    def run(self) -> None:
        """Initialise the workspace around FLOW_DIR_NAME."""
        folder = self.flow_dir_name.expanduser().absolute()
        Init(
            path=str(folder.parent),
            flow_dir_name=folder.name,
            force=self.force,
            install=self.install,
            replace=self.replace,
        ).run()


@dataclass(eq=False, repr=False)
class LegacyCreate:
    """Create a new experiment from the default template or a copy (the original `flow_create`)."""

    name: Annotated[str, tyro.conf.arg(metavar="NAME")]
    """Experiment name: a Python identifier (it is importable as `flows.NAME`)."""
    copy_from: Annotated[Optional[Path], tyro.conf.arg(metavar="DIR", **_NO_DEFAULT)] = None
    """Experiment folder to copy (caches skipped); default: the workspace's default template."""
    copy_to_dir: Annotated[Optional[Path], tyro.conf.arg(metavar="DIR", **_NO_DEFAULT)] = None
    """Folder to create the experiment in; default: the workspace's flows folder, or `.`."""

    def run(self) -> None:
        """Create the experiment and print where it came from."""
        from flows_workspace.workspace.settings import find_workspace_or_none

        workspace = find_workspace_or_none()
        parent_dir = self.copy_to_dir or (workspace.flows_root if workspace else Path("."))
        parent_dir = parent_dir.absolute()
        if self.copy_from is not None:
            from flows_workspace.workspace.create import fork_named

            target = fork_named(str(self.copy_from), self.name, parent_dir)
            print(f"created experiment `{self.name}` at {target}")
            return
        from flows_workspace.workspace.create import create_from_template

        template = workspace.settings.default_template if workspace else "default"
        target = create_from_template(
            workspace, self.name, parent_dir=parent_dir, template_name=template
        )
        print(f"created experiment `{self.name}` at {target}")


WORKSPACE_COMMANDS: dict[str, type] = {
    "init": Init,
    "create": Create,
    "list": ListExperiments,
    "templates": Templates,
    "uninstall": Uninstall,
}
