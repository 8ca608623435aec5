"""`flow sweep status`: every sweep in one line each, or one sweep's variations."""

from __future__ import annotations

from flows_workspace.sweeps.record import SweepRecord, all_sweeps, find_sweep
from flows_workspace.sweeps.status import counts_text, driver_alive, refresh


def show_status(reference: str | None) -> None:
    """Print the sweeps of the workspace, or the variations of sweep `reference`."""
    from flows_workspace.cli.table import print_table
    from flows_workspace.workspace.settings import find_workspace

    logs_root = find_workspace().logs_root
    if reference is None:
        records = [SweepRecord.load(path) for path in all_sweeps(logs_root)]
        if not records:
            print(f"no sweeps in {logs_root} (`flow sweep EXPERIMENT -p KEY=V1,V2` starts one)")
            return
        for record in records:
            refresh(record, logs_root)
        print_table(
            ("SWEEP", "EXPERIMENT", "LAUNCHER", "VARIATIONS"),
            [(r.id, r.experiment, r.launcher, counts_text(r)) for r in records],
        )
        return
    record = find_sweep(logs_root, reference)
    refresh(record, logs_root)
    rows = [
        (str(v.index), v.status, v.run_id or "-", v.job_id or "-", " ".join(v.args))
        for v in record.variations
    ]
    print_table(("#", "STATUS", "RUN", "JOB", "ARGUMENTS"), rows)
    shown = counts_text(record)
    running = " (its driver is running)" if driver_alive(record) else ""
    print(f"sweep {record.id} of {record.experiment} on {record.launcher}: {shown}{running}")
    for variation in record.variations:
        if variation.error:
            print(f"  variation {variation.index} failed: {variation.error}")
