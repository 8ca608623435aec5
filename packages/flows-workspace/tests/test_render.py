"""Rendering templates: Jinja2 for `.jinja` files, byte-for-byte copies, caches left out.

Also renders every shipped template through `flow create` and runs its `run.py`.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import nbformat
import pytest
from flows_workspace._errors import BadInputError, FlowsError
from flows_workspace.results.metrics import MetricsFile
from flows_workspace.templates.discovery import workspace_template
from flows_workspace.templates.metadata import Template, read_template
from flows_workspace.templates.render import render_template
from subprocesses import run_python

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from conftest import Flow, Tree

BINARY = bytes(range(256)) + b"\r\n\x00{{ not_a_variable }}\xff"
"""Bytes no text round trip would keep: every byte value, CRLF, Jinja-looking text."""


def _template(root: Path, files: dict[str, bytes | str], **metadata: str) -> Template:
    """A template folder at `root` holding `files` and a `template.toml`."""
    lines = [f'{key} = "{value}"\n' for key, value in metadata.items()]
    (root / "template.toml").parent.mkdir(parents=True, exist_ok=True)
    (root / "template.toml").write_text("".join(lines), encoding="utf-8")
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return read_template(root, name="t", source="workspace", version=None)


def test_jinja_files_are_rendered_and_others_copied_byte_for_byte(
    tmp_path: Path, tree: Tree
) -> None:
    """`.jinja` files render (suffix dropped); every other file, binary too, is copied as is."""
    template = _template(
        tmp_path / "t",
        {
            "run.py.jinja": "NAME = '{{ experiment_name }}'\n{% if flag %}yes{% endif %}\n",
            "data/blob.bin": BINARY,
            "notes.txt": "{{ left alone }}\r\n",
            "sub/deeper/README.md.jinja": "# {{ experiment_name | upper }}",
        },
    )
    out = tmp_path / "out"
    out.mkdir()
    render_template(template, out, {"experiment_name": "exp1", "flag": True})
    assert tree(out) == {
        "data": None,
        "data/blob.bin": BINARY,
        "notes.txt": b"{{ left alone }}\r\n",
        "run.py": b"NAME = 'exp1'\nyes\n",
        "sub": None,
        "sub/deeper": None,
        "sub/deeper/README.md": b"# EXP1",
    }


def test_execute_permission_is_kept(tmp_path: Path) -> None:
    """A script that is executable in the template is executable where it is rendered."""
    template = _template(tmp_path / "t", {"go.sh": "#!/bin/sh\n", "plain.txt": "x"})
    (tmp_path / "t/go.sh").chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    render_template(template, out, {})
    assert os.access(out / "go.sh", os.X_OK)
    assert not os.access(out / "plain.txt", os.X_OK)


def test_caches_and_metadata_are_not_copied(tmp_path: Path, tree: Tree) -> None:
    """`__pycache__`, `.ipynb_checkpoints`, `*.pyc` and the top `template.toml` stay behind."""
    template = _template(
        tmp_path / "t",
        {
            "run.py": "x = 1\n",
            "__pycache__/run.cpython-311.pyc": b"\x00",
            "stray.pyc": b"\x00",
            "viz/.ipynb_checkpoints/nb-checkpoint.ipynb": "{}",
            "viz/__pycache__/x.pyc": b"\x00",
            "viz/nb.ipynb": "{}",
            "viz/template.toml": "kept = true\n",
        },
    )
    out = tmp_path / "out"
    out.mkdir()
    render_template(template, out, {})
    assert sorted(tree(out)) == ["run.py", "viz", "viz/nb.ipynb", "viz/template.toml"]


def test_undefined_variable_is_an_error_naming_it_and_the_file(tmp_path: Path) -> None:
    """An undefined variable raises BadInputError naming variable and file; nothing is written."""
    template = _template(
        tmp_path / "t",
        {"a.txt": "plain", "b/run.py.jinja": "{{ experiment_name }} {{ learning_rate }}"},
    )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BadInputError) as error:
        render_template(template, out, {"experiment_name": "exp1"})
    message = str(error.value)
    assert "`learning_rate`" in message
    assert "`b/run.py.jinja`" in message
    assert "`experiment_name`" in message  # the variables that are defined
    assert list(out.iterdir()) == []


def test_undefined_variable_in_a_condition_is_an_error(tmp_path: Path) -> None:
    """An undefined variable is an error even where Jinja2 would only test its truth."""
    template = _template(tmp_path / "t", {"x.jinja": "{% if missing %}a{% endif %}"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(BadInputError, match="`missing`"):
        render_template(template, out, {})


def test_jinja_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    """A `.jinja` file that is not valid Jinja2 is a FlowsError naming the file and line."""
    template = _template(tmp_path / "t", {"run.py.jinja": "ok\n{% if %}\n"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FlowsError, match=r"`run\.py\.jinja`.*line 2"):
        render_template(template, out, {})


def test_non_utf8_jinja_file_is_an_error(tmp_path: Path) -> None:
    """A `.jinja` file that is not UTF-8 text is refused with a hint to drop the suffix."""
    template = _template(tmp_path / "t", {"blob.bin.jinja": b"\xff\xfe\x00"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FlowsError, match="not UTF-8"):
        render_template(template, out, {})


def test_file_and_its_jinja_twin_clash(tmp_path: Path) -> None:
    """`run.py` beside `run.py.jinja` is refused instead of one silently winning."""
    template = _template(tmp_path / "t", {"run.py": "a", "run.py.jinja": "b"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FlowsError, match="keep one of them"):
        render_template(template, out, {})
    assert list(out.iterdir()) == []


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    """Rendering over an existing file refuses and leaves that file (and the folder) as it was."""
    template = _template(tmp_path / "t", {"a.txt": "new", "run.py": "new"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.py").write_text("mine")
    with pytest.raises(FlowsError, match="would overwrite"):
        render_template(template, out, {})
    assert (out / "run.py").read_text() == "mine"
    assert not (out / "a.txt").exists()


def test_destination_must_be_a_folder(tmp_path: Path) -> None:
    """Rendering into a missing folder is an error, not a silent mkdir elsewhere."""
    template = _template(tmp_path / "t", {"a.txt": "x"})
    with pytest.raises(FlowsError, match="not a folder"):
        render_template(template, tmp_path / "missing", {})


# Every shipped template, end to end: `flow create`, then its run.py in a subprocess.


def _run(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run python ARGV in the workspace, with the workspace importable (as `flow init` does)."""
    done = run_python(*argv, cwd=root, env={"PYTHONPATH": str(root)})
    assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done


def _run_folders(root: Path, experiment: str) -> list[Path]:
    return sorted(p for p in (root / "logs" / experiment).glob("*") if p.is_dir())


def test_default_template_runs_and_logs_under_its_experiment(workspace: Path, flow: Flow) -> None:
    """`default`: run.py --help, a default run and a run picking other implementations all work."""
    assert flow("create", "exp1") == 0
    usage = _run(workspace, "flows/exp1/run.py", "--help").stdout
    for choice in ("model:linear", "model:quadratic", "optimizer:sgd", "optimizer:momentum"):
        assert choice in usage
    _run(workspace, "flows/exp1/run.py", "--steps", "50")
    _run(workspace, "flows/exp1/run.py", "model:quadratic", "optimizer:momentum", "--steps", "50")
    runs = _run_folders(workspace, "exp1")
    assert len(runs) == 2
    configs = [json.loads((run / "config.json").read_text()) for run in runs]
    assert {len(json.loads((r / "params.json").read_text())) for r in runs} == {2, 3}
    assert {"beta" in c["optimizer"] for c in configs} == {True, False}
    assert all(c["steps"] == 50 for c in configs)


def test_default_template_fits_the_data(workspace: Path, flow: Flow) -> None:
    """The default run really learns: the final loss is far below the first one."""
    assert flow("create", "exp1") == 0
    _run(workspace, "flows/exp1/run.py")
    (run,) = _run_folders(workspace, "exp1")
    losses = MetricsFile.read(run).columns["loss"]
    assert len(losses) == 200
    assert losses[-1] < losses[0] / 10  # type: ignore[operator]  # every step logged a loss


def test_forked_default_experiment_logs_under_its_own_name(workspace: Path, flow: Flow) -> None:
    """A fork of a default experiment writes its results under the fork's name."""
    assert flow("create", "exp1") == 0
    assert flow("create", "exp2", "--from", "exp1") == 0
    _run(workspace, "flows/exp2/run.py", "--steps", "5")
    assert len(_run_folders(workspace, "exp2")) == 1
    assert not (workspace / "logs/exp1").exists()


def test_default_template_notebook_is_valid(workspace: Path, flow: Flow) -> None:
    """The rendered `viz/visualize.ipynb` validates as nbformat v4 and names the experiment."""
    assert flow("create", "exp1") == 0
    notebook = nbformat.read(workspace / "flows/exp1/viz/visualize.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    # Found from the notebook's folder at run time; the rendered name when run elsewhere.
    assert any('FLOWS_ROOT), "exp1"\n)' in cell.source for cell in notebook.cells)
    assert any("load_runs(EXPERIMENT)" in cell.source for cell in notebook.cells)


def test_default_template_notebook_code_reads_the_runs(workspace: Path, flow: Flow) -> None:
    """The notebook's cells, run as a script, load the run that run.py wrote and its table."""
    assert flow("create", "exp1") == 0
    _run(workspace, "flows/exp1/run.py", "--steps", "5")
    notebook = nbformat.read(workspace / "flows/exp1/viz/visualize.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    script = workspace / "notebook_cells.py"
    code_cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    show = "print(table.shape, sorted(table.columns)[:3]) if table is not None else None"
    script.write_text("\n\n".join([*code_cells, show]) + "\n", encoding="utf-8")
    out = _run(workspace, str(script)).stdout
    (run,) = _run_folders(workspace, "exp1")
    assert f"{run.name} finished last loss " in out


def test_experiments_are_importable_as_flows_name(workspace: Path, flow: Flow) -> None:
    """A created experiment imports as `flows.NAME` and its run module as `flows.NAME.run`."""
    assert flow("create", "exp1") == 0
    assert flow("create", "tiny", "--template", "minimal") == 0
    code = "import flows.exp1.run as r, flows.tiny.run as t; print(r.__name__, t.RunConfig())"
    assert _run(workspace, "-c", code).stdout.startswith("flows.exp1.run ")


def test_default_template_variables_can_be_set(workspace: Path, flow: Flow) -> None:
    """`--var description=... --var seed=...` reach the README and run.py's defaults."""
    assert flow("create", "exp1", "--var", "description=Fit a line.", "--var", "seed=7") == 0
    assert "Fit a line." in (workspace / "flows/exp1/README.md").read_text()
    assert "seed: int = 7" in (workspace / "flows/exp1/run.py").read_text()


def test_minimal_template_runs(workspace: Path, flow: Flow) -> None:
    """`minimal`: just run.py and __init__.py; --help and a real run work."""
    assert flow("create", "tiny", "--template", "minimal") == 0
    names = sorted(p.name for p in (workspace / "flows/tiny").iterdir())
    assert [n for n in names if not n.startswith(".")] == ["__init__.py", "run.py"]
    assert "--repeat" in _run(workspace, "flows/tiny/run.py", "--help").stdout
    out = _run(workspace, "flows/tiny/run.py", "--repeat", "2").stdout
    assert out.splitlines() == ["hello from tiny", "hello from tiny"]


def test_workspace_template_paths_follow_the_settings(tmp_path: Path, flow: Flow) -> None:
    """With other folder names, flows/__init__.py points at them, found from the marker file."""
    root = tmp_path / "lab"
    assert flow("init", str(root), "--no-install", "--flow-dir-name", "studies") == 0
    code = (
        "import studies as s; "
        "print(s.PROJ_ROOT, s.FLOWS_ROOT, s.EXP_ROOT, s.LOGS_ROOT, s.DATA_ROOT, sep='\\n')"
    )
    out = _run(root, "-c", code).stdout.splitlines()
    real = root.resolve()
    assert out == [str(p) for p in (real, real / "studies", real / "studies", *_data(real))]
    gitignore = (root / ".gitignore").read_text()
    assert "/logs/*" in gitignore
    assert "/data/*" in gitignore
    assert "NEVER modify raw data" in (root / "data/README.md").read_text()


def test_workspace_template_renders_other_folder_names(tmp_path: Path, tree: Tree) -> None:
    """Rendered with other logs/data names, the paths module and .gitignore use them."""
    out = tmp_path / "out"
    out.mkdir()
    template = workspace_template()
    variables = {**template.variables, "logs_dir": "results", "data_dir": "raw"}
    render_template(template, out, {**variables, "flows_package": "flows"})
    files = tree(out)
    assert "template.toml" not in files
    paths = (out / "flows/__init__.py").read_text()
    assert 'LOGS_ROOT = PROJ_ROOT / "results"' in paths
    assert 'DATA_ROOT = PROJ_ROOT / "raw"' in paths
    ignored = (out / ".gitignore").read_text().splitlines()
    assert {"/results/*", "/raw/*", "!/results/README.md", "!/raw/README.md"} <= set(ignored)


def _data(root: Path) -> tuple[Path, Path]:
    return root / "logs", root / "data"


@pytest.mark.torch
def test_pytorch_template_trains_and_checkpoints(workspace: Path, flow: Flow) -> None:
    """`pytorch`: --help, then short runs with each choice keep their latest two checkpoints."""
    assert flow("create", "net", "--template", "pytorch") == 0
    usage = _run(workspace, "flows/net/run.py", "--help").stdout
    for choice in ("model:mlp", "optimizer:sgd", "scheduler:cosine"):
        assert choice in usage
    _run(workspace, "flows/net/run.py", "--epochs", "3")
    _run(
        workspace,
        "flows/net/run.py",
        "model:linear",
        "optimizer:sgd",
        "scheduler:cosine",
        "--epochs",
        "2",
    )
    runs = _run_folders(workspace, "net")
    assert [sorted(p.name for p in (r / "checkpoints").iterdir()) for r in runs] == [
        ["epoch-002.pt", "epoch-003.pt"],  # the latest two; epoch-001.pt pruned
        ["epoch-001.pt", "epoch-002.pt"],
    ]
    history = MetricsFile.read(runs[0])
    losses = [loss for loss in history.columns["loss"] if loss is not None]
    assert len(losses) == 3
    assert losses[-1] < losses[0]
    assert {"batch_loss", "loss", "acc", "lr"} <= set(history.columns)
    assert json.loads((runs[0] / "manifest.json").read_text())["summary"]["final_loss"] > 0
    check = (
        "import sys, torch; state = torch.load(sys.argv[1]); "
        "print(state['epoch'], sorted(state['model']), state['scheduler']['last_epoch'])"
    )
    out = _run(workspace, "-c", check, str(runs[1] / "checkpoints/epoch-002.pt")).stdout
    assert out.split()[0] == "2"
    assert "'weight'" in out
