"""Time `flow` where people wait, side by side with what they would use instead.

1. `flow --help` against a bare tyro app with one dataclass (`--help` too): both are
   fresh interpreter processes, so this is start-up plus parsing. Target: within 1.25x.
2. `flow create` from the `default` template against cookiecutter generating the same
   template (converted: the files under `{{cookiecutter.experiment_name}}/`, `.jinja`
   files rendered, every other file copied without rendering). Both are fresh
   processes creating one experiment, `flow create` parsed by tyro like every other
   command. Target: no slower than cookiecutter (ratio at most 1.0).

    python bench/cli_bench.py          # 15 repeats of each
    python bench/cli_bench.py 40       # more repeats

Needs flows-workspace with flow-templates installed in the running environment, and
cookiecutter for the second comparison (`pip install cookiecutter`); without it that
row says "not installed". Medians of wall-clock time are reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.resources import as_file
from pathlib import Path

BARE_TYRO_APP = '''\
"""A bare tyro app with one dataclass."""
from dataclasses import dataclass

import tyro


@dataclass
class Args:
    """Train something."""

    name: str = "exp"
    """A name."""
    steps: int = 10
    """How many steps."""


if __name__ == "__main__":
    tyro.cli(Args)
'''


def _console_script(name: str) -> list[str]:
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows_workspace"]


def _wall_seconds(command: list[str], cwd: Path) -> float:
    """Wall time of running `command` once, in a fresh process."""
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def bench_help(repeats: int, scratch: Path) -> tuple[float, float]:
    """Median seconds of `flow --help` and of a bare tyro app's `--help`."""
    app = scratch / "bare_tyro_app.py"
    app.write_text(BARE_TYRO_APP, encoding="utf-8")
    flow = [*_console_script("flow"), "--help"]
    bare = [sys.executable, str(app), "--help"]
    for command in (flow, bare):  # warm the file cache for both
        _wall_seconds(command, scratch)
    flow_s, bare_s = [], []
    for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
        flow_s.append(_wall_seconds(flow, scratch))
        bare_s.append(_wall_seconds(bare, scratch))
    return statistics.median(flow_s), statistics.median(bare_s)


def _cookiecutter_template(workspace: Path, scratch: Path) -> tuple[Path, dict[str, str]]:
    """The `default` template converted to a cookiecutter template; and its context."""
    from flows_workspace.templates.discovery import METADATA_NAME, find_experiment_template
    from flows_workspace.templates.variables import template_variables
    from flows_workspace.workspace.settings import find_workspace

    template = find_experiment_template("default", find_workspace(workspace))
    context = template_variables(
        experiment_name="exp",
        flows_package="flows",
        declared=template.variable_specs,
        overrides={},
        template_name=template.name,
    )
    root = scratch / "cookiecutter-default"
    body = root / "{{cookiecutter.experiment_name}}"
    names = "|".join(sorted(map(re.escape, context), key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])({names})\b")
    verbatim = []
    with as_file(template.root) as source:
        for path in sorted(Path(source).rglob("*")):
            relative = path.relative_to(source)
            if path.is_dir() or "__pycache__" in path.parts or str(relative) == METADATA_NAME:
                continue
            if path.suffix == ".jinja":
                target = body / relative.with_suffix("")
                text = path.read_text(encoding="utf-8")
                # `{{ name | py }}` -> `{{ cookiecutter.name }}` inside Jinja tags only
                # (flows' escaping filters are its own; the bench's values need none).
                text = re.sub(
                    r"({{.*?}}|{%.*?%})",
                    lambda tag: pattern.sub(
                        r"cookiecutter.\1", re.sub(r"\|\s*(?:pydoc|py|json)\b", "", tag.group(0))
                    ),
                    text,
                    flags=re.S,
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            else:
                target = body / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                verbatim.append(str(relative))
    cookiecutter_json = {**context, "_copy_without_render": verbatim}
    (root / "cookiecutter.json").write_text(json.dumps(cookiecutter_json), encoding="utf-8")
    return root, context


def bench_create(repeats: int, scratch: Path) -> tuple[float, float | None]:
    """Median seconds of `flow create` and of cookiecutter making the same experiment."""
    workspace = scratch / "research"
    flow = _console_script("flow")
    subprocess.run(
        [*flow, "init", str(workspace), "--no-install"], check=True, stdout=subprocess.DEVNULL
    )
    creates = [[*flow, "create", f"exp{i}"] for i in range(repeats + 1)]
    flow_s = []
    cookie_s: list[float] = []
    cookiecutter = shutil.which("cookiecutter", path=str(Path(sys.executable).parent))
    if cookiecutter is not None:
        template, _ = _cookiecutter_template(workspace, scratch)
        out = scratch / "cookiecutter-out"
        out.mkdir()
        cookies = [
            [cookiecutter, "--no-input", "-o", str(out), str(template), f"experiment_name=exp{i}"]
            for i in range(repeats + 1)
        ]
        _wall_seconds(cookies[0], scratch)  # warm-up, like flow's below
    _wall_seconds(creates[0], workspace)
    for i in range(1, repeats + 1):
        flow_s.append(_wall_seconds(creates[i], workspace))
        if cookiecutter is not None:
            cookie_s.append(_wall_seconds(cookies[i], scratch))
    # flows' own records: where the experiment came from, and the base of future merges.
    own = {".flow-experiment.toml", ".flow-base"}
    flow_files = {
        p.relative_to(workspace / "flows/exp1").parts[0]
        for p in (workspace / "flows/exp1").rglob("*")
    } - own
    if cookiecutter is not None:
        cookie_files = {p.relative_to(out / "exp1").parts[0] for p in (out / "exp1").rglob("*")}
        assert flow_files == cookie_files, flow_files ^ cookie_files
    return statistics.median(flow_s), (statistics.median(cookie_s) if cookie_s else None)


def main() -> None:
    """Run both comparisons and print times and ratios."""
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    os.environ.pop("FLOWS_DEBUG", None)
    # Users run with cached bytecode; without it both sides mostly time the compiler.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        flow_help, bare_help = bench_help(repeats, scratch)
        flow_create, cookie_create = bench_create(repeats, scratch)
    print(f"python {sys.version.split()[0]}, {repeats} repeats, median wall time per process")
    print(f"{'':34}{'flow':>10}{'other':>10}{'ratio':>8}  target")
    print(
        f"{'--help vs bare tyro app':34}{flow_help * 1e3:>8.1f}ms{bare_help * 1e3:>8.1f}ms"
        f"{flow_help / bare_help:>8.2f}  <= 1.25"
    )
    if cookie_create is None:
        missing = "not installed (pip install cookiecutter)"
        print(f"{'create vs cookiecutter':34}{flow_create * 1e3:>8.1f}ms  {missing}")
    else:
        print(
            f"{'create vs cookiecutter':34}{flow_create * 1e3:>8.1f}ms{cookie_create * 1e3:>8.1f}ms"
            f"{flow_create / cookie_create:>8.2f}  <= 1.00"
        )


if __name__ == "__main__":
    main()
