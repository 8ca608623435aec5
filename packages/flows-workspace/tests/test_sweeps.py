"""`flow sweep` end to end: real `flow` processes on a workspace made by `flow init`."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import subprocesses
from subprocesses import git, start

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals")

GATE_CODE = """
import os as _os
import time as _time

CODE_VERSION = "old"


def _wait_at_gate(run_dir):
    (run_dir / "version.txt").write_text(CODE_VERSION)
    gate = _os.environ.get("SWEEP_TEST_GATE")
    while gate and not _os.path.exists(gate):
        _time.sleep(0.05)
    if CODE_VERSION == "old" and _os.environ.get("SWEEP_TEST_FAIL_AT") == str(_config_steps[0]):
        raise ValueError("the step count this test fails at")


_config_steps = [0]
"""


def flow(
    ws: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `flow ARGV` in a subprocess from the workspace root."""
    return subprocesses.run([sys.executable, "-m", "flows_workspace", *argv], cwd=ws, env=env)


@pytest.fixture(scope="module")
def template_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace made by `flow init` with `exp1` from the default template (made once)."""
    root = tmp_path_factory.mktemp("sweeps") / "ws"
    assert flow(root.parent, "init", str(root), "--no-install").returncode == 0
    assert flow(root, "create", "exp1").returncode == 0
    run_py = root / "flows" / "exp1" / "run.py"
    text = run_py.read_text(encoding="utf-8")
    text = text.replace("\n\n# Models:", f"\n{GATE_CODE}\n\n# Models:", 1)
    text = text.replace(
        "    built = registry.configure_submodules(config)",
        "    _config_steps[0] = config.steps\n    _wait_at_gate(run.dir)\n"
        "    built = registry.configure_submodules(config)",
        1,
    )
    assert "CODE_VERSION" in text, "the default template's run.py changed: update GATE_CODE"
    assert "_wait_at_gate(run.dir)" in text, "the default template's main changed"
    run_py.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def ws(template_ws: Path, tmp_path: Path) -> Path:
    """A fresh copy of the workspace for one test."""
    import shutil

    target = tmp_path / "ws"
    shutil.copytree(template_ws, target)
    return target


def sweep_ids(ws: Path) -> list[str]:
    """The ids of the workspace's sweeps of exp1, oldest first."""
    folder = ws / "logs" / "exp1" / "sweeps"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def record(ws: Path, sweep_id: str) -> dict[str, Any]:
    """The sweep record."""
    path = ws / "logs" / "exp1" / "sweeps" / sweep_id / "sweep.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def runs_of_sweep(ws: Path, sweep_id: str) -> list[dict[str, Any]]:
    """`flow runs --sweep ID --json`."""
    done = flow(ws, "runs", "--sweep", sweep_id, "--json")
    assert done.returncode == 0, done.stderr
    data: list[dict[str, Any]] = json.loads(done.stdout)
    return data


def assert_complete(run_dir: Path) -> dict[str, Any]:
    """Check a finished run folder holds everything; return its config."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "finished"
    assert manifest["experiment"] == "exp1"
    assert manifest["details_recorded"] is True
    for name in ("config.json", "stdout.log", "stderr.log", "metrics.jsonl"):
        assert (run_dir / name).is_file(), name
    config: dict[str, Any] = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    return config


def test_grid_sweep_records_every_combination_as_a_complete_run(ws: Path) -> None:
    """A 2x2 grid runs 4 complete runs with the swept values; `flow runs --sweep` lists them."""
    done = flow(
        ws,
        "sweep",
        "exp1",
        "-p",
        "optimizer.lr=0.001,0.01",
        "-p",
        "model:linear,quadratic",
        "--steps",
        "3",
        "--jobs",
        "2",
    )
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    variations = record(ws, sweep_id)["variations"]
    assert [v["status"] for v in variations] == ["finished"] * 4
    seen = set()
    for variation in variations:
        config = assert_complete(ws / "logs" / "exp1" / variation["run_id"])
        assert config["steps"] == 3
        seen.add((config["optimizer"]["lr"], config["model"]["@type"]))
    assert seen == {
        (lr, model) for lr in (0.001, 0.01) for model in ("LinearConfig", "QuadraticConfig")
    }
    listed = runs_of_sweep(ws, sweep_id[:18])
    assert sorted(run["run_id"] for run in listed) == sorted(v["run_id"] for v in variations)
    assert "4 finished of 4" in done.stdout


def test_random_sweep_draws_in_range_and_repeats_with_its_seed(ws: Path) -> None:
    """`--random 3` draws values inside the ranges; the same seed draws the same variations."""
    args = [
        "sweep",
        "exp1",
        "--random",
        "3",
        "--random-seed",
        "7",
        "--steps",
        "2",
        "-p",
        "optimizer.lr=loguniform(1e-4,1e-1)",
        "-p",
        "samples=int(4,8)",
    ]
    dry = flow(ws, *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == flow(ws, *args, "--dry-run").stdout
    assert not sweep_ids(ws)
    done = flow(ws, *args)
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    assert record(ws, sweep_id)["seed"] == 7
    runs = runs_of_sweep(ws, sweep_id)
    assert len(runs) == 3
    for run in runs:
        config = assert_complete(ws / "logs" / "exp1" / run["run_id"])
        assert 1e-4 <= config["optimizer"]["lr"] <= 1e-1
        assert 4 <= config["samples"] <= 8
        assert not math.isclose(config["optimizer"]["lr"], 0.1)  # drawn, not the default


def test_sweep_file_gives_parameters_arguments_and_settings(ws: Path) -> None:
    """A TOML sweep file's params, args and launcher settings run like the flags would."""
    sweep_file = ws / "sweep.toml"
    sweep_file.write_text(
        'params = ["noise=0.0,0.2", "optimizer:sgd,momentum"]\n'
        'args = ["--steps", "2"]\n'
        'launcher = "local"\n'
        "[resources]\njobs = 2\n",
        encoding="utf-8",
    )
    done = flow(ws, "sweep", "exp1", "--file", str(sweep_file))
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    assert record(ws, sweep_id)["options"]["jobs"] == 2
    configs = [
        assert_complete(ws / "logs" / "exp1" / r["run_id"]) for r in runs_of_sweep(ws, sweep_id)
    ]
    assert sorted((c["noise"], c["optimizer"]["@type"]) for c in configs) == [
        (0.0, "MomentumConfig"),
        (0.0, "SgdConfig"),
        (0.2, "MomentumConfig"),
        (0.2, "SgdConfig"),
    ]
    assert {c["steps"] for c in configs} == {2}


def test_a_failing_variation_is_reported_and_the_others_finish(ws: Path) -> None:
    """One variation raising leaves the rest finished; the summary names its folder and error."""
    done = flow(
        ws,
        "sweep",
        "exp1",
        "-p",
        "steps=2,13,4",
        "--jobs",
        "1",
        env={"SWEEP_TEST_FAIL_AT": "13"},
    )
    assert done.returncode == 1
    [sweep_id] = sweep_ids(ws)
    variations = record(ws, sweep_id)["variations"]
    assert [v["status"] for v in variations] == ["finished", "failed", "finished"]
    failed_dir = ws / "logs" / "exp1" / variations[1]["run_id"]
    assert f"{failed_dir}: ValueError: the step count this test fails at" in done.stdout
    assert f"flow sweep resume {sweep_id}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_code_snapshot_copies_as_a_fork_does(ws: Path) -> None:
    """A FIFO, a big file, links: the sweep runs; no FIFO or big file copied, links still hold."""
    experiment = ws / "flows" / "exp1"
    os.mkfifo(experiment / "pipe")
    with (experiment / "weights.bin").open("wb") as stream:
        stream.truncate(20_000_000)  # sparse: big to `stat`, cheap to make
    (ws / "data" / "shared").mkdir(parents=True)
    (experiment / "shared").symlink_to(Path("..", "..", "data", "shared"))
    (experiment / "main.py").symlink_to("run.py")
    done = subprocesses.run(
        [sys.executable, "-m", "flows_workspace", "sweep", "exp1", "-p", "steps=2"],
        cwd=ws,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    assert [v["status"] for v in record(ws, sweep_id)["variations"]] == ["finished"]
    code = ws / "logs" / "exp1" / "sweeps" / sweep_id / "code" / "exp1"
    assert (code / "run.py").is_file()
    assert not (code / "pipe").exists()
    assert not (code / "weights.bin").exists()
    assert (code / "shared").is_symlink()
    assert (code / "shared").resolve() == (ws / "data" / "shared").resolve()
    assert os.readlink(code / "main.py") == "run.py"  # a link within stays within
    assert (
        "the code snapshot of sweep "
        f"{sweep_id} leaves out 1 file(s) over 10 MB (largest: `weights.bin`, 20 MB)"
    ) in done.stderr
    assert "1 special file(s) (FIFOs, sockets): `pipe`" in done.stderr


def _wait_for(condition: Any, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def start_sweep(ws: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `flow sweep ARGV` in the workspace, its output piped as text."""
    return start(
        [sys.executable, "-m", "flows_workspace", "sweep", *argv],
        cwd=ws,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def interrupt_when(
    process: subprocess.Popen[str], ready: Any, what: str, timeout: float = 120.0
) -> None:
    """Ctrl-C the sweep `process` once `ready()` holds; it must end interrupted (130)."""
    try:
        _wait_for(ready, what, timeout)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=timeout)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 130, stderr


def _started_runs(ws: Path) -> list[Path]:
    return sorted((ws / "logs" / "exp1").glob("*/version.txt"))


def test_a_variation_queued_before_an_edit_runs_the_code_as_launched(ws: Path) -> None:
    """An edit to run.py during a sweep changes neither what queued variations run nor record.

    They run the launch's snapshot and record its commit and patch as their code version.
    """
    git(ws, "init", "-q")
    git(ws, "add", ".")
    git(ws, "commit", "-qm", "before the sweep")
    launched = git(ws, "rev-parse", "HEAD").strip()
    run_py = ws / "flows" / "exp1" / "run.py"
    run_py.write_text(run_py.read_text(encoding="utf-8") + "# uncommitted at launch\n")
    gate = ws / "gate"
    process = start_sweep(
        ws, "exp1", "-p", "steps=2,3", "--jobs", "1", env={"SWEEP_TEST_GATE": str(gate)}
    )
    try:
        _wait_for(lambda: len(_started_runs(ws)) == 1, "the first variation")
        run_py.write_text(
            run_py.read_text(encoding="utf-8").replace(
                'CODE_VERSION = "old"', 'CODE_VERSION = "new"'
            )
        )
        gate.touch()
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr
    versions = [path.read_text(encoding="utf-8") for path in _started_runs(ws)]
    assert versions == ["old", "old"]
    assert 'CODE_VERSION = "new"' in (ws / "flows" / "exp1" / "run.py").read_text()
    [sweep_id] = sweep_ids(ws)
    launch_patch = (ws / "logs" / "exp1" / "sweeps" / sweep_id / "uncommitted.patch").read_bytes()
    assert b"# uncommitted at launch" in launch_patch
    assert b'CODE_VERSION = "new"' not in launch_patch
    for version in _started_runs(ws):
        manifest = json.loads((version.parent / "manifest.json").read_text(encoding="utf-8"))
        assert (manifest["git"]["commit"], manifest["git"]["dirty"]) == (launched, True)
        assert (version.parent / "uncommitted.patch").read_bytes() == launch_patch


def test_ctrl_c_interrupts_every_variation_and_resume_runs_them(ws: Path) -> None:
    """SIGINT stops running and pending variations as interrupted; resume finishes them all."""
    gate = ws / "gate"
    process = start_sweep(
        ws, "exp1", "-p", "steps=2,3,4,5", "--jobs", "2", env={"SWEEP_TEST_GATE": str(gate)}
    )
    interrupt_when(process, lambda: len(_started_runs(ws)) == 2, "two running variations")
    [sweep_id] = sweep_ids(ws)
    variations = record(ws, sweep_id)["variations"]
    assert [v["status"] for v in variations] == ["interrupted"] * 4
    statuses = [r["status"] for r in runs_of_sweep(ws, sweep_id)]
    assert statuses == ["interrupted", "interrupted"]
    gate.touch()
    resumed = flow(ws, "sweep", "resume", sweep_id, env={"SWEEP_TEST_GATE": str(gate)})
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming 4 of 4" in resumed.stdout
    assert [v["status"] for v in record(ws, sweep_id)["variations"]] == ["finished"] * 4
    again = flow(ws, "sweep", "resume", sweep_id)
    assert again.returncode == 0
    assert "nothing to resume" in again.stdout


def test_resume_continues_an_interrupted_variation_from_its_checkpoints(ws: Path) -> None:
    """A variation stopped after it checkpointed continues in its own run folder on resume."""
    process = start_sweep(
        ws, "exp1", "-p", "steps=60000", "--checkpoint-every", "1000", "--jobs", "1"
    )
    interrupt_when(
        process, lambda: any((ws / "logs" / "exp1").glob("*/checkpoints/*")), "a first checkpoint"
    )
    [sweep_id] = sweep_ids(ws)
    [interrupted] = [run["run_id"] for run in runs_of_sweep(ws, sweep_id)]
    resumed = flow(ws, "sweep", "resume", sweep_id)
    assert resumed.returncode == 0, resumed.stderr
    [run] = runs_of_sweep(ws, sweep_id)
    assert (run["run_id"], run["status"]) == (interrupted, "finished")
    manifest = json.loads((ws / "logs" / "exp1" / interrupted / "manifest.json").read_text())
    assert len(manifest["resumed"]) == 1


def test_detached_sweep_returns_and_status_follows_it(ws: Path) -> None:
    """`--detach` returns while variations wait; `flow sweep status` shows them end."""
    gate = ws / "gate"
    done = flow(
        ws, "sweep", "exp1", "-p", "steps=2,3", "--detach", env={"SWEEP_TEST_GATE": str(gate)}
    )
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    status = flow(ws, "sweep", "status", sweep_id)
    assert "finished" not in status.stdout
    assert "its driver is running" in status.stdout
    gate.touch()

    def ended() -> bool:
        return "2 finished" in flow(ws, "sweep", "status", sweep_id).stdout

    _wait_for(ended, "the detached sweep")
    overview = flow(ws, "sweep", "status")
    assert sweep_id in overview.stdout
    assert "2 finished" in overview.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-p", "optimizer.lrr=1,2"], "Unrecognized options: --optimizer.lrr"),
        (["-p", "steps=1,many"], "Error parsing --steps"),
        (["-p", "model:linear,cubic"], "model:cubic"),
        ([], "the sweep has no variations"),
        (["-p", "steps="], "has an empty value"),
        (["-p", "steps=1,2,1"], "lists `1` twice"),
        (["-p", "steps=int(1,5)"], "ranges need `--random N`"),
        (["-p", "steps=2", "--launcher", "kubernetes"], "unknown launcher `kubernetes`"),
        (["-p", "seed=1,2", "--steps"], "Missing value for argument '--steps'"),
        (
            ["-p", "seed=1,2", "--optimizer.beta", "0.5"],
            "Unrecognized or misplaced options: --optimizer.beta",
        ),
        (["-p", "steps=it's", "--dry-run"], "`it's` has an unclosed quote"),
        (["-p", "steps='1,2", "--dry-run"], "`'1,2` has an unclosed quote"),
        (["-p", "steps=1,2\\", "--dry-run"], "`2\\` ends in a backslash"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_launched(
    ws: Path, argv: list[str], message: str
) -> None:
    """Each bad sweep is refused with one line naming the problem, before anything runs."""
    done = flow(ws, "sweep", "exp1", *argv)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (ws / "logs" / "exp1").exists()
    assert "For full helptext" not in done.stderr


def test_a_sweep_file_value_with_an_unclosed_quote_is_one_line_exit_2(ws: Path) -> None:
    """`params = ["steps=it's"]` in a sweep file is refused like the same `-p`, nothing written."""
    sweep_file = ws / "sweep.toml"
    sweep_file.write_text('params = ["steps=it\'s"]\n', encoding="utf-8")
    done = flow(ws, "sweep", "exp1", "--file", str(sweep_file))
    assert done.returncode == 2
    assert "sweep parameter `steps=it's`: value `it's` has an unclosed quote" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (ws / "logs" / "exp1").exists()


def test_a_string_with_a_comma_or_a_quote_is_swept_when_quoted(ws: Path) -> None:
    """`-p "name='a,b',c"`, an escaped comma and a quoted quote are one value each, checked."""
    run_py = ws / "flows" / "exp1" / "run.py"
    text = run_py.read_text(encoding="utf-8")
    field_line = "    steps: int = 200\n"
    assert field_line in text, "the default template's RunConfig changed"
    run_py.write_text(text.replace(field_line, f'    name: str = ""\n{field_line}', 1))
    done = flow(ws, "sweep", "exp1", "-p", "name='a,b',c", "-p", "steps=1,2", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == [
        "0\t--name a,b --steps 1",
        "1\t--name a,b --steps 2",
        "2\t--name c --steps 1",
        "3\t--name c --steps 2",
    ]
    done = flow(ws, "sweep", "exp1", "-p", 'name=x\\,y,"it\'s",1', "--dry-run")
    assert done.returncode == 0, done.stderr
    quoted = shlex.join(["--name", "it's"])  # each variation as a shell takes it back
    assert done.stdout.splitlines()[:3] == ["0\t--name x,y", f"1\t{quoted}", "2\t--name 1"]
    assert "3 variations of exp1" in done.stdout
    assert not (ws / "logs" / "exp1").exists()
    done = flow(ws, "sweep", "exp1", "-p", "name=it's", "--dry-run")
    assert done.returncode == 2
    assert "`name=it's`" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("launcher", "module"), [("slurm", "submitit"), ("ray", "ray")])
def test_a_launcher_without_its_extra_says_how_to_install_it(
    ws: Path, launcher: str, module: str
) -> None:
    """Choosing slurm or ray without its engine gives the exact install command, exit 2."""
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here")
    done = flow(ws, "sweep", "exp1", "-p", "steps=2,3", "--launcher", launcher)
    assert done.returncode == 2
    assert f"pip install 'flows-workspace[{launcher}]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (ws / "logs" / "exp1").exists()


def test_unknown_sweep_id_is_one_line_exit_2(ws: Path) -> None:
    """status, resume and `flow runs --sweep` of a sweep that does not exist exit 2."""
    for argv in (
        ["sweep", "status", "nope"],
        ["sweep", "resume", "nope"],
        ["runs", "--sweep", "x"],
    ):
        done = flow(ws, *argv)
        assert done.returncode == 2, argv
        assert "no sweep" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def _no_job_left(ws: Path, sweep_id: str) -> bool:
    job_ids = [v["job_id"] for v in record(ws, sweep_id)["variations"] if v["job_id"]]
    listed = subprocesses.run(
        ["squeue", "--noheader", "--array", "--format=%i"], check=True
    ).stdout.split()
    return not set(job_ids) & set(listed)


@pytest.mark.slurm
def test_slurm_sweep_runs_a_job_array_and_records_every_variation(ws: Path) -> None:
    """Four variations go to SLURM as one job array; each is a complete run inside its job."""
    done = flow(ws, "sweep", "exp1", "--launcher", "slurm", "-p", "steps=2,3,4,5", "--cpus", "1")
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    variations = record(ws, sweep_id)["variations"]
    assert [v["status"] for v in variations] == ["finished"] * 4
    arrays = {v["job_id"].split("_")[0] for v in variations}
    assert len(arrays) == 1
    assert sorted(v["job_id"].split("_")[1] for v in variations) == ["0", "1", "2", "3"]
    for variation in variations:
        run_dir = ws / "logs" / "exp1" / variation["run_id"]
        assert assert_complete(run_dir)["steps"] == 2 + variation["index"]
        environment = json.loads((run_dir / "manifest.json").read_text())["environment"]
        assert environment["SLURM_ARRAY_TASK_ID"] == variation["job_id"].split("_")[1]


@pytest.mark.slurm
def test_detached_slurm_sweep_status_scancel_and_resume(ws: Path) -> None:
    """A detached array is followed by status; a scancelled variation is rerun by resume."""
    gate = ws / "gate"
    done = flow(
        ws,
        "sweep",
        "exp1",
        "--launcher",
        "slurm",
        "-p",
        "steps=2,3,4,5",
        "--array-parallelism",
        "1",
        "--detach",
        env={"SWEEP_TEST_GATE": str(gate)},
    )
    assert done.returncode == 0, done.stderr
    assert "submitted 4 variations to slurm" in done.stdout
    [sweep_id] = sweep_ids(ws)
    status = flow(ws, "sweep", "status", sweep_id)
    assert status.returncode == 0, status.stderr
    assert "pending" in status.stdout
    cancelled = record(ws, sweep_id)["variations"][3]["job_id"]
    subprocesses.run(["scancel", cancelled], check=True)
    gate.touch()
    _wait_for(lambda: _no_job_left(ws, sweep_id), "the array to end", timeout=300)
    status = flow(ws, "sweep", "status", sweep_id)
    assert "3 finished" in status.stdout
    assert "1 missing" in status.stdout
    resumed = flow(ws, "sweep", "resume", sweep_id)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming 1 of 4" in resumed.stdout
    variations = record(ws, sweep_id)["variations"]
    assert [v["status"] for v in variations] == ["finished"] * 4
    assert variations[3]["job_id"] != cancelled
    assert len(runs_of_sweep(ws, sweep_id)) == 4


@pytest.mark.slurm
def test_a_requeued_slurm_job_resumes_its_run_in_its_folder(ws: Path) -> None:
    """`scontrol requeue` of a training variation: status says it is not over; it resumes."""
    done = flow(
        ws,
        "sweep",
        "exp1",
        "--launcher",
        "slurm",
        "-p",
        "steps=20000",
        "--checkpoint-every",
        "100",
        "--detach",
    )
    assert done.returncode == 0, done.stderr
    [sweep_id] = sweep_ids(ws)
    [variation] = record(ws, sweep_id)["variations"]
    logs = ws / "logs" / "exp1"
    _wait_for(lambda: any(logs.glob("*/checkpoints/step-*.json")), "a checkpoint", timeout=300)
    [run_dir] = {path.parent.parent for path in logs.glob("*/checkpoints/step-*.json")}
    subprocesses.run(["scontrol", "requeue", variation["job_id"]], check=True)

    def manifest() -> dict[str, Any]:
        data: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text())
        return data

    _wait_for(lambda: manifest()["status"] != "running", "the first attempt to stop")
    requeued = flow(ws, "sweep", "status", sweep_id)
    assert "interrupted" not in requeued.stdout, requeued.stdout
    _wait_for(lambda: manifest()["status"] == "finished", "the run to finish", timeout=600)
    assert len(manifest()["resumed"]) == 1
    assert "resuming at step " in (run_dir / "stdout.log").read_text(encoding="utf-8")
    assert assert_complete(run_dir)["steps"] == 20000
    assert [run["run_id"] for run in runs_of_sweep(ws, sweep_id)] == [run_dir.name]
    status = flow(ws, "sweep", "status", sweep_id)
    assert "1 finished" in status.stdout, status.stdout


@pytest.mark.slurm
def test_an_attached_sweep_follows_a_requeued_job_to_its_end(ws: Path) -> None:
    """An attached sweep records the job id, and reports a requeued variation when it ends."""
    process = start_sweep(
        ws, "exp1", "--launcher", "slurm", "-p", "steps=20000", "--checkpoint-every", "100"
    )
    try:
        logs = ws / "logs" / "exp1"
        _wait_for(lambda: any(logs.glob("*/checkpoints/step-*.json")), "a checkpoint", timeout=300)
        [sweep_id] = sweep_ids(ws)
        [run_dir] = {path.parent.parent for path in logs.glob("*/checkpoints/step-*.json")}
        [queued] = record(ws, sweep_id)["variations"]  # its job id is recorded once queued
        assert queued["status"] == "pending"
        subprocesses.run(["scontrol", "requeue", queued["job_id"]], check=True)
        stdout, stderr = process.communicate(timeout=600)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, stderr
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "finished"
    assert len(manifest["resumed"]) == 1
    [variation] = record(ws, sweep_id)["variations"]
    assert (variation["status"], variation["run_id"]) == ("finished", run_dir.name)
    assert f"sweep {sweep_id}: 1 finished of 1" in stdout


@pytest.mark.ray
def test_ray_sweep_runs_one_task_per_variation_and_reports_a_failure(ws: Path) -> None:
    """On a local Ray instance every variation runs; a failing one is named, the rest finish."""
    done = flow(
        ws,
        "sweep",
        "exp1",
        "--launcher",
        "ray",
        "-p",
        "steps=2,13,4,5",
        env={"SWEEP_TEST_FAIL_AT": "13"},
    )
    assert done.returncode == 1, done.stderr
    [sweep_id] = sweep_ids(ws)
    variations = record(ws, sweep_id)["variations"]
    assert [v["status"] for v in variations] == ["finished", "failed", "finished", "finished"]
    assert "ValueError: the step count this test fails at" in done.stdout
    for variation in variations:
        if variation["status"] == "finished":
            assert_complete(ws / "logs" / "exp1" / variation["run_id"])


@pytest.mark.parametrize(
    "launcher",
    [pytest.param("slurm", marks=pytest.mark.slurm), pytest.param("ray", marks=pytest.mark.ray)],
)
def test_ctrl_c_cancels_an_attached_sweep_on_the_engine(ws: Path, launcher: str) -> None:
    """SIGINT to an attached SLURM or Ray sweep cancels its jobs; all are recorded interrupted."""
    gate = ws / "gate"
    limit = ["--array-parallelism", "1"] if launcher == "slurm" else ["--cpus", "1"]
    process = start_sweep(
        ws,
        "exp1",
        "--launcher",
        launcher,
        "-p",
        "steps=2,3,4",
        *limit,
        env={"SWEEP_TEST_GATE": str(gate)},
    )
    interrupt_when(process, lambda: len(_started_runs(ws)) >= 1, "a running variation", timeout=300)
    [sweep_id] = sweep_ids(ws)
    assert {v["status"] for v in record(ws, sweep_id)["variations"]} == {"interrupted"}
    runs = runs_of_sweep(ws, sweep_id)
    assert runs
    assert {run["status"] for run in runs} == {"interrupted"}
    if launcher == "slurm":
        assert _no_job_left(ws, sweep_id)
