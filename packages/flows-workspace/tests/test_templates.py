"""Finding templates: entry points, the workspace-local folder, precedence, metadata errors.

Extra distributions are installed the way an installer lays them out: a package folder
and a `*.dist-info` folder (METADATA, entry_points.txt) in a folder put on `sys.path`.
"""

from __future__ import annotations

import importlib
import importlib.resources
import sys
import textwrap
from importlib import metadata
from typing import TYPE_CHECKING

import pytest
from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace.templates.discovery import (
    BrokenTemplate,
    find_experiment_template,
    find_recorded_template,
    listed_templates,
    other_installed_sources,
    workspace_template,
)
from flows_workspace.templates.metadata import ENTRY_POINT_GROUP, Template, read_template
from flows_workspace.workspace.settings import Workspace, WorkspaceSettings

if TYPE_CHECKING:
    from pathlib import Path

SHIPPED = ("default", "minimal", "pytorch")


class SitePackages:
    """A folder on `sys.path` into which the test installs small template distributions."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        monkeypatch.syspath_prepend(str(root))
        self._modules: list[str] = []
        self._monkeypatch = monkeypatch

    def install(
        self,
        dist: str,
        templates: dict[str, str | None],
        *,
        version: str = "1.0",
        entry_points: dict[str, str] | None = None,
    ) -> None:
        """Install `dist` offering `templates` (name -> template.toml text, None for none)."""
        package = dist.replace("-", "_").replace(".", "_") + "_pkg"
        pkg_dir = self.root / package
        (pkg_dir / "templates").mkdir(parents=True)
        (pkg_dir / "__init__.py").write_text(
            "from importlib.resources import files\n\n"
            "def folder(name):\n"
            f"    return files({package!r}) / 'templates' / name\n\n"
            + "".join(f"def {name}():\n    return folder({name!r})\n\n" for name in templates),
            encoding="utf-8",
        )
        for name, toml in templates.items():
            folder = pkg_dir / "templates" / name
            folder.mkdir()
            (folder / "run.py").write_text(f"print('{dist} {name}')\n", encoding="utf-8")
            if toml is not None:
                (folder / "template.toml").write_text(toml, encoding="utf-8")
        points = entry_points or {name: f"{package}:{name}" for name in templates}
        info = self.root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{k} = {v}" for k, v in points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._monkeypatch.delitem(sys.modules, package, raising=False)
        importlib.invalidate_caches()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SitePackages:
    """A fresh folder on `sys.path` to install template distributions into."""
    return SitePackages(tmp_path / "site", monkeypatch)


def _workspace(root: Path, local: dict[str, str | None] | None = None) -> Workspace:
    """A workspace at `root` whose `templates/` holds `local` (name -> template.toml text)."""
    for name, toml in (local or {}).items():
        folder = root / "templates" / name
        folder.mkdir(parents=True)
        (folder / "run.py").write_text(f"print('local {name}')\n", encoding="utf-8")
        if toml is not None:
            (folder / "template.toml").write_text(toml, encoding="utf-8")
    return Workspace(root, WorkspaceSettings())


EXPERIMENT_TOML = 'description = "{}"\n'


def _sources(templates: list[Template], name: str) -> list[str]:
    return [t.source for t in templates if t.name == name]


def experiment_templates(workspace: Workspace | None) -> list[Template]:
    """The loadable experiment templates `flow templates` lists, winner first within a name."""
    listed = listed_templates(workspace)
    return [t for t in listed if isinstance(t, Template) and t.kind == "experiment"]


def test_installed_templates_come_from_entry_points_with_versions() -> None:
    """flow-templates' experiment templates are found through entry points, with its version."""
    found = {t.name: t for t in experiment_templates(None)}
    assert set(SHIPPED) <= set(found)
    expected_version = metadata.version("flow-templates")
    for name in SHIPPED:
        assert found[name].source == "flow-templates"
        assert found[name].version == expected_version
        assert found[name].kind == "experiment"
        assert found[name].description
        assert (found[name].root / "run.py.jinja").is_file()
    assert "workspace" not in found  # the workspace template is not an experiment template
    [workspace] = [t for t in listed_templates(None) if t.name == "workspace"]
    assert isinstance(workspace, Template)  # listed too, with its kind, for `flow templates`
    assert (workspace.source, workspace.kind) == ("flow-templates", "workspace")


def test_shipped_metadata_declares_variables_with_descriptions() -> None:
    """`default` declares `description` and `seed` with defaults and descriptions."""
    template = find_experiment_template("default", None)
    assert template.variables == {"description": "A new experiment.", "seed": 0}
    assert template.variable_specs["seed"].type == "int"
    assert set(template.variable_descriptions) == {"description", "seed"}
    assert all(template.variable_descriptions.values())


def test_workspace_template_is_found_and_declares_folder_names() -> None:
    """`workspace_template()` is the installed kind-workspace template with the folder variables."""
    template = workspace_template()
    assert template.kind == "workspace"
    assert template.source == "flow-templates"
    assert {"flows_dir", "logs_dir", "data_dir"} <= set(template.variables)


def test_workspace_local_template_wins_over_installed(tmp_path: Path) -> None:
    """A `templates/default/` in the workspace shadows the installed `default`."""
    workspace = _workspace(tmp_path, {"default": EXPERIMENT_TOML.format("ours")})
    found = experiment_templates(workspace)
    assert _sources(found, "default") == ["workspace", "flow-templates"]
    chosen = find_experiment_template("default", workspace)
    assert (chosen.source, chosen.description, chosen.version) == ("workspace", "ours", None)


def test_local_folder_without_metadata_is_not_a_template(tmp_path: Path) -> None:
    """A local folder without template.toml is ignored, and asking for it says why."""
    workspace = _workspace(tmp_path, {"scratch": None})
    assert "scratch" not in {t.name for t in experiment_templates(workspace)}
    with pytest.raises(BadInputError, match=r"has no `template\.toml`"):
        find_experiment_template("scratch", workspace)


def test_two_distributions_same_name_first_by_distribution_name(site: SitePackages) -> None:
    """Two distributions offering `shared`: the one whose name sorts first wins, always."""
    site.install("zeta-templates", {"shared": EXPERIMENT_TOML.format("zeta")})
    site.install("Alpha_Templates", {"shared": EXPERIMENT_TOML.format("alpha")})
    found = experiment_templates(None)
    assert _sources(found, "shared") == ["Alpha_Templates", "zeta-templates"]
    assert find_experiment_template("shared", None).description == "alpha"


def test_another_distribution_wins_over_flow_templates(site: SitePackages) -> None:
    """A lab's `default` and `workspace` win over flow-templates' (the fallback), any lab name."""
    for dist in ("zzz-lab", "aaa-lab"):  # sorting after, then before, flow-templates
        site.install(dist, {"default": EXPERIMENT_TOML.format(dist)})
        assert find_experiment_template("default", None).source == dist
    assert _sources(experiment_templates(None), "default") == [
        "aaa-lab",
        "zzz-lab",
        "flow-templates",
    ]
    assert find_experiment_template("minimal", None).source == "flow-templates"
    site.install("lab-templates", {"workspace": 'description = "lab"\nkind = "workspace"\n'})
    assert workspace_template().source == "lab-templates"


def test_recorded_source_is_followed_while_installed(site: SitePackages) -> None:
    """An experiment's recorded distribution is used while installed; else the winner, said so."""
    site.install("lab-templates", {"default": EXPERIMENT_TOML.format("lab")})
    template, same = find_recorded_template("default", "flow-templates", None)
    assert (template.source, same) == ("flow-templates", True)
    template, same = find_recorded_template("default", "Lab_Templates", None)
    assert (template.source, same) == ("lab-templates", True)
    template, same = find_recorded_template("default", "gone-templates", None)
    assert (template.source, same) == ("lab-templates", False)


def test_two_other_distributions_name_each_other(site: SitePackages) -> None:
    """Two non-stock distributions offering one name: the first by name wins, the other named."""
    site.install("b-templates", {"shared": EXPERIMENT_TOML.format("b")})
    assert other_installed_sources(find_experiment_template("shared", None)) == []
    assert other_installed_sources(find_experiment_template("default", None)) == []
    site.install("a-templates", {"shared": EXPERIMENT_TOML.format("a")})
    assert other_installed_sources(find_experiment_template("shared", None)) == ["b-templates"]


def test_precedence_does_not_depend_on_sys_path_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installing the two distributions in two folders, in either path order, gives one winner."""
    winners = []
    for first, second in (("a", "b"), ("b", "a")):
        with monkeypatch.context() as patch:
            site_b = SitePackages(tmp_path / f"{first}{second}-b", patch)
            site_b.install("b-templates", {"shared": EXPERIMENT_TOML.format("b")})
            site_a = SitePackages(tmp_path / f"{first}{second}-a", patch)
            site_a.install("a-templates", {"shared": EXPERIMENT_TOML.format("a")})
            if first == "b":
                sys.path.remove(str(site_a.root))
                sys.path.insert(1, str(site_a.root))
            importlib.invalidate_caches()
            winners.append(find_experiment_template("shared", None).source)
    assert winners == ["a-templates", "a-templates"]


def test_templates_are_listed_by_name_then_precedence(tmp_path: Path, site: SitePackages) -> None:
    """The list is sorted by name; within a name, local first, then others, then flow-templates."""
    site.install(
        "lab-templates", {"default": EXPERIMENT_TOML.format("lab"), "zz": "kind = 'experiment'"}
    )
    workspace = _workspace(tmp_path, {"aa": "", "default": ""})
    found = [(t.name, t.source) for t in experiment_templates(workspace)]
    assert found[:4] == [
        ("aa", "workspace"),
        ("default", "workspace"),
        ("default", "lab-templates"),
        ("default", "flow-templates"),
    ]
    assert found[-1] == ("zz", "lab-templates")
    assert [name for name, _ in found] == sorted(name for name, _ in found)


def test_unknown_template_lists_the_available_ones(tmp_path: Path) -> None:
    """Asking for a missing template is a BadInputError listing every experiment template."""
    workspace = _workspace(tmp_path, {"mine": ""})
    with pytest.raises(BadInputError) as error:
        find_experiment_template("nope", workspace)
    message = str(error.value)
    assert "`nope`" in message
    for name in (*SHIPPED, "mine"):
        assert f"`{name}`" in message
    assert "`workspace`" not in message


def test_workspace_template_is_not_an_experiment_template() -> None:
    """`flow create --template workspace` is refused: that template lays out workspaces."""
    with pytest.raises(BadInputError, match="not experiments"):
        find_experiment_template("workspace", None)


def test_broken_template_elsewhere_does_not_stop_finding_another(site: SitePackages) -> None:
    """A distribution with a broken template does not break `find` of an unrelated one."""
    site.install("broken-templates", {"broken": "kind = ["})
    assert find_experiment_template("default", None).source == "flow-templates"
    with pytest.raises(FlowsError, match=r"broken-templates.*cannot read"):
        find_experiment_template("broken", None)
    broken = [t for t in listed_templates(None) if isinstance(t, BrokenTemplate)]
    assert [(t.name, t.source) for t in broken] == [("broken", "broken-templates")]
    assert "cannot read" in broken[0].problem


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (None, r"has no `template\.toml`"),
        ("description = ", "cannot read"),
        ("colour = 'red'", r"unknown key `colour`.*known keys"),
        ("description = 3", "`description` must be a string"),
        ("kind = 'notebook'", r"`kind` must be one of experiment, workspace, not `notebook`"),
        ("variables = 3", "`variables` must be a table"),
        ("[variables]\nlr = [0.1]", r"variable `lr` needs a default"),
        ("[variables.lr]\ndescription = 'x'", r"variable `lr` needs a default"),
        ("[variables.lr]\ntype = 'complex'\ndefault = 1", r"`type` must be one of str, int"),
        ("[variables.lr]\ntype = 'int'\ndefault = 'a'", r"variable `lr`: its default `'a'` is not"),
        ("[variables.lr]\ntype = 'float'\ndefault = nan", r"default `nan` is not a float"),
        ("[variables.o]\ntype = 'choice'\ndefault = 'a'", r"a `choice` needs `choices`"),
        (
            "[variables.o]\ntype = 'choice'\nchoices = ['a']\ndefault = 'b'",
            r"default `b` is not one of its choices",
        ),
        ("[variables.o]\nchoices = ['a']\ndefault = 'a'", r'`choices` needs `type = "choice"`'),
        ("[variables.lr]\ndefault = '1'\nhelp = 'x'", r"variable `lr` has a bad key `help`"),
        ("[variables]\n'not-ok' = '1'", r"`not-ok` must be a Python identifier"),
    ],
)
def test_bad_metadata_is_reported_with_the_file(
    tmp_path: Path, toml: str | None, expected: str
) -> None:
    """Each kind of bad `template.toml` is a FlowsError naming the template and the problem."""
    folder = tmp_path / "t"
    folder.mkdir()
    if toml is not None:
        (folder / "template.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(FlowsError, match=expected) as error:
        read_template(folder, name="t", source="lab-templates", version="1.0")
    assert "template `t` from lab-templates" in str(error.value)


def test_metadata_forms_of_variables(tmp_path: Path) -> None:
    """Variables may be `NAME = default` (typed by the default) or a table with a type."""
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "template.toml").write_text(
        textwrap.dedent(
            """\
            description = "d"
            [variables]
            short = "1"
            steps = 10
            lr = 0.5
            fast = true
            [variables.long]
            default = "2"
            description = "the long one"
            [variables.scale]
            type = "float"
            default = 1
            [variables.opt]
            type = "choice"
            choices = ["sgd", "adam"]
            default = "adam"
            """
        ),
        encoding="utf-8",
    )
    template = read_template(folder, name="t", source="workspace", version=None)
    assert template.variables == {
        "short": "1",
        "steps": 10,
        "lr": 0.5,
        "fast": True,
        "long": "2",
        "scale": 1,
        "opt": "adam",
    }
    types = {key: spec.type for key, spec in template.variable_specs.items()}
    assert types == {
        "short": "str",
        "steps": "int",
        "lr": "float",
        "fast": "bool",
        "long": "str",
        "scale": "float",
        "opt": "choice",
    }
    assert template.variable_specs["opt"].choices == ("sgd", "adam")
    assert template.variable_descriptions["long"] == "the long one"
    assert template.kind == "experiment"


def test_entry_point_that_cannot_load_is_reported(site: SitePackages) -> None:
    """An entry point naming a missing module is a FlowsError naming it and the distribution."""
    site.install("lab-templates", {"ok": ""}, entry_points={"ghost": "no_such_module:ghost"})
    with pytest.raises(FlowsError, match=r"`ghost = no_such_module:ghost` of lab-templates"):
        find_experiment_template("ghost", None)


def test_entry_point_that_is_not_a_folder_is_reported(site: SitePackages) -> None:
    """An entry point whose target is not a folder says what it must be."""
    site.install("lab-templates", {"ok": ""}, entry_points={"odd": "textwrap:dedent"})
    with pytest.raises(FlowsError, match="raised TypeError"):
        find_experiment_template("odd", None)
    site.install("other-templates", {"ok": ""}, entry_points={"odd2": "sys:version"})
    with pytest.raises(FlowsError, match="not a folder"):
        find_experiment_template("odd2", None)


def test_entry_point_may_name_the_folder_itself(site: SitePackages) -> None:
    """An entry point may name a Traversable attribute instead of a callable returning one."""
    site.install("lab-templates", {"ok": "description = 'direct'"})
    package = site.root / "lab_templates_pkg" / "__init__.py"
    package.write_text(package.read_text() + "OK = folder('ok')\n", encoding="utf-8")
    info = site.root / "lab_templates-1.0.dist-info" / "entry_points.txt"
    info.write_text(f"[{ENTRY_POINT_GROUP}]\nok = lab_templates_pkg:OK\n", encoding="utf-8")
    assert find_experiment_template("ok", None).description == "direct"


def test_workspace_template_of_the_wrong_kind_is_refused(site: SitePackages) -> None:
    """A workspace template of the wrong kind is refused with the reason."""
    site.install("aaa-templates", {"workspace": "kind = 'experiment'"})
    with pytest.raises(FlowsError, match="needs kind `workspace`"):
        workspace_template()


def test_flows_workspace_never_names_flow_templates() -> None:
    """No module of flows-workspace imports `flow_templates`: templates come from entry points."""
    import flows_workspace

    package = importlib.resources.files(flows_workspace)
    sources = [p for p in package.iterdir() if p.name.endswith(".py")]
    assert len(sources) > 5
    offenders = [p.name for p in sources if "flow_templates" in p.read_text(encoding="utf-8")]
    assert offenders == []
