"""What logging one scalar costs, side by side: `run.log`, tensorboardX, a JSON line per record.

Each logs one scalar per call in a loop of 100,000 calls (best of five rounds, the tools
taking turns within each round, so that a burst of load elsewhere on the machine hits
all of them alike):

- flows:       `run.log(step=i, loss=x)` inside `record_run` in a real workspace;
- tensorboardX: `SummaryWriter.add_scalar("loss", x, i)`;
- json line:   `file.write(json.dumps({"step": i, "loss": x}))` and a newline, to a buffered file.

Two numbers per tool: "loop", the loop alone, and "total", the loop plus writing
everything to disk (flows' helper thread writes while the loop goes on and at the end;
tensorboardX's writer flushes on `close`). Targets: flows at most 2 us per call, at
least 30x faster than tensorboardX and 3x faster than a JSON line per record.

Then reading runs back, over 10,000 recorded runs with metrics (made by cloning one real
run, each with its own id, config and metrics): `flow runs` with the index built (warm
files), after dropping the page cache (cold; needs root: `sync; echo 3 >
/proc/sys/vm/drop_caches`), the first `flow runs` building the index, `flow runs
--reindex`, and `flow show ID`; each a fresh process, best of three, with its peak
memory. Targets: `flow runs` within 0.5 s warm and 1 s cold, `flow show ID` within
0.15 s, under 100 MB. `flow --help` is timed beside them as the floor (interpreter
start-up and tyro).

    python bench/metrics_bench.py            # 10,000 runs
    python bench/metrics_bench.py 2000       # fewer runs
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

CALLS = 100_000
ROUNDS = 3
LOG_ROUNDS = 5


def values() -> list[float]:
    """Full-precision floats, as a loss is (short ones would flatter every writer)."""
    return [1.0 / (i + 3) for i in range(CALLS)]


def time_flows(root: Path) -> tuple[float, float]:
    from dataclasses import dataclass

    from flows_workspace import record_run

    @dataclass
    class Config:
        steps: int = CALLS

    (root / "flows.toml").write_text("", encoding="utf-8")
    script = root / "flows" / "bench" / "run.py"
    script.parent.mkdir(parents=True)
    script.write_text("", encoding="utf-8")
    xs = values()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    with record_run(Config(), script, capture_output=False) as run:
        # The run's start-up thread (git state, installed distributions) would compete
        # with the loop; a real run of minutes hides it.
        for thread in threading.enumerate():
            if thread.name == "flows-run-facts":
                thread.join()
        log = run.log
        start = time.perf_counter()
        for i in range(CALLS):
            log(step=i, loss=xs[i])
        loop = time.perf_counter() - start
        run.metrics.flush()
        total = time.perf_counter() - start
    return loop, total


def time_tensorboardx(root: Path) -> tuple[float, float]:
    from tensorboardX import SummaryWriter  # type: ignore[import-untyped]

    xs = values()
    writer = SummaryWriter(str(root / "tb"))
    add_scalar = writer.add_scalar
    start = time.perf_counter()
    for i in range(CALLS):
        add_scalar("loss", xs[i], i)
    loop = time.perf_counter() - start
    writer.close()
    return loop, time.perf_counter() - start


def time_json_lines(root: Path) -> tuple[float, float]:
    xs = values()
    dumps = json.dumps
    with (root / "metrics.jsonl").open("w", encoding="utf-8") as stream:
        write = stream.write
        start = time.perf_counter()
        for i in range(CALLS):
            write(dumps({"step": i, "loss": xs[i]}) + "\n")
        loop = time.perf_counter() - start
    return loop, time.perf_counter() - start


def best(
    tools: Mapping[str, Callable[[Path], tuple[float, float]]],
) -> dict[str, tuple[float, float]]:
    """Each tool's best loop and total times (microseconds per call) over `LOG_ROUNDS`.

    The tools take turns within each round (each in a fresh folder), so that noise from
    elsewhere on the machine is spread over all of them rather than one.
    """
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in tools}
    for _ in range(LOG_ROUNDS):
        for name, measure in tools.items():
            with tempfile.TemporaryDirectory() as folder:
                loop, total = measure(Path(folder))
            times[name].append((loop / CALLS * 1e6, total / CALLS * 1e6))
    return {
        name: (min(loop for loop, _ in rounds), min(total for _, total in rounds))
        for name, rounds in times.items()
    }


def make_runs(root: Path, count: int) -> list[str]:
    """A workspace at `root` with `count` runs of `fit` cloned from one real run; their ids."""
    from datetime import datetime, timedelta, timezone

    (root / "flows" / "fit").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    script = root / "flows" / "fit" / "run.py"
    script.write_text(RUN_SCRIPT, encoding="utf-8")
    subprocess.run([sys.executable, script], cwd=root, check=True, capture_output=True)
    [template] = (root / "logs" / "fit").iterdir()
    manifest = json.loads((template / "manifest.json").read_text(encoding="utf-8"))
    config = json.loads((template / "config.json").read_text(encoding="utf-8"))
    metrics = (template / "metrics.jsonl").read_text(encoding="utf-8")
    shutil.rmtree(template)
    rng = random.Random(0)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ids = []
    for index in range(count):
        moment = start + timedelta(seconds=index * 7)
        run_id = f"{moment.strftime('%Y%m%d-%H%M%S-%f')}-{index:06x}"
        folder = root / "logs" / "fit" / run_id
        folder.mkdir()
        lr = rng.choice([0.1, 0.01, 0.001])
        new_config = {**config, "seed": index, "optimizer": {**config["optimizer"], "lr": lr}}
        (folder / "config.json").write_text(json.dumps(new_config, indent=2), encoding="utf-8")
        loss = rng.random()
        summaries = dict(manifest["metrics"])
        summaries["loss"] = {**summaries["loss"], "last": loss, "min": loss / 2}
        new_manifest = {**manifest, "run_id": run_id, "started": moment.isoformat()}
        new_manifest["metrics"] = summaries
        text = json.dumps(new_manifest, indent=2)
        (folder / "manifest.json").write_text(text, encoding="utf-8")
        (folder / "metrics.jsonl").write_text(metrics, encoding="utf-8")
        ids.append(run_id)
    return ids


RUN_SCRIPT = """
from dataclasses import dataclass, field

from flows_workspace import record_run


@dataclass
class OptimizerConfig:
    lr: float = 0.1
    momentum: float = 0.9


@dataclass
class Config:
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    steps: int = 100
    seed: int = 0


with record_run(Config(), __file__, capture_output=False) as run:
    for step in range(100):
        run.log(step=step, loss=1.0 / (step + 1), acc=step / 100)
    run.summary(best=0.5)
"""


def timed(argv: list[str], cwd: Path, *, cold: bool = False) -> tuple[float, float]:
    """Seconds and peak memory (MB) of one fresh `flow ARGV` process."""
    if cold:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "flows_workspace", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        msg = f"flow {' '.join(argv)} failed ({process.returncode})"
        raise RuntimeError(msg)
    return elapsed, usage.ru_maxrss / 1024


def bench_listing(count: int) -> None:
    """Time reading `count` recorded runs back."""
    can_drop = os.geteuid() == 0 if hasattr(os, "geteuid") else False
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        ids = make_runs(root, count)
        print(f"reading {count:,} recorded runs back (seconds, best of {ROUNDS}; peak MB)")
        first = timed(["runs"], root)
        cases: dict[str, tuple[list[str], bool]] = {
            "flow --help": (["--help"], False),
            "flow runs": (["runs"], False),
            "flow runs --reindex": (["runs", "--reindex"], False),
            "flow show ID": (["show", ids[count // 2]], False),
            "flow runs (cold)": (["runs"], True),
            "flow show ID (cold)": (["show", ids[count // 3]], True),
        }
        print(f"{'flow runs (first: builds index)':34}{first[0]:>8.3f}{first[1]:>8.0f}")
        for name, (argv, cold) in cases.items():
            if cold and not can_drop:
                print(f"{name:34}  skipped: dropping the page cache needs root")
                continue
            results = [timed(argv, root, cold=cold) for _ in range(ROUNDS)]
            seconds = min(result[0] for result in results)
            memory = max(result[1] for result in results)
            print(f"{name:34}{seconds:>8.3f}{memory:>8.0f}")
        print("(targets: flow runs <= 0.5 s warm, <= 1 s cold; flow show <= 0.15 s; < 100 MB)\n")


def main() -> None:
    # Listing first: a child's peak memory counts the parent's pages until it execs.
    bench_listing(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    tools = {"flows run.log": time_flows, "json line": time_json_lines}
    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        print("tensorboardX is not installed: `pip install tensorboardX` to compare with it")
    else:
        tools["tensorboardX"] = time_tensorboardx
    results = best(tools)
    flows_loop, flows_total = results["flows run.log"]
    print(f"one scalar per call, {CALLS:,} calls, best of {LOG_ROUNDS} (us per call)")
    print(f"{'':16}{'loop':>8}{'total':>8}{'loop x':>9}{'total x':>9}")
    for name, (loop, total) in results.items():
        ratios = f"{loop / flows_loop:>9.1f}{total / flows_total:>9.1f}"
        print(f"{name:16}{loop:>8.2f}{total:>8.2f}{ratios}")
    print("(x: how many times slower than flows; targets: flows <= 2 us, tensorboardX >= 30x,")
    print(" json line >= 3x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
