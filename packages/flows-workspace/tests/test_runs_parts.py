"""The pieces of recorded runs: run ids, recorded environment, config differences, git status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from flows_workspace import parse_config
from flows_workspace.runs.config_diff import (
    MISSING,
    changed_values,
    differences,
    flatten,
    rebase_defaults,
)
from flows_workspace.runs.environment import python_facts, recorded_environment
from flows_workspace.runs.ids import RUN_ID_PATTERN, new_run_id
from flows_workspace.runs.parse import parse_run, split_from_run
from subprocesses import run_python

if TYPE_CHECKING:
    from pathlib import Path


def test_run_ids_sort_by_start_time_and_differ_within_a_microsecond() -> None:
    """Ids of later starts sort later; ids of the same instant still differ."""
    start = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
    ids = [new_run_id(start + timedelta(microseconds=step)) for step in (0, 1, 999_999, 10**7)]
    assert ids == sorted(ids)
    # 24 random bits: 200 ids of one instant collide about once in 800 tries, which the
    # run folder's exclusive mkdir absorbs; what matters is that they are not all alike.
    same = {new_run_id(start) for _ in range(200)}
    assert len(same) >= 195
    assert all(RUN_ID_PATTERN.match(run_id) for run_id in same)
    assert ids[0].startswith("20260102-030405-000006-")


def test_environment_allow_list_never_records_secrets() -> None:
    """Only allow-listed names are kept, and credential-like names never are."""
    environ = {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "OMP_NUM_THREADS": "4",
        "SLURM_JOB_ID": "12",
        "SLURM_AUTH_TOKEN": "t",
        "SLURM_SECRET_KEY": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "HOME": "/root",
        "PATH": "/bin",
    }
    assert recorded_environment(environ) == {
        "CUDA_VISIBLE_DEVICES": "0,1",
        "OMP_NUM_THREADS": "4",
        "SLURM_JOB_ID": "12",
    }


def test_python_facts_say_what_the_platform_module_says() -> None:
    """The cheap interpreter and platform facts match `platform`'s own answers here."""
    import platform
    import sys

    interpreter, name = python_facts()
    assert interpreter.version == platform.python_version()
    assert interpreter.implementation == platform.python_implementation()
    assert interpreter.executable == sys.executable
    assert name == platform.platform()


def test_flatten_names_leaves_by_path_and_types_by_their_field() -> None:
    """Nested data flattens to dotted paths; `@type` becomes the value of its field."""
    data = {"lr": 0.1, "model": {"@type": "MLPConfig", "layers": [{"w": 1}, 2]}, "tags": []}
    assert flatten(data) == {
        "lr": 0.1,
        "model": "MLPConfig",
        "model.layers[0].w": 1,
        "model.layers[1]": 2,
        "tags": [],
    }


def test_differences_report_changed_added_and_removed_leaves() -> None:
    """Changed values, a switched config type and its fields show up; equal ones do not."""
    before = {"lr": 0.1, "flag": True, "model": {"@type": "MLPConfig", "layers": 2}}
    after = {"lr": 0.5, "flag": 1, "model": {"@type": "CNNConfig", "channels": 8}}
    assert differences(before, after) == [
        ("lr", 0.1, 0.5),
        ("flag", True, 1),
        ("model", "MLPConfig", "CNNConfig"),
        ("model.channels", MISSING, 8),
        ("model.layers", 2, MISSING),
    ]
    assert changed_values(before, after) == [
        ("lr", 0.5),
        ("flag", 1),
        ("model", "CNNConfig"),
        ("model.channels", 8),
    ]
    assert changed_values(None, {"a": "x y"}) == [("a", "x y")]
    assert differences(before, before) == []


def test_switched_config_type_is_compared_with_its_own_defaults() -> None:
    """A field that switched type lists only the values that differ from that type's defaults."""
    defaults = {"opt": {"@type": "SgdConfig", "lr": 0.1}, "layers": [{"@type": "A", "w": 1}]}
    config = {
        "opt": {"@type": "MomentumConfig", "lr": 0.05, "beta": 0.5},
        "layers": [{"@type": "B", "v": 2}, {"@type": "A", "w": 1}],
    }
    type_defaults = {"MomentumConfig": {"lr": 0.05, "beta": 0.9}, "B": {"v": 2}}
    assert rebase_defaults(defaults, config, type_defaults) == {
        "opt": {"@type": "SgdConfig", "lr": 0.05, "beta": 0.9},
        "layers": [{"@type": "A", "v": 2}],
    }
    assert _text(changed_values(defaults, config, type_defaults)) == (
        "opt=MomentumConfig opt.beta=0.5 layers[0]=B layers[1]=A layers[1].w=1"
    )
    assert _text(changed_values(defaults, config)) == (
        "opt=MomentumConfig opt.lr=0.05 opt.beta=0.5 layers[0]=B layers[0].v=2 "
        "layers[1]=A layers[1].w=1"
    )


def _text(pairs: list[tuple[str, object]]) -> str:
    return " ".join(f"{key}={value}" for key, value in pairs)


@dataclass
class _Config:
    """Fit a line."""

    lr: float = 0.1
    steps: int = 3


def test_parse_config_without_from_run_is_tyro(capsys: pytest.CaptureFixture[str]) -> None:
    """Without `--from-run`, flags parse as tyro does and `--help` documents `--from-run`."""
    assert parse_config(_Config, args=["--steps", "5"]) == _Config(steps=5)
    with pytest.raises(SystemExit) as caught:
        parse_config(_Config, args=["--help"], prog="run.py")
    assert caught.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Fit a line." in out
    assert "Start from the config of a previous run with --from-run RUN" in out


def test_parse_config_help_has_one_blank_line_before_from_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A description ending in a newline (a module docstring) is followed by one blank line."""
    with pytest.raises(SystemExit):
        parse_config(_Config, args=["--help"], prog="run.py", description="Fit a line.\n")
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("Fit a line.")
    assert lines[at + 1] == ""
    assert lines[at + 2].startswith("Start from the config of a previous run")


def test_split_from_run_takes_both_spellings_and_stops_at_double_dash() -> None:
    """`--from-run X` and `--from-run=X` are taken out; arguments after `--` are left alone."""
    assert split_from_run(["--a", "1", "--from-run", "r", "--b"], None) == (
        "r",
        ["--a", "1", "--b"],
    )
    assert split_from_run(["--from-run=r"], None) == ("r", [])
    assert split_from_run(["--", "--from-run", "x"], None) == (None, ["--", "--from-run", "x"])
    with pytest.raises(SystemExit):
        split_from_run(["--from-run"], "run.py")


def test_import_flows_workspace_stays_light() -> None:
    """`import flows_workspace` loads neither tyro nor jinja2 nor the run helper."""
    code = (
        "import sys, flows_workspace; "
        "names = ('tyro', 'jinja2', 'flows_workspace.runs.record'); "
        "heavy = [m for m in names if m in sys.modules]; "
        "print(heavy); flows_workspace.record_run; print('tyro' in sys.modules)"
    )
    done = run_python("-c", code, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "False"]


def test_help_description_paragraphs_are_reflowed() -> None:
    """A run.py docstring's hard line breaks do not reach the help; paragraphs stay apart."""
    from flows_workspace.runs.parse import reflow

    docstring = "exp1: fits.\n\n    Fits a curve\n    by descent.\n\n    Second.\n    "
    assert reflow(docstring) == "exp1: fits.\n\nFits a curve by descent.\n\nSecond."


def test_from_run_of_a_file_outside_a_run_folder_names_the_file(tmp_path: Path) -> None:
    """`--from-run FILE` names FILE as the source unless it is a run folder's `config.json`."""
    for name in ("my.json", "config.json"):  # a config.json with no run (manifest) beside it
        config_file = tmp_path / name
        config_file.write_text('{"lr": 0.5, "steps": 2}', encoding="utf-8")
        parsed = parse_run(_Config, args=["--from-run", str(config_file)])
        assert parsed.config == _Config(lr=0.5, steps=2)
        assert parsed.from_run == config_file.resolve()
