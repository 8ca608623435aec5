"""32 variations of one experiment, three ways, side by side: `flow sweep`, xargs, Hydra.

The experiment is the `default` template (a curve fit in plain Python) with a small step
count, in a fresh workspace that is a git repository. The same 32 variations (8 learning
rates x 2 models x 2 seeds) are run, two at a time, by:

- flow:  `flow sweep exp1 -p ... --jobs 2` (checks every variation, snapshots the
  code, records the sweep, then runs each variation's `run.py` in a child forked from a
  server that has imported tyro, config-utils and flows-workspace once);
- xargs: the same 32 `python run.py ...` commands through `xargs -P 2`;
- hydra: an equivalent Hydra app (the same fit, its own output folder per job) as a
  multirun under the joblib launcher with `n_jobs=2`.

Each is timed once, wall clock. Targets: flow within 1.2x of xargs, at least 3x faster
than Hydra's joblib launcher. Needs hydra-core and hydra-joblib-launcher (the root
pyproject's `bench` group).

    python bench/sweep_bench.py
    python bench/sweep_bench.py 20   # steps per variation (default 10)
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEARNING_RATES = ("0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1", "0.2")
MODELS = ("linear", "quadratic")
SEEDS = ("0", "1")

HYDRA_APP = """
import json
import random
from dataclasses import dataclass

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig


@dataclass
class Config:
    model: str = "linear"
    lr: float = 0.1
    steps: int = 200
    samples: int = 32
    noise: float = 0.1
    seed: int = 0


ConfigStore.instance().store(name="config", node=Config)


@hydra.main(version_base=None, config_name="config")
def main(cfg: Config) -> None:
    rng = random.Random(cfg.seed)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(cfg.samples)]
    points = [(x, 2.0 * x - 0.5 + rng.gauss(0.0, cfg.noise)) for x in xs]
    features = (lambda x: [x, 1.0]) if cfg.model == "linear" else (lambda x: [x * x, x, 1.0])
    params = [0.0] * len(features(0.0))
    losses = []
    for _ in range(cfg.steps):
        grads = [0.0] * len(params)
        loss = 0.0
        for x, y in points:
            f = features(x)
            error = sum(p * v for p, v in zip(params, f)) - y
            loss += error * error / len(points)
            grads = [g + 2 * error * v / len(points) for g, v in zip(grads, f)]
        losses.append(loss)
        params = [p - cfg.lr * g for p, g in zip(params, grads)]
    out = HydraConfig.get().runtime.output_dir
    with open(f"{out}/metrics.json", "w") as stream:
        json.dump({"final_loss": losses[-1], "losses": losses, "params": params}, stream)


if __name__ == "__main__":
    main()
"""


def _run(command: list[str], cwd: Path, stdin: str | None = None) -> float:
    """Run `command` once; its wall time in seconds (it must succeed)."""
    began = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"`{shlex.join(command)}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def _workspace(root: Path) -> Path:
    """A workspace with `exp1` from the default template, committed to git."""
    python = sys.executable
    _run([python, "-m", "flows_workspace", "init", str(root), "--no-install"], root.parent)
    _run([python, "-m", "flows_workspace", "create", "exp1"], root)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    _run([*git, "init", "-q"], root)
    _run([*git, "add", "."], root)
    _run([*git, "commit", "-qm", "bench"], root)
    return root


def main() -> None:
    """Time the three ways and print the ratios."""
    steps = sys.argv[1] if len(sys.argv) > 1 else "10"
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed environment runs
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        ws = _workspace(Path(tmp) / "ws")
        variations = [
            ["--steps", steps, "--optimizer.lr", lr, f"model:{model}", "--seed", seed]
            for lr in LEARNING_RATES
            for model in MODELS
            for seed in SEEDS
        ]
        # Warm the bytecode caches once, as a user's second sweep would find them.
        _run([python, "flows/exp1/run.py", *variations[0]], ws)
        flow_sweep = [
            python, "-m", "flows_workspace", "sweep", "exp1", "--steps", steps,
            "-p", f"optimizer.lr={','.join(LEARNING_RATES)}",
            "-p", f"model:{','.join(MODELS)}", "-p", f"seed={','.join(SEEDS)}", "--jobs", "2",
        ]  # fmt: skip
        flow_seconds = _run(flow_sweep, ws)
        lines = "".join(shlex.join(v) + "\n" for v in variations)
        xargs = ["xargs", "-P", "2", "-L", "1", python, "flows/exp1/run.py"]
        xargs_seconds = _run(xargs, ws, stdin=lines)
        hydra_dir = Path(tmp) / "hydra"
        hydra_dir.mkdir()
        (hydra_dir / "app.py").write_text(HYDRA_APP, encoding="utf-8")
        hydra = [
            python, "app.py", "--multirun", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
            f"steps={steps}", f"lr={','.join(LEARNING_RATES)}",
            f"model={','.join(MODELS)}", f"seed={','.join(SEEDS)}",
        ]  # fmt: skip
        _run([python, "-c", "import hydra, hydra_plugins.hydra_joblib_launcher"], hydra_dir)
        hydra_seconds = _run(hydra, hydra_dir)
    count = len(variations)
    print(f"{count} variations, {steps} steps each, 2 at a time, wall clock (one run each)")
    print(f"  flow sweep --jobs 2        {flow_seconds:7.2f} s")
    print(f"  xargs -P 2                 {xargs_seconds:7.2f} s")
    print(f"  hydra joblib (n_jobs=2)    {hydra_seconds:7.2f} s")
    print(f"flow / xargs  = {flow_seconds / xargs_seconds:.2f}x  (target: at most 1.2x)")
    print(f"hydra / flow  = {hydra_seconds / flow_seconds:.2f}x  (target: at least 3x)")


if __name__ == "__main__":
    main()
