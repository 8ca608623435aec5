"""`load_runs` for notebooks: records of runs, `to_pandas()` tables, metric histories."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import flows_workspace
import pytest
from flows_workspace import load_runs
from subprocesses import run_python

if TYPE_CHECKING:
    from pathlib import Path

SCRIPT = """
import math
import sys
from dataclasses import dataclass, field

from config_utils.registry import registry
from flows_workspace import record_run


@dataclass
class SgdConfig:
    lr: float = 0.1


@registry.register_with_config
class Sgd:
    def __init__(self, lr: float) -> None:
        self.lr = lr


@dataclass
class AdamConfig:
    lr: float = 0.001
    beta: float = 0.9


@registry.register_with_config
class Adam:
    def __init__(self, lr: float, beta: float) -> None:
        self.lr = lr


@dataclass
class Config:
    optimizer: SgdConfig | AdamConfig = field(default_factory=SgdConfig)
    steps: int = 4


optimizer = AdamConfig(lr=0.01) if sys.argv[1] == "adam" else SgdConfig(lr=float(sys.argv[1]))
with record_run(Config(optimizer), __file__) as run:
    for step in range(4):
        run.log(step=step, loss=1.0 / (step + 1) + optimizer.lr)
        if step % 2:
            run.log(step=step, val=math.nan if step == 3 else 0.5)
    run.summary(best=0.25)
"""


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with three runs of `opt`: SGD at 0.1 and 0.2, Adam at 0.01."""
    root = tmp_path / "ws"
    (root / "flows" / "opt").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / "flows" / "opt" / "run.py").write_text(SCRIPT, encoding="utf-8")
    for argument in ("0.1", "0.2", "adam"):
        done = run_python(root / "flows" / "opt" / "run.py", argument, cwd=root)
        assert done.returncode == 0, done.stderr
    monkeypatch.chdir(root / "flows" / "opt")
    return root


def test_records_hold_config_values_metrics_and_final_numbers(ws: Path) -> None:
    """Each record has its config values (types by name), metric summaries and summary."""
    runs = load_runs("opt")
    assert [run.config_values()["optimizer"].value for run in runs] == [
        "sgd-config",
        "sgd-config",
        "adam-config",
    ]
    assert runs[2].config_values()["optimizer.beta"].value == 0.9
    assert runs[0].metrics["loss"].min == pytest.approx(0.35)
    assert runs[0].metrics["loss"].min_step == 3
    assert math.isnan(runs[0].metrics["val"].last)
    assert runs[0].summary == {"best": 0.25}
    chosen = load_runs("opt", where=["optimizer=sgd-config"], sort="-optimizer.lr")
    assert [run.id for run in chosen] == [runs[1].id, runs[0].id]
    assert [run.id for run in load_runs(runs=["last", "last~2"])] == [runs[2].id, runs[0].id]


def test_to_pandas_is_one_row_per_run_and_history_one_row_per_record(ws: Path) -> None:
    """`to_pandas()`: runs by row with config and metric columns; a history by record."""
    pandas = pytest.importorskip("pandas")
    runs = load_runs()
    table = runs.to_pandas()
    assert list(table.index) == [run.name for run in runs]
    assert list(table["optimizer"]) == ["sgd-config", "sgd-config", "adam-config"]
    assert list(table["optimizer.lr"]) == [0.1, 0.2, 0.01]
    assert table["loss.min_step"].tolist() == [3, 3, 3]
    assert table["best"].tolist() == [0.25] * 3
    assert math.isnan(table.loc[runs[0].name, "optimizer.beta"])
    history = runs[0].history().to_pandas()
    assert list(history.columns) == ["step", "time", "loss", "val"]
    assert history["step"].tolist() == [0, 1, 1, 2, 3, 3]
    assert history["val"].isna().tolist() == [True, True, False, True, True, True]
    assert str(history["time"].dtype).startswith("datetime64")
    assert isinstance(history, pandas.DataFrame)


def test_notebook_api_is_exported_lazily() -> None:
    """`flows_workspace` names `load_runs` and its record types without importing them first."""
    assert set(flows_workspace.__all__) >= {"load_runs", "RunRecord", "RunRecords", "MetricHistory"}
    assert flows_workspace.RunRecords.__name__ == "RunRecords"
