"""The flow command and run-time helpers for managing many ML experiments in one workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows_workspace.results.records import MetricHistory as MetricHistory
    from flows_workspace.results.records import RunRecord as RunRecord
    from flows_workspace.results.records import RunRecords as RunRecords
    from flows_workspace.results.records import load_runs as load_runs
    from flows_workspace.runs.parse import ParsedRun as ParsedRun
    from flows_workspace.runs.parse import parse_config as parse_config
    from flows_workspace.runs.parse import parse_run as parse_run
    from flows_workspace.runs.record import Run as Run
    from flows_workspace.runs.record import RunTerminated as RunTerminated
    from flows_workspace.runs.record import record_run as record_run

__version__ = "0.7.0"

# Run helpers are imported on first use, so `import flows_workspace` (and `flow --help`)
# stays light.
_LAZY = {
    "parse_config": "flows_workspace.runs.parse",
    "parse_run": "flows_workspace.runs.parse",
    "ParsedRun": "flows_workspace.runs.parse",
    "record_run": "flows_workspace.runs.record",
    "Run": "flows_workspace.runs.record",
    "RunTerminated": "flows_workspace.runs.record",
    "load_runs": "flows_workspace.results.records",
    "RunRecord": "flows_workspace.results.records",
    "RunRecords": "flows_workspace.results.records",
    "MetricHistory": "flows_workspace.results.records",
}

__all__ = [
    "MetricHistory",
    "ParsedRun",
    "Run",
    "RunRecord",
    "RunRecords",
    "RunTerminated",
    "__version__",
    "load_runs",
    "parse_config",
    "parse_run",
    "record_run",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module `flows_workspace` has no attribute `{name}`"
        raise AttributeError(msg)
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
