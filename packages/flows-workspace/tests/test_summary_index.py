"""The index of run summaries: kept by runs as they start and end, renewed from the folders."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from typing import TYPE_CHECKING

import pytest
from flows_workspace.results.summary_index import INDEX_NAME, RunIndex
from subprocesses import run_flow, start

if TYPE_CHECKING:
    from pathlib import Path

SCRIPT = """
import sys
from dataclasses import dataclass

from flows_workspace import record_run


@dataclass
class Config:
    seed: int = 0


with record_run(Config(int(sys.argv[1])), __file__, capture_output=False) as run:
    run.log(step=0, loss=1.0 / (int(sys.argv[1]) + 1))
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with an experiment `many` whose run logs one loss."""
    root = tmp_path / "ws"
    (root / "flows" / "many").mkdir(parents=True)
    (root / "flows.toml").write_text("", encoding="utf-8")
    (root / "flows" / "many" / "run.py").write_text(SCRIPT, encoding="utf-8")
    return root


def indexed(ws: Path) -> dict[str, str]:
    """Run id -> status, as the index file holds them."""
    with contextlib.closing(sqlite3.connect(ws / "logs" / INDEX_NAME)) as connection:
        return dict(connection.execute("SELECT run_id, status FROM runs").fetchall())


def run_many(ws: Path, count: int) -> None:
    """Start `count` runs at once and wait for all of them."""
    processes = [
        start([sys.executable, ws / "flows" / "many" / "run.py", str(seed)], cwd=ws)
        for seed in range(count)
    ]
    assert [process.wait(timeout=600) for process in processes] == [0] * count


def test_128_concurrent_runs_all_reach_the_index(ws: Path) -> None:
    """128 runs starting and ending together each leave their finished row in the index."""
    run_many(ws, 128)
    folders = sorted(path.name for path in (ws / "logs" / "many").iterdir())
    assert indexed(ws) == dict.fromkeys(folders, "finished")
    rows, broken = RunIndex(ws / "logs").rows()
    assert broken == []
    assert sorted(row.get("seed") for row in rows) == list(range(128))


def test_index_follows_the_folders_which_stay_the_truth(ws: Path) -> None:
    """A folder changed by hand is read again, a removed one dropped, a new one added."""
    run_many(ws, 3)
    first, second, third = sorted((ws / "logs" / "many").iterdir())
    config = json.loads((first / "config.json").read_text())
    third_seed = json.loads((third / "config.json").read_text())["seed"]
    (first / "config.json").write_text(json.dumps({**config, "seed": 99}))
    # Rewritten by a rename, as every writer of a run folder does: the folder's time moves.
    manifest = first / "manifest.json"
    manifest.with_name("new").write_text(manifest.read_text())
    manifest.with_name("new").replace(manifest)
    for path in second.iterdir():
        path.unlink()
    second.rmdir()
    rows, _ = RunIndex(ws / "logs").rows()
    assert [(row.id, row.get("seed")) for row in rows] == [
        (first.name, 99),
        (third.name, third_seed),
    ]
    assert set(indexed(ws)) == {first.name, third.name}


def test_a_damaged_index_never_breaks_the_listing_and_reindex_rebuilds_it(ws: Path) -> None:
    """Garbage in the index file: `flow runs` still lists every run; `--reindex` repairs it."""
    run_many(ws, 2)
    before = run_flow("runs", "--csv", cwd=ws)
    assert before.returncode == 0
    for suffix in ("-wal", "-shm"):
        (ws / "logs" / (INDEX_NAME + suffix)).unlink(missing_ok=True)
    (ws / "logs" / INDEX_NAME).write_bytes(b"not a database" * 100)
    damaged = run_flow("runs", "--csv", cwd=ws)
    assert (damaged.returncode, damaged.stdout) == (0, before.stdout)
    rebuilt = run_flow("runs", "--csv", "--reindex", cwd=ws)
    assert (rebuilt.returncode, rebuilt.stdout) == (0, before.stdout)
    assert len(indexed(ws)) == 2


def test_tags_reach_the_index_at_once(ws: Path) -> None:
    """`flow tag` renews the run's row, so `--where tags=...` finds it through the index."""
    run_many(ws, 2)
    assert run_flow("tag", "last", "keep", cwd=ws).returncode == 0
    done = run_flow("runs", "--where", "tags=keep", "--csv", cwd=ws)
    [row] = done.stdout.splitlines()[1:]
    newest = max(path.name for path in (ws / "logs" / "many").iterdir())
    assert row.startswith(f"many/{newest},")
