"""`flow plot`: a metric's curves over real runs, drawn into a file that is opened and checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from subprocesses import run_python

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow


@pytest.fixture
def ws(workspace: Path, flow: Flow) -> Path:
    """A workspace with two default-template runs of `fit` at different learning rates."""
    assert flow("create", "fit") == 0
    for lr in ("0.1", "0.02"):
        done = run_python(
            workspace / "flows/fit/run.py", "--optimizer.lr", lr, "--steps", "40", cwd=workspace
        )
        assert done.returncode == 0, done.stderr
    return workspace


def test_plot_writes_a_png_with_a_curve_per_run(
    ws: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PNG has the promised size (with its legend below) and both runs' curves in colour."""
    image = pytest.importorskip("matplotlib.image")
    numpy = pytest.importorskip("numpy")
    out = ws / "plots" / "loss.png"
    assert flow("plot", "fit", "--metric", "loss", "-o", str(out)) == 0
    assert capsys.readouterr().out == f"{out}: loss of 2 runs\n"
    pixels = image.imread(out)
    assert pixels.shape == (552, 800, 4)  # 800 x 500, and the legend's row below
    rgb = (pixels[:, :, :3] * 255).round().astype(int)
    not_white = (rgb < 250).any(axis=2)
    assert 0.01 < not_white.mean() < 0.5
    for colour in ((0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)):  # matplotlib's first two
        close = (numpy.abs(rgb - numpy.array(colour)) < 8).all(axis=2)
        assert close.sum() > 200, colour


def test_plot_by_time_to_svg_of_named_runs(ws: Path, flow: Flow) -> None:
    """Runs named by reference, against time, as SVG."""
    out = ws / "loss.svg"
    assert (
        flow("plot", "last", "fit/last~1", "--metric", "loss", "--x", "time", "-o", str(out)) == 0
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<?xml")
    assert "seconds" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("fit", "--metric", "accuracy"), "no run here logged `accuracy`; logged metrics: `loss`"),
        (("fit", "--metric", "loss", "--x", "epoch"), "`--x epoch` is not an axis"),
        (("fit", "--metric", "loss", "-o", "out.jpg"), "cannot draw `out.jpg`"),
        (("nope", "--metric", "loss"), "no run `nope`"),
    ],
)
def test_plot_bad_input_is_one_line_and_exit_2(
    ws: Path, flow: Flow, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    """An unknown metric, axis, file type or run: one line, exit 2, no file."""
    capsys.readouterr()
    assert flow("plot", *argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err
    assert not (ws / "out.jpg").exists()


LONG_LABELS = """
from dataclasses import dataclass

from flows_workspace import parse_run, record_run


@dataclass
class Config:
    lr: float = 0.1
    description: str = ""


parsed = parse_run(Config)
with record_run(parsed, __file__) as run:
    for step in range(30):
        run.log(step=step, loss=parsed.config.lr * (30 - step))
"""


def test_plot_with_long_labels_keeps_the_legend_off_the_curves(workspace: Path) -> None:
    """Ten runs with long labels: every curve shows in its colour, the axes keep their share."""
    image = pytest.importorskip("matplotlib.image")
    numpy = pytest.importorskip("numpy")
    (workspace / "flows" / "long").mkdir(parents=True)
    (workspace / "flows" / "long" / "run.py").write_text(LONG_LABELS, encoding="utf-8")
    for index in range(10):
        text = f"variant {index} of a rather long description " * 3
        args = ("--lr", str(0.1 + index / 10), "--description", text)
        done = run_python(workspace / "flows/long/run.py", *args, cwd=workspace)
        assert done.returncode == 0, done.stderr
    out = workspace / "loss.png"
    done = run_python("-m", "flows_workspace", "plot", "long", "--metric", "loss", "-o", out)
    assert done.returncode == 0, done.stderr
    pixels = image.imread(out)
    height, width = pixels.shape[:2]
    rgb = (pixels[:, :, :3] * 255).round().astype(int)
    assert 0.01 < (rgb < 250).any(axis=2).mean() < 0.6  # not blank
    # The axes' frame: the rows and columns dark across most of the image's width / its height.
    dark = (rgb < 60).all(axis=2)
    rows = numpy.flatnonzero(dark.sum(axis=1) > 0.5 * width)
    columns = numpy.flatnonzero(dark[rows.min() : rows.max()].sum(axis=0) > 0.9 * numpy.ptp(rows))
    assert numpy.ptp(rows) > 0.4 * height
    assert numpy.ptp(columns) > 0.6 * width
    inside = dark[rows.min() + 3 : rows.max() - 2, columns.min() + 3 : columns.max() - 2]
    assert not inside.any()  # no legend text over the curves


def test_no_runs_yet_is_said_as_such(
    workspace: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow show last`, `flow plot e`, `flow report e` before any run: no runs yet, exit 2."""
    assert flow("create", "e") == 0
    capsys.readouterr()
    assert flow("show", "last") == 2
    assert "`last`: there are no runs yet" in capsys.readouterr().err
    for argv in (("plot", "e", "--metric", "loss"), ("report", "e")):
        assert flow(*argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert "experiment `e` has no runs yet" in err, argv


def test_plot_of_runs_without_the_metrics_values_is_one_line_and_names_damage(
    ws: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """A metrics file cut mid-line: a note on the damage, then one line naming metric and run."""
    [run_dir] = [path for path in (ws / "logs" / "fit").iterdir() if path.is_dir()][-1:]
    with (run_dir / "metrics.jsonl").open("r+b") as stream:
        stream.truncate(100)
    capsys.readouterr()
    assert flow("plot", str(run_dir), "--metric", "loss", "-o", str(ws / "cut.png")) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2, err
    assert "1 damaged line" in err[0]
    assert run_dir.name in err[0]
    assert "no values of `loss`" in err[1]
    assert run_dir.name in err[1]
    assert not (ws / "cut.png").exists()
