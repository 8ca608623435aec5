"""TensorBoard event files written beside the metrics, read back with TensorBoard's own reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from subprocesses import run_python

if TYPE_CHECKING:
    from pathlib import Path

SCRIPT = """
import sys
from dataclasses import dataclass

from flows_workspace import record_run


@dataclass
class Config:
    lr: float = 0.1
    name: str = "base"


on = {"on": True, "off": False, "setting": None}[sys.argv[1]]
with record_run(Config(), __file__, tensorboard=on) as run:
    for step in range(10):
        run.log(step=step, loss=1.0 / (step + 1))
        if step % 2:
            run.log(step=step, acc=step / 10)
    run.summary(test_acc=0.5)
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with an experiment `tb` whose run logs `loss` and `acc`."""
    root = tmp_path / "ws"
    (root / "flows" / "tb").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / "flows" / "tb" / "run.py").write_text(SCRIPT, encoding="utf-8")
    return root


def run_tb(ws: Path, mode: str) -> Path:
    """Run the experiment with TensorBoard `on`, `off` or as the `setting` says; its folder."""
    done = run_python(ws / "flows" / "tb" / "run.py", mode, cwd=ws)
    assert done.returncode == 0, done.stderr
    return max((ws / "logs" / "tb").iterdir())


def test_event_files_hold_every_scalar_and_the_config_as_hparams(ws: Path) -> None:
    """TensorBoard's reader finds each value at its step, and the hparams of the run."""
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    run_dir = run_tb(ws, "on")
    assert list(run_dir.glob("events.out.tfevents.*"))
    events = accumulator.EventAccumulator(str(run_dir))
    events.Reload()
    loss = events.Scalars("loss")
    assert [event.step for event in loss] == list(range(10))
    assert [event.value for event in loss] == pytest.approx([1 / (s + 1) for s in range(10)])
    acc = events.Scalars("acc")
    assert [(event.step, event.value) for event in acc] == [
        (s, pytest.approx(s / 10)) for s in (1, 3, 5, 7, 9)
    ]
    assert events.Scalars("hparam/test_acc")[0].value == 0.5
    assert events.Scalars("hparam/loss")[0].value == pytest.approx(0.1)
    hparams = events.PluginTagToContent("hparams")
    assert hparams
    content = b"".join(hparams.values())
    assert b"lr" in content
    assert b"base" in content


def test_workspace_setting_turns_it_on_and_nothing_is_written_by_default(ws: Path) -> None:
    """`tensorboard = true` in flows.toml writes events; without it, none are written."""
    pytest.importorskip("tensorboardX")
    assert not list(run_tb(ws, "setting").glob("events.out.tfevents.*"))
    (ws / "flows.toml").write_text("tensorboard = true\n", encoding="utf-8")
    assert list(run_tb(ws, "setting").glob("events.out.tfevents.*"))
    assert not list(run_tb(ws, "off").glob("events.out.tfevents.*"))


def test_without_tensorboardx_asking_for_events_is_one_line_and_no_run(ws: Path) -> None:
    """With tensorboardX not importable, the run stops before its folder: one line, exit 2."""
    launcher = (
        "import runpy, sys; sys.modules['tensorboardX'] = None; "
        f"sys.argv = [{str(ws / 'flows' / 'tb' / 'run.py')!r}, 'on']; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    done = run_python("-c", launcher, cwd=ws)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "pip install 'flows-workspace[tensorboard]'" in done.stderr
    assert not (ws / "logs").exists()


def test_a_bad_tensorboard_setting_is_named(ws: Path) -> None:
    """`tensorboard = "yes"` in flows.toml: one line naming the setting and what it takes."""
    (ws / "flows.toml").write_text('tensorboard = "yes"\n', encoding="utf-8")
    done = run_python(ws / "flows" / "tb" / "run.py", "setting", cwd=ws)
    assert done.returncode == 1  # a settings file, not a command-line value: exit 1
    assert done.stderr.count("\n") == 1
    assert "setting `tensorboard`" in done.stderr
    assert "must be true or false" in done.stderr


def test_a_resumed_run_supersedes_its_earlier_events_from_its_first_step(tmp_path: Path) -> None:
    """Events logged again after a resume hide the earlier ones: each step once, the new value."""
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from flows_workspace.results.metrics_writer import MetricsWriter
    from flows_workspace.results.tensorboard import TensorBoardEvents

    first = MetricsWriter(tmp_path, TensorBoardEvents(tmp_path, {}))
    for step in range(8):
        first.add(step=step, loss=float(step))
    first.close()
    again = MetricsWriter(tmp_path, TensorBoardEvents(tmp_path, {}), resumed=True)
    for step in range(5, 10):
        again.add(step=step, loss=step + 0.5)
    again.close()
    events = accumulator.EventAccumulator(str(tmp_path))
    events.Reload()
    loss = [(event.step, event.value) for event in events.Scalars("loss")]
    assert loss == [(s, float(s)) for s in range(5)] + [(s, s + 0.5) for s in range(5, 10)]
