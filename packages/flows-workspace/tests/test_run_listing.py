"""`flow runs`, `show`, `diff`, `tag` and `note` over real runs of the default template."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

import pytest
from subprocesses import git, run_flow, run_python, start

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Flow


def fit(root: Path, *args: str) -> Path:
    """Run the `fit` experiment's run.py with `args` in a real process; its new run folder."""
    before = set((root / "logs" / "fit").glob("*")) if (root / "logs" / "fit").is_dir() else set()
    done = run_python(root / "flows" / "fit" / "run.py", *args, cwd=root)
    assert done.returncode == 0, done.stderr
    [new] = set((root / "logs" / "fit").glob("*")) - before
    return new


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flow: Flow) -> Path:
    """A workspace with a default-template experiment `fit`, committed to git."""
    root = tmp_path / "research"
    assert flow("init", str(root), "--no-install") == 0
    monkeypatch.chdir(root)
    assert flow("create", "fit") == 0
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "fit")
    return root


@pytest.fixture
def runs(ws: Path) -> list[Path]:
    """Three runs of `fit`: SGD at lr 0.1 and 0.05, momentum at 0.02 (30 steps each)."""
    return [
        fit(ws, "--steps", "30"),
        fit(ws, "--steps", "30", "--optimizer.lr", "0.05"),
        fit(ws, "optimizer:momentum", "--optimizer.lr", "0.02", "--steps", "30"),
    ]


def output(flow: Flow, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """What `flow ARGV` prints, checking it succeeds."""
    capsys.readouterr()
    assert flow(*argv) == 0
    return capsys.readouterr().out


def manifest(run_dir: Path) -> dict[str, Any]:
    """The run's manifest."""
    data: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return data


def test_table_shows_varying_values_as_flags_then_metrics(
    ws: Path, runs: list[Path], flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only what varies is shown, written as the command line takes it, then the metrics."""
    header, *rows = output(flow, capsys, "runs", "fit").splitlines()
    assert header.split() == [
        "RUN",
        "STATUS",
        "START",
        "DURATION",
        "COMMIT",
        "optimizer",
        "optimizer.lr",
        "optimizer.beta",
        "loss",
        "final_loss",
    ]
    assert [row.split()[0] for row in rows] == [run.name for run in runs]
    assert rows[0].split()[6:9] == ["optimizer:sgd", "--optimizer.lr=0.1", "-"]
    assert rows[2].split()[6:9] == [
        "optimizer:momentum",
        "--optimizer.lr=0.02",
        "--optimizer.beta=0.9",
    ]
    last_loss = manifest(runs[2])["metrics"]["loss"]["last"]
    assert rows[2].split()[-2] == f"{last_loss:.4g}"
    # `flow diff` and `flow show` name config types as the command line does, too.
    diffs = output(flow, capsys, "diff", "last", "last~2").splitlines()
    assert diffs[1].split() == ["optimizer", "momentum", "sgd"]
    assert "changes:      optimizer=momentum optimizer.lr=0.02 steps=30\n" in output(
        flow, capsys, "show", "last"
    )


def test_a_rows_config_cells_pasted_back_run_the_same_config(
    ws: Path, runs: list[Path], flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """The flags of a row, given to run.py, reproduce that run's config.

    They are spelled as `--help` shows them (`--checkpoint-every`, not `checkpoint_every`).
    """
    columns = "steps,optimizer,optimizer.lr,checkpoint_every"
    out = output(flow, capsys, "runs", "fit", "--columns", columns)
    cells = out.splitlines()[3].split()[1:]
    assert cells == [
        "--steps=30",
        "optimizer:momentum",
        "--optimizer.lr=0.02",
        "--checkpoint-every=50",
    ]
    again = fit(ws, *cells)
    assert json.loads((again / "config.json").read_text()) == json.loads(
        (runs[2] / "config.json").read_text()
    )


def test_sort_and_where_choose_and_order_runs(
    ws: Path, runs: list[Path], flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--sort loss`, `--sort=-loss` and `--where` on config, metrics and status."""
    losses = {run.name: manifest(run)["metrics"]["loss"]["last"] for run in runs}

    def listed(*argv: str) -> list[str]:
        return [line.split()[0] for line in output(flow, capsys, *argv).splitlines()[1:]]

    assert listed("runs", "fit", "--sort", "loss") == sorted(losses, key=losses.__getitem__)
    assert listed("runs", "fit", "--sort=-loss") == sorted(losses, key=losses.__getitem__)[::-1]
    lower = ["runs", "fit", "--where", "optimizer.lr<0.1", "--where", "status=finished"]
    assert listed(*lower) == [runs[1].name, runs[2].name]
    assert listed("runs", "fit", "--where", "optimizer=momentum") == [runs[2].name]
    best = min(losses.values())
    assert listed("runs", "fit", "--where", f"loss.min<={best!r}") == [
        name
        for name, loss in losses.items()
        if manifest(ws / "logs" / "fit" / name)["metrics"]["loss"]["min"] <= best
    ]
    assert "no runs of experiment `fit` matching" in output(
        flow, capsys, "runs", "fit", "--where", "status=failed"
    )


def test_json_and_csv_hold_values_and_metric_summaries(
    ws: Path, runs: list[Path], flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json` gives values, metrics and summary per run; `--csv` the table's columns in full."""
    listed = json.loads(output(flow, capsys, "runs", "--json"))
    assert [item["run_id"] for item in listed] == [run.name for run in runs]
    assert listed[2]["values"]["optimizer"] == "momentum"
    assert listed[2]["values"]["optimizer.lr"] == 0.02
    assert listed[0]["metrics"]["loss"] == manifest(runs[0])["metrics"]["loss"]
    assert listed[0]["metrics"]["loss"]["count"] == 30
    assert set(listed[0]["summary"]) == {"final_loss"}
    table = list(csv.DictReader(io.StringIO(output(flow, capsys, "runs", "fit", "--csv"))))
    assert [row["run"] for row in table] == [f"fit/{run.name}" for run in runs]
    assert float(table[1]["loss"]) == manifest(runs[1])["metrics"]["loss"]["last"]
    assert table[1]["optimizer.lr"] == "0.05"
    assert table[0]["optimizer.beta"] == ""


def test_last_tags_and_notes_name_runs(
    ws: Path, runs: list[Path], flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`last`, `last~N`, `EXP/last` and tags name runs (`--from-run` too); notes are shown."""
    assert f"run:          fit/{runs[2].name}" in output(flow, capsys, "show", "last")
    assert f"run:          fit/{runs[0].name}" in output(flow, capsys, "show", "fit/last~2")
    assert "best sgd added to" in output(flow, capsys, "tag", "last~1", "best", "sgd")
    shown = output(flow, capsys, "show", "best")
    assert f"run:          fit/{runs[1].name}" in shown
    assert "tags:         best sgd" in shown
    noted = output(flow, capsys, "note", "best", "lr 0.05 converges slower")
    assert noted == f"noted on fit/{runs[1].name} (1 note)\n"
    assert "lr 0.05 converges slower" in output(flow, capsys, "show", "sgd")
    assert json.loads((runs[1] / "notes.json").read_text())["tags"] == ["best", "sgd"]
    table = output(flow, capsys, "runs", "--where", "tags=best").splitlines()
    assert [line.split()[0] for line in table[1:]] == [f"fit/{runs[1].name}"]
    assert table[0].split()[-1] == "tags"
    assert "best removed from" in output(flow, capsys, "tag", "best", "best", "--remove")
    assert "tags:         sgd\n" in output(flow, capsys, "show", "sgd")
    again = fit(ws, "--from-run", "sgd", "--steps", "7")
    expected = {**json.loads((runs[1] / "config.json").read_text()), "steps": 7}
    assert json.loads((again / "config.json").read_text()) == expected
    output(flow, capsys, "tag", "last", "sgd")
    assert flow("show", "sgd") == 2
    assert "tag `sgd` is on 2 runs" in capsys.readouterr().err


def test_notes_and_tags_given_at_once_are_all_kept(ws: Path) -> None:
    """Many `flow note` and `flow tag` processes on one run at the same time lose none."""
    run_dir = fit(ws, "--steps", "3")
    flow_command = [sys.executable, "-m", "flows_workspace"]
    processes = [start([*flow_command, "note", "last", f"note {i}"], cwd=ws) for i in range(12)]
    processes += [start([*flow_command, "tag", "last", f"tag{i}"], cwd=ws) for i in range(8)]
    assert [process.wait(timeout=120) for process in processes] == [0] * 20
    kept = json.loads((run_dir / "notes.json").read_text(encoding="utf-8"))
    assert sorted(note["text"] for note in kept["notes"]) == sorted(f"note {i}" for i in range(12))
    assert sorted(kept["tags"]) == sorted(f"tag{i}" for i in range(8))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("runs", "--sort", "bogus"), "unknown column `bogus` in `--sort bogus`"),
        (("runs", "--where", "los<1"), "unknown column `los` in `--where los<1`; did you mean"),
        (("runs", "--columns", "loss,nope"), "unknown column `nope` in `--columns loss,nope`"),
        (("runs", "--where", "loss"), "cannot read `--where loss`: write KEY OP VALUE"),
        (("runs", "--where", "loss<abc"), "`loss` holds numbers and `abc` is not one"),
        (("show", "nope"), "no run `nope` in "),
        (("show", "20"), "matches 3 runs"),
        (("show", "last~3"), "there are 3 runs (`last` to `last~2`)"),
        (("tag", "last", "9lives"), "`9lives` cannot be a tag"),
        (("note", "last", " "), "the note is empty"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    ws: Path, runs: list[Path], argv: tuple[str, ...], message: str
) -> None:
    """Unknown columns, malformed conditions and references matching none or several: exit 2."""
    done = run_flow(*argv, cwd=ws)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("flow: error: ")
    assert message in done.stderr


def test_diff_shows_facts_metrics_and_the_code(
    ws: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """`flow diff` lists config, metric and commit differences; `--code` the code diff."""
    first = fit(ws, "--steps", "20")
    run_py = ws / "flows" / "fit" / "run.py"
    run_py.write_text(run_py.read_text().replace("samples: int = 32", "samples: int = 40"))
    second = fit(ws, "--steps", "25")
    out = output(flow, capsys, "diff", first.name, "last")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert rows["steps"] == ["20", "25"]
    assert rows["samples"] == ["32", "40"]
    assert "commit" in rows
    assert rows["commit"][1].endswith("*")
    assert "patch" in rows, out
    assert rows["patch"][0] == "-"
    assert rows["loss.last"] == [
        f"{manifest(first)['metrics']['loss']['last']:.4g}",
        f"{manifest(second)['metrics']['loss']['last']:.4g}",
    ]
    code = output(flow, capsys, "diff", first.name, second.name, "--code")
    assert "-    samples: int = 32\n+    samples: int = 40\n" in code
    assert "a/flows/fit/run.py" in code
    assert "the two runs ran the same code" in output(
        flow, capsys, "diff", second.name, second.name, "--code"
    )


def test_corrupt_run_folders_never_break_the_listing(
    ws: Path, flow: Flow, capsys: pytest.CaptureFixture[str]
) -> None:
    """Garbage, truncated, `[]`, missing or deeply nested files: listed as unreadable, with why."""
    good = fit(ws, "--steps", "5")
    logs = ws / "logs" / "fit"
    broken = {
        "garbage-manifest": ("manifest.json", "\x00\xff not json"),
        "truncated-manifest": ("manifest.json", (good / "manifest.json").read_text()[:40]),
        "list-manifest": ("manifest.json", "[]"),
        "missing-manifest": ("manifest.json", None),
        "missing-config": ("config.json", None),
        "garbage-config": ("config.json", "{{{"),
        "nested-config": ("config.json", "[" * 100_000),
    }
    names = {}
    for index, (label, (file, text)) in enumerate(broken.items()):
        name = f"20200101-000000-00000{index}-abcde{index}"
        shutil.copytree(good, logs / name)
        if text is None:
            (logs / name / file).unlink()
        else:
            (logs / name / file).write_text(text, encoding="utf-8", errors="surrogateescape")
        names[label] = name
    out = output(flow, capsys, "runs", "fit")
    assert f"\n{good.name}  finished  " in out
    unreadable = {line.split()[0]: line for line in out.splitlines() if "  unreadable: " in line}
    assert set(unreadable) == set(names.values())
    assert "manifest.json" in unreadable[names["missing-manifest"]]
    assert "nested too deeply" in unreadable[names["nested-config"]]
    assert "holds list, not a manifest object" in unreadable[names["list-manifest"]]
    listed = json.loads(output(flow, capsys, "runs", "--json"))
    assert sum(item["status"] == "unreadable" for item in listed) == len(names)

    done = run_flow("show", names["garbage-manifest"], cwd=ws)
    assert done.returncode == 1
    assert done.stderr.startswith(f"flow: error: run `{names['garbage-manifest']}` cannot be read:")
    assert done.stderr.count("\n") == 1
    shown = output(flow, capsys, "show", names["garbage-config"])
    assert "config:       unreadable: cannot read " in shown
    done = run_flow("diff", good.name, names["nested-config"], cwd=ws)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1
    assert "cannot be compared" in done.stderr


def test_table_fits_the_terminal_width(
    ws: Path,
    runs: list[Path],
    flow: Flow,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a narrow terminal, no line is wider; hidden columns are named on stderr."""
    monkeypatch.setenv("COLUMNS", "70")
    capsys.readouterr()
    assert flow("runs") == 0
    captured = capsys.readouterr()
    assert all(len(line) <= 70 for line in captured.out.splitlines())
    assert captured.out.splitlines()[0].startswith("RUN")
    assert [line.split()[0] for line in captured.out.splitlines()[1:]] == [
        f"fit/{run.name}" for run in runs
    ]
    assert "more columns: " in captured.err
    assert "final_loss" in captured.err


@pytest.mark.parametrize("width", [80, 120])
def test_narrow_terminal_keeps_what_varies_and_the_first_metric_before_the_facts(
    ws: Path,
    runs: list[Path],
    flow: Flow,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    width: int,
) -> None:
    """At 80 and 120 columns `loss` and what varies (what fits) stay; START, DURATION, COMMIT go."""
    monkeypatch.setenv("COLUMNS", str(width))
    capsys.readouterr()
    assert flow("runs", "fit") == 0
    captured = capsys.readouterr()
    assert all(len(line) <= width for line in captured.out.splitlines())
    header = captured.out.splitlines()[0].split()
    assert header[:2] == ["RUN", "STATUS"]
    assert header[-1] == "loss"  # the first metric, after what varies
    shown = {"optimizer", "optimizer.lr", "optimizer.beta"} & set(header)
    assert shown == (
        {"optimizer"} if width == 80 else {"optimizer", "optimizer.lr", "optimizer.beta"}
    )
    hidden = captured.err.split("more columns: ")[1].split(";")[0].split(", ")
    assert "COMMIT" in hidden
    assert set(hidden).isdisjoint(header)
