"""Experiments of a workspace and their records, as `flow list` reads them."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from flows_workspace.workspace.experiments import list_experiments

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def tokyo_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is Asia/Tokyo (UTC+9) for the test."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_time")
def test_handmade_experiment_time_is_local_like_recorded_ones(tmp_path: Path) -> None:
    """A folder without a record shows its time in the local zone, as records do."""
    (tmp_path / "handmade").mkdir()
    (experiment,) = list_experiments(tmp_path)
    assert experiment.record is None
    assert experiment.created().utcoffset() == timedelta(hours=9)
