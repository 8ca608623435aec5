"""`--sweep ID` for `flow plot`, `flow report` and `load_runs`, on a real local sweep."""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING

import pytest
import subprocesses
from subprocesses import run_python

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")


def flow(ws: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run `flow ARGV` in a subprocess from the workspace root."""
    return subprocesses.run([sys.executable, "-m", "flows_workspace", *argv], cwd=ws)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str], str]:
    """A workspace with a two-variation sweep of `exp1` and one run outside it.

    Returns the workspace, the sweep id, the sweep's run ids and the other run's id.
    """
    root = tmp_path_factory.mktemp("sweep-results") / "ws"
    assert flow(root.parent, "init", str(root), "--no-install").returncode == 0
    assert flow(root, "create", "exp1").returncode == 0
    alone = run_python(root / "flows/exp1/run.py", "--steps", "4", cwd=root)
    assert alone.returncode == 0, alone.stderr
    [other] = [p.name for p in (root / "logs" / "exp1").iterdir() if p.name != "sweeps"]
    done = flow(root, "sweep", "exp1", "-p", "optimizer.lr=0.1,0.02", "--steps", "6")
    assert done.returncode == 0, done.stderr
    [sweep_id] = [p.name for p in (root / "logs" / "exp1" / "sweeps").iterdir()]
    record = root / "logs" / "exp1" / "sweeps" / sweep_id / "sweep.json"
    variations = json.loads(record.read_text(encoding="utf-8"))["variations"]
    run_ids = sorted(v["run_id"] for v in variations)
    assert len(run_ids) == 2
    assert other not in run_ids
    return root, sweep_id, run_ids, other


@pytest.fixture
def ws(swept: tuple[Path, str, list[str], str], tmp_path: Path) -> Path:
    """A fresh copy of the swept workspace (so no test sees another's files)."""
    target = tmp_path / "ws"
    shutil.copytree(swept[0], target)
    return target


def test_plot_of_a_sweep_draws_its_runs_only(
    ws: Path, swept: tuple[Path, str, list[str], str]
) -> None:
    """`flow plot --sweep ID-START` draws a curve per run of the sweep, not the other run."""
    image = pytest.importorskip("matplotlib.image")
    _, sweep_id, _, _ = swept
    out = ws / "sweep.png"
    done = flow(ws, "plot", "--sweep", sweep_id[:18], "--metric", "loss", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{out}: loss of 2 runs\n"
    pixels = image.imread(out)
    height, width = pixels.shape[:2]
    assert (width, height > 500) == (800, True)  # 800 x 500, and the legend's row below
    assert (pixels[:, :, :3] < 0.98).any(axis=2).mean() > 0.01  # not blank


def test_report_of_a_sweep_holds_its_runs_only(
    ws: Path, swept: tuple[Path, str, list[str], str]
) -> None:
    """`flow report --sweep ID` writes a report of the sweep's runs, titled by the sweep."""
    pytest.importorskip("plotly")
    _, sweep_id, run_ids, other = swept
    out = ws / "sweep.html"
    done = flow(ws, "report", "--sweep", sweep_id, "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{out}: 2 runs, ")
    page = out.read_text(encoding="utf-8")
    assert f"<title>flows report: sweep {sweep_id}</title>" in page
    for run_id in run_ids:
        assert run_id in page
    assert other not in page


def test_load_runs_of_a_sweep_in_a_notebook_process(
    ws: Path, swept: tuple[Path, str, list[str], str]
) -> None:
    """`load_runs(sweep=ID)` gives the sweep's runs, oldest first, with their swept values."""
    _, sweep_id, run_ids, _ = swept
    code = (
        "import json, sys\n"
        "from flows_workspace import load_runs\n"
        "runs = load_runs(sweep=sys.argv[1], sort='optimizer.lr')\n"
        "print(json.dumps([[r.run.id, r.get('optimizer.lr')] for r in runs]))\n"
        "mine, others = load_runs('exp1', sweep=sys.argv[1]), load_runs('x', sweep=sys.argv[1])\n"
        "print(len(mine), len(others))\n"
    )
    done = run_python("-c", code, sweep_id, cwd=ws)
    assert done.returncode == 0, done.stderr
    listed, counts = done.stdout.splitlines()
    pairs = json.loads(listed)
    assert sorted(run_id for run_id, _ in pairs) == run_ids
    assert [lr for _, lr in pairs] == [0.02, 0.1]
    assert counts == "2 0"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("plot", "--sweep", "nope", "--metric", "loss"), "no sweep `nope`"),
        (("report", "--sweep", "nope"), "no sweep `nope`"),
        (("plot", "exp1", "--sweep", "2", "--metric", "loss"), "not both"),
        (("report", "last", "--sweep", "2"), "not both"),
        (("plot", "--metric", "loss"), "or `--sweep ID`"),
    ],
)
def test_bad_sweep_input_is_one_line_exit_2(ws: Path, argv: tuple[str, ...], message: str) -> None:
    """An unknown sweep, a sweep beside named runs, or nothing named: one line, exit 2."""
    done = flow(ws, *argv)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert not list(ws.glob("*.png")) + list(ws.glob("*.html"))


def test_load_runs_refuses_runs_and_sweep_together(
    ws: Path, swept: tuple[Path, str, list[str], str]
) -> None:
    """`load_runs(runs=..., sweep=...)` is a one-line error, and an unknown sweep too."""
    code = (
        "import sys\n"
        "from flows_workspace import load_runs\n"
        "from flows_workspace._errors import BadInputError\n"
        "for kwargs in ({'runs': ['last'], 'sweep': sys.argv[1]}, {'sweep': 'nope'}):\n"
        "    try:\n"
        "        load_runs(**kwargs)\n"
        "    except BadInputError as error:\n"
        "        print(error)\n"
    )
    done = run_python("-c", code, swept[1], cwd=ws)
    assert done.returncode == 0, done.stderr
    both, unknown = done.stdout.splitlines()
    assert "give `runs` or `sweep`, not both" in both
    assert unknown.startswith("no sweep `nope`")
