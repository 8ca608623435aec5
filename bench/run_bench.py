"""What the run helper adds to an experiment's start, side by side with the same script without it.

Two versions of one experiment `run.py` in a real workspace that is a git repository
with uncommitted changes (so git has work to do):

- plain:  `config = tyro.cli(RunConfig)`, then `main(config)`;
- helper: `parsed = parse_run(RunConfig)`, then `with record_run(parsed, __file__)`.

Each is run as a fresh process, alternating. Reported (medians, milliseconds):

- start: from launching the process until `main` begins (interpreter start, imports,
  parsing, and for the helper: folder, config, manifest, tee). Target: the helper adds
  under 50 ms.
- enter: the time spent inside `record_run` before the body runs (measured in-process).
- exit: leaving `record_run` with an empty body; it waits for the background thread
  (git state, patch, installed distributions), which a real run of seconds hides.
- total: the whole process.

Twice: in a small repository, and in one with 20,000 tracked files of which 200 are
modified (git's work grows with the tree). Target there: the helper adds at most 40 ms
to the whole process.

    python bench/run_bench.py        # 15 runs of each
    python bench/run_bench.py 40     # more

Child processes run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed), as an
installed environment has it: otherwise every import compiles its source and the
comparison measures the compiler.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = '''
from dataclasses import dataclass, field


@dataclass
class OptimizerConfig:
    lr: float = 1e-3
    weight_decay: float = 0.0


@dataclass
class RunConfig:
    """Train a model."""

    steps: int = 100
    batch_size: int = 32
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
'''

PLAIN = (
    "import json, sys, time\nimport tyro\n"
    + CONFIG
    + """
config = tyro.cli(RunConfig)
started = time.time()
print(json.dumps({"main": started}), file=sys.stderr)
"""
)

HELPER = (
    "import json, sys, time\nfrom flows_workspace import parse_run, record_run\n"
    + CONFIG
    + """
parsed = parse_run(RunConfig)
config = parsed.config
before = time.perf_counter()
with record_run(parsed, __file__) as run:
    started = time.time()
    entered = time.perf_counter()
leaving = time.perf_counter()
print(json.dumps({"main": started, "enter": entered - before, "exit": leaving - entered}),
      file=sys.stderr)
"""
)


def _git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def make_workspace(root: Path, *, tracked: int = 0, modified: int = 0) -> dict[str, Path]:
    """A git workspace with the two experiments, committed, then uncommitted changes.

    `tracked` more files are committed under `src/` (100 per folder), of which the first
    `modified` are then changed.
    """
    scripts = {}
    (root / "flows.toml").write_text("", encoding="utf-8")
    for name, text in (("plain", PLAIN), ("helper", HELPER)):
        folder = root / "flows" / name
        folder.mkdir(parents=True)
        scripts[name] = folder / "run.py"
        scripts[name].write_text(text, encoding="utf-8")
    sources = [root / "src" / f"m{index // 100}" / f"f{index}.py" for index in range(tracked)]
    for source in sources:
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"x = {source.stem}\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "bench")
    (root / "notes.md").write_text("uncommitted\n", encoding="utf-8")
    with scripts["helper"].open("a", encoding="utf-8") as stream:
        stream.write("# uncommitted change\n")
    for source in sources[:modified]:
        with source.open("a", encoding="utf-8") as stream:
            stream.write("# changed\n")
    return scripts


def time_once(script: Path, cwd: Path) -> dict[str, float]:
    """Launch `script` once; seconds to `main`, whole process, and what it reports."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    launched = time.time()
    done = subprocess.run(
        [sys.executable, str(script), "--steps", "5"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ended = time.time()
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return {
        "start": report["main"] - launched,
        "total": ended - launched,
        "enter": report.get("enter", 0.0),
        "exit": report.get("exit", 0.0),
    }


def git_look_once(root: Path) -> dict[str, float]:
    """Seconds of the git commands any record of the code version needs, run bare.

    The untracked listing and one diff from `HEAD`, as the helper runs them. A run must
    look at its tree before it ends (looking later may record an edit or a commit made
    after it).
    """
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    started = time.perf_counter()
    for command in (
        ["ls-files", "-z", "--others", "--exclude-standard"],
        ["diff", "--binary", "--raw", "-z", "--patch", "HEAD"],
    ):
        subprocess.run(["git", "-C", str(root), *command], check=True, capture_output=True, env=env)
    return {"total": time.perf_counter() - started}


def compare(repeats: int, *, tracked: int = 0, modified: int = 0) -> dict[str, float]:
    """Run both scripts `repeats` times, alternating, in one workspace; print medians."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        scripts = make_workspace(root, tracked=tracked, modified=modified)
        samples: dict[str, list[dict[str, float]]] = {"plain": [], "helper": []}
        for name in scripts:  # warm the file cache and bytecode
            time_once(scripts[name], root)
        for _ in range(repeats):
            for name in ("plain", "helper"):
                samples[name].append(time_once(scripts[name], root))
            samples.setdefault("git", []).append(git_look_once(root))

    def median_ms(name: str, key: str) -> float:
        return 1000 * statistics.median(sample[key] for sample in samples[name])

    where = f"{tracked} tracked files, {modified} modified" if tracked else "a small repository"
    print(f"\n{where}: run helper vs plain tyro script, medians of {repeats} processes (ms)")
    print(f"{'':<28}{'plain':>10}{'helper':>10}{'added':>10}{'ratio':>8}")
    added = {}
    for key, label in (("start", "launch -> main begins"), ("total", "whole process")):
        plain, helper = median_ms("plain", key), median_ms("helper", key)
        added[key] = helper - plain
        print(
            f"{label:<28}{plain:>10.1f}{helper:>10.1f}{helper - plain:>10.1f}"
            f"{helper / plain:>7.2f}x"
        )
    print(f"{'record_run enter':<28}{'':>10}{median_ms('helper', 'enter'):>10.1f}")
    print(f"{'record_run exit (empty run)':<28}{'':>10}{median_ms('helper', 'exit'):>10.1f}")
    print(f"{'git look alone':<28}{'':>10}{median_ms('git', 'total'):>10.1f}")
    return added


def main(repeats: int) -> None:
    """The small repository, then 20,000 tracked files with 200 modified."""
    small = compare(repeats)
    verdict = "OK" if small["start"] < 50 else "OVER"
    print(f"start overhead {small['start']:.1f} ms (target < 50 ms): {verdict}")
    big = compare(repeats, tracked=20_000, modified=200)
    verdict = "OK" if big["total"] <= 40 else "OVER"
    print(
        f"20,000 tracked files: the helper adds {big['total']:.1f} ms (target <= 40 ms): {verdict}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
