"""Running code again as it ran: code snapshots, exact reruns, resuming, code checks.

Snapshot variables point a run at copied code; `flow rerun` and `--resume` build on them.
"""
