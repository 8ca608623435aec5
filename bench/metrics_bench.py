"""What logging one scalar costs, side by side: `run.log`, tensorboardX, a JSON line per record.

Each logs one scalar per call in a loop of 100,000 calls (best of three rounds):

- flows:       `run.log(step=i, loss=x)` inside `record_run` in a real workspace;
- tensorboardX: `SummaryWriter.add_scalar("loss", x, i)`;
- json line:   `file.write(json.dumps({"step": i, "loss": x}))` and a newline, to a buffered file.

Two numbers per tool: "loop", the loop alone, and "total", the loop plus writing
everything to disk (flows' helper thread writes while the loop goes on and at the end;
tensorboardX's writer flushes on `close`). Targets: flows at most 2 us per call, at
least 30x faster than tensorboardX and 3x faster than a JSON line per record.

    python bench/metrics_bench.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

CALLS = 100_000
ROUNDS = 3


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


def best(measure: Callable[[Path], tuple[float, float]]) -> tuple[float, float]:
    """The best loop and total times (microseconds per call) over `ROUNDS` fresh folders."""
    loops, totals = [], []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as folder:
            loop, total = measure(Path(folder))
        loops.append(loop / CALLS * 1e6)
        totals.append(total / CALLS * 1e6)
    return min(loops), min(totals)


def main() -> None:
    tools = {"flows run.log": time_flows, "json line": time_json_lines}
    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        print("tensorboardX is not installed: `pip install tensorboardX` to compare with it")
    else:
        tools["tensorboardX"] = time_tensorboardx
    results = {name: best(measure) for name, measure in tools.items()}
    flows_loop, flows_total = results["flows run.log"]
    print(f"one scalar per call, {CALLS:,} calls, best of {ROUNDS} (us per call)")
    print(f"{'':16}{'loop':>8}{'total':>8}{'loop x':>9}{'total x':>9}")
    for name, (loop, total) in results.items():
        ratios = f"{loop / flows_loop:>9.1f}{total / flows_total:>9.1f}"
        print(f"{name:16}{loop:>8.2f}{total:>8.2f}{ratios}")
    print("(x: how many times slower than flows; targets: flows <= 2 us, tensorboardX >= 30x,")
    print(" json line >= 3x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
