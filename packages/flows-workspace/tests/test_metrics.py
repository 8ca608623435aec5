"""Metrics logged by runs: the metrics file, summaries, and what survives signals and kills."""

from __future__ import annotations

import json
import math
import signal
import sys
import time
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import pytest
from flows_workspace.results.metrics import METRICS_NAME, MetricsFile, MetricValueError
from flows_workspace.results.metrics_writer import MetricsWriter
from subprocesses import run_flow, run_python, start

if TYPE_CHECKING:
    from pathlib import Path

LOGGING = """
import sys
import time
from dataclasses import dataclass

from flows_workspace import record_run


@dataclass
class Config:
    steps: int = 5
    end: str = "finish"
    pause: float = 0.0


config = Config(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]))
with record_run(config, __file__) as run:
    for step in range(config.steps):
        run.log(step=step, loss=1.0 / (step + 1), acc=step / 10)
        if config.pause:
            print(step, time.time(), flush=True)
            time.sleep(config.pause)
    run.summary(test_acc=0.75)
    print("logged", flush=True)
    if config.end == "raise":
        raise ValueError("boom")
    if config.end == "wait":
        time.sleep(60)
"""


def strict_json(line: str) -> Any:
    """`line` parsed as strict JSON: NaN and Infinity literals are refused."""

    def refuse(constant: str) -> None:
        msg = f"not strict JSON: {constant}"
        raise ValueError(msg)

    return json.loads(line, parse_constant=refuse)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with an experiment `fit` whose run.py logs `loss` and `acc` each step."""
    root = tmp_path / "ws"
    (root / "flows" / "fit").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / "flows" / "fit" / "run.py").write_text(LOGGING, encoding="utf-8")
    return root


def run_logging(ws: Path, steps: int, end: str = "finish") -> Path:
    """Run the logging experiment to its end; its run folder."""
    run_python(ws / "flows" / "fit" / "run.py", str(steps), end, "0", cwd=ws)
    [run_dir] = (ws / "logs" / "fit").iterdir()
    return run_dir


def manifest_of(run_dir: Path) -> dict[str, Any]:
    """The run's manifest, parsed as strict JSON."""
    data: dict[str, Any] = strict_json((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_values_round_trip_with_non_finite_ones_in_strict_json(tmp_path: Path) -> None:
    """NaN and infinities are kept in strict JSON lines (packed, or as text) and read back."""
    writer = MetricsWriter(tmp_path)
    writer.add(0, loss=2.0, count=3)
    writer.add(1, loss=math.nan, count=4)
    writer.add(2, loss=math.inf, count=-math.inf)
    writer.add(3, loss=0.5, count=1)
    writer.add_final(best=math.nan, top=0.25)
    summaries, final = writer.close()
    lines = (tmp_path / METRICS_NAME).read_text(encoding="utf-8").splitlines()
    assert all(isinstance(strict_json(line), dict) for line in lines)
    history = MetricsFile.read(tmp_path)
    assert history.steps == [0, 1, 2, 3]
    assert history.columns["count"] == [3.0, 4.0, -math.inf, 1.0]
    assert history.columns["loss"][0] == 2.0
    assert math.isnan(history.columns["loss"][1] or 0.0)
    assert history.columns["loss"][2:] == [math.inf, 0.5]
    assert math.isnan(history.final["best"])
    assert history.final["top"] == 0.25
    assert math.isnan(final["best"])
    loss = summaries["loss"]
    assert (loss.last, loss.last_step, loss.count) == (0.5, 3, 4)
    assert (loss.min, loss.min_step, loss.max, loss.max_step) == (0.5, 3, math.inf, 2)
    count = summaries["count"]
    assert (count.min, count.min_step, count.max, count.max_step) == (-math.inf, 2, 4.0, 1)
    assert history.summaries() == summaries


def test_summary_of_sparse_metrics_and_of_nan_only_metrics(tmp_path: Path) -> None:
    """A metric logged at some steps only is summarized over those; all-NaN stays NaN."""
    writer = MetricsWriter(tmp_path)
    for step in range(10):
        if step % 3 == 0:
            writer.add(step, train=10.0 - step, val=100.0 + step, bad=math.nan)
        else:
            writer.add(step, train=10.0 - step)
    summaries, _ = writer.close()
    assert (summaries["val"].count, summaries["val"].min_step, summaries["val"].max_step) == (
        4,
        0,
        9,
    )
    assert summaries["train"].last_step == 9
    assert math.isnan(summaries["bad"].min)
    assert math.isnan(summaries["bad"].last)
    history = MetricsFile.read(tmp_path)
    assert history.columns["val"][:4] == [100.0, None, None, 103.0]
    assert MetricsFile.read(tmp_path).summaries()["val"] == summaries["val"]


def test_number_like_values_are_converted_and_others_refused(tmp_path: Path) -> None:
    """float()-able values are kept; a string, a too-large int or a fractional step is refused."""
    writer = MetricsWriter(tmp_path)
    writer.add(True, a=Decimal("0.5"), b=Fraction(1, 4), c=False)
    with pytest.raises(MetricValueError, match=r"metric `loss` is 'high' \(str\), not a number"):
        writer.add(1, loss="high")  # type: ignore[arg-type]
    with pytest.raises(MetricValueError, match=r"step 1.5 \(float\) is not an integer"):
        writer.add(1.5, loss=1.0)  # type: ignore[arg-type]
    with pytest.raises(MetricValueError, match="metric `x`"):
        writer.add_final(x=[1])  # type: ignore[arg-type]
    with pytest.raises(MetricValueError, match="metric `big` is an int too large for a float"):
        writer.add(2, a=1.0, big=10**400)
    writer.add(3, a=2**1023, b=-(2**1023) + 1)  # large ints that do fit
    writer.close()
    history = MetricsFile.read(tmp_path)
    assert history.steps == [1, 3]
    assert history.columns == {
        "a": [0.5, float(2**1023)],
        "b": [0.25, float(-(2**1023) + 1)],
        "c": [0.0, None],
    }


def test_no_metric_takes_the_names_the_record_keeps_its_step_and_time_under(
    tmp_path: Path,
) -> None:
    """`step` and `self` are `run.log`'s parameters: a metric so named is a TypeError."""
    writer = MetricsWriter(tmp_path)
    with pytest.raises(TypeError, match="multiple values for argument 'self'"):
        writer.add(0, self=1.0)
    with pytest.raises(TypeError, match="multiple values for argument 'step'"):
        writer.add(0, step=1.0)  # type: ignore[misc, arg-type]
    writer.add(1, loss=0.5)
    writer.close()
    history = MetricsFile.read(tmp_path)
    assert (history.steps, history.columns) == ([1], {"loss": [0.5]})


def test_logging_after_the_run_ended_is_an_error(tmp_path: Path) -> None:
    """`run.log` after the `with` block raises instead of losing the values silently."""
    writer = MetricsWriter(tmp_path)
    writer.add(0, loss=1.0)
    writer.close()
    with pytest.raises(RuntimeError, match="the run has ended"):
        writer.add(1, loss=1.0)
    with pytest.raises(RuntimeError, match="the run has ended"):
        writer.add_final(loss=1.0)


def test_reader_skips_a_cut_line_and_lines_of_the_wrong_shape(tmp_path: Path) -> None:
    """A line cut short by a kill, or of another shape, is skipped; the rest is read."""
    writer = MetricsWriter(tmp_path)
    writer.add(0, loss=1.0)
    writer.close()
    with (tmp_path / METRICS_NAME).open("a", encoding="utf-8") as stream:
        stream.write('[1, 2]\n{"step": [1, 2], "time_ms": [1], "values": {}}\n')
        stream.write('{"step": [5], "time_ms": [1], "values": {"loss": ["x"]}}\n')
        stream.write('{"step": [3], "time_ms": [1], "values": {"loss": [0.')
    history = MetricsFile.read(tmp_path)
    assert history.steps == [0, 5]
    assert history.columns == {"loss": [1.0, None]}


def test_values_come_back_exactly_and_the_first_form_of_the_file_is_still_read(
    tmp_path: Path,
) -> None:
    """Packed columns keep every bit (and steps past int64); plain JSON lists still read."""
    values = [0.1, 1 / 3, 5e-324, -0.0, 1e308, 123456789.123456789]
    writer = MetricsWriter(tmp_path)
    for step, value in enumerate(values):
        writer.add(step, x=value)
    writer.flush()
    writer.add(2**70, x=1.5, y=2)
    writer.close()
    with (tmp_path / METRICS_NAME).open("a", encoding="utf-8") as stream:
        stream.write(
            '{"step":[7,8],"time_ms":[1000,null],"values":{"x":[0.25,"NaN"],"z":[null,1]}}\n'
        )
    history = MetricsFile.read(tmp_path)
    assert history.steps == [*range(len(values)), 2**70, 7, 8]
    signs = [math.copysign(1.0, v) for v in history.columns["x"][:4] if v is not None]
    assert signs == [1.0, 1.0, 1.0, -1.0]  # -0.0 stays negative
    assert history.columns["x"][: len(values)] == values
    assert history.columns["x"][len(values) :][:2] == [1.5, 0.25]
    assert math.isnan(history.columns["x"][-1] or 0.0)
    assert history.columns["y"] == [None] * len(values) + [2.0, None, None]
    assert history.columns["z"] == [None] * (len(values) + 2) + [1.0]
    assert history.times_ms[-2:] == [1000, None]
    assert all(abs(t - time.time() * 1000) < 600_000 for t in history.times_ms[:-2] if t)


def test_finished_run_keeps_every_value_and_summaries_in_its_manifest(ws: Path) -> None:
    """A run's logged values are all in metrics.jsonl; the manifest summarizes each metric."""
    run_dir = run_logging(ws, 200)
    history = MetricsFile.read(run_dir)
    assert history.steps == list(range(200))
    assert history.final == {"test_acc": 0.75}
    record = manifest_of(run_dir)
    assert record["status"] == "finished"
    assert record["metrics"]["loss"] == {
        "last": 1 / 200,
        "last_step": 199,
        "min": 1 / 200,
        "min_step": 199,
        "max": 1.0,
        "max_step": 0,
        "count": 200,
    }
    assert record["metrics"]["acc"]["max"] == 19.9
    assert record["summary"] == {"test_acc": 0.75}


def test_failing_run_keeps_its_metrics(ws: Path) -> None:
    """A run ending by an exception still writes every logged value and the summaries."""
    run_dir = run_logging(ws, 50, "raise")
    record = manifest_of(run_dir)
    assert record["status"] == "failed"
    assert record["metrics"]["loss"]["count"] == 50
    assert MetricsFile.read(run_dir).steps == list(range(50))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_keeps_its_metrics(ws: Path, signum: int) -> None:
    """Ctrl-C or SIGTERM after logging: every value is written and summarized."""
    process = start(
        [sys.executable, ws / "flows" / "fit" / "run.py", "30", "wait", "0"],
        cwd=ws,
        stdout=-1,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"logged\n"
        process.send_signal(signum)
        process.communicate(timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate(timeout=60)
    [run_dir] = (ws / "logs" / "fit").iterdir()
    record = manifest_of(run_dir)
    assert record["status"] == "interrupted"
    assert record["metrics"]["acc"]["count"] == 30
    assert record["summary"] == {"test_acc": 0.75}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_killed_run_keeps_metrics_up_to_the_last_second(ws: Path) -> None:
    """After SIGKILL, metrics.jsonl holds every step logged more than a second before."""
    process = start(
        [sys.executable, ws / "flows" / "fit" / "run.py", "100000", "finish", "0.01"],
        cwd=ws,
        stdout=-1,
    )
    logged: list[tuple[int, float]] = []
    try:
        assert process.stdout is not None
        while len(logged) < 250:
            step, moment = process.stdout.readline().split()
            logged.append((int(step), float(moment)))
        [run_dir] = (ws / "logs" / "fit").iterdir()
        assert MetricsFile.read(run_dir).steps  # readable while the run goes on
        killed_at = time.time()
        process.kill()
        process.communicate(timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            process.communicate(timeout=60)
    before = [step for step, moment in logged if moment < killed_at - 1.0]
    history = MetricsFile.read(run_dir)
    assert history.steps == list(range(len(history.steps)))
    assert history.steps[-1] >= before[-1]
    assert manifest_of(run_dir)["status"] == "running"
    listed = run_flow("runs", "--json", cwd=ws)
    [item] = json.loads(listed.stdout)
    assert item["status"] == "died"
    assert item["metrics"]["loss"]["count"] == len(history.steps)
    assert item["metrics"]["loss"]["last_step"] == history.steps[-1]


def test_records_logged_from_several_threads_stay_whole(tmp_path: Path) -> None:
    """Each record keeps its own step and values when threads log at the same time."""
    import threading

    writer = MetricsWriter(tmp_path)

    def log_many(offset: int) -> None:
        for step in range(5_000):
            writer.add(step, value=offset + step)

    threads = [threading.Thread(target=log_many, args=(k * 100_000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    history = MetricsFile.read(tmp_path)
    assert len(history.steps) == 20_000
    values = history.columns["value"]
    assert all(int(v or 0) % 100_000 == step for step, v in zip(history.steps, values, strict=True))


def test_a_metrics_file_that_cannot_be_written_is_one_warning_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When metrics.jsonl cannot be written, closing warns once and still summarizes."""
    (tmp_path / METRICS_NAME).mkdir()  # opening it to append fails, even for root
    writer = MetricsWriter(tmp_path)
    writer.add(0, loss=2.0)
    writer.add(1, loss=1.0)
    summaries, _ = writer.close()
    assert summaries["loss"].min == 1.0
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "warning: metrics could not be written to" in err


def test_records_logged_after_a_resume_supersede_earlier_ones_from_their_first_step(
    tmp_path: Path,
) -> None:
    """A resumed writer's records replace the earlier ones from its first step on; each time."""
    first = MetricsWriter(tmp_path)
    for step in range(8):
        first.add(step=step, loss=float(step), **({"acc": 1.0} if step >= 6 else {}))
    first.close()
    again = MetricsWriter(tmp_path, resumed=True)
    for step in range(5, 10):
        again.add(step=step, loss=step + 0.5)
    summaries, _ = again.close()
    assert summaries["loss"].count == 5  # the writer's own summaries: its own records
    third = MetricsWriter(tmp_path, resumed=True)
    third.close()  # resumed, logged nothing: takes nothing away
    history = MetricsFile.read(tmp_path)
    assert history.steps == list(range(10))
    assert history.columns == {"loss": [0.0, 1.0, 2.0, 3.0, 4.0, 5.5, 6.5, 7.5, 8.5, 9.5]}
    loss = history.summaries()["loss"]
    assert (loss.count, loss.last, loss.last_step, loss.max_step) == (10, 9.5, 9, 9)
    again = MetricsWriter(tmp_path, resumed=True)
    again.add(step=9, loss=-1.0)
    again.close()
    assert MetricsFile.read(tmp_path).steps == list(range(10))
    assert MetricsFile.read(tmp_path).columns["loss"][-2:] == [8.5, -1.0]
